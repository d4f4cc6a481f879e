/* SPDX-License-Identifier: MIT */
/*
 * diff-json.c - `tscope diff --json` (see diff.h): the total, every function shown,
 * with --tree every call path shown, what was hidden, and the gate, as one object.
 *
 * Numbers are written with 15 significant digits, and a value that is not one (a %
 * change against a base of 0, an unknown p) as null; names are escaped as the chrome
 * exporter escapes them.  A path is the list of its names, outermost frame first.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "tscope.h"
#include "diff.h"

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
static void json_cmp(struct diff *d, const struct diff_cmp *c, int quantiles)
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
		diff_verdict_word[c->v]);
}

/* Every path of the tree, outermost frame first: {"path":[...], ...}. */
static int json_paths(struct diff *d, uint32_t node, size_t depth, int *first)
{
	for (uint32_t ch = d->u.nodes[node].child; ch; ch = d->u.nodes[ch].next) {
		struct diff_cmp c;

		if (depth >= DIFF_MAX_DEPTH) {
			d->deep++;
			continue;
		}
		diff_compare(d, &d->tv[(size_t)ch * d->k], 1, &c);
		c.id = (uint32_t)d->u.nodes[ch].key;
		if (calltree_grow((void **)&d->ids, &d->ids_cap, depth + 1, sizeof(*d->ids), 0) < 0)
			return TSCOPE_ENOMEM;
		d->ids[depth] = c.id;
		if (diff_small(d, &c)) {
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

void diff_json(struct diff *d)
{
	FILE *out = d->out;
	int total, first = 1;
	size_t n = diff_gate(d, &total);

	fprintf(out, "{\"tool\":\"tscope diff\",\"runs\":[%zu,%zu],", d->nruns[0], d->nruns[1]);
	fprintf(out, "\"test\":\"welch t-test p < %g and no overlap of the sides' runs\",",
		DIFF_ALPHA);
	fputs("\"threshold_pct\":", out);
	json_num(out, d->o.threshold);
	fputs(",\"total\":{\"name\":null", out);
	json_cmp(d, &d->tot, 0);
	fputs(",\n\"functions\":[", out);
	for (size_t i = 0; i < d->nrows && !ferror(out); i++) {
		const struct diff_cmp *c = &d->rows[i];
		size_t len;
		const char *s;

		if (diff_small(d, c)) {
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
