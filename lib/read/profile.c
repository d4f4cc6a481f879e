/* SPDX-License-Identifier: MIT */
/*
 * profile.c - the cost of threads by function name (see profile.h): a thread is read
 * into a tree by frame while each call's duration goes to its name's histogram; the
 * tree is then merged by name, and the thread's histograms join those before it.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include "tscope.h"
#include "profile.h"
#include "offcpu.h"

int profile_reset(struct profile *p)
{
	for (size_t i = 0; i < p->hist_cap; i++)
		hist_clear(&p->hist[i]);
	p->rows_n = 0;
	p->err = 0;
	if (p->is_func)
		memset(p->is_func, 0, p->is_func_cap);
	return calltree_reset(&p->merged);
}

/* ---- reading a thread ------------------------------------------------------------------ */

static void p_open(void *ctx, struct spans_frame *stack, size_t depth)
{
	struct profile *p = ctx;

	calltree_ops.open(&p->tree, stack, depth);
}

static void p_close(void *ctx, const struct spans_frame *stack, size_t depth, uint64_t end)
{
	struct profile *p = ctx;
	uint32_t name = spans_name(p->sp, stack[depth].key);

	calltree_ops.close(&p->tree, stack, depth, end);
	if (!SPANS_IS_SCOPE(stack[depth].key) && (name >= p->is_func_cap || !p->is_func[name])) {
		if (calltree_grow((void **)&p->is_func, &p->is_func_cap, (size_t)name + 1, 1, 1) <
		    0) {
			p->err = TSCOPE_ENOMEM;
			return;
		}
		p->is_func[name] = 1;
	}
	if (calltree_grow((void **)&p->thist, &p->thist_cap, (size_t)name + 1, sizeof(*p->thist),
			  1) < 0 ||
	    (!p->thist[name].n && calltree_grow((void **)&p->touched, &p->touched_cap,
						p->touched_n + 1, sizeof(*p->touched), 0) < 0)) {
		p->err = TSCOPE_ENOMEM;
		return;
	}
	if (!p->thist[name].n)
		p->touched[p->touched_n++] = name;
	if (hist_add(&p->thist[name], end - stack[depth].start) < 0)
		p->err = TSCOPE_ENOMEM;
}

/* The thread's durations are dropped (it is read again, or it was merged). */
static void forget(struct profile *p)
{
	for (size_t i = 0; i < p->touched_n; i++)
		hist_clear(&p->thist[p->touched[i]]);
	p->touched_n = 0;
}

static int p_reset(void *ctx)
{
	struct profile *p = ctx;

	forget(p);
	return calltree_ops.reset(&p->tree);
}

static const struct spans_ops profile_ops = { p_open, p_close, NULL, NULL, p_reset };

static void p_memory(void *ctx, struct spans_frame *stack, size_t depth, const struct spans_mem *m)
{
	struct profile *p = ctx;

	calltree_memory(&p->tree, stack, depth, m);
}

static void p_io(void *ctx, struct spans_frame *stack, size_t depth, const struct spans_io *e)
{
	struct profile *p = ctx;

	calltree_io(&p->tree, stack, depth, e);
}

int profile_thread(struct profile *p, struct spans *sp, size_t i)
{
	int rc;

	if (calltree_reset(&p->tree) < 0)
		return TSCOPE_ENOMEM;
	p->sp = sp;
	p->tree.off = NULL;
	if (p->off) {
		rc = offcpu_thread(p->off, spans_reader(sp), i);
		if (rc < 0)
			return rc;
		if (rc > 0) {
			p->tree.off = p->off;
			p->off_threads++;
		}
	}
	spans_set_memory(sp, p_memory);
	spans_set_io(sp, p_io);
	rc = spans_run(sp, i, &profile_ops, p);
	spans_set_memory(sp, NULL);
	spans_set_io(sp, NULL);
	if (p->tree.err || p->err || (p->tree.off && offcpu_err(p->off)))
		return TSCOPE_ENOMEM;
	if (p->compensate &&
	    calltree_compensate(&p->tree, reader_event_cost_ns(spans_reader(sp))) < 0)
		return TSCOPE_ENOMEM;
	if (calltree_merge(&p->merged, 0, &p->tree, sp, NULL) < 0 ||
	    calltree_grow((void **)&p->hist, &p->hist_cap, p->thist_cap, sizeof(*p->hist), 1) < 0)
		return TSCOPE_ENOMEM;
	for (size_t k = 0; k < p->touched_n; k++) {
		uint32_t name = p->touched[k];

		if (hist_merge(&p->hist[name], &p->thist[name]) < 0)
			return TSCOPE_ENOMEM;
	}
	forget(p);
	return rc;
}

/* ---- rows by name ---------------------------------------------------------------------- */

/* A node of the merged tree into its last name's row (see the top of profile.h). */
static int row_node(void *ctx, uint32_t node, uint32_t depth)
{
	struct profile *p = ctx;
	const struct calltree_node *nd = &p->merged.nodes[node];
	uint32_t name = (uint32_t)nd->key;
	struct profile_row *row = &p->rows[name];

	while (p->path_n > depth) /* back from the nodes below the last one */
		p->active[p->path[--p->path_n]]--;
	if (calltree_grow((void **)&p->path, &p->path_cap, p->path_n + 1, sizeof(*p->path), 0) < 0)
		return TSCOPE_ENOMEM;
	row->calls += nd->calls;
	row->self += nd->self;
	row->wait += nd->wait;
	row->io += nd->io;
	row->off += nd->off;
	row->mem_self.allocs += nd->allocs;
	row->mem_self.bytes += nd->bytes;
	row->mem_self.net += nd->net;
	if (!p->active[name]) {
		row->incl += nd->incl;
		row->mem_incl.allocs += p->mem[node].allocs;
		row->mem_incl.bytes += p->mem[node].bytes;
		row->mem_incl.net += p->mem[node].net;
	}
	if (nd->min < row->min)
		row->min = nd->min;
	if (nd->max > row->max)
		row->max = nd->max;
	p->active[name]++;
	p->path[p->path_n++] = name;
	return 1;
}

int profile_rows(struct profile *p, size_t nnames)
{
	if (calltree_grow((void **)&p->rows, &p->rows_cap, nnames, sizeof(*p->rows), 0) < 0 ||
	    calltree_grow((void **)&p->active, &p->active_cap, nnames, sizeof(*p->active), 0) < 0)
		return TSCOPE_ENOMEM;
	if (calltree_mem_incl(&p->merged, &p->mem, &p->mem_cap) < 0)
		return TSCOPE_ENOMEM;
	for (size_t i = 0; i < nnames; i++)
		p->rows[i] = (struct profile_row){ .min = UINT64_MAX };
	memset(p->active, 0, nnames * sizeof(*p->active));
	p->rows_n = nnames;
	p->path_n = 0;
	return calltree_walk(&p->merged, NULL, row_node, p) < 0 ? TSCOPE_ENOMEM : 0;
}

uint64_t profile_quantile(const struct profile *p, uint32_t name, double q)
{
	return name < p->hist_cap ? hist_quantile(&p->hist[name], q) : 0;
}

uint64_t profile_mean(const struct profile *p, uint32_t name)
{
	return name < p->hist_cap ? hist_trimmed_mean(&p->hist[name], PROFILE_MEAN_KEEP) : 0;
}

int profile_is_func(const struct profile *p, uint32_t name)
{
	return name < p->is_func_cap && p->is_func[name];
}

void profile_fini(struct profile *p)
{
	calltree_fini(&p->merged);
	calltree_fini(&p->tree);
	for (size_t i = 0; i < p->hist_cap; i++)
		hist_free(&p->hist[i]);
	for (size_t i = 0; i < p->thist_cap; i++)
		hist_free(&p->thist[i]);
	free(p->hist);
	free(p->thist);
	free(p->touched);
	free(p->rows);
	free(p->is_func);
	free(p->active);
	free(p->path);
	free(p->mem);
	memset(p, 0, sizeof(*p));
}
