/* SPDX-License-Identifier: MIT */
/*
 * profile.h - what a set of threads cost, by function name: the threads' call trees
 * merged by name (calltree.h), the durations of every function's calls (hist.h), and
 * from them one row per function.  The flat report and `tscope diff` are made of it.
 * Private to the offline side.
 *
 * A function's row adds up every call path that ends in it: its calls and self time
 * from all of them; its inclusive time only from the paths on which it is not already
 * a caller, so that a recursion counts its outermost activations once, not once per
 * level.  Functions return 0 or TSCOPE_ENOMEM; nothing here prints.
 */
#ifndef TSCOPE_PROFILE_H
#define TSCOPE_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "calltree.h"
#include "hist.h"
#include "spans.h"

/* One function (or scope) by name, over every thread added. */
struct profile_row {
	uint64_t calls, incl, self, min, max; /* ns; min is UINT64_MAX without calls */
	struct calltree_mem mem_self, mem_incl; /* memory events, as times are counted */
	uint64_t wait, io; /* ns off the CPU in I/O and wait calls, and those calls, as self */
	uint64_t off;	   /* ns off the CPU outside them, estimated (offcpu.h), as self */
};

struct profile {
	struct calltree merged; /* every thread added, keys are name ids */
	struct hist *hist;	/* the durations of the calls, by name id */
	size_t hist_cap;
	struct profile_row *rows; /* by name id, after profile_rows(): rows_n of them */
	uint8_t *is_func;	  /* by name id: 1 when a function (not a scope) had its calls */
	size_t is_func_cap;
	size_t rows_n, rows_cap;

	/* the thread being read: its tree by frame, its durations (names touched) */
	struct calltree tree;
	struct hist *thist;
	size_t thist_cap;
	uint32_t *touched;
	size_t touched_n, touched_cap;
	struct spans *sp;
	int compensate; /* take each trace's cost per event out of its times */
	struct offcpu *off;   /* estimate the off-CPU time where threads have CPU samples */
	uint64_t off_threads; /* threads added with CPU samples */
	int err;
	/* profile_rows(): the names on the path being walked, and how often each is */
	uint32_t *active, *path;
	size_t active_cap, path_n, path_cap;
	struct calltree_mem *mem; /* the merged tree's nodes with their subtrees */
	size_t mem_cap;
};

/* Make p empty (it must be zeroed before its first use; its memory is kept). */
int profile_reset(struct profile *p);

/*
 * Read thread i of the trace sp and add it to p.  Returns 0, the first error of
 * spans_run() (what was read is kept), or TSCOPE_ENOMEM.
 */
int profile_thread(struct profile *p, struct spans *sp, size_t i);

/* Compute p->rows for names 0 .. nnames - 1 from the threads added so far. */
int profile_rows(struct profile *p, size_t nnames);

/* The q-quantile of name's durations (hist_quantile()); 0 without calls. */
uint64_t profile_quantile(const struct profile *p, uint32_t name, double q);

/*
 * The mean duration of name's calls, its slowest 1% left out (a call the system
 * interrupted, or that met the tracing's buffer switch, says nothing of the function),
 * within 1/32 (hist.h).  Each call counts whole, its callees included: unlike
 * incl / calls, a recursive call counts the calls below it too.  0 without calls.
 */
#define PROFILE_MEAN_KEEP 0.99
uint64_t profile_mean(const struct profile *p, uint32_t name);

/* Whether name is a function's (compiler-instrumented), not only a scope's. */
int profile_is_func(const struct profile *p, uint32_t name);

void profile_fini(struct profile *p);

#endif /* TSCOPE_PROFILE_H */
