/* SPDX-License-Identifier: MIT */
/*
 * hist.c - log-linear histograms of durations (see hist.h).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include "tscope.h"
#include "hist.h"

#define SUB 16 /* buckets per power of two, and exact values below it */

static uint32_t bucket_of(uint64_t v)
{
	unsigned e;

	if (v < SUB)
		return (uint32_t)v;
	e = 63u - (unsigned)__builtin_clzll(v); /* 2^e <= v, e >= 4 */
	return (uint32_t)(SUB + (e - 4) * SUB + ((v >> (e - 4)) & (SUB - 1)));
}

/* The lowest value of bucket i, and its width. */
static uint64_t bucket_low(uint32_t i, uint64_t *width)
{
	unsigned e;

	if (i < SUB) {
		*width = 1;
		return i;
	}
	e = (i - SUB) / SUB + 4;
	*width = UINT64_C(1) << (e - 4);
	return (UINT64_C(1) << e) + (uint64_t)((i - SUB) % SUB) * *width;
}

static int grow(struct hist *h, uint32_t need)
{
	uint32_t cap = h->cap ? h->cap : 64;
	uint64_t *b;

	while (cap < need)
		cap *= 2;
	b = realloc(h->b, cap * sizeof(*b));
	if (!b)
		return TSCOPE_ENOMEM;
	memset(b + h->cap, 0, (cap - h->cap) * sizeof(*b));
	h->b = b;
	h->cap = cap;
	return 0;
}

int hist_add(struct hist *h, uint64_t v)
{
	uint32_t i = bucket_of(v);

	if (i >= h->cap && grow(h, i + 1) < 0)
		return TSCOPE_ENOMEM;
	h->b[i]++;
	h->n++;
	if (v > h->max)
		h->max = v;
	return 0;
}

int hist_merge(struct hist *h, const struct hist *from)
{
	if (from->cap > h->cap && grow(h, from->cap) < 0)
		return TSCOPE_ENOMEM;
	for (uint32_t i = 0; i < from->cap; i++)
		h->b[i] += from->b[i];
	h->n += from->n;
	if (from->max > h->max)
		h->max = from->max;
	return 0;
}

uint64_t hist_quantile(const struct hist *h, double q)
{
	uint64_t rank, seen = 0, width, low;

	if (!h->n)
		return 0;
	rank = (uint64_t)(q * (double)h->n); /* nearest rank: the ceil(q n)-th smallest */
	if ((double)rank < q * (double)h->n)
		rank++;
	if (rank < 1)
		rank = 1;
	if (rank >= h->n)
		return h->max; /* known exactly */
	for (uint32_t i = 0; i < h->cap; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			low = bucket_low(i, &width);
			low += width / 2;
			return low < h->max ? low : h->max;
		}
	}
	return h->max;
}

uint64_t hist_trimmed_mean(const struct hist *h, double q)
{
	uint64_t rank, seen = 0, width, mid;
	double sum = 0;

	if (!h->n)
		return 0;
	rank = (uint64_t)(q * (double)h->n);
	if ((double)rank < q * (double)h->n)
		rank++;
	if (rank < 1)
		rank = 1;
	if (rank > h->n)
		rank = h->n;
	for (uint32_t i = 0; i < h->cap && seen < rank; i++) {
		uint64_t take = h->b[i] < rank - seen ? h->b[i] : rank - seen;

		if (!take)
			continue;
		mid = bucket_low(i, &width) + width / 2;
		sum += (double)take * (double)(mid < h->max ? mid : h->max);
		seen += take;
	}
	return (uint64_t)(sum / (double)rank + 0.5);
}

void hist_clear(struct hist *h)
{
	if (h->b)
		memset(h->b, 0, h->cap * sizeof(*h->b));
	h->n = h->max = 0;
}

void hist_free(struct hist *h)
{
	free(h->b);
	memset(h, 0, sizeof(*h));
}
