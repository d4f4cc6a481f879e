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
 * A change is significant when Welch's t-test on the per-run values gives p < ALPHA
 * and the two sides' runs do not overlap (every new run above every base run, or
 * below): two tests that must agree, so that one outlying run, or a tiny spread that
 * makes any difference "significant", does not pass alone.  With one run on a side
 * there is no spread to compare with: significance is unknown, and said so.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tscope.h"
#include "export.h"
#include "calltree.h"
#include "flame.h"
#include "profile.h"
#include "stats.h"
#include "units.h"

#define ALPHA	     0.01
#define MARKDOWN_MAX 50 /* rows of a markdown table */

/* One function or path in one run. */
struct val {
	uint64_t calls, incl, self;
};

enum verdict { V_SAME, V_SLOWER, V_FASTER, V_NOISE, V_NEW, V_GONE };

/* A function (or path) compared: means per run on each side, the change of self time
 * (functions) or inclusive time (paths). */
struct cmp {
	uint32_t id;   /* name id */
	uint32_t node; /* tree: the node of every run's tree */
	double calls[2], incl[2], self[2];
	double change, pct; /* pct: NAN when the base is 0 */
	double p;	    /* Welch's p; NAN when unknown */
	int sig;	    /* 1 significant, 0 noise, -1 unknown */
	enum verdict v;
};

/* Call paths are shown down to this many frames: below, a recursion N deep would print
 * N paths of up to N frames. */
#define DIFF_MAX_DEPTH FLAME_MAX_DEPTH

struct diff {
	FILE *out;
	struct diff_opts o;
	struct names *names;
	size_t k;	  /* runs */
	uint32_t *run_of; /* by trace: its run, UINT32_MAX for none */
	uint8_t *side;	  /* by run: 0 base, 1 new */
	size_t nruns[2];
	double *total;	      /* by run: its self time over every function */
	struct profile prof;  /* the run being read */
	struct hist *hist[2]; /* durations by name id, per side */
	size_t hist_cap[2];
	struct val *fv; /* by name id * k + run */
	size_t fv_cap;
	struct calltree u; /* every path of every run, keys are name ids */
	struct val *tv;	   /* by node * k + run */
	size_t tv_cap;
	uint32_t *map; /* the run's node -> its node in u */
	size_t map_cap;
	uint64_t threads;
	int err;

	/* finish */
	struct cmp *rows;
	size_t nrows, rows_cap;
	struct cmp tot;
	double scale; /* the base's total: what the threshold is a share of */
	size_t hidden;
	size_t deep; /* tree, JSON and folded paths: those past DIFF_MAX_DEPTH frames, not shown */
	char *path;  /* folded: the path being walked, and where each frame ends */
	size_t path_cap, *plen, plen_cap;
	uint32_t *ids; /* json: the names on the path being walked */
	size_t ids_cap;
	struct cmp *st; /* tree: the children of the nodes on the path, sorted */
	size_t st_n, st_cap;
	double *va, *vb; /* the per-run values of the two sides */
};

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

		d->fv[i * k + run] = (struct val){ r->calls, r->incl, r->self };
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
		d->tv[(size_t)d->map[i] * k + run] = (struct val){ nd->calls, nd->incl, nd->self };
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

/* ---- comparing ------------------------------------------------------------------------ */

/* Compare the k per-run values of one function or path (v, stride 1); with incl, on
 * inclusive time, else on self time.  A side without runs counts as 0. */
static void compare(struct diff *d, const struct val *v, int incl, struct cmp *c)
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
		c->sig = c->p < ALPHA && (lo[1] > hi[0] || hi[1] < lo[0]);
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

/* Is the change of c small enough to hide? */
static int small(const struct diff *d, const struct cmp *c)
{
	return fabs(c->change) < d->o.threshold / 100 * d->scale && d->o.threshold > 0;
}

static int by_change(const void *pa, const void *pb, const struct names *names)
{
	const struct cmp *a = pa, *b = pb;
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

/* Every function compared, sorted by the size of its change. */
static int compare_functions(struct diff *d)
{
	size_t nn = names_count(d->names);

	for (size_t i = 0; i < nn && (i + 1) * d->k <= d->fv_cap; i++) {
		const struct val *v = &d->fv[i * d->k];
		int any = 0;

		for (size_t r = 0; r < d->k; r++)
			any |= v[r].calls != 0;
		if (!any)
			continue;
		if (calltree_grow((void **)&d->rows, &d->rows_cap, d->nrows + 1, sizeof(*d->rows),
				  0) < 0)
			return TSCOPE_ENOMEM;
		compare(d, v, 0, &d->rows[d->nrows]);
		d->rows[d->nrows++].id = (uint32_t)i;
	}
	sort_names = d->names;
	if (d->nrows > 1)
		qsort(d->rows, d->nrows, sizeof(*d->rows), row_cmp);
	return 0;
}

/* The totals: self time over every function, per run. */
static void compare_total(struct diff *d)
{
	struct cmp *c = &d->tot;
	struct val *v = calloc(d->k + 1, sizeof(*v));

	if (!v) {
		d->err = TSCOPE_ENOMEM;
		return;
	}
	for (size_t r = 0; r < d->k; r++) /* a sum of uint64 self times may pass 2^64 */
		v[r].self = v[r].incl = d->total[r] < 0x1p64 ? (uint64_t)d->total[r] : UINT64_MAX;
	compare(d, v, 0, c);
	free(v);
	d->scale = c->self[0] > 0 ? c->self[0] : c->self[1];
}

/* ---- the gate ------------------------------------------------------------------------- */

/* A slowdown the gate fails on: significant (or unknown: one run a side) and above it. */
static int gate_hit(const struct diff *d, const struct cmp *c)
{
	return c->change > 0 && c->sig != 0 && (isnan(c->pct) || c->pct > d->o.fail_above);
}

/* A function's largest share of its side's total, in %. */
static double share(const struct diff *d, const struct cmp *c)
{
	double a = d->tot.self[0] > 0 ? c->self[0] / d->tot.self[0] : 0;
	double b = d->tot.self[1] > 0 ? c->self[1] / d->tot.self[1] : 0;

	return 100 * (a > b ? a : b);
}

/* Apply the gate; the number of functions it fails on (the total apart). */
static size_t gate(struct diff *d, int *total)
{
	size_t n = 0;

	*total = 0;
	if (d->o.fail_above < 0)
		return 0;
	*total = gate_hit(d, &d->tot);
	for (size_t i = 0; i < d->nrows; i++)
		n += gate_hit(d, &d->rows[i]) && share(d, &d->rows[i]) >= d->o.min_share;
	if ((n || *total) && d->o.failed)
		*d->o.failed = 1;
	return n;
}

/* ---- text ----------------------------------------------------------------------------- */

static const char *const verdict_word[] = { "same", "slower", "faster", "noise", "new", "gone" };

static const char *verdict_of(const struct cmp *c)
{
	if (c->sig < 0 && (c->v == V_SLOWER || c->v == V_FASTER))
		return c->v == V_SLOWER ? "slower?" : "faster?";
	return verdict_word[c->v];
}

static void put_ns(FILE *out, double ns, int width)
{
	char buf[32];

	units_ns(buf, sizeof(buf), (uint64_t)llround(ns));
	fprintf(out, "%*s", width, buf);
}

static void put_change(FILE *out, double ns, int width)
{
	char buf[32], s[40];

	units_ns(buf, sizeof(buf), (uint64_t)llround(fabs(ns)));
	snprintf(s, sizeof(s), "%s%s", ns > 0 ? "+" : ns < 0 ? "-" : "", buf);
	fprintf(out, "%*s", width, s);
}

static void put_pct(FILE *out, double pct, int width)
{
	if (isnan(pct))
		fprintf(out, "%*s", width, "new");
	else
		fprintf(out, "%+*.1f%%", width - 1, pct);
}

static void put_calls(FILE *out, double calls, int width)
{
	if (calls == floor(calls))
		fprintf(out, "%*.0f", width, calls);
	else
		fprintf(out, "%*.1f", width, calls);
}

static void put_p(FILE *out, const struct cmp *c)
{
	if (c->sig < 0)
		fputs("significance unknown: one run on a side", out);
	else
		fprintf(out, "%s, p = %.2g", c->sig ? "significant" : "noise", c->p);
}

static void text_header(struct diff *d)
{
	const struct cmp *t = &d->tot;

	fprintf(d->out, "base: %zu run%s, new: %zu run%s (means per run)\n", d->nruns[0],
		d->nruns[0] == 1 ? "" : "s", d->nruns[1], d->nruns[1] == 1 ? "" : "s");
	fputs("total: ", d->out);
	put_ns(d->out, t->self[0], 0);
	fputs(" -> ", d->out);
	put_ns(d->out, t->self[1], 0);
	fputs(", ", d->out);
	put_change(d->out, t->change, 0);
	fputs(" (", d->out);
	put_pct(d->out, t->pct, 0);
	fputs("), ", d->out);
	put_p(d->out, t);
	fputs("\nsignificant: Welch's t-test on the per-run times gives p < 0.01, and the runs of\n"
	      "the two sides do not overlap; other changes are noise\n",
	      d->out);
}

static void put_name_col(struct diff *d, uint32_t id, unsigned indent)
{
	size_t len;
	const char *s = names_str(d->names, id, &len);

	fprintf(d->out, "  %*s", (int)(2 * indent), "");
	units_name(d->out, s, len);
	fputc('\n', d->out);
}

static void text_flat(struct diff *d)
{
	fputs("\n   change       %  self base   self new  incl base   incl new  calls base"
	      "   calls new   p50 base    p50 new   p99 base    p99 new  verdict  function\n",
	      d->out);
	for (size_t i = 0; i < d->nrows && !ferror(d->out); i++) {
		const struct cmp *c = &d->rows[i];

		if (small(d, c)) {
			d->hidden++;
			continue;
		}
		put_change(d->out, c->change, 9);
		put_pct(d->out, c->pct, 8);
		for (int s = 0; s < 2; s++)
			put_ns(d->out, c->self[s], 11);
		for (int s = 0; s < 2; s++)
			put_ns(d->out, c->incl[s], 11);
		for (int s = 0; s < 2; s++)
			put_calls(d->out, c->calls[s], 12);
		for (int q = 0; q < 2; q++)
			for (int s = 0; s < 2; s++) {
				const struct hist *h = d->hist[s];

				if (c->id < d->hist_cap[s] && h[c->id].n)
					put_ns(d->out,
					       (double)hist_quantile(&h[c->id], q ? 0.99 : 0.5),
					       11);
				else
					fprintf(d->out, "%11s", "-");
			}
		fprintf(d->out, "  %-7s", verdict_of(c));
		put_name_col(d, c->id, 0);
	}
}

/* The path to node, compared in *at (the root: NULL), then its children, by the size
 * of their change of inclusive time; a path with a small change is hidden with all
 * below it.  The children wait on a stack shared by the levels. */
static int tree_line(struct diff *d, const struct cmp *at, unsigned depth)
{
	uint32_t node = at ? at->node : 0;
	size_t first = d->st_n;

	if (at) {
		if (depth >= DIFF_MAX_DEPTH) {
			d->deep++;
			return 0;
		}
		if (small(d, at)) {
			d->hidden++;
			return 0;
		}
		put_change(d->out, at->change, 9);
		put_pct(d->out, at->pct, 8);
		for (int s = 0; s < 2; s++)
			put_ns(d->out, at->incl[s], 11);
		for (int s = 0; s < 2; s++)
			put_ns(d->out, at->self[s], 11);
		for (int s = 0; s < 2; s++)
			put_calls(d->out, at->calls[s], 12);
		fprintf(d->out, "  %-7s", verdict_of(at));
		put_name_col(d, at->id, depth);
	}
	for (uint32_t ch = d->u.nodes[node].child; ch; ch = d->u.nodes[ch].next) {
		if (calltree_grow((void **)&d->st, &d->st_cap, d->st_n + 1, sizeof(*d->st), 0) < 0)
			return TSCOPE_ENOMEM;
		compare(d, &d->tv[(size_t)ch * d->k], 1, &d->st[d->st_n]);
		d->st[d->st_n].id = (uint32_t)d->u.nodes[ch].key;
		d->st[d->st_n++].node = ch;
	}
	if (d->st_n - first > 1)
		qsort(d->st + first, d->st_n - first, sizeof(*d->st), row_cmp);
	for (size_t i = first; i < d->st_n && !ferror(d->out); i++) {
		struct cmp c = d->st[i]; /* the stack may move */

		if (tree_line(d, &c, at ? depth + 1 : 0) < 0)
			return TSCOPE_ENOMEM;
	}
	d->st_n = first;
	return 0;
}

static void text_tree(struct diff *d)
{
	fputs("\n   change       %  incl base   incl new  self base   self new  calls base"
	      "   calls new  verdict  call path\n",
	      d->out);
	sort_names = d->names;
	if (tree_line(d, NULL, 0) < 0)
		d->err = TSCOPE_ENOMEM;
}

/* The gate's verdict, one line. */
static void put_verdict(struct diff *d, FILE *out, const char *pre)
{
	int total;
	size_t n = gate(d, &total), shown = 0;

	if (d->o.fail_above < 0)
		return;
	if (!n && !total) {
		fprintf(out, "%sverdict: pass: no significant slowdown above %g%%\n", pre,
			d->o.fail_above);
		return;
	}
	fprintf(out, "%sverdict: FAIL: slower by more than %g%%:", pre, d->o.fail_above);
	if (total) {
		fputs(" total ", out);
		put_pct(out, d->tot.pct, 0);
		shown++;
	}
	for (size_t i = 0; i < d->nrows && shown < 6; i++) {
		const struct cmp *c = &d->rows[i];
		size_t len;
		const char *s;

		if (!gate_hit(d, c) || share(d, c) < d->o.min_share)
			continue;
		s = names_str(d->names, c->id, &len);
		fputs(shown++ ? ", " : " ", out);
		units_name(out, s, len);
		fputc(' ', out);
		put_pct(out, c->pct, 0);
	}
	if (n + (size_t)total > shown)
		fprintf(out, ", and %zu more", n + (size_t)total - shown);
	if (d->tot.sig < 0)
		fputs(" (one run on a side: significance unknown, the change alone decides)", out);
	fputc('\n', out);
}

/* ---- JSON ------------------------------------------------------------------------------ */

static void json_num(FILE *out, double v)
{
	if (isnan(v) || isinf(v))
		fputs("null", out);
	else
		fprintf(out, "%.15g", v);
}

static void json_pair(FILE *out, const char *key, const double *v)
{
	fprintf(out, ",\"%s\":[", key);
	json_num(out, v[0]);
	fputc(',', out);
	json_num(out, v[1]);
	fputc(']', out);
}

static void json_str(struct diff *d, const char *s, size_t n)
{
	char *buf = malloc(6 * n + 2);

	if (!buf) {
		d->err = TSCOPE_ENOMEM;
		fputs("\"\"", d->out);
		return;
	}
	fwrite(buf, 1, chrome_escape(buf, s, n), d->out);
	free(buf);
}

/* The fields of one comparison, after its name. */
static void json_cmp(struct diff *d, const struct cmp *c, int quantiles)
{
	FILE *out = d->out;
	double per[2];

	json_pair(out, "calls", c->calls);
	json_pair(out, "self_ns", c->self);
	json_pair(out, "incl_ns", c->incl);
	for (int s = 0; s < 2; s++)
		per[s] = c->calls[s] > 0 ? c->self[s] / c->calls[s] : NAN;
	json_pair(out, "self_ns_per_call", per);
	for (int s = 0; s < 2; s++)
		per[s] = c->calls[s] > 0 ? c->incl[s] / c->calls[s] : NAN;
	json_pair(out, "incl_ns_per_call", per);
	for (int q = 0; quantiles && q < 2; q++) {
		for (int s = 0; s < 2; s++)
			per[s] = c->id < d->hist_cap[s] && d->hist[s][c->id].n
				     ? (double)hist_quantile(&d->hist[s][c->id], q ? 0.99 : 0.5)
				     : NAN;
		json_pair(out, q ? "p99_ns" : "p50_ns", per);
	}
	fputs(",\"change_ns\":", out);
	json_num(out, c->change);
	fputs(",\"change_pct\":", out);
	json_num(out, c->pct);
	fputs(",\"p\":", out);
	json_num(out, c->p);
	fprintf(out, ",\"significant\":%s,\"verdict\":\"%s\"}",
		c->sig < 0 ? "null"
		: c->sig   ? "true"
			   : "false",
		verdict_word[c->v]);
}

/* Every path of the tree, outermost frame first: {"path":[...], ...}. */
static int json_paths(struct diff *d, uint32_t node, size_t depth, int *first)
{
	for (uint32_t ch = d->u.nodes[node].child; ch; ch = d->u.nodes[ch].next) {
		struct cmp c;

		if (depth >= DIFF_MAX_DEPTH) {
			d->deep++;
			continue;
		}
		compare(d, &d->tv[(size_t)ch * d->k], 1, &c);
		c.id = (uint32_t)d->u.nodes[ch].key;
		if (calltree_grow((void **)&d->ids, &d->ids_cap, depth + 1, sizeof(*d->ids), 0) < 0)
			return TSCOPE_ENOMEM;
		d->ids[depth] = c.id;
		if (small(d, &c)) {
			d->hidden++;
			continue;
		}
		fputs(*first ? "\n{\"path\":[" : ",\n{\"path\":[", d->out);
		*first = 0;
		for (size_t i = 0; i <= depth; i++) {
			size_t len;
			const char *s = names_str(d->names, d->ids[i], &len);

			if (i)
				fputc(',', d->out);
			json_str(d, s, len);
		}
		fputc(']', d->out);
		json_cmp(d, &c, 0);
		if (json_paths(d, ch, depth + 1, first) < 0)
			return TSCOPE_ENOMEM;
	}
	return 0;
}

static void json(struct diff *d)
{
	FILE *out = d->out;
	int total, first = 1;
	size_t n = gate(d, &total);

	fprintf(out, "{\"tool\":\"tscope diff\",\"runs\":[%zu,%zu],", d->nruns[0], d->nruns[1]);
	fprintf(out, "\"test\":\"welch t-test p < %g and no overlap of the sides' runs\",", ALPHA);
	fputs("\"threshold_pct\":", out);
	json_num(out, d->o.threshold);
	fputs(",\"total\":{\"name\":null", out);
	json_cmp(d, &d->tot, 0);
	fputs(",\n\"functions\":[", out);
	for (size_t i = 0; i < d->nrows && !ferror(out); i++) {
		const struct cmp *c = &d->rows[i];
		size_t len;
		const char *s;

		if (small(d, c)) {
			d->hidden++;
			continue;
		}
		s = names_str(d->names, c->id, &len);
		fputs(first ? "\n{\"name\":" : ",\n{\"name\":", out);
		first = 0;
		json_str(d, s, len);
		json_cmp(d, c, 1);
	}
	fputs("]", out);
	if (d->o.tree) {
		first = 1;
		fputs(",\n\"paths\":[", out);
		if (json_paths(d, 0, 0, &first) < 0)
			d->err = TSCOPE_ENOMEM;
		fputs("]", out);
	}
	fprintf(out, ",\n\"hidden\":%zu", d->hidden);
	if (d->o.tree)
		fprintf(out, ",\"deeper_than_%d\":%zu", DIFF_MAX_DEPTH, d->deep);
	if (d->o.fail_above >= 0) {
		fputs(",\n\"gate\":{\"fail_above_pct\":", out);
		json_num(out, d->o.fail_above);
		fputs(",\"min_share_pct\":", out);
		json_num(out, d->o.min_share);
		fprintf(out, ",\"total\":%s,\"functions\":%zu,\"failed\":%s}",
			total ? "true" : "false", n, n || total ? "true" : "false");
	}
	fputs("}\n", out);
}

/* ---- markdown -------------------------------------------------------------------------- */

/* A name in a table cell: in backquotes, which it cannot close or break. */
static void md_name(FILE *out, const char *s, size_t n)
{
	fputc('`', out);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		fputc(ch == '`' ? '\'' : ch == '|' ? '/' : ch < 0x20 || ch == 0x7f ? '?' : ch, out);
	}
	fputc('`', out);
}

static void markdown(struct diff *d)
{
	FILE *out = d->out;
	size_t shown = 0;

	fprintf(out, "**tscope diff**: %zu base run%s, %zu new run%s. Total ", d->nruns[0],
		d->nruns[0] == 1 ? "" : "s", d->nruns[1], d->nruns[1] == 1 ? "" : "s");
	put_ns(out, d->tot.self[0], 0);
	fputs(" → ", out);
	put_ns(out, d->tot.self[1], 0);
	fputs(" (", out);
	put_pct(out, d->tot.pct, 0);
	fputs(", ", out);
	put_p(out, &d->tot);
	fputs(").\n\n", out);
	put_verdict(d, out, "");
	fputs("\n| function | self base | self new | change | % | calls base | calls new | "
	      "verdict |\n|---|---:|---:|---:|---:|---:|---:|---|\n",
	      out);
	for (size_t i = 0; i < d->nrows && !ferror(out); i++) {
		const struct cmp *c = &d->rows[i];
		size_t len;
		const char *s = names_str(d->names, c->id, &len);

		if (small(d, c) || shown == MARKDOWN_MAX) {
			d->hidden++;
			continue;
		}
		shown++;
		fputs("| ", out);
		md_name(out, s, len);
		fputs(" | ", out);
		put_ns(out, c->self[0], 0);
		fputs(" | ", out);
		put_ns(out, c->self[1], 0);
		fputs(" | ", out);
		put_change(out, c->change, 0);
		fputs(" | ", out);
		put_pct(out, c->pct, 0);
		fputs(" | ", out);
		put_calls(out, c->calls[0], 0);
		fputs(" | ", out);
		put_calls(out, c->calls[1], 0);
		fprintf(out, " | %s |\n", verdict_of(c));
	}
	if (d->hidden)
		fprintf(out, "\n%zu smaller change%s not shown.\n", d->hidden,
			d->hidden == 1 ? "" : "s");
}

/* ---- difffolded ------------------------------------------------------------------------ */

/* "a;b;c BEFORE AFTER": self ns per run of each path, the two sides' means rounded. */
static int folded_node(void *ctx, uint32_t node, uint32_t depth)
{
	struct diff *d = ctx;
	size_t len, at = depth ? d->plen[depth - 1] : 0;
	const char *name = names_str(d->names, (uint32_t)d->u.nodes[node].key, &len);
	struct cmp c;

	if (ferror(d->out))
		return TSCOPE_EIO;
	if (depth >= DIFF_MAX_DEPTH) {
		d->deep++;
		return 0;
	}
	if (calltree_grow((void **)&d->path, &d->path_cap, at + len + 2, 1, 0) < 0 ||
	    calltree_grow((void **)&d->plen, &d->plen_cap, (size_t)depth + 1, sizeof(*d->plen), 0) <
		0)
		return TSCOPE_ENOMEM;
	if (depth)
		d->path[at++] = ';';
	folded_frame(d->path + at, name, len);
	d->plen[depth] = at + len;
	compare(d, &d->tv[(size_t)node * d->k], 0, &c);
	if (llround(c.self[0]) || llround(c.self[1])) {
		fwrite(d->path, 1, d->plen[depth], d->out);
		fprintf(d->out, " %lld %lld\n", llround(c.self[0]), llround(c.self[1]));
	}
	return 1;
}

/* ---- differential flame graph ---------------------------------------------------------- */

/*
 * The tree of every run drawn by flame.c: widths are the new side's mean times, colours
 * the change of each path's mean self time from the base's (red slower, blue faster,
 * the largest change at full colour, grey unchanged).  Paths the new side never took
 * have no width: they do not show.
 */
static int flamegraph(struct diff *d)
{
	size_t n = d->u.n;
	double *v = malloc(4 * (n + 1) * sizeof(*v));
	struct flame_tree ft = { &d->u, d->names, v, v + n + 1, v + 2 * (n + 1), v + 3 * (n + 1) };
	struct flame_opts fo = { .title = "Differential Flame Graph",
				 .width = FLAME_WIDTH,
				 .min_width = FLAME_MIN_WIDTH,
				 .unit = FLAME_NS };
	char sub[256];
	int rc;

	if (!v)
		return TSCOPE_ENOMEM;
	memset(v, 0, 4 * (n + 1) * sizeof(*v));
	for (size_t i = 1; i < n; i++) {
		struct cmp c;

		compare(d, &d->tv[i * d->k], 0, &c);
		v[i] = c.self[1];
		v[n + 1 + i] = c.calls[1];
		v[2 * (n + 1) + i] = c.self[0];
		v[3 * (n + 1) + i] = c.calls[0];
	}
	snprintf(sub, sizeof(sub),
		 "width: time in the new runs (mean of %zu); colour: change of self time from "
		 "the base (mean of %zu): red slower, blue faster",
		 d->nruns[1], d->nruns[0]);
	fo.subtitle = sub;
	rc = flame_write(d->out, &fo, &ft);
	free(v);
	return rc;
}

/* ---- finish ---------------------------------------------------------------------------- */

static void write_verdict(struct diff *d)
{
	FILE *v;

	if (d->o.fail_above < 0 || !d->o.verdict || !d->o.verdict_size)
		return;
	v = fmemopen(d->o.verdict, d->o.verdict_size, "w");
	if (!v)
		return;
	put_verdict(d, v, "");
	fclose(v);
}

static int x_finish(void *x)
{
	struct diff *d = x;
	int rc;

	if (!d->err && d->threads && compare_functions(d) == 0) {
		compare_total(d);
		write_verdict(d);
		if (d->o.format == DIFF_JSON) {
			json(d);
		} else if (d->o.format == DIFF_MARKDOWN) {
			markdown(d);
		} else if (d->o.format == DIFF_FOLDED) {
			if (calltree_walk(&d->u, NULL, folded_node, d) == TSCOPE_ENOMEM)
				d->err = TSCOPE_ENOMEM;
		} else if (d->o.format == DIFF_FLAMEGRAPH) {
			if (flamegraph(d) < 0)
				d->err = TSCOPE_ENOMEM;
		} else {
			text_header(d);
			if (d->o.tree)
				text_tree(d);
			else
				text_flat(d);
			if (d->hidden)
				fprintf(
				    d->out,
				    "(%zu %s%s changed by under %g%% of the base's total hidden:"
				    " -t 0 shows them)\n",
				    d->hidden, d->o.tree ? "call path" : "function",
				    d->hidden == 1 ? "" : "s", d->o.threshold);
			if (d->deep)
				fprintf(d->out,
					"(%zu call path%s below %d frames not shown, with their "
					"callees)\n",
					d->deep, d->deep == 1 ? "" : "s", DIFF_MAX_DEPTH);
			put_verdict(d, d->out, "\n");
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
