/* SPDX-License-Identifier: MIT */
/*
 * prog-offcpu.c - a traced program that is off the CPU outside any wrapped call, for
 * test-offcpu.sh.
 *
 * Built with -finstrument-functions.  Each function below spins on its thread's CPU
 * time (clock_gettime(), not a wrapped call, in now(), not instrumented) and measures what it really got: its
 * wall time and its CPU time, printed at the end as "name wall_ns cpu_ns" (stdio's
 * writes are libc's own, not recorded).  Its caller writes a byte to /dev/null just
 * before and after it, so that libtscope-io's CPU samples bound it.
 *   compute       200 ms of CPU, nothing else: off the CPU only if preempted;
 *   stopped       spins; after 50 ms of CPU it writes its pid to FILE.tmp and renames
 *                 it FILE, then goes on until it has had 300 ms of CPU and has been
 *                 off the CPU for 350 ms or more (the test stops it for 400 ms), or
 *                 for 20 s (FILE "-": no pid file, no stop waited for);
 *   pinned_spin   two threads pinned to one CPU, each 200 ms of CPU: each is
 *                 preempted by the other for about 200 ms.  Without the CPU affinity
 *                 (no such CPU), "pinned none" is printed instead.
 * Argument: FILE.  The exit status says whether the calls worked.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
#define MS	 1000000ull

static int devnull, bad;

/* Not instrumented: the functions' own time is what they spin in. */
__attribute__((no_instrument_function)) static uint64_t now(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct took {
	uint64_t wall, cpu;
};

static void mark(void)
{
	bad |= write(devnull, "", 1) != 1;
}

NOINLINE static struct took compute(void)
{
	uint64_t w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_THREAD_CPUTIME_ID), c = c0;

	while (c - c0 < 200 * MS)
		c = now(CLOCK_THREAD_CPUTIME_ID);
	return (struct took){ now(CLOCK_MONOTONIC) - w0, c - c0 };
}

NOINLINE static struct took stopped(const char *file)
{
	uint64_t w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_THREAD_CPUTIME_ID), w = w0, c = c0;
	int told = 0, wait = strcmp(file, "-") != 0;

	while ((c - c0 < 300 * MS || (wait && (w - w0) - (c - c0) < 350 * MS)) &&
	       w - w0 < 20000 * MS) {
		c = now(CLOCK_THREAD_CPUTIME_ID);
		w = now(CLOCK_MONOTONIC);
		if (wait && !told && c - c0 >= 50 * MS) {
			char tmp[4096], pid[32];
			int fd, n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());

			snprintf(tmp, sizeof(tmp), "%s.tmp", file);
			fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			bad |= fd < 0 || write(fd, pid, (size_t)n) != n;
			bad |= close(fd) != 0 || rename(tmp, file) != 0;
			told = 1;
		}
	}
	return (struct took){ w - w0, c - c0 };
}

NOINLINE static struct took pinned_spin(void)
{
	return compute();
}

static pthread_barrier_t ready;
static struct took pinned[2];
static int cpu = -1;

static void *pinned_thread(void *arg)
{
	struct took *out = arg;
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	bad |= pthread_setaffinity_np(pthread_self(), sizeof(one), &one) != 0;
	pthread_barrier_wait(&ready);
	mark();
	*out = pinned_spin();
	mark();
	return NULL;
}

int main(int argc, char **argv)
{
	struct took a, b;
	cpu_set_t set;
	pthread_t th[2];

	if (argc != 2)
		return 2;
	devnull = open("/dev/null", O_WRONLY);
	bad |= devnull < 0;
	mark();
	a = compute();
	mark();
	b = stopped(argv[1]);
	mark();
	printf("compute %llu %llu\n", (unsigned long long)a.wall, (unsigned long long)a.cpu);
	printf("stopped %llu %llu\n", (unsigned long long)b.wall, (unsigned long long)b.cpu);
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		for (int i = 0; i < CPU_SETSIZE && cpu < 0; i++)
			if (CPU_ISSET(i, &set))
				cpu = i;
	if (cpu < 0) {
		printf("pinned none\n");
		return bad;
	}
	pthread_barrier_init(&ready, NULL, 2);
	for (int i = 0; i < 2; i++)
		bad |= pthread_create(&th[i], NULL, pinned_thread, &pinned[i]) != 0;
	for (int i = 0; i < 2; i++)
		bad |= pthread_join(th[i], NULL) != 0;
	for (int i = 0; i < 2; i++)
		printf("pinned %llu %llu\n", (unsigned long long)pinned[i].wall,
		       (unsigned long long)pinned[i].cpu);
	return bad;
}
