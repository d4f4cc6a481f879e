/* SPDX-License-Identifier: MIT */
/*
 * export-diff.c - `tscope diff`: two sets of runs compared, function by function or
 * path by path, with the changes that exceed the run-to-run noise told apart.
 *
 * Each trace is one run; the first o.nbase are the base side, the rest the new side.
 * A run is read into a profile (profile.h); its rows by function name and its call
 * paths by name are kept per run, the durations of its calls per side.  Names join
 * the runs (the sides may be different builds: addresses differ, names do not).
 * A side's value is the mean over its runs.
 *
 * This file is the exporter: it reads the runs into a struct diff (diff.h) and, at
 * the end, has them compared (diff-compare.c) and written in the format asked for
 * (diff-text.c, diff-json.c, diff-flame.c).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>

#include "tscope.h"
#include "diff.h"

static void prepare(void *opts, struct spans *const *sp, size_t n)
{
	struct diff_opts *o = opts;

	o->sp = sp;
	o->n = n;
}

static int x_finish(void *x);

static int x_open(void **x, FILE *out, const void *opts, struct names *names)
{
	struct diff *d = calloc(1, sizeof(*d));
	const struct diff_opts *o = opts;

	*x = d;
	if (!d)
		return TSCOPE_ENOMEM;
	d->out = out;
	d->o = *o;
	d->names = names;
	d->run_of = malloc((o->n + 1) * sizeof(*d->run_of));
	d->side = malloc(o->n + 1);
	d->total = calloc(o->n + 1, sizeof(*d->total));
	d->va = malloc((o->n + 1) * sizeof(*d->va));
	d->vb = malloc((o->n + 1) * sizeof(*d->vb));
	if (!d->run_of || !d->side || !d->total || !d->va || !d->vb || calltree_reset(&d->u) < 0) {
		x_finish(d);
		*x = NULL;
		return TSCOPE_ENOMEM;
	}
	for (size_t i = 0; i < o->n; i++) {
		d->run_of[i] = UINT32_MAX;
		if (!o->sp[i])
			continue;
		d->side[d->k] = i >= o->nbase;
		d->nruns[i >= o->nbase]++;
		d->run_of[i] = (uint32_t)d->k++;
	}
	return 0;
}

/* The run's rows by name, and its paths mapped into the tree of every run. */
static int keep_run(struct diff *d, uint32_t run, int s)
{
	struct profile *p = &d->prof;
	size_t nn = names_count(d->names), k = d->k;
	const struct calltree *t = &p->merged;

	if (profile_rows(p, nn) < 0 ||
	    calltree_grow((void **)&d->fv, &d->fv_cap, nn * k, sizeof(*d->fv), 1) < 0 ||
	    calltree_grow((void **)&d->map, &d->map_cap, t->n, sizeof(*d->map), 0) < 0 ||
	    calltree_grow((void **)&d->hist[s], &d->hist_cap[s], p->hist_cap, sizeof(struct hist),
			  1) < 0)
		return TSCOPE_ENOMEM;
	for (size_t i = 0; i < nn; i++) {
		const struct profile_row *r = &p->rows[i];

		d->fv[i * k + run] = (struct diff_val){ r->calls, r->incl, r->self };
		d->total[run] += (double)r->self;
	}
	for (size_t i = 0; i < p->hist_cap; i++)
		if (p->hist[i].n && hist_merge(&d->hist[s][i], &p->hist[i]) < 0)
			return TSCOPE_ENOMEM;
	d->map[0] = 0;
	for (size_t i = 1; i < t->n; i++) { /* a parent comes before its children */
		const struct calltree_node *nd = &t->nodes[i];

		d->map[i] = calltree_child(&d->u, d->map[nd->parent], nd->key);
		if (d->u.err ||
		    calltree_grow((void **)&d->tv, &d->tv_cap, d->u.n * k, sizeof(*d->tv), 1) < 0)
			return TSCOPE_ENOMEM;
		d->tv[(size_t)d->map[i] * k + run] =
		    (struct diff_val){ nd->calls, nd->incl, nd->self };
	}
	return 0;
}

static int x_add(void *x, struct spans *sp)
{
	struct diff *d = x;
	struct reader *r = spans_reader(sp);
	uint32_t run = UINT32_MAX;
	int rc = 0;

	for (size_t i = 0; i < d->o.n && run == UINT32_MAX; i++)
		if (d->o.sp[i] == sp && d->run_of[i] != UINT32_MAX) {
			run = d->run_of[i];
			d->run_of[i] = UINT32_MAX; /* the same trace given twice: its next run */
		}
	if (run == UINT32_MAX || d->err)
		return d->err;
	if (profile_reset(&d->prof) < 0)
		return d->err = TSCOPE_ENOMEM;
	for (size_t i = 0; i < reader_thread_count(r); i++) {
		int e = profile_thread(&d->prof, sp, i);

		if (e == TSCOPE_ENOMEM)
			return d->err = e;
		if (e < 0 && !rc)
			rc = e;
		d->threads++;
	}
	if (keep_run(d, run, d->side[run]) < 0)
		return d->err = TSCOPE_ENOMEM;
	return rc;
}

static void write_verdict(struct diff *d)
{
	FILE *v;

	if (d->o.fail_above < 0 || !d->o.verdict || !d->o.verdict_size)
		return;
	v = fmemopen(d->o.verdict, d->o.verdict_size, "w");
	if (!v)
		return;
	diff_put_verdict(d, v, "");
	fclose(v);
}

static int x_finish(void *x)
{
	struct diff *d = x;
	int rc;

	if (!d->err && d->threads && diff_compare_functions(d) == 0) {
		diff_compare_total(d);
		write_verdict(d);
		if (d->o.format == DIFF_JSON) {
			diff_json(d);
		} else if (d->o.format == DIFF_MARKDOWN) {
			diff_markdown(d);
		} else if (d->o.format == DIFF_FOLDED) {
			if (diff_folded(d) == TSCOPE_ENOMEM)
				d->err = TSCOPE_ENOMEM;
		} else if (d->o.format == DIFF_FLAMEGRAPH) {
			if (diff_flamegraph(d) < 0)
				d->err = TSCOPE_ENOMEM;
		} else {
			diff_text(d);
		}
	} else if (!d->err) {
		d->err = d->threads ? TSCOPE_ENOMEM : 0;
	}
	rc = d->err;
	profile_fini(&d->prof);
	calltree_fini(&d->u);
	for (int s = 0; s < 2; s++) {
		for (size_t i = 0; i < d->hist_cap[s]; i++)
			hist_free(&d->hist[s][i]);
		free(d->hist[s]);
	}
	free(d->run_of);
	free(d->side);
	free(d->total);
	free(d->fv);
	free(d->tv);
	free(d->map);
	free(d->rows);
	free(d->st);
	free(d->path);
	free(d->plen);
	free(d->ids);
	free(d->va);
	free(d->vb);
	free(d);
	return rc;
}

static uint64_t x_threads(const void *x)
{
	return ((const struct diff *)x)->threads;
}

const struct exporter diff_exporter = {
	.name = "diff",
	.prepare = prepare,
	.open = x_open,
	.add = x_add,
	.finish = x_finish,
	.threads = x_threads,
};
