/* SPDX-License-Identifier: MIT */
/*
 * pool.c - buffer memory: mapping, recycling, and spares mapped ahead of demand.
 *
 * Every buffer of a session has the session's size.  Buffers are mapped populated
 * (one system call faults the pages in, instead of a page fault per 4 KiB on the
 * recording thread: about 11 us each on a VM); small ones are carved from slabs and
 * never unmapped.  A written buffer comes back here and is reused; up to POOL_MAX bytes
 * of free buffers are kept.  The writer thread keeps POOL_SPARE buffers ready, so a
 * thread whose buffer fills takes one instead of mapping memory itself.
 *
 * Under `tscope record` the memory comes from shm.c, so that it outlives the process.
 * One lock, held only for list operations and mmap(); never on the hot path.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>

#include "tscope-int.h"

#define POOL_MAX   (64u << 20)  /* bytes of free buffers kept for reuse */
#define SLAB_SIZE  (256u << 10) /* small buffers are carved from slabs this big */
#define POOL_SPARE 4            /* free buffers the writer thread keeps mapped ahead */

static struct {
	pthread_mutex_t lock;
	struct tscope__buf *free;
	size_t n;
	size_t bytes; /* events area of the session's buffers */
	int said;     /* a failure to map was reported */
} pool = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

static TS_NOINSTR size_t map_size(size_t bytes)
{
	return TSF_ALIGN8(sizeof(struct tscope__buf) + bytes);
}

TS_NOINSTR size_t tscope__buf_bytes(const struct tscope__buf *b)
{
	return (size_t)b->cap * sizeof(struct tsf_event);
}

/* Give b's memory back to the system; buffers carved from a slab stay mapped. */
TS_NOINSTR void tscope__pool_free(struct tscope__buf *b)
{
	if (!b->slab)
		munmap(b, map_size(tscope__buf_bytes(b)));
}

/* Map fresh buffers of bytes each: one, or for small sizes a slab of them, the spare
 * ones going to the pool.  Caller holds the lock. */
static TS_NOINSTR struct tscope__buf *map_buffers(size_t bytes)
{
	size_t one = map_size(bytes), n = one < SLAB_SIZE / 4 ? SLAB_SIZE / one : 1;
	char *p = tscope__shm_map(one, (uint32_t)n);
	struct tscope__buf *b = NULL;

	if (!p)
		p = mmap(NULL, n * one, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		struct tscope__buf *c = (struct tscope__buf *)(void *)(p + i * one);

		c->cap = (uint32_t)(bytes / sizeof(struct tsf_event));
		c->slab = n > 1;
		if (i == 0) {
			b = c;
		} else {
			c->next = pool.free;
			pool.free = c;
			pool.n++;
		}
	}
	return b;
}

/* A new session's buffers have bytes of events each; older ones are dropped as met. */
TS_NOINSTR void tscope__pool_reset(size_t bytes)
{
	pthread_mutex_lock(&pool.lock);
	pool.bytes = bytes & ~(size_t)(sizeof(struct tsf_event) - 1);
	pthread_mutex_unlock(&pool.lock);
}

/* An empty buffer of the session's size, or NULL when the system has no memory. */
TS_NOINSTR struct tscope__buf *tscope__pool_get(void)
{
	struct tscope__buf *b = NULL;
	int held = 0;
	sigset_t old;

	if (pthread_mutex_trylock(&pool.lock) != 0) {
		tscope__signals_hold(&old);
		held = 1;
		pthread_mutex_lock(&pool.lock);
	}
	while (pool.free && !b) {
		b = pool.free;
		pool.free = b->next;
		pool.n--;
		if (tscope__buf_bytes(b) != pool.bytes) {
			tscope__pool_free(b);
			b = NULL;
		}
	}
	if (!b) {
		if (!held)
			tscope__signals_hold(&old);
		held = 1;
		b = map_buffers(pool.bytes);
	}
	pthread_mutex_unlock(&pool.lock);
	if (held)
		tscope__signals_release(&old);
	if (!b) {
		if (!__atomic_exchange_n(&pool.said, 1, __ATOMIC_RELAXED))
			tscope__say("no memory for a trace buffer: ",
				    "events are lost from here and counted in the trace", "");
		return NULL;
	}
	b->next = NULL;
	tscope__buf_state(b, TSF_SB_FREE);
	b->name_changed = 0;
	b->t0 = 0;
	b->trusted = 0;
	b->chunk.type = TSF_CHUNK_EVENTS;
	b->chunk.flags = 0;
	memset(&b->head, 0, sizeof(b->head));
	return b;
}

TS_NOINSTR void tscope__pool_put(struct tscope__buf *b)
{
	tscope__buf_state(b, TSF_SB_FREE);
	if (b->keep_out)
		return; /* see writer.c: left mapped, never reused */
	pthread_mutex_lock(&pool.lock);
	if (b->slab || (pool.n * pool.bytes < POOL_MAX && tscope__buf_bytes(b) == pool.bytes)) {
		b->next = pool.free;
		pool.free = b;
		pool.n++;
		b = NULL;
	}
	pthread_mutex_unlock(&pool.lock);
	if (b)
		tscope__pool_free(b);
}

/* Writer thread: map buffers ahead of demand while a session is active. */
TS_NOINSTR void tscope__pool_keep_spares(int active)
{
	pthread_mutex_lock(&pool.lock);
	while (active && pool.n < POOL_SPARE) {
		struct tscope__buf *b = map_buffers(pool.bytes);

		if (!b)
			break;
		b->next = pool.free;
		pool.free = b;
		pool.n++;
	}
	pthread_mutex_unlock(&pool.lock);
}

/* The list must be consistent in a forked child: the lock is held across fork(). */
TS_NOINSTR void tscope__pool_atfork_prepare(void)
{
	pthread_mutex_lock(&pool.lock);
}

TS_NOINSTR void tscope__pool_atfork_parent(void)
{
	pthread_mutex_unlock(&pool.lock);
}

/* Returns 1 when the buffers were the parent's shared memory, now gone: the free list
 * is dropped unread, and so must every other list of them be. */
TS_NOINSTR int tscope__pool_atfork_child(void)
{
	int forgot = tscope__shm_atfork_child();

	if (forgot) {
		pool.free = NULL;
		pool.n = 0;
	}
	pthread_mutex_unlock(&pool.lock);
	return forgot;
}
