/* SPDX-License-Identifier: MIT */
/*
 * prog-adverse.c - a traced program that does what real programs do to a tracer:
 * closes every descriptor, takes signals in the middle of instrumented code, runs out
 * of memory, cancels threads, forks and dies abruptly.  Driven by test-adverse.c.
 *
 * Built with instrumentation twice: tests/prog-adverse links libtscope statically,
 * tests/prog-adverse-plain is not linked with it (`tscope record` preloads it).
 * The first argument picks a scenario.  The program counts the calls of each of its
 * instrumented functions itself, at their entry, and prints "fn NAME 0xADDR" (the
 * function's address as the trace records it) and "val NAME N" lines, so that the
 * test can compare its own counts with the trace's.  Everything else -- main, the
 * scenarios' bodies, the signal handlers' outer frames -- is not instrumented.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOINSTR __attribute__((no_instrument_function))

/* ---- the instrumented functions and their counters --------------------------------- */

static unsigned long n_leaf, n_check, n_deep, n_faulty, n_inner, n_note, n_busy;
static volatile sig_atomic_t n_handler, n_hleaf; /* only the main thread's handler counts */
static volatile int sink;
static uint64_t busy_ns;

#define COUNT(c) __atomic_add_fetch(&(c), 1, __ATOMIC_RELAXED)

__attribute__((noinline)) static int leaf(int x)
{
	COUNT(n_leaf);
	__asm__ __volatile__("");
	return x + 1;
}

/* Called from signal handlers only. */
__attribute__((noinline)) static void hleaf(void)
{
	n_hleaf++;
	sink++;
}

__attribute__((noinline)) static void in_handler(void)
{
	n_handler++;
	for (int i = 0; i < 4; i++)
		hleaf();
}

/* A deferred cancellation point inside instrumented code. */
__attribute__((noinline)) static void checkpoint(void)
{
	COUNT(n_check);
	pthread_testcancel();
}

/* Called through a pointer, so that the compiler sees no endless recursion. */
static void (*volatile at_bottom)(void *);

__attribute__((noinline)) static void deep(int n)
{
	COUNT(n_deep);
	if (n == 0)
		at_bottom(NULL);
	else
		deep(n - 1);
	sink++;
}

static volatile int *volatile nowhere;

__attribute__((noinline, no_sanitize("address", "undefined"))) static void fault_inner(void)
{
	COUNT(n_inner);
	*nowhere = 1; /* SIGSEGV: the handler jumps out of here and faulty() */
}

__attribute__((noinline)) static void faulty(void)
{
	COUNT(n_faulty);
	fault_inner();
	sink++;
}

__attribute__((noinline)) static void segv_note(void)
{
	COUNT(n_note);
	sink++;
}

NOINSTR static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Spin for ms milliseconds, measured here, inside the function. */
__attribute__((noinline)) static void busy(long ms)
{
	uint64_t t0, t1;

	COUNT(n_busy);
	t0 = mono_ns();
	do
		t1 = mono_ns();
	while (t1 - t0 < (uint64_t)ms * 1000000u);
	busy_ns = t1 - t0;
}

/* ---- helpers ------------------------------------------------------------------------ */

NOINSTR static void leaf_calls(long n)
{
	int s = 0;

	for (long i = 0; i < n; i++)
		s = leaf(s);
	sink = s;
}

NOINSTR static void print_fns(void)
{
	printf("val pid %d\n", (int)getpid());
	printf("fn leaf %p\n", (void *)leaf);
	printf("fn hleaf %p\n", (void *)hleaf);
	printf("fn in_handler %p\n", (void *)in_handler);
	printf("fn checkpoint %p\n", (void *)checkpoint);
	printf("fn deep %p\n", (void *)deep);
	printf("fn faulty %p\n", (void *)faulty);
	printf("fn fault_inner %p\n", (void *)fault_inner);
	printf("fn segv_note %p\n", (void *)segv_note);
	printf("fn busy %p\n", (void *)busy);
}

NOINSTR static void print_counts(void)
{
	printf("val leaf %lu\n", __atomic_load_n(&n_leaf, __ATOMIC_RELAXED));
	printf("val hleaf %d\n", (int)n_hleaf);
	printf("val in_handler %d\n", (int)n_handler);
	printf("val checkpoint %lu\n", __atomic_load_n(&n_check, __ATOMIC_RELAXED));
	printf("val deep %lu\n", __atomic_load_n(&n_deep, __ATOMIC_RELAXED));
	printf("val faulty %lu\n", n_faulty);
	printf("val fault_inner %lu\n", n_inner);
	printf("val segv_note %lu\n", n_note);
	printf("val busy %lu\n", n_busy);
}

NOINSTR static long arg(int argc, char **argv, int i, long def)
{
	return argc > i ? strtol(argv[i], NULL, 10) : def;
}

NOINSTR static int write_all(int fd, const void *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p = (const char *)p + k;
		n -= (size_t)k;
	}
	return 0;
}

NOINSTR static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- fd: the program takes every descriptor above 2 for itself --------------------- */

/* Take the descriptors: close_range(3, ~0U, 0), close() of 3..1023, or one file of the
 * program's (DIR/dup-<phase>.out) dup2()'d over 3..20. */
NOINSTR static int take_fds(const char *how, const char *dir, int phase)
{
	if (strcmp(how, "close-range") == 0) {
#ifdef SYS_close_range
		return (int)syscall(SYS_close_range, 3u, ~0u, 0u);
#else
		errno = ENOSYS;
		return -1;
#endif
	}
	if (strcmp(how, "close-loop") == 0) {
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		return 0;
	}
	if (strcmp(how, "dup2") == 0) {
		char path[4200];
		int fd;

		snprintf(path, sizeof(path), "%s/dup-%d.out", dir, phase);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			return -1;
		for (int k = 3; k <= 20; k++)
			if (k != fd && dup2(fd, k) < 0)
				return -1;
		if (fd > 20)
			close(fd);
		return 0;
	}
	errno = EINVAL;
	return -1;
}

/* One phase: take the descriptors, open DIR/own-<phase>.out, write known bytes to it
 * between runs of calls (and through fd 20 to the dup2 file), close it. */
NOINSTR static int fd_phase(const char *how, const char *dir, int phase, long calls)
{
	char path[4200], block[1024];
	int fd;

	if (take_fds(how, dir, phase) < 0) {
		perror("prog-adverse: taking the descriptors");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/own-%d.out", dir, phase);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	printf("val fd%d %d\n", phase, fd);
	if (fd < 0)
		return 1;
	for (int round = 0; round < 16; round++) {
		for (size_t i = 0; i < sizeof(block); i++)
			block[i] = (char)(phase * 131 + round * 17 + (int)i * 7);
		if (write_all(fd, block, sizeof(block)) < 0)
			return 1;
		if (strcmp(how, "dup2") == 0 && write_all(20, block, 64) < 0)
			return 1;
		leaf_calls(calls / 16);
	}
	if (write_all(fd, "end\n", 4) < 0 || close(fd) < 0)
		return 1;
	return 0;
}

/* Two phases: the first before the tracer has written anything (it may not have a
 * file yet), the second after it surely has one. */
NOINSTR static int run_fd(const char *how, const char *dir, long calls)
{
	if (fd_phase(how, dir, 1, calls))
		return 1;
	sleep_ms(100); /* the tracer's writer has opened its file and written by now */
	if (fd_phase(how, dir, 2, calls))
		return 1;
	return 0;
}

/* ---- signals ------------------------------------------------------------------------ */

NOINSTR static void on_timer(int sig)
{
	(void)sig;
	in_handler();
}

/* A timer every 100 us (10 kHz) whose handler makes instrumented calls, while the main
 * thread makes them as fast as it can: until the handler ran `want` times, or after
 * max_calls calls.  ITIMER_REAL fires at 10 kHz; the kernel checks ITIMER_PROF once per
 * scheduler tick, so that one fires at most HZ times a second. */
NOINSTR static int run_itimer(const char *which, long want, long max_calls)
{
	int prof = strcmp(which, "prof") == 0;
	int sig = prof ? SIGPROF : SIGALRM;
	struct itimerval it = { { 0, 100 }, { 0, 100 } }, off = { { 0, 0 }, { 0, 0 } };
	struct sigaction sa;
	sigset_t set;
	long calls = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_timer;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
	if (setitimer(prof ? ITIMER_PROF : ITIMER_REAL, &it, NULL) < 0) {
		perror("prog-adverse: setitimer");
		return 1;
	}
	while (n_handler < want && calls < max_calls) {
		leaf_calls(1000);
		calls += 1000;
	}
	setitimer(prof ? ITIMER_PROF : ITIMER_REAL, &off, NULL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_BLOCK, &set, NULL); /* one may still be pending */
	return 0;
}

static sigjmp_buf segv_jump;

NOINSTR static void on_segv(int sig)
{
	(void)sig;
	segv_note();
	siglongjmp(segv_jump, 1);
}

/* n times: a fault two instrumented frames deep, and a jump out of the handler. */
NOINSTR static int run_segv(long n)
{
	struct sigaction sa;
	volatile long i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_segv;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	for (i = 0; i < n; i++) {
		if (sigsetjmp(segv_jump, 1) == 0)
			faulty();
		leaf_calls(100);
	}
	signal(SIGSEGV, SIG_DFL);
	return 0;
}

/* ---- out of memory ------------------------------------------------------------------ */

/* The address space in use, in bytes (VmSize), or 0. */
NOINSTR static size_t vm_size(void)
{
	char buf[4096], *p;
	int fd = open("/proc/self/status", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strstr(buf, "VmSize:");
	return p ? (size_t)strtoul(p + 7, NULL, 10) << 10 : 0;
}

static int oom_started, oom_arrived, oom_done;

/* Wait (5 s at most) until *counter reaches the number of threads started. */
NOINSTR static void wait_all(int *counter)
{
	for (int i = 0; i < 5000; i++) {
		if (__atomic_load_n(counter, __ATOMIC_ACQUIRE) >=
		    __atomic_load_n(&oom_started, __ATOMIC_ACQUIRE))
			return;
		sleep_ms(1);
	}
}

static long oom_calls;

NOINSTR static void *oom_thread(void *arg)
{
	(void)arg;
	__atomic_add_fetch(&oom_arrived, 1, __ATOMIC_ACQ_REL);
	wait_all(&oom_arrived);
	leaf_calls(oom_calls);
	/* stay until every thread has made its calls: their buffers are all held at once */
	__atomic_add_fetch(&oom_done, 1, __ATOMIC_ACQ_REL);
	wait_all(&oom_done);
	return NULL;
}

/*
 * Limit the address space to what is in use plus margin_mb, then start n threads on
 * stacks allocated before, each making calls calls at once.  The program itself needs
 * next to nothing more; a tracer that needs a buffer per thread runs out.  Failures
 * are the program's to handle: it exits 0 whatever happens.
 */
NOINSTR static int run_oom(int n, long calls, long margin_mb)
{
	enum { STACK = 256 << 10, MAXT = 64 };
	pthread_t t[MAXT];
	int created = 0, failed = 0;
	char *stacks;
	struct rlimit rl;
	size_t used;
	void *volatile big; /* kept: clang may drop an allocation only compared with NULL */

	if (n > MAXT)
		n = MAXT;
	oom_calls = calls;
	leaf_calls(1000); /* the main thread records before the limit */
	stacks = mmap(NULL, (size_t)n * STACK, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (stacks == MAP_FAILED)
		return 1;
	used = vm_size();
	if (!used || getrlimit(RLIMIT_AS, &rl) < 0)
		return 1;
	rl.rlim_cur = used + ((size_t)margin_mb << 20);
	if (setrlimit(RLIMIT_AS, &rl) < 0) {
		perror("prog-adverse: setrlimit");
		return 1;
	}
	__atomic_store_n(&oom_started, n, __ATOMIC_RELEASE);
	for (int i = 0; i < n; i++) {
		pthread_attr_t attr;

		pthread_attr_init(&attr);
		pthread_attr_setstack(&attr, stacks + (size_t)i * STACK, STACK);
		if (pthread_create(&t[created], &attr, oom_thread, NULL) == 0) {
			created++;
		} else {
			failed++;
			__atomic_sub_fetch(&oom_started, 1, __ATOMIC_ACQ_REL);
		}
		pthread_attr_destroy(&attr);
	}
	for (int i = 0; i < created; i++)
		pthread_join(t[i], NULL);
	big = malloc(64u << 20); /* the limit is real: this cannot be had */
	printf("val created %d\nval create_failed %d\nval big_malloc_null %d\n", created, failed,
	       big == NULL);
	free(big);
	return 0;
}

/* ---- threads that do not return ----------------------------------------------------- */

static unsigned long worker_calls;

NOINSTR static void *async_worker(void *arg)
{
	int s = 0;

	(void)arg;
	pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
	for (;;) {
		s = leaf(s);
		__atomic_store_n(&worker_calls, (unsigned long)s, __ATOMIC_RELAXED);
	}
	return NULL;
}

NOINSTR static void *deferred_worker(void *arg)
{
	int s = 0;

	(void)arg;
	pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, NULL);
	for (;;) {
		s = leaf(s);
		__atomic_store_n(&worker_calls, (unsigned long)s, __ATOMIC_RELAXED);
		if (s % 7 == 0)
			checkpoint();
	}
	return NULL;
}

/* repeats times: a thread busy in instrumented calls, cancelled (asynchronously: at any
 * instruction; deferred: in pthread_testcancel() inside an instrumented function) and
 * joined.  The main thread makes 100 calls after each. */
NOINSTR static int run_cancel(const char *how, int repeats)
{
	int async = strcmp(how, "async") == 0;
	int canceled = 0;

	for (int r = 0; r < repeats; r++) {
		pthread_t t;
		void *res = NULL;
		/* cancel after a varying number of calls: at varying places */
		unsigned long after = 100 + (unsigned long)r * 997 % 5000;

		__atomic_store_n(&worker_calls, 0, __ATOMIC_RELAXED);
		if (pthread_create(&t, NULL, async ? async_worker : deferred_worker, NULL))
			return 1;
		while (__atomic_load_n(&worker_calls, __ATOMIC_RELAXED) < after)
			sched_yield();
		pthread_cancel(t);
		pthread_join(t, &res);
		canceled += res == PTHREAD_CANCELED;
		leaf_calls(100);
	}
	printf("val canceled %d\n", canceled);
	return 0;
}

NOINSTR static void exit_thread(void *arg)
{
	pthread_exit(arg);
}

static int depth;

NOINSTR static void *exiting_worker(void *arg)
{
	leaf_calls((long)(intptr_t)arg);
	deep(depth); /* pthread_exit() at the bottom: nothing returns */
	return NULL;
}

/* repeats threads, one at a time, each ending in pthread_exit() depth + 1 calls deep. */
NOINSTR static int run_pthread_exit(int repeats, int d)
{
	depth = d;
	at_bottom = exit_thread;
	for (int r = 0; r < repeats; r++) {
		pthread_t t;

		if (pthread_create(&t, NULL, exiting_worker, (void *)(intptr_t)(r * 37 % 500)))
			return 1;
		pthread_join(t, NULL);
		leaf_calls(100);
	}
	return 0;
}

/* ---- processes that end abruptly ---------------------------------------------------- */

/* 100 calls, a child that makes k calls and _exit()s, 50 calls. */
NOINSTR static int run_fork_exit(long k)
{
	pid_t pid;
	int st;

	leaf_calls(100);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		leaf_calls(k);
		_exit(0);
	}
	printf("val child %d\n", (int)pid);
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return 1;
	leaf_calls(50);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

/*
 * 100 calls; a child that makes k calls and calls daemon(): the child _exit()s in
 * there, its daemon makes 2k calls and exits; 50 calls.  A pipe held by both tells
 * when the daemon is gone.
 */
NOINSTR static int run_daemon(long k)
{
	int fd[2];
	pid_t pid;
	int st;
	char c;

	leaf_calls(100);
	if (pipe(fd) < 0)
		return 1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(fd[0]);
		leaf_calls(k);
		if (daemon(1, 1) < 0)
			_exit(1);
		alarm(30);
		printf("val daemon %d\n", (int)getpid());
		fflush(stdout);
		leaf_calls(2 * k);
		exit(0);
	}
	close(fd[1]);
	printf("val child %d\n", (int)pid);
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return 1;
	while (read(fd[0], &c, 1) < 0 && errno == EINTR)
		;
	close(fd[0]);
	leaf_calls(50);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

/* 100 calls; a child that makes k calls, says so and waits; it is killed with SIGKILL;
 * 50 calls. */
NOINSTR static int run_kill(long k)
{
	int fd[2];
	pid_t pid;
	int st;
	char c = 0;

	leaf_calls(100);
	if (pipe(fd) < 0)
		return 1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(fd[0]);
		alarm(30);
		leaf_calls(k);
		if (write(fd[1], "k", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(fd[1]);
	printf("val child %d\n", (int)pid);
	if (pid < 0)
		return 1;
	while (read(fd[0], &c, 1) < 0 && errno == EINTR)
		;
	kill(pid, SIGKILL);
	if (waitpid(pid, &st, 0) < 0 || c != 'k')
		return 1;
	printf("val child_signal %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	leaf_calls(50);
	return 0;
}

/* ---- short runs --------------------------------------------------------------------- */

/* busy() for ms milliseconds, 2000 calls (so that small buffers hand busy()'s events
 * over), "ready"; then return, or wait to be killed. */
NOINSTR static int run_busy(long ms, const char *then)
{
	busy(ms);
	leaf_calls(2000);
	printf("val busy_ns %llu\nready\n", (unsigned long long)busy_ns);
	fflush(stdout);
	if (strcmp(then, "wait") == 0)
		for (int i = 0; i < 300; i++)
			sleep_ms(100);
	return 0;
}

/* ---- plain calls, and child programs ------------------------------------------------ */

NOINSTR static int run_calls(long n)
{
	leaf_calls(n);
	return 0;
}

/* 100 calls; this program again through system() and through popen(), each making n
 * calls; 50 calls. */
NOINSTR static int run_system(const char *self, long n)
{
	char cmd[4400], line[256];
	FILE *p;
	int st;
	long seen = -1;

	leaf_calls(100);
	snprintf(cmd, sizeof(cmd), "'%s' calls %ld >/dev/null", self, n);
	fflush(stdout);
	st = system(cmd);
	printf("val system_status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	snprintf(cmd, sizeof(cmd), "'%s' calls %ld", self, n);
	p = popen(cmd, "r");
	if (!p)
		return 1;
	while (fgets(line, sizeof(line), p))
		if (strncmp(line, "val leaf ", 9) == 0)
			seen = strtol(line + 9, NULL, 10);
	st = pclose(p);
	printf("val popen_status %d\nval popen_leaf %ld\n",
	       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), seen);
	leaf_calls(50);
	return 0;
}

/* Arguments are read with strtol(): glibc's atoi() is inline, and would be
 * instrumented into main by compilers that instrument after inlining. */
NOINSTR int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int rc = 2;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* a hung scenario ends instead of recording forever (the itimer "real" scenario
	 * takes SIGALRM for itself: the test's own timeout bounds that one) */
	alarm(50);
	print_fns();
	if (strcmp(mode, "calls") == 0 && argc == 3)
		rc = run_calls(arg(argc, argv, 2, 0));
	else if (strcmp(mode, "fd") == 0 && argc == 5)
		rc = run_fd(argv[2], argv[3], arg(argc, argv, 4, 0));
	else if (strcmp(mode, "itimer") == 0 && argc == 5)
		rc = run_itimer(argv[2], arg(argc, argv, 3, 0), arg(argc, argv, 4, 0));
	else if (strcmp(mode, "segv") == 0 && argc == 3)
		rc = run_segv(arg(argc, argv, 2, 0));
	else if (strcmp(mode, "oom") == 0 && argc == 5)
		rc = run_oom((int)arg(argc, argv, 2, 0), arg(argc, argv, 3, 0),
			     arg(argc, argv, 4, 0));
	else if (strcmp(mode, "cancel") == 0 && argc == 4)
		rc = run_cancel(argv[2], (int)arg(argc, argv, 3, 0));
	else if (strcmp(mode, "pthread-exit") == 0 && argc == 4)
		rc = run_pthread_exit((int)arg(argc, argv, 2, 0), (int)arg(argc, argv, 3, 0));
	else if (strcmp(mode, "fork-exit") == 0 && argc == 3)
		rc = run_fork_exit(arg(argc, argv, 2, 0));
	else if (strcmp(mode, "daemon") == 0 && argc == 3)
		rc = run_daemon(arg(argc, argv, 2, 0));
	else if (strcmp(mode, "kill") == 0 && argc == 3)
		rc = run_kill(arg(argc, argv, 2, 0));
	else if (strcmp(mode, "busy") == 0 && argc == 4)
		rc = run_busy(arg(argc, argv, 2, 0), argv[3]);
	else if (strcmp(mode, "system") == 0 && argc == 3)
		rc = run_system(argv[0], arg(argc, argv, 2, 0));
	else
		fprintf(stderr, "prog-adverse: unknown scenario or wrong arguments\n");
	if (rc != 2)
		print_counts();
	return rc;
}
