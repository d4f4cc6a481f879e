/* SPDX-License-Identifier: MIT */
/*
 * stats.c - Welch's t-test (see stats.h).  The t distribution's tail is the
 * regularized incomplete beta function I_x(df/2, 1/2) at x = df / (df + t^2), evaluated
 * by its continued fraction (modified Lentz), which converges quickly for
 * x < (a + 1) / (a + b + 2); above that, by the symmetry I_x(a, b) = 1 - I_1-x(b, a).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>

#include "stats.h"

#define TINY 1e-300

static double clamp_tiny(double v)
{
	return fabs(v) < TINY ? TINY : v;
}

/* The continued fraction of I_x(a, b), without its prefactor. */
static double beta_cf(double a, double b, double x)
{
	double c = 1, d = 1 / clamp_tiny(1 - (a + b) * x / (a + 1)), f = d;

	for (int m = 1; m <= 500; m++) {
		double even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
		double odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
		double step;

		d = 1 / clamp_tiny(1 + even * d);
		c = clamp_tiny(1 + even / c);
		f *= d * c;
		d = 1 / clamp_tiny(1 + odd * d);
		c = clamp_tiny(1 + odd / c);
		step = d * c;
		f *= step;
		if (fabs(step - 1) < 1e-15)
			break;
	}
	return f;
}

/* The regularized incomplete beta function I_x(a, b), 0 <= x <= 1. */
static double beta_inc(double a, double b, double x)
{
	double front;

	if (x <= 0)
		return 0;
	if (x >= 1)
		return 1;
	front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
	if (x < (a + 1) / (a + b + 2))
		return front * beta_cf(a, b, x) / a;
	return 1 - front * beta_cf(b, a, 1 - x) / b;
}

double stats_t_tail(double t, double df)
{
	return beta_inc(df / 2, 0.5, df / (df + t * t));
}

static void mean_var(const double *v, size_t n, double *mean, double *var)
{
	double m = 0, s = 0;

	for (size_t i = 0; i < n; i++)
		m += v[i];
	m /= (double)n;
	for (size_t i = 0; i < n; i++)
		s += (v[i] - m) * (v[i] - m);
	*mean = m;
	*var = s / (double)(n - 1);
}

double stats_welch_p(const double *a, size_t na, const double *b, size_t nb)
{
	double ma, va, mb, vb, ea, eb, se2, df;

	mean_var(a, na, &ma, &va);
	mean_var(b, nb, &mb, &vb);
	ea = va / (double)na;
	eb = vb / (double)nb;
	se2 = ea + eb;
	if (se2 <= 0)
		return ma == mb ? 1 : 0;
	df = se2 * se2 / (ea * ea / (double)(na - 1) + eb * eb / (double)(nb - 1));
	return stats_t_tail((mb - ma) / sqrt(se2), df);
}
