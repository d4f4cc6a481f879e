/* SPDX-License-Identifier: MIT */
/*
 * perfetto-out.h - the output of `tscope perfetto` (export-perfetto.c): runs of
 * packets, each written as one packet of compressed_packets (two for a run cut in
 * two), compressed by a thread of its own while the next run is encoded, and written
 * in the order they were given.
 *
 * A run is handed over in the buffer it was encoded in, which the queue keeps, and the
 * encoder goes on in a free one: at most PFOUT_QUEUE runs are waiting or being
 * compressed, and pfout_put() waits for room beyond that, so the memory stays bounded.
 * With one CPU to run on, or TSCOPE_THREADS=1 in the environment, or when no thread
 * can be started, each run is compressed and written by pfout_put() itself: the same
 * bytes either way.
 *
 * Only the queue's thread touches the FILE while runs are in it: pfout_drain() waits
 * until all are written, after which the caller may seek it or look at ferror().
 * A write error is left in ferror(out); later runs are then not written.
 */
#ifndef TSCOPE_PERFETTO_OUT_H
#define TSCOPE_PERFETTO_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PFOUT_QUEUE 3 /* runs in flight */

struct pfout;

/*
 * Write to out, whose position is off, in buffers of size bytes (the first of which is
 * returned in *buf): NULL when out of memory.
 */
struct pfout *pfout_open(FILE *out, int64_t off, size_t size, unsigned char **buf);

/*
 * Hand over the n bytes at *buf (cap *cap) to be written, as one packet of
 * compressed_packets, or two when split (a packet's start) is between 0 and n: the
 * bytes before it and those after, compressed faster than one stream; or, raw, as they
 * are.  The keep bytes after them are not written but stay: *buf and *cap become the
 * buffer to go on in, which starts with them.  Returns 0, or TSCOPE_ENOMEM (then
 * nothing was handed over).
 */
int pfout_put(struct pfout *o, unsigned char **buf, size_t *cap, size_t n, size_t keep,
	      size_t split, int raw);

/*
 * Hold: the runs handed over from now on are compressed as usual, but their output is
 * kept in memory, to be dropped (pfout_drop: a thread's output taken back where the
 * output cannot seek) or written (pfout_release, which ends the holding).  Each waits
 * until the runs before it are done.
 */
void pfout_hold(struct pfout *o);
void pfout_drop(struct pfout *o);
void pfout_release(struct pfout *o);

/* Remember where the output is after the runs handed over so far (pfout_drain's mark). */
void pfout_mark(struct pfout *o);

/* Runs handed over so far. */
uint64_t pfout_runs(const struct pfout *o);

/*
 * Wait until every run handed over is written.  Returns the output's position then,
 * and in *mark (may be NULL) the one pfout_mark() remembered.
 */
int64_t pfout_drain(struct pfout *o, int64_t *mark);

/* Drain, then go to offset off of the output: 0, or -1 when it cannot (its position is
 * then unknown). */
int pfout_seek(struct pfout *o, int64_t off);

/*
 * What went wrong so far, without waiting: 0, 1 when a write failed (ferror(out) tells
 * it once drained), or TSCOPE_ENOMEM when a run could not be compressed for lack of
 * memory (it was dropped).  After a failed write errno is set to the write's, as if
 * the caller had made it (the tools name the cause from errno).
 */
int pfout_status(struct pfout *o);

/* Drain, stop the thread and free o and its buffers, all but the caller's (which it
 * frees itself). */
void pfout_close(struct pfout *o);

#endif
