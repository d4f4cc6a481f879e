/* SPDX-License-Identifier: MIT */
/*
 * calltree.c - call trees (see calltree.h): building one from spans, naming and merging
 * trees by name, walking them in order.
 *
 * Nodes live in one array, linked to their parent, first child and next sibling, and
 * are found by (parent, key) in an open-addressing table kept at most half full.
 * Building is on the converter's hot path (one open() per call): a node remembers the
 * child it found last, so a loop calling the same function again skips the table.
 * Merging and walking touch each node once, with no recursion: a tree as deep as the
 * deepest stack (SPANS_MAX_DEPTH) cannot overflow the C stack.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include "tscope.h"
#include "calltree.h"
#include "offcpu.h"

#define NODE_MAX (UINT32_MAX / 2) /* nodes per tree: indices stay far from wrapping */

/* The first slot to probe for the child key of parent. */
static inline size_t node_hash(uint32_t parent, uint64_t key, size_t cap)
{
	uint64_t h = (key ^ ((uint64_t)parent << 40) ^ parent) * UINT64_C(0x9e3779b97f4a7c15);

	return (size_t)(h >> 32) & (cap - 1);
}

/* Double the table (1024 slots at first) and place every node again.  0 or ENOMEM. */
static int slots_grow(struct calltree *t)
{
	size_t cap = t->slots_cap ? t->slots_cap * 2 : 1024;
	uint32_t *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return TSCOPE_ENOMEM;
	for (size_t i = 1; i < t->n; i++) {
		size_t k = node_hash(t->nodes[i].parent, t->nodes[i].key, cap);

		while (slots[k])
			k = (k + 1) & (cap - 1);
		slots[k] = (uint32_t)i;
	}
	free(t->slots);
	t->slots = slots;
	t->slots_cap = cap;
	return 0;
}

/* A node of no calls yet under parent. */
static void node_init(struct calltree_node *n, uint32_t parent, uint64_t key)
{
	memset(n, 0, sizeof(*n));
	n->key = key;
	n->parent = parent;
	n->min = UINT64_MAX;
}

int calltree_reset(struct calltree *t)
{
	t->n = 0;
	t->err = 0;
	t->drop_n = 0;
	if (t->slots)
		memset(t->slots, 0, t->slots_cap * sizeof(*t->slots));
	if (!t->cap) {
		t->nodes = malloc(256 * sizeof(*t->nodes));
		if (!t->nodes)
			return TSCOPE_ENOMEM;
		t->cap = 256;
	}
	node_init(&t->nodes[0], 0, 0);
	t->n = 1;
	return 0;
}

void calltree_fini(struct calltree *t)
{
	free(t->nodes);
	free(t->slots);
	free(t->drop);
	memset(t, 0, sizeof(*t));
}

uint32_t calltree_child(struct calltree *t, uint32_t parent, uint64_t key)
{
	struct calltree_node *n;
	size_t k;
	uint32_t i;

	if (t->slots_cap) {
		for (k = node_hash(parent, key, t->slots_cap); t->slots[k];
		     k = (k + 1) & (t->slots_cap - 1)) {
			n = &t->nodes[t->slots[k]];
			if (n->key == key && n->parent == parent)
				return t->slots[k];
		}
	}
	if (t->n >= NODE_MAX || ((t->n + 1) * 2 > t->slots_cap && slots_grow(t) < 0))
		goto nomem;
	if (t->n == t->cap) {
		size_t cap = t->cap * 2;
		struct calltree_node *p = realloc(t->nodes, cap * sizeof(*p));

		if (!p)
			goto nomem;
		t->nodes = p;
		t->cap = cap;
	}
	i = (uint32_t)t->n++;
	n = &t->nodes[i];
	node_init(n, parent, key);
	n->next = t->nodes[parent].child;
	t->nodes[parent].child = i;
	for (k = node_hash(parent, key, t->slots_cap); t->slots[k];
	     k = (k + 1) & (t->slots_cap - 1))
		;
	t->slots[k] = i;
	return i;
nomem:
	t->err = TSCOPE_ENOMEM;
	return 0;
}

/* A frame opened: its node is its parent frame's child with its key. */
static void ct_open(void *ctx, struct spans_frame *stack, size_t depth)
{
	struct calltree *t = ctx;
	uint32_t parent = depth ? stack[depth - 1].user : 0;
	uint64_t key = stack[depth].key;
	uint32_t c = t->nodes[parent].hot;

	if (TS_UNLIKELY(!c || t->nodes[c].key != key)) {
		c = calltree_child(t, parent, key);
		t->nodes[parent].hot = c;
	}
	stack[depth].user = c;
	if (t->off)
		offcpu_open(t->off, stack, depth);
}

/* A frame closed: its call and times go to its node. */
static void ct_close(void *ctx, const struct spans_frame *stack, size_t depth, uint64_t end)
{
	struct calltree *t = ctx;
	const struct spans_frame *f = &stack[depth];
	struct calltree_node *n = &t->nodes[f->user];
	uint64_t dur = end - f->start;

	n->calls++;
	n->incl += dur;
	n->self += dur - f->child;
	if (dur < n->min)
		n->min = dur;
	if (dur > n->max)
		n->max = dur;
	if (t->off)
		n->off += offcpu_close(t->off, stack, depth, end);
}

/* The thread is read again (spans_ops.reset): start from the root alone. */
static int ct_reset(void *ctx)
{
	return calltree_reset(ctx);
}

const struct spans_ops calltree_ops = { ct_open, ct_close, NULL, NULL, ct_reset };

void calltree_memory(void *ctx, struct spans_frame *stack, size_t depth, const struct spans_mem *m)
{
	struct calltree *t = ctx;
	struct calltree_node *n = &t->nodes[depth ? stack[depth - 1].user : 0];

	if (m->sub == TSF_EXT_ALLOC) {
		n->allocs++;
		n->bytes += m->size;
	}
	n->net += m->change;
}

void calltree_io(void *ctx, struct spans_frame *stack, size_t depth, const struct spans_io *e)
{
	struct calltree *t = ctx;
	struct calltree_node *n = &t->nodes[depth ? stack[depth - 1].user : 0];

	n->wait += e->wait;
	n->io++;
}

int calltree_mem_incl(const struct calltree *t, struct calltree_mem **out, size_t *cap)
{
	struct calltree_mem *m;

	if (calltree_grow((void **)out, cap, t->n, sizeof(**out), 0) < 0)
		return TSCOPE_ENOMEM;
	m = *out;
	for (size_t i = 0; i < t->n; i++)
		m[i] =
		    (struct calltree_mem){ t->nodes[i].allocs, t->nodes[i].bytes, t->nodes[i].net };
	for (size_t i = t->n; i-- > 1;) {
		struct calltree_mem *p = &m[t->nodes[i].parent];

		p->allocs += m[i].allocs;
		p->bytes += m[i].bytes;
		p->net += m[i].net;
	}
	return 0;
}

/* ---- names and merging by name ---------------------------------------------------------- */

int calltree_names(const struct calltree *t, struct spans *sp, uint32_t **names, size_t *cap)
{
	if (t->n > *cap) {
		uint32_t *p = realloc(*names, t->n * sizeof(*p));

		if (!p)
			return TSCOPE_ENOMEM;
		*names = p;
		*cap = t->n;
	}
	(*names)[0] = 0;
	for (size_t i = 1; i < t->n; i++)
		(*names)[i] = spans_name(sp, t->nodes[i].key);
	return 0;
}

/* Add the calls and times of node s to node d. */
static void add_node(struct calltree_node *d, const struct calltree_node *s)
{
	d->calls += s->calls;
	d->incl += s->incl;
	d->self += s->self;
	d->allocs += s->allocs;
	d->bytes += s->bytes;
	d->net += s->net;
	d->wait += s->wait;
	d->io += s->io;
	d->off += s->off;
	if (s->min < d->min)
		d->min = s->min;
	if (s->max > d->max)
		d->max = s->max;
}

/* The number of frames of the path to node (the root's is 0). */
static size_t path_frames(const struct calltree *t, uint32_t node)
{
	size_t n = 0;

	for (; node; node = t->nodes[node].parent)
		n++;
	return n;
}

/* Make t->drop cover every node, the new ones not known yet.  0 or ENOMEM (t->err). */
static int drop_room(struct calltree *t)
{
	if (t->drop_n >= t->n)
		return 0;
	if (t->n > t->drop_cap) {
		size_t cap = t->cap > t->n ? t->cap : t->n;
		uint32_t *p = realloc(t->drop, cap * sizeof(*p));

		if (!p) {
			t->err = TSCOPE_ENOMEM;
			return TSCOPE_ENOMEM;
		}
		t->drop = p;
		t->drop_cap = cap;
	}
	memset(t->drop + t->drop_n, 0, (t->n - t->drop_n) * sizeof(*t->drop));
	t->drop_n = t->n;
	return 0;
}

/*
 * The node of x's window without its first frame, where x is a node below a marker
 * and its window the frames from the marker's child down to x.  Each answer is kept
 * in t->drop, and found from its parent's: drop(x) = the child of drop(parent) with
 * x's key, and a window of one frame drops to the marker.  So each node costs one
 * lookup, once.  chain has room for the frames of a window.  0 when out of memory.
 */
static uint32_t drop_first(struct calltree *t, uint32_t x, uint32_t *chain)
{
	size_t n = 0;
	uint32_t r;

	if (drop_room(t) < 0)
		return 0;
	while (x && !t->drop[x] && !(t->nodes[t->nodes[x].parent].key & CALLTREE_MARK)) {
		chain[n++] = x;
		x = t->nodes[x].parent;
	}
	if (!t->drop[x])
		t->drop[x] = t->nodes[x].parent;
	r = t->drop[x];
	while (n-- && !t->err) {
		r = calltree_child(t, r, t->nodes[chain[n]].key);
		t->drop[chain[n]] = r;
	}
	return t->err ? 0 : r;
}

/* The state of one calltree_merge(), by node of src. */
struct merge {
	uint32_t *map;	  /* its node in dst */
	uint32_t *frames; /* frames on its path, those down to `at` included */
	uint32_t *name;	  /* its name id */
	uint32_t *win;	  /* a window being built, or the chain of drop_first() */
};

/*
 * The node of src node i, whose path is cut for the first time (it has max + 1
 * frames): below the node of its last outer frame, the marker, then its window (its
 * last inner frames).
 */
static uint32_t cut_first(struct calltree *dst, const struct calltree *src, const struct merge *m,
			  size_t i, unsigned outer, unsigned inner, uint32_t marker)
{
	uint32_t j = (uint32_t)i, node;
	size_t n = 0;

	while (n < inner) {
		m->win[n++] = m->name[j];
		j = src->nodes[j].parent;
	}
	while (m->frames[j] > outer)
		j = src->nodes[j].parent;
	node = calltree_child(dst, m->map[j], CALLTREE_MARK | marker);
	while (n-- && !dst->err)
		node = calltree_child(dst, node, m->win[n]);
	return node;
}

int calltree_merge(struct calltree *dst, uint32_t at, const struct calltree *src, struct spans *sp,
		   struct calltree_cut *cut)
{
	size_t n = src->n ? src->n : 1, base = path_frames(dst, at);
	unsigned max = cut ? cut->max : 0, inner = max / 2, outer = max - 1 - inner;
	struct merge m;

	if (max < CALLTREE_CUT_MIN || base >= outer)
		max = 0; /* no limit */
	m.map = malloc(n * sizeof(*m.map));
	m.frames = malloc(n * sizeof(*m.frames));
	m.name = malloc(n * sizeof(*m.name));
	m.win = max ? malloc((inner + 1) * sizeof(*m.win)) : NULL;
	if (!m.map || !m.frames || !m.name || (max && !m.win)) {
		dst->err = TSCOPE_ENOMEM;
		goto out;
	}
	/* a node comes after its parent: one pass in index order */
	m.map[0] = at;
	m.frames[0] = (uint32_t)base;
	for (size_t i = 1; i < src->n && !dst->err; i++) {
		const struct calltree_node *s = &src->nodes[i];
		uint32_t d = m.frames[s->parent] + 1, node;

		m.frames[i] = d;
		m.name[i] = spans_name(sp, s->key);
		if (!max || d <= max)
			node = calltree_child(dst, m.map[s->parent], m.name[i]);
		else if (d == max + 1)
			node = cut_first(dst, src, &m, i, outer, inner, cut->marker);
		else
			node = calltree_child(dst, drop_first(dst, m.map[s->parent], m.win),
					      m.name[i]);
		if (dst->err)
			break;
		m.map[i] = node;
		add_node(&dst->nodes[node], s);
		if (max && d > max) {
			cut->paths++;
			if (d > cut->deepest)
				cut->deepest = d;
		}
	}
out:
	free(m.map);
	free(m.frames);
	free(m.name);
	free(m.win);
	return dst->err;
}

/* ---- walking -------------------------------------------------------------------------- */

/* An entry of the walk's stack: a node still to visit, and its depth. */
struct walk_ent {
	uint32_t node;
	uint32_t depth;
};

/* qsort_r()'s view of the caller's comparison. */
struct walk_cmp {
	int (*cmp)(void *ctx, uint32_t a, uint32_t b);
	void *ctx;
};

static int walk_cmp(const void *pa, const void *pb, void *arg)
{
	const struct walk_cmp *wc = arg;

	return wc->cmp(wc->ctx, *(const uint32_t *)pa, *(const uint32_t *)pb);
}

/* Make *p hold at least need elements of elem bytes (*cap of them now), the new ones
 * zeroed if zero.  0 or TSCOPE_ENOMEM. */
int calltree_grow(void **p, size_t *cap, size_t need, size_t elem, int zero)
{
	size_t c = *cap ? *cap : 64;
	void *q;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	q = realloc(*p, c * elem);
	if (!q)
		return TSCOPE_ENOMEM;
	if (zero)
		memset((char *)q + *cap * elem, 0, (c - *cap) * elem);
	*p = q;
	*cap = c;
	return 0;
}

int calltree_walk(const struct calltree *t, int (*cmp)(void *ctx, uint32_t a, uint32_t b),
		  int (*visit)(void *ctx, uint32_t node, uint32_t depth), void *ctx)
{
	struct walk_cmp wc = { cmp, ctx };
	struct walk_ent *stack = NULL, it = { 0, 0 };
	uint32_t *kids = NULL;
	size_t sp = 0, stack_cap = 0, kids_cap = 0;
	int rc = 0, down = 1;

	if (!t->n)
		return 0;
	for (;;) {
		size_t nk = 0;

		/* push the children of it.node in order, reversed: the first is popped first */
		if (down) {
			for (uint32_t c = t->nodes[it.node].child; c; c = t->nodes[c].next) {
				if (calltree_grow((void **)&kids, &kids_cap, nk + 1, sizeof(*kids),
						  0) < 0)
					goto nomem;
				kids[nk++] = c;
			}
			if (cmp && nk > 1)
				qsort_r(kids, nk, sizeof(*kids), walk_cmp, &wc);
			if (calltree_grow((void **)&stack, &stack_cap, sp + nk, sizeof(*stack), 0) <
			    0)
				goto nomem;
			for (size_t k = nk; k--;) {
				stack[sp].node = kids[k];
				stack[sp++].depth = it.node ? it.depth + 1 : 0;
			}
		}
		if (!sp)
			break;
		it = stack[--sp];
		down = visit(ctx, it.node, it.depth);
		if (down < 0) {
			rc = down;
			break;
		}
	}
	goto out;
nomem:
	rc = TSCOPE_ENOMEM;
out:
	free(stack);
	free(kids);
	return rc;
}
