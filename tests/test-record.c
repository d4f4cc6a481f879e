/* SPDX-License-Identifier: MIT */
/*
 * test-record.c - the recording runtime against real traced programs.
 *
 * Runs tests/prog-calls (built with -finstrument-functions, libtscope linked
 * statically) in every scenario, and the same program preloaded, then reads each
 * trace with the reader and checks exact event counts, names and values.  Each case
 * runs in a child of its own (tests/runner.h): `tests/test-record --list` lists them.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reader.h"
#include "tscope.h"
#include "harness.h"
#include "runner.h"

static char prog[4096]; /* tests/prog-calls */
static char plain[4096]; /* tests/prog-plain: the same, not linked with libtscope */
static const char *lib; /* libtscope.so, for the preload runs */

static void test_abc(const char *binary, const char *how)
{
	char path[4200], env_out[4300], env_pre[4300];
	const char *argv[] = { binary, "abc", NULL };
	const char *env[] = { env_out, env_pre, NULL };
	struct run *r = malloc(sizeof(*r));
	struct tally t;
	uint64_t addr[3];

	trace_path(path, sizeof(path), how);
	snprintf(env_out, sizeof(env_out), "TSCOPE_OUTPUT=%s", path);
	snprintf(env_pre, sizeof(env_pre), "LD_PRELOAD=%s", binary == plain ? lib : "");
	ok(run_capture(argv, env, r) == 0 && r->status == 0, "%s: a->b->c program runs", how);
	addr[0] = printed(r, "fn", "a");
	addr[1] = printed(r, "fn", "b");
	addr[2] = printed(r, "fn", "c");
	tally_trace(path, addr, 3, &t);
	is_int(t.rc, 0, "%s: trace opens", how);
	ok(t.complete, "%s: trace is complete", how);
	is_int(t.enters[0], 3, "%s: a entered 3 times", how);
	is_int(t.exits[0], 3, "%s: a exited 3 times", how);
	is_int(t.enters[1], 6, "%s: b entered 6 times", how);
	is_int(t.exits[1], 6, "%s: b exited 6 times", how);
	is_int(t.enters[2], 18, "%s: c entered 18 times", how);
	is_int(t.exits[2], 18, "%s: c exited 18 times", how);
	is_int(t.lost, 0, "%s: nothing lost", how);
	tally_free(&t);
	free(r);
}

static const char *compress = "TSCOPE_COMPRESS=none";

/* n threads x calls, with buffer bytes per thread: every event of every thread. */
static void test_threads(const char *binary, int n, long calls, const char *buffer,
			 const char *how)
{
	char path[4200], env_out[4300], env_buf[64], env_pre[4300], sn[16], sc[32];
	const char *argv[] = { binary, "threads", sn, sc, NULL };
	const char *env[] = { env_out, env_buf, env_pre, compress, NULL };
	struct run *r = malloc(sizeof(*r));
	struct tally t;
	uint64_t addr[1];
	int exact = 0, named = 0;

	snprintf(sn, sizeof(sn), "%d", n);
	snprintf(sc, sizeof(sc), "%ld", calls);
	trace_path(path, sizeof(path), how);
	snprintf(env_out, sizeof(env_out), "TSCOPE_OUTPUT=%s", path);
	snprintf(env_buf, sizeof(env_buf), "TSCOPE_BUFFER=%s", buffer);
	snprintf(env_pre, sizeof(env_pre), "LD_PRELOAD=%s", binary == plain ? lib : "");
	ok(run_capture(argv, env, r) == 0 && r->status == 0, "%s: program runs", how);
	addr[0] = printed(r, "fn", "leaf");
	tally_trace(path, addr, 1, &t);
	is_int(t.rc, 0, "%s: trace opens", how);
	ok(t.complete, "%s: trace is complete", how);
	is_int(t.threads, n, "%s: %d threads recorded", how, n);
	for (size_t i = 0; i < t.threads && i < 64; i++) {
		char want[32];

		exact += t.thread_events[i] == (uint64_t)(2 * calls);
		for (int k = 0; k < n; k++) {
			snprintf(want, sizeof(want), "worker-%d", k);
			named += t.thread_names[i] && strcmp(t.thread_names[i], want) == 0;
		}
	}
	is_int(exact, n, "%s: each thread has exactly %ld events", how, 2 * calls);
	is_int(named, n, "%s: each thread carries its name", how);
	is_int(t.enters[0], n * calls, "%s: leaf entered %ld times", how, n * calls);
	is_int(t.exits[0], n * calls, "%s: leaf exited %ld times", how, n * calls);
	is_int(t.lost, 0, "%s: nothing lost", how);
	tally_free(&t);
	free(r);
}

static void test_early_exit(void)
{
	char path[4200], env_out[4300];
	const char *argv[] = { prog, "early", NULL };
	const char *env[] = { env_out, "TSCOPE_BUFFER=64k", NULL };
	struct run *r = malloc(sizeof(*r));
	struct tally t;
	uint64_t addr[1];

	trace_path(path, sizeof(path), "early");
	snprintf(env_out, sizeof(env_out), "TSCOPE_OUTPUT=%s", path);
	ok(run_capture(argv, env, r) == 0 && r->status == 0, "early: program runs");
	addr[0] = printed(r, "fn", "leaf");
	tally_trace(path, addr, 1, &t);
	is_int(t.threads, 4, "early: main and 3 threads that exited early");
	is_int(t.enters[0], 3 * 1000 + 5000, "early: every leaf call, theirs and main's");
	is_int(t.exits[0], 3 * 1000 + 5000, "early: every leaf return");
	tally_free(&t);
	free(r);
}

static void test_exit_deep(void)
{
	char path[4200], env_out[4300];
	const char *argv[] = { prog, "exit-deep", NULL };
	const char *env[] = { env_out, NULL };
	struct run *r = malloc(sizeof(*r));
	struct tally t;
	uint64_t addr[2];

	trace_path(path, sizeof(path), "exit-deep");
	snprintf(env_out, sizeof(env_out), "TSCOPE_OUTPUT=%s", path);
	ok(run_capture(argv, env, r) == 0 && r->status == 3,
	   "exit-deep: exit(3) deep in the stack");
	addr[0] = printed(r, "fn", "deep");
	addr[1] = printed(r, "fn", "leaf");
	tally_trace(path, addr, 2, &t);
	ok(t.complete, "exit-deep: trace is complete");
	is_int(t.enters[0], 11, "exit-deep: all 11 entries of deep() up to exit()");
	is_int(t.exits[0], 0, "exit-deep: no return from deep()");
	is_int(t.enters[1], 100, "exit-deep: the 100 earlier calls");
	tally_free(&t);
	free(r);
}

/* A crash deep in the stack: every event up to it, and the untraced exit status. */
static void test_crash(const char *how, int status)
{
	char path[4200], env_out[4300], name[64];
	const char *argv[] = { prog, "crash", how, NULL };
	const char *env[] = { env_out, NULL };
	struct run *r = malloc(sizeof(*r));
	struct tally t;
	uint64_t addr[2];

	snprintf(name, sizeof(name), "crash-%s", how);
	trace_path(path, sizeof(path), name);
	snprintf(env_out, sizeof(env_out), "TSCOPE_OUTPUT=%s", path);
	ok(run_capture(argv, env, r) == 0, "%s: program runs", name);
	is_int(r->status, status, "%s: exit status as untraced", name);
	addr[0] = printed(r, "fn", "deep");
	addr[1] = printed(r, "fn", "leaf");
	tally_trace(path, addr, 2, &t);
	ok(t.complete, "%s: trace is complete", name);
	is_int(t.enters[0], 11, "%s: all 11 entries of deep() up to the crash", name);
	is_int(t.exits[0], 0, "%s: no return from deep()", name);
	is_int(t.enters[1], 100, "%s: the 100 earlier calls", name);
	tally_free(&t);
	free(r);
}

static void test_fork(void)
{
	char path[4200], child_path[4300], env_out[4300];
	const char *argv[] = { prog, "fork", NULL };
	const char *env[] = { env_out, NULL };
	struct run *r = malloc(sizeof(*r));
	struct tally t;
	uint64_t addr[1];

	trace_path(path, sizeof(path), "fork");
	snprintf(env_out, sizeof(env_out), "TSCOPE_OUTPUT=%s", path);
	ok(run_capture(argv, env, r) == 0 && r->status == 0, "fork: program runs");
	addr[0] = printed(r, "fn", "leaf");
	tally_trace(path, addr, 1, &t);
	ok(t.complete, "fork: parent trace is complete");
	is_int(t.enters[0], 15, "fork: parent trace has the parent's 15 calls");
	tally_free(&t);
	snprintf(child_path, sizeof(child_path), "%s.%d", path, (int)printed(r, "val", "child"));
	tally_trace(child_path, addr, 1, &t);
	is_int(t.rc, 0, "fork: child wrote PATH.<pid>");
	ok(t.complete, "fork: child trace is complete");
	is_int(t.enters[0], 20, "fork: child trace has the child's 20 calls only");
	if (t.rc == 0)
		is_int(reader_info(t.r)->pid, printed(r, "val", "child"), "fork: with the child's pid");
	tally_free(&t);
	unlink(child_path);
	free(r);
}

static void test_api(const char *binary, const char *how)
{
	char path[4200], env_out[4300], env_pre[4300];
	const char *argv[] = { binary, "api", NULL };
	const char *env[] = { env_out, env_pre, NULL };
	struct run *r = malloc(sizeof(*r));
	struct tally t;

	trace_path(path, sizeof(path), how);
	snprintf(env_out, sizeof(env_out), "TSCOPE_OUTPUT=%s", path);
	snprintf(env_pre, sizeof(env_pre), "LD_PRELOAD=%s", binary == plain ? lib : "");
	ok(run_capture(argv, env, r) == 0 && r->status == 0, "%s: program runs", how);
	tally_trace(path, NULL, 0, &t);
	is_int(t.begins, 7, "%s: 7 scopes by static name", how);
	is_int(t.copies, 3, "%s: 3 scopes by copied name", how);
	is_int(t.ends, 10, "%s: 10 scope ends", how);
	is_int(t.instants, 2, "%s: 2 instants", how);
	is_int(t.counters, 5, "%s: 5 counter samples", how);
	is_int(t.counter_sum, 1000 + 2000 + 3000 + 4000 - 5, "%s: counter values", how);
	is_str(t.names,
	       "outer,scoped_fn,scoped_fn,scoped_fn,scoped_fn,scoped_fn,dyn-0,dyn-1,dyn-2,"
	       "explicit,mark,mark,queue,queue,queue,queue,neg",
	       "%s: names in order", how);
	tally_free(&t);
	free(r);
}

static void test_calibration(void)
{
	char path[4200], env_out[4300];
	const char *argv[] = { prog, "calib", NULL };
	const char *env[] = { env_out, NULL };
	struct run *r = malloc(sizeof(*r));
	struct tally t;
	uint64_t t0, t1, n0, n1;
	double want, got;

	trace_path(path, sizeof(path), "calib");
	snprintf(env_out, sizeof(env_out), "TSCOPE_OUTPUT=%s", path);
	ok(run_capture(argv, env, r) == 0 && r->status == 0, "calib: program runs 200 ms");
	t0 = printed(r, "val", "t0");
	t1 = printed(r, "val", "t1");
	tally_trace(path, NULL, 0, &t);
	ok(t.rc == 0 && t.first_instant[0] && t.first_instant[1], "calib: both instants found");
	if (t.rc == 0) {
		n0 = reader_ns(t.r, t.first_instant[0]);
		n1 = reader_ns(t.r, t.first_instant[1]);
		want = (double)(t1 - t0);
		got = (double)(n1 - n0);
		ok(want >= 2e8 && got / want > 0.999 && got / want < 1.001,
		   "calib: counter-to-ns within 0.1%% of CLOCK_MONOTONIC over 200 ms");
		printf("# monotonic %.0f ns, trace %.0f ns, ratio %.6f\n", want, got, got / want);
		ok(!reader_clock(t.r)->estimated, "calib: rate from two sync points");
	}
	tally_free(&t);
	free(r);
}

static void test_pause(const char *mode)
{
	char path[4200], env_out[4300], env_mode[64];
	const char *argv[] = { prog, "pause", NULL };
	const char *env[] = { env_out, env_mode, NULL };
	struct run *r = malloc(sizeof(*r));
	struct tally t;
	uint64_t addr[1];

	snprintf(env_mode, sizeof(env_mode), "TSCOPE_MODE=%s", mode);
	trace_path(path, sizeof(path), mode);
	snprintf(env_out, sizeof(env_out), "TSCOPE_OUTPUT=%s", path);
	ok(run_capture(argv, env, r) == 0 && r->status == 0, "pause, %s: program runs", mode);
	addr[0] = printed(r, "fn", "leaf");
	tally_trace(path, addr, 1, &t);
	is_int(t.enters[0], 110, "pause, %s: calls while paused are not recorded", mode);
	is_int(t.exits[0], 110, "pause, %s: nor their returns", mode);
	is_int(t.lost, 0, "pause, %s: and are not counted as lost", mode);
	tally_free(&t);
	free(r);
}

static void test_start_stop(void)
{
	char path[4200], auto_path[4200], env_out[4300];
	const char *argv[] = { prog, "start", path, NULL };
	const char *env[] = { env_out, NULL };
	struct run *r = malloc(sizeof(*r));
	struct tally t;
	uint64_t addr[1];
	struct stat st;

	trace_path(path, sizeof(path), "start");
	trace_path(auto_path, sizeof(auto_path), "start-auto");
	snprintf(env_out, sizeof(env_out), "TSCOPE_OUTPUT=%s", auto_path);
	ok(run_capture(argv, env, r) == 0 && r->status == 0, "start: program runs");
	is_int(printed(r, "val", "start"), 0, "start: tscope_start() takes over");
	is_int((int)printed(r, "val", "again"), TSCOPE_EBUSY, "start: a second start is EBUSY");
	is_int(printed(r, "val", "flush"), 0, "start: tscope_flush() succeeds");
	is_int((int)printed(r, "val", "snapshot"), TSCOPE_ESTATE,
	       "start: tscope_snapshot() outside ring mode is ESTATE");
	is_int(printed(r, "val", "stop"), 0, "start: tscope_stop() succeeds");
	is_int(printed(r, "val", "stop2"), 0, "start: a second stop is a no-op");
	ok(stat(auto_path, &st) < 0, "start: the automatic session's file was never made");
	addr[0] = printed(r, "fn", "leaf");
	tally_trace(path, addr, 1, &t);
	ok(t.complete, "start: the explicit file is complete");
	is_int(t.enters[0], 100, "start: calls between start and stop, none after");
	tally_free(&t);
	free(r);
}

static void test_ring(void)
{
	char path[4200], env_out[4300];
	const char *argv[] = { prog, "ring", "100000", NULL };
	const char *env[] = { env_out, "TSCOPE_MODE=ring", "TSCOPE_BUFFER=64k", NULL };
	struct run *r = malloc(sizeof(*r));
	struct tally t;
	uint64_t addr[1];

	trace_path(path, sizeof(path), "ring");
	snprintf(env_out, sizeof(env_out), "TSCOPE_OUTPUT=%s", path);
	ok(run_capture(argv, env, r) == 0 && r->status == 0, "ring: program runs");
	addr[0] = printed(r, "fn", "leaf");
	tally_trace(path, addr, 1, &t);
	ok(t.complete, "ring: trace is complete");
	ok(t.rc == 0 && (reader_info(t.r)->flags & TSF_HF_RING), "ring: header says ring mode");
	/* 8 blocks of 512 events: 7 full ones and the 200000 %% 512 = 320 newest */
	is_int(t.thread_events[0], 7 * 512 + 320, "ring: the newest 3904 events are kept");
	is_int(t.enters[0], 1952, "ring: 1952 entries");
	is_int(t.exits[0], 1952, "ring: 1952 returns");
	is_int(t.lost, 0, "ring: overwritten events are not lost ones");
	tally_free(&t);
	free(r);
}

static void test_snapshot(void)
{
	char path[4200], env_out[4300];
	const char *argv[] = { prog, "snapshot", NULL };
	const char *env[] = { env_out, "TSCOPE_MODE=ring", "TSCOPE_BUFFER=64k",
			      "TSCOPE_SNAPSHOT_SIGNAL=USR2", NULL };
	struct run *r = malloc(sizeof(*r));
	struct tally t;
	uint64_t addr[1];

	trace_path(path, sizeof(path), "snapshot");
	snprintf(env_out, sizeof(env_out), "TSCOPE_OUTPUT=%s", path);
	ok(run_capture(argv, env, r) == 0 && r->status == 0, "snapshot: program runs");
	is_int(printed(r, "val", "snap"), 0, "snapshot: tscope_snapshot() succeeds");
	addr[0] = printed(r, "fn", "leaf");
	tally_trace(path, addr, 1, &t);
	ok(t.complete, "snapshot: trace is complete");
	is_int(t.enters[0], 1015, "snapshot: by call, by signal, at exit: every call once");
	is_int(t.exits[0], 1015, "snapshot: every return once");
	tally_free(&t);
	free(r);
}

static void test_disabled(void)
{
	char path[4200], env_out[4300];
	const char *argv[] = { prog, "abc", NULL };
	const char *env[] = { env_out, "TSCOPE_ENABLE=0", NULL };
	struct run *r = malloc(sizeof(*r));
	struct stat st;

	trace_path(path, sizeof(path), "disabled");
	snprintf(env_out, sizeof(env_out), "TSCOPE_OUTPUT=%s", path);
	ok(run_capture(argv, env, r) == 0 && r->status == 0, "TSCOPE_ENABLE=0: program runs");
	ok(stat(path, &st) < 0 && errno == ENOENT, "TSCOPE_ENABLE=0: no file is written");
	free(r);
}

/* The cases that run a function above with arguments. */
static void case_abc(void)
{
	test_abc(prog, "abc-static");
}

static void case_threads_4x1m(void)
{
	test_threads(prog, 4, 1000000, "4k", "4x1M-4k");
}

static void case_threads_8x20k(void)
{
	test_threads(prog, 8, 20000, "1M", "8x20k");
}

static void case_crash_segv(void)
{
	test_crash("segv", 128 + SIGSEGV);
}

static void case_crash_abort(void)
{
	test_crash("abort", 128 + SIGABRT);
}

static void case_crash_term(void)
{
	test_crash("term", 128 + SIGTERM);
}

static void case_crash_fpe(void)
{
	test_crash("fpe", 128 + SIGFPE);
}

static void case_crash_bus(void)
{
	test_crash("bus", 128 + SIGBUS);
}

#if defined(__x86_64__)
static void case_crash_ill(void)
{
	test_crash("ill", 128 + SIGILL);
}
#endif

static void case_crash_own_handler(void)
{
	test_crash("own-handler", 7);
}

static void case_api(void)
{
	test_api(prog, "api-static");
}

static void case_pause_stream(void)
{
	test_pause("stream");
}

static void case_pause_ring(void)
{
	test_pause("ring");
}

static void case_threads_lz4(void)
{
#ifdef HAVE_LZ4
	compress = "TSCOPE_COMPRESS=lz4";
	test_threads(prog, 4, 1000000, "64k", "4x1M-lz4");
	compress = "TSCOPE_COMPRESS=none";
#else
	tap_skip("built without LZ4");
#endif
}

/* The same program, not linked with libtscope: the shared library preloaded. */
static void case_preload(void)
{
	if (lib && access(lib, R_OK) == 0) {
		test_abc(plain, "abc-preload");
		test_threads(plain, 4, 100000, "16k", "4x100k-preload");
	} else {
		tap_skip("no TSCOPE_LIB: preload runs");
	}
}

static const struct test_case cases[] = {
	{ "abc", case_abc, 0 },
	{ "threads-4x1M", case_threads_4x1m, 300 },
	{ "threads-8x20k", case_threads_8x20k, 0 },
	{ "early-exit", test_early_exit, 0 },
	{ "exit-deep", test_exit_deep, 0 },
	{ "crash-segv", case_crash_segv, 0 },
	{ "crash-abort", case_crash_abort, 0 },
	{ "crash-term", case_crash_term, 0 },
	{ "crash-fpe", case_crash_fpe, 0 },
	{ "crash-bus", case_crash_bus, 0 },
#if defined(__x86_64__)
	{ "crash-ill", case_crash_ill, 0 },
#endif
	{ "crash-own-handler", case_crash_own_handler, 0 },
	{ "fork", test_fork, 0 },
	{ "api", case_api, 0 },
	{ "calibration", test_calibration, 0 },
	{ "pause-stream", case_pause_stream, 0 },
	{ "pause-ring", case_pause_ring, 0 },
	{ "start-stop", test_start_stop, 0 },
	{ "disabled", test_disabled, 0 },
	{ "ring", test_ring, 0 },
	{ "snapshot", test_snapshot, 0 },
	{ "threads-lz4", case_threads_lz4, 300 },
	{ "preload", case_preload, 0 },
	{ NULL, NULL, 0 },
};

int main(int argc, char **argv)
{
	const char *top = getenv("top_builddir");

	if (!top)
		top = ".";
	lib = getenv("TSCOPE_LIB");
	snprintf(dir, sizeof(dir), "%s/tests/tmp-record", top);
	mkdir(dir, 0777);
	tap_scratch(dir);
	snprintf(prog, sizeof(prog), "%s/tests/prog-calls", top);
	snprintf(plain, sizeof(plain), "%s/tests/prog-plain", top);
	return run_tests(argc, argv, cases);
}
