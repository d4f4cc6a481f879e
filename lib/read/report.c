/* SPDX-License-Identifier: MIT */
/*
 * report.c - call trees, and the text of `tscope report`: per thread, the call tree
 * with inclusive and self times, calls, average and share of the thread; with --flat,
 * one row per function over everything.
 *
 * Layout: numbers first in fixed-width right-aligned columns, the name last, indented
 * by depth, so that columns stay aligned however long C++ names are.  Every ordering
 * ends with the name and then the node's key, so the output is deterministic.
 * Recursion: in the flat table a function's inclusive time counts only its outermost
 * activations, or it would be counted once per level.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tscope.h"
#include "report.h"
#include "units.h"

/* ---- call trees ----------------------------------------------------------------------- */

#define NODE_MAX (UINT32_MAX / 2)

static inline size_t node_hash(uint32_t parent, uint64_t key, size_t cap)
{
	uint64_t h = (key ^ ((uint64_t)parent << 40) ^ parent) * UINT64_C(0x9e3779b97f4a7c15);

	return (size_t)(h >> 32) & (cap - 1);
}

static int slots_grow(struct calltree *t)
{
	size_t cap = t->slots_cap ? t->slots_cap * 2 : 1024;
	uint32_t *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return TSCOPE_ENOMEM;
	for (size_t i = 1; i < t->n; i++) {
		size_t k = node_hash(t->nodes[i].parent, t->nodes[i].key, cap);

		while (slots[k])
			k = (k + 1) & (cap - 1);
		slots[k] = (uint32_t)i;
	}
	free(t->slots);
	t->slots = slots;
	t->slots_cap = cap;
	return 0;
}

static void node_init(struct calltree_node *n, uint32_t parent, uint64_t key)
{
	memset(n, 0, sizeof(*n));
	n->key = key;
	n->parent = parent;
	n->min = UINT64_MAX;
}

int calltree_reset(struct calltree *t)
{
	t->n = 0;
	t->err = 0;
	if (t->slots)
		memset(t->slots, 0, t->slots_cap * sizeof(*t->slots));
	if (!t->cap) {
		t->nodes = malloc(256 * sizeof(*t->nodes));
		if (!t->nodes)
			return TSCOPE_ENOMEM;
		t->cap = 256;
	}
	node_init(&t->nodes[0], 0, 0);
	t->n = 1;
	return 0;
}

void calltree_fini(struct calltree *t)
{
	free(t->nodes);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

uint32_t calltree_child(struct calltree *t, uint32_t parent, uint64_t key)
{
	struct calltree_node *n;
	size_t k;
	uint32_t i;

	if (t->slots_cap) {
		for (k = node_hash(parent, key, t->slots_cap); t->slots[k];
		     k = (k + 1) & (t->slots_cap - 1)) {
			n = &t->nodes[t->slots[k]];
			if (n->key == key && n->parent == parent)
				return t->slots[k];
		}
	}
	if (t->n >= NODE_MAX || ((t->n + 1) * 2 > t->slots_cap && slots_grow(t) < 0))
		goto nomem;
	if (t->n == t->cap) {
		size_t cap = t->cap * 2;
		struct calltree_node *p = realloc(t->nodes, cap * sizeof(*p));

		if (!p)
			goto nomem;
		t->nodes = p;
		t->cap = cap;
	}
	i = (uint32_t)t->n++;
	n = &t->nodes[i];
	node_init(n, parent, key);
	n->next = t->nodes[parent].child;
	t->nodes[parent].child = i;
	for (k = node_hash(parent, key, t->slots_cap); t->slots[k];
	     k = (k + 1) & (t->slots_cap - 1))
		;
	t->slots[k] = i;
	return i;
nomem:
	t->err = TSCOPE_ENOMEM;
	return 0;
}

static void ct_open(void *ctx, struct spans_frame *stack, size_t depth)
{
	struct calltree *t = ctx;
	uint32_t parent = depth ? stack[depth - 1].user : 0;
	uint64_t key = stack[depth].key;
	uint32_t c = t->nodes[parent].hot;

	if (TS_UNLIKELY(!c || t->nodes[c].key != key)) {
		c = calltree_child(t, parent, key);
		t->nodes[parent].hot = c;
	}
	stack[depth].user = c;
}

static void ct_close(void *ctx, const struct spans_frame *stack, size_t depth, uint64_t end)
{
	struct calltree *t = ctx;
	const struct spans_frame *f = &stack[depth];
	struct calltree_node *n = &t->nodes[f->user];
	uint64_t dur = end - f->start;

	n->calls++;
	n->incl += dur;
	n->self += dur - f->child;
	if (dur < n->min)
		n->min = dur;
	if (dur > n->max)
		n->max = dur;
}

static int ct_reset(void *ctx)
{
	return calltree_reset(ctx);
}

const struct spans_ops calltree_ops = { ct_open, ct_close, NULL, NULL, ct_reset };

/* ---- formatting ----------------------------------------------------------------------- */

/* A name as text that cannot drive the terminal: control bytes become \xHH. */
static void put_name(FILE *out, const char *s, size_t n)
{
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 0x20 && ch != 0x7f)
			continue;
		fwrite(s + run, 1, i - run, out);
		fprintf(out, "\\x%02x", ch);
		run = i + 1;
	}
	fwrite(s + run, 1, n - run, out);
}

static int digits(uint64_t v)
{
	int n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

/* ---- the report ------------------------------------------------------------------------ */

/* One row of the flat table: a function (or scope) by name, over every thread. */
struct flat_row {
	uint64_t calls, incl, self, min, max;
};

/* A node or row ready to be sorted. */
struct item {
	uint64_t incl, self, calls;
	const char *name;
	size_t len;
	uint64_t key; /* the tie-breaker after the name */
	uint32_t idx;
	uint32_t depth;
};

struct report {
	FILE *out;
	struct report_opts o;
	struct names *names;
	struct calltree tree;
	uint64_t threads; /* shown or counted */
	int err;

	/* tree printing: names of the nodes, a sort buffer, the walk's stack */
	uint32_t *node_name;
	size_t node_name_cap;
	struct item *items;
	size_t items_cap;
	struct item *walk;
	size_t walk_cap;

	/* flat: rows by name id, and names active on the path (recursion) */
	struct flat_row *rows;
	size_t rows_cap;
	uint32_t *active;
	size_t active_cap;
};

static int grow(void **p, size_t *cap, size_t need, size_t elem, int zero)
{
	size_t c = *cap ? *cap : 64;
	void *q;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	q = realloc(*p, c * elem);
	if (!q)
		return TSCOPE_ENOMEM;
	if (zero)
		memset((char *)q + *cap * elem, 0, (c - *cap) * elem);
	*p = q;
	*cap = c;
	return 0;
}

int report_open(struct report **rp, FILE *out, const struct report_opts *o, struct names *names)
{
	struct report *rep = calloc(1, sizeof(*rep));

	*rp = NULL;
	if (!rep)
		return TSCOPE_ENOMEM;
	rep->out = out;
	rep->o = *o;
	if (rep->o.sort == REPORT_SORT_DEFAULT)
		rep->o.sort = o->flat ? REPORT_SORT_SELF : REPORT_SORT_INCL;
	rep->names = names;
	*rp = rep;
	return 0;
}

uint64_t report_threads(const struct report *rep)
{
	return rep->threads;
}

static uint64_t item_key(const struct item *a, enum report_sort s)
{
	switch (s) {
	case REPORT_SORT_SELF:
		return a->self;
	case REPORT_SORT_CALLS:
		return a->calls;
	case REPORT_SORT_INCL:
		return a->incl;
	default:
		return 0;
	}
}

static enum report_sort sort_by; /* qsort() has no context argument */

/* Larger first for numbers, then by name, then by key. */
static int item_cmp(const void *pa, const void *pb)
{
	const struct item *a = pa, *b = pb;
	uint64_t ka = item_key(a, sort_by), kb = item_key(b, sort_by);
	size_t n = a->len < b->len ? a->len : b->len;
	int c;

	if (ka != kb)
		return ka > kb ? -1 : 1;
	c = memcmp(a->name, b->name, n);
	if (c)
		return c;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return a->key < b->key ? -1 : a->key > b->key;
}

static void sort_items(struct item *it, size_t n, enum report_sort s)
{
	sort_by = s;
	if (n > 1)
		qsort(it, n, sizeof(*it), item_cmp);
}

/* The numeric columns of a row: times in human units, or ns with --ns. */
static void put_time(struct report *rep, uint64_t ns, int width)
{
	char buf[32];

	if (rep->o.ns)
		fprintf(rep->out, "%*" PRIu64, width, ns);
	else {
		units_ns(buf, sizeof(buf), ns);
		fprintf(rep->out, "%*s", width, buf);
	}
}

static void put_pct(FILE *out, uint64_t part, uint64_t whole)
{
	double pct = whole ? 100.0 * (double)part / (double)whole : 0.0;

	fprintf(out, "%6.1f%%", pct > 100.0 ? 100.0 : pct);
}

/* Depths beyond this are not indented further: the name shows its depth instead. */
#define INDENT_LEVELS 12

static void put_indented(struct report *rep, uint32_t depth, uint32_t name)
{
	size_t len;
	const char *s = names_str(rep->names, name, &len);
	uint32_t level = depth < INDENT_LEVELS ? depth : INDENT_LEVELS;

	for (uint32_t i = 0; i < level; i++)
		fputs("  ", rep->out);
	if (depth > INDENT_LEVELS)
		fprintf(rep->out, "[%" PRIu32 "] ", depth);
	put_name(rep->out, s, len);
	fputc('\n', rep->out);
}

/* Gather the children of node p into rep->items, sorted; returns how many. */
static size_t sorted_children(struct report *rep, uint32_t p, uint32_t depth)
{
	const struct calltree *t = &rep->tree;
	size_t n = 0;

	for (uint32_t c = t->nodes[p].child; c; c = t->nodes[c].next) {
		const struct calltree_node *nd = &t->nodes[c];
		struct item *it;

		if (grow((void **)&rep->items, &rep->items_cap, n + 1, sizeof(*rep->items), 0) <
		    0) {
			rep->err = TSCOPE_ENOMEM;
			break;
		}
		it = &rep->items[n++];
		it->incl = nd->incl;
		it->self = nd->self;
		it->calls = nd->calls;
		it->name = names_str(rep->names, rep->node_name[c], &it->len);
		it->key = nd->key;
		it->idx = c;
		it->depth = depth;
	}
	sort_items(rep->items, n, rep->o.sort);
	return n;
}

/* Print the call tree of the thread just read. */
static void print_tree(struct report *rep, const struct reader_thread *th,
		       const struct spans_thread_stats *st)
{
	struct calltree *t = &rep->tree;
	uint64_t total = st->last - st->first, max_calls = 0, max_incl = 0, calls = 0;
	int wt, wc;
	size_t sp = 0;
	char buf[32];

	for (size_t i = 1; i < t->n; i++) {
		calls += t->nodes[i].calls;
		if (t->nodes[i].calls > max_calls)
			max_calls = t->nodes[i].calls;
		if (t->nodes[i].incl > max_incl)
			max_incl = t->nodes[i].incl;
	}
	units_ns(buf, sizeof(buf), total);
	fprintf(rep->out, "\nthread %" PRIu32, th->tid);
	if (th->name) {
		fputs(" \"", rep->out);
		put_name(rep->out, th->name, strlen(th->name));
		fputc('"', rep->out);
	}
	fprintf(rep->out, ": %s, %" PRIu64 " call%s\n", buf, calls, calls == 1 ? "" : "s");
	if (t->n <= 1)
		return;
	wt = rep->o.ns ? digits(max_incl) : 8;
	if (wt < 4)
		wt = 4;
	wc = digits(max_calls);
	if (wc < 5)
		wc = 5;
	fprintf(rep->out, "%*s  %*s  %*s  %*s  %7s  %s\n", wt, "incl", wt, "self", wc, "calls", wt,
		"avg", "thread", "function");

	/* depth-first, siblings in sort order: the stack holds the next ones reversed */
	sp = 0;
	for (size_t n = sorted_children(rep, 0, 0); n--;) {
		if (grow((void **)&rep->walk, &rep->walk_cap, sp + 1, sizeof(*rep->walk), 0) < 0)
			goto nomem;
		rep->walk[sp++] = rep->items[n];
	}
	while (sp) {
		struct item it = rep->walk[--sp];
		const struct calltree_node *nd = &t->nodes[it.idx];

		if (rep->o.threshold > 0 &&
		    (double)nd->incl * 100.0 < rep->o.threshold * (double)total)
			continue;
		put_time(rep, nd->incl, wt);
		fputs("  ", rep->out);
		put_time(rep, nd->self, wt);
		fprintf(rep->out, "  %*" PRIu64 "  ", wc, nd->calls);
		put_time(rep, nd->calls ? nd->incl / nd->calls : 0, wt);
		fputs("  ", rep->out);
		put_pct(rep->out, nd->incl, total);
		fputs("  ", rep->out);
		put_indented(rep, it.depth, rep->node_name[it.idx]);
		if (rep->o.max_depth && it.depth + 1 >= rep->o.max_depth)
			continue;
		for (size_t n = sorted_children(rep, it.idx, it.depth + 1); n--;) {
			if (grow((void **)&rep->walk, &rep->walk_cap, sp + 1, sizeof(*rep->walk),
				 0) < 0)
				goto nomem;
			rep->walk[sp++] = rep->items[n];
		}
	}
	return;
nomem:
	rep->err = TSCOPE_ENOMEM;
}

/* Add the thread just read to the flat table. */
static void add_flat(struct report *rep)
{
	struct calltree *t = &rep->tree;
	size_t nnames = names_count(rep->names);
	uint32_t cur;

	if (grow((void **)&rep->rows, &rep->rows_cap, nnames, sizeof(*rep->rows), 1) < 0 ||
	    grow((void **)&rep->active, &rep->active_cap, nnames, sizeof(*rep->active), 1) < 0) {
		rep->err = TSCOPE_ENOMEM;
		return;
	}
	/* depth first through the child and sibling links, counting names on the path */
	cur = t->nodes[0].child;
	while (cur) {
		const struct calltree_node *nd = &t->nodes[cur];
		uint32_t name = rep->node_name[cur];
		struct flat_row *row = &rep->rows[name];

		if (!row->calls && !row->min)
			row->min = UINT64_MAX;
		row->calls += nd->calls;
		row->self += nd->self;
		if (!rep->active[name])
			row->incl += nd->incl;
		if (nd->min < row->min)
			row->min = nd->min;
		if (nd->max > row->max)
			row->max = nd->max;
		rep->active[name]++;
		if (nd->child) {
			cur = nd->child;
			continue;
		}
		for (;;) {
			rep->active[rep->node_name[cur]]--;
			if (t->nodes[cur].next) {
				cur = t->nodes[cur].next;
				break;
			}
			cur = t->nodes[cur].parent;
			if (!cur)
				break;
		}
	}
}

static void print_flat(struct report *rep)
{
	size_t n = 0, nnames = names_count(rep->names);
	uint64_t total_self = 0, max_calls = 0, max_t = 0;
	int wt, wc;

	if (nnames > rep->rows_cap)
		nnames = rep->rows_cap;
	for (size_t i = 0; i < nnames; i++) {
		const struct flat_row *row = &rep->rows[i];
		struct item *it;

		if (!row->calls)
			continue;
		if (grow((void **)&rep->items, &rep->items_cap, n + 1, sizeof(*rep->items), 0) <
		    0) {
			rep->err = TSCOPE_ENOMEM;
			return;
		}
		it = &rep->items[n++];
		it->incl = row->incl;
		it->self = row->self;
		it->calls = row->calls;
		it->name = names_str(rep->names, (uint32_t)i, &it->len);
		it->key = i;
		it->idx = (uint32_t)i;
		it->depth = 0;
		total_self += row->self;
		if (row->calls > max_calls)
			max_calls = row->calls;
		if (row->incl > max_t)
			max_t = row->incl;
		if (row->self > max_t)
			max_t = row->self;
		if (row->max > max_t)
			max_t = row->max;
	}
	sort_items(rep->items, n, rep->o.sort);
	wt = rep->o.ns ? digits(max_t) : 8;
	if (wt < 4)
		wt = 4;
	wc = digits(max_calls);
	if (wc < 5)
		wc = 5;
	fprintf(rep->out, "%*s  %6s  %*s  %*s  %*s  %*s  %*s  %s\n", wt, "self", "self%", wc,
		"calls", wt, "incl", wt, "avg", wt, "min", wt, "max", "function");
	for (size_t i = 0; i < n; i++) {
		const struct item *it = &rep->items[i];
		const struct flat_row *row = &rep->rows[it->idx];

		put_time(rep, row->self, wt);
		fputs(" ", rep->out);
		put_pct(rep->out, row->self, total_self);
		fprintf(rep->out, "  %*" PRIu64 "  ", wc, row->calls);
		put_time(rep, row->incl, wt);
		fputs("  ", rep->out);
		put_time(rep, row->incl / row->calls, wt);
		fputs("  ", rep->out);
		put_time(rep, row->min, wt);
		fputs("  ", rep->out);
		put_time(rep, row->max, wt);
		fputs("  ", rep->out);
		put_name(rep->out, it->name, it->len);
		fputc('\n', rep->out);
	}
}

static void process_header(struct report *rep, const struct reader *r)
{
	const struct reader_info *in = reader_info(r);
	const char *base = strrchr(in->exe, '/');

	base = base ? base + 1 : in->exe;
	fprintf(rep->out, "%sprocess %" PRIu32, rep->threads ? "\n" : "", in->pid);
	if (*base) {
		fputc(' ', rep->out);
		put_name(rep->out, base, strlen(base));
	}
	if (in->ppid)
		fprintf(rep->out, " (parent %" PRIu32 ")", in->ppid);
	fputc('\n', rep->out);
}

int report_add(struct report *rep, struct spans *sp)
{
	struct reader *r = spans_reader(sp);
	int rc = 0, shown = 0;

	for (size_t i = 0; i < reader_thread_count(r); i++) {
		const struct reader_thread *th = reader_thread(r, i);
		int e;

		if (rep->o.has_tid && th->tid != rep->o.tid)
			continue;
		if (calltree_reset(&rep->tree) < 0)
			return TSCOPE_ENOMEM;
		e = spans_run(sp, i, &calltree_ops, &rep->tree);
		if (e < 0 && !rc)
			rc = e;
		if (rep->tree.err && !rc)
			rc = rep->tree.err;
		if (grow((void **)&rep->node_name, &rep->node_name_cap, rep->tree.n,
			 sizeof(*rep->node_name), 0) < 0)
			return TSCOPE_ENOMEM;
		for (size_t k = 0; k < rep->tree.n; k++)
			rep->node_name[k] = k ? spans_name(sp, rep->tree.nodes[k].key) : 0;
		if (rep->o.flat) {
			add_flat(rep);
		} else {
			if (!shown++)
				process_header(rep, r);
			print_tree(rep, th, spans_last_stats(sp));
		}
		rep->threads++;
		if (rep->err)
			return rep->err;
	}
	return rc;
}

int report_finish(struct report *rep)
{
	int rc;

	if (rep->o.flat && rep->threads)
		print_flat(rep);
	rc = rep->err;
	calltree_fini(&rep->tree);
	free(rep->node_name);
	free(rep->items);
	free(rep->walk);
	free(rep->rows);
	free(rep->active);
	free(rep);
	return rc;
}
