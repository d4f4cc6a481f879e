/* SPDX-License-Identifier: MIT */
/*
 * hook.c - the hot path: the compiler's enter/exit hooks and the scope API's events.
 *
 * Everything here runs on every function entry and exit of the traced program, so:
 * no locks, no allocation, no system calls, no errno changes, no stdio, no asserts.
 * An event is one counter read, one reservation, one compare and two stores into the
 * thread's buffer.  Anything else -- the thread's first event, a full buffer, a
 * paused or stopped session, a counter that cannot be trusted -- fails the compare,
 * and tscope__slow() (buffer.c, cold, never inlined) deals with it and records the
 * event itself.
 *
 * Signal handlers run instrumented code too, on the thread they interrupt, between
 * any two instructions of a hook.  What keeps that exact:
 *  - The slot is reserved by moving pos with one instruction (xadd, not locked: only
 *    this thread moves pos, and a signal lands between instructions, not inside one).
 *    A handler that runs before it reserves after it; none can take the same slot.
 *  - The slot is checked against base (kept negated, for one lea) and room as loaded
 *    *before* the reservation.
 *    If a handler changed buffers in between, the slot is not where they say, and
 *    the cold path records the event (at the slot, when it lies in the buffer now
 *    current).  A slot that passes was reserved in the buffer those values describe.
 *  - The word is stored first and the time last.  A buffer handed over while a hook
 *    it interrupted has yet to store (a handler filled it) is held back by the writer
 *    until the slot's time is at least the buffer's t0: times are read before the
 *    reservation, and t0 before the buffer was installed, so a finished slot has
 *    time >= t0 and a slot not yet written has a time from the buffer's last use.
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

/* Record a one-slot event.  The word goes to the cold path in a register with the
 * slot: no stack frame on the fast path. */
static inline TS_NOINSTR void record1(uint64_t word)
{
	struct tscope__thread *t = &tscope__self;
	uintptr_t base_neg = TS_LOAD(t->base_neg), room = TS_LOAD(t->room);
	uint64_t time = tscope__clock_read();
	struct tsf_event *p = tscope__reserve(t, sizeof(*p));

	if (TS_UNLIKELY((uintptr_t)p + base_neg >= room)) {
		tscope__slow1(word, p);
		return;
	}
	p->word = word;
	__asm__ __volatile__("" ::: "memory"); /* the time is stored last */
	p->time = time;
}

/* Record an event of n slots (ev[0] is the event, the rest its payload); the slots of
 * one event always land in one buffer. */
static inline TS_NOINSTR void record_n(struct tsf_event *ev, unsigned n)
{
	struct tscope__thread *t = &tscope__self;
	uintptr_t base_neg = TS_LOAD(t->base_neg), room = TS_LOAD(t->room);
	uintptr_t bytes = n * sizeof(*ev);
	uint64_t time = tscope__clock_read();
	struct tsf_event *p = tscope__reserve(t, bytes);
	uintptr_t off = (uintptr_t)p + base_neg;

	if (TS_UNLIKELY(off >= room || room - off < bytes)) {
		tscope__slow(ev, n, p);
		return;
	}
	memcpy(p + 1, ev + 1, bytes - sizeof(*ev));
	p->word = ev[0].word;
	__asm__ __volatile__("" ::: "memory");
	p->time = time;
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
	uintptr_t word = (uintptr_t)fn;

	(void)site;
#if defined(__x86_64__)
	__asm__("btsq $63, %0" : "+r"(word)); /* TSF_EXIT_BIT in one instruction */
#else
	word |= TSF_EXIT_BIT;
#endif
	record1(word);
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

/*
 * An EXT event with np payload values (see format.h).  The payload slots carry the
 * event's time too: packed, a slot with the time of the one before costs its word and
 * one byte.  Like record_n(), all slots land in one buffer.
 */
static inline TS_NOINSTR void record_ext(uint64_t word, uint64_t a, uint64_t b, unsigned np)
{
	struct tscope__thread *t = &tscope__self;
	uintptr_t base_neg = TS_LOAD(t->base_neg), room = TS_LOAD(t->room);
	uintptr_t bytes = (1 + np) * sizeof(struct tsf_event);
	uint64_t time = tscope__clock_read();
	struct tsf_event *p = tscope__reserve(t, bytes);
	uintptr_t off = (uintptr_t)p + base_neg;
	uint64_t wa = TSF_WORD(TSF_KIND_EXT, a & TSF_ADDR_MASK);
	uint64_t wb = TSF_WORD(TSF_KIND_EXT, b & TSF_ADDR_MASK);

	if (TS_UNLIKELY(off >= room || room - off < bytes)) {
		struct tsf_event ev[3] = { { 0, word }, { time, wa }, { time, wb } };

		tscope__slow(ev, 1 + np, p);
		return;
	}
	p[1].word = wa;
	p[1].time = time;
	if (np > 1) {
		p[2].word = wb;
		p[2].time = time;
	}
	p->word = word;
	__asm__ __volatile__("" ::: "memory");
	p->time = time;
}

_Static_assert((int)TSCOPE_MEM_MUNMAP == (int)TSF_MEM_MUNMAP &&
		   (int)TSCOPE_MEM_FREE_CALL == (int)TSF_MEM_FREE &&
		   (int)TSCOPE_MEM_MMAP == (int)TSF_MEM_MMAP &&
		   (int)TSCOPE_MEM_API == (int)TSF_MEM_API,
	       "tscope.h and format.h number the origins alike");

/*
 * Memory events.  Not the runtime's own: a thread of the runtime (ignore) or a thread in
 * its cold path (busy: a buffer mapped, a thread registered) records nothing, which
 * also keeps the wrappers of libtscope-malloc from recursing.  Nor before the runtime
 * is initialized: its initialization allocates.
 */
TSCOPE_API TS_NOINSTR void tscope_memory(int event, int origin, const void *p, size_t size)
{
	struct tscope__thread *t = &tscope__self;
	uint64_t a = (uintptr_t)p, how = (unsigned)origin;

	if (TS_UNLIKELY(!p || t->ignore || TS_LOAD(t->busy) == TS_BUSY_SELF ||
			!TS_LOAD(tscope__rt.inited)))
		return;
	switch (event) {
	case TSCOPE_MEM_ALLOC:
		record_ext(TSF_EXT_WORD(TSF_EXT_ALLOC, how), a, size, 2);
		break;
	case TSCOPE_MEM_FREE:
		record_ext(TSF_EXT_WORD(TSF_EXT_FREE, how), a, 0, 1);
		break;
	case TSCOPE_MEM_UNMAP:
		record_ext(TSF_EXT_WORD(TSF_EXT_UNMAP, how), a, size, 2);
		break;
	case TSCOPE_MEM_UNFREE:
		record_ext(TSF_EXT_WORD(TSF_EXT_UNFREE, how), a, 0, 1);
		break;
	default:
		break;
	}
}

TSCOPE_API TS_NOINSTR void tscope_alloc(const void *p, size_t size)
{
	tscope_memory(TSCOPE_MEM_ALLOC, TSCOPE_MEM_API, p, size);
}

TSCOPE_API TS_NOINSTR void tscope_free(const void *p)
{
	tscope_memory(TSCOPE_MEM_FREE, TSCOPE_MEM_API, p, 0);
}

/* An EXT event with three payload values: record_ext()'s steps. */
static inline TS_NOINSTR void record_ext3(uint64_t word, uint64_t a, uint64_t b, uint64_t c)
{
	struct tscope__thread *t = &tscope__self;
	uintptr_t base_neg = TS_LOAD(t->base_neg), room = TS_LOAD(t->room);
	uintptr_t bytes = 4 * sizeof(struct tsf_event);
	uint64_t time = tscope__clock_read();
	struct tsf_event *p = tscope__reserve(t, bytes);
	uintptr_t off = (uintptr_t)p + base_neg;
	struct tsf_event ev[4] = { { 0, word },
				   { time, TSF_WORD(TSF_KIND_EXT, a & TSF_ADDR_MASK) },
				   { time, TSF_WORD(TSF_KIND_EXT, b & TSF_ADDR_MASK) },
				   { time, TSF_WORD(TSF_KIND_EXT, c & TSF_ADDR_MASK) } };

	if (TS_UNLIKELY(off >= room || room - off < bytes)) {
		tscope__slow(ev, 4, p);
		return;
	}
	memcpy(p + 1, ev + 1, 3 * sizeof(*ev));
	p->word = word;
	__asm__ __volatile__("" ::: "memory");
	p->time = time;
}

_Static_assert((int)TSCOPE_IO_CLOSE == (int)TSF_IO_CLOSE &&
		   (int)TSCOPE_IO_MUTEX_LOCK == (int)TSF_IO_MUTEX_LOCK &&
		   (int)TSCOPE_IO_JOIN + 1 == (int)TSF_IO_OPS,
	       "tscope.h and format.h number the I/O calls alike");

/* The counter as the events read it: the slow clock when the native one is not used. */
static inline TS_NOINSTR uint64_t io_now(void)
{
	return TS_LIKELY(tscope__clock_source == TS_CLOCK_NATIVE) ? tscope__clock_read()
								  : tscope__clock_slow();
}

/*
 * I/O and waiting (libtscope-io).  Like tscope_memory(), nothing of the runtime's own:
 * its threads, its cold path (whose writes and locks reach the wrappers too), before
 * it is initialized, or with no session.
 */
TSCOPE_API TS_NOINSTR uint64_t tscope_io_start(void)
{
	struct tscope__thread *t = &tscope__self;

	if (TS_UNLIKELY(t->ignore || TS_LOAD(t->busy) == TS_BUSY_SELF ||
			!TS_LOAD(tscope__rt.inited) || TS_LOAD(tscope__rt.state) == TS_OFF))
		return 0;
	return io_now() | 1; /* never 0 */
}

/* Up to 7 bytes of s[at, len), the first in the low byte. */
static inline TS_NOINSTR uint64_t bytes7(const char *s, size_t at, size_t len)
{
	uint64_t v = 0;

	for (size_t k = 0; k < 7 && at + k < len; k++)
		v |= (uint64_t)(unsigned char)s[at + k] << (8 * k);
	return v;
}

/* The path fd was opened with, as PATH events of TSF_IO_PATH_PIECE bytes each. */
static TS_NOINSTR void record_path(int fd, const char *path)
{
	size_t len = strnlen(path, TSF_COPY_MAX);
	uint64_t arg = (uint32_t)fd | (uint64_t)len << 40;

	for (size_t at = 0, piece = 0; at < len; at += TSF_IO_PATH_PIECE, piece++)
		record_ext3(TSF_EXT_WORD(TSF_EXT_PATH, arg | piece << 32), bytes7(path, at, len),
			    bytes7(path, at + 7, len), bytes7(path, at + 14, len));
}

/* A value of a payload slot: 60 bits, negative ones in two's complement. */
#define IO_VALUE(v) ((uint64_t)(v)&TSF_ADDR_MASK)

TSCOPE_API TS_NOINSTR void tscope_io(int op, int fd, uint64_t start, uint64_t end, int64_t result,
				     uint64_t cpu_ns, const char *path)
{
	uint64_t arg = ((uint64_t)(uint32_t)fd << 8) | ((unsigned)op & 0xffu);

	if (!start || !end ||
	    TS_UNLIKELY(tscope__self.ignore || TS_LOAD(tscope__self.busy) == TS_BUSY_SELF))
		return;
	if (path) /* before the open event: the reader gives it to the next one */
		record_path(fd, path);
	record_ext3(TSF_EXT_WORD(TSF_EXT_IO, arg), end > start ? end - start : 0, IO_VALUE(result),
		    cpu_ns >= TSF_IO_NO_CPU ? TSF_IO_NO_CPU : cpu_ns);
}

TSCOPE_API TS_NOINSTR void tscope_wait(int op, uint64_t start, int64_t result)
{
	uint64_t end;

	if (!start ||
	    TS_UNLIKELY(tscope__self.ignore || TS_LOAD(tscope__self.busy) == TS_BUSY_SELF))
		return;
	end = io_now();
	record_ext(TSF_EXT_WORD(TSF_EXT_WAIT, (unsigned)op & 0xffu), end > start ? end - start : 0,
		   IO_VALUE(result), 2);
}
