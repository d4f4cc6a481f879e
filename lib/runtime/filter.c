/* SPDX-License-Identifier: MIT */
/*
 * filter.c - record-time filters: --exclude PAT, --include PAT, --max-depth N,
 * --min-duration TIME and --throttle, applied by the writer to each buffer before it
 * is encoded, so that the hooks stay as they are (a filter costs the recording
 * threads nothing; the writer pays one pass over the buffer).
 *
 * The pass reads the buffer's slots once and compacts the ones kept to its front.  Per
 * recording thread it keeps a shadow stack of the calls open, across that thread's
 * buffers: a call is kept when its function matches no --exclude pattern, lies within a
 * call of an --include function (when there are any), is no deeper than --max-depth
 * and is not throttled.  Each function's decision is made once, on its name, and kept
 * with its counts in filter-fn.c's table.  --min-duration drops a kept call shorter
 * than TIME when nothing was kept between its enter and its exit, which then are the
 * last kept slot and this one: the exit takes the enter back.  An enter in a buffer already written stays, and
 * so does its exit.  --throttle: a function seen more than N times averaging under T is
 * dropped from then on.  Scopes, instants, counters and memory events are always kept.
 *
 * Every call dropped is counted against its function (calls, inclusive and self time),
 * and the self time it took from its nearest kept caller is counted against that
 * caller's function (hidden), so that reports can give exact counts and times: the
 * DROP chunk (format.h), written at the end.
 *
 * Where the pass cannot follow the stack, it keeps events rather than lose them: after
 * a gap in a thread's chunks (a buffer held back for a slot a signal handler left
 * unwritten, a ring that wrapped, a recording stopped and started again) the calls open
 * are forgotten, and an exit that matches no open call is kept unless its function is
 * filtered out by name.  The depth of --max-depth then counts from the gap.  The
 * buffers a dead process leaves (salvaged by `tscope record`) are not filtered.
 *
 * Used by the writer only, with the file's lock held.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tscope-int.h"
#include "clock.h"
#include "filter.h"

#define STACK_MAX 4096 /* calls followed per thread; deeper ones are kept */

struct frame {
	uint64_t fn, t;	 /* function, time of its enter */
	uint64_t child;	 /* ticks of the calls it made (ended) */
	uint64_t hidden; /* self ticks of dropped calls below it, it kept */
	uint32_t out;	 /* its kept enter is slot out - 1 of this buffer; 0: none */
	uint32_t near;	 /* its nearest kept caller is frame near - 1; 0: none */
	unsigned kept : 1, in_incl : 1;
	unsigned why; /* TSF_DROP_* when dropped at its enter */
};

struct fthread {
	uint32_t tid;
	uint64_t next_seq;
	unsigned long over; /* calls open past STACK_MAX */
	size_t n;
	struct frame *st; /* STACK_MAX frames */
	struct fthread *next;
};

static struct {
	int on;
	int exclude, include; /* patterns are set */
	unsigned max_depth;
	uint64_t min_ns, throttle_calls, throttle_ns;
	uint64_t min_ticks, thr_ticks; /* in counter ticks, from the rate */
	double ticks_per_ns;	       /* 0: not known yet */
	struct fthread *threads;
} fl;

TS_NOINSTR int tscope__filter_on(void)
{
	return fl.on;
}

static TS_NOINSTR void threads_free(void)
{
	struct fthread *t, *next;

	for (t = fl.threads; t; t = next) {
		next = t->next;
		free(t->st);
		free(t);
	}
	fl.threads = NULL;
}

/* A new session with configuration c: nothing counted yet. */
TS_NOINSTR void tscope__filter_reset(const struct tscope__config *c)
{
	threads_free();
	tscope__fns_reset(c);
	fl.exclude = c->exclude[0] != 0;
	fl.include = c->include[0] != 0;
	fl.max_depth = c->max_depth;
	fl.min_ns = c->min_ns;
	fl.throttle_calls = c->throttle_calls;
	fl.throttle_ns = c->throttle_ns;
	fl.ticks_per_ns = 0;
	fl.on = c->exclude[0] || c->include[0] || c->max_depth || c->min_ns || c->throttle_calls;
}

/* The state of thread tid, whose chunk seq comes now; NULL without memory. */
static TS_NOINSTR struct fthread *thread_get(uint32_t tid, uint64_t seq)
{
	struct fthread *t;

	for (t = fl.threads; t && t->tid != tid; t = t->next)
		;
	if (!t) {
		t = calloc(1, sizeof(*t));
		if (t)
			t->st = malloc(STACK_MAX * sizeof(*t->st));
		if (!t || !t->st) {
			free(t);
			return NULL;
		}
		t->tid = tid;
		t->next = fl.threads;
		fl.threads = t;
	} else if (!seq) {
		t->n = t->over = 0; /* a new thread with an old one's id */
	}
	t->next_seq = seq + 1;
	return t;
}

static TS_NOINSTR void thread_drop(uint32_t tid)
{
	for (struct fthread **pp = &fl.threads; *pp; pp = &(*pp)->next) {
		if ((*pp)->tid == tid) {
			struct fthread *t = *pp;

			*pp = t->next;
			free(t->st);
			free(t);
			return;
		}
	}
}

/* The counter's rate, from the session's start sync point to now: the thresholds in
 * ticks.  Refined while the span is short; a first one under 200 us is waited out. */
static TS_NOINSTR void rate(const struct tsf_clock *start)
{
	uint64_t ns = tscope__mono_ns(), ticks;

	if (fl.ticks_per_ns && ns - start->mono_ns > 100000000u)
		return;
	if (tscope__clock_source == TSF_CLOCK_MONOTONIC) {
		fl.ticks_per_ns = 1;
	} else {
		while (ns - start->mono_ns < 200000u)
			ns = tscope__mono_ns();
		ticks = tscope__clock_slow();
		fl.ticks_per_ns = (double)(ticks - start->ticks) / (double)(ns - start->mono_ns);
	}
	fl.min_ticks = (uint64_t)((double)fl.min_ns * fl.ticks_per_ns);
	fl.thr_ticks = (uint64_t)((double)fl.throttle_ns * fl.ticks_per_ns);
}

/* Call f of function e ended at time now, kept or not; st is the stack, f its top. */
static TS_NOINSTR void ended(struct fthread *th, struct frame *f, struct tscope__fn *e,
			     uint64_t dur, int kept)
{
	uint64_t self = dur - (f->child < dur ? f->child : dur);

	if (f > th->st)
		f[-1].child += dur;
	if (fl.throttle_calls && !(e->flags & TS_FN_THROTTLED)) {
		e->seen++;
		e->spent += dur;
		if (e->seen > fl.throttle_calls && e->spent < e->seen * fl.thr_ticks)
			e->flags |= TS_FN_THROTTLED;
	}
	if (kept) {
		e->hidden += f->hidden;
		return;
	}
	if (f->why == TSF_DROP_EXCLUDE && tscope__fn_hooks_drop(e))
		return; /* as uncounted as the calls the hooks dropped: see exclude.c */
	e->calls++;
	e->incl += dur;
	e->self += self;
	e->reasons |= f->why;
	if (f->near)
		th->st[f->near - 1].hidden += self + f->hidden;
}

/* Why a call of e at depth (1: outermost) under parent is dropped; 0: kept. */
static TS_NOINSTR unsigned why_dropped(const struct tscope__fn *e, const struct frame *f,
				       size_t depth)
{
	if (e->flags & TS_FN_EXCL)
		return TSF_DROP_EXCLUDE;
	if (fl.include && !f->in_incl)
		return TSF_DROP_INCLUDE;
	if (fl.max_depth && depth > fl.max_depth)
		return TSF_DROP_DEPTH;
	if (e->flags & TS_FN_THROTTLED)
		return TSF_DROP_THROTTLE;
	return 0;
}

/* An exit of fn with no call of it open: kept unless fn is filtered out by name. */
static TS_NOINSTR int keep_stray_exit(uint64_t fn)
{
	struct tscope__fn *e = tscope__fn_get(fn);

	return e && !(e->flags & TS_FN_EXCL) && (!fl.include || (e->flags & TS_FN_INCL));
}

/*
 * Filter the n slots of b (all written) in place: the slots kept are moved to its
 * front.  Returns how many are kept.
 */
TS_NOINSTR size_t tscope__filter_buf(struct tscope__buf *b, size_t n, const struct tsf_clock *start)
{
	struct tsf_event *ev = b->ev;
	struct fthread *th = NULL;
	size_t o = 0, i, k;
	uint32_t tid = b->head.tid;

	for (th = fl.threads; th && th->tid != tid; th = th->next)
		;
	if (th && ((b->head.seq && b->head.seq != th->next_seq) ||
		   (b->head.flags & (TSF_EF_RING_WRAPPED | TSF_EF_RESUMED))))
		th->n = th->over = 0; /* events are missing: the calls open are not known */
	th = thread_get(tid, b->head.seq);
	if (!th)
		return n; /* no memory: kept as recorded */
	rate(start);
	for (i = 0; i < n; i += k) {
		uint64_t w = ev[i].word;
		unsigned kind = (unsigned)(w >> TSF_KIND_SHIFT);

		k = 1;
		if (kind == TSF_KIND_ENTER) {
			struct frame *f, *up = th->n ? &th->st[th->n - 1] : NULL;
			struct tscope__fn *e = tscope__fn_get(w);

			if (!e || th->n == STACK_MAX || th->over) {
				th->over++;
				ev[o++] = ev[i];
				continue;
			}
			f = &th->st[th->n++];
			f->fn = w;
			f->t = ev[i].time;
			f->child = f->hidden = 0;
			f->in_incl = (up && up->in_incl) || (e->flags & TS_FN_INCL);
			f->near = up ? (up->kept ? (uint32_t)(th->n - 1) : up->near) : 0;
			f->why = why_dropped(e, f, th->n);
			f->kept = !f->why;
			f->out = 0;
			if (f->kept) {
				ev[o++] = ev[i];
				f->out = (uint32_t)o;
			}
		} else if (kind == TSF_KIND_EXIT) {
			uint64_t fn = w & ~TSF_EXIT_BIT, dur;
			size_t j = th->n;
			struct frame *f;
			struct tscope__fn *e;
			int kept;

			if (th->over) {
				th->over--;
				ev[o++] = ev[i];
				continue;
			}
			while (j && th->st[j - 1].fn != fn)
				j--;
			if (!j) {
				if (keep_stray_exit(fn))
					ev[o++] = ev[i];
				continue;
			}
			th->n = j; /* calls above it were left by longjmp or an exception */
			f = &th->st[j - 1];
			e = tscope__fn_get(fn);
			dur = ev[i].time > f->t ? ev[i].time - f->t : 0;
			kept = f->kept;
			if (kept && fl.min_ticks && dur < fl.min_ticks && f->out && f->out == o) {
				o--; /* nothing kept since its enter: taken back */
				kept = 0;
				f->why = TSF_DROP_MIN_DUR;
			}
			if (e)
				ended(th, f, e, dur, kept);
			if (kept)
				ev[o++] = ev[i];
			th->n--;
		} else if (kind == TSF_KIND_PAD) {
			continue;
		} else {
			k = tsf_slots(w);
			if (k > n - i)
				k = n - i;
			memmove(&ev[o], &ev[i], k * sizeof(*ev));
			o += k;
		}
	}
	for (k = 0; k < th->n; k++)
		th->st[k].out = 0; /* written now: its enter stays */
	if (b->head.flags & TSF_EF_FINAL)
		thread_drop(tid);
	return o;
}

/* The DROP chunks (see filter-fn.c); last: the session ends. */
TS_NOINSTR void tscope__filter_write(tscope__emit_fn emit, void *ctx, int last)
{
	if (fl.on)
		tscope__fns_write(
		    emit, ctx, last,
		    (fl.include ? TSF_DROP_INCLUDE : 0) | (fl.exclude ? TSF_DROP_EXCLUDE : 0) |
			(fl.max_depth ? TSF_DROP_DEPTH : 0) | (fl.min_ns ? TSF_DROP_MIN_DUR : 0) |
			(fl.throttle_calls ? TSF_DROP_THROTTLE : 0) |
			(tscope__fns_hooks_skip() ? TSF_DROP_HOOKS : 0));
}

/* Objects were unloaded: their functions' decisions go, and are made again for what
 * is loaded at those addresses next.  What was dropped stays counted. */
TS_NOINSTR void tscope__filter_forget(void)
{
	tscope__fns_forget();
}

/* In a forked child: the parent's threads are not the child's. */
TS_NOINSTR void tscope__filter_atfork_child(void)
{
	fl.threads = NULL; /* left to the parent's copy of the heap */
	tscope__fns_atfork_child();
}
