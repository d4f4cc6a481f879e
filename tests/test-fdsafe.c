/* SPDX-License-Identifier: MIT */
/*
 * test-fdsafe.c - the trace's descriptor is tscope's, never the program's, and every
 * failure to write the trace is said once, with its cause and what was lost.
 *
 * Runs tests/prog-fd (instrumented, libtscope linked) with TSCOPE_OUTPUT, and
 * tests/prog-fd-plain under `tscope record`, with 4k buffers so that many buffers are
 * written after the program has closed or replaced every descriptor.  Checks the
 * program's own file byte for byte against an untraced run, the number its first
 * open() returns, its exit status, every call in the trace, and the runtime's stderr.
 * Last, a trace written slower than it is recorded: the threads' wait is said.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reader.h"
#include "tap.h"
#include "harness.h"

#define CALLS 20000L

static char prog[4096];  /* tests/prog-fd */
static char plain[4096]; /* tests/prog-fd-plain */
static char tscope[4096];
static char err[4096 + 32]; /* the last run's stderr */

/* run(), with the program's stderr kept in err. */
static int run_err(const char *const *argv, const char *const *env, struct run *r)
{
	char path[4200];
	int save = fcntl(2, F_DUPFD_CLOEXEC, 3), fd, rc;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/stderr.txt", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (save < 0 || fd < 0)
		return -1;
	fflush(stderr);
	dup2(fd, 2);
	rc = run_capture(argv, env, r);
	dup2(save, 2);
	close(save);
	n = pread(fd, err, sizeof(err) - 1, 0);
	err[n > 0 ? n : 0] = 0;
	close(fd);
	if (err[0]) /* in the test's log */
		fprintf(stderr, "%s", err);
	return rc;
}

/* Lines of err that start with "tscope: ". */
static int said(void)
{
	int n = 0;

	for (const char *p = err; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : "")
		n += strncmp(p, "tscope: ", 8) == 0;
	return n;
}

static char *slurp(const char *path, size_t *size)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	*size = fread(buf, 1, (size_t)n, fp);
	fclose(fp);
	return buf;
}

static int same_file(const char *a, const char *b)
{
	size_t na = 0, nb = 0;
	char *x = slurp(a, &na), *y = slurp(b, &nb);
	int same = x && y && na == nb && na > 0 && memcmp(x, y, na) == 0;

	free(x);
	free(y);
	return same;
}

/* The program in mode, traced linked (rec 0) or under `tscope record` (rec 1). */
static void test_mode(const char *mode, int rec)
{
	char how[64], path[4200], own[4200], ref[4200], env_out[4300], calls[32];
	const char *argv_ref[] = { plain, mode, ref, calls, NULL };
	const char *argv_lnk[] = { prog, mode, own, calls, NULL };
	const char *argv_rec[] = { tscope, "record", "-o", path, "-b", "4k", plain, mode,
				   own, calls, NULL };
	const char *env_lnk[] = { env_out, "TSCOPE_BUFFER=4k", NULL };
	struct run *r = malloc(sizeof(*r));
	struct tally t;
	uint64_t addr[1];

	snprintf(how, sizeof(how), "%s %s", rec ? "record" : "linked", mode);
	snprintf(calls, sizeof(calls), "%ld", CALLS);
	snprintf(ref, sizeof(ref), "%s/%s-%d.ref", dir, mode, rec);
	snprintf(own, sizeof(own), "%s/%s-%d.own", dir, mode, rec);
	snprintf(path, sizeof(path), "%s/%s-%d.trace", dir, mode, rec);
	snprintf(env_out, sizeof(env_out), "TSCOPE_OUTPUT=%s", path);
	unlink(path);
	ok(run_err(argv_ref, NULL, r) == 0 && r->status == 5, "%s: runs untraced", how);
	is_int(printed(r, "val", "first_fd"), 3, "%s: untraced, its first open() is 3", how);
	ok(run_err(rec ? argv_rec : argv_lnk, rec ? NULL : env_lnk, r) == 0 && r->status == 5,
	   "%s: exit status 5, untouched", how);
	is_int(said(), 0, "%s: nothing said on stderr", how);
	is_int(printed(r, "val", "first_fd"), 3, "%s: its first open() is 3", how);
	ok(same_file(own, ref), "%s: its file is byte-identical to the untraced run's", how);
	addr[0] = printed(r, "fn", "leaf");
	tally_trace(path, addr, 1, &t);
	is_int(t.rc, 0, "%s: trace opens", how);
	ok(t.complete, "%s: trace is complete", how);
	is_int(t.enters[0], CALLS, "%s: every call in the trace", how);
	is_int(t.exits[0], CALLS, "%s: every return in the trace", how);
	is_int(t.lost, 0, "%s: nothing lost", how);
	tally_free(&t);
	free(r);
}

/* TSCOPE_OUTPUT=/dev/full: it opens, every write fails with ENOSPC. */
static void test_dev_full(void)
{
	char calls[32], want[64];
	const char *argv[] = { prog, "first", "-", calls, NULL };
	const char *env[] = { "TSCOPE_OUTPUT=/dev/full", "TSCOPE_BUFFER=4k", NULL };
	struct run *r = malloc(sizeof(*r));

	snprintf(calls, sizeof(calls), "%ld", CALLS);
	snprintf(want, sizeof(want), ": %ld events lost: ", 2 * CALLS);
	ok(run_err(argv, env, r) == 0 && r->status == 5, "/dev/full: exit status untouched");
	is_int(said(), 1, "/dev/full: one line said");
	ok(strncmp(err, "tscope: /dev/full: ", 19) == 0, "/dev/full: it names the file");
	ok(strstr(err, "No space left on device") != NULL, "/dev/full: it says the cause");
	ok(strstr(err, want) != NULL, "/dev/full: it says all %ld events were lost",
	   2 * CALLS);
	free(r);
}

/* A trace that cannot be created: said once, at the open; no misleading hint. */
static void test_no_create(const char *path, const char *cause, int rec)
{
	char calls[32], env_out[4300], head[4300];
	const char *argv_lnk[] = { prog, "first", "-", calls, NULL };
	const char *argv_rec[] = { tscope, "record", "-o", path, plain, "first", "-", calls,
				   NULL };
	const char *env[] = { env_out, NULL };
	struct run *r = malloc(sizeof(*r));
	const char *how = rec ? "record" : "linked";

	snprintf(calls, sizeof(calls), "%ld", 1000L);
	snprintf(env_out, sizeof(env_out), "TSCOPE_OUTPUT=%s", path);
	snprintf(head, sizeof(head), "tscope: %s: ", path);
	ok(run_err(rec ? argv_rec : argv_lnk, rec ? NULL : env, r) == 0 && r->status == 5,
	   "%s %s: exit status untouched", how, cause);
	is_int(said(), 1, "%s %s: one line said", how, cause);
	ok(strncmp(err, head, strlen(head)) == 0, "%s %s: it names the file", how, cause);
	ok(strstr(err, cause) != NULL, "%s %s: it says the cause", how, cause);
	ok(!strstr(err, "statically") && !strstr(err, "-finstrument-functions"),
	   "%s %s: no misleading hint", how, cause);
	free(r);
}

/* RLIMIT_FSIZE: writes fail with EFBIG past the limit.  What is lost is said, and the
 * trace, cut back to whole chunks, holds the rest and says the same count. */
static void test_fsize(void)
{
	char path[4200], env_out[4300], calls[32], head[4300];
	const char *argv[] = { prog, "fsize:1000000", "-", calls, NULL };
	const char *env[] = { env_out, "TSCOPE_BUFFER=4k", NULL };
	struct run *r = malloc(sizeof(*r));
	struct tally t;
	uint64_t addr[1], lost = 0;
	const char *p;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	/* a sanitizer's own files and reports at exit meet the file-size limit too */
	for (int i = 0; i < 8; i++)
		tap_skip("fsize: the sanitizer writes past RLIMIT_FSIZE itself");
	free(r);
	(void)argv, (void)env, (void)t, (void)addr, (void)lost, (void)p, (void)head;
	return;
#endif
	snprintf(calls, sizeof(calls), "%ld", 100 * CALLS);
	trace_path(path, sizeof(path), "fsize");
	snprintf(env_out, sizeof(env_out), "TSCOPE_OUTPUT=%s", path);
	snprintf(head, sizeof(head), "tscope: %s: ", path);
	ok(run_err(argv, env, r) == 0 && r->status == 5, "fsize: exit status untouched");
	is_int(said(), 1, "fsize: one line said");
	ok(strncmp(err, head, strlen(head)) == 0, "fsize: it names the file");
	ok(strstr(err, "File too large") != NULL, "fsize: it says the cause");
	p = strncmp(err, head, strlen(head)) == 0 ? err + strlen(head) : "";
	lost = strtoull(p, NULL, 10);
	ok(lost > 0 && strstr(p, " events lost: "), "fsize: it says how many were lost");
	addr[0] = printed(r, "fn", "leaf");
	tally_trace(path, addr, 1, &t);
	is_int(t.rc, 0, "fsize: the trace opens");
	is_int(t.lost, lost, "fsize: the trace counts the same loss");
	is_int(t.enters[0] + t.exits[0] + lost, 200 * CALLS,
	       "fsize: events kept and lost add up to every call and return");
	tally_free(&t);
	free(r);
}

/* The trace unlinked while the program runs (under `tscope record`, which creates it
 * before main): the loss is said, once. */
static void test_unlinked(void)
{
	char path[4200], calls[32], head[4300];
	const char *argv[] = { tscope, "record", "-o", path, "-b", "4k", plain, "unlink", "-",
			       calls, NULL };
	struct run *r = malloc(sizeof(*r));

	snprintf(calls, sizeof(calls), "%ld", CALLS);
	trace_path(path, sizeof(path), "unlinked");
	snprintf(head, sizeof(head), "tscope: %s: ", path);
	ok(run_err(argv, NULL, r) == 0 && r->status == 5, "unlinked: exit status untouched");
	is_int(said(), 1, "unlinked: one line said");
	ok(strncmp(err, head, strlen(head)) == 0 && strstr(err, " events lost: "),
	   "unlinked: it names the file and counts the loss");
	ok(strstr(err, "the trace file was removed or replaced") != NULL,
	   "unlinked: it says the cause");
	ok(access(path, F_OK) != 0, "unlinked: no trace created again");
	free(r);
}

/*
 * A trace that cannot be written as fast as it is recorded: the output is a FIFO whose
 * reader starts 3 s late.  The queue fills, the thread waits (lossless), and the wait
 * is said once on stderr and kept in the trace, in all and for the thread.
 */
static void test_backpressure(void)
{
	char fifo[4200], copy[4200], env_out[4300], calls[32];
	const char *argv[] = { prog, "first", "-", calls, NULL };
	const char *env[] = { env_out, NULL };
	struct run *r = malloc(sizeof(*r));
	struct tally t;
	uint64_t addr[1];
	pid_t pid;
	int st = -1;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	/* 12 M instrumented calls under a sanitizer take minutes, not seconds */
	for (int i = 0; i < 8; i++)
		tap_skip("backpressure: too slow under a sanitizer");
	free(r);
	(void)argv, (void)env, (void)t, (void)addr, (void)pid, (void)st, (void)fifo, (void)copy;
	return;
#endif
	trace_path(fifo, sizeof(fifo), "fifo");
	trace_path(copy, sizeof(copy), "fifo-copy");
	unlink(fifo);
	if (mkfifo(fifo, 0600) < 0) {
		for (int i = 0; i < 8; i++)
			tap_skip("backpressure: cannot make a FIFO here");
		free(r);
		return;
	}
	pid = fork();
	if (pid == 0) { /* the slow disk: reads the FIFO into copy, 3 s late */
		char buf[65536];
		int in, out;
		ssize_t n;

		alarm(120); /* never hangs the suite */
		usleep(3000000);
		in = open(fifo, O_RDONLY);
		out = open(copy, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
			if (write(out, buf, (size_t)n) != n)
				_exit(1);
		_exit(in < 0 || out < 0);
	}
	/* 12 M events, 192 MB in buffers: three times what may wait in the queue */
	snprintf(calls, sizeof(calls), "%ld", 300 * CALLS);
	snprintf(env_out, sizeof(env_out), "TSCOPE_OUTPUT=%s", fifo);
	ok(run_err(argv, env, r) == 0 && r->status == 5, "backpressure: exit status untouched");
	{ /* a program that never opened the FIFO leaves the reader waiting: end it */
		int w = open(fifo, O_WRONLY | O_NONBLOCK);

		if (w >= 0)
			close(w);
	}
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "backpressure: the FIFO was read to its end");
	is_int(said(), 1, "backpressure: one line said");
	ok(strstr(err, "recording threads waited ") && strstr(err, "the disk did not keep up"),
	   "backpressure: it says the threads waited for the disk");
	addr[0] = printed(r, "fn", "leaf");
	tally_trace(copy, addr, 1, &t);
	ok(t.rc == 0 && t.complete && t.lost == 0,
	   "backpressure: the trace is complete, nothing lost");
	is_int(t.enters[0] + t.exits[0], 600 * CALLS,
	       "backpressure: every call and return is in it");
	ok(t.r && reader_info(t.r)->waited_ns >= 200000000u,
	   "backpressure: the trace says the threads waited (%.3f s)",
	   t.r ? reader_info(t.r)->waited_ns / 1e9 : 0.0);
	ok(t.r && reader_thread_count(t.r) == 1 &&
	       reader_thread(t.r, 0)->waited_ns == reader_info(t.r)->waited_ns,
	   "backpressure: and which thread waited");
	tally_free(&t);
	unlink(fifo);
	unlink(copy);
	free(r);
}

int main(void)
{
	const char *top = getenv("top_builddir");
	static const char *const modes[] = { "first", "close-range", "close-loop", "dup2" };
	char path[4200];

	if (!top)
		top = ".";
	/* the programs must start with 0, 1 and 2 only, whatever make left open */
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	snprintf(dir, sizeof(dir), "%s/tests/tmp-fdsafe", top);
	mkdir(dir, 0777);
	tap_scratch(dir);
	snprintf(prog, sizeof(prog), "%s/tests/prog-fd", top);
	snprintf(plain, sizeof(plain), "%s/tests/prog-fd-plain", top);
	snprintf(tscope, sizeof(tscope), "%s/tools/tscope", top);

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		test_mode(modes[i], 0);
		test_mode(modes[i], 1);
	}
	test_dev_full();
	test_no_create("/etc/passwd/x.trace", "Not a directory", 0);
	test_no_create("/etc/passwd/x.trace", "Not a directory", 1);
	snprintf(path, sizeof(path), "%s/no-such-dir/x.trace", dir);
	test_no_create(path, "No such file or directory", 0);
	test_fsize();
	test_unlinked();
	test_backpressure();
	return done();
}
