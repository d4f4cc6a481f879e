/* SPDX-License-Identifier: MIT */
/*
 * report.c - the text of `tscope report`: per thread, the call tree with inclusive and
 * self times, calls, average and share of the thread; with --flat, one row per
 * function over everything, from the threads' call trees merged by name.
 *
 * Layout: numbers first in fixed-width right-aligned columns, the name last, indented
 * by depth, so that columns stay aligned however long C++ names are.  Every ordering
 * ends with the name and then the node's key, so the output is deterministic.
 * Recursion: in the flat table a function's inclusive time counts only its outermost
 * activations, or it would be counted once per level.
 *
 * Calls the record-time filters dropped (DROP chunks): the flat table adds them to
 * their functions' calls, inclusive and self times (min, percentiles and max are of
 * the calls recorded), in a column of their own; the tree says how many there were.
 *
 * Memory: when a trace has memory events (record --malloc), six more columns, the
 * allocations, their bytes and the net change of the heap in use, inclusive and self
 * (the events while the function was innermost), and a line of the process's heap.
 *
 * Off the CPU: when a thread has samples of its CPU time (record --io), a column of
 * its functions' time off the CPU outside the wrapped calls, estimated (offcpu.h);
 * self then counts the time on the CPU only, without wait and that estimate.
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
#include "export.h"
#include "calltree.h"
#include "profile.h"
#include "heap.h"
#include "report-io.h"
#include "offcpu.h"
#include "dropped.h"
#include "units.h"

/* ---- formatting ----------------------------------------------------------------------- */

/* Decimal digits of v (1 for 0). */
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

/* A row ready to be sorted. */
struct item {
	uint64_t incl, self, calls, bytes;
	const char *name;
	size_t len;
	uint64_t key; /* the tie-breaker after the name */
	uint32_t idx;
};

struct report {
	FILE *out;
	struct report_opts o;
	struct names *names;
	struct calltree tree; /* the thread being read, by frame */
	uint64_t threads;     /* shown or counted */
	int err;

	/* tree: the names of the nodes; the thread's time and the widths of the columns */
	uint32_t *node_name;
	size_t node_name_cap;
	uint64_t total;
	int wt, wc;
	uint32_t *depth; /* of each node */
	size_t depth_cap;
	int mem;		   /* memory columns */
	int wait;		   /* the wait column (the trace has I/O or wait events) */
	struct offcpu *off;	   /* the off-CPU estimate of the thread being read */
	int offcol;		   /* the off-CPU column (the thread has CPU samples) */
	int off_said;		   /* what the column means was said */
	struct calltree_mem *incl; /* tree: each node's with its subtree */
	size_t incl_cap;

	/* flat: every thread by function name, and a sort buffer */
	struct profile prof;
	struct dropped drop; /* calls the record-time filters dropped */
	struct item *items;
	size_t items_cap;

	struct report_io *io; /* --io */

	/* --compensate, flat: the costs per event of the traces, and traces without one */
	double cost_lo, cost_hi;
	uint64_t uncompensated;
};

int report_open(struct report **rp, FILE *out, const struct report_opts *o, struct names *names)
{
	struct report *rep = calloc(1, sizeof(*rep));

	*rp = NULL;
	if (!rep)
		return TSCOPE_ENOMEM;
	if ((o->flat && profile_reset(&rep->prof) < 0) ||
	    (o->io && report_io_open(&rep->io, names) < 0) ||
	    (!o->io && offcpu_new(&rep->off) < 0)) {
		profile_fini(&rep->prof);
		free(rep);
		return TSCOPE_ENOMEM;
	}
	rep->out = out;
	rep->o = *o;
	if (rep->o.sort == REPORT_SORT_DEFAULT)
		rep->o.sort = o->flat ? REPORT_SORT_SELF : REPORT_SORT_INCL;
	rep->names = names;
	rep->prof.compensate = o->compensate;
	rep->prof.off = rep->off;
	*rp = rep;
	return 0;
}

uint64_t report_threads(const struct report *rep)
{
	return rep->threads;
}

/* The number sort s orders by, largest first; 0 for all when sorting by name. */
static uint64_t sort_key(enum report_sort s, uint64_t incl, uint64_t self, uint64_t calls,
			 uint64_t bytes)
{
	switch (s) {
	case REPORT_SORT_BYTES:
		return bytes;
	case REPORT_SORT_SELF:
		return self;
	case REPORT_SORT_CALLS:
		return calls;
	case REPORT_SORT_INCL:
		return incl;
	default:
		return 0;
	}
}

/* Bytewise, a prefix first. */
static int name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static enum report_sort sort_by; /* qsort() has no context argument */

/* Larger first for numbers, then by name, then by key. */
static int item_cmp(const void *pa, const void *pb)
{
	const struct item *a = pa, *b = pb;
	uint64_t ka = sort_key(sort_by, a->incl, a->self, a->calls, a->bytes);
	uint64_t kb = sort_key(sort_by, b->incl, b->self, b->calls, b->bytes);
	int c;

	if (ka != kb)
		return ka > kb ? -1 : 1;
	c = name_cmp(a->name, a->len, b->name, b->len);
	if (c)
		return c;
	return a->key < b->key ? -1 : a->key > b->key;
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

/* A byte count in buf (40 bytes): human units, or integer bytes with --ns. */
static const char *fmt_bytes(const struct report *rep, char *buf, uint64_t v)
{
	if (rep->o.ns)
		snprintf(buf, 40, "%" PRIu64, v);
	else
		units_bytes(buf, 40, v);
	return buf;
}

/* The same for a change, signed: "+1.000 KiB", "-48", "0". */
static const char *fmt_net(const struct report *rep, char *buf, int64_t net)
{
	char num[40];

	fmt_bytes(rep, num, net < 0 ? 0 - (uint64_t)net : (uint64_t)net);
	snprintf(buf, 40, "%s%.38s", net < 0 ? "-" : net > 0 ? "+" : "", num);
	return buf;
}

#define MEM_HEADS "%7s  %10s  %10s  %7s  %10s  %10s  "
#define MEM_NAMES "allocs", "bytes", "net", "s.allocs", "s.bytes", "s.net"

/* The six memory columns: inclusive, then self. */
static void put_mem(struct report *rep, const struct calltree_mem *incl,
		    const struct calltree_mem *self)
{
	char a[40], b[40], c[40], d[40];

	fprintf(rep->out, "%7" PRIu64 "  %10s  %10s  %7" PRIu64 "  %10s  %10s  ", incl->allocs,
		fmt_bytes(rep, a, incl->bytes), fmt_net(rep, b, incl->net), self->allocs,
		fmt_bytes(rep, c, self->bytes), fmt_net(rep, d, self->net));
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
	units_name(rep->out, s, len);
	fputc('\n', rep->out);
}

/* Self time on the CPU: without the time waiting and the time off the CPU estimated
 * (never below 0). */
static uint64_t on_cpu(uint64_t self, uint64_t wait, uint64_t off)
{
	return self > wait + off ? self - wait - off : 0;
}

/* What the off-CPU column is, once per report. */
static void say_off(struct report *rep)
{
	if (rep->off_said++)
		return;
	fputs("off-cpu~: time off the CPU outside I/O and wait calls (preempted, stopped, "
	      "page faults), measured\nbetween samples of each thread's CPU time and split "
	      "among the functions that ran by their\nself time: an estimate.  self is the "
	      "time on the CPU, without wait and off-cpu~.\n",
	      rep->out);
}

/* Siblings of the tree in the order of --sort: see item_cmp(). */
static int tree_cmp(void *ctx, uint32_t a, uint32_t b)
{
	const struct report *rep = ctx;
	const struct calltree_node *na = &rep->tree.nodes[a], *nb = &rep->tree.nodes[b];
	uint64_t ka = sort_key(rep->o.sort, na->incl, on_cpu(na->self, na->wait, na->off),
			       na->calls, rep->mem ? rep->incl[a].bytes : 0);
	uint64_t kb = sort_key(rep->o.sort, nb->incl, on_cpu(nb->self, nb->wait, nb->off),
			       nb->calls, rep->mem ? rep->incl[b].bytes : 0);
	const char *sa, *sb;
	size_t la, lb;
	int c;

	if (ka != kb)
		return ka > kb ? -1 : 1;
	sa = names_str(rep->names, rep->node_name[a], &la);
	sb = names_str(rep->names, rep->node_name[b], &lb);
	c = name_cmp(sa, la, sb, lb);
	if (c)
		return c;
	return na->key < nb->key ? -1 : na->key > nb->key;
}

/* One line of the tree; its subtree is left out under --threshold or --depth. */
static int tree_line(void *ctx, uint32_t node, uint32_t depth)
{
	struct report *rep = ctx;
	const struct calltree_node *nd = &rep->tree.nodes[node];

	if (ferror(rep->out))
		return TSCOPE_EIO; /* stop: nothing more can be written */
	if (rep->o.threshold > 0 &&
	    (double)nd->incl * 100.0 < rep->o.threshold * (double)rep->total)
		return 0;
	put_time(rep, nd->incl, rep->wt);
	fputs("  ", rep->out);
	put_time(rep, on_cpu(nd->self, nd->wait, nd->off), rep->wt);
	if (rep->wait) {
		fputs("  ", rep->out);
		put_time(rep, nd->wait, rep->wt);
	}
	fprintf(rep->out, "  %*" PRIu64 "  ", rep->wc, nd->calls);
	put_time(rep, nd->calls ? nd->incl / nd->calls : 0, rep->wt);
	fputs("  ", rep->out);
	put_pct(rep->out, nd->incl, rep->total);
	fputs("  ", rep->out);
	if (rep->offcol) {
		put_time(rep, nd->off, rep->wt > 8 ? rep->wt : 8);
		fputs("  ", rep->out);
	}
	if (rep->mem) {
		struct calltree_mem self = { nd->allocs, nd->bytes, nd->net };

		put_mem(rep, &rep->incl[node], &self);
	}
	put_indented(rep, depth, rep->node_name[node]);
	return !(rep->o.max_depth && depth + 1 >= rep->o.max_depth);
}

/* The lines the threshold hid (not those --depth hid): every node under it, within
 * the depth shown, since a node's incl is never more than its parent's. */
static void say_hidden(struct report *rep)
{
	const struct calltree *t = &rep->tree;
	uint64_t hidden = 0;

	if (rep->o.threshold <= 0 || ferror(rep->out))
		return;
	if (calltree_grow((void **)&rep->depth, &rep->depth_cap, t->n, sizeof(*rep->depth), 0) <
	    0) {
		rep->err = TSCOPE_ENOMEM;
		return;
	}
	rep->depth[0] = 0;
	for (size_t i = 1; i < t->n; i++) {
		rep->depth[i] = rep->depth[t->nodes[i].parent] + 1;
		hidden +=
		    (double)t->nodes[i].incl * 100.0 < rep->o.threshold * (double)rep->total &&
		    (!rep->o.max_depth || rep->depth[i] <= rep->o.max_depth);
	}
	if (hidden)
		fprintf(rep->out,
			"(%" PRIu64 " line%s under %g%% of the thread hidden: -t 0 shows %s)\n",
			hidden, hidden == 1 ? "" : "s", rep->o.threshold,
			hidden == 1 ? "it" : "them");
}

/* Print the call tree of the thread just read. */
static void print_tree(struct report *rep, const struct reader_thread *th,
		       const struct spans_thread_stats *st)
{
	struct calltree *t = &rep->tree;
	uint64_t max_calls = 0, max_incl = 0, calls = 0;
	char buf[32];

	rep->total = st->last - st->first;
	for (size_t i = 1; i < t->n; i++) {
		calls += t->nodes[i].calls;
		if (t->nodes[i].calls > max_calls)
			max_calls = t->nodes[i].calls;
		if (t->nodes[i].incl > max_incl)
			max_incl = t->nodes[i].incl;
	}
	units_ns(buf, sizeof(buf), rep->total);
	fprintf(rep->out, "\nthread %" PRIu32, th->tid);
	if (th->name) {
		fputs(" \"", rep->out);
		units_name(rep->out, th->name, strlen(th->name));
		fputc('"', rep->out);
	}
	fprintf(rep->out, ": %s, %" PRIu64 " call%s", buf, calls, calls == 1 ? "" : "s");
	if (rep->offcol) {
		units_ns(buf, sizeof(buf), offcpu_total(rep->off));
		fprintf(rep->out,
			", off the CPU outside I/O and waits %s (%" PRIu64 " CPU samples)", buf,
			offcpu_samples(rep->off));
	}
	if (rep->mem) {
		if (calltree_mem_incl(t, &rep->incl, &rep->incl_cap) < 0) {
			rep->err = TSCOPE_ENOMEM;
			return;
		}
		char a[40], b[40];

		fprintf(rep->out, ", %" PRIu64 " alloc%s of %s, net %s", rep->incl[0].allocs,
			rep->incl[0].allocs == 1 ? "" : "s", fmt_bytes(rep, a, rep->incl[0].bytes),
			fmt_net(rep, b, rep->incl[0].net));
	}
	fputc('\n', rep->out);
	if (t->n <= 1)
		return;
	rep->wt = rep->o.ns ? digits(max_incl) : 8;
	if (rep->wt < 4)
		rep->wt = 4;
	rep->wc = digits(max_calls);
	if (rep->wc < 5)
		rep->wc = 5;
	if (rep->offcol)
		say_off(rep);
	fprintf(rep->out, "%*s  %*s  ", rep->wt, "incl", rep->wt, "self");
	if (rep->wait)
		fprintf(rep->out, "%*s  ", rep->wt, "wait");
	fprintf(rep->out, "%*s  %*s  %7s  ", rep->wc, "calls", rep->wt, "avg", "thread");
	if (rep->offcol)
		fprintf(rep->out, "%*s  ", rep->wt > 8 ? rep->wt : 8, "off-cpu~");
	if (rep->mem)
		fprintf(rep->out, MEM_HEADS, MEM_NAMES);
	fputs("function\n", rep->out);
	if (calltree_walk(t, tree_cmp, tree_line, rep) == TSCOPE_ENOMEM)
		rep->err = TSCOPE_ENOMEM;
	say_hidden(rep);
}

static void print_flat(struct report *rep)
{
	size_t n = 0, nnames = names_count(rep->names);
	uint64_t total_self = 0, max_calls = 0, max_t = 0;
	int wt, wc;

	if (profile_rows(&rep->prof, nnames) < 0) {
		rep->err = TSCOPE_ENOMEM;
		return;
	}
	for (size_t i = 0; i < nnames; i++) {
		const struct profile_row *row = &rep->prof.rows[i];
		const struct dropped_row *dr = dropped_row(&rep->drop, (uint32_t)i);
		struct item *it;

		if (!row->calls && !(dr && dr->calls))
			continue;
		if (calltree_grow((void **)&rep->items, &rep->items_cap, n + 1, sizeof(*rep->items),
				  0) < 0) {
			rep->err = TSCOPE_ENOMEM;
			return;
		}
		it = &rep->items[n++];
		it->incl = row->incl + (dr ? dr->incl : 0);
		it->self = on_cpu(dropped_self(row->self, dr), row->wait, row->off);
		it->calls = row->calls + (dr ? dr->calls : 0);
		it->bytes = row->mem_self.bytes;
		it->name = names_str(rep->names, (uint32_t)i, &it->len);
		it->key = i;
		it->idx = (uint32_t)i;
		total_self += it->self;
		if (it->calls > max_calls)
			max_calls = it->calls;
		if (it->incl > max_t)
			max_t = it->incl;
		if (it->self > max_t)
			max_t = it->self;
		if (row->max > max_t)
			max_t = row->max;
	}
	sort_by = rep->o.sort;
	if (n > 1)
		qsort(rep->items, n, sizeof(*rep->items), item_cmp);
	wt = rep->o.ns ? digits(max_t) : 8;
	if (wt < 4)
		wt = 4;
	wc = digits(max_calls);
	if (wc < 5)
		wc = 5;
	if (rep->o.compensate && rep->cost_hi > 0) {
		fprintf(rep->out, "compensated: %.1f", rep->cost_lo);
		if (rep->cost_hi > rep->cost_lo)
			fprintf(rep->out, " to %.1f", rep->cost_hi);
		fprintf(rep->out,
			" ns per event subtracted (two per call: self by its own, incl by its "
			"subtree's; min, percentiles and max are not)%s\n",
			rep->uncompensated ? "; some traces not compensated: no measured cost"
					   : "");
	} else if (rep->o.compensate)
		fputs("not compensated: the traces hold no measured cost per event\n", rep->out);
	if (rep->drop.any)
		fprintf(rep->out,
			"with %" PRIu64
			" call%s dropped at record time (column dropped), counted in "
			"calls, self and incl; min to max: the calls recorded\n",
			rep->drop.calls, rep->drop.calls == 1 ? "" : "s");
	if (rep->drop.hooks)
		fputs("excluded functions' calls dropped by the hooks: not counted, their time "
		      "in their callers' self time\n",
		      rep->out);
	if (rep->prof.off_threads)
		say_off(rep);
	fprintf(rep->out, "%*s  %6s  ", wt, "self", "self%");
	if (rep->wait)
		fprintf(rep->out, "%*s  ", wt, "wait");
	if (rep->prof.off_threads)
		fprintf(rep->out, "%*s  ", wt > 8 ? wt : 8, "off-cpu~");
	fprintf(rep->out, "%*s  ", wc, "calls");
	if (rep->drop.any)
		fprintf(rep->out, "%*s  ", wc > 7 ? wc : 7, "dropped");
	fprintf(rep->out, "%*s  %*s  %*s  %*s  %*s  %*s  %*s  ", wt, "incl", wt, "avg", wt, "min",
		wt, "p50", wt, "p90", wt, "p99", wt, "max");
	if (rep->mem)
		fprintf(rep->out, MEM_HEADS, MEM_NAMES);
	fputs("function\n", rep->out);
	for (size_t i = 0; i < n && !ferror(rep->out); i++) {
		const struct item *it = &rep->items[i];
		const struct profile_row *row = &rep->prof.rows[it->idx];

		put_time(rep, it->self, wt);
		fputs(" ", rep->out);
		put_pct(rep->out, it->self, total_self);
		if (rep->wait) {
			fputs("  ", rep->out);
			put_time(rep, row->wait, wt);
		}
		if (rep->prof.off_threads) {
			fputs("  ", rep->out);
			put_time(rep, row->off, wt > 8 ? wt : 8);
		}
		fprintf(rep->out, "  %*" PRIu64 "  ", wc, it->calls);
		if (rep->drop.any)
			fprintf(rep->out, "%*" PRIu64 "  ", wc > 7 ? wc : 7,
				it->calls - row->calls);
		put_time(rep, it->incl, wt);
		fputs("  ", rep->out);
		put_time(rep, it->calls ? it->incl / it->calls : 0, wt);
		if (row->calls) {
			fputs("  ", rep->out);
			put_time(rep, row->min, wt);
			for (int k = 0; k < 3; k++) {
				static const double q[] = { 0.5, 0.9, 0.99 };
				uint64_t v = profile_quantile(&rep->prof, it->idx, q[k]);

				fputs("  ", rep->out);
				put_time(rep, v ? v : row->max, wt);
			}
			fputs("  ", rep->out);
			put_time(rep, row->max, wt);
		} else {
			for (int k = 0; k < 5; k++)
				fprintf(rep->out, "  %*s", wt, "-");
		}
		fputs("  ", rep->out);
		if (rep->mem)
			put_mem(rep, &row->mem_incl, &row->mem_self);
		units_name(rep->out, it->name, it->len);
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
		units_name(rep->out, base, strlen(base));
	}
	if (in->ppid)
		fprintf(rep->out, " (parent %" PRIu32 ")", in->ppid);
	fputc('\n', rep->out);
	if (in->dropped && !rep->o.flat)
		fprintf(rep->out,
			"%" PRIu64 " call%s dropped at record time (filters): not in the tree; "
			"`tscope report --flat` counts them\n",
			in->dropped, in->dropped == 1 ? "" : "s");
	if (rep->o.compensate && in->cost.events)
		fprintf(rep->out,
			"compensated: %.1f ns per event subtracted (two per call: self by its own, "
			"incl by its subtree's)\n",
			reader_event_cost_ns(r));
	else if (rep->o.compensate)
		fputs("not compensated: this trace holds no measured cost per event\n", rep->out);
}

/* The process's heap in one line (tscope leaks tells where). */
static void heap_line(struct report *rep, const struct heap_totals *h)
{
	char a[40], b[40], c[40];

	fprintf(rep->out,
		"memory: %" PRIu64 " alloc%s of %s, peak %s in use, %" PRIu64
		" never freed (%s): tscope leaks shows where\n",
		h->allocs, h->allocs == 1 ? "" : "s", fmt_bytes(rep, a, h->bytes),
		fmt_bytes(rep, b, h->peak), h->leaked, fmt_bytes(rep, c, h->leaked_bytes));
}

int report_add(struct report *rep, struct spans *sp)
{
	struct reader *r = spans_reader(sp);
	const struct heap_totals *heap;
	int rc = 0, shown = 0;

	if (rep->io)
		return report_io_add(rep->io, sp, rep->o.has_tid, rep->o.tid, &rep->threads);
	if (rep->o.flat && rep->o.compensate) {
		double c = reader_event_cost_ns(r);

		if (c <= 0)
			rep->uncompensated++;
		else if (rep->cost_hi <= 0 || c < rep->cost_lo)
			rep->cost_lo = c;
		if (c > rep->cost_hi)
			rep->cost_hi = c;
	}
	heap = spans_heap(sp, &rc);
	if (rc < 0)
		return rc;
	if (heap)
		rep->mem = 1;
	else if (!rep->o.flat)
		rep->mem = 0;
	spans_set_memory(sp, rep->mem ? calltree_memory : NULL);
	if (spans_io_events(sp, &rc) > 0)
		rep->wait = 1;
	else if (!rep->o.flat)
		rep->wait = 0;
	if (rc < 0)
		return rc;
	spans_set_io(sp, rep->wait ? calltree_io : NULL);
	/* dropped calls are the process's, not a thread's: --thread leaves them out */
	if (rep->o.flat && !rep->o.has_tid && dropped_add(&rep->drop, sp) < 0)
		return TSCOPE_ENOMEM;

	for (size_t i = 0; i < reader_thread_count(r); i++) {
		const struct reader_thread *th = reader_thread(r, i);
		int e;

		if (rep->o.has_tid && th->tid != rep->o.tid)
			continue;

		if (rep->o.flat) {
			e = profile_thread(&rep->prof, sp, i);
			if (e == TSCOPE_ENOMEM)
				return e;
			if (e < 0 && !rc)
				rc = e;
		} else {
			if (calltree_reset(&rep->tree) < 0)
				return TSCOPE_ENOMEM;
			e = offcpu_thread(rep->off, r, i);
			if (e == TSCOPE_ENOMEM)
				return e;
			rep->offcol = e > 0;
			rep->tree.off = rep->offcol ? rep->off : NULL;
			e = spans_run(sp, i, &calltree_ops, &rep->tree);
			if (rep->offcol && offcpu_err(rep->off) && !rc)
				rc = TSCOPE_ENOMEM;
			if (e < 0 && !rc)
				rc = e;
			if (rep->tree.err && !rc)
				rc = rep->tree.err;
			if (rep->o.compensate &&
			    calltree_compensate(&rep->tree, reader_event_cost_ns(r)) < 0)
				return TSCOPE_ENOMEM;
			e = calltree_names(&rep->tree, sp, &rep->node_name, &rep->node_name_cap);
			if (e < 0)
				return e;
			if (!shown++) {
				process_header(rep, r);
				if (heap)
					heap_line(rep, heap);
			}
			print_tree(rep, th, spans_last_stats(sp));
		}
		rep->threads++;
		if (rep->err)
			return rep->err;
		if (ferror(rep->out))
			break; /* nothing more can be written */
	}
	return rc;
}

int report_finish(struct report *rep)
{
	int rc;

	if (rep->o.flat && rep->threads && !rep->io)
		print_flat(rep);
	rc = rep->err;
	if (rep->io) {
		int e = report_io_finish(rep->io, rep->out, rep->o.ns);

		if (!rc)
			rc = e;
	}
	calltree_fini(&rep->tree);
	profile_fini(&rep->prof);
	dropped_fini(&rep->drop);
	free(rep->node_name);
	free(rep->depth);
	free(rep->incl);
	free(rep->items);
	offcpu_free(rep->off);
	free(rep);
	return rc;
}

/* ---- as an exporter ---------------------------------------------------------------------- */

static int x_open(void **x, FILE *out, const void *opts, struct names *names)
{
	struct report *rep;
	int rc = report_open(&rep, out, opts, names);

	*x = rep;
	return rc;
}

static int x_add(void *x, struct spans *sp)
{
	return report_add(x, sp);
}

static int x_finish(void *x)
{
	return report_finish(x);
}

static uint64_t x_threads(const void *x)
{
	return report_threads(x);
}

const struct exporter report_exporter = {
	.name = "report",
	.open = x_open,
	.add = x_add,
	.finish = x_finish,
	.threads = x_threads,
};
