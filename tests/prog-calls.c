/* SPDX-License-Identifier: MIT */
/*
 * prog-calls.c - a traced program with known call counts, driven by test-record.c.
 *
 * Built with -finstrument-functions.  The first argument picks a scenario; the program
 * prints "fn NAME 0xADDR" for the functions whose events the test counts (their
 * runtime addresses, as the trace records them) and "val NAME N" for other facts.
 * Functions named run_* or starting threads are not instrumented, so that the
 * counts below are exact.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef PROG_PLAIN
/* Not linked with libtscope (it is preloaded, or absent): no API, threads are named
 * the usual way, and the runtime must find the names by itself. */
#define TSCOPE_DISABLE
#include "tscope.h"
#define tscope_thread_name(n) pthread_setname_np(pthread_self(), (n))
#else
#include "tscope.h"
#endif

#define NOINSTR __attribute__((no_instrument_function))

static volatile int sink;

__attribute__((noinline)) static void c(void)
{
	sink++;
}

__attribute__((noinline)) static void b(void)
{
	for (int i = 0; i < 3; i++)
		c();
}

__attribute__((noinline)) static void a(void)
{
	b();
	b();
}

__attribute__((noinline)) static int leaf(int x)
{
	__asm__ __volatile__("");
	return x + 1;
}

NOINSTR static void print_fn(const char *name, void (*fn)(void))
{
	printf("fn %s %p\n", name, (void *)fn);
}

NOINSTR static void print_leaf(void)
{
	printf("fn leaf %p\n", (void *)leaf);
}

NOINSTR static int run_abc(void)
{
	for (int i = 0; i < 3; i++)
		a(); /* a 3, b 6, c 18 */
	print_fn("a", a);
	print_fn("b", b);
	print_fn("c", c);
	return 0;
}

struct worker {
	pthread_t thread;
	int index;
	long calls;
};

NOINSTR static void *worker_main(void *arg)
{
	struct worker *w = arg;
	char name[32];
	int s = 0;

	snprintf(name, sizeof(name), "worker-%d", w->index);
	tscope_thread_name(name);
	for (long i = 0; i < w->calls; i++)
		s = leaf(s);
	__atomic_store_n(&sink, s, __ATOMIC_RELAXED); /* the workers race to here */
	return NULL;
}

/* n threads of calls leaf() calls each; main makes main_calls. */
NOINSTR static int run_threads(int n, long calls, long main_calls, int sleep_ms)
{
	struct worker w[64];

	if (n > 64)
		n = 64;
	for (int i = 0; i < n; i++) {
		w[i].index = i;
		w[i].calls = calls;
		pthread_create(&w[i].thread, NULL, worker_main, &w[i]);
	}
	if (sleep_ms) {
		/* the workers exit early: main goes on recording after they are gone */
		for (int i = 0; i < n; i++)
			pthread_join(w[i].thread, NULL);
	}
	for (long i = 0; i < main_calls; i++)
		sink = leaf(sink);
	if (sleep_ms) {
		struct timespec ts = { 0, sleep_ms * 1000000L };

		nanosleep(&ts, NULL);
	} else {
		for (int i = 0; i < n; i++)
			pthread_join(w[i].thread, NULL);
	}
	print_leaf();
	return 0;
}

/* Called through a pointer: gcc 12 takes exit() at the bottom of deep() for an
 * infinite recursion when the calls are instrumented. */
static void (*volatile bottom)(int) = exit;

__attribute__((noinline)) static void deep(int n)
{
	if (n == 0) {
		fflush(stdout);
		bottom(3);
	} else {
		deep(n - 1);
	}
	sink++;
}

NOINSTR static int run_exit_deep(void)
{
	printf("fn deep %p\n", (void *)deep);
	print_leaf();
	for (int i = 0; i < 100; i++)
		sink = leaf(sink);
	deep(10); /* 11 enters, no exit: exit() is called at the bottom */
	return 0;
}

static volatile int *volatile nowhere;

/* A real fault, not a sanitizer's report of one: the crash tests need the signal. */
NOINSTR __attribute__((no_sanitize("address", "undefined"))) static void crash_segv(int code)
{
	(void)code;
	*nowhere = 1;
}

NOINSTR static void crash_abort(int code)
{
	(void)code;
	abort();
}

static volatile int zero;

NOINSTR __attribute__((no_sanitize("address", "undefined"))) static void crash_fpe(int code)
{
	(void)code;
	zero = 7 / zero; /* integer division by zero: SIGFPE on x86-64 */
	raise(SIGFPE);   /* where it does not trap */
}

NOINSTR static void crash_ill(int code)
{
	(void)code;
	__builtin_trap(); /* ud2 on x86-64: SIGILL; brk on aarch64: SIGTRAP */
}

NOINSTR static void crash_bus(int code)
{
	(void)code;
	raise(SIGBUS);
}

NOINSTR static void crash_term(int code)
{
	(void)code;
	kill(getpid(), SIGTERM);
	for (;;)
		pause();
}

NOINSTR static void own_handler(int sig)
{
	(void)sig;
	fflush(stdout);
	exit(7); /* the program's handler decides: exit status 7 */
}

/* deep(10) ending in a crash of the given kind. */
NOINSTR static int run_crash(const char *how)
{
	printf("fn deep %p\n", (void *)deep);
	print_leaf();
	for (int i = 0; i < 100; i++)
		sink = leaf(sink);
	if (strcmp(how, "segv") == 0) {
		bottom = crash_segv;
	} else if (strcmp(how, "abort") == 0) {
		bottom = crash_abort;
	} else if (strcmp(how, "term") == 0) {
		bottom = crash_term;
	} else if (strcmp(how, "fpe") == 0) {
		bottom = crash_fpe;
	} else if (strcmp(how, "ill") == 0) {
		bottom = crash_ill;
	} else if (strcmp(how, "bus") == 0) {
		bottom = crash_bus;
	} else {
		signal(SIGSEGV, own_handler);
		bottom = crash_segv;
	}
	deep(10);
	return 0;
}

/* 5 calls, then this program again as "abc": a new image in the same process. */
NOINSTR static int run_exec(const char *self)
{
	print_leaf();
	for (int i = 0; i < 5; i++)
		sink = leaf(sink);
	printf("val pid %d\n", (int)getpid());
	fflush(stdout);
	execl(self, self, "abc", (char *)NULL);
	return 1;
}

/* 5 calls, an exec() that fails, 7 calls: errno is the exec()'s, and recording goes
 * on (under record, into a new file). */
NOINSTR static int run_exec_fail(void)
{
	int e;

	print_leaf();
	for (int i = 0; i < 5; i++)
		sink = leaf(sink);
	execl("/nonexistent/tscope-test", "tscope-test", (char *)NULL);
	e = errno;
	execlp("tscope-test-nonexistent", "tscope-test-nonexistent", (char *)NULL);
	printf("val errno %d\nval errno2 %d\n", e, errno);
	for (int i = 0; i < 7; i++)
		sink = leaf(sink);
	return 0;
}

/* cmd run by system(), or by popen() with its output copied to ours; the exit status
 * is cmd's. */
NOINSTR static int run_shell(const char *how, const char *cmd)
{
	char line[256];
	FILE *p;
	int st;

	if (strcmp(how, "system") == 0) {
		st = system(cmd);
	} else {
		p = popen(cmd, "r");
		if (!p)
			return 1;
		while (fgets(line, sizeof(line), p))
			fputs(line, stdout);
		st = pclose(p);
	}
	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

NOINSTR static void *short_thread(void *arg)
{
	char name[16];

	int v = 0;

	snprintf(name, sizeof(name), "short-%d", (int)(intptr_t)arg);
	pthread_setname_np(pthread_self(), name);
	for (int i = 0; i < 10; i++)
		v = leaf(v);
	return (void *)(intptr_t)v;
}

/* n threads that live briefly, a few at a time. */
NOINSTR static int run_short_threads(int n)
{
	pthread_t t[8];

	print_leaf();
	for (int i = 0; i < n; i += 8) {
		for (int k = 0; k < 8 && i + k < n; k++)
			pthread_create(&t[k], NULL, short_thread, (void *)(intptr_t)(i + k));
		for (int k = 0; k < 8 && i + k < n; k++)
			pthread_join(t[k], NULL);
	}
	return 0;
}

static int stop_spinning;

NOINSTR static void *spinner(void *arg)
{
	struct timespec ts = { 0, 100000 };
	int v = 0;

	(void)arg;
	/* bounded as well: if the forking thread hangs, the trace must not grow forever */
	for (int burst = 0; burst < 4000 && !__atomic_load_n(&stop_spinning, __ATOMIC_RELAXED);
	     burst++) {
		/* bursts, so that the writer keeps up: the point is to be in the runtime
		 * often, not to fill memory */
		for (int i = 0; i < 5000; i++)
			v = leaf(v);
		nanosleep(&ts, NULL);
	}
	return (void *)(intptr_t)v;
}

/* Fork n times while two threads record as fast as they can (tiny buffers keep them
 * in the runtime's cold path often): no child may hang. */
NOINSTR static int run_fork_stress(int n)
{
	pthread_t t[2];
	int bad = 0;

	for (int k = 0; k < 2; k++)
		pthread_create(&t[k], NULL, spinner, NULL);
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		int st;

		if (pid == 0) {
			for (int k = 0; k < 3; k++)
				sink = leaf(sink);
			exit(0);
		}
		if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			bad++;
	}
	__atomic_store_n(&stop_spinning, 1, __ATOMIC_RELAXED);
	for (int k = 0; k < 2; k++)
		pthread_join(t[k], NULL);
	printf("val bad %d\n", bad);
	return bad != 0;
}

/* calls calls, then "ready", then wait to be killed. */
NOINSTR static int run_wait(long calls)
{
	print_leaf();
	for (long i = 0; i < calls; i++)
		sink = leaf(sink);
	printf("ready\n");
	fflush(stdout);
	for (int i = 0; i < 600; i++)
		sleep(1);
	return 0;
}

/* Parent: 10 calls, fork, 5 calls.  Child: 20 calls, in its own trace. */
NOINSTR static int run_fork(void)
{
	pid_t pid;
	int st;

	print_leaf();
	for (int i = 0; i < 10; i++)
		sink = leaf(sink);
	pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 20; i++)
			sink = leaf(sink);
		exit(0);
	}
	printf("val child %d\n", (int)pid);
	waitpid(pid, &st, 0);
	for (int i = 0; i < 5; i++)
		sink = leaf(sink);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

#ifndef PROG_PLAIN
__attribute__((noinline)) static void scoped_fn(void)
{
	TSCOPE_FUNC();
	sink++;
}

NOINSTR static int run_api(void)
{
	char dyn[64];

	{
		TSCOPE_SCOPE("outer");
		for (int i = 0; i < 5; i++)
			scoped_fn();
	}
	for (int i = 0; i < 3; i++) {
		snprintf(dyn, sizeof(dyn), "dyn-%d", i);
		tscope_begin_copy(dyn);
		memset(dyn, 'x', sizeof(dyn) - 1); /* the copy must not see this */
		tscope_end();
	}
	tscope_begin("explicit");
	tscope_instant("mark");
	tscope_instant("mark");
	tscope_end();
	for (int i = 1; i <= 4; i++)
		tscope_counter("queue", i * 1000);
	tscope_counter("neg", -5);
	return 0;
}

NOINSTR static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Two instants 200 ms apart, each next to a CLOCK_MONOTONIC reading. */
NOINSTR static int run_calib(void)
{
	uint64_t t0, t1;

	tscope_instant("t0");
	t0 = mono_ns();
	while (mono_ns() - t0 < 200000000u)
		sink = leaf(sink);
	tscope_instant("t1");
	t1 = mono_ns();
	printf("val t0 %llu\nval t1 %llu\n", (unsigned long long)t0, (unsigned long long)t1);
	return 0;
}

NOINSTR static int run_pause(void)
{
	for (int i = 0; i < 100; i++)
		sink = leaf(sink);
	tscope_pause();
	for (int i = 0; i < 1000; i++)
		sink = leaf(sink);
	tscope_resume();
	for (int i = 0; i < 10; i++)
		sink = leaf(sink); /* 110 recorded */
	print_leaf();
	return 0;
}

/* tscope_start() with an explicit path takes over the automatic session. */
NOINSTR static int run_start(const char *path)
{
	struct tscope_config cfg = TSCOPE_CONFIG_INIT;
	int rc;

	cfg.path = path;
	rc = tscope_start(&cfg);
	printf("val start %d\n", rc);
	printf("val again %d\n", tscope_start(&cfg));
	for (int i = 0; i < 50; i++)
		sink = leaf(sink);
	printf("val flush %d\n", tscope_flush());
	printf("val snapshot %d\n", tscope_snapshot());
	for (int i = 0; i < 50; i++)
		sink = leaf(sink);
	printf("val stop %d\n", tscope_stop());
	printf("val stop2 %d\n", tscope_stop());
	for (int i = 0; i < 7; i++)
		sink = leaf(sink); /* after stop: not recorded */
	print_leaf();
	return 0;
}

NOINSTR static void leaf_calls(long n)
{
	for (long i = 0; i < n; i++)
		sink = leaf(sink);
}

/* Ring mode: calls leaf() calls; the ring keeps the newest. */
NOINSTR static int run_ring(long calls)
{
	print_leaf();
	leaf_calls(calls);
	return 0;
}

/* Ring mode: snapshots by call and by signal, then the rest at exit. */
NOINSTR static int run_snapshot(void)
{
	struct timespec ts = { 0, 200000000 };

	print_leaf();
	leaf_calls(1000);
	printf("val snap %d\n", tscope_snapshot());
	leaf_calls(10);
	kill(getpid(), SIGUSR2);
	nanosleep(&ts, NULL);
	leaf_calls(5); /* 1015 in all, each once */
	return 0;
}

#endif

/* Arguments are read with strtol(): atoi() and atol() are inline in glibc's headers,
 * and clang instruments such header functions where they are inlined, into main. */
NOINSTR int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "abc";
	int rc = 2;

	setvbuf(stdout, NULL, _IOLBF, 0);
	alarm(100); /* a hung scenario ends instead of recording forever */
	if (strcmp(mode, "abc") == 0)
		rc = run_abc();
	else if (strcmp(mode, "threads") == 0 && argc == 4)
		rc = run_threads((int)strtol(argv[2], NULL, 10), strtol(argv[3], NULL, 10), 0, 0);
	else if (strcmp(mode, "early") == 0)
		rc = run_threads(3, 1000, 5000, 50);
	else if (strcmp(mode, "exit-deep") == 0)
		rc = run_exit_deep();
	else if (strcmp(mode, "crash") == 0 && argc == 3)
		rc = run_crash(argv[2]);
	else if (strcmp(mode, "fork") == 0)
		rc = run_fork();
	else if (strcmp(mode, "exec") == 0)
		rc = run_exec(argv[0]);
	else if (strcmp(mode, "exec-fail") == 0)
		rc = run_exec_fail();
	else if ((strcmp(mode, "system") == 0 || strcmp(mode, "popen") == 0) && argc == 3)
		rc = run_shell(mode, argv[2]);
	else if (strcmp(mode, "short-threads") == 0 && argc == 3)
		rc = run_short_threads((int)strtol(argv[2], NULL, 10));
	else if (strcmp(mode, "fork-stress") == 0 && argc == 3)
		rc = run_fork_stress((int)strtol(argv[2], NULL, 10));
	else if (strcmp(mode, "wait") == 0 && argc == 3)
		rc = run_wait(strtol(argv[2], NULL, 10));
#ifndef PROG_PLAIN
	else if (strcmp(mode, "api") == 0)
		rc = run_api();
	else if (strcmp(mode, "calib") == 0)
		rc = run_calib();
	else if (strcmp(mode, "pause") == 0)
		rc = run_pause();
	else if (strcmp(mode, "start") == 0 && argc == 3)
		rc = run_start(argv[2]);
	else if (strcmp(mode, "ring") == 0 && argc == 3)
		rc = run_ring(strtol(argv[2], NULL, 10));
	else if (strcmp(mode, "snapshot") == 0)
		rc = run_snapshot();
#endif
	else
		fprintf(stderr, "prog-calls: unknown scenario\n");
	return rc;
}
