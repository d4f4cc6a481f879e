/* SPDX-License-Identifier: MIT */
/*
 * tscope-int.h - declarations shared by the runtime's files (never installed).
 *
 * Every name here is tscope__* and hidden: with static linking, hidden visibility does
 * not apply, so the double underscore after the namespace keeps them out of user code.
 */
#ifndef TSCOPE_INT_H
#define TSCOPE_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "tscope.h"
#include "compiler.h"
#include "format.h"

#define TS_NAME_MAX 64 /* thread names, including the NUL */
#define TS_RING_BLOCKS 8 /* ring mode: a thread's ring is this many buffers */

/*
 * A buffer: one thread's run of events, laid out so that chunk, events header and
 * events go to the file in one write.  Buffers are mmap'd, recycled through a pool,
 * and travel to the writer through a lock-free queue.
 */
struct tscope__buf {
	struct tscope__buf *next; /* queue or pool link */
	uint32_t cap;             /* event slots */
	uint16_t slab;            /* carved from a slab: never unmapped */
	uint16_t name_changed;    /* write a THREAD chunk with name before the events */
	uint32_t first, used;     /* ring mode: slots [first, used) not yet written */
	char name[TS_NAME_MAX];
	struct tsf_chunk chunk; /* from here on: the bytes of the EVENTS chunk */
	struct tsf_events head;
	struct tsf_event ev[];
};

/*
 * Per-thread state, in initial-exec TLS so that the hooks reach it with one
 * %fs-relative access.  pos and end are the hot pair: the hooks store at pos while
 * pos < end.  end is lowered to NULL by other threads to pause or stop this one; the
 * owner then takes the cold path, which knows why.  Only the owner moves pos.
 */
struct tscope__thread {
	struct tsf_event *pos; /* next free slot */
	struct tsf_event *end; /* hooks record while pos < end */
	struct tscope__buf *buf;
	struct tsf_event *limit; /* true end of buf */
	uint64_t seq;            /* EVENTS chunks handed over so far */
	uint64_t lost;           /* events dropped since the last chunk started */
	unsigned gen;            /* session this state belongs to; 0: none */
	uint32_t tid;
	int busy;   /* inside the cold path: events from there are ours, not the program's */
	int ignore; /* a runtime thread: never record */
	int listed; /* in the registry */
	int name_changed;
	int name_api; /* named by tscope_thread_name(): the kernel's name no longer counts */
	struct tscope__buf *ring[TS_RING_BLOCKS]; /* ring mode: buf is one of these */
	unsigned ring_cur;  /* index of buf in ring */
	int ring_overwrote; /* events were overwritten since the last snapshot */
	char name[TS_NAME_MAX];
	struct tscope__thread *next; /* registry link */
};

extern __thread struct tscope__thread tscope__self TS_TLS_IE;

/* The cold path of every event: see hook.c.  ev[0].time is filled in here. */
void tscope__slow(const struct tsf_event *ev, unsigned n);
void tscope__slow1(uint64_t word); /* the same for a one-slot event */
/* this copy's enter hook, however the dynamic linker binds __cyg_profile_func_enter */
void tscope__own_enter(void *fn, void *site);

/* Configuration of one session. */
struct tscope__config {
	char path[4096];
	size_t buffer_bytes;
	int mode; /* TSCOPE_MODE_STREAM or _RING */
	int compress;
	int snapshot_signal; /* ring mode: a signal that asks for a snapshot; 0: none */
	int claim; /* under `tscope record`: the first process claims path, others path.<pid> */
};

/* runtime.c */
void tscope__say(const char *a, const char *b, const char *c);

/* writer.c */
int tscope__writer_open(const struct tscope__config *cfg, int is_fork_child);
struct tscope__buf *tscope__writer_get_buf(void);
void tscope__writer_put_buf(struct tscope__buf *b);
void tscope__writer_submit(struct tscope__buf *b);
int tscope__writer_sync(void);
int tscope__writer_close(void);
void tscope__writer_request_snapshot(void);
void tscope__writer_atfork_prepare(void);
void tscope__writer_atfork_parent(void);
void tscope__writer_atfork_child(void);
int tscope__writer_retarget(const struct tscope__config *cfg);
void tscope__writer_modules(int after_dlclose);

/* maps.c */
#define TS_MAPS_RESET 0x1  /* a new file: write every object */
#define TS_MAPS_EXACT 0x2  /* dlclose() has just returned: what is gone went now */
#define TS_MAPS_ADDS  0x4  /* a dlclose() is under way: new objects only, its own
			      scan after it times what it unloads */
int tscope__maps_write(int (*emit)(void *ctx, uint32_t type, const void *a, size_t alen,
				   const void *b, size_t blen, const void *c, size_t clen),
		       void *ctx, int how);

#endif /* TSCOPE_INT_H */
