/* SPDX-License-Identifier: MIT */
/*
 * heap.h - the heap of one process as its memory events (EXT ALLOC, FREE, UNMAP,
 * UNFREE: see format.h) describe it, over all its threads.  Private to the offline side.
 *
 * A block allocated by one thread may be freed by another, so the heap can only be
 * followed with every thread's events in time order: heap_build() reads them so, once
 * per trace (only the EVENTS chunks flagged TSF_EF_EXT hold any), before the spans
 * layer reads the threads one by one.  It keeps the blocks in use (memory that grows
 * with the live heap, not with the trace), and for each thread what the spans layer
 * cannot know alone: per memory event, the bytes it changed the heap by (a free's size
 * is its block's) and the heap in use after it; the allocations of the thread never
 * freed (leaks); the one that reached the peak.  Those per-event notes take 2 to 6
 * bytes per memory event: the one cost that grows with the trace.
 *
 * Rules: an allocation at an address in use replaces the block there (its free was not
 * recorded); a free of an address not in use frees nothing (allocated before the
 * recording began, or by the runtime); an mmap() allocation first unmaps what was
 * mapped at its pages (MAP_FIXED); an unmap subtracts what was mapped in its range,
 * which may leave pieces of a mapping in use.  Nothing here prints or exits.
 */
#ifndef TSCOPE_HEAP_H
#define TSCOPE_HEAP_H

#include <stddef.h>
#include <stdint.h>

#include "reader.h"

/* What the heap of a process came to. */
struct heap_totals {
	uint64_t allocs, bytes;	       /* ALLOC events and their bytes, mmap included */
	uint64_t mmaps, mmap_bytes;    /* of them, from mmap() */
	uint64_t frees;		       /* FREE events that freed a block */
	uint64_t frees_unknown;	       /* FREE events of an address not in use */
	uint64_t leaked, leaked_bytes; /* blocks (mappings) still in use at the end */
	uint64_t peak;		       /* bytes in use at the highest */
	uint64_t peak_ticks;	       /* when it was first reached */
	uint32_t peak_tid;	       /* by which thread's allocation */
	uint64_t end;		       /* bytes in use at the end */
};

struct heap;

/*
 * Follow the memory events of every thread of r.  Returns 0 and sets *hp (NULL when
 * the trace has no EVENTS chunk flagged TSF_EF_EXT), or a negative TSCOPE_E* code.
 */
int heap_build(struct heap **hp, struct reader *r);
void heap_free(struct heap *h);
const struct heap_totals *heap_totals(const struct heap *h);

/* One memory event of a thread as heap_next() explains it. */
struct heap_event {
	int64_t change;	 /* bytes the heap in use changed by */
	uint64_t level;	 /* bytes in use after it */
	uint64_t leaked; /* ALLOC: bytes of its block still in use at the end */
	int peak;	 /* ALLOC: this one first reached the peak */
};

/* Thread i's memory events, in the order a cursor reads them: heap_rewind() before
 * the first, then heap_next() for each (0, or -1 past what heap_build() saw). */
void heap_rewind(struct heap *h, size_t i);
int heap_next(struct heap *h, struct heap_event *e);

/* Is this EXT subtype a memory event?  Its origin's name ("malloc", ...). */
int heap_is_memory(uint32_t sub);
const char *heap_origin(uint64_t origin);

#endif /* TSCOPE_HEAP_H */
