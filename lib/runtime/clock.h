/* SPDX-License-Identifier: MIT */
/*
 * clock.h - the event clock, read inline on the hot path.
 *
 * x86-64: rdtsc.  aarch64: the virtual counter.  Elsewhere: CLOCK_MONOTONIC in ns.
 * On x86-64 without an invariant TSC the runtime never takes the inline path: the
 * hooks fall into the cold path, which reads tscope__clock_slow() instead (see hook.c),
 * so the hot path carries no branch for it.
 */
#ifndef TSCOPE_CLOCK_H
#define TSCOPE_CLOCK_H

#include <stdint.h>
#include <time.h>

#include "compiler.h"

#if defined(__x86_64__)
#include <x86intrin.h>
#define TS_CLOCK_NATIVE TSF_CLOCK_TSC
static inline TS_NOINSTR uint64_t tscope__clock_read(void)
{
	return __rdtsc();
}
#elif defined(__aarch64__)
#define TS_CLOCK_NATIVE TSF_CLOCK_CNTVCT
static inline TS_NOINSTR uint64_t tscope__clock_read(void)
{
	uint64_t v;

	__asm__ __volatile__("mrs %0, cntvct_el0" : "=r"(v));
	return v;
}
#else
#define TS_CLOCK_NATIVE TSF_CLOCK_MONOTONIC
static inline TS_NOINSTR uint64_t tscope__clock_read(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
#endif

/* Which clock the runtime uses: TS_CLOCK_NATIVE, or TSF_CLOCK_MONOTONIC when the
 * native counter cannot be trusted.  Decided once by tscope__clock_init(). */
extern int tscope__clock_source;
void tscope__clock_init(void);
uint64_t tscope__clock_slow(void);
uint64_t tscope__mono_ns(void); /* CLOCK_MONOTONIC in ns */
struct tsf_clock;
void tscope__clock_sync(struct tsf_clock *c);

#endif /* TSCOPE_CLOCK_H */
