/* SPDX-License-Identifier: MIT */
/*
 * salvage.h - the recording memory of a process under `tscope record`, laid out so
 * that record can finish the trace of a process that died without writing it (SIGKILL,
 * the OOM killer, an _exit() inside libc).
 *
 * A stream-mode process maps its buffers from a file PREFIX-PID in shared memory
 * instead of anonymous memory: PREFIX is TSCOPE_SALVAGE's value, /dev/shm/tscope-RECORDPID
 * under `tscope record`, else /dev/shm/tscope (TSCOPE_SALVAGE=0: anonymous memory).  The file begins with struct tsf_salvage (its head), which says
 * where the process's trace is, how much of it is whole, and where the buffers are;
 * each buffer says what became of it (TSF_SB_*).  The process holds an open file
 * description lock on the file for as long as it lives, and removes the file when its
 * trace is complete.  A file whose lock is free belongs to a dead process: record, or
 * the next reader of its trace, cuts the trace back to its whole chunks, adds the events
 * of every buffer not yet in it, a sync point and the END chunk (lib/read/salvage.c).
 *
 * Runtime and record are the same build, but the buffer's layout is the runtime's
 * business: the head gives the offsets of the fields record reads.
 */
#ifndef TSCOPE_SALVAGE_H
#define TSCOPE_SALVAGE_H

#include <stdint.h>

#include "format.h"

#define TSF_ENV_SALVAGE  "TSCOPE_SALVAGE"
#define TSF_SALVAGE_MAGIC "TSCOPE-SALVAGE1"
#define TSF_SALVAGE_PAGE 8192	  /* struct tsf_salvage */
#define TSF_SALVAGE_HEAD (64u << 10) /* then chunks, up to here: see objects_len */
#define TSF_SALVAGE_REGIONS 160 /* buffers mapped in more regions are not salvaged */

/* A buffer's state word (struct tscope__buf.salvage_state) */
enum {
	TSF_SB_FREE = 0, /* in the pool: nothing to salvage */
	TSF_SB_FILLING,	 /* a thread's current buffer: events up to the first unwritten slot */
	TSF_SB_QUEUED,	 /* handed over: its chunk header is set, not written yet */
	TSF_SB_WRITING,	 /* its chunk goes to the file at offset at: there once written > at */
};

/* A run of buffers of one size, mapped from the file at offset. */
struct tsf_salvage_region {
	uint64_t offset;
	uint64_t one; /* bytes of each buffer */
	uint32_t n;   /* buffers */
	uint32_t reserved;
};

struct tsf_salvage {
	char magic[16]; /* TSF_SALVAGE_MAGIC */
	uint32_t pid, ppid;
	uint32_t clock_source; /* TSF_CLOCK_* */
	uint32_t done;	       /* the trace is complete: nothing to salvage */
	struct tsf_clock start; /* a sync point before the first buffer was handed out */
	/* the trace: whole chunks up to written bytes, chunks and events counted there */
	uint64_t written, chunks, events, lost;
	/* offsets in a buffer of the fields record reads */
	uint32_t off_state, off_tid, off_seq, off_at, off_t0, off_trusted, off_cap;
	uint32_t off_chunk; /* struct tsf_chunk, struct tsf_events, then the slots */
	uint32_t off_name, off_name_changed; /* queued or filling: a THREAD chunk goes first */
	uint32_t name_max;
	uint32_t off_first; /* TSF_SB_FILLING: the slots before first went out (a flush) */
	uint32_t reserved;
	uint32_t regions_n;
	uint64_t trace_dev, trace_ino; /* the trace file, once opened */
	/* MODULE chunks of the objects loaded when the session started (for a forked child:
	 * when its parent's did), at TSF_SALVAGE_PAGE: for a trace never opened */
	uint32_t objects_len, objects_chunks;
	char path[1024]; /* the trace file (where it will be, until it is opened) */
	char exe[1024];	 /* the executable */
	struct tsf_salvage_region regions[TSF_SALVAGE_REGIONS];
};
_Static_assert(sizeof(struct tsf_salvage) <= TSF_SALVAGE_PAGE, "the first pages");

#endif /* TSCOPE_SALVAGE_H */
