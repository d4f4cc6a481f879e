/* SPDX-License-Identifier: MIT */
/*
 * export-flamegraph.c - `tscope flamegraph`: a flame graph as one SVG file.  The
 * stacks are exactly those of `tscope folded` (export-folded.c: every thread merged by
 * call path, deep recursions cut the same way, the same warning), drawn by flame.c:
 * a frame's width is the time of its call path with its callees' (or, with --calls,
 * its calls and theirs), so that its self time is the width left above it.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tscope.h"
#include "export.h"
#include "flame.h"

struct flamegraph {
	struct flamegraph_opts o;
	FILE *out;
	struct names *names;
	struct folded *stacks;
	int err; /* TSCOPE_ENOMEM once the stacks could not all be kept */
};

static int x_open(void **x, FILE *out, const void *opts, struct names *names)
{
	struct flamegraph *g = calloc(1, sizeof(*g));

	*x = g;
	if (!g)
		return TSCOPE_ENOMEM;
	g->o = *(const struct flamegraph_opts *)opts;
	g->out = out;
	g->names = names;
	if (folded_open(&g->stacks, out, &g->o.stacks, names) < 0) {
		free(g);
		*x = NULL;
		return TSCOPE_ENOMEM;
	}
	return 0;
}

static int x_add(void *x, struct spans *sp)
{
	struct flamegraph *g = x;
	int rc = folded_add(g->stacks, sp);

	if (rc == TSCOPE_ENOMEM)
		g->err = rc;
	return rc;
}

/* What the widths are, under the title. */
static void subtitle(const struct flamegraph *g, char *buf, size_t size)
{
	const struct folded_opts *s = &g->o.stacks;
	int n = snprintf(buf, size, "width: %s of a function and its callees; ",
			 s->calls ? "calls" : "time");

	if (n < 0 || (size_t)n >= size)
		return;
	if (s->has_tid)
		snprintf(buf + n, size - (size_t)n, "thread %" PRIu32, s->tid_only);
	else if (s->tid)
		snprintf(buf + n, size - (size_t)n, "a root frame per thread");
	else
		snprintf(buf + n, size - (size_t)n, "all threads merged by call path");
}

static int x_finish(void *x)
{
	struct flamegraph *g = x;
	const struct calltree *t = folded_tree(g->stacks);
	double *self = malloc((t->n + 1) * sizeof(*self));
	double *calls = malloc((t->n + 1) * sizeof(*calls));
	struct flame_tree ft = { t, g->names, self, calls, NULL, NULL };
	struct flame_opts fo = g->o.flame;
	char sub[128];
	int rc = g->err;

	if (!self || !calls)
		rc = TSCOPE_ENOMEM;
	if (!rc) {
		for (size_t i = 0; i < t->n; i++) {
			calls[i] = (double)t->nodes[i].calls;
			self[i] = g->o.stacks.calls ? calls[i] : (double)t->nodes[i].self;
		}
		fo.unit = g->o.stacks.calls ? FLAME_CALLS : FLAME_NS;
		if (!fo.subtitle) {
			subtitle(g, sub, sizeof(sub));
			fo.subtitle = sub;
		}
		rc = flame_write(g->out, &fo, &ft);
	}
	free(self);
	free(calls);
	folded_free(g->stacks);
	free(g);
	return rc;
}

static uint64_t x_threads(const void *x)
{
	return folded_threads(((const struct flamegraph *)x)->stacks);
}

static size_t x_warning(void *x, char *buf, size_t size)
{
	return folded_warning(((const struct flamegraph *)x)->stacks, buf, size);
}

const struct exporter flamegraph_exporter = {
	.name = "flamegraph",
	.open = x_open,
	.add = x_add,
	.finish = x_finish,
	.threads = x_threads,
	.warning = x_warning,
};
