/* SPDX-License-Identifier: MIT */
/*
 * stats.h - the statistics that tell a change from run-to-run noise.  Private to the
 * offline side.
 */
#ifndef TSCOPE_STATS_H
#define TSCOPE_STATS_H

#include <stddef.h>

/*
 * Welch's t-test of the means of a (na values) and b (nb values), which may have
 * different variances: the two-sided p-value, the probability of a difference of
 * means at least as large if both came from one distribution.  na and nb must be at
 * least 2.  Two samples without spread give 1 when their means are equal, else 0.
 */
double stats_welch_p(const double *a, size_t na, const double *b, size_t nb);

/* The Student t distribution's two-sided tail: P(|T| >= t) with df degrees of freedom. */
double stats_t_tail(double t, double df);

#endif /* TSCOPE_STATS_H */
