/* SPDX-License-Identifier: MIT */
/*
 * export-leaks.c - `tscope leaks`: the allocations never freed by the end of each
 * process, grouped by the call path that made them, the largest first; the process's
 * totals, and its peak of memory in use with the call path that reached it.
 *
 * The heap is the spans layer's (heap.h, over all of a process's threads in time
 * order); this file only gathers the leaked allocations it marks.  Paths are merged by
 * name over the threads of a process (a tree by name: calltree.h), its node's allocs
 * counting the blocks and bytes their bytes.  Sizes are exact bytes.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "tscope.h"
#include "export.h"
#include "heap.h"
#include "units.h"

struct leaks {
	FILE *out;
	struct leaks_opts o;
	struct names *names;
	struct spans *sp;     /* the trace being read */
	struct calltree tree; /* leaked blocks by call path (keys: name ids) */
	uint32_t *peak;	      /* the path at the peak, name ids, outermost first */
	size_t peak_n, peak_cap;
	uint32_t tid;	 /* of the thread being read */
	uint32_t *order; /* nodes to print */
	size_t order_cap;
	uint64_t threads, processes;
	int peak_seen; /* the thread of the peak was read */
	int err;
};

static void on_memory(void *ctx, struct spans_frame *stack, size_t depth, const struct spans_mem *m)
{
	struct leaks *x = ctx;
	uint32_t node = 0;

	if (m->sub != TSF_EXT_ALLOC)
		return;
	if (m->peak) {
		if (calltree_grow((void **)&x->peak, &x->peak_cap, depth + 1, sizeof(*x->peak), 0) <
		    0) {
			x->err = TSCOPE_ENOMEM;
			return;
		}
		for (size_t i = 0; i < depth; i++)
			x->peak[i] = spans_name(x->sp, stack[i].key);
		x->peak_n = depth;
		x->peak_seen = 1;
	}
	if (!m->leaked)
		return;
	for (size_t i = 0; i < depth; i++)
		node = calltree_child(&x->tree, node, spans_name(x->sp, stack[i].key));
	x->tree.nodes[node].allocs++;
	x->tree.nodes[node].bytes += m->leaked;
}

static const struct spans_ops leaks_ops = { NULL, NULL, NULL, NULL, NULL };

static int leaks_open(void **px, FILE *out, const void *opts, struct names *names)
{
	struct leaks *x = calloc(1, sizeof(*x));

	*px = x;
	if (!x)
		return TSCOPE_ENOMEM;
	x->out = out;
	x->o = *(const struct leaks_opts *)opts;
	x->names = names;
	return 0;
}

static const struct leaks *sort_ctx; /* qsort() has no context argument */

static int by_bytes(const void *pa, const void *pb)
{
	const struct calltree_node *a = &sort_ctx->tree.nodes[*(const uint32_t *)pa];
	const struct calltree_node *b = &sort_ctx->tree.nodes[*(const uint32_t *)pb];

	if (a->bytes != b->bytes)
		return a->bytes > b->bytes ? -1 : 1;
	if (a->allocs != b->allocs)
		return a->allocs > b->allocs ? -1 : 1;
	return *(const uint32_t *)pa < *(const uint32_t *)pb ? -1 : 1;
}

static void put_name(struct leaks *x, uint32_t id)
{
	size_t len;
	const char *s = names_str(x->names, id, &len);

	units_name(x->out, s, len);
}

/* The path to node, outermost first, " > " between frames. */
static void put_path(struct leaks *x, uint32_t node)
{
	uint32_t chain[64];
	size_t n = 0, total = 0;

	if (!node) {
		fputs("(outside any recorded function)", x->out);
		return;
	}
	for (uint32_t k = node; k; k = x->tree.nodes[k].parent, total++)
		if (n < 64)
			chain[n++] = k; /* the innermost 64 frames */
	if (total > n)
		fprintf(x->out, "[%zu frames] > ", total - n);
	while (n--) {
		put_name(x, (uint32_t)x->tree.nodes[chain[n]].key);
		if (n)
			fputs(" > ", x->out);
	}
}

static void report(struct leaks *x, const struct heap_totals *h, struct reader *r)
{
	const struct reader_info *in = reader_info(r);
	uint64_t start = reader_ns(r, in->start_ticks), at = reader_ns(r, h->peak_ticks);
	size_t n = 0;
	char buf[32];

	fprintf(x->out, "%sprocess %" PRIu32 " %s\n", x->processes ? "\n" : "", in->pid, in->exe);
	fprintf(x->out,
		"allocations: %" PRIu64 ", %" PRIu64 " bytes (of them by mmap: %" PRIu64
		", %" PRIu64 " bytes); frees: %" PRIu64 " (and %" PRIu64
		" of blocks allocated unseen)\n",
		h->allocs, h->bytes, h->mmaps, h->mmap_bytes, h->frees, h->frees_unknown);
	units_ns(buf, sizeof(buf), at > start ? at - start : 0);
	fprintf(x->out, "peak: %" PRIu64 " bytes in use, at %s, thread %" PRIu32 ", in: ", h->peak,
		buf, h->peak_tid);
	if (!x->peak_seen)
		fputs("(a thread not shown)", x->out);
	else if (!x->peak_n)
		fputs("(outside any recorded function)", x->out);
	for (size_t i = 0; i < x->peak_n; i++) {
		put_name(x, x->peak[i]);
		if (i + 1 < x->peak_n)
			fputs(" > ", x->out);
	}
	fputc('\n', x->out);
	for (size_t i = 0; i < x->tree.n; i++)
		n += x->tree.nodes[i].allocs != 0;
	fprintf(x->out,
		"never freed: %" PRIu64 " block%s, %" PRIu64 " bytes, from %zu call path%s\n",
		h->leaked, h->leaked == 1 ? "" : "s", h->leaked_bytes, n, n == 1 ? "" : "s");
	if (!n)
		return;
	if (calltree_grow((void **)&x->order, &x->order_cap, n, sizeof(*x->order), 0) < 0) {
		x->err = TSCOPE_ENOMEM;
		return;
	}
	n = 0;
	for (size_t i = 0; i < x->tree.n; i++)
		if (x->tree.nodes[i].allocs)
			x->order[n++] = (uint32_t)i;
	sort_ctx = x;
	if (n > 1)
		qsort(x->order, n, sizeof(*x->order), by_bytes);
	fprintf(x->out, "\n%12s  %7s  %s\n", "bytes", "blocks", "call path (outermost first)");
	for (size_t i = 0; i < n && !ferror(x->out); i++) {
		const struct calltree_node *nd = &x->tree.nodes[x->order[i]];

		fprintf(x->out, "%12" PRIu64 "  %7" PRIu64 "  ", nd->bytes, nd->allocs);
		put_path(x, x->order[i]);
		fputc('\n', x->out);
	}
}

static int leaks_add(void *px, struct spans *sp)
{
	struct leaks *x = px;
	struct reader *r = spans_reader(sp);
	const struct heap_totals *h;
	int rc = 0, e;

	h = spans_heap(sp, &rc);
	if (rc < 0)
		return rc;
	if (calltree_reset(&x->tree) < 0)
		return TSCOPE_ENOMEM;
	x->sp = sp;
	x->peak_n = 0;
	x->peak_seen = 0;
	spans_set_memory(sp, on_memory);
	for (size_t i = 0; h && i < reader_thread_count(r); i++) {
		const struct reader_thread *th = reader_thread(r, i);

		if (x->o.has_tid && th->tid != x->o.tid)
			continue;
		x->tid = th->tid;
		x->threads++;
		e = spans_run(sp, i, &leaks_ops, x);
		if (e < 0 && !rc)
			rc = e;
		if (x->tree.err || x->err)
			return TSCOPE_ENOMEM;
	}
	spans_set_memory(sp, NULL);
	if (!h) {
		fprintf(x->out,
			"%sprocess %" PRIu32 " %s: no memory events (record with --malloc)\n",
			x->processes ? "\n" : "", reader_info(r)->pid, reader_info(r)->exe);
		x->threads += !x->o.has_tid;
	} else {
		report(x, h, r);
	}
	x->processes++;
	return x->err ? x->err : rc;
}

static int leaks_finish(void *px)
{
	struct leaks *x = px;
	int rc = x->err;

	calltree_fini(&x->tree);
	free(x->peak);
	free(x->order);
	free(x);
	return rc;
}

static uint64_t leaks_threads(const void *px)
{
	return ((const struct leaks *)px)->threads;
}

const struct exporter leaks_exporter = {
	.name = "leaks",
	.open = leaks_open,
	.add = leaks_add,
	.finish = leaks_finish,
	.threads = leaks_threads,
};
