/* SPDX-License-Identifier: MIT */
/*
 * diff-text.c - `tscope diff`'s writers for people (see diff.h): the text table of
 * functions or tree of call paths, the markdown table for a pull-request comment, and
 * the gate's one-line verdict.
 *
 * Times are printed as units.c writes them, rounded from the means; a change has its
 * sign, a % change against a base of 0 reads "new".  A row whose change is under the
 * threshold is hidden and counted; so is a path past DIFF_MAX_DEPTH frames, with all
 * below it, and the text says how many of each were left out.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "tscope.h"
#include "diff.h"
#include "units.h"

#define MARKDOWN_MAX 50 /* rows of a markdown table */

static const char *verdict_of(const struct diff_cmp *c)
{
	if (c->sig < 0 && (c->v == V_SLOWER || c->v == V_FASTER))
		return c->v == V_SLOWER ? "slower?" : "faster?";
	return diff_verdict_word[c->v];
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

static void put_p(FILE *out, const struct diff_cmp *c)
{
	if (c->sig < 0)
		fputs("significance unknown: one run on a side", out);
	else
		fprintf(out, "%s, p = %.2g", c->sig ? "significant" : "noise", c->p);
}

static void text_header(struct diff *d)
{
	const struct diff_cmp *t = &d->tot;

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
		const struct diff_cmp *c = &d->rows[i];

		if (diff_small(d, c)) {
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
static int tree_line(struct diff *d, const struct diff_cmp *at, unsigned depth)
{
	uint32_t node = at ? at->node : 0;
	size_t first = d->st_n;

	if (at) {
		if (depth >= DIFF_MAX_DEPTH) {
			d->deep++;
			return 0;
		}
		if (diff_small(d, at)) {
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
		diff_compare(d, &d->tv[(size_t)ch * d->k], 1, &d->st[d->st_n]);
		d->st[d->st_n].id = (uint32_t)d->u.nodes[ch].key;
		d->st[d->st_n++].node = ch;
	}
	if (d->st_n > first) /* (no stack at all when no node had children) */
		diff_sort(d, d->st + first, d->st_n - first);
	for (size_t i = first; i < d->st_n && !ferror(d->out); i++) {
		struct diff_cmp c = d->st[i]; /* the stack may move */

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
	if (tree_line(d, NULL, 0) < 0)
		d->err = TSCOPE_ENOMEM;
}

void diff_put_verdict(struct diff *d, FILE *out, const char *pre)
{
	int total;
	size_t n = diff_gate(d, &total), shown = 0;

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
		const struct diff_cmp *c = &d->rows[i];
		size_t len;
		const char *s;

		if (!diff_gate_hit(d, c) || diff_share(d, c) < d->o.min_share)
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

void diff_text(struct diff *d)
{
	text_header(d);
	if (d->o.tree)
		text_tree(d);
	else
		text_flat(d);
	if (d->hidden)
		fprintf(d->out,
			"(%zu %s%s changed by under %g%% of the base's total hidden:"
			" -t 0 shows them)\n",
			d->hidden, d->o.tree ? "call path" : "function", d->hidden == 1 ? "" : "s",
			d->o.threshold);
	if (d->deep)
		fprintf(d->out, "(%zu call path%s below %d frames not shown, with their callees)\n",
			d->deep, d->deep == 1 ? "" : "s", DIFF_MAX_DEPTH);
	diff_put_verdict(d, d->out, "\n");
}

/* ---- markdown ------------------------------------------------------------------------- */

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

void diff_markdown(struct diff *d)
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
	diff_put_verdict(d, out, "");
	fputs("\n| function | self base | self new | change | % | calls base | calls new | "
	      "verdict |\n|---|---:|---:|---:|---:|---:|---:|---|\n",
	      out);
	for (size_t i = 0; i < d->nrows && !ferror(out); i++) {
		const struct diff_cmp *c = &d->rows[i];
		size_t len;
		const char *s = names_str(d->names, c->id, &len);

		if (diff_small(d, c) || shown == MARKDOWN_MAX) {
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
