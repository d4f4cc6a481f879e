/* SPDX-License-Identifier: MIT */
/*
 * report.h - the text reports of `tscope report`: one call tree per thread, or one flat
 * table of functions.  Private to the offline side.
 *
 * Both are made of the call trees of calltree.h, built from the spans of spans.h, so
 * the repairs made there apply.  Nothing here exits; the report functions write to a
 * FILE and leave write errors in ferror().
 */
#ifndef TSCOPE_REPORT_H
#define TSCOPE_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "spans.h"

enum report_sort {
	REPORT_SORT_DEFAULT,
	REPORT_SORT_INCL,
	REPORT_SORT_SELF,
	REPORT_SORT_CALLS,
	REPORT_SORT_NAME,
	REPORT_SORT_BYTES /* bytes allocated (memory events): incl in the tree, self flat */
};

#define REPORT_THRESHOLD_DEFAULT 0.5

struct report_opts {
	int flat;	    /* one row per function, all threads together */
	unsigned max_depth; /* tree: levels shown, 0 for all */
	double threshold;   /* tree: hide subtrees under this percentage of their thread
			       (tscope report: REPORT_THRESHOLD_DEFAULT unless -t) */
	int has_tid;	    /* only thread tid */
	uint32_t tid;
	enum report_sort sort; /* default: incl for the tree, self for --flat */
	int ns;		       /* times as integer nanoseconds, sizes as integer bytes */
	int compensate;	       /* take the recorder's measured cost per event out of the
				  times (see calltree_compensate()) */
	int io;		       /* the I/O and waiting tables instead (report-io.h) */
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
