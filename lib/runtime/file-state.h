/* SPDX-License-Identifier: MIT */
/*
 * file-state.h - the trace file's state, shared by file.c (the header, metadata and
 * events) and file-end.c (the END chunk, what is said at the close, exec() and fork).
 * Every field is guarded by tscope__file_lock() but cause (atomic).
 */
#ifndef TSCOPE_FILE_STATE_H
#define TSCOPE_FILE_STATE_H

#include <pthread.h>
#include <stdint.h>
#include <sys/uio.h>

#include "tscope-int.h"

#define BATCH_MAX 64 /* chunks gathered into one writev() */
#define MARKS	  8  /* the file's state before each of the last writes of events */

/* What the file held before a write of events: where to cut back to, to make room for
 * the END chunk after a failure (a full disk, a file-size limit). */
struct tscope__mark {
	uint64_t size, chunks, events;
};

struct tscope__file {
	pthread_mutex_t lock;
	struct tscope__config cfg;
	int fork_child;		 /* this process was forked from a recording one */
	int opened, open_failed; /* the file exists (0 until the first write); or could not */
	int io_error;		 /* errno of the first failed write */
	int closing;		 /* writing the END chunk: tried even after a failure */
	int end_after;		 /* a provisional END chunk follows the size bytes */
	int cause;		 /* errno of the first loss (tscope__note_loss) */
	uint64_t size;		 /* bytes written, all whole chunks */
	struct tsf_clock start;
	uint64_t last_sync_ns;
	uint64_t chunks, events, lost;
	struct tscope__mark marks[MARKS]; /* a ring: the newest at marks_at - 1 */
	unsigned marks_at, marks_n;
	struct iovec batch[BATCH_MAX]; /* EVENTS chunks not written yet */
	int batch_n;
	size_t batch_events, batch_lost;
};

extern struct tscope__file tscope__file;

/* file.c: one chunk of up to three parts (a tscope__emit_fn); a sync point */
int tscope__file_emit(void *ctx, uint32_t type, const void *a, size_t alen, const void *b,
		      size_t blen, const void *c, size_t clen);
void tscope__file_emit_clock(const struct tsf_clock *c);

#endif
