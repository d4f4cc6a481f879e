/* SPDX-License-Identifier: MIT */
/*
 * kernel.c - the workloads of the recording-overhead benchmark.
 *
 * run-overhead.sh builds this one file twice: plain (the baseline) and with
 * -finstrument-functions, and links the instrumented object with each hook
 * implementation under test (empty, floor, libtscope, glibc's no-ops).
 *
 *	kernel fib N        recursive fib(N): 2 * F(N+1) - 1 calls of fib()
 *	kernel loop M       a tiny non-inlined function called M million times
 *	kernel loop M T     the same in each of T threads at once (calls: M million x T)
 *
 * It prints one line, key=value pairs separated by spaces:
 *
 *	workload=fib arg=32 calls=7049155 ns=123456789 cpu_ns=123400000 result=2178309
 *
 * calls is the exact number of instrumented calls made inside the timed region, and ns
 * is the CLOCK_MONOTONIC time of that region alone: start-up, library constructors and
 * the final flush at exit are outside it, buffer hand-offs during the workload inside.
 * cpu_ns is the CPU time the whole process (every thread, so a tracer's writer thread
 * too) spent meanwhile, read from CLOCK_PROCESS_CPUTIME_ID just outside the timed region.
 *
 * Only fib() and tiny() are instrumented.  Everything else carries
 * no_instrument_function, so a trace of this program holds exactly 2 * calls events and
 * its size divided by that is the cost of an event on disk.
 *
 * Both workload functions must stay real calls in every build, or the baseline would
 * do less work than the instrumented builds: they are noipa on gcc (no inlining, no
 * cloning, no IPA-derived purity), noinline on clang, and the script compiles with
 * -fno-optimize-sibling-calls, which keeps the tail-recursion pass from turning one of
 * fib's two calls into a loop.  The script checks the call count against counting hooks.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NOINSTR __attribute__((no_instrument_function))
#if defined(__clang__) || !defined(__GNUC__) || __GNUC__ < 8
#define KEEP_CALL __attribute__((noinline))
#else
#define KEEP_CALL __attribute__((noipa))
#endif

/* The instrumented workload functions: each is one call per invocation. */
KEEP_CALL unsigned long fib(unsigned n);
KEEP_CALL unsigned long tiny(unsigned long x);

KEEP_CALL unsigned long fib(unsigned n)
{
	if (n < 2)
		return n;
	return fib(n - 1) + fib(n - 2);
}

KEEP_CALL unsigned long tiny(unsigned long x)
{
	return x ^ (x >> 3);
}

NOINSTR static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Number of invocations of fib() that fib(n) makes: 2 * F(n+1) - 1. */
NOINSTR static uint64_t fib_calls(unsigned n)
{
	uint64_t a = 0, b = 1; /* F(0), F(1) */
	unsigned i;

	for (i = 0; i < n; i++) {
		uint64_t t = a + b;

		a = b;
		b = t;
	}
	return 2 * b - 1; /* b == F(n+1) */
}

struct run {
	uint64_t calls;
	uint64_t ns;
	uint64_t cpu_ns;
	unsigned long result;
};

/*
 * The timed region.  noinline and uninstrumented so that `valgrind --tool=callgrind
 * --toggle-collect=bench_run` counts the workload and nothing else.
 */
NOINSTR __attribute__((noinline)) void bench_run(int is_fib, unsigned long arg, struct run *r);

NOINSTR __attribute__((noinline)) void bench_run(int is_fib, unsigned long arg, struct run *r)
{
	unsigned long sum = 0, i;
	uint64_t c0, t0, t1, c1;

	c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	if (is_fib) {
		t0 = clock_ns(CLOCK_MONOTONIC);
		sum = fib((unsigned)arg);
		t1 = clock_ns(CLOCK_MONOTONIC);
		r->calls = fib_calls((unsigned)arg);
	} else {
		unsigned long n = arg * 1000000ul;

		t0 = clock_ns(CLOCK_MONOTONIC);
		for (i = 0; i < n; i++)
			sum += tiny(i);
		t1 = clock_ns(CLOCK_MONOTONIC);
		r->calls = n;
	}
	c1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	r->ns = t1 - t0;
	r->cpu_ns = c1 - c0;
	r->result = sum;
}

/* One thread of `loop M T`: waits for the others, then M million calls of tiny(). */
struct mt {
	pthread_barrier_t *start;
	unsigned long n, sum;
};

NOINSTR static void *mt_main(void *arg)
{
	struct mt *m = arg;

	pthread_barrier_wait(m->start);
	for (unsigned long i = 0; i < m->n; i++)
		m->sum += tiny(i);
	return NULL;
}

/* loop M T: the timed region runs from the threads' common start to the last join. */
NOINSTR __attribute__((noinline)) static int run_threads(unsigned long arg, unsigned t,
							 struct run *r)
{
	pthread_t th[256];
	struct mt m[256];
	pthread_barrier_t start;
	uint64_t c0, t0;

	pthread_barrier_init(&start, NULL, t + 1);
	for (unsigned i = 0; i < t; i++) {
		m[i] = (struct mt){ &start, arg * 1000000ul, 0 };
		if (pthread_create(&th[i], NULL, mt_main, &m[i]) != 0)
			return -1;
	}
	c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	t0 = clock_ns(CLOCK_MONOTONIC);
	pthread_barrier_wait(&start);
	r->result = 0;
	for (unsigned i = 0; i < t; i++) {
		pthread_join(th[i], NULL);
		r->result += m[i].sum;
	}
	r->ns = clock_ns(CLOCK_MONOTONIC) - t0;
	r->cpu_ns = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
	r->calls = arg * 1000000ul * t;
	return 0;
}

NOINSTR static int usage(void)
{
	fprintf(stderr,
		"usage: kernel fib N (N <= 60) | kernel loop MILLIONS [THREADS (<= 256)]\n");
	return 2;
}

NOINSTR int main(int argc, char **argv)
{
	struct run r;
	unsigned long arg;
	char *end;
	int is_fib;

	unsigned long threads = 0;

	if (argc != 3 && argc != 4)
		return usage();
	if (strcmp(argv[1], "fib") == 0)
		is_fib = 1;
	else if (strcmp(argv[1], "loop") == 0)
		is_fib = 0;
	else
		return usage();
	errno = 0;
	arg = strtoul(argv[2], &end, 10);
	if (errno != 0 || end == argv[2] || *end != '\0' || arg == 0 || (is_fib && arg > 60) ||
	    (!is_fib && arg > 100000))
		return usage();
	if (argc == 4) {
		threads = strtoul(argv[3], &end, 10);
		if (is_fib || end == argv[3] || *end != '\0' || threads == 0 || threads > 256)
			return usage();
	}

	if (threads) {
		if (run_threads(arg, (unsigned)threads, &r) < 0) {
			fprintf(stderr, "kernel: cannot start %lu threads\n", threads);
			return 1;
		}
	} else {
		bench_run(is_fib, arg, &r);
	}
	printf("workload=%s arg=%lu calls=%llu ns=%llu cpu_ns=%llu result=%lu\n", argv[1], arg,
	       (unsigned long long)r.calls, (unsigned long long)r.ns, (unsigned long long)r.cpu_ns,
	       r.result);
	return fflush(stdout) == 0 ? 0 : 1;
}
