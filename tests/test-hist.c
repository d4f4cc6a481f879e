/* SPDX-License-Identifier: MIT */
/*
 * test-hist.c - the duration histograms behind report --flat's percentiles: exact below
 * 16 ns, within 1/32 above, nearest rank, the largest value never exceeded, merging.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "hist.h"
#include "stats.h"
#include "runner.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The nearest-rank q-quantile of the n sorted values v. */
static uint64_t exact_quantile(const uint64_t *v, size_t n, double q)
{
	size_t rank = (size_t)(q * (double)n);

	if ((double)rank < q * (double)n)
		rank++;
	return v[(rank ? rank : 1) - 1];
}

static void test_small(void)
{
	struct hist h = { 0 };

	for (uint64_t v = 1; v <= 10; v++)
		hist_add(&h, v);
	is_int(hist_quantile(&h, 0.5), 5, "1..10: p50 is 5");
	is_int(hist_quantile(&h, 0.9), 9, "p90 is 9");
	is_int(hist_quantile(&h, 0.99), 10, "p99 is 10 (the 10th of 10)");
	is_int(hist_quantile(&h, 1.0), 10, "p100 is the largest");
	is_int(h.n, 10, "10 values");
	hist_clear(&h);
	is_int(hist_quantile(&h, 0.5), 0, "an empty histogram gives 0");
	hist_add(&h, 0);
	is_int(hist_quantile(&h, 0.5), 0, "a zero duration is kept");
	hist_free(&h);
}

/* Several distributions, every percentile from 1 to 100 against the exact one. */
static void test_bounds(void)
{
	static uint64_t v[100000];
	static const char *const kinds[] = { "uniform to 1 ms", "exponential, mean 50 us",
					     "spread over 2^0..2^50 ns" };
	uint64_t x = 88172645463325252u;
	int bad = 0, over = 0;

	for (int k = 0; k < 3; k++) {
		struct hist h = { 0 };
		size_t n = sizeof(v) / sizeof(v[0]);

		for (size_t i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			if (k == 0)
				v[i] = x % 1000000;
			else if (k == 1)
				v[i] = (uint64_t)(-50000.0 * log((double)(x % 1000000 + 1) / 1e6));
			else
				v[i] = x >> (14 + x % 50);
			hist_add(&h, v[i]);
		}
		qsort(v, n, sizeof(v[0]), cmp_u64);
		for (int p = 1; p <= 100; p++) {
			uint64_t want = exact_quantile(v, n, p / 100.0);
			uint64_t got = hist_quantile(&h, p / 100.0);
			uint64_t d = got > want ? got - want : want - got;

			bad += d * 32 > want;
			over += got > v[n - 1];
		}
		ok(bad == 0 && over == 0, "%s: p1..p100 within 1/32, never above the largest",
		   kinds[k]);
		is_int(hist_quantile(&h, 1.0), v[n - 1], "%s: p100 is the largest", kinds[k]);
		hist_free(&h);
	}
}

static void test_merge(void)
{
	struct hist a = { 0 }, b = { 0 }, all = { 0 };

	for (uint64_t v = 1; v <= 1000; v++) {
		hist_add(v % 2 ? &a : &b, v * 1000);
		hist_add(&all, v * 1000);
	}
	hist_merge(&a, &b);
	ok(a.n == all.n && a.max == all.max && hist_quantile(&a, 0.5) == hist_quantile(&all, 0.5) &&
	       hist_quantile(&a, 0.99) == hist_quantile(&all, 0.99),
	   "two halves merged are the whole");
	hist_free(&a);
	hist_free(&b);
	hist_free(&all);
}

/* The t distribution's tail against its tables, and Welch's test on known samples. */
static void test_stats(void)
{
	static const double t[][3] = {
		/* t, df, two-sided P(|T| >= t) */
		{ 12.706204736, 1, 0.05 },
		{ 2.776445105, 4, 0.05 },
		{ 2.228138852, 10, 0.05 },
		{ 63.65674115, 1, 0.01 },
		{ 4.604094871, 4, 0.01 },
		{ 1.959963985, 1e9, 0.05 },
		{ 0, 3, 1 },
		{ 1.0, 2, 0.422649730810374 },
	};
	static const double a[] = { 100, 104 }, b[] = { 200, 204 }, c[] = { 101, 103 };
	static const double e[] = { 5, 5, 5 }, f[] = { 7, 7, 7 };
	int bad = 0;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		double p = stats_t_tail(t[i][0], t[i][1]);

		bad += fabs(p - t[i][2]) > 1e-7 * (t[i][2] > 0.01 ? 1 : 0.1);
		if (fabs(p - t[i][2]) > 1e-8)
			printf("# t %g df %g: p %.12g, want %.12g\n", t[i][0], t[i][1], p, t[i][2]);
	}
	ok(bad == 0, "stats: the t distribution's tail matches its tables");
	/* df 2 (equal variances, 2 + 2): p = 1 - t / sqrt(t^2 + 2), t = 100 / sqrt(8) */
	ok(fabs(stats_welch_p(a, 2, b, 2) - 0.0007990412782105105) < 1e-12,
	   "stats: Welch's p of two samples 100 apart");
	ok(fabs(stats_welch_p(a, 2, c, 2) - 1) < 1e-12, "stats: equal means give p = 1");
	ok(stats_welch_p(e, 3, e, 3) == 1 && stats_welch_p(e, 3, f, 3) == 0,
	   "stats: no spread: p is 1 for equal means, 0 for different ones");
}

static const struct test_case cases[] = {
	{ "small", test_small, 0 }, { "stats", test_stats, 0 }, { "bounds", test_bounds, 0 },
	{ "merge", test_merge, 0 }, { NULL, NULL, 0 },
};

int main(int argc, char **argv)
{
	return run_tests(argc, argv, cases);
}
