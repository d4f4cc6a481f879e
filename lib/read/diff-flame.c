/* SPDX-License-Identifier: MIT */
/*
 * diff-flame.c - `tscope diff`'s flame graph outputs (see diff.h): --folded, the
 * "stack BEFORE AFTER" lines that differential flame graph tools read, and
 * --flamegraph, the SVG drawn by flame.c.
 *
 * Both walk the tree of every run's paths (d->u) and compare each path on self time;
 * a path past DIFF_MAX_DEPTH frames is counted in d->deep and not written.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tscope.h"
#include "diff.h"

/* "a;b;c BEFORE AFTER": self ns per run of each path, the two sides' means rounded. */
static int folded_node(void *ctx, uint32_t node, uint32_t depth)
{
	struct diff *d = ctx;
	size_t len, at = depth ? d->plen[depth - 1] : 0;
	const char *name = names_str(d->names, (uint32_t)d->u.nodes[node].key, &len);
	struct diff_cmp c;

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
	diff_compare(d, &d->tv[(size_t)node * d->k], 0, &c);
	if (llround(c.self[0]) || llround(c.self[1])) {
		fwrite(d->path, 1, d->plen[depth], d->out);
		fprintf(d->out, " %lld %lld\n", llround(c.self[0]), llround(c.self[1]));
	}
	return 1;
}

int diff_folded(struct diff *d)
{
	return calltree_walk(&d->u, NULL, folded_node, d);
}

/*
 * The tree of every run drawn by flame.c: widths are the new side's mean times, colours
 * the change of each path's mean self time from the base's (red slower, blue faster,
 * the largest change at full colour, grey unchanged).  Paths the new side never took
 * have no width: they do not show.
 */
int diff_flamegraph(struct diff *d)
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
		struct diff_cmp c;

		diff_compare(d, &d->tv[i * d->k], 0, &c);
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
