/* SPDX-License-Identifier: MIT */
/*
 * calltree.h - call trees: calls and times aggregated by call path, the one model that
 * `tscope report`, `tscope folded` and the commands comparing traces build on.  Private
 * to the offline side.
 *
 * A tree holds one node per distinct call path (main -> parse -> lex) with its calls,
 * inclusive and self times: its size follows the program's structure, not the trace's
 * length.  There are two kinds, told apart by what a node's key is:
 *
 *   - by frame: calltree_ops builds the tree of one thread from spans_run(); keys are
 *     the spans' frame keys (a function address, or SPANS_SCOPE | a scope's name id),
 *     so two functions of one name stay apart;
 *   - by name: calltree_merge() adds a tree by frame into a tree whose keys are name
 *     ids (names.h), so that equal paths of several threads and traces add up.
 *
 * calltree_walk() visits a tree depth first, siblings in the order asked for.
 * Invariants: node 0 is the root (the thread, or everything merged), key 0, no calls;
 * a node's index is larger than its parent's; siblings have distinct keys.  Nothing
 * here prints or exits; functions return 0 or TSCOPE_ENOMEM.
 */
#ifndef TSCOPE_CALLTREE_H
#define TSCOPE_CALLTREE_H

#include <stddef.h>
#include <stdint.h>

#include "spans.h"

/* One call path. */
struct calltree_node {
	uint64_t key;	 /* frame key, or name id (see the top of this file) */
	uint64_t calls;	 /* times this path was taken */
	uint64_t incl;	 /* ns, summed over the calls */
	uint64_t self;	 /* ns, incl minus the time in its children */
	uint64_t min;	 /* ns of the shortest call (UINT64_MAX before the first) */
	uint64_t max;	 /* ns of the longest call */
	uint64_t allocs; /* memory events while this path was innermost: allocations, */
	uint64_t bytes;	 /* their bytes, */
	int64_t net;	 /* and what all its memory events changed the heap by */
	uint64_t wait;	 /* ns off the CPU in I/O and wait calls while it was innermost */
	uint64_t io;	 /* I/O and wait events while it was innermost */
	uint64_t off;	 /* ns off the CPU outside them, estimated, as self (offcpu.h) */
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
	struct offcpu *off; /* calltree_ops: estimate the nodes' off-CPU time (NULL: not) */
	/* paths cut by calltree_merge(): a node of a window (the frames kept below a
	 * marker) -> the node of the same window without its first frame, 0 not known
	 * yet; valid for the first drop_n nodes */
	uint32_t *drop;
	size_t drop_n, drop_cap;
};

/* ---- building ------------------------------------------------------------------------- */

/* The callbacks that build a tree by frame from spans_run(): ctx is a struct calltree. */
extern const struct spans_ops calltree_ops;

/* Memory events to the node of the innermost frame (spans_set_memory()); the same ctx. */
void calltree_memory(void *ctx, struct spans_frame *stack, size_t depth, const struct spans_mem *m);

/* I/O and wait events to the node of the innermost frame (spans_set_io()); the same ctx. */
void calltree_io(void *ctx, struct spans_frame *stack, size_t depth, const struct spans_io *e);

/* The memory of node i's subtree, the node included, for every node: (*out)[i]. */
struct calltree_mem {
	uint64_t allocs, bytes;
	int64_t net;
};
int calltree_mem_incl(const struct calltree *t, struct calltree_mem **out, size_t *cap);

/*
 * Make t an empty tree, the root alone, keeping its memory.  t must be zeroed before
 * its first use.  Returns 0 or TSCOPE_ENOMEM.
 */
int calltree_reset(struct calltree *t);

/*
 * The child of node parent with key, added if new (any 64-bit key).  Returns its
 * index, or 0 (the root) with t->err set when out of memory.
 */
uint32_t calltree_child(struct calltree *t, uint32_t parent, uint64_t key);

/*
 * Take the recorder's cost out of t's times (compensate.c): cost_ns per event, two
 * events per call; a node's self loses its own calls' events, its incl those of its
 * whole subtree, neither going below 0.  Returns 0 or TSCOPE_ENOMEM.
 */
int calltree_compensate(struct calltree *t, double cost_ns);

/* Free what t holds.  A second call is a harmless no-op. */
void calltree_fini(struct calltree *t);

/* ---- names and merging by name -------------------------------------------------------- */

/*
 * The name id of every node of t, a tree by frame of the trace read by sp: (*names)[i]
 * for node i, 0 for the root.  *names grows as needed (*cap elements; both 0 at
 * first; the caller frees it).  Returns 0 or TSCOPE_ENOMEM.
 */
int calltree_names(const struct calltree *t, struct spans *sp, uint32_t **names, size_t *cap);

/* The key bit of a marker frame, standing for frames cut from a path (see below). */
#define CALLTREE_MARK (UINT64_C(1) << 32)

/* The shortest limit of a cut: a shorter one is taken as no limit. */
#define CALLTREE_CUT_MIN 8u

/*
 * A path of more than max frames is cut in its middle: its outermost frames and its
 * innermost max / 2 frames are kept, with one marker frame (key CALLTREE_MARK |
 * marker) between them, max frames in all.  Paths equal once cut add up, so that a
 * recursion of any depth costs at most max frames per path, the totals stay exact,
 * and each frame kept is a real caller of the next one kept.
 */
struct calltree_cut {
	unsigned max;	  /* frames per path, those down to `at` included; 0: no limit */
	uint32_t marker;  /* the marker's name id */
	uint64_t paths;	  /* added to: nodes of src whose path was cut */
	uint64_t deepest; /* raised to: frames of the longest path cut */
};

/*
 * Add the tree by frame src (of the trace read by sp) to the tree by name dst, below
 * its node at: each path of src adds its calls and times to the path of the same
 * names in dst, created if new.  With cut (may be NULL), paths longer than cut->max
 * are cut as said above; `at` must then be less than max / 2 - 1 frames deep, or
 * nothing is cut.  Returns 0 or TSCOPE_ENOMEM (dst then holds part of src, and
 * dst->err is set).
 */
int calltree_merge(struct calltree *dst, uint32_t at, const struct calltree *src, struct spans *sp,
		   struct calltree_cut *cut);

/* ---- walking -------------------------------------------------------------------------- */

/*
 * Visit every node of t below the root, depth first: a node, then its subtree, then
 * its next sibling.  Siblings come in the order of cmp(ctx, a, b) (negative: node a
 * first), which must tell any two siblings apart; with cmp NULL, in the tree's own
 * order.  visit(ctx, node, depth) is called with depth 0 for the root's children; it
 * returns 1 to go into the node's children, 0 to skip them, or a negative value that
 * stops the walk.  Returns 0, that value, or TSCOPE_ENOMEM.
 */
/* A growable array for the call tree's users: *p holds at least need elements of elem
 * bytes, the new ones zeroed if zero.  0 or TSCOPE_ENOMEM. */
int calltree_grow(void **p, size_t *cap, size_t need, size_t elem, int zero);

int calltree_walk(const struct calltree *t, int (*cmp)(void *ctx, uint32_t a, uint32_t b),
		  int (*visit)(void *ctx, uint32_t node, uint32_t depth), void *ctx);

#endif /* TSCOPE_CALLTREE_H */
