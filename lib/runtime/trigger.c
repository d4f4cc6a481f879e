/* SPDX-License-Identifier: MIT */
/*
 * trigger.c - `tscope record --trigger FUNC [--count N]`: record only the first N calls
 * of FUNC, each with its whole subtree, in whichever thread makes them.
 *
 * The session runs in the TS_TRIGGER state, which the hooks never look at: while
 * waiting, no thread has an open fast path, so every event takes the cold path,
 * exactly as when paused, and there one compare with FUNC's address decides
 * (tscope__trigger_fires).  A thread whose event fires records on, through its fast
 * path, until FUNC's matching exit.  Finding that exit without a check per event: the
 * thread's fast path is opened for WINDOW slots only, so that its cold path runs once
 * every WINDOW slots, and scans them for FUNC's exit, counting FUNC's enters on the way
 * (recursion).  The events recorded after that exit, within the last window, become
 * PAD slots (the reader skips them); in stream mode the buffer is then handed over, so
 * that each recorded call reaches the file as soon as the next one begins, or at exit.
 *
 * Costs (bench/README.md): waiting, the cold path of a paused session; recording, the
 * fast path plus one cold path and a scan per WINDOW slots.
 * Every function but tscope__trigger_fires() is called by the owner of t's busy flag.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "tscope-int.h"
#include "clock.h"

#define WINDOW 256 /* slots recorded between two scans of a triggered thread */

static TS_NOINSTR int take(void);

/* The event ev of n slots fires the trigger on t: FUNC's enter, with calls left to
 * record.  Then t records until FUNC's matching exit.  Any thread, no flag needed. */
TS_NOINSTR int tscope__trigger_fires(struct tscope__thread *t, const struct tsf_event *ev,
				     unsigned n)
{
	uintptr_t fn = __atomic_load_n(&tscope__rt.trig_fn, __ATOMIC_RELAXED);

	if (n != 1 || !fn || ev->word != fn || !take())
		return 0;
	t->trig_depth = 1;
	t->trig_skip = 1; /* the scan will meet this very enter: already counted */
	return 1;
}

/* Is slot i of b not written yet (a hook a signal handler interrupted)? */
static TS_NOINSTR int unwritten(const struct tscope__buf *b, size_t i)
{
	return i >= b->trusted && b->ev[i].time < b->t0;
}

/* Take one of the triggers left: 1, or 0 when none is. */
static TS_NOINSTR int take(void)
{
	unsigned left = __atomic_load_n(&tscope__rt.trig_left, __ATOMIC_RELAXED);

	do {
		if (!left)
			return 0;
	} while (!__atomic_compare_exchange_n(&tscope__rt.trig_left, &left, left - 1, 1,
					      __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	return 1;
}

/*
 * Scan t's buffer from where the last scan stopped to slot n (or to a slot not written
 * yet) for FUNC's enters and exits.  Past FUNC's matching exit, events become PAD
 * slots, but an enter of FUNC with a trigger left, which starts the next recorded call
 * (the fast path recorded it, before this scan found the exit).  Returns 1 while t is
 * inside a triggered call.
 */
static TS_NOINSTR int scan(struct tscope__thread *t, size_t n)
{
	struct tscope__buf *b = t->buf;
	const uint64_t fn = tscope__rt.trig_fn, exit = fn | TSF_EXIT_BIT, t0 = b->t0;
	const size_t trusted = b->trusted;
	unsigned long depth = t->trig_depth;
	size_t i = t->trig_scan;

	/* a tight loop: this runs once per recorded slot (see bench/README.md) */
	while (i < n && (i < trusted || b->ev[i].time >= t0)) {
		uint64_t w = b->ev[i].word;
		unsigned kind = (unsigned)(w >> TSF_KIND_SHIFT), k = 1;

		if (TS_UNLIKELY(kind == TSF_KIND_COPY || kind == TSF_KIND_COUNTER))
			k = tscope__slots_of(&b->ev[i]);
		if (TS_UNLIKELY(!depth)) {
			if (w == fn && take()) {
				depth = 1;
			} else {
				for (unsigned j = 0; j < k && i + j < n; j++) {
					b->ev[i + j].word = TSF_WORD(TSF_KIND_PAD, 0);
					b->ev[i + j].time = t0;
				}
			}
		} else if (TS_UNLIKELY(w == fn)) {
			if (t->trig_skip)
				t->trig_skip = 0;
			else
				depth++;
		} else if (TS_UNLIKELY(w == exit)) {
			depth--;
		}
		i += k;
	}
	t->trig_depth = depth;
	t->trig_scan = i < n ? i : n;
	return depth != 0;
}

/* FUNC has returned: what t recorded after it is padded, its fast path closed; in
 * stream mode its buffer goes to the writer. */
static TS_NOINSTR void window_end(struct tscope__thread *t)
{
	struct tscope__buf *b = t->buf;
	size_t n = tscope__retire(t);

	for (size_t i = t->trig_scan; i < n; i++)
		if (!unwritten(b, i)) {
			b->ev[i].word = TSF_WORD(TSF_KIND_PAD, 0);
			b->ev[i].time = b->t0;
		}
	if (tscope__rt.ring) {
		/* the ring keeps it: put back as it was, closed */
		TS_STORE(t->base, (uintptr_t)b->ev);
		TS_STORE(t->base_neg, -(uintptr_t)b->ev);
		TS_STORE(t->size, tscope__buf_bytes(b));
		return;
	}
	t->buf = NULL;
	tscope__untake(b);
	tscope__writer_submit(t, b, n, 0);
}

/*
 * The buffer's first n slots are about to be handed over (a refill): scan them.
 * Returns 1 while t still records a triggered call.
 */
TS_NOINSTR int tscope__trigger_before_refill(struct tscope__thread *t, size_t n)
{
	if (!t->trig_depth || !t->buf)
		return 1;
	return scan(t, n);
}

/* Before t's events are taken by a flush or a stop: the events after FUNC's exit that
 * no scan has seen yet become PAD slots.  Caller owns t. */
TS_NOINSTR void tscope__trigger_settle(struct tscope__thread *t)
{
	uintptr_t pos = TS_LOAD(t->pos);

	if (!tscope__rt.trig_fn || !t->trig_depth || !t->buf || !t->size || pos < t->base)
		return;
	scan(t, (pos - t->base < t->size ? pos - t->base : t->size) / sizeof(struct tsf_event));
}

/*
 * The end of a cold path of a thread that records a triggered call: scan what it
 * recorded since the last scan; if FUNC has returned, end the window, else open the
 * fast path for WINDOW more slots.  A session no longer waiting for triggers (ctl
 * start or stop) finds the fast path closed, and its own state at the next event.
 */
TS_NOINSTR void tscope__trigger_window(struct tscope__thread *t)
{
	uintptr_t pos = TS_LOAD(t->pos), off, room;

	if (!t->trig_depth || !t->buf || !t->size || pos < t->base)
		return;
	off = pos - t->base < t->size ? pos - t->base : t->size;
	if (!scan(t, off / sizeof(struct tsf_event))) {
		window_end(t);
		return;
	}
	if (tscope__clock_source != TS_CLOCK_NATIVE)
		return; /* every event comes here anyway */
	room = off + WINDOW * sizeof(struct tsf_event);
	__atomic_store_n(&t->room, room < t->size ? room : t->size, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&tscope__rt.state, __ATOMIC_SEQ_CST) != TS_TRIGGER)
		TS_STORE(t->room, 0);
}
