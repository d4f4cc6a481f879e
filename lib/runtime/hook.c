/* SPDX-License-Identifier: MIT */
/*
 * hook.c - the hot path: the compiler's enter/exit hooks and the scope API's events.
 *
 * Everything here runs on every function entry and exit of the traced program, so:
 * no locks, no allocation, no system calls, no errno changes, no stdio, no asserts.
 * An event is one compare, one counter read and two stores into the thread's buffer.
 * Anything else -- the thread's first event, a full buffer, a paused or stopped
 * session, a counter that cannot be trusted -- makes pos >= end, and tscope__slow()
 * (buffer.c, cold, never inlined) deals with it and records the event itself.
 *
 * Measured with bench/run-overhead.sh: see the table in bench/README.md.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "tscope-int.h"
#include "clock.h"

__thread struct tscope__thread tscope__self TS_TLS_IE;

/* Record a one-slot event.  Pointers are compared as integers: end is NULL when the
 * thread must take the cold path, and pos may be NULL before its first event. */
static inline TS_NOINSTR void record1(uint64_t word)
{
	struct tscope__thread *t = &tscope__self;
	struct tsf_event *p = t->pos;

	if (TS_UNLIKELY((uintptr_t)p >= (uintptr_t)TS_LOAD(t->end))) {
		/* the word goes in a register: no stack frame on the fast path */
		tscope__slow1(word);
		return;
	}
	p->time = tscope__clock_read();
	p->word = word;
	TS_STORE(t->pos, p + 1);
}

/* Record an event of n slots (ev[0] is the event, the rest its payload); the slots of
 * one event always land in one buffer. */
static inline TS_NOINSTR void record_n(struct tsf_event *ev, unsigned n)
{
	struct tscope__thread *t = &tscope__self;
	struct tsf_event *p = t->pos;

	if (TS_UNLIKELY((uintptr_t)p + n * sizeof(*p) > (uintptr_t)TS_LOAD(t->end))) {
		tscope__slow(ev, n);
		return;
	}
	ev[0].time = tscope__clock_read();
	memcpy(p, ev, n * sizeof(*p));
	TS_STORE(t->pos, p + n);
}

TSCOPE_API TS_NOINSTR void __cyg_profile_func_enter(void *fn, void *site);
TSCOPE_API TS_NOINSTR void __cyg_profile_func_exit(void *fn, void *site);

TSCOPE_API TS_NOINSTR void __cyg_profile_func_enter(void *fn, void *site)
{
	(void)site;
	record1((uintptr_t)fn);
}

TSCOPE_API TS_NOINSTR void __cyg_profile_func_exit(void *fn, void *site)
{
	(void)site;
	record1((uintptr_t)fn | TSF_EXIT_BIT);
}

/* A local name for this copy's hook, for session.c to tell whether the program calls
 * it or hooks of its own. */
extern __typeof__(__cyg_profile_func_enter) tscope__own_enter
    __attribute__((alias("__cyg_profile_func_enter")));

TSCOPE_API TS_NOINSTR void tscope_begin(const char *name)
{
	record1(TSF_WORD(TSF_KIND_BEGIN, (uintptr_t)name & TSF_ADDR_MASK));
}

TSCOPE_API TS_NOINSTR void tscope_end(void)
{
	record1(TSF_WORD(TSF_KIND_END, 0));
}

TSCOPE_API TS_NOINSTR void tscope_instant(const char *name)
{
	record1(TSF_WORD(TSF_KIND_INSTANT, (uintptr_t)name & TSF_ADDR_MASK));
}

TSCOPE_API TS_NOINSTR void tscope_counter(const char *name, int64_t value)
{
	struct tsf_event ev[2] = {
		{ 0, TSF_WORD(TSF_KIND_COUNTER, (uintptr_t)name & TSF_ADDR_MASK) },
		{ (uint64_t)value, 0 },
	};

	record_n(ev, 2);
}

TSCOPE_API TS_NOINSTR void tscope_begin_copy(const char *name)
{
	struct tsf_event ev[1 + (TSF_COPY_MAX + 15) / 16];
	size_t len = name ? strnlen(name, TSF_COPY_MAX) : 0;
	unsigned slots = (unsigned)(len + 15) / 16;

	memset(ev, 0, (1 + slots) * sizeof(ev[0]));
	ev[0].word = TSF_WORD(TSF_KIND_COPY, len);
	if (len)
		memcpy(&ev[1], name, len);
	record_n(ev, 1 + slots);
}
