/* SPDX-License-Identifier: MIT */
/*
 * flame.h - flame graphs as SVG: a call tree by name (calltree.h) drawn as one
 * rectangle per call path, its width in proportion to the value of the path and of
 * everything below it, callees stacked on their caller.  `tscope flamegraph`
 * (export-flamegraph.c) and `tscope diff --flamegraph` (export-diff.c) both draw with
 * it.  Private to the offline side.
 *
 * The document stands alone: a tooltip (<title>) per frame with its name and values,
 * labels cut to their frame's width, and a short script of its own to zoom on a frame
 * (click; Escape or "Reset Zoom" to come back) and to search frames by a regular
 * expression (highlighted, with the share of the whole they cover).  Siblings are in
 * bytewise name order and colours come from a hash of the name, so the same tree
 * always gives the same bytes.
 *
 * A differential graph has a "before" value per node too: widths are still the
 * (after) values, and colours say how each frame's own value changed: red for more,
 * blue for less, in proportion to the change, the largest change drawn at full
 * colour; grey for no change.
 */
#ifndef TSCOPE_FLAME_H
#define TSCOPE_FLAME_H

#include <stdio.h>

#include "calltree.h"
#include "names.h"

#define FLAME_WIDTH	1200 /* px: the image's default width */
#define FLAME_MIN_WIDTH 0.1  /* px: the default narrowest frame drawn */
#define FLAME_MAX_DEPTH 1024 /* frames drawn below the root, at most */

/* What a node's value counts, for the tooltips. */
enum flame_unit {
	FLAME_NS,   /* nanoseconds */
	FLAME_CALLS /* calls */
};

struct flame_opts {
	const char *title;    /* NULL: "Flame Graph", or "Icicle Graph" with icicle */
	const char *subtitle; /* a line under the title (what the widths are), or NULL */
	unsigned width;	      /* of the image, px; 0 for FLAME_WIDTH; at least 100 */
	/*
	 * px: a frame narrower is not drawn, nor its callees (its value stays in its
	 * caller's width), so that a level holds at most width / min_width frames.  0
	 * draws every frame of a non-zero value.
	 */
	double min_width;
	int icicle;	      /* the root at the top, callees below their callers */
	enum flame_unit unit; /* what self[] and self0[] count */
};

/* The tree to draw and its values, by node index (node 0, the root, is "all"). */
struct flame_tree {
	const struct calltree *t;  /* keys are name ids of names (CALLTREE_MARK allowed) */
	const struct names *names; /* the names of the keys */
	const double *self;	   /* a node's own value: its width is that of its subtree */
	const double *calls;	   /* a node's calls */
	const double *self0;	   /* NULL, or the values before: a differential graph */
	const double *calls0;	   /* the calls before (with self0) */
};

/*
 * Write the SVG document of ft to out, as o says.  Returns 0 or TSCOPE_ENOMEM; a write
 * error is left in ferror(out) (writing then stops early).
 */
int flame_write(FILE *out, const struct flame_opts *o, const struct flame_tree *ft);

/*
 * Append the n bytes at s to out as XML character data: & < > " ' as entities, and
 * what XML cannot hold (control characters, bytes that are not UTF-8, U+FFFE, U+FFFF)
 * as U+FFFD.  At most max characters are written.
 */
void flame_xml(FILE *out, const char *s, size_t n, size_t max);

#endif /* TSCOPE_FLAME_H */
