/* SPDX-License-Identifier: MIT */
/*
 * offcpu.c - the off-CPU time outside the wrapped calls, from the samples of each
 * thread's CPU time (see offcpu.h for what is measured and what is estimated).
 *
 * W is kept as its breakpoints (ns, W) in time order, linear between two: a sample's
 * time, and each end of a waiting span.  Look-ups come in time order nearly always
 * (opens and closes as spans_run() delivers them), so a hint walks forward, with a
 * binary search when a time is earlier than the hint.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include "tscope.h"
#include "offcpu.h"

struct sample {
	uint64_t ns, cpu;
	int fresh; /* a discontinuity came before it: no interval ends here */
};

struct zone { /* a span of waiting: [a, b) in ns */
	uint64_t a, b;
};

struct point {
	uint64_t ns, w;
};

struct offcpu {
	struct sample *s;
	size_t ns_, s_cap;
	struct zone *z;
	size_t nz, z_cap;
	struct point *p;
	size_t np, p_cap, hint;
	uint64_t total;
	/* the open frames: W at their start, and their children's off-CPU time */
	uint64_t *w0, *child;
	size_t depth_cap;
	int err;
};

int offcpu_new(struct offcpu **op)
{
	*op = calloc(1, sizeof(**op));
	return *op ? 0 : TSCOPE_ENOMEM;
}

void offcpu_free(struct offcpu *o)
{
	if (!o)
		return;
	free(o->s);
	free(o->z);
	free(o->p);
	free(o->w0);
	free(o->child);
	free(o);
}

/* Room for one more of elem bytes in *v (n used, *cap allocated). */
static int grow(void **v, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? 2 * *cap : 64;
	void *x = realloc(*v, c * elem);

	if (!x)
		return TSCOPE_ENOMEM;
	*v = x;
	*cap = c;
	return 0;
}

static int add_point(struct offcpu *o, uint64_t ns, uint64_t w)
{
	if (o->np && o->p[o->np - 1].ns == ns) {
		o->p[o->np - 1].w = w;
		return 0;
	}
	if (grow((void **)&o->p, &o->p_cap, o->np, sizeof(*o->p)) < 0)
		return TSCOPE_ENOMEM;
	o->p[o->np].ns = ns;
	o->p[o->np++].w = w;
	return 0;
}

static int zone_cmp(const void *x, const void *y)
{
	const struct zone *a = x, *b = y;

	return a->a < b->a ? -1 : a->a > b->a;
}

/* Collect thread i's samples and waiting spans (ns). */
static int collect(struct offcpu *o, struct reader *r, size_t i)
{
	struct reader_cursor c;
	struct reader_event ev;
	int rc, fresh = 1;

	reader_cursor_init(&c, r, i, 0);
	while ((rc = reader_next(&c, &ev)) > 0) {
		uint64_t end, wait;

		if (!READER_IS_EVENT(ev.kind)) {
			fresh = 1; /* lost events or a pause: their waits are not known */
			continue;
		}
		if (ev.kind != READER_EV_EXT)
			continue;
		if (ev.len == TSF_EXT_CPU) {
			if (grow((void **)&o->s, &o->s_cap, o->ns_, sizeof(*o->s)) < 0)
				goto nomem;
			o->s[o->ns_].ns = reader_ns(r, ev.ticks);
			o->s[o->ns_].cpu = ev.addr;
			o->s[o->ns_++].fresh = fresh;
			fresh = 0;
			continue;
		}
		if (ev.len != TSF_EXT_WAIT && (ev.len != TSF_EXT_IO || ev.more >= TSF_IO_NO_CPU))
			continue;
		end = reader_ns(r, ev.ticks);
		wait = end - reader_ns(r, ev.ticks > ev.addr ? ev.ticks - ev.addr : 0);
		if (ev.len == TSF_EXT_IO) /* its time on the CPU is not waiting */
			wait = wait > ev.more ? wait - ev.more : 0;
		if (!wait)
			continue;
		if (grow((void **)&o->z, &o->z_cap, o->nz, sizeof(*o->z)) < 0)
			goto nomem;
		o->z[o->nz].a = end > wait ? end - wait : 0;
		o->z[o->nz++].b = end;
	}
	reader_cursor_fini(&c);
	return rc == TSCOPE_ENOMEM ? rc : 0; /* a damaged thread: what was read counts */
nomem:
	reader_cursor_fini(&c);
	return TSCOPE_ENOMEM;
}

/* Sort the waiting spans and merge those that overlap. */
static void merge_zones(struct offcpu *o)
{
	size_t k = 0;

	if (o->nz > 1)
		qsort(o->z, o->nz, sizeof(*o->z), zone_cmp);
	for (size_t j = 0; j < o->nz; j++) {
		if (k && o->z[j].a <= o->z[k - 1].b) {
			if (o->z[j].b > o->z[k - 1].b)
				o->z[k - 1].b = o->z[j].b;
		} else {
			o->z[k++] = o->z[j];
		}
	}
	o->nz = k;
}

/* The waiting in [a, b), from zone *zi on (moved past the zones that end before a). */
static uint64_t waiting(const struct offcpu *o, size_t *zi, uint64_t a, uint64_t b)
{
	uint64_t sum = 0;

	while (*zi < o->nz && o->z[*zi].b <= a)
		(*zi)++;
	for (size_t j = *zi; j < o->nz && o->z[j].a < b; j++) {
		uint64_t lo = o->z[j].a > a ? o->z[j].a : a, hi = o->z[j].b < b ? o->z[j].b : b;

		sum += hi > lo ? hi - lo : 0;
	}
	return sum;
}

/* The breakpoints of W over the interval [a, b) that loses off ns over run ns outside
 * the waiting spans; w is W at a, and becomes W at b. */
static int interval(struct offcpu *o, size_t zi, uint64_t a, uint64_t b, uint64_t off, uint64_t run,
		    uint64_t *w)
{
	uint64_t at = a, done = 0, base = *w;

	for (size_t j = zi; j < o->nz && o->z[j].a < b; j++) {
		uint64_t lo = o->z[j].a > a ? o->z[j].a : a, hi = o->z[j].b < b ? o->z[j].b : b;

		if (hi <= lo)
			continue;
		done += lo - at;
		if (add_point(o, lo, base + (uint64_t)((unsigned __int128)off * done / run)) < 0 ||
		    add_point(o, hi, base + (uint64_t)((unsigned __int128)off * done / run)) < 0)
			return TSCOPE_ENOMEM;
		at = hi;
	}
	*w = base + off;
	return add_point(o, b, *w);
}

int offcpu_thread(struct offcpu *o, struct reader *r, size_t i)
{
	uint64_t w = 0;
	size_t zi = 0;
	int rc;

	o->ns_ = o->nz = o->np = o->hint = 0;
	o->total = 0;
	o->err = 0;
	if (!reader_info(r)->ext_chunks)
		return 0;
	rc = collect(o, r, i);
	if (rc < 0)
		return rc;
	if (o->ns_ < 2)
		return 0;
	merge_zones(o);
	if (add_point(o, o->s[0].ns, 0) < 0)
		return TSCOPE_ENOMEM;
	for (size_t k = 1; k < o->ns_; k++) {
		const struct sample *s0 = &o->s[k - 1], *s1 = &o->s[k];
		uint64_t wall, cpu, wz, off;

		if (s1->fresh || s1->ns <= s0->ns || s1->cpu < s0->cpu) {
			/* no interval: W stays flat */
			if (s1->ns > s0->ns && add_point(o, s1->ns, w) < 0)
				return TSCOPE_ENOMEM;
			continue;
		}
		wall = s1->ns - s0->ns;
		cpu = s1->cpu - s0->cpu;
		wz = waiting(o, &zi, s0->ns, s1->ns);
		off = wall > cpu + wz ? wall - cpu - wz : 0;
		if (!off) {
			if (add_point(o, s1->ns, w) < 0)
				return TSCOPE_ENOMEM;
			continue;
		}
		o->total += off;
		if (interval(o, zi, s0->ns, s1->ns, off, wall - wz, &w) < 0)
			return TSCOPE_ENOMEM;
	}
	return 1;
}

uint64_t offcpu_samples(const struct offcpu *o)
{
	return o->ns_;
}

uint64_t offcpu_total(const struct offcpu *o)
{
	return o->total;
}

int64_t offcpu_percent(const struct offcpu *o, size_t k)
{
	const struct sample *a = &o->s[k], *b = a + 1;
	uint64_t pct;

	if (k + 1 >= o->ns_ || b->fresh || b->ns <= a->ns || b->cpu < a->cpu)
		return -1;
	pct = (uint64_t)((unsigned __int128)(b->cpu - a->cpu) * 100 / (b->ns - a->ns));
	return pct > 100 ? 100 : (int64_t)pct;
}

int offcpu_err(const struct offcpu *o)
{
	return o->err;
}

int offcpu_count(struct reader *r, size_t i, uint64_t *samples)
{
	struct reader_cursor c;
	struct reader_event ev;
	int rc;

	*samples = 0;
	if (!reader_info(r)->ext_chunks)
		return 0;
	reader_cursor_init(&c, r, i, 0);
	while ((rc = reader_next(&c, &ev)) > 0)
		*samples += ev.kind == READER_EV_EXT && ev.len == TSF_EXT_CPU;
	reader_cursor_fini(&c);
	return rc == TSCOPE_ENOMEM ? rc : 0;
}

/* W at ns: see the top of this file. */
static uint64_t w_at(struct offcpu *o, uint64_t ns)
{
	size_t j = o->hint, lo, hi;
	const struct point *p = o->p, *a, *b;

	if (!o->np || ns <= p[0].ns)
		return 0;
	if (ns >= p[o->np - 1].ns)
		return p[o->np - 1].w;
	if (p[j].ns > ns) { /* back in time: the last point at or before ns */
		lo = 0;
		hi = j;
		while (hi - lo > 1) {
			size_t mid = lo + (hi - lo) / 2;

			if (p[mid].ns <= ns)
				lo = mid;
			else
				hi = mid;
		}
		j = lo;
	}
	while (p[j + 1].ns <= ns)
		j++;
	o->hint = j;
	a = &p[j];
	b = &p[j + 1];
	return a->w + (uint64_t)((unsigned __int128)(b->w - a->w) * (ns - a->ns) / (b->ns - a->ns));
}

void offcpu_open(struct offcpu *o, const struct spans_frame *stack, size_t depth)
{
	if (depth >= o->depth_cap) {
		size_t cap = o->depth_cap ? 2 * o->depth_cap : 64;
		uint64_t *w0 = realloc(o->w0, cap * sizeof(*w0)), *child;

		if (w0)
			o->w0 = w0;
		child = w0 ? realloc(o->child, cap * sizeof(*child)) : NULL;
		if (!child) {
			o->err = TSCOPE_ENOMEM;
			return;
		}
		o->child = child;
		o->depth_cap = cap;
		if (depth >= cap) { /* deeper than one step: frames are opened one by one */
			o->err = TSCOPE_ENOMEM;
			return;
		}
	}
	o->w0[depth] = w_at(o, stack[depth].start);
	o->child[depth] = 0;
}

uint64_t offcpu_close(struct offcpu *o, const struct spans_frame *stack, size_t depth, uint64_t end)
{
	uint64_t w1, incl;

	(void)stack;
	if (depth >= o->depth_cap)
		return 0;
	w1 = w_at(o, end);
	incl = w1 > o->w0[depth] ? w1 - o->w0[depth] : 0;
	if (depth)
		o->child[depth - 1] += incl;
	return incl > o->child[depth] ? incl - o->child[depth] : 0;
}
