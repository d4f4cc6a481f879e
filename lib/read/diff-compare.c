/* SPDX-License-Identifier: MIT */
/*
 * diff-compare.c - `tscope diff`'s comparison (see diff.h): a function's or path's
 * per-run values on the two sides made into means, a change, a significance and a
 * verdict; the rows sorted; and the CI gate that fails on a slowdown.
 *
 * A change is significant when Welch's t-test on the per-run values gives
 * p < DIFF_ALPHA and the two sides' runs do not overlap (every new run above every
 * base run, or below): two tests that must agree, so that one outlying run, or a tiny
 * spread that makes any difference "significant", does not pass alone.  With one run
 * on a side there is no spread to compare with: significance is unknown, and said so.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tscope.h"
#include "diff.h"
#include "stats.h"

const char *const diff_verdict_word[] = { "same", "slower", "faster", "noise", "new", "gone" };

void diff_compare(struct diff *d, const struct diff_val *v, int incl, struct diff_cmp *c)
{
	size_t n[2] = { 0, 0 };
	double lo[2] = { INFINITY, INFINITY }, hi[2] = { -INFINITY, -INFINITY };

	memset(c->calls, 0, sizeof(c->calls));
	memset(c->incl, 0, sizeof(c->incl));
	memset(c->self, 0, sizeof(c->self));
	for (size_t r = 0; r < d->k; r++) {
		int s = d->side[r];
		double x = (double)(incl ? v[r].incl : v[r].self);

		c->calls[s] += (double)v[r].calls;
		c->incl[s] += (double)v[r].incl;
		c->self[s] += (double)v[r].self;
		(s ? d->vb : d->va)[n[s]++] = x;
		lo[s] = x < lo[s] ? x : lo[s];
		hi[s] = x > hi[s] ? x : hi[s];
	}
	for (int s = 0; s < 2; s++) {
		double m = d->nruns[s] ? (double)d->nruns[s] : 1;

		c->calls[s] /= m;
		c->incl[s] /= m;
		c->self[s] /= m;
	}
	if (incl)
		c->change = c->incl[1] - c->incl[0];
	else
		c->change = c->self[1] - c->self[0];
	c->pct = incl ? c->incl[0] : c->self[0];
	c->pct = c->pct > 0 ? 100 * c->change / c->pct : NAN;
	c->p = NAN;
	c->sig = -1;
	if (n[0] >= 2 && n[1] >= 2) {
		c->p = stats_welch_p(d->va, n[0], d->vb, n[1]);
		c->sig = c->p < DIFF_ALPHA && (lo[1] > hi[0] || hi[1] < lo[0]);
	}
	if (c->calls[0] == 0 && c->calls[1] > 0)
		c->v = V_NEW;
	else if (c->calls[1] == 0 && c->calls[0] > 0)
		c->v = V_GONE;
	else if (c->change == 0)
		c->v = V_SAME;
	else if (c->sig == 0)
		c->v = V_NOISE;
	else
		c->v = c->change > 0 ? V_SLOWER : V_FASTER;
}

int diff_small(const struct diff *d, const struct diff_cmp *c)
{
	return fabs(c->change) < d->o.threshold / 100 * d->scale && d->o.threshold > 0;
}

static int by_change(const void *pa, const void *pb, const struct names *names)
{
	const struct diff_cmp *a = pa, *b = pb;
	double x = fabs(a->change), y = fabs(b->change);
	size_t la, lb;
	const char *na, *nb;
	int r;

	if (x != y)
		return x > y ? -1 : 1;
	na = names_str(names, a->id, &la);
	nb = names_str(names, b->id, &lb);
	r = memcmp(na, nb, la < lb ? la : lb);
	if (r || la != lb)
		return r ? r : la < lb ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

static const struct names *sort_names; /* qsort() has no context argument */

static int row_cmp(const void *a, const void *b)
{
	return by_change(a, b, sort_names);
}

void diff_sort(const struct diff *d, struct diff_cmp *c, size_t n)
{
	sort_names = d->names;
	if (n > 1)
		qsort(c, n, sizeof(*c), row_cmp);
}

int diff_compare_functions(struct diff *d)
{
	size_t nn = names_count(d->names);

	for (size_t i = 0; i < nn && (i + 1) * d->k <= d->fv_cap; i++) {
		const struct diff_val *v = &d->fv[i * d->k];
		int any = 0;

		for (size_t r = 0; r < d->k; r++)
			any |= v[r].calls != 0;
		if (!any)
			continue;
		if (calltree_grow((void **)&d->rows, &d->rows_cap, d->nrows + 1, sizeof(*d->rows),
				  0) < 0)
			return TSCOPE_ENOMEM;
		diff_compare(d, v, 0, &d->rows[d->nrows]);
		d->rows[d->nrows++].id = (uint32_t)i;
	}
	diff_sort(d, d->rows, d->nrows);
	return 0;
}

/* The totals: self time over every function, per run. */
void diff_compare_total(struct diff *d)
{
	struct diff_cmp *c = &d->tot;
	struct diff_val *v = calloc(d->k + 1, sizeof(*v));

	if (!v) {
		d->err = TSCOPE_ENOMEM;
		return;
	}
	for (size_t r = 0; r < d->k; r++) /* a sum of uint64 self times may pass 2^64 */
		v[r].self = v[r].incl = d->total[r] < 0x1p64 ? (uint64_t)d->total[r] : UINT64_MAX;
	diff_compare(d, v, 0, c);
	free(v);
	d->scale = c->self[0] > 0 ? c->self[0] : c->self[1];
}

/* ---- the gate ------------------------------------------------------------------------ */

/* A slowdown the gate fails on: significant (or unknown: one run a side) and above it. */
int diff_gate_hit(const struct diff *d, const struct diff_cmp *c)
{
	return c->change > 0 && c->sig != 0 && (isnan(c->pct) || c->pct > d->o.fail_above);
}

double diff_share(const struct diff *d, const struct diff_cmp *c)
{
	double a = d->tot.self[0] > 0 ? c->self[0] / d->tot.self[0] : 0;
	double b = d->tot.self[1] > 0 ? c->self[1] / d->tot.self[1] : 0;

	return 100 * (a > b ? a : b);
}

size_t diff_gate(struct diff *d, int *total)
{
	size_t n = 0;

	*total = 0;
	if (d->o.fail_above < 0)
		return 0;
	*total = diff_gate_hit(d, &d->tot);
	for (size_t i = 0; i < d->nrows; i++)
		n += diff_gate_hit(d, &d->rows[i]) && diff_share(d, &d->rows[i]) >= d->o.min_share;
	if ((n || *total) && d->o.failed)
		*d->o.failed = 1;
	return n;
}
