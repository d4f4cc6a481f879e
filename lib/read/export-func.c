/* SPDX-License-Identifier: MIT */
/*
 * export-func.c - one function looked at closely: `tscope slowest` (its N slowest
 * calls, each with its start, thread, duration and call path) and `tscope callers`
 * (every call path that leads to it, and what it calls).
 *
 * A frame is the function asked for when its name (as the reports show it: C++
 * demangled) equals FUNC, or equals it up to a '(' that starts its parameters.  Each
 * name is compared once.  slowest keeps a min-heap of N calls, so memory is N paths;
 * callers merges the call trees of all threads by name, as report --flat does.
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
#include "calltree.h"
#include "units.h"

#define PATH_MAX_FRAMES 64 /* frames of a slow call's path kept: its innermost */

struct slow {
	uint64_t dur, start;	/* ns; start from the traces' common time 0 */
	uint32_t pid, tid, run; /* run: which spans_run() found it */
	uint32_t n;		/* frames in path, outermost first */
	int cut;		/* outer frames left out */
	uint32_t path[PATH_MAX_FRAMES];
};

struct func {
	FILE *out;
	struct func_opts o;
	int callers; /* 1: tscope callers; 0: tscope slowest */
	struct names *names;
	struct spans *sp;
	uint64_t threads;
	int err;
	uint8_t *match; /* by name id: 0 not looked at, 1 FUNC, 2 another */
	size_t match_cap;

	/* slowest: a min-heap on dur of at most o.n calls */
	struct slow *heap;
	size_t heap_n;
	uint64_t calls, run_calls; /* calls of FUNC; those of the spans_run() under way */
	uint32_t run, pid, tid;

	/* callers: the thread being read by frame, all of them by name */
	struct calltree thread, merged;
};

/* Is name id the function asked for? */
static int is_func(struct func *f, uint32_t id)
{
	if (id >= f->match_cap &&
	    calltree_grow((void **)&f->match, &f->match_cap, (size_t)id + 1, 1, 1) < 0) {
		f->err = TSCOPE_ENOMEM;
		return 0;
	}
	if (!f->match[id]) {
		size_t len;
		const char *s = names_str(f->names, id, &len);

		f->match[id] = 2 - spans_name_is(s, len, f->o.func);
	}
	return f->match[id] == 1;
}

/* ---- slowest -------------------------------------------------------------------------- */

static void heap_down(struct slow *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		struct slow t;

		if (l < n && h[l].dur < h[m].dur)
			m = l;
		if (l + 1 < n && h[l + 1].dur < h[m].dur)
			m = l + 1;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static void heap_up(struct slow *h, size_t i)
{
	while (i && h[(i - 1) / 2].dur > h[i].dur) {
		struct slow t = h[i];

		h[i] = h[(i - 1) / 2];
		h[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static void slow_close(void *ctx, const struct spans_frame *stack, size_t depth, uint64_t end)
{
	struct func *f = ctx;
	uint64_t dur = end - stack[depth].start;
	size_t first = depth + 1 > PATH_MAX_FRAMES ? depth + 1 - PATH_MAX_FRAMES : 0;
	struct slow *s;

	if (!is_func(f, spans_name(f->sp, stack[depth].key)))
		return;
	f->calls++;
	f->run_calls++;
	if (f->heap_n == f->o.n && (!f->o.n || dur <= f->heap[0].dur))
		return;
	s = f->heap_n < f->o.n ? &f->heap[f->heap_n] : &f->heap[0];
	s->dur = dur;
	s->start = stack[depth].start - f->o.base_ns;
	s->pid = f->pid;
	s->tid = f->tid;
	s->run = f->run;
	s->cut = first > 0;
	s->n = (uint32_t)(depth + 1 - first);
	for (size_t i = first; i <= depth; i++)
		s->path[i - first] = spans_name(f->sp, stack[i].key);
	if (s == &f->heap[0] && f->heap_n == f->o.n)
		heap_down(f->heap, f->heap_n, 0);
	else
		heap_up(f->heap, f->heap_n++);
}

/* The thread is read again: what this reading found goes. */
static int slow_reset(void *ctx)
{
	struct func *f = ctx;
	size_t k = 0;

	for (size_t i = 0; i < f->heap_n; i++)
		if (f->heap[i].run != f->run)
			f->heap[k++] = f->heap[i];
	f->heap_n = k;
	for (size_t i = f->heap_n / 2 + 1; i-- > 0;)
		heap_down(f->heap, f->heap_n, i);
	f->calls -= f->run_calls;
	f->run_calls = 0;
	return 0;
}

static const struct spans_ops slow_ops = { NULL, slow_close, NULL, NULL, slow_reset };

static int slow_cmp(const void *pa, const void *pb)
{
	const struct slow *a = pa, *b = pb;

	if (a->dur != b->dur)
		return a->dur < b->dur ? 1 : -1;
	return a->start < b->start ? -1 : a->start > b->start;
}

static void print_slowest(struct func *f)
{
	char d[32], s[32];

	if (f->heap_n)
		qsort(f->heap, f->heap_n, sizeof(*f->heap), slow_cmp);
	fprintf(f->out, "%s: %" PRIu64 " call%s", f->o.func, f->calls, f->calls == 1 ? "" : "s");
	if (f->calls > f->heap_n)
		fprintf(f->out, ", the %zu slowest", f->heap_n);
	fputs("\n", f->out);
	if (!f->heap_n)
		return;
	fprintf(f->out, "%10s  %15s  %8s  %8s  %s\n", "duration", "start", "pid", "tid",
		"call path");
	for (size_t i = 0; i < f->heap_n && !ferror(f->out); i++) {
		const struct slow *c = &f->heap[i];

		units_ns(d, sizeof(d), c->dur);
		snprintf(s, sizeof(s), "%" PRIu64 ".%09" PRIu64 " s", c->start / 1000000000u,
			 c->start % 1000000000u);
		fprintf(f->out, "%10s  %15s  %8" PRIu32 "  %8" PRIu32 "  %s", d, s, c->pid, c->tid,
			c->cut ? "... > " : "");
		for (uint32_t k = 0; k < c->n; k++) {
			size_t len;
			const char *name = names_str(f->names, c->path[k], &len);

			fprintf(f->out, "%s%.*s", k ? " > " : "", (int)len, name);
		}
		fputs("\n", f->out);
	}
}

/* ---- callers -------------------------------------------------------------------------- */

struct row {
	uint32_t node; /* callers: the node of a path to FUNC; callees: a name id */
	uint64_t calls, incl, self;
};

struct walk {
	struct func *f;
	uint32_t *count;	 /* on the path being walked: FUNC frames down to each depth */
	uint8_t *parent_is_func; /* and whether the frame at each depth is FUNC */
	size_t cap, pcap;
	struct row *paths, *callees;
	size_t npaths, ncallees, paths_cap, callees_cap;
	uint64_t calls, incl; /* of the outermost FUNC frames */
	int err;
};

static int add_row(struct row **rows, size_t *n, size_t *cap, uint32_t key, int by_key,
		   const struct calltree_node *nd)
{
	size_t i = 0;

	if (by_key)
		for (; i < *n && (*rows)[i].node != key; i++)
			;
	else
		i = *n;
	if (i == *n) {
		if (calltree_grow((void **)rows, cap, *n + 1, sizeof(**rows), 1) < 0)
			return TSCOPE_ENOMEM;
		(*rows)[i].node = key;
		(*n)++;
	}
	(*rows)[i].calls += nd->calls;
	(*rows)[i].incl += nd->incl;
	(*rows)[i].self += nd->self;
	return 0;
}

static int callers_visit(void *ctx, uint32_t node, uint32_t depth)
{
	struct walk *w = ctx;
	const struct calltree_node *nd = &w->f->merged.nodes[node];
	int here = is_func(w->f, (uint32_t)nd->key);
	uint32_t above = depth ? w->count[depth - 1] : 0; /* FUNC frames above this one */

	if (calltree_grow((void **)&w->count, &w->cap, (size_t)depth + 1, sizeof(*w->count), 0) < 0)
		return TSCOPE_ENOMEM;
	w->count[depth] = above + (uint32_t)here;
	if (depth && w->parent_is_func[depth - 1] &&
	    add_row(&w->callees, &w->ncallees, &w->callees_cap, (uint32_t)nd->key, 1, nd) < 0)
		return TSCOPE_ENOMEM;
	if (calltree_grow((void **)&w->parent_is_func, &w->pcap, (size_t)depth + 1, 1, 0) < 0)
		return TSCOPE_ENOMEM;
	w->parent_is_func[depth] = (uint8_t)here;
	if (here) {
		if (add_row(&w->paths, &w->npaths, &w->paths_cap, node, 0, nd) < 0)
			return TSCOPE_ENOMEM;
		if (!above) {
			w->calls += nd->calls;
			w->incl += nd->incl;
		}
	}
	return 1;
}

static int row_cmp(const void *pa, const void *pb)
{
	const struct row *a = pa, *b = pb;

	if (a->incl != b->incl)
		return a->incl < b->incl ? 1 : -1;
	if (a->calls != b->calls)
		return a->calls < b->calls ? 1 : -1;
	return a->node < b->node ? -1 : a->node > b->node;
}

static void put_row(struct func *f, const struct row *r)
{
	char a[32], b[32];

	units_ns(a, sizeof(a), r->incl);
	units_ns(b, sizeof(b), r->self);
	fprintf(f->out, "%10" PRIu64 "  %10s  %10s  ", r->calls, a, b);
}

static void put_path(struct func *f, uint32_t node)
{
	uint32_t path[PATH_MAX_FRAMES];
	size_t n = 0, len;
	const char *s;

	for (; node && n < PATH_MAX_FRAMES; node = f->merged.nodes[node].parent)
		path[n++] = node;
	if (node)
		fputs("... > ", f->out);
	while (n--) {
		s = names_str(f->names, (uint32_t)f->merged.nodes[path[n]].key, &len);
		fprintf(f->out, "%.*s%s", (int)len, s, n ? " > " : "");
	}
}

static void print_callers(struct func *f)
{
	struct walk w;
	char a[32];
	int rc;

	memset(&w, 0, sizeof(w));
	w.f = f;
	rc = calltree_walk(&f->merged, NULL, callers_visit, &w);

	if (rc < 0 || f->err) {
		f->err = TSCOPE_ENOMEM;
		goto out;
	}
	if (w.npaths) /* qsort(NULL, 0, ...) is undefined */
		qsort(w.paths, w.npaths, sizeof(*w.paths), row_cmp);
	if (w.ncallees)
		qsort(w.callees, w.ncallees, sizeof(*w.callees), row_cmp);
	units_ns(a, sizeof(a), w.incl);
	fprintf(f->out, "%s: %" PRIu64 " call%s, %s in all, from %zu call path%s\n", f->o.func,
		w.calls, w.calls == 1 ? "" : "s", a, w.npaths, w.npaths == 1 ? "" : "s");
	if (!w.npaths)
		goto out;
	fprintf(f->out, "\ncallers (each call path into %s, outermost first)\n", f->o.func);
	fprintf(f->out, "%10s  %10s  %10s  %s\n", "calls", "incl", "self", "call path");
	for (size_t i = 0; i < w.npaths && !ferror(f->out); i++) {
		put_row(f, &w.paths[i]);
		put_path(f, w.paths[i].node);
		fputs("\n", f->out);
	}
	fprintf(f->out, "\ncallees (what %s calls, all paths together)\n", f->o.func);
	fprintf(f->out, "%10s  %10s  %10s  %s\n", "calls", "incl", "self", "function");
	for (size_t i = 0; i < w.ncallees && !ferror(f->out); i++) {
		size_t len;
		const char *s = names_str(f->names, w.callees[i].node, &len);

		put_row(f, &w.callees[i]);
		fprintf(f->out, "%.*s\n", (int)len, s);
	}
	if (!w.ncallees)
		fputs("(none)\n", f->out);
out:
	free(w.count);
	free(w.parent_is_func);
	free(w.paths);
	free(w.callees);
}

/* ---- as exporters --------------------------------------------------------------------- */

static int func_open(void **x, FILE *out, const void *opts, struct names *names, int callers)
{
	const struct func_opts *o = opts;
	struct func *f = calloc(1, sizeof(*f));

	*x = NULL;
	if (!f || (!callers && o->n && !(f->heap = calloc(o->n, sizeof(*f->heap)))) ||
	    (callers && calltree_reset(&f->merged) < 0)) {
		if (f)
			free(f->heap);
		free(f);
		return TSCOPE_ENOMEM;
	}
	f->out = out;
	f->o = *o;
	f->callers = callers;
	f->names = names;
	*x = f;
	return 0;
}

static int slowest_open(void **x, FILE *out, const void *opts, struct names *names)
{
	return func_open(x, out, opts, names, 0);
}

static int callers_open(void **x, FILE *out, const void *opts, struct names *names)
{
	return func_open(x, out, opts, names, 1);
}

static int func_add(void *x, struct spans *sp)
{
	struct func *f = x;
	struct reader *r = spans_reader(sp);
	int rc = 0, e;

	f->sp = sp;
	for (size_t i = 0; i < reader_thread_count(r); i++) {
		const struct reader_thread *th = reader_thread(r, i);

		if (f->o.has_tid && th->tid != f->o.tid)
			continue;
		f->threads++;
		if (f->callers) {
			if (calltree_reset(&f->thread) < 0)
				return TSCOPE_ENOMEM;
			e = spans_run(sp, i, &calltree_ops, &f->thread);
			if (f->thread.err ||
			    calltree_merge(&f->merged, 0, &f->thread, sp, NULL) < 0)
				return TSCOPE_ENOMEM;
		} else {
			f->pid = th->pid;
			f->tid = th->tid;
			f->run++;
			f->run_calls = 0;
			e = spans_run(sp, i, &slow_ops, f);
		}
		if (e < 0 && !rc)
			rc = e;
		if (f->err)
			return f->err;
	}
	return rc;
}

static int func_finish(void *x)
{
	struct func *f = x;
	int rc;

	if (f->callers)
		print_callers(f);
	else
		print_slowest(f);
	rc = f->err;
	calltree_fini(&f->thread);
	calltree_fini(&f->merged);
	free(f->heap);
	free(f->match);
	free(f);
	return rc;
}

static uint64_t func_threads(const void *x)
{
	return ((const struct func *)x)->threads;
}

/* Start times count from the earliest recording start of all the traces. */
static void func_prepare(void *opts, struct spans *const *sp, size_t n)
{
	struct func_opts *o = opts;
	int first = 1;

	for (size_t i = 0; i < n; i++) {
		uint64_t b;

		if (!sp[i])
			continue;
		b = chrome_base_ns(spans_reader(sp[i]));
		if (first || b < o->base_ns)
			o->base_ns = b;
		first = 0;
	}
}

const struct exporter slowest_exporter = {
	.name = "slowest",
	.prepare = func_prepare,
	.open = slowest_open,
	.add = func_add,
	.finish = func_finish,
	.threads = func_threads,
};

const struct exporter callers_exporter = {
	.name = "callers",
	.open = callers_open,
	.add = func_add,
	.finish = func_finish,
	.threads = func_threads,
};
