/* SPDX-License-Identifier: MIT */
/*
 * test-process.c - `tscope record` and the process model: exit statuses, forwarded
 * signals, fork and exec under record, many short-lived threads, forks racing the
 * runtime, SIGKILL, and a program that is not instrumented.
 *
 * The traced program is tests/prog-plain (built with -finstrument-functions, not
 * linked with libtscope): record preloads the build tree's library.  Each case runs in
 * a child of its own (tests/runner.h): `tests/test-process --list` lists them.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "runner.h"

static char tscope[4096]; /* tools/tscope */
static char plain[4096];  /* tests/prog-plain */
static char calls[4096];  /* tests/prog-calls: linked with libtscope.a */

/* argv for `tscope record -o path [opts...] -- prog-plain args...` */
static void record_argv(const char **argv, const char *path, const char *const *opts,
			const char *const *args)
{
	int n = 0;

	argv[n++] = tscope;
	argv[n++] = "record";
	argv[n++] = "-o";
	argv[n++] = path;
	for (; opts && *opts; opts++)
		argv[n++] = *opts;
	argv[n++] = "--";
	argv[n++] = plain;
	for (; args && *args; args++)
		argv[n++] = *args;
	argv[n] = NULL;
}

/* Remove the files of dir whose names start with prefix; how many there were. */
static int remove_files(const char *prefix)
{
	char path[4400];
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
			n++;
		}
	}
	if (d)
		closedir(d);
	return n;
}

static void test_status(void)
{
	char path[4200];
	const char *argv[16];
	const char *const crash[] = { "crash", "segv", NULL }, *const ok_[] = { "abc", NULL };
	struct run *r = malloc(sizeof(*r));
	struct tally t;
	uint64_t addr[1];

	trace_path(path, sizeof(path), "rec-abc");
	record_argv(argv, path, NULL, ok_);
	ok(run_capture(argv, NULL, r) == 0 && r->status == 0, "record: exit status 0 passed on");
	addr[0] = printed(r, "fn", "c");
	tally_trace(path, addr, 1, &t);
	ok(t.complete, "record: trace complete");
	is_int(t.enters[0], 18, "record: c() entered 18 times");
	tally_free(&t);

	trace_path(path, sizeof(path), "rec-segv");
	record_argv(argv, path, NULL, crash);
	ok(run_capture(argv, NULL, r) == 0, "record: crashing program runs");
	is_int(r->status, 128 + SIGSEGV, "record: a program killed by SIGSEGV gives 128+11");
	addr[0] = printed(r, "fn", "deep");
	tally_trace(path, addr, 1, &t);
	ok(t.complete, "record: the crashed program's trace is complete");
	is_int(t.enters[0], 11, "record: its call tree ends at the crashing function");
	tally_free(&t);
	free(r);
}

/* SIGTERM and SIGINT sent to record reach the program, whose trace is still written. */
static void test_forward(int sig)
{
	char path[4200], what[64];
	const char *argv[16];
	const char *const args[] = { "wait", "1000", NULL };
	struct run *r = malloc(sizeof(*r));
	struct child c;
	struct tally t;
	uint64_t addr[1];

	snprintf(what, sizeof(what), "forward %s", sig == SIGINT ? "SIGINT" : "SIGTERM");
	trace_path(path, sizeof(path), sig == SIGINT ? "rec-int" : "rec-term");
	record_argv(argv, path, NULL, args);
	ok(run_start(argv, NULL, RUN_PIPE, RUN_SAME, &c) == 0 && run_until(&c, r, "ready") == 0,
	   "%s: program ready", what);
	kill(c.pid, sig);
	run_finish(&c, r);
	is_int(r->status, 128 + sig, "%s: the program ends by it, record returns 128+%d", what,
	       sig);
	addr[0] = printed(r, "fn", "leaf");
	tally_trace(path, addr, 1, &t);
	ok(t.complete, "%s: trace complete", what);
	is_int(t.enters[0], 1000, "%s: every call before the signal", what);
	tally_free(&t);
	free(r);
}

static void test_fork_exec(void)
{
	char path[4200], other[4300];
	const char *argv[16];
	const char *const fork_[] = { "fork", NULL }, *const exec_[] = { "exec", NULL };
	struct run *r = malloc(sizeof(*r));
	struct tally t;
	uint64_t addr[3];

	trace_path(path, sizeof(path), "rec-fork");
	record_argv(argv, path, NULL, fork_);
	ok(run_capture(argv, NULL, r) == 0 && r->status == 0, "fork: program runs under record");
	addr[0] = printed(r, "fn", "leaf");
	tally_trace(path, addr, 1, &t);
	is_int(t.enters[0], 15, "fork: FILE has the parent's 15 calls");
	tally_free(&t);
	snprintf(other, sizeof(other), "%s.%d", path, (int)printed(r, "val", "child"));
	tally_trace(other, addr, 1, &t);
	is_int(t.enters[0], 20, "fork: FILE.<pid> has the child's 20 calls");
	tally_free(&t);
	unlink(other);

	trace_path(path, sizeof(path), "rec-exec");
	record_argv(argv, path, NULL, exec_);
	ok(run_capture(argv, NULL, r) == 0 && r->status == 0, "exec: program runs under record");
	snprintf(other, sizeof(other), "%s.%d", path, (int)printed(r, "val", "pid"));
	addr[0] = printed(r, "fn", "a");
	addr[1] = printed(r, "fn", "b");
	addr[2] = printed(r, "fn", "c");
	tally_trace(path, addr, 3, &t);
	is_int(t.rc, 0, "exec: FILE is the first image's trace");
	is_int(t.enters[2], 0, "exec: with none of the second image's calls");
	tally_free(&t);
	tally_trace(other, addr, 3, &t);
	is_int(t.rc, 0, "exec: the new image writes FILE.<pid>");
	ok(t.complete, "exec: its trace is complete");
	is_int(t.enters[0] + t.enters[1] + t.enters[2], 3 + 6 + 18, "exec: the new image is traced");
	tally_free(&t);
	unlink(other);
	free(r);
}

static void test_short_threads(void)
{
	char path[4200];
	const char *argv[16];
	const char *const args[] = { "short-threads", "1000", NULL };
	struct run *r = malloc(sizeof(*r));
	struct tally t;
	uint64_t addr[1];
	size_t named = 0, exact = 0;

	trace_path(path, sizeof(path), "rec-threads");
	record_argv(argv, path, NULL, args);
	ok(run_capture(argv, NULL, r) == 0 && r->status == 0,
	   "threads: 1000 short-lived threads run");
	addr[0] = printed(r, "fn", "leaf");
	tally_trace(path, addr, 1, &t);
	is_int(t.threads, 1000, "threads: all 1000 recorded");
	is_int(t.enters[0], 10000, "threads: every one of their 10000 calls");
	if (t.r) {
		for (size_t i = 0; i < reader_thread_count(t.r); i++) {
			const struct reader_thread *th = reader_thread(t.r, i);

			named += th->name && strncmp(th->name, "short-", 6) == 0;
			exact += th->slots == 20;
		}
	}
	is_int(named, 1000, "threads: each with the name it gave itself");
	is_int(exact, 1000, "threads: each with exactly its 20 events");
	tally_free(&t);
	free(r);
}

/* AddressSanitizer's allocator (GCC 12, clang 14) is not fork-safe: if another thread
 * holds its lock at fork(), the child's first malloc waits forever.  Forking 100 times
 * next to threads that allocate tests the sanitizer, not tscope, there. */
#if defined(__SANITIZE_ADDRESS__)
#define ASAN_FORK_UNSAFE 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN_FORK_UNSAFE 1
#endif
#endif

/* Forks while other threads are inside the runtime: no child may hang. */
static void test_fork_stress(void)
{
	char path[4200];
	const char *argv[16];
	const char *const opts[] = { "--buffer", "1k", NULL };
	const char *const args[] = { "fork-stress", "100", NULL };
	struct run *r = malloc(sizeof(*r));
	DIR *d;
	struct dirent *e;
	int children = 0;

#ifdef ASAN_FORK_UNSAFE
	for (int i = 0; i < 3; i++)
		tap_skip("fork-stress: AddressSanitizer's allocator is not fork-safe");
	free(r);
	return;
#endif
	trace_path(path, sizeof(path), "rec-forks");
	remove_files("rec-forks.trace."); /* left by an earlier run */
	record_argv(argv, path, opts, args);
	ok(run_capture(argv, NULL, r) == 0 && r->status == 0, "fork-stress: 100 forks, none hangs");
	is_int(printed(r, "val", "bad"), 0, "fork-stress: every child exited cleanly");
	d = opendir(dir);
	while (d && (e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "rec-forks.trace.", 16) == 0) {
			char child[4400];
			struct tally t;

			snprintf(child, sizeof(child), "%s/%s", dir, e->d_name);
			tally_trace(child, NULL, 0, &t);
			children += t.rc == 0 && t.complete;
			tally_free(&t);
			unlink(child);
		}
	}
	if (d)
		closedir(d);
	is_int(children, 100, "fork-stress: 100 complete child traces");
	free(r);
}

/*
 * SIGKILL after 10000 calls with 4 KiB buffers (78 handed over, more than one slab of
 * buffers mapped): the next reader finishes the trace from the buffers left in shared
 * memory, every event in it; with TSCOPE_SALVAGE=0 (anonymous memory) it holds every
 * buffer handed over before the kill, and says it is truncated.
 */
static void sigkill_case(int salvage)
{
	char path[4200], env_out[4300];
	const char *argv[] = { plain, "wait", "10000", NULL };
	const char *env[] = { env_out, "TSCOPE_BUFFER=4k", NULL,
			      salvage ? NULL : "TSCOPE_SALVAGE=0", NULL };
	struct run *r = malloc(sizeof(*r));
	struct timespec ts = { 0, 300000000 };
	struct child c;
	struct tally t;
	char preload[4200];
	uint64_t addr[1];

	trace_path(path, sizeof(path), "killed");
	snprintf(env_out, sizeof(env_out), "TSCOPE_OUTPUT=%s", path);
	snprintf(preload, sizeof(preload), "LD_PRELOAD=%s", getenv("TSCOPE_LIB"));
	env[2] = preload;
	ok(run_start(argv, env, RUN_PIPE, RUN_SAME, &c) == 0 && run_until(&c, r, "ready") == 0,
	   "sigkill: program ready");
	nanosleep(&ts, NULL); /* the writer empties its queue meanwhile */
	kill(c.pid, SIGKILL);
	run_finish(&c, r);
	is_int(r->status, 128 + SIGKILL, "sigkill: killed");
	addr[0] = printed(r, "fn", "leaf");
	tally_trace(path, addr, 1, &t);
	is_int(t.rc, 0, "sigkill: trace still opens");
	if (salvage) {
		ok(t.r && reader_info(t.r)->complete && reader_info(t.r)->salvaged,
		   "sigkill: finished from shared memory");
		is_int(t.thread_events[0], 20000, "sigkill: all 20000 events");
	} else {
		ok(t.r && reader_info(t.r)->truncated,
		   "sigkill, TSCOPE_SALVAGE=0: and says it is truncated");
		/* 256 events per 4 KiB buffer: the 78 full buffers were handed over, the
		 * 32 events of the last one died with the process */
		is_int(t.thread_events[0], 78 * 256,
		       "sigkill, TSCOPE_SALVAGE=0: all 19968 events of the full buffers");
	}
	tally_free(&t);
	free(r);
}

static void test_sigkill(void)
{
	sigkill_case(1);
	sigkill_case(0);
}

static void test_not_instrumented(void)
{
	char path[4200];
	const char *argv[] = { tscope, "record", "-o", path, "--", "/bin/true", NULL };
	struct run *r = malloc(sizeof(*r));
	struct tally t;

	trace_path(path, sizeof(path), "rec-true");
	ok(run_capture(argv, NULL, r) == 0 && r->status == 0,
	   "uninstrumented: /bin/true runs, status 0");
	tally_trace(path, NULL, 0, &t);
	is_int(t.rc, 0, "uninstrumented: an empty but valid trace");
	ok(t.complete, "uninstrumented: complete");
	is_int(t.threads, 0, "uninstrumented: no thread recorded anything");
	tally_free(&t);
	argv[5] = "/nonexistent/program";
	ok(run_capture(argv, NULL, r) == 0 && r->status == 127, "missing program: status 127");
	free(r);
}

/* A program linked with libtscope.a, run under record: its own copy writes the trace;
 * the preloaded copy stands aside instead of leaving an empty file in its place. */
static void test_static_copy(void)
{
	char path[4200];
	const char *argv[] = { tscope, "record", "-o", path, "--", calls, "abc", NULL };
	struct run *r = malloc(sizeof(*r));
	struct tally t;
	uint64_t addr[1];

	trace_path(path, sizeof(path), "rec-static");
	remove_files("rec-static.trace."); /* left by an earlier run */
	ok(run_capture(argv, NULL, r) == 0 && r->status == 0,
	   "static copy: runs under record, status 0");
	is_int(remove_files("rec-static.trace."), 0,
	       "static copy: no second file from the preloaded copy");
	addr[0] = printed(r, "fn", "c");
	tally_trace(path, addr, 1, &t);
	ok(t.rc == 0 && t.complete, "static copy: FILE is complete");
	is_int(t.enters[0], 18, "static copy: FILE holds the program's calls (c() 18 times)");
	tally_free(&t);
	free(r);
}

/* The cases that run a function above with arguments. */
static void case_forward_term(void)
{
	test_forward(SIGTERM);
}

static void case_forward_int(void)
{
	test_forward(SIGINT);
}

static const struct test_case cases[] = {
	{ "status", test_status, 0 },
	{ "forward-term", case_forward_term, 0 },
	{ "forward-int", case_forward_int, 0 },
	{ "fork-exec", test_fork_exec, 0 },
	{ "short-threads", test_short_threads, 0 },
	{ "fork-stress", test_fork_stress, 300 },
	{ "sigkill", test_sigkill, 0 },
	{ "not-instrumented", test_not_instrumented, 0 },
	{ "static-copy", test_static_copy, 0 },
	{ NULL, NULL, 0 },
};

int main(int argc, char **argv)
{
	const char *top = getenv("top_builddir");

	if (!top)
		top = ".";
	snprintf(dir, sizeof(dir), "%s/tests/tmp-process", top);
	mkdir(dir, 0777);
	tap_scratch(dir);
	snprintf(tscope, sizeof(tscope), "%s/tools/tscope", top);
	snprintf(plain, sizeof(plain), "%s/tests/prog-plain", top);
	snprintf(calls, sizeof(calls), "%s/tests/prog-calls", top);
	if (!getenv("TSCOPE_LIB") || access(getenv("TSCOPE_LIB"), R_OK) != 0) {
		tap_skip("no TSCOPE_LIB (shared libtscope) to preload");
		return done();
	}
	return run_tests(argc, argv, cases);
}
