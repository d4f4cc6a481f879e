/* SPDX-License-Identifier: MIT */
/*
 * report.h - call trees (calls and times aggregated by call path) and the text reports
 * of `tscope report`: one call tree per thread, or one flat table of functions.
 * Private to the offline side.
 *
 * A call tree holds one node per distinct call path of one thread (main -> parse ->
 * lex), with its calls and inclusive and self times: its size follows the program's
 * structure, not the trace's length.  It is built from the spans of lib/spans.h, so
 * the repairs made there apply.  Nothing here exits; the report functions write to a
 * FILE and leave write errors in ferror().
 */
#ifndef TSCOPE_REPORT_H
#define TSCOPE_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "spans.h"

/* ---- call trees ----------------------------------------------------------------------- */

/* One call path.  Node 0 is the root (the thread itself): key 0, no calls. */
struct calltree_node {
	uint64_t key;	 /* the frame key: function address or SPANS_SCOPE | name id */
	uint64_t calls;	 /* times this path was taken */
	uint64_t incl;	 /* ns, summed over the calls */
	uint64_t self;	 /* ns, incl minus the time in its children */
	uint64_t min;	 /* ns of the shortest call (UINT64_MAX before the first) */
	uint64_t max;	 /* ns of the longest call */
	uint32_t parent; /* node index (the root is its own parent) */
	uint32_t child;	 /* first child, 0 for none */
	uint32_t next;	 /* next sibling, 0 for none */
	uint32_t hot;	 /* the child found last: a one-entry cache for the lookup */
};

struct calltree {
	struct calltree_node *nodes;
	size_t n, cap;
	uint32_t *slots; /* open addressing on (parent, key): node index, 0 empty */
	size_t slots_cap;
	int err; /* TSCOPE_ENOMEM once a node could not be added */
};

/* The callbacks that build a call tree from spans_run(): ctx is a struct calltree. */
extern const struct spans_ops calltree_ops;

/*
 * Make t an empty tree, the root alone, keeping its memory.  t must be zeroed before
 * its first use.  Returns 0 or TSCOPE_ENOMEM.
 */
int calltree_reset(struct calltree *t);

/*
 * The child of node parent with key, added if new (other trees than the ones
 * calltree_ops builds use it too: any 64-bit key).  Returns its index, or 0 (the root)
 * with t->err set when out of memory.
 */
uint32_t calltree_child(struct calltree *t, uint32_t parent, uint64_t key);

/* Free what t holds.  A second call is a harmless no-op. */
void calltree_fini(struct calltree *t);

/* ---- reports -------------------------------------------------------------------------- */

enum report_sort {
	REPORT_SORT_DEFAULT,
	REPORT_SORT_INCL,
	REPORT_SORT_SELF,
	REPORT_SORT_CALLS,
	REPORT_SORT_NAME
};

struct report_opts {
	int flat;	    /* one row per function, all threads together */
	unsigned max_depth; /* tree: levels shown, 0 for all */
	double threshold;   /* tree: hide subtrees under this percentage of their thread */
	int has_tid;	    /* only thread tid */
	uint32_t tid;
	enum report_sort sort; /* default: incl for the tree, self for --flat */
	int ns;		       /* times as integer nanoseconds instead of human units */
};

struct report; /* a report being written */

/*
 * Start a report on out.  names must be the set the traces' spans use, and outlive the
 * report.  Returns 0 and sets *rp, or TSCOPE_ENOMEM.
 */
int report_open(struct report **rp, FILE *out, const struct report_opts *o, struct names *names);

/*
 * Add one trace (a process).  The tree report prints its threads as it goes; the flat
 * one adds them to its table.  Returns 0, or the first error of spans_run() (what was
 * read is kept).
 */
int report_add(struct report *rep, struct spans *sp);

/* Print what is left (the flat table) and free rep.  Returns 0 or TSCOPE_ENOMEM. */
int report_finish(struct report *rep);

/* How many threads the report has shown or counted (for --thread: 0 = not found). */
uint64_t report_threads(const struct report *rep);

#endif /* TSCOPE_REPORT_H */
