/* SPDX-License-Identifier: MIT */
/*
 * hooks-floor.c - the floor: the least a timestamping function tracer can do.
 *
 * Each hook reads the counter once and stores one 16-byte event {time, fn | exit bit}
 * into a thread-local array used as a ring (the index is masked, the ring wraps and
 * nothing is ever written out).  The hooks are defined in the executable and the
 * array is initial-exec TLS, which the linker turns into local-exec: one
 * %fs-relative access, no call out of the hook.  libtscope's target is measured
 * against this (SPEC.md section 5: at most 1.25 times the floor).
 *
 * The counter is what libtscope uses: rdtsc on x86-64, the virtual counter on
 * aarch64, CLOCK_MONOTONIC elsewhere.
 *
 * The ring is static TLS, which ld.so zeroes when the program starts, so its pages are
 * mapped before the workload begins: the floor never takes a first-touch page fault,
 * while a tracer that streams through fresh buffers does.  The ring's size hardly
 * matters otherwise (-DFLOOR_RING_EVENTS: 64 KiB to 64 MiB measured the same).
 */
#include <stdint.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#define HOOK   __attribute__((noinline, no_instrument_function, used))
#define TLS_IE __attribute__((tls_model("initial-exec")))

#define FLOOR_EXIT_BIT (UINT64_C(1) << 63)
#ifndef FLOOR_RING_EVENTS
#define FLOOR_RING_EVENTS (1u << 16) /* 1 MiB of events per thread; a power of two */
#endif

struct floor_event {
	uint64_t time; /* raw counter ticks */
	uint64_t fn;   /* function address | FLOOR_EXIT_BIT on exit */
};

/*
 * Not static: a static array that is only ever written may be removed by the
 * compiler together with the stores into it.
 */
extern __thread struct floor_event floor_ring[FLOOR_RING_EVENTS] TLS_IE;
extern __thread unsigned floor_pos TLS_IE;
__thread struct floor_event floor_ring[FLOOR_RING_EVENTS] TLS_IE;
__thread unsigned floor_pos TLS_IE;

void __cyg_profile_func_enter(void *fn, void *site);
void __cyg_profile_func_exit(void *fn, void *site);

__attribute__((no_instrument_function, always_inline)) static inline uint64_t floor_clock(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __rdtsc();
#elif defined(__aarch64__)
	uint64_t v;

	__asm__ __volatile__("mrs %0, cntvct_el0" : "=r"(v));
	return v;
#else
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

__attribute__((no_instrument_function, always_inline)) static inline void
floor_record(void *fn, uint64_t flag)
{
	unsigned i = floor_pos;
	struct floor_event *e = &floor_ring[i & (FLOOR_RING_EVENTS - 1)];

	e->time = floor_clock();
	e->fn = (uint64_t)(uintptr_t)fn | flag;
	floor_pos = i + 1;
}

HOOK void __cyg_profile_func_enter(void *fn, void *site)
{
	(void)site;
	floor_record(fn, 0);
}

HOOK void __cyg_profile_func_exit(void *fn, void *site)
{
	(void)site;
	floor_record(fn, FLOOR_EXIT_BIT);
}
