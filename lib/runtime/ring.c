/* SPDX-License-Identifier: MIT */
/*
 * ring.c - ring mode: each thread records into a ring of TS_RING_BLOCKS buffers,
 * overwriting its oldest block when the ring is full; a snapshot hands over copies of
 * what the ring holds and no earlier snapshot took.  Every function is called by the
 * owner of the thread's busy flag (buffer.c).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "tscope-int.h"

/*
 * Ring mode: move on to the next block of t's ring, overwriting its oldest events.
 * Returns 0 when no memory could be had.  Caller owns t.
 */
TS_NOINSTR int tscope__ring_advance(struct tscope__thread *t)
{
	unsigned next = t->buf ? (t->ring_cur + 1) % TS_RING_BLOCKS : 0;
	struct tscope__buf *b = t->ring[next];

	if (t->buf)
		t->buf->used = (uint32_t)tscope__retire(t);
	if (!b) {
		b = tscope__pool_get();
		if (!b)
			return 0;
		t->ring[next] = b;
	} else if (b->used > b->first) {
		t->ring_overwrote = 1;
	}
	b->first = b->used = 0;
	b->head.lost = t->lost;
	t->lost = 0;
	t->ring_cur = next;
	tscope__install(t, b);
	return 1;
}

/*
 * Ring mode: hand over copies of what t's ring holds and no earlier snapshot took,
 * oldest block first, and mark it taken.  Copies, because t may be recording into its
 * current block meanwhile (past the pos read here).  Caller owns t.
 */
TS_NOINSTR void tscope__ring_flush(struct tscope__thread *t, uint32_t flags)
{
	uintptr_t pos = TS_LOAD(t->pos), base = t->base, size = t->size;
	uint32_t wrapped = t->ring_overwrote ? TSF_EF_RING_WRAPPED : 0;

	if (t->buf && size && pos >= base)
		t->buf->used = (uint32_t)((pos - base < size ? pos - base : size) /
					  sizeof(struct tsf_event));
	for (unsigned k = 1; k <= TS_RING_BLOCKS; k++) {
		struct tscope__buf *b = t->ring[(t->ring_cur + k) % TS_RING_BLOCKS], *c;
		size_t n;

		if (!b || b->used <= b->first)
			continue;
		n = b->used - b->first;
		c = tscope__pool_get();
		if (!c) {
			t->lost += n;
			continue;
		}
		memcpy(c->ev, b->ev + b->first, n * sizeof(*c->ev));
		c->t0 = b->t0;
		c->trusted = b->trusted > b->first ? b->trusted - b->first : 0;
		c->head.lost = b->head.lost;
		b->head.lost = 0;
		b->first = b->used;
		tscope__writer_submit(t, c, n, wrapped | (k == TS_RING_BLOCKS ? flags : 0));
		wrapped = 0;
	}
	t->ring_overwrote = 0;
}

TS_NOINSTR void tscope__ring_free(struct tscope__thread *t)
{
	for (unsigned k = 0; k < TS_RING_BLOCKS; k++) {
		if (t->ring[k])
			tscope__pool_put(t->ring[k]);
		t->ring[k] = NULL;
	}
	t->buf = NULL;
	t->ring_overwrote = 0;
}
