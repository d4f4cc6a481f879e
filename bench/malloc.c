/* SPDX-License-Identifier: MIT */
/*
 * malloc.c - the workload of run-malloc.sh: N malloc+free pairs of mixed small sizes in
 * an instrumented function, timed by the program itself (start-up and exit excluded).
 * Prints "ns_per_pair PAIRS ELAPSED_NS" on stdout, after the timed part.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define NOINSTR __attribute__((no_instrument_function))

static void *volatile sink;

/* One pair: the sizes cycle through 16 .. 496 bytes, as small objects do. */
__attribute__((noinline)) static void pair(unsigned i)
{
	void *p = malloc(16 + (i & 31) * 16);

	sink = p;
	free(p);
}

NOINSTR static uint64_t now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

NOINSTR int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 2000000;
	uint64_t t0, t1;

	pair(0);
	t0 = now();
	for (unsigned i = 0; i < n; i++)
		pair(i);
	t1 = now();
	printf("%.2f %u %llu\n", (double)(t1 - t0) / n, n, (unsigned long long)(t1 - t0));
	return 0;
}
