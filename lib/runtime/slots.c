/* SPDX-License-Identifier: MIT */
/*
 * slots.c - writing into reserved slots: events, PAD slots, and the nest that keeps
 * the events of signal handlers that interrupt a cold path before it has a buffer.
 * See hook.c for the reservation and why the time is stored last.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "tscope-int.h"
#include "clock.h"

/* Does the reservation p of bytes lie in t's current buffer? */
TS_NOINSTR int tscope__in_buffer(const struct tscope__thread *t, const struct tsf_event *p,
				uintptr_t bytes)
{
	uintptr_t off = (uintptr_t)p - TS_LOAD(t->base), size = TS_LOAD(t->size);

	return off < size && size - off >= bytes;
}

/* Write the event ev of n slots at p, reserved for it, the time last (see hook.c). */
TS_NOINSTR void tscope__write_at(struct tsf_event *p, const struct tsf_event *ev, unsigned n,
				uint64_t time)
{
	if (n > 1)
		memcpy(p + 1, ev + 1, (n - 1) * sizeof(*ev));
	p->word = ev[0].word;
	__asm__ __volatile__("" ::: "memory");
	p->time = time;
}

/* Fill n reserved slots at p that will hold no event: readers skip PAD slots. */
TS_NOINSTR void tscope__pad(struct tscope__thread *t, struct tsf_event *p, unsigned n)
{
	uint64_t t0 = t->buf ? t->buf->t0 : 1;

	for (unsigned i = 0; i < n; i++) {
		p[i].word = TSF_WORD(TSF_KIND_PAD, 0);
		__asm__ __volatile__("" ::: "memory");
		p[i].time = t0;
	}
}

/* An event of a handler that interrupted t's cold path: kept in t->nest, slots reserved
 * the way the hooks do (deeper handlers may interrupt this one).  An event that does
 * not fit leaves PAD slots, which the flush counts as lost. */
TS_NOINSTR void tscope__nest_record(struct tscope__thread *t, const struct tsf_event *ev,
				   unsigned n)
{
	uintptr_t i = ts_xadd(&t->nest_n, n);

	if (i + n <= TS_NEST) {
		tscope__write_at(&t->nest[i], ev, n, tscope__clock_slow());
		return;
	}
	for (; i < TS_NEST; i++) {
		t->nest[i].word = TSF_WORD(TSF_KIND_PAD, 0);
		t->nest[i].time = 0;
	}
}

/* The slots of the event that starts at e (whose kind says), at least 1. */
TS_NOINSTR unsigned tscope__slots_of(const struct tsf_event *e)
{
	return tsf_slots(e->word);
}

/*
 * Copy the whole events of nest slots [i, hi) to dst, o slots in, as many as fit in
 * cap: PAD slots (an event that did not fit the nest) and, unless old is allowed,
 * events older than t's buffer (see tscope__nest_flush) are counted as lost, and so
 * is what does not fit.  The slots hold whole events: each handler that reserved them
 * has returned.  Returns the slots of dst now used.
 */
static TS_NOINSTR uintptr_t nest_copy(struct tscope__thread *t, struct tsf_event *dst, uintptr_t o,
				      uintptr_t cap, uintptr_t i, uintptr_t hi, int old)
{
	while (i < hi) {
		unsigned n = tscope__slots_of(&t->nest[i]);
		unsigned kind = (unsigned)(t->nest[i].word >> TSF_KIND_SHIFT);

		if (i + n > hi) {
			t->lost++;
			break;
		}
		if (kind != TSF_KIND_PAD && (old || t->nest[i].time >= t->buf->t0) &&
		    n <= cap - o) {
			memcpy(dst + o, &t->nest[i], n * sizeof(*dst));
			o += n;
		} else {
			t->lost += kind == TSF_KIND_PAD ? 1 : n;
		}
		i += n;
	}
	return o;
}

/* Move nest slots [from, to) into t's buffer (see tscope__nest_flush). */
static TS_NOINSTR void nest_move(struct tscope__thread *t, uintptr_t keep, uintptr_t from,
				 uintptr_t to)
{
	uintptr_t lo = from < TS_NEST ? from : TS_NEST, hi = to < TS_NEST ? to : TS_NEST;
	uintptr_t m = hi - lo, off = TS_LOAD(t->pos) - t->base, fit, o;
	struct tsf_event *p;

	t->lost += (to - from) - m; /* past TS_NEST */
	fit = off < t->size && t->size - off >= keep ? (t->size - off - keep) / sizeof(*p) : 0;
	if (m > fit) {
		t->lost += m - fit;
		m = fit;
		hi = lo + m;
	}
	if (!m)
		return;
	p = tscope__reserve(t, m * sizeof(*p));
	if (!tscope__in_buffer(t, p, m * sizeof(*p))) {
		t->lost += m;
		return;
	}
	o = nest_copy(t, p, 0, m, lo, hi, 0);
	if (o < m)
		tscope__pad(t, p + o, (unsigned)(m - o));
}

/* Empty t->nest by nest_move(t, keep, ...) or, when into is set, into the first slots of
 * that buffer, from o on.  Returns the slots of into used. */
static TS_NOINSTR uintptr_t nest_empty(struct tscope__thread *t, uintptr_t keep,
				       struct tscope__buf *into, uintptr_t o)
{
	unsigned long done = 0, k;

	for (;;) {
		k = TS_LOAD(t->nest_n);
		if (k == done) {
			if (__atomic_compare_exchange_n(&t->nest_n, &k, 0, 0, __ATOMIC_RELAXED,
							__ATOMIC_RELAXED))
				return o;
			continue;
		}
		if (into) {
			uintptr_t hi = k < TS_NEST ? k : TS_NEST;

			if (done < hi)
				o = nest_copy(t, into->ev, o, into->cap, done, hi, 1);
			t->lost += k - (done > hi ? done : hi); /* past TS_NEST */
		} else {
			nest_move(t, keep, done, k);
		}
		done = k;
	}
}

/*
 * Move the events of t->nest into t's buffer, before the event the cold path is
 * recording (they happened during it), leaving keep bytes for that event.  An event
 * older than the buffer's t0 would look unwritten to the writer (see hook.c): such
 * events go to the first slots of a buffer when it is installed (tscope__nest_install),
 * and here one is counted as lost, as are the slots past TS_NEST or past what the
 * buffer holds besides keep bytes.  A handler that comes meanwhile still finds the fast
 * path closed and adds to the nest: the nest is emptied with a compare-and-swap that
 * fails if it grew, and its new slots are moved in turn.  Caller owns t, which has a
 * buffer.
 */
TS_NOINSTR void tscope__nest_flush(struct tscope__thread *t, uintptr_t keep)
{
	nest_empty(t, keep, NULL, 0);
}

/*
 * b is being installed as t's buffer, before t->pos points into it: move the nest's
 * events, whatever their age, to its first slots, which the writer takes as written
 * (b->trusted).  Until pos moves, a handler that comes meanwhile cannot reserve in b
 * and adds to the nest, which is emptied as above.  Returns the slots used.  Caller
 * owns t.
 */
TS_NOINSTR uint32_t tscope__nest_install(struct tscope__thread *t, struct tscope__buf *b)
{
	return (uint32_t)nest_empty(t, 0, b, 0);
}
