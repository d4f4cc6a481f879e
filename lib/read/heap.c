/* SPDX-License-Identifier: MIT */
/*
 * heap.c - the heap of a process from its memory events, every thread in time order
 * (see heap.h for what is kept and the rules).
 *
 * The threads' cursors are merged on the time of their next memory event with a
 * binary heap; the blocks in use are in an open-addressing table by address (linear
 * probing, deletion by moving the run back), the mappings in a plain array (a program
 * has few, and an unmap may cut any of them).  The input is untrusted: sizes are
 * clamped so that sums cannot wrap, and an address 0 is no block.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include "tscope.h"
#include "heap.h"

#define SIZE_LIMIT (UINT64_C(1) << 56) /* bytes of one block, at most (clamped) */

struct block {
	uint64_t addr, size, ord; /* ord: the allocation's place among its thread's events */
	uint32_t thread;
};

struct leak {
	uint64_t ord, bytes;
};

struct hthread {
	uint8_t *notes; /* per memory event: zig-zag varint change, varint level */
	size_t notes_n, notes_cap, pos;
	struct leak *leaks; /* by ord */
	size_t leaks_n, leaks_cap, leak_pos;
	uint64_t ord;		/* memory events so far (building, then reading) */
	struct block last_free; /* the thread's last FREE, for an UNFREE; addr 0: none */
};

struct heap {
	struct heap_totals tot;
	struct hthread *th;
	size_t nth;
	uint32_t peak_thread;
	uint64_t peak_ord;
	uint64_t level;
	struct block *tab; /* blocks in use; addr 0: empty */
	size_t tab_cap, tab_n;
	struct block *maps; /* mappings in use: [addr, addr + size) */
	size_t maps_n, maps_cap;
	size_t cur; /* thread of heap_next() */
};

static const char *const origins[TSF_MEM_ORIGINS] = {
	"tscope_alloc", "malloc", "calloc",  "realloc", "posix_memalign", "aligned_alloc",
	"memalign",	"valloc", "pvalloc", "mmap",	"free",		  "munmap",
};

int heap_is_memory(uint32_t sub)
{
	return sub == TSF_EXT_ALLOC || sub == TSF_EXT_FREE || sub == TSF_EXT_UNMAP ||
	       sub == TSF_EXT_UNFREE;
}

const char *heap_origin(uint64_t origin)
{
	return origin < TSF_MEM_ORIGINS ? origins[origin] : "?";
}

const struct heap_totals *heap_totals(const struct heap *h)
{
	return &h->tot;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t c = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	q = realloc(*p, c * elem);
	if (!q)
		return TSCOPE_ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

/* ---- blocks by address ---------------------------------------------------------------- */

static inline size_t slot_of(const struct heap *h, uint64_t addr)
{
	return (size_t)((addr * UINT64_C(0x9e3779b97f4a7c15)) >> 20) & (h->tab_cap - 1);
}

static size_t tab_find(const struct heap *h, uint64_t addr)
{
	size_t k = slot_of(h, addr);

	while (h->tab[k].addr && h->tab[k].addr != addr)
		k = (k + 1) & (h->tab_cap - 1);
	return k;
}

static int tab_grow(struct heap *h)
{
	size_t cap = h->tab_cap ? h->tab_cap * 2 : 1024, old = h->tab_cap;
	struct block *was = h->tab, *t = calloc(cap, sizeof(*t));

	if (!t)
		return TSCOPE_ENOMEM;
	h->tab = t;
	h->tab_cap = cap;
	for (size_t i = 0; i < old; i++)
		if (was[i].addr)
			h->tab[tab_find(h, was[i].addr)] = was[i];
	free(was);
	return 0;
}

/* Remove the block in slot k: the run after it moves back into the hole. */
static void tab_remove(struct heap *h, size_t k)
{
	size_t j = k;

	h->tab_n--;
	for (;;) {
		size_t home;

		h->tab[k].addr = 0;
		do {
			j = (j + 1) & (h->tab_cap - 1);
			if (!h->tab[j].addr)
				return;
			home = slot_of(h, h->tab[j].addr);
		} while (k <= j ? (k < home && home <= j) : (k < home || home <= j));
		h->tab[k] = h->tab[j];
		k = j;
	}
}

/* ---- the events ----------------------------------------------------------------------- */

/* Subtract what is mapped in [lo, hi); returns the bytes. */
static uint64_t unmap(struct heap *h, uint64_t lo, uint64_t hi)
{
	uint64_t gone = 0;

	for (size_t i = 0; i < h->maps_n;) {
		struct block *m = &h->maps[i];
		uint64_t a = m->addr, b = m->addr + m->size;
		uint64_t clo = lo > a ? lo : a, chi = hi < b ? hi : b;

		if (clo >= chi) {
			i++;
			continue;
		}
		gone += chi - clo;
		if (clo > a && chi < b) { /* a hole in the middle: two pieces */
			struct block tail = *m;

			if (grow((void **)&h->maps, &h->maps_cap, h->maps_n + 1, sizeof(*h->maps)) <
			    0)
				return gone; /* the tail is forgotten: counted as gone */
			m = &h->maps[i];
			tail.addr = chi;
			tail.size = b - chi;
			m->size = clo - a;
			h->maps[h->maps_n++] = tail;
			i++;
		} else if (clo > a) {
			m->size = clo - a;
			i++;
		} else if (chi < b) {
			m->addr = chi;
			m->size = b - chi;
			i++;
		} else {
			*m = h->maps[--h->maps_n];
		}
	}
	return gone;
}

static int alloc(struct heap *h, uint32_t ti, uint64_t ord, uint64_t origin, uint64_t addr,
		 uint64_t size, int64_t *change)
{
	struct block b = { addr, size, ord, ti };

	if (origin == TSF_MEM_MMAP) {
		*change = -(int64_t)unmap(h, addr, addr + size);
		if (grow((void **)&h->maps, &h->maps_cap, h->maps_n + 1, sizeof(*h->maps)) < 0)
			return TSCOPE_ENOMEM;
		h->maps[h->maps_n++] = b;
	} else {
		size_t k;

		if ((h->tab_n + 1) * 2 > h->tab_cap && tab_grow(h) < 0)
			return TSCOPE_ENOMEM;
		k = tab_find(h, addr);
		if (h->tab[k].addr) /* in use: its free was not recorded */
			*change = -(int64_t)h->tab[k].size;
		else
			h->tab_n++;
		h->tab[k] = b;
	}
	*change += (int64_t)size;
	h->tot.allocs++;
	h->tot.bytes += size;
	if (origin == TSF_MEM_MMAP) {
		h->tot.mmaps++;
		h->tot.mmap_bytes += size;
	}
	return 0;
}

/* One memory event of thread ti, in time order: the heap follows, its note is kept. */
static int apply(struct heap *h, uint32_t ti, const struct reader_event *ev)
{
	struct hthread *t = &h->th[ti];
	uint64_t addr = ev->addr, size = (uint64_t)ev->value, ord = t->ord++, z;
	int64_t change = 0;
	uint8_t *p;
	size_t k;

	size = size < SIZE_LIMIT ? size : SIZE_LIMIT;
	if (!addr) {
		/* no block: a note that changes nothing */
	} else if (ev->len == TSF_EXT_ALLOC) {
		if (alloc(h, ti, ord, ev->arg, addr, size, &change) < 0)
			return TSCOPE_ENOMEM;
	} else if (ev->len == TSF_EXT_FREE) {
		k = h->tab_cap ? tab_find(h, addr) : 0;
		t->last_free.addr = 0;
		if (h->tab_cap && h->tab[k].addr) {
			t->last_free = h->tab[k];
			change = -(int64_t)h->tab[k].size;
			tab_remove(h, k);
			h->tot.frees++;
		} else {
			h->tot.frees_unknown++;
		}
	} else if (ev->len == TSF_EXT_UNFREE) {
		if (t->last_free.addr == addr) {
			if ((h->tab_n + 1) * 2 > h->tab_cap && tab_grow(h) < 0)
				return TSCOPE_ENOMEM;
			k = tab_find(h, addr);
			if (!h->tab[k].addr) {
				h->tab[k] = t->last_free;
				h->tab_n++;
				change = (int64_t)t->last_free.size;
				h->tot.frees--;
			}
		}
		t->last_free.addr = 0;
	} else if (ev->len == TSF_EXT_UNMAP) {
		change = -(int64_t)unmap(h, addr, addr + size);
	}
	h->level += (uint64_t)change;
	if (ev->len == TSF_EXT_ALLOC && h->level > h->tot.peak) {
		h->tot.peak = h->level;
		h->tot.peak_ticks = ev->ticks;
		h->peak_thread = ti;
		h->peak_ord = ord;
	}
	if (grow((void **)&t->notes, &t->notes_cap, t->notes_n + 20, 1) < 0)
		return TSCOPE_ENOMEM;
	p = t->notes + t->notes_n;
	z = ((uint64_t)change << 1) ^ (uint64_t)(change >> 63);
	for (int v = 0; v < 2; v++, z = h->level) {
		while (z >= 0x80) {
			*p++ = (uint8_t)(z | 0x80);
			z >>= 7;
		}
		*p++ = (uint8_t)z;
	}
	t->notes_n = (size_t)(p - t->notes);
	return 0;
}

/* ---- the merge ------------------------------------------------------------------------ */

struct src {
	struct reader_cursor c;
	struct reader_event ev; /* its next memory event */
	uint32_t thread;
};

/* Move s to its next memory event: 1, or 0 at its end, or an error. */
static int advance(struct src *s)
{
	int rc;

	while ((rc = reader_next(&s->c, &s->ev)) > 0)
		if (s->ev.kind == READER_EV_EXT && heap_is_memory(s->ev.len))
			return 1;
	return rc;
}

static int before(const struct src *a, const struct src *b)
{
	return a->ev.ticks != b->ev.ticks ? a->ev.ticks < b->ev.ticks : a->thread < b->thread;
}

static void sift_down(struct src **q, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		struct src *tmp;

		if (l < n && before(q[l], q[m]))
			m = l;
		if (l + 1 < n && before(q[l + 1], q[m]))
			m = l + 1;
		if (m == i)
			return;
		tmp = q[i];
		q[i] = q[m];
		q[m] = tmp;
		i = m;
	}
}

static int leak_cmp(const void *pa, const void *pb)
{
	const struct leak *a = pa, *b = pb;

	return a->ord < b->ord ? -1 : a->ord > b->ord;
}

static int add_leak(struct heap *h, const struct block *b)
{
	struct hthread *t = &h->th[b->thread];

	if (grow((void **)&t->leaks, &t->leaks_cap, t->leaks_n + 1, sizeof(*t->leaks)) < 0)
		return TSCOPE_ENOMEM;
	/* the pieces of one mapping are one leak */
	if (t->leaks_n && t->leaks[t->leaks_n - 1].ord == b->ord)
		t->leaks[t->leaks_n - 1].bytes += b->size;
	else
		t->leaks[t->leaks_n++] = (struct leak){ b->ord, b->size };
	h->tot.leaked_bytes += b->size;
	return 0;
}

static int finish(struct heap *h)
{
	h->tot.end = h->level;
	for (size_t i = 0; i < h->tab_cap; i++)
		if (h->tab[i].addr && add_leak(h, &h->tab[i]) < 0)
			return TSCOPE_ENOMEM;
	for (size_t i = 0; i < h->maps_n; i++)
		if (add_leak(h, &h->maps[i]) < 0)
			return TSCOPE_ENOMEM;
	for (size_t i = 0; i < h->nth; i++) {
		struct hthread *t = &h->th[i];
		size_t n = 0;

		if (t->leaks_n > 1)
			qsort(t->leaks, t->leaks_n, sizeof(*t->leaks), leak_cmp);
		for (size_t j = 0; j < t->leaks_n; j++) { /* pieces of a mapping, apart */
			if (n && t->leaks[n - 1].ord == t->leaks[j].ord)
				t->leaks[n - 1].bytes += t->leaks[j].bytes;
			else
				t->leaks[n++] = t->leaks[j];
		}
		t->leaks_n = n;
		h->tot.leaked += n;
	}
	return 0;
}

int heap_build(struct heap **hp, struct reader *r)
{
	size_t n = reader_thread_count(r), live = 0;
	struct src *s = NULL, **q = NULL;
	struct heap *h;
	uint64_t events = 0;
	int rc = 0;

	*hp = NULL;
	if (!reader_info(r)->ext_chunks)
		return 0;
	h = calloc(1, sizeof(*h));
	if (!h)
		return TSCOPE_ENOMEM;
	h->nth = n;
	h->th = calloc(n ? n : 1, sizeof(*h->th));
	s = calloc(n ? n : 1, sizeof(*s));
	q = calloc(n ? n : 1, sizeof(*q));
	if (!h->th || !s || !q) {
		rc = TSCOPE_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		reader_cursor_init(&s[i].c, r, i, 0);
		s[i].thread = (uint32_t)i;
		rc = advance(&s[i]);
		if (rc < 0)
			goto out;
		if (rc > 0)
			q[live++] = &s[i];
	}
	for (size_t i = live / 2; i-- > 0;)
		sift_down(q, live, i);
	while (live) {
		struct src *top = q[0];

		rc = apply(h, top->thread, &top->ev);
		if (rc < 0)
			goto out;
		events++;
		rc = advance(top);
		if (rc < 0)
			goto out;
		if (!rc)
			q[0] = q[--live];
		sift_down(q, live, 0);
	}
	rc = finish(h);
	if (h->nth && h->peak_thread < h->nth && h->tot.peak)
		h->tot.peak_tid = reader_thread(r, h->peak_thread)->tid;
out:
	for (size_t i = 0; s && i < n; i++)
		reader_cursor_fini(&s[i].c);
	free(s);
	free(q);
	if (rc < 0 || !events) { /* EXT events, none of memory (I/O only): no heap */
		heap_free(h);
		return rc < 0 ? rc : 0;
	}
	free(h->tab); /* what the threads need is in their notes and leaks now */
	h->tab = NULL;
	h->tab_cap = 0;
	free(h->maps);
	h->maps = NULL;
	*hp = h;
	return 0;
}

void heap_free(struct heap *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->nth; i++) {
		free(h->th[i].notes);
		free(h->th[i].leaks);
	}
	free(h->th);
	free(h->tab);
	free(h->maps);
	free(h);
}

void heap_rewind(struct heap *h, size_t i)
{
	h->cur = i;
	if (i < h->nth) {
		h->th[i].pos = 0;
		h->th[i].leak_pos = 0;
		h->th[i].ord = 0;
	}
}

static int get_varint(struct hthread *t, uint64_t *v)
{
	unsigned shift = 0;

	*v = 0;
	while (t->pos < t->notes_n && shift < 64) {
		uint8_t c = t->notes[t->pos++];

		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return 0;
		shift += 7;
	}
	return -1;
}

int heap_next(struct heap *h, struct heap_event *e)
{
	struct hthread *t;
	uint64_t z, ord;

	memset(e, 0, sizeof(*e));
	if (h->cur >= h->nth)
		return -1;
	t = &h->th[h->cur];
	ord = t->ord++;
	if (get_varint(t, &z) < 0 || get_varint(t, &e->level) < 0)
		return -1;
	e->change = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
	while (t->leak_pos < t->leaks_n && t->leaks[t->leak_pos].ord < ord)
		t->leak_pos++;
	if (t->leak_pos < t->leaks_n && t->leaks[t->leak_pos].ord == ord)
		e->leaked = t->leaks[t->leak_pos].bytes;
	e->peak = h->cur == h->peak_thread && ord == h->peak_ord && h->tot.peak;
	return 0;
}
