/* SPDX-License-Identifier: MIT */
/*
 * offcpu.h - time off the CPU outside the wrapped calls, estimated per function from the
 * samples of each thread's CPU time (EXT CPU events, written by `record --io`).
 * Private to the offline side.
 *
 * Measured: between two consecutive samples of a thread, its wall time, its CPU time,
 * and the time its I/O and wait events show as waiting (a WAIT's whole span, an IO's
 * span minus its CPU time).  What is left, wall - CPU - waiting (never below 0), is
 * time the thread was off its CPU elsewhere: preempted, stopped, blocked in a page
 * fault or in a call not wrapped.
 * Estimated: how that time splits among the functions that ran in the interval.  It
 * goes to them in proportion to their self time there, the waiting spans left out:
 * exact when one function ran in the interval, a guess when several did.
 *
 * For a thread, offcpu_thread() reads the samples once and makes a function W(t): the
 * off-CPU time estimated up to t, growing within an interval at the rate off / (its
 * time outside waiting), flat inside waiting spans, before the first sample, after the
 * last and across a discontinuity (lost events, a pause).  A call's off-CPU time is
 * then W(end) - W(start), and its self share that minus its children's: the call tree
 * (calltree.h) asks at each open and close.  Memory grows with the samples and the
 * waiting events of one thread.  Nothing here prints or exits.
 */
#ifndef TSCOPE_OFFCPU_H
#define TSCOPE_OFFCPU_H

#include <stddef.h>
#include <stdint.h>

#include "reader.h"
#include "spans.h"

struct offcpu;

/* An empty estimator: 0 and *op, or TSCOPE_ENOMEM. */
int offcpu_new(struct offcpu **op);
void offcpu_free(struct offcpu *o);

/*
 * Read thread i of r and make its W.  Returns 1 when the thread has two samples or
 * more (the estimate can be made), 0 when not, or TSCOPE_ENOMEM.
 */
int offcpu_thread(struct offcpu *o, struct reader *r, size_t i);

/* What offcpu_thread() found in its thread: samples, and the off-CPU time in ns. */
uint64_t offcpu_samples(const struct offcpu *o);
uint64_t offcpu_total(const struct offcpu *o);

/* The thread's share of time on the CPU from its sample k to the next, in per cent
 * (0 to 100), or -1 when that is no interval (the last sample, lost events between). */
int64_t offcpu_percent(const struct offcpu *o, size_t k);

/* How many CPU samples thread i of r holds (tscope info). */
int offcpu_count(struct reader *r, size_t i, uint64_t *samples);

/*
 * For the call tree: stack[depth] was opened; stack[depth] closes at end, returning its
 * self share of the off-CPU time (ns).  Frames must nest as spans_run() delivers them.
 */
void offcpu_open(struct offcpu *o, const struct spans_frame *stack, size_t depth);
uint64_t offcpu_close(struct offcpu *o, const struct spans_frame *stack, size_t depth,
		      uint64_t end);

/* TSCOPE_ENOMEM when an open could not be followed (its frames then count nothing). */
int offcpu_err(const struct offcpu *o);

#endif /* TSCOPE_OFFCPU_H */
