/* SPDX-License-Identifier: MIT */
/*
 * cut.c - what a converter keeps of each thread (struct spans_cut, spans.h): a layer
 * between the stack machine and the exporter.
 *
 * The stack machine's frames are the real stack; the frames delivered to the exporter
 * are a run of it, real depths base .. base + n - 1 (base: the focused call, or 0),
 * copied into a stack of their own (sh) whose starts are clipped to the window and
 * whose child times count only delivered children.  A frame becomes deliverable when
 * the time read reaches what it needs (the window's start, its min_dur); at each event
 * the frames above the delivered run that now qualify are delivered, outermost first,
 * so that the exporter's stack always nests.  Without a cut, none of this runs.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include "tscope.h"
#include "spans.h"

#define NONE SIZE_MAX

struct cut {
	struct spans *sp;
	const struct spans_cut *c;
	const struct spans_ops *ops;
	void *ctx;
	spans_memory_fn memory; /* the exporter's */
	uint64_t from, to; /* absolute ns */
	size_t base;	   /* real depth of the delivered run's root; NONE: no focused call */
	size_t n;	   /* frames delivered */
	struct spans_frame *sh;
	size_t sh_cap;
	uint8_t *match; /* focus: by name id, 0 not looked at, 1 the function, 2 another */
	size_t match_cap;
	int err;
	spans_io_fn io; /* the exporter's */
};

int spans_name_is(const char *name, size_t len, const char *func)
{
	size_t want = strlen(func);

	return len >= want && memcmp(name, func, want) == 0 && (len == want || name[want] == '(');
}

static int is_focus(struct cut *k, uint64_t key)
{
	uint32_t id = spans_name(k->sp, key);

	if (id >= k->match_cap) {
		size_t cap = (size_t)id * 2 + 64;
		uint8_t *m = realloc(k->match, cap);

		if (!m) {
			k->err = TSCOPE_ENOMEM;
			return 0;
		}
		memset(m + k->match_cap, 0, cap - k->match_cap);
		k->match = m;
		k->match_cap = cap;
	}
	if (!k->match[id]) {
		size_t len;
		const char *s = names_str(spans_names(k->sp), id, &len);

		k->match[id] = spans_name_is(s, len, k->c->focus) ? 1 : 2;
	}
	return k->match[id] == 1;
}

/* May the real frame f, at delivered depth n, be delivered at time now? */
static int qualifies(const struct cut *k, const struct spans_frame *f, size_t n, uint64_t now)
{
	uint64_t start = f->start > k->from ? f->start : k->from;
	uint64_t end = now < k->to ? now : k->to;

	if (k->c->depth && n >= k->c->depth)
		return 0;
	return now >= k->from && start <= k->to && end >= start && end - start >= k->c->min_dur;
}

/* Deliver the frames of stack[0 .. top] that qualify at now, outermost first. */
static void advance(struct cut *k, struct spans_frame *stack, size_t top, uint64_t now)
{
	if (k->base == NONE)
		return;
	while (k->base + k->n <= top && qualifies(k, &stack[k->base + k->n], k->n, now)) {
		struct spans_frame *f;

		if (k->n >= k->sh_cap) {
			size_t cap = k->sh_cap ? k->sh_cap * 2 : 64;
			struct spans_frame *p = realloc(k->sh, cap * sizeof(*p));

			if (!p) {
				k->err = TSCOPE_ENOMEM;
				spans_stop(k->sp);
				return;
			}
			k->sh = p;
			k->sh_cap = cap;
		}
		f = &k->sh[k->n];
		*f = stack[k->base + k->n];
		f->start = f->start > k->from ? f->start : k->from;
		f->child = 0;
		f->user = 0;
		if (k->ops->open)
			k->ops->open(k->ctx, k->sh, k->n);
		k->n++;
	}
}

static void c_open(void *ctx, struct spans_frame *stack, size_t depth)
{
	struct cut *k = ctx;
	uint64_t now = stack[depth].start;

	if (depth)
		advance(k, stack, depth - 1, now);
	if (k->base == NONE && is_focus(k, stack[depth].key))
		k->base = depth;
	advance(k, stack, depth, now);
}

static void c_close(void *ctx, const struct spans_frame *stack, size_t depth, uint64_t end)
{
	struct cut *k = ctx;

	advance(k, (struct spans_frame *)(uintptr_t)stack, depth, end);
	if (k->base != NONE && depth >= k->base && depth < k->base + k->n) {
		size_t d = --k->n;
		uint64_t e = end < k->to ? end : k->to;

		if (k->ops->close)
			k->ops->close(k->ctx, k->sh, d, e);
		if (d)
			k->sh[d - 1].child += e - k->sh[d].start;
	}
	if (k->c->focus && depth == k->base)
		k->base = NONE;
}

/* Instants and counters: inside the window, and inside a focused call. */
static int keeps(const struct cut *k, uint64_t ns)
{
	return ns >= k->from && ns <= k->to && (!k->c->focus || k->n);
}

static void c_instant(void *ctx, uint64_t ns, uint32_t name)
{
	struct cut *k = ctx;

	if (k->ops->instant && keeps(k, ns))
		k->ops->instant(k->ctx, ns, name);
}

static void c_counter(void *ctx, uint64_t ns, uint32_t name, int64_t value)
{
	struct cut *k = ctx;

	if (k->ops->counter && keeps(k, ns))
		k->ops->counter(k->ctx, ns, name, value);
}

/* Memory events: as counters, with the frames delivered (a call left out counts as its
 * caller). */
static void c_memory(void *ctx, struct spans_frame *stack, size_t depth, const struct spans_mem *m)
{
	struct cut *k = ctx;

	if (depth)
		advance(k, stack, depth - 1, m->ns);
	if (keeps(k, m->ns))
		k->memory(k->ctx, k->sh, k->n, m);
}

/* I/O and wait events: the same. */
static void c_io(void *ctx, struct spans_frame *stack, size_t depth, const struct spans_io *e)
{
	struct cut *k = ctx;

	if (depth)
		advance(k, stack, depth - 1, e->start);
	if (keeps(k, e->start))
		k->io(k->ctx, k->sh, k->n, e);
}

static int c_reset(void *ctx)
{
	struct cut *k = ctx;

	k->n = 0;
	k->base = k->c->focus ? NONE : 0;
	return k->ops->reset ? k->ops->reset(k->ctx) : 0;
}

int spans_cut_run(struct spans *sp, size_t i, const struct spans_ops *ops, void *ctx)
{
	const struct spans_cut *c = spans_get_cut(sp);
	struct reader *r = spans_reader(sp);
	uint64_t start = reader_ns(r, reader_info(r)->start_ticks);
	struct spans_ops wrap = { c_open, c_close, c_instant, c_counter,
				  ops->reset ? c_reset : NULL };
	struct cut k = { sp,
			 c,
			 ops,
			 ctx,
			 spans_get_memory(sp),
			 start + c->from,
			 0,
			 c->focus ? NONE : 0,
			 0,
			 NULL,
			 0,
			 NULL,
			 0,
			 0,
			 NULL };
	int rc;

	k.to = c->to == UINT64_MAX || c->to > UINT64_MAX - start ? UINT64_MAX : start + c->to;
	k.io = spans_get_io(sp);
	if (k.memory)
		spans_set_memory(sp, c_memory);
	if (k.io)
		spans_set_io(sp, c_io);
	rc = spans_run_whole(sp, i, &wrap, &k);
	spans_set_memory(sp, k.memory);
	spans_set_io(sp, k.io);
	free(k.sh);
	free(k.match);
	return rc < 0 ? rc : k.err;
}
