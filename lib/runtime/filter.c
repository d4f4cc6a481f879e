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
 * and is not throttled.  Each function's decision is made once, on its name
 * (symaddr.c; mangled, or demangled where the program has a C++ runtime), and kept in
 * a hash by address.  --min-duration drops a kept call shorter than TIME when nothing
 * was kept between its enter and its exit, which then are the last kept slot and this
 * one: the exit takes the enter back.  An enter in a buffer already written stays, and
 * so does its exit.  --throttle: a function seen more than N times averaging under T is
 * dropped from then on.  Scopes, instants, counters and memory events are always kept.
 *
 * Every call dropped is counted against its function (calls, inclusive and self time),
 * and the self time it took from its nearest kept caller is counted against that
 * caller's function (hidden), so that reports can give exact counts and times: the
 * DROP chunk (format.h), written at the end.
 *
 * Where the pass cannot follow the stack, it keeps events rather than lose them: an
 * exit that matches no open call is kept unless its function is filtered out by name;
 * after a gap in a thread's chunks (a buffer held back for a slot a signal handler left
 * unwritten, a ring that wrapped), no enter can be taken back.  The buffers a dead
 * process leaves (salvaged by `tscope record`) are not filtered.
 *
 * Used by the writer only, with the file's lock held.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dlfcn.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tscope-int.h"
#include "clock.h"

#define STACK_MAX  4096	 /* calls followed per thread; deeper ones are kept */
#define TOP_SAID   3	 /* throttled functions named at the end */
#define DROP_CHUNK 16384 /* entries per DROP chunk */

enum { F_DECIDED = 1, F_EXCL = 2, F_INCL = 4, F_THROTTLED = 8 };

struct fn {
	uint64_t addr; /* 0: a free slot */
	unsigned flags;
	unsigned reasons;		    /* TSF_DROP_* of its dropped calls */
	uint64_t seen, spent;		    /* throttle: calls ended, and their ticks */
	uint64_t calls, incl, self, hidden; /* dropped calls, see format.h */
	const char *name;
};

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
	char exclude[1024], include[1024];
	unsigned max_depth;
	uint64_t min_ns, throttle_calls, throttle_ns;
	uint64_t min_ticks, thr_ticks; /* in counter ticks, from the rate */
	double ticks_per_ns;	       /* 0: not known yet */
	struct fn *fns;
	size_t fns_n, fns_cap;
	struct fn *last; /* the entry fn_get() found last: calls come in runs */
	struct fthread *threads;
	char *(*demangle)(const char *, char *, size_t *, int *);
	int demangle_looked;
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
	free(fl.fns);
	fl.fns = NULL;
	fl.fns_n = fl.fns_cap = 0;
	fl.last = NULL;
	memcpy(fl.exclude, c->exclude, sizeof(fl.exclude));
	memcpy(fl.include, c->include, sizeof(fl.include));
	fl.max_depth = c->max_depth;
	fl.min_ns = c->min_ns;
	fl.throttle_calls = c->throttle_calls;
	fl.throttle_ns = c->throttle_ns;
	fl.ticks_per_ns = 0;
	fl.on = c->exclude[0] || c->include[0] || c->max_depth || c->min_ns || c->throttle_calls;
}

/* Does name (or, for a C++ name, its demangled form) match a pattern of the list? */
static TS_NOINSTR int matches(const char *list, const char *name, const char *plain)
{
	char pat[1024];
	const char *p = list;

	while (*p) {
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len && len < sizeof(pat)) {
			memcpy(pat, p, len);
			pat[len] = 0;
			if (fnmatch(pat, name, 0) == 0 || (plain && fnmatch(pat, plain, 0) == 0))
				return 1;
		}
		p += len + (end != NULL);
	}
	return 0;
}

/* Decide e's function by its name, once. */
static TS_NOINSTR void decide(struct fn *e)
{
	const char *name = tscope__symaddr((uintptr_t)e->addr);
	char *plain = NULL;
	int status = -1;

	e->name = name;
	if (!name)
		name = "";
	if (name[0] == '_' && name[1] == 'Z') {
		/* a C++ program has its runtime's demangler; a C program needs none */
		if (!fl.demangle_looked) {
			*(void **)&fl.demangle = dlsym(RTLD_DEFAULT, "__cxa_demangle");
			fl.demangle_looked = 1;
		}
		if (fl.demangle)
			plain = fl.demangle(name, NULL, NULL, &status);
		if (status != 0) {
			free(plain);
			plain = NULL;
		}
	}
	if (fl.exclude[0] && matches(fl.exclude, name, plain))
		e->flags |= F_EXCL;
	if (fl.include[0] && matches(fl.include, name, plain))
		e->flags |= F_INCL;
	free(plain);
	e->flags |= F_DECIDED;
}

static TS_NOINSTR size_t slot_of(uint64_t addr, size_t cap)
{
	return (size_t)((addr * UINT64_C(0x9e3779b97f4a7c15)) >> 20) & (cap - 1);
}

/* The entry of the function addr, decided; NULL without memory. */
static TS_NOINSTR struct fn *fn_get(uint64_t addr)
{
	size_t k;

	if (fl.last && fl.last->addr == addr && (fl.last->flags & F_DECIDED))
		return fl.last;
	if (fl.fns_cap) {
		for (k = slot_of(addr, fl.fns_cap); fl.fns[k].addr;
		     k = (k + 1) & (fl.fns_cap - 1)) {
			if (fl.fns[k].addr != addr)
				continue;
			if (TS_UNLIKELY(!(fl.fns[k].flags & F_DECIDED)))
				decide(&fl.fns[k]); /* forgotten at a dlclose() */
			fl.last = &fl.fns[k];
			return fl.last;
		}
	}
	if ((fl.fns_n + 1) * 2 > fl.fns_cap) {
		size_t cap = fl.fns_cap ? fl.fns_cap * 2 : 1024;
		struct fn *old = fl.fns, *nw = calloc(cap, sizeof(*nw));

		if (!nw)
			return NULL;
		for (size_t i = 0; i < fl.fns_cap; i++) {
			if (!old[i].addr)
				continue;
			for (k = slot_of(old[i].addr, cap); nw[k].addr; k = (k + 1) & (cap - 1))
				;
			nw[k] = old[i];
		}
		free(old);
		fl.fns = nw;
		fl.fns_cap = cap;
		fl.last = NULL;
	}
	for (k = slot_of(addr, fl.fns_cap); fl.fns[k].addr; k = (k + 1) & (fl.fns_cap - 1))
		;
	fl.fns[k].addr = addr;
	fl.fns_n++;
	decide(&fl.fns[k]);
	return &fl.fns[k];
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
static TS_NOINSTR void ended(struct fthread *th, struct frame *f, struct fn *e, uint64_t dur,
			     int kept)
{
	uint64_t self = dur - (f->child < dur ? f->child : dur);

	if (f > th->st)
		f[-1].child += dur;
	if (fl.throttle_calls && !(e->flags & F_THROTTLED)) {
		e->seen++;
		e->spent += dur;
		if (e->seen > fl.throttle_calls && e->spent < e->seen * fl.thr_ticks)
			e->flags |= F_THROTTLED;
	}
	if (kept) {
		e->hidden += f->hidden;
		return;
	}
	e->calls++;
	e->incl += dur;
	e->self += self;
	e->reasons |= f->why;
	if (f->near)
		th->st[f->near - 1].hidden += self + f->hidden;
}

/* Why a call of e at depth (1: outermost) under parent is dropped; 0: kept. */
static TS_NOINSTR unsigned why_dropped(const struct fn *e, const struct frame *f, size_t depth)
{
	if (e->flags & F_EXCL)
		return TSF_DROP_EXCLUDE;
	if (fl.include[0] && !f->in_incl)
		return TSF_DROP_INCLUDE;
	if (fl.max_depth && depth > fl.max_depth)
		return TSF_DROP_DEPTH;
	if (e->flags & F_THROTTLED)
		return TSF_DROP_THROTTLE;
	return 0;
}

/* An exit of fn with no call of it open: kept unless fn is filtered out by name. */
static TS_NOINSTR int keep_stray_exit(uint64_t fn)
{
	struct fn *e = fn_get(fn);

	return e && !(e->flags & F_EXCL) && (!fl.include[0] || (e->flags & F_INCL));
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
	if (th && b->head.seq && b->head.seq != th->next_seq)
		for (k = 0; k < th->n; k++)
			th->st[k].out = 0; /* out of order: nothing can be taken back */
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
			struct fn *e = fn_get(w);

			if (!e || th->n == STACK_MAX || th->over) {
				th->over++;
				ev[o++] = ev[i];
				continue;
			}
			f = &th->st[th->n++];
			f->fn = w;
			f->t = ev[i].time;
			f->child = f->hidden = 0;
			f->in_incl = (up && up->in_incl) || (e->flags & F_INCL);
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
			struct fn *e;
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
			e = fn_get(fn);
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

static TS_NOINSTR int by_calls(const void *a, const void *b)
{
	const struct fn *x = *(const struct fn *const *)a, *y = *(const struct fn *const *)b;

	return x->calls > y->calls ? -1 : x->calls < y->calls;
}

/* The throttled functions, the most called first, in one line. */
static TS_NOINSTR void say_throttled(void)
{
	const struct fn *top[TOP_SAID];
	char line[400];
	size_t n = 0, len = 0, all = 0;

	for (size_t i = 0; i < fl.fns_cap; i++) {
		const struct fn *e = &fl.fns[i];

		if (!e->addr || !(e->reasons & TSF_DROP_THROTTLE))
			continue;
		all++;
		if (n < TOP_SAID) {
			top[n++] = e;
		} else if (e->calls > top[TOP_SAID - 1]->calls) {
			top[TOP_SAID - 1] = e;
		}
		qsort(top, n, sizeof(*top), by_calls);
	}
	if (!all)
		return;
	for (size_t i = 0; i < n && len < sizeof(line) - 100; i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%.60s (%llu calls)",
					i ? ", " : "", top[i]->name ? top[i]->name : "?",
					(unsigned long long)top[i]->calls);
	if (all > n)
		snprintf(line + len, sizeof(line) - len, " and %zu more", all - n);
	tscope__say("throttled, kept as counts only: ", line,
		    "; `tscope exclude-list TRACE` makes an exclude list for the next build");
}

/*
 * The DROP chunk of what was dropped so far (none when nothing was); last: the
 * session ends, and the throttled functions are named on stderr.
 */
TS_NOINSTR void tscope__filter_write(tscope__emit_fn emit, void *ctx, int last)
{
	struct tsf_drop head = { tscope__clock_slow(), 0, 0 };
	struct tsf_drop_fn *out;
	size_t n = 0, at;

	if (!fl.on)
		return;
	for (size_t i = 0; i < fl.fns_cap; i++)
		n += fl.fns[i].addr && (fl.fns[i].calls || fl.fns[i].hidden);
	out = calloc(n ? n : 1, sizeof(*out));
	if (out) {
		n = 0;
		for (size_t i = 0; i < fl.fns_cap; i++) {
			const struct fn *e = &fl.fns[i];

			if (!e->addr || !(e->calls || e->hidden))
				continue;
			out[n++] = (struct tsf_drop_fn){ e->addr,   e->calls,	e->incl, e->self,
							 e->hidden, e->reasons, 0 };
		}
		head.reasons = (fl.exclude[0] ? TSF_DROP_EXCLUDE : 0) |
			       (fl.include[0] ? TSF_DROP_INCLUDE : 0) |
			       (fl.max_depth ? TSF_DROP_DEPTH : 0) |
			       (fl.min_ns ? TSF_DROP_MIN_DUR : 0) |
			       (fl.throttle_calls ? TSF_DROP_THROTTLE : 0);
		/* chunks a reader takes whole: it accepts metadata up to 1 MiB */
		at = 0;
		do { /* one chunk at least, empty when nothing was dropped */
			head.count = (uint32_t)(n - at < DROP_CHUNK ? n - at : DROP_CHUNK);
			emit(ctx, TSF_CHUNK_DROP, &head, sizeof(head), out + at,
			     head.count * sizeof(*out), NULL, 0);
			at += head.count;
		} while (at < n);
		free(out);
	}
	if (last)
		say_throttled();
	for (size_t i = 0; i < fl.fns_cap; i++) {
		struct fn *e = &fl.fns[i];

		e->calls = e->incl = e->self = e->hidden = 0;
		e->reasons = 0;
	}
}

/* Objects were unloaded: their functions' decisions go, and are made again for what
 * is loaded at those addresses next.  What was dropped stays counted. */
TS_NOINSTR void tscope__filter_forget(void)
{
	for (size_t i = 0; i < fl.fns_cap; i++) {
		fl.fns[i].flags &= ~(unsigned)(F_DECIDED | F_EXCL | F_INCL);
		fl.fns[i].name = NULL;
	}
	tscope__symaddr_forget();
}

/* In a forked child: the parent's threads are not the child's. */
TS_NOINSTR void tscope__filter_atfork_child(void)
{
	fl.threads = NULL; /* left to the parent's copy of the heap */
	fl.fns = NULL;
	fl.last = NULL;
	fl.fns_n = fl.fns_cap = 0;
}
