/* SPDX-License-Identifier: MIT */
/*
 * test-adverse.c - the recorder's promises (SPEC.md section 6) against a program that
 * does what real programs do: takes every descriptor, runs instrumented code in signal
 * handlers, runs out of memory, cancels threads, dies abruptly, runs under wrappers.
 *
 * Every case runs tests/prog-adverse (libtscope linked statically) or
 * tests/prog-adverse-plain (preloaded by `tscope record`) next to an untraced run of
 * the plain build, and checks exact answers: the program's own call counts equal the
 * trace's, its files are byte-identical to the untraced run's, its exit status is the
 * untraced one, and whatever the recorder could not do is counted in the trace and
 * said once on stderr.
 *
 *	test-adverse            every case
 *	test-adverse CASE...    only those (test-adverse --list names them)
 *
 * Each case runs in a child process with a timeout, so that a crash or a hang is
 * reported under the case's name and the next case still runs; each program it starts
 * has a deadline of its own and is killed, with its process group, when it passes it.
 * Each case works in tests/tmp-adverse/CASE, removed afterwards unless
 * TSCOPE_ADVERSE_KEEP is set.  No trace is allowed to grow past about 300 MB.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "reader.h"
#include "tap.h"
/* harness.h's run()/start()/finish() are not used: programs here need a deadline, a
 * directory, a limit and stderr of their own (launch() and land() below). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "harness.h"
#pragma GCC diagnostic pop

static char base[3800];	  /* tests/tmp-adverse */
static char tscope[4096]; /* tools/tscope */
static char prog[4096];	  /* tests/prog-adverse: libtscope linked statically */
static char plain[4096];  /* tests/prog-adverse-plain: not linked with libtscope */
static const char *lib;	  /* libtscope.so, for preloading by hand */

/* ---- running programs ------------------------------------------------------------ */

/* What a program did: harness.h's run (status, stdout), its stderr, and whether it
 * had to be killed for passing its deadline. */
struct res {
	struct run r;
	char err[16384];
	int timed_out;
	double secs;
};

struct opts {
	const char *const *env; /* extra "NAME=value" strings */
	const char *cwd;	/* directory to run in; NULL: the case's */
	rlim_t as;		/* RLIMIT_AS for the program; 0: unchanged */
	int timeout;		/* seconds; 0: 40 */
};

/* Process groups of the programs running now, killed if the case is stopped. */
static pid_t live[8];

static void on_stop(int sig)
{
	(void)sig;
	for (size_t i = 0; i < TS_ARRAY_SIZE(live); i++)
		if (live[i] > 0)
			kill(-live[i], SIGKILL);
	_exit(99);
}

static void live_set(pid_t pid, int on)
{
	for (size_t i = 0; i < TS_ARRAY_SIZE(live); i++) {
		if (on ? live[i] == 0 : live[i] == pid) {
			live[i] = on ? pid : 0;
			return;
		}
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void close_from(int lowfd)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)lowfd, ~0u, 0u) == 0)
		return;
#endif
	for (int fd = lowfd; fd < 65536; fd++)
		close(fd);
}

/*
 * Start argv in its own process group, stdout to a pipe (c->out), stderr to errpath,
 * with exactly descriptors 0, 1 and 2 open: an untraced program's first open()
 * returns 3.
 */
static int launch(const char *const *argv, const struct opts *o, const char *errpath,
		  struct child *c)
{
	int fd[2], efd;

	memset(c, 0, sizeof(*c));
	efd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (efd < 0 || pipe2(fd, O_CLOEXEC) < 0)
		return -1;
	fflush(stdout);
	c->pid = fork();
	if (c->pid < 0)
		return -1;
	if (c->pid == 0) {
		setpgid(0, 0);
		for (const char *const *e = o->env; e && *e; e++)
			putenv((char *)(uintptr_t)*e);
		if (o->cwd && chdir(o->cwd) < 0)
			_exit(126);
		if (o->as) {
			struct rlimit rl = { o->as, o->as };

			setrlimit(RLIMIT_AS, &rl);
		}
		dup2(fd[1], 1);
		dup2(efd, 2);
		close_from(3);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		execv(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	setpgid(c->pid, c->pid); /* whichever of the two comes first */
	live_set(c->pid, 1);
	close(fd[1]);
	close(efd);
	c->out = fd[0];
	return 0;
}

static void slurp_into(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, size - 1) : -1;

	buf[n > 0 ? n : 0] = 0;
	if (fd >= 0)
		close(fd);
}

/*
 * Read the program's stdout to its end and reap it, killing its process group when the
 * deadline passes.  x->r.status is its exit status, or 128 + the signal that ended it.
 */
static void land(struct child *c, struct res *x, const struct opts *o, const char *errpath,
		 double t0)
{
	double deadline = t0 + (o->timeout ? o->timeout : 40);
	int st = 0;

	for (;;) {
		struct pollfd p = { c->out, POLLIN, 0 };
		double left = deadline - now_s();
		size_t room = sizeof(x->r.out) - 1 - c->n;
		char scratch[4096];
		ssize_t k;

		if (left <= 0) {
			x->timed_out = 1;
			kill(-c->pid, SIGKILL);
			kill(c->pid, SIGKILL);
			break;
		}
		if (poll(&p, 1, (int)(left * 1000) + 1) <= 0)
			continue; /* interrupted, or the deadline: seen above */
		/* past what run.out holds, the rest is read and dropped */
		k = read(c->out, room ? x->r.out + c->n : scratch, room ? room : sizeof(scratch));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		if (room) {
			c->n += (size_t)k;
			x->r.out[c->n] = 0;
		}
	}
	close(c->out);
	while (waitpid(c->pid, &st, 0) < 0 && errno == EINTR)
		;
	kill(-c->pid, SIGKILL); /* what it left behind in its group */
	live_set(c->pid, 0);
	x->r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	x->secs = now_s() - t0;
	slurp_into(errpath, x->err, sizeof(x->err));
}

static char errpath[4200]; /* stderr of the current run */

static int run_x(const char *const *argv, const struct opts *o, struct res *x)
{
	struct child c;
	double t0 = now_s();

	memset(x, 0, sizeof(*x));
	if (launch(argv, o, errpath, &c) < 0)
		return -1;
	land(&c, x, o, errpath, t0);
	return 0;
}

/* How a program is traced. */
enum how {
	UNTRACED, /* prog-adverse-plain alone: the reference */
	STATIC,	  /* prog-adverse with TSCOPE_OUTPUT */
	PRELOAD,  /* prog-adverse-plain with LD_PRELOAD and TSCOPE_OUTPUT */
	RECORD,	  /* tscope record -o TRACE [-b BUFFER] [ropts] -- prog-adverse-plain */
};

static const char *how_name[] = { "untraced", "static", "preload", "record" };

struct job {
	enum how how;
	const char *trace;	  /* path */
	const char *buffer;	  /* TSCOPE_BUFFER / -b, or NULL */
	const char *const *ropts; /* more options for record */
	const char *const *args;
	struct opts o;
};

/* Run a job; the result goes to x.  Returns what run_x() returns. */
static int go(const struct job *j, struct res *x)
{
	const char *argv[64], *env[16];
	char e_out[4300], e_buf[64], e_pre[4300];
	int n = 0, ne = 0;
	struct opts o = j->o;

	for (const char *const *e = j->o.env; e && *e && ne < 8; e++)
		env[ne++] = *e;
	if (j->how == RECORD) {
		argv[n++] = tscope;
		argv[n++] = "record";
		argv[n++] = "--no-hint"; /* what is checked here is the runtime's silence */
		argv[n++] = "-o";
		argv[n++] = j->trace;
		if (j->buffer) {
			argv[n++] = "-b";
			argv[n++] = j->buffer;
		}
		for (const char *const *p = j->ropts; p && *p; p++)
			argv[n++] = *p;
		argv[n++] = "--";
	}
	argv[n++] = j->how == STATIC ? prog : plain;
	for (const char *const *p = j->args; *p && n < 62; p++)
		argv[n++] = *p;
	argv[n] = NULL;
	if ((j->how == STATIC || j->how == PRELOAD) && j->trace) {
		snprintf(e_out, sizeof(e_out), "TSCOPE_OUTPUT=%s", j->trace);
		env[ne++] = e_out;
		if (j->buffer) {
			snprintf(e_buf, sizeof(e_buf), "TSCOPE_BUFFER=%s", j->buffer);
			env[ne++] = e_buf;
		}
	}
	if (j->how == PRELOAD) {
		snprintf(e_pre, sizeof(e_pre), "LD_PRELOAD=%s", lib);
		env[ne++] = e_pre;
	}
	env[ne] = NULL;
	o.env = env;
	if (j->trace && strncmp(j->trace, dir, strlen(dir)) == 0)
		unlink(j->trace); /* an old one, in the case's directory */
	return run_x(argv, &o, x);
}

/* ---- what a run said -------------------------------------------------------------- */

/* Lines of x's stderr that start with "tscope:". */
/*
 * How many stderr lines start "tscope:", not counting the backpressure report
 * ("recording threads waited ..."): on a loaded machine the writer may fall behind,
 * and saying so is the recorder doing its job, not a fault of the case.
 */
static int said_lines(const struct res *x)
{
	int n = 0;

	for (const char *p = x->err; *p;) {
		const char *nl = strchr(p, '\n');
		const char *w = strstr(p, "recording threads waited");

		n += strncmp(p, "tscope:", 7) == 0 && !(w && (!nl || w < nl));
		if (!nl)
			break;
		p = nl + 1;
	}
	return n;
}

/* Does the stderr line starting "tscope:" (the first one) contain s? */
static int said(const struct res *x, const char *s)
{
	for (const char *p = x->err; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (strncmp(p, "tscope:", 7) == 0) {
			const char *f = strstr(p, s);

			if (f && (size_t)(f - p) < len)
				return 1;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	return 0;
}

/* Does some "tscope:" line hold the number n as a word? */
static int said_number(const struct res *x, unsigned long long n)
{
	char want[32];

	snprintf(want, sizeof(want), "%llu", n);
	for (const char *p = strstr(x->err, want); p; p = strstr(p + 1, want)) {
		char after = p[strlen(want)];

		if ((p == x->err || p[-1] < '0' || p[-1] > '9') && (after < '0' || after > '9')) {
			const char *line = p;

			while (line > x->err && line[-1] != '\n')
				line--;
			if (strncmp(line, "tscope:", 7) == 0)
				return 1;
		}
	}
	return 0;
}

static void show_err(const struct res *x)
{
	int lines = 0;

	for (const char *p = x->err; *p && lines < 12; lines++) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);

		printf("#   stderr: %.*s\n", len > 200 ? 200 : len, p);
		if (!nl)
			break;
		p = nl + 1;
	}
}

/* The run ended by itself, with the expected status. */
static void check_status(const struct res *x, int want, const char *what)
{
	if (x->timed_out)
		printf("#   killed after %.1f s: it hung\n", x->secs);
	ok(!x->timed_out && x->r.status == want, "%s: exit status %d, as untraced", what, want);
	if (x->r.status != want) {
		printf("#   got %d%s\n", x->r.status,
		       x->r.status > 128 ? " (128 + signal: it crashed or was killed)" : "");
		show_err(x);
	}
}

/* The exit status of prog-adverse-plain args, untraced (-1: it hung). */
static int untraced(const char *const *args)
{
	struct res *x = malloc(sizeof(*x));
	struct job j = { UNTRACED, NULL, NULL, NULL, args, { 0 } };
	int st;

	go(&j, x);
	st = x->timed_out ? -1 : x->r.status;
	free(x);
	return st;
}

/* Nothing on stderr from tscope. */
static void check_quiet(const struct res *x, const char *what)
{
	ok(said_lines(x) == 0, "%s: tscope says nothing on stderr", what);
	if (said_lines(x))
		show_err(x);
}

static uint64_t val(const struct res *x, const char *name)
{
	return printed(&x->r, "val", name);
}

/* Did the program print "val name N" (it got that far)? */
static int has_val(const struct res *x, const char *name)
{
	char key[64];

	snprintf(key, sizeof(key), "val %s ", name);
	return strstr(x->r.out, key) != NULL;
}

/* ---- what a trace holds ----------------------------------------------------------- */

/* Opens, has its END chunk, lost nothing, misses no chunk, has no malformed one. */
static void check_intact(const struct tally *t, const char *what)
{
	const struct reader_info *i = t->r ? reader_info(t->r) : NULL;

	is_int(t->rc, 0, "%s: the trace opens", what);
	ok(i && i->complete && i->end_matches,
	   "%s: the trace is complete (END chunk, totals agree)", what);
	ok(i && !i->lost && !i->missing && !i->bad_chunks,
	   "%s: nothing lost, no chunk missing or malformed", what);
	if (i && (i->lost || i->missing || i->bad_chunks || !i->complete))
		printf("#   lost %" PRIu64 ", missing chunks %" PRIu64 ", malformed %" PRIu64
		       ", complete %d, truncated %d at %" PRIu64 " of %" PRIu64 " bytes\n",
		       i->lost, i->missing, i->bad_chunks, i->complete, i->truncated,
		       i->trunc_offset, i->file_size);
}

/* fn's calls in the trace are exactly the program's count of them. */
static void check_calls(const struct tally *t, int k, const struct res *x, const char *fn,
			uint64_t want_exits, const char *what)
{
	uint64_t n = val(x, fn);

	if (!has_val(x, fn))
		printf("#   the program did not get to print its count of %s\n", fn);
	is_int(t->enters[k], n, "%s: %s entered %" PRIu64 " times, as the program counted", what,
	       fn, n);
	is_int(t->exits[k], want_exits, "%s: %s returned %" PRIu64 " times", what, fn, want_exits);
}

/* A file's calls, whatever their address (processes of other images). */
struct count {
	int rc, complete, truncated;
	uint32_t pid;
	uint64_t enters, exits, lost, missing, bad;
};

static void count_file(const char *path, struct count *k)
{
	struct reader *r;

	memset(k, 0, sizeof(*k));
	k->rc = reader_open(path, &r);
	if (k->rc)
		return;
	k->pid = reader_info(r)->pid;
	k->complete = reader_info(r)->complete && reader_info(r)->end_matches;
	k->truncated = reader_info(r)->truncated;
	k->lost = reader_info(r)->lost;
	k->missing = reader_info(r)->missing;
	k->bad = reader_info(r)->bad_chunks;
	for (size_t i = 0; i < reader_thread_count(r); i++) {
		struct reader_cursor c;
		struct reader_event ev;

		reader_cursor_init(&c, r, i, 0);
		while (reader_next(&c, &ev) > 0) {
			k->enters += ev.kind == READER_EV_ENTER;
			k->exits += ev.kind == READER_EV_EXIT;
		}
		reader_cursor_fini(&c);
	}
	reader_close(r);
}

/* Trace files of a recording: PATH, PATH.<pid>...  (names relative to the case dir). */
static int trace_files(const char *trace, char names[][4400], int max)
{
	const char *slash = strrchr(trace, '/');
	const char *base_name = slash ? slash + 1 : trace;
	size_t len = strlen(base_name);
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)) != NULL && n < max) {
		if (strncmp(e->d_name, base_name, len) == 0 &&
		    (e->d_name[len] == 0 || e->d_name[len] == '.'))
			snprintf(names[n++], 4400, "%s/%s", dir, e->d_name);
	}
	if (d)
		closedir(d);
	return n;
}

/* ---- files ------------------------------------------------------------------------ */

static char *slurp(const char *path, size_t *size)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *p = NULL;

	*size = 0;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && (p = malloc((size_t)st.st_size + 1)) != NULL) {
		ssize_t k = read(fd, p, (size_t)st.st_size);

		*size = k > 0 ? (size_t)k : 0;
	}
	close(fd);
	return p;
}

/* The files of directory a are the files of directory b, byte for byte. */
static void check_same_files(const char *a, const char *b, const char *what)
{
	DIR *d = opendir(a);
	struct dirent *e;
	int files = 0, same = 0, extra = 0;

	while (d && (e = readdir(d)) != NULL) {
		char pa[4500], pb[4500];
		size_t na, nb;
		char *da, *db;

		if (e->d_name[0] == '.')
			continue;
		files++;
		snprintf(pa, sizeof(pa), "%s/%s", a, e->d_name);
		snprintf(pb, sizeof(pb), "%s/%s", b, e->d_name);
		da = slurp(pa, &na);
		db = slurp(pb, &nb);
		if (da && db && na == nb && memcmp(da, db, na) == 0) {
			same++;
		} else {
			size_t off = 0;

			while (da && db && off < na && off < nb && da[off] == db[off])
				off++;
			printf("#   %s: %zu bytes untraced, %zu traced%s, they differ at %zu\n",
			       e->d_name, na, nb, db ? "" : " (missing)", off);
		}
		free(da);
		free(db);
	}
	if (d)
		closedir(d);
	d = opendir(b);
	while (d && (e = readdir(d)) != NULL)
		extra += e->d_name[0] != '.';
	if (d)
		closedir(d);
	extra -= files;
	ok(files > 0 && same == files && extra == 0,
	   "%s: the program's %d files are byte-identical to the untraced run's", what, files);
	if (extra)
		printf("#   %d files more than untraced\n", extra);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	remove(path);
	return 0;
}

static void rm_tree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void sub(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

/* ---- 1. descriptors ---------------------------------------------------------------- */

/*
 * The program takes every descriptor above 2 (close_range, a close() loop, or one of its
 * files dup2()'d over 3..20), opens its own file, writes known bytes between runs of
 * calls that fill many 4 KiB buffers, closes it; then does all of it again once the
 * recorder surely has its file open.
 */
static void fd_case(const char *how_fd)
{
	char files[3][4200], trace[4200], what[64];
	const char *args[3][6];
	struct res *x = malloc(sizeof(*x)), *ref = malloc(sizeof(*ref));
	static const enum how hows[] = { UNTRACED, STATIC, RECORD };

	for (int k = 0; k < 3; k++) {
		snprintf(what, sizeof(what), "files-%s", how_name[hows[k]]);
		sub(files[k], sizeof(files[k]), what);
		mkdir(files[k], 0777);
		args[k][0] = "fd";
		args[k][1] = how_fd;
		args[k][2] = files[k];
		args[k][3] = "200000"; /* a phase: 400000 events, 1560 buffers of 4 KiB */
		args[k][4] = NULL;
	}
	trace_path(trace, sizeof(trace), "fd");
	{
		struct job j = { UNTRACED, NULL, NULL, NULL, args[0], { 0 } };

		go(&j, ref);
		check_status(ref, 0, "untraced");
		ok(val(ref, "fd1") > 2, "untraced: first open() returns %d", (int)val(ref, "fd1"));
	}
	for (int k = 1; k < 3; k++) {
		struct job j = { hows[k], trace, "4k", NULL, args[k], { 0 } };
		struct tally t;
		uint64_t addr[1];

		snprintf(what, sizeof(what), "%s, %s", how_fd, how_name[hows[k]]);
		go(&j, x);
		check_status(x, ref->r.status, what);
		is_int(val(x, "fd1"), val(ref, "fd1"),
		       "%s: first open() returns what it does untraced", what);
		is_int(val(x, "fd2"), val(ref, "fd2"),
		       "%s: the open() after the recorder wrote returns what it does untraced",
		       what);
		check_same_files(files[0], files[k], what);
		addr[0] = printed(&x->r, "fn", "leaf");
		tally_trace(trace, addr, 1, &t);
		check_intact(&t, what);
		check_calls(&t, 0, x, "leaf", val(x, "leaf"), what);
		check_quiet(x, what);
		tally_free(&t);
		unlink(trace);
	}
	free(x);
	free(ref);
}

static void case_fd_close_range(void)
{
	fd_case("close-range");
}

static void case_fd_close_loop(void)
{
	fd_case("close-loop");
}

static void case_fd_dup2(void)
{
	fd_case("dup2");
}

/* ---- 2. signals ------------------------------------------------------------------- */

/*
 * A 10 kHz timer whose handler calls instrumented functions (in_handler, 4 x hleaf)
 * while the main thread calls leaf() as fast as it can: until 2000 signals came, or 4
 * million calls (128 MB of events) were made.
 */
static void timer_case(const char *which, enum how how, const char *buffer)
{
	char trace[4200], what[64];
	const char *args[] = { "itimer", which, "2000", "4000000", NULL };
	struct job j = { how, NULL, buffer, NULL, args, { 0 } };
	struct res *x = malloc(sizeof(*x));
	struct tally t;
	uint64_t addr[3];
	int want;

	snprintf(what, sizeof(what), "ITIMER_%s, %s, %s buffers",
		 strcmp(which, "real") ? "PROF" : "REAL", how_name[how], buffer);
	trace_path(trace, sizeof(trace), "timer");
	j.trace = trace;
	want = untraced(args);
	go(&j, x);
	check_status(x, want, what);
	printf("# %s: %d signals handled during %" PRIu64 " calls\n", what,
	       (int)val(x, "in_handler"), val(x, "leaf"));
	ok(val(x, "in_handler") >= 10, "%s: the handler ran (at least 10 times)", what);
	addr[0] = printed(&x->r, "fn", "leaf");
	addr[1] = printed(&x->r, "fn", "in_handler");
	addr[2] = printed(&x->r, "fn", "hleaf");
	tally_trace(trace, addr, 3, &t);
	check_intact(&t, what);
	check_calls(&t, 0, x, "leaf", val(x, "leaf"), what);
	check_calls(&t, 1, x, "in_handler", val(x, "in_handler"), what);
	check_calls(&t, 2, x, "hleaf", val(x, "hleaf"), what);
	check_quiet(x, what);
	tally_free(&t);
	unlink(trace);
	free(x);
}

static void case_timer_real_4k(void)
{
	timer_case("real", STATIC, "4k");
}

static void case_timer_real_64m(void)
{
	timer_case("real", RECORD, "64M");
}

static void case_timer_prof_4k(void)
{
	timer_case("prof", STATIC, "4k");
}

static void case_timer_prof_64m(void)
{
	timer_case("prof", RECORD, "64M");
}

/* 1000 faults two instrumented frames deep; the handler calls segv_note() and
 * siglongjmp()s out: faulty() and fault_inner() never return. */
static void case_segv(void)
{
	static const enum how hows[] = { STATIC, RECORD };
	const char *args[] = { "segv", "1000", NULL };
	char trace[4200], what[64];
	struct res *x = malloc(sizeof(*x));
	int want = untraced(args);

	trace_path(trace, sizeof(trace), "segv");
	for (int k = 0; k < 2; k++) {
		struct job j = { hows[k], trace, "4k", NULL, args, { 0 } };
		struct tally t;
		uint64_t addr[4];

		snprintf(what, sizeof(what), "SIGSEGV + siglongjmp, %s", how_name[hows[k]]);
		go(&j, x);
		check_status(x, want, what);
		is_int(val(x, "faulty"), 1000, "%s: the program faulted 1000 times", what);
		addr[0] = printed(&x->r, "fn", "leaf");
		addr[1] = printed(&x->r, "fn", "faulty");
		addr[2] = printed(&x->r, "fn", "fault_inner");
		addr[3] = printed(&x->r, "fn", "segv_note");
		tally_trace(trace, addr, 4, &t);
		check_intact(&t, what);
		check_calls(&t, 0, x, "leaf", val(x, "leaf"), what);
		check_calls(&t, 1, x, "faulty", 0, what);
		check_calls(&t, 2, x, "fault_inner", 0, what);
		check_calls(&t, 3, x, "segv_note", val(x, "segv_note"), what);
		check_quiet(x, what);
		tally_free(&t);
		unlink(trace);
	}
	free(x);
}

/* ---- 3. no memory ----------------------------------------------------------------- */

/*
 * The program limits its address space to what it uses plus 4 MiB, then starts 32
 * threads (on stacks it allocated before) that make 20000 calls each at the same time:
 * 32 buffers of the default 1 MiB cannot be had.  The program needs nothing more and
 * exits 0; the recorder loses events, counts them in the trace and says so once.
 */
static void case_oom(void)
{
	static const enum how hows[] = { STATIC, RECORD };
	const char *args[] = { "oom", "32", "20000", "4", NULL };
	char trace[4200], what[64];
	struct res *x = malloc(sizeof(*x)), *ref = malloc(sizeof(*ref));
	struct job u = { UNTRACED, NULL, NULL, NULL, args, { 0 } };

	go(&u, ref);
	check_status(ref, 0, "untraced");
	ok(val(ref, "big_malloc_null") == 1 && val(ref, "created") == 32,
	   "untraced: the limit holds (64 MiB cannot be had) and all 32 threads start");
	trace_path(trace, sizeof(trace), "oom");
	for (int k = 0; k < 2; k++) {
		struct job j = { hows[k], trace, NULL, NULL, args, { 0 } };
		struct tally t;
		uint64_t addr[1], calls;

		snprintf(what, sizeof(what), "no memory, %s", how_name[hows[k]]);
		go(&j, x);
		check_status(x, ref->r.status, what);
		calls = val(x, "leaf");
		printf("# %s: %d threads started, %" PRIu64 " calls\n", what,
		       (int)val(x, "created"), calls);
		addr[0] = printed(&x->r, "fn", "leaf");
		tally_trace(trace, addr, 1, &t);
		is_int(t.rc, 0, "%s: the trace opens", what);
		ok(t.complete, "%s: the trace is complete", what);
		ok(t.lost > 0, "%s: the trace says events were lost", what);
		is_int(t.enters[0] + t.exits[0] + t.lost, 2 * calls,
		       "%s: recorded + lost events = the program's %" PRIu64 " events", what,
		       2 * calls);
		is_int(said_lines(x), 1, "%s: one tscope: line on stderr", what);
		ok(said(x, "memory"), "%s: about memory", what);
		if (said_lines(x) != 1 || !said(x, "memory"))
			show_err(x);
		tally_free(&t);
		unlink(trace);
	}
	free(x);
	free(ref);
}

/* ---- 4. threads that do not return ------------------------------------------------ */

/* 50 threads busy in instrumented calls, cancelled and joined. */
static void cancel_case(const char *how_cancel)
{
	const char *args[] = { "cancel", how_cancel, "50", NULL };
	char trace[4200], what[64];
	struct res *x = malloc(sizeof(*x)), *ref = malloc(sizeof(*ref));
	struct job u = { UNTRACED, NULL, NULL, NULL, args, { 0 } };
	struct job j = { STATIC, NULL, "4k", NULL, args, { 0, NULL, 0, 20 } };
	int async = strcmp(how_cancel, "async") == 0;
	struct tally t;
	uint64_t addr[2], n;

	snprintf(what, sizeof(what), "%s cancellation", how_cancel);
	go(&u, ref);
	check_status(ref, 0, "untraced");
	trace_path(trace, sizeof(trace), "cancel");
	j.trace = trace;
	go(&j, x);
	check_status(x, ref->r.status, what);
	is_int(val(x, "canceled"), 50, "%s: 50 threads cancelled and joined", what);
	addr[0] = printed(&x->r, "fn", "leaf");
	addr[1] = printed(&x->r, "fn", "checkpoint");
	tally_trace(trace, addr, 2, &t);
	check_intact(&t, what);
	n = val(x, "leaf");
	if (async) {
		/* a thread may be cancelled between leaf()'s entry hook and its count, and
		 * between its return and its exit hook: one call each, no more */
		ok(t.enters[0] >= n && t.enters[0] <= n + 50,
		   "%s: leaf entered %" PRIu64 " times (count %" PRIu64 ", + at most 1 per thread)",
		   what, t.enters[0], n);
		ok(t.exits[0] + 50 >= n && t.exits[0] <= n,
		   "%s: leaf returned %" PRIu64 " times (count %" PRIu64
		   ", - at most 1 per thread)",
		   what, t.exits[0], n);
	} else {
		check_calls(&t, 0, x, "leaf", n, what);
		/* acted on in pthread_testcancel(), inside checkpoint() */
		check_calls(&t, 1, x, "checkpoint", val(x, "checkpoint") - 50, what);
	}
	is_int(t.threads, 51, "%s: main and the 50 threads recorded", what);
	check_quiet(x, what);
	tally_free(&t);
	unlink(trace);
	free(x);
	free(ref);
}

static void case_cancel_async(void)
{
	cancel_case("async");
}

static void case_cancel_deferred(void)
{
	cancel_case("deferred");
}

/* 50 threads, one after the other, each ending in pthread_exit() 21 calls deep. */
static void case_pthread_exit(void)
{
	const char *args[] = { "pthread-exit", "50", "20", NULL };
	char trace[4200];
	const char *what = "pthread_exit deep down";
	struct res *x = malloc(sizeof(*x)), *ref = malloc(sizeof(*ref));
	struct job u = { UNTRACED, NULL, NULL, NULL, args, { 0 } };
	struct job j = { STATIC, NULL, "4k", NULL, args, { 0, NULL, 0, 20 } };
	struct tally t;
	uint64_t addr[2];

	go(&u, ref);
	check_status(ref, 0, "untraced");
	trace_path(trace, sizeof(trace), "pexit");
	j.trace = trace;
	go(&j, x);
	check_status(x, ref->r.status, what);
	is_int(val(x, "deep"), 50 * 21, "%s: 1050 calls of deep()", what);
	addr[0] = printed(&x->r, "fn", "leaf");
	addr[1] = printed(&x->r, "fn", "deep");
	tally_trace(trace, addr, 2, &t);
	check_intact(&t, what);
	check_calls(&t, 0, x, "leaf", val(x, "leaf"), what);
	/* C frames are not unwound through their exit hooks */
	check_calls(&t, 1, x, "deep", 0, what);
	is_int(t.threads, 51, "%s: main and the 50 threads recorded", what);
	check_quiet(x, what);
	tally_free(&t);
	unlink(trace);
	free(x);
	free(ref);
}

/* ---- 5. abrupt ends ------------------------------------------------------------- */

/*
 * Under `tscope record`: the calls of each process, by pid, over all the files of the
 * recording, against what each made.  pids[i] made calls[i] calls of leaf().
 */
static void check_processes(const char *trace, const struct res *x, const uint32_t *pids,
			    const uint64_t *calls, int n, const char *what)
{
	char files[16][4400];
	int nf = trace_files(trace, files, 16), intact = 0, others = 0;
	uint64_t got[8] = { 0 };
	uint64_t addr[1];

	addr[0] = printed(&x->r, "fn", "leaf"); /* forked: the same address everywhere */
	for (int f = 0; f < nf; f++) {
		struct tally t;
		int k;

		tally_trace(files[f], addr, 1, &t);
		if (t.rc) {
			printf("#   %s: does not open (%d)\n", files[f], t.rc);
			continue;
		}
		intact += t.complete && !t.lost && !reader_info(t.r)->missing;
		for (k = 0; k < n && reader_info(t.r)->pid != pids[k]; k++)
			;
		if (k < n && t.enters[0] == t.exits[0])
			got[k] += t.enters[0];
		else if (k < n)
			printf("#   pid %u: %" PRIu64 " calls, %" PRIu64 " returns\n", pids[k],
			       t.enters[0], t.exits[0]);
		else
			others++;
		tally_free(&t);
		unlink(files[f]);
	}
	is_int(intact, nf, "%s: all %d trace files complete, nothing lost", what, nf);
	is_int(others, 0, "%s: no file from another process", what);
	for (int k = 0; k < n; k++)
		is_int(got[k], calls[k], "%s: process %d (pid %u): all its %" PRIu64 " calls", what,
		       k, pids[k], calls[k]);
}

static void abrupt_case(const char *mode, const char *what)
{
	const char *args[] = { mode, "1000", NULL };
	char trace[4200];
	struct res *x = malloc(sizeof(*x)), *ref = malloc(sizeof(*ref));
	struct job u = { UNTRACED, NULL, NULL, NULL, args, { 0 } };
	struct job j = { RECORD, NULL, NULL, NULL, args, { 0 } };
	uint32_t pids[3];
	uint64_t calls[3] = { 150, 1000, 2000 };
	int n = 2;

	go(&u, ref);
	check_status(ref, 0, "untraced");
	trace_path(trace, sizeof(trace), "abrupt");
	j.trace = trace;
	go(&j, x);
	check_status(x, ref->r.status, what);
	pids[0] = (uint32_t)val(x, "pid");
	pids[1] = (uint32_t)val(x, "child");
	if (strcmp(mode, "daemon") == 0) {
		pids[2] = (uint32_t)val(x, "daemon");
		n = 3;
	}
	check_processes(trace, x, pids, calls, n, what);
	check_quiet(x, what);
	free(x);
	free(ref);
}

/* A child makes 1000 calls and _exit()s. */
static void case_abrupt_exit(void)
{
	abrupt_case("fork-exit", "_exit() in a child");
}

/* A child makes 1000 calls and calls daemon(), which _exit()s it; its daemon makes 2000. */
static void case_abrupt_daemon(void)
{
	abrupt_case("daemon", "daemon()");
}

/* A child makes 1000 calls and is killed with SIGKILL. */
static void case_abrupt_kill(void)
{
	abrupt_case("kill", "SIGKILL of a child");
}

/* ---- 6. failures said ------------------------------------------------------------ */

/* The trace goes to /dev/full: every write fails with ENOSPC. */
static void case_dev_full(void)
{
	static const enum how hows[] = { STATIC, PRELOAD };
	const char *args[] = { "calls", "1000", NULL };
	char what[64];
	struct res *x = malloc(sizeof(*x));
	int want = untraced(args);

	for (int k = 0; k < 2; k++) {
		struct job j = { hows[k], "/dev/full", NULL, NULL, args, { 0 } };

		if (hows[k] == PRELOAD && (!lib || access(lib, R_OK) != 0)) {
			tap_skip("no TSCOPE_LIB to preload");
			continue;
		}
		snprintf(what, sizeof(what), "/dev/full, %s", how_name[hows[k]]);
		go(&j, x);
		check_status(x, want, what);
		is_int(said_lines(x), 1, "%s: exactly one tscope: line on stderr", what);
		ok(said(x, "/dev/full"), "%s: it names the file", what);
		ok(said(x, strerror(ENOSPC)), "%s: it gives the cause (%s)", what,
		   strerror(ENOSPC));
		ok(said_number(x, 2000), "%s: it says how many events were lost (2000)", what);
		if (said_lines(x) != 1 || !said(x, strerror(ENOSPC)) || !said_number(x, 2000))
			show_err(x);
	}
	free(x);
}

/* tscope record -o DIR/x.trace where DIR cannot be written. */
static void case_unwritable(void)
{
	const char *args[] = { "calls", "1000", NULL };
	char ro[4200], path[4300], cause[128], what[64];
	struct res *x = malloc(sizeof(*x));
	static const enum how hows[] = { RECORD, STATIC };
	int fd, want = untraced(args);

	sub(ro, sizeof(ro), "read-only");
	mkdir(ro, 0555);
	chmod(ro, 0555);
	if (access(ro, W_OK) == 0) /* root: sysfs refuses new files even to root */
		snprintf(ro, sizeof(ro), "/sys");
	snprintf(path, sizeof(path), "%s/tscope-adverse.trace", ro);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd >= 0) {
		close(fd);
		unlink(path);
		tap_skip("no unwritable directory found");
		free(x);
		return;
	}
	snprintf(cause, sizeof(cause), "%s", strerror(errno));
	for (int k = 0; k < 2; k++) {
		struct job j = { hows[k], path, NULL, NULL, args, { 0 } };

		snprintf(what, sizeof(what), "unwritable directory, %s", how_name[hows[k]]);
		go(&j, x);
		check_status(x, want, what);
		is_int(said_lines(x), 1, "%s: exactly one tscope: line on stderr", what);
		ok(said(x, path), "%s: it names the file", what);
		ok(said(x, cause), "%s: it gives the cause (%s)", what, cause);
		ok(!said(x, "-finstrument-functions") && !said(x, "statically linked"),
		   "%s: with no advice about building or linking the program", what);
		if (said_lines(x) != 1 || !said(x, cause))
			show_err(x);
	}
	chmod(ro, 0755);
	free(x);
}

/* An uninstrumented program under record is reported when it exits. */
static void case_uninstrumented(void)
{
	char trace[4200];
	const char *argv[] = { tscope, "record", "-o", trace, "--", "/bin/true", NULL };
	const char *what = "uninstrumented /bin/true";
	struct opts o = { 0 };
	struct res *x = malloc(sizeof(*x));
	struct tally t;

	trace_path(trace, sizeof(trace), "true");
	run_x(argv, &o, x);
	check_status(x, 0, what);
	is_int(said_lines(x), 1, "%s: one tscope: line on stderr", what);
	ok(said(x, "/bin/true") && said(x, "-finstrument-functions"),
	   "%s: it names the program and says how to build it", what);
	tally_trace(trace, NULL, 0, &t);
	ok(t.rc == 0 && t.complete, "%s: the trace is complete", what);
	tally_free(&t);
	unlink(trace);
	free(x);
}

/* ---- 7. big buffers -------------------------------------------------------------- */

/* The calls row of `tscope report --flat`: "... self% CALLS incl ... name". */
static uint64_t flat_calls(const char *out, const char *fn)
{
	for (const char *p = out; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p), fl = strlen(fn);

		if (len > fl && memcmp(p + len - fl, fn, fl) == 0 && p[len - fl - 1] == ' ') {
			const char *pct = memchr(p, '%', len);

			if (pct)
				return strtoull(pct + 1, NULL, 10);
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	return 0;
}

/*
 * `tscope record -b SIZE` with one program making 20 million calls (40 million events,
 * about 40 MB with --lz4; 8 million calls without LZ4, 256 MB).  Either every call is in
 * the trace and the converter counts them all, or record says clearly that the size is
 * more than it takes.  The program may use at most 8 GiB of address space.
 */
static void big_case(const char *size)
{
#ifdef HAVE_LZ4
	const char *n = "20000000";
	const char *const ropts[] = { "--lz4", NULL };
#else
	const char *n = "8000000";
	const char *const ropts[] = { NULL };
#endif
	const char *args[] = { "calls", n, NULL };
	char trace[4200], what[64];
	struct res *x = malloc(sizeof(*x)), *rep = malloc(sizeof(*rep));
	struct job j = { RECORD, NULL, size, ropts, args, { NULL, NULL, (rlim_t)8 << 30, 55 } };
	uint64_t calls = strtoull(n, NULL, 10);
	struct tally t;
	uint64_t addr[1];
	int want = untraced(args);

	snprintf(what, sizeof(what), "record -b %s", size);
	trace_path(trace, sizeof(trace), "big");
	j.trace = trace;
	go(&j, x);
	if (!x->timed_out && x->r.status == 2 && said_lines(x) == 1 &&
	    (said(x, "buffer") || said(x, "size"))) {
		ok(1, "%s: refused with one clear line", what);
		show_err(x);
		free(x);
		free(rep);
		return;
	}
	check_status(x, want, what);
	ok(said_lines(x) == 0 || (said_lines(x) == 1 && (said(x, "buffer") || said(x, "size"))),
	   "%s: tscope says nothing, or that it capped the size", what);
	if (said_lines(x))
		show_err(x);
	addr[0] = printed(&x->r, "fn", "leaf");
	tally_trace(trace, addr, 1, &t);
	check_intact(&t, what);
	check_calls(&t, 0, x, "leaf", calls, what);
	tally_free(&t);
	{
		const char *argv[] = { tscope, "report", "--flat", trace, NULL };
		struct opts o = { 0 };

		run_x(argv, &o, rep);
		is_int(rep->r.status, 0, "%s: tscope report --flat exits 0", what);
		is_int(said_lines(rep), 0, "%s: with no warning", what);
		if (said_lines(rep))
			show_err(rep);
		is_int(flat_calls(rep->r.out, "leaf"), calls, "%s: and counts every call of leaf",
		       what);
	}
	unlink(trace);
	free(x);
	free(rep);
}

static void case_big_256m(void)
{
	big_case("256M");
}

static void case_big_1g(void)
{
	big_case("1G");
}

/* ---- 8. short runs --------------------------------------------------------------- */

/* Ticks of the first ENTER and EXIT of fn in a trace; 0 when absent. */
static void span_ticks(struct reader *r, uint64_t fn, uint64_t *enter, uint64_t *exit_)
{
	*enter = *exit_ = 0;
	for (size_t i = 0; i < reader_thread_count(r); i++) {
		struct reader_cursor c;
		struct reader_event ev;

		reader_cursor_init(&c, r, i, 0);
		while (reader_next(&c, &ev) > 0) {
			if (ev.addr != fn)
				continue;
			if (ev.kind == READER_EV_ENTER && !*enter)
				*enter = ev.ticks;
			if (ev.kind == READER_EV_EXIT && !*exit_)
				*exit_ = ev.ticks;
		}
		reader_cursor_fini(&c);
	}
}

/*
 * busy() spins 30 ms, measured with CLOCK_MONOTONIC inside it, then 2000 calls follow;
 * the process then exits normally or is killed with SIGKILL, well within its first
 * 100 ms.  busy()'s duration in the trace is within 2% of the program's own measurement,
 * and every call is there (after SIGKILL: salvaged).
 */
static void short_case(int killed)
{
	char trace[4200], e_out[4300], what[64];
	const char *env[] = { e_out, "TSCOPE_BUFFER=1k", NULL };
	struct opts o = { env, NULL, 0, 20 };
	const char *argv[] = { prog, "busy", "30", killed ? "wait" : "exit", NULL };
	struct res *x = malloc(sizeof(*x));
	struct child c;
	struct tally t;
	uint64_t addr[2], want, t0, t1;
	double began;

	snprintf(what, sizeof(what), "30 ms busy, then %s", killed ? "SIGKILL" : "exit");
	trace_path(trace, sizeof(trace), "short");
	snprintf(e_out, sizeof(e_out), "TSCOPE_OUTPUT=%s", trace);
	memset(x, 0, sizeof(*x));
	began = now_s();
	if (launch(argv, &o, errpath, &c) < 0) {
		ok(0, "%s: program starts", what);
		free(x);
		return;
	}
	if (killed) {
		struct timespec ts = { 0, 10000000 };

		run_until(&c, &x->r, "ready");
		nanosleep(&ts, NULL); /* the writer takes what was handed over */
		kill(c.pid, SIGKILL);
	}
	land(&c, x, &o, errpath, began);
	check_status(x, killed ? 128 + SIGKILL : 0, what);
	want = val(x, "busy_ns");
	addr[0] = printed(&x->r, "fn", "busy");
	addr[1] = printed(&x->r, "fn", "leaf");
	tally_trace(trace, addr, 2, &t);
	is_int(t.rc, 0, "%s: the trace opens", what);
	if (!killed)
		ok(t.complete, "%s: the trace is complete", what);
	is_int(t.enters[1], 2000, "%s: the 2000 calls made after busy()", what);
	is_int(t.exits[1], 2000, "%s: and their returns", what);
	t0 = t1 = 0;
	if (t.r)
		span_ticks(t.r, addr[0], &t0, &t1);
	ok(t0 && t1 > t0, "%s: busy() entered and returned in the trace", what);
	if (t0 && t1 > t0) {
		double got = (double)(reader_ns(t.r, t1) - reader_ns(t.r, t0));

		printf("# %s: the program measured %.3f ms, the trace says %.3f ms (%s)\n", what,
		       (double)want / 1e6, got / 1e6,
		       reader_clock(t.r)->estimated ? "tick rate estimated" : "tick rate known");
		ok(want >= 30000000u && got / (double)want > 0.98 && got / (double)want < 1.02,
		   "%s: busy() lasted within 2%% of the program's own measurement", what);
	} else {
		ok(0, "%s: busy() lasted within 2%% of the program's own measurement", what);
	}
	tally_free(&t);
	unlink(trace);
	free(x);
}

static void case_short_exit(void)
{
	short_case(0);
}

static void case_short_kill(void)
{
	short_case(1);
}

/* ---- 9. wrapper processes ---------------------------------------------------------- */

/*
 * `tscope record -- WRAPPER...` that runs prog-adverse-plain: every file of the
 * recording is complete, `tscope report` takes them all with no warning, and the calls
 * of the real program are all there.
 */
static void wrap_case(const char *const *cmd, uint64_t calls, const char *what)
{
	char trace[4200], files[16][4400];
	const char *argv[32];
	struct opts o = { 0 };
	struct res *x = malloc(sizeof(*x)), *rep = malloc(sizeof(*rep));
	uint64_t enters = 0, exits = 0;
	int n = 0, nf, complete = 0, want;

	trace_path(trace, sizeof(trace), "wrap");
	run_x(cmd, &o, x); /* untraced */
	want = x->timed_out ? -1 : x->r.status;
	argv[n++] = tscope;
	argv[n++] = "record";
	argv[n++] = "--no-hint";
	argv[n++] = "-o";
	argv[n++] = trace;
	argv[n++] = "--";
	for (; *cmd; cmd++)
		argv[n++] = *cmd;
	argv[n] = NULL;
	run_x(argv, &o, x);
	check_status(x, want, what);
	check_quiet(x, what);
	nf = trace_files(trace, files, 16);
	for (int f = 0; f < nf; f++) {
		struct count k;

		count_file(files[f], &k);
		complete += k.rc == 0 && k.complete && !k.lost && !k.missing && !k.bad;
		if (k.rc || !k.complete)
			printf("#   %s: %s\n", files[f], k.rc ? "does not open" : "not complete");
		enters += k.enters;
		exits += k.exits;
	}
	is_int(complete, nf, "%s: all %d trace files complete, nothing lost", what, nf);
	is_int(enters, calls, "%s: the %" PRIu64 " calls of the real program", what, calls);
	is_int(exits, calls, "%s: and their returns", what);
	{
		const char *rargv[24];
		int m = 0;

		rargv[m++] = tscope;
		rargv[m++] = "report";
		for (int f = 0; f < nf && m < 22; f++)
			rargv[m++] = files[f];
		rargv[m] = NULL;
		run_x(rargv, &o, rep);
		is_int(rep->r.status, 0, "%s: tscope report on all %d files exits 0", what, nf);
		ok(!strstr(rep->err, "truncated"), "%s: and says no file is truncated", what);
		if (rep->r.status || strstr(rep->err, "truncated"))
			show_err(rep);
	}
	for (int f = 0; f < nf; f++)
		unlink(files[f]);
	free(x);
	free(rep);
}

static void case_wrap_sh(void)
{
	char line[4300];
	const char *cmd[] = { "/bin/sh", "-c", line, NULL };

	snprintf(line, sizeof(line), "'%s' calls 1000", plain);
	wrap_case(cmd, 1000, "sh -c 'prog ...'");
}

static void case_wrap_taskset(void)
{
	const char *cmd[] = { "taskset", "-c", "0", plain, "calls", "1000", NULL };
	char path[64] = "";
	static const char *const where[] = { "/usr/bin/taskset", "/bin/taskset" };

	for (size_t i = 0; i < TS_ARRAY_SIZE(where); i++)
		if (!*path && access(where[i], X_OK) == 0)
			snprintf(path, sizeof(path), "%s", where[i]);
	if (!*path) {
		tap_skip("no taskset");
		return;
	}
	cmd[0] = path;
	wrap_case(cmd, 1000, "taskset -c 0 prog");
}

/* The program runs itself through system() and popen(): 100 + 50 calls of its own,
 * 1000 in each of the two. */
static void case_wrap_system(void)
{
	const char *cmd[] = { plain, "system", "1000", NULL };

	wrap_case(cmd, 150 + 2 * 1000, "system() and popen()");
}

/* ---- cases ------------------------------------------------------------------------ */

struct tcase {
	const char *name;
	void (*fn)(void);
	int timeout; /* seconds */
};

static const struct tcase cases[] = {
	{ "fd-close-range", case_fd_close_range, 60 },
	{ "fd-close-loop", case_fd_close_loop, 60 },
	{ "fd-dup2", case_fd_dup2, 60 },
	{ "timer-real-4k", case_timer_real_4k, 60 },
	{ "timer-real-64M", case_timer_real_64m, 60 },
	{ "timer-prof-4k", case_timer_prof_4k, 60 },
	{ "timer-prof-64M", case_timer_prof_64m, 60 },
	{ "segv-longjmp", case_segv, 60 },
	{ "oom-threads", case_oom, 60 },
	{ "cancel-async", case_cancel_async, 60 },
	{ "cancel-deferred", case_cancel_deferred, 60 },
	{ "pthread-exit", case_pthread_exit, 60 },
	{ "abrupt-exit", case_abrupt_exit, 60 },
	{ "abrupt-daemon", case_abrupt_daemon, 60 },
	{ "abrupt-kill", case_abrupt_kill, 60 },
	{ "fail-dev-full", case_dev_full, 60 },
	{ "fail-unwritable", case_unwritable, 60 },
	{ "fail-uninstrumented", case_uninstrumented, 60 },
	{ "big-256M", case_big_256m, 60 },
	{ "big-1G", case_big_1g, 60 },
	{ "short-exit", case_short_exit, 60 },
	{ "short-kill", case_short_kill, 60 },
	{ "wrap-sh", case_wrap_sh, 60 },
	{ "wrap-taskset", case_wrap_taskset, 60 },
	{ "wrap-system", case_wrap_system, 60 },
};

/* Count the TAP lines the case's child printed, as they pass through. */
static void relay(const char *line)
{
	fputs(line, stdout);
	if (strncmp(line, "ok ", 3) == 0) {
		tap_n++;
	} else if (strncmp(line, "not ok ", 7) == 0) {
		tap_n++;
		tap_failed++;
	}
}

/*
 * Run one case in a child, in its own process group and directory, relaying its TAP
 * lines.  A case that crashes, or passes its timeout, is reported as a failure under its
 * name, and killed with everything it started.
 */
static void run_case(const struct tcase *tc)
{
	char line[4096], buf[4096], cdir[4096];
	size_t have = 0;
	double deadline = now_s() + tc->timeout;
	int fd[2], st = 0, timed_out = 0;
	pid_t pid;

	snprintf(cdir, sizeof(cdir), "%s/%s", base, tc->name);
	rm_tree(cdir);
	mkdir(cdir, 0777);
	printf("# %s\n", tc->name);
	fflush(stdout);
	if (pipe(fd) < 0) {
		ok(0, "%s: pipe", tc->name);
		return;
	}
	pid = fork();
	if (pid == 0) {
		struct sigaction sa;

		setpgid(0, 0);
		close(fd[0]);
		dup2(fd[1], 1);
		close(fd[1]);
		setvbuf(stdout, NULL, _IOLBF, 0);
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_stop;
		sigaction(SIGTERM, &sa, NULL);
		snprintf(dir, sizeof(dir), "%s", cdir);
		snprintf(errpath, sizeof(errpath), "%s/stderr.txt", cdir);
		tc->fn();
		fflush(stdout);
		_exit(0);
	}
	close(fd[1]);
	if (pid < 0) {
		close(fd[0]);
		ok(0, "%s: fork", tc->name);
		return;
	}
	setpgid(pid, pid);
	for (;;) {
		struct pollfd p = { fd[0], POLLIN, 0 };
		double left = deadline - now_s();
		ssize_t k;
		char *nl;

		if (left <= 0) {
			timed_out = 1;
			kill(pid, SIGTERM); /* it kills the programs it started */
			sleep(1);
			kill(-pid, SIGKILL);
			break;
		}
		if (poll(&p, 1, (int)(left * 1000) + 1) <= 0)
			continue; /* interrupted, or the deadline: seen above */
		k = read(fd[0], buf + have, sizeof(buf) - 1 - have);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		have += (size_t)k;
		buf[have] = 0;
		while ((nl = strchr(buf, '\n')) != NULL) {
			size_t len = (size_t)(nl - buf) + 1;

			memcpy(line, buf, len);
			line[len] = 0;
			relay(line);
			memmove(buf, nl + 1, have - len + 1);
			have -= len;
		}
		if (have == sizeof(buf) - 1) { /* a line too long: pass it on as it is */
			relay(buf);
			have = 0;
		}
	}
	close(fd[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	kill(-pid, SIGKILL);
	if (timed_out)
		ok(0, "%s: finished within %d s (it hung: killed)", tc->name, tc->timeout);
	else if (WIFSIGNALED(st))
		ok(0, "%s: the test itself ended by signal %d", tc->name, WTERMSIG(st));
	if (!getenv("TSCOPE_ADVERSE_KEEP"))
		rm_tree(cdir);
}

int main(int argc, char **argv)
{
	const char *top = getenv("top_builddir");
	int ran = 0;

	if (argc > 1 && strcmp(argv[1], "--list") == 0) {
		for (size_t i = 0; i < TS_ARRAY_SIZE(cases); i++)
			printf("%s\n", cases[i].name);
		return 0;
	}
	if (!top)
		top = ".";
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	lib = getenv("TSCOPE_LIB");
	snprintf(base, sizeof(base), "%s/tests/tmp-adverse", top);
	mkdir(base, 0777);
	snprintf(tscope, sizeof(tscope), "%s/tools/tscope", top);
	snprintf(prog, sizeof(prog), "%s/tests/prog-adverse", top);
	snprintf(plain, sizeof(plain), "%s/tests/prog-adverse-plain", top);
	for (size_t i = 0; i < TS_ARRAY_SIZE(cases); i++) {
		int want = argc == 1;

		for (int a = 1; a < argc; a++)
			want |= strcmp(argv[a], cases[i].name) == 0;
		if (!want)
			continue;
		run_case(&cases[i]);
		ran++;
	}
	if (!ran) {
		fprintf(stderr, "test-adverse: no such case (--list names them)\n");
		return 2;
	}
	rmdir(base);
	return done();
}
