/* SPDX-License-Identifier: MIT */
/*
 * diff.h - the parts of `tscope diff` (export.h's diff_exporter) and what they share:
 * the runs read (export-diff.c), their comparison and the gate (diff-compare.c), and
 * the writers: text and markdown (diff-text.c), JSON (diff-json.c), folded stacks and
 * the flame graph (diff-flame.c).  Private to those files.
 *
 * Every part works on one struct diff.  The runs are read into it first; then the
 * functions are compared (rows, tot, scale), and one writer prints them, counting in
 * hidden and deep what it leaves out.  Nothing here but the writers prints, and they
 * print only to d->out (the verdict line also to a string); a failure to allocate is
 * kept in d->err, or returned as TSCOPE_ENOMEM where the function says so.
 */
#ifndef TSCOPE_DIFF_H
#define TSCOPE_DIFF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "export.h"
#include "calltree.h"
#include "flame.h"
#include "hist.h"
#include "names.h"
#include "profile.h"

#define DIFF_ALPHA 0.01 /* Welch's p below which a change may be significant */

/* Call paths are shown down to this many frames: below, a recursion N deep would print
 * N paths of up to N frames. */
#define DIFF_MAX_DEPTH FLAME_MAX_DEPTH

/* One function or path in one run. */
struct diff_val {
	uint64_t calls, incl, self;
};

enum diff_verdict { V_SAME, V_SLOWER, V_FASTER, V_NOISE, V_NEW, V_GONE };

/* A function (or path) compared: means per run on each side, the change of self time
 * (functions) or inclusive time (paths). */
struct diff_cmp {
	uint32_t id;   /* name id */
	uint32_t node; /* tree: the node of every run's tree */
	double calls[2], incl[2], self[2];
	double change, pct; /* pct: NAN when the base is 0 */
	double p;	    /* Welch's p; NAN when unknown */
	int sig;	    /* 1 significant, 0 noise, -1 unknown */
	enum diff_verdict v;
};

struct diff {
	FILE *out;
	struct diff_opts o;
	struct names *names;
	size_t k;	  /* runs */
	uint32_t *run_of; /* by trace: its run, UINT32_MAX for none */
	uint8_t *side;	  /* by run: 0 base, 1 new */
	size_t nruns[2];
	double *total;	      /* by run: its self time over every function */
	struct profile prof;  /* the run being read */
	struct hist *hist[2]; /* durations by name id, per side */
	size_t hist_cap[2];
	struct diff_val *fv; /* by name id * k + run */
	size_t fv_cap;
	struct calltree u;   /* every path of every run, keys are name ids */
	struct diff_val *tv; /* by node * k + run */
	size_t tv_cap;
	uint32_t *map; /* the run's node -> its node in u */
	size_t map_cap;
	uint64_t threads;
	int err;

	/* finish */
	struct diff_cmp *rows;
	size_t nrows, rows_cap;
	struct diff_cmp tot;
	double scale; /* the base's total: what the threshold is a share of */
	size_t hidden;
	size_t deep; /* tree, JSON and folded paths: those past DIFF_MAX_DEPTH frames, not shown */
	char *path;  /* folded: the path being walked, and where each frame ends */
	size_t path_cap, *plen, plen_cap;
	uint32_t *ids; /* json: the names on the path being walked */
	size_t ids_cap;
	struct diff_cmp *st; /* tree: the children of the nodes on the path, sorted */
	size_t st_n, st_cap;
	double *va, *vb; /* the per-run values of the two sides */
};

/* ---- diff-compare.c ------------------------------------------------------------------- */

/* The word of each verdict, by enum diff_verdict ("same", "slower", ...). */
extern const char *const diff_verdict_word[];

/* Compare the k per-run values of one function or path (v, stride 1); with incl, on
 * inclusive time, else on self time.  A side without runs counts as 0. */
void diff_compare(struct diff *d, const struct diff_val *v, int incl, struct diff_cmp *c);

/* Is the change of c small enough to hide? */
int diff_small(const struct diff *d, const struct diff_cmp *c);

/* Sort n comparisons by the size of their change, largest first, then by name. */
void diff_sort(const struct diff *d, struct diff_cmp *c, size_t n);

/* Every function compared into d->rows, sorted; 0 or TSCOPE_ENOMEM. */
int diff_compare_functions(struct diff *d);

/* The totals into d->tot and d->scale; d->err on failure. */
void diff_compare_total(struct diff *d);

/* Does the gate fail on c, a significant (or unknown) slowdown above it? */
int diff_gate_hit(const struct diff *d, const struct diff_cmp *c);

/* A function's largest share of its side's total, in %. */
double diff_share(const struct diff *d, const struct diff_cmp *c);

/* Apply the gate (setting *o.failed); the number of functions it fails on, and in
 * *total whether it fails on the total. */
size_t diff_gate(struct diff *d, int *total);

/* ---- the writers ---------------------------------------------------------------------- */

/* diff-text.c: the header, the table or tree, what was left out, the verdict. */
void diff_text(struct diff *d);

/* diff-text.c: the markdown summary and table. */
void diff_markdown(struct diff *d);

/* diff-text.c: the gate's verdict, one line after pre (nothing without a gate). */
void diff_put_verdict(struct diff *d, FILE *out, const char *pre);

/* diff-json.c: the whole result as one JSON object. */
void diff_json(struct diff *d);

/* diff-flame.c: "a;b;c BEFORE AFTER" lines; calltree_walk()'s result. */
int diff_folded(struct diff *d);

/* diff-flame.c: the differential flame graph (SVG); flame_write()'s result. */
int diff_flamegraph(struct diff *d);

#endif /* TSCOPE_DIFF_H */
