/* SPDX-License-Identifier: MIT */
/*
 * clock.c - choosing the event clock and pairing it with the system clocks.
 *
 * No calibration sleeps: the reader converts ticks to ns from sync points taken at
 * start, while running and at stop (two-point calibration over the whole run).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdint.h>
#include <time.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "format.h"
#include "clock.h"

int tscope__clock_source = TS_CLOCK_NATIVE;

static TS_NOINSTR uint64_t ns_of(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

TS_NOINSTR uint64_t tscope__mono_ns(void)
{
	return ns_of(CLOCK_MONOTONIC);
}

/* The invariant-TSC bit (CPUID 0x80000007, EDX bit 8) says the TSC ticks at a
 * constant rate in every P-, C- and T-state; without it rdtsc is no clock. */
TS_NOINSTR void tscope__clock_init(void)
{
#if defined(__x86_64__)
	unsigned a, b, c, d;

	if (!__get_cpuid(0x80000007, &a, &b, &c, &d) || !(d & (1u << 8)))
		tscope__clock_source = TSF_CLOCK_MONOTONIC;
#endif
}

TS_NOINSTR uint64_t tscope__clock_slow(void)
{
	if (tscope__clock_source == TSF_CLOCK_MONOTONIC)
		return ns_of(CLOCK_MONOTONIC);
	return tscope__clock_read();
}

/*
 * Read the counter and CLOCK_MONOTONIC as close together as possible: of a few tries,
 * keep the one whose bracketing counter reads are nearest, and pair the clock with
 * their midpoint.  The error of one sync point is then a fraction of a microsecond,
 * which over a 100 ms run is far below 0.1%.
 */
TS_NOINSTR void tscope__clock_sync(struct tsf_clock *c)
{
	uint64_t best = UINT64_MAX, cost = UINT64_MAX;

	for (int i = 0; i < 5; i++) {
		uint64_t t0 = tscope__clock_slow();
		uint64_t mono = ns_of(CLOCK_MONOTONIC);
		uint64_t t1 = tscope__clock_slow();

		if (t1 - t0 < best) {
			best = t1 - t0;
			c->ticks = t0 + (t1 - t0) / 2;
			c->mono_ns = mono;
		}
	}
	for (int i = 0; i < 8; i++) {
		uint64_t t0 = tscope__clock_slow();
		uint64_t t1 = tscope__clock_slow();

		if (t1 - t0 < cost)
			cost = t1 - t0;
	}
	c->real_ns = ns_of(CLOCK_REALTIME);
	c->read_cost_ticks = cost;
}
