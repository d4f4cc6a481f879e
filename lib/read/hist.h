/* SPDX-License-Identifier: MIT */
/*
 * hist.h - distributions of call durations, in bounded memory: log-linear histograms.
 *
 * Values below 16 ns have a bucket each; above, each power of two is cut into 16 equal
 * buckets, so a quantile read from the histogram is within 1/32 (3.1%) of a value that
 * was added (the bucket's middle is returned, never more than the largest value).
 * A histogram grows to the highest bucket used: about 2 KiB for durations under 1 ms.
 * Private to the offline side.
 */
#ifndef TSCOPE_HIST_H
#define TSCOPE_HIST_H

#include <stddef.h>
#include <stdint.h>

struct hist {
	uint64_t n, max; /* values added, the largest */
	uint64_t *b;	 /* counts per bucket */
	uint32_t cap;	 /* buckets allocated */
};

/* Add v; 0, or TSCOPE_ENOMEM (the value is then not counted). */
int hist_add(struct hist *h, uint64_t v);

/* Add every value of from to h; 0 or TSCOPE_ENOMEM. */
int hist_merge(struct hist *h, const struct hist *from);

/* The q-quantile (0 < q <= 1: 0.5 is the median) by nearest rank, the ceil(q n)-th
 * smallest value, within 1/32; 0 when h is empty. */
uint64_t hist_quantile(const struct hist *h, double q);

/*
 * The mean of the values up to the q-quantile (the ceil(q n) smallest: the largest
 * (1 - q) left out), each counted as the middle of its bucket (exact below 16 ns), so
 * within 1/32 too; 0 when h is empty.
 */
uint64_t hist_trimmed_mean(const struct hist *h, double q);

/* Empty h, keeping its memory. */
void hist_clear(struct hist *h);

void hist_free(struct hist *h);

#endif /* TSCOPE_HIST_H */
