/* SPDX-License-Identifier: MIT */
/*
 * spans.c - the per-thread stack machine that repairs unbalanced streams, and the
 * names of what it delivers (see spans.h for the rules).
 *
 * The input is untrusted: keys, times and depths are whatever the file says, so every
 * stack access is bounded, every time is clamped, and searches down the stack stop
 * after SEARCH_MAX frames, and after SEARCH_PER_EVENT frames per event over a thread
 * (search_limit()).  Nothing is allocated per event: the stack grows by doubling
 * and is reused from thread to thread; names are resolved once per distinct address or
 * pointer, then found in an open-addressing table.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tscope.h"
#include "spans.h"
#include "heap.h"
#include "iomap.h"
#include "offcpu.h"
#include "symtab.h"

/* ---- spans ---------------------------------------------------------------------------- */

#define SEARCH_MAX (1u << 16) /* frames searched down the stack for a match */
#define SEARCH_PER_EVENT 16u  /* and in all, per event read */
#define PREFIX_MAX (1u << 20) /* calls begun before their stretch, remembered for a replay */
/* Keys of functions in contested ranges: MOD_TAG | registration << 48 | address, with
 * registration 0 when the owner cannot be told (the name is then the address).  The tag
 * lies above TSF_ADDR_MASK, so that no address a trace holds can pass for such a key. */
#define MOD_BIT	       60
#define MOD_TAG	       (UINT64_C(1) << MOD_BIT)
#define MOD_SHIFT      48
#define MOD_ADDR       ((UINT64_C(1) << MOD_SHIFT) - 1)
#define MOD_MAX	       ((UINT64_C(1) << (MOD_BIT - MOD_SHIFT)) - 2) /* registrations encodable */
#define MAP_EMPTY  UINT64_MAX
#define PTR_TAG	   (UINT64_C(1) << 62) /* map key of a name pointer (functions: the address) */
#define F_ENDED	   0x1u		       /* a scope whose END came while calls were open above it */
_Static_assert((MOD_TAG & (TSF_ADDR_MASK | PTR_TAG | SPANS_SCOPE)) == 0, "key tags overlap");

struct spans {
	struct reader *r;
	struct names *names;
	struct symbolizer *sym;
	const struct reader_clock *clk;

	/* address or tagged pointer -> name id */
	uint64_t *map_keys;
	uint32_t *map_vals;
	size_t map_cap, map_n;

	struct spans_frame *stack;
	size_t stack_cap;
	const struct spans_cut *cut; /* NULL: every span */

	struct spans_repairs rep;
	struct spans_thread_stats stats;

	/* calls that returned with nothing open, by stretch: opened first on a replay */
	struct prefix {
		uint64_t stretch;
		uint64_t key;
	} * prefix;
	size_t prefix_n, prefix_cap;
	int prefix_over; /* too many to replay */

	/* objects mapped at the same addresses one after another: their registrations,
	 * and the hull of their ranges (span 0: none) for a one-compare test per event */
	struct contest {
		uint64_t lo, hi;
		uint64_t unload; /* ticks; UINT64_MAX: never seen gone */
		size_t sym;	 /* symbolizer module index */
		size_t object;	 /* the same for registrations of one object at one place */
		int exact;
		const char *path;
	} * contest;
	size_t ncontest;
	uint64_t contest_lo, contest_span;
	void (*warn)(void *ctx, const char *path, const char *what);
	void *warn_ctx;
	int contest_warned;

	void (*progress)(void *ctx, uint64_t n);
	void *progress_ctx;
	spans_memory_fn memory;
	spans_io_fn io;
	struct iomap *iomap; /* built on the first run that delivers I/O events */
	int iomap_rc;	     /* 1 once built (or failed: then negative) */
	struct heap *heap; /* built on the first run of a trace with memory events */
	int heap_rc;	   /* 1 once built (or failed: then negative) */
	uint32_t heap_name;
	struct offcpu *cpu; /* the CPU samples of the thread being read (counter) */
	uint32_t cpu_name;  /* its counter's name id */
	size_t cpu_next;    /* its sample the next EXT CPU event is */
	int err;  /* sticky TSCOPE_ENOMEM from naming */
	int stop; /* spans_stop() was called during this spans_run() */
};

static inline uint64_t mix(uint64_t k)
{
	return k * UINT64_C(0x9e3779b97f4a7c15);
}

static int map_grow(struct spans *sp)
{
	size_t cap = sp->map_cap ? sp->map_cap * 2 : 1024;
	uint64_t *keys = malloc(cap * sizeof(*keys));
	uint32_t *vals = malloc(cap * sizeof(*vals));
	unsigned shift = (unsigned)__builtin_clzll((unsigned long long)cap) + 1;

	if (!keys || !vals) {
		free(keys);
		free(vals);
		return TSCOPE_ENOMEM;
	}
	memset(keys, 0xff, cap * sizeof(*keys));
	for (size_t i = 0; i < sp->map_cap; i++) {
		size_t k;

		if (sp->map_keys[i] == MAP_EMPTY)
			continue;
		k = (size_t)(mix(sp->map_keys[i]) >> shift);
		while (keys[k] != MAP_EMPTY)
			k = (k + 1) & (cap - 1);
		keys[k] = sp->map_keys[i];
		vals[k] = sp->map_vals[i];
	}
	free(sp->map_keys);
	free(sp->map_vals);
	sp->map_keys = keys;
	sp->map_vals = vals;
	sp->map_cap = cap;
	return 0;
}

/* The slot of key in the map: where it is, or the empty one where it would go. */
static inline size_t map_slot(const struct spans *sp, uint64_t key)
{
	unsigned shift = (unsigned)__builtin_clzll((unsigned long long)sp->map_cap) + 1;
	size_t k = (size_t)(mix(key) >> shift);

	while (sp->map_keys[k] != key && sp->map_keys[k] != MAP_EMPTY)
		k = (k + 1) & (sp->map_cap - 1);
	return k;
}

static uint32_t intern(struct spans *sp, const char *s, size_t n)
{
	uint32_t id = 0;

	if (names_intern(sp->names, s, n, &id) < 0) {
		sp->err = TSCOPE_ENOMEM;
		return 0;
	}
	return id;
}

/* An address with no name: "file+0xVADDR" (as addr2line -e file takes it) when it is
 * in a module (of index module, or SIZE_MAX: the one at v), else "0xADDR". */
static uint32_t hex_name(struct spans *sp, size_t module, uint64_t v)
{
	char buf[160];
	uint64_t vaddr = 0;
	const char *path = sp->sym ? symbolizer_where(sp->sym, module, v, &vaddr) : NULL;
	const char *base = path ? strrchr(path, '/') : NULL;
	int n;

	base = base ? base + 1 : path;
	if (base && *base)
		n = snprintf(buf, sizeof(buf), "%.120s+0x%" PRIx64, base, vaddr);
	else
		n = snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	return intern(sp, buf, (size_t)n);
}

/* Resolve and cache the name of a function address or of a tagged name pointer. */
static uint32_t resolve(struct spans *sp, uint64_t mkey)
{
	const char *s = NULL;
	uint64_t v = mkey & ~PTR_TAG;
	uint32_t id;
	size_t k, module = SIZE_MAX;

	if (mkey & PTR_TAG) {
		s = reader_name(sp->r, v);
		if (!s && sp->sym)
			s = symbolizer_string(sp->sym, v, TSF_COPY_MAX + 1);
	} else if (mkey & MOD_TAG) {
		uint64_t reg = (mkey & ~MOD_TAG) >> MOD_SHIFT;

		v = mkey & MOD_ADDR;
		if (reg && reg <= sp->ncontest) {
			module = sp->contest[reg - 1].sym;
			s = symbolizer_lookup_in(sp->sym, module, v);
		}
	} else if (sp->sym) {
		s = symbolizer_lookup(sp->sym, v);
	}
	if (s)
		id = intern(sp, s, strlen(s));
	else
		id = mkey & PTR_TAG ? hex_name(sp, SIZE_MAX - 1, v) : hex_name(sp, module, v);
	if (sp->err)
		return 0;
	if ((sp->map_n + 1) * 2 > sp->map_cap && map_grow(sp) < 0) {
		sp->err = TSCOPE_ENOMEM;
		return id;
	}
	k = map_slot(sp, mkey);
	sp->map_keys[k] = mkey;
	sp->map_vals[k] = id;
	sp->map_n++;
	return id;
}

static inline uint32_t map_name(struct spans *sp, uint64_t mkey)
{
	if (TS_LIKELY(sp->map_cap)) {
		size_t k = map_slot(sp, mkey);

		if (TS_LIKELY(sp->map_keys[k] == mkey))
			return sp->map_vals[k];
	}
	return resolve(sp, mkey);
}

uint32_t spans_name(struct spans *sp, uint64_t key)
{
	if (SPANS_IS_SCOPE(key))
		return (uint32_t)key;
	return map_name(sp, key & (TSF_ADDR_MASK | MOD_TAG));
}

const char *spans_symbol(struct spans *sp, uint64_t key, uint64_t *addr)
{
	uint64_t mkey = key & (TSF_ADDR_MASK | MOD_TAG), reg;

	*addr = 0;
	if (SPANS_IS_SCOPE(key))
		return NULL;
	if (!(mkey & MOD_TAG)) {
		*addr = mkey;
		return symbolizer_symbol(sp->sym, mkey);
	}
	reg = (mkey & ~MOD_TAG) >> MOD_SHIFT;
	*addr = mkey & MOD_ADDR;
	if (!reg || reg > sp->ncontest)
		return NULL;
	return symbolizer_symbol_in(sp->sym, sp->contest[reg - 1].sym, *addr);
}

/* A module registration, for sorting. */
struct reg {
	const struct reader_module *m;
	size_t sym; /* symbolizer index */
};

/* Order by range, then identity: registrations of one object at one place are
 * neighbours. */
static int reg_cmp(const void *pa, const void *pb)
{
	const struct reader_module *a = ((const struct reg *)pa)->m, *b = ((const struct reg *)pb)->m;
	int c;

	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	if (a->bias != b->bias)
		return a->bias < b->bias ? -1 : 1;
	c = strcmp(a->path, b->path);
	if (c)
		return c;
	if (a->build_id_len != b->build_id_len)
		return a->build_id_len < b->build_id_len ? -1 : 1;
	return a->build_id_len ? memcmp(a->build_id, b->build_id, a->build_id_len) : 0;
}

static int by_unload(const void *pa, const void *pb)
{
	uint64_t a = ((const struct contest *)pa)->unload, b = ((const struct contest *)pb)->unload;

	return a < b ? -1 : a > b;
}

/*
 * Find the registrations whose ranges overlap one of another object: a library
 * unloaded and another mapped where it was.  An event there belongs to the first of
 * them still loaded at its time (contested_key()).  Registrations of one object at one
 * place (a library loaded again and again) count once, so that this stays fast for
 * thousands of them.  sym[i]: the symbolizer's index of reader module i, SIZE_MAX if
 * refused.
 */
static int find_contests(struct spans *sp, const size_t *sym)
{
	size_t n = reader_module_count(sp->r), nr = 0, k = 0;
	uint64_t lo = UINT64_MAX, hi = 0;
	struct reg *regs = malloc((n + 1) * sizeof(*regs));
	size_t *group = malloc((n + 1) * sizeof(*group)); /* first of its object's run */
	unsigned char *mark = calloc(n + 1, 1);
	int rc = TSCOPE_ENOMEM;

	if (!regs || !group || !mark)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (sym[i] != SIZE_MAX) {
			regs[nr].m = reader_module(sp->r, i);
			regs[nr++].sym = sym[i];
		}
	}
	qsort(regs, nr, sizeof(*regs), reg_cmp);
	for (size_t i = 0; i < nr; i++)
		group[i] = i && reg_cmp(&regs[i - 1], &regs[i]) == 0 ? group[i - 1] : i;
	/* each object against the later-starting ones that overlap it */
	for (size_t i = 0; i < nr; i++) {
		if (group[i] != i)
			continue;
		for (size_t j = i + 1; j < nr && regs[j].m->lo < regs[i].m->hi; j++) {
			if (group[j] == j && group[j] != group[i])
				mark[i] = mark[j] = 1;
		}
	}
	for (size_t i = 0; i < nr; i++)
		k += mark[group[i]];
	if (k) {
		sp->contest = malloc(k * sizeof(*sp->contest));
		if (!sp->contest)
			goto out;
	}
	k = 0;
	for (size_t i = 0; i < nr; i++) {
		const struct reader_module *a = regs[i].m;
		struct contest *c;

		if (!mark[group[i]])
			continue;
		c = &sp->contest[k]; /* not before: without contests, sp->contest is NULL */
		c->lo = a->lo;
		c->hi = a->hi;
		c->unload = a->unload_ticks;
		c->exact = a->unload_exact;
		c->sym = regs[i].sym;
		c->object = group[i];
		c->path = a->path;
		k++;
		lo = a->lo < lo ? a->lo : lo;
		hi = a->hi > hi ? a->hi : hi;
	}
	if (k) {
		qsort(sp->contest, k, sizeof(*sp->contest), by_unload);
		sp->ncontest = k;
		sp->contest_lo = lo;
		sp->contest_span = hi - lo;
	}
	rc = 0;
out:
	free(regs);
	free(group);
	free(mark);
	return rc;
}

/*
 * The key of a function address in the hull of contested ranges, called at ticks: the
 * registration covering it that was unloaded first at or after ticks (the table is
 * sorted by unload time).  If that unload was only noticed later (not timed by
 * dlclose()), or two registrations there were never seen gone, the owner is unknown:
 * the key then names the bare address.
 */
static uint64_t contested_key(struct spans *sp, uint64_t addr, uint64_t ticks)
{
	size_t lo = 0, hi = sp->ncontest, best;
	const struct contest *c;
	int unsure = 0;

	if (addr > MOD_ADDR)
		return addr;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sp->contest[mid].unload < ticks)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (best = lo; best < sp->ncontest; best++) {
		c = &sp->contest[best];
		if (addr >= c->lo && addr < c->hi)
			break;
	}
	if (best == sp->ncontest)
		return addr; /* not contested here after all */
	c = &sp->contest[best];
	for (size_t j = best + 1; j < sp->ncontest && sp->contest[j].unload == c->unload; j++)
		unsure |= addr >= sp->contest[j].lo && addr < sp->contest[j].hi &&
			  sp->contest[j].object != c->object;
	if (unsure || best + 1 > MOD_MAX || (c->unload != UINT64_MAX && !c->exact)) {
		if (!sp->contest_warned && sp->warn) {
			sp->warn(sp->warn_ctx, c->path,
				 "another object was mapped at its addresses at a time not "
				 "recorded");
			sp->contest_warned = 1;
		}
		return MOD_TAG | addr;
	}
	return MOD_TAG | (uint64_t)(best + 1) << MOD_SHIFT | addr;
}

int spans_open(struct spans **out, struct reader *r, struct names *names)
{
	struct spans *sp = calloc(1, sizeof(*sp));
	size_t *sym, nsym = 0;
	int rc;

	*out = NULL;
	if (!sp)
		return TSCOPE_ENOMEM;
	sp->r = r;
	sp->names = names;
	sp->clk = reader_clock(r);
	sp->sym = symbolizer_new();
	if (!sp->sym) {
		free(sp);
		return TSCOPE_ENOMEM;
	}
	sym = malloc((reader_module_count(r) + 1) * sizeof(*sym));
	if (!sym) {
		spans_close(sp);
		return TSCOPE_ENOMEM;
	}
	for (size_t i = 0; i < reader_module_count(r); i++) {
		const struct reader_module *m = reader_module(r, i);

		/* a module the symbolizer refuses (empty range) just names nothing */
		rc = symbolizer_add_module(sp->sym, m->path, m->bias, m->lo, m->hi, m->build_id,
					   m->build_id_len);
		if (rc == TSCOPE_ENOMEM) {
			free(sym);
			spans_close(sp);
			return TSCOPE_ENOMEM;
		}
		sym[i] = rc == 0 ? nsym++ : SIZE_MAX;
	}
	rc = find_contests(sp, sym);
	free(sym);
	if (rc) {
		spans_close(sp);
		return rc;
	}
	*out = sp;
	return 0;
}

void spans_close(struct spans *sp)
{
	if (!sp)
		return;
	symbolizer_free(sp->sym);
	heap_free(sp->heap);
	iomap_free(sp->iomap);
	offcpu_free(sp->cpu);
	free(sp->contest);
	free(sp->map_keys);
	free(sp->map_vals);
	free(sp->stack);
	free(sp->prefix);
	free(sp);
}

void spans_set_warn(struct spans *sp, void (*warn)(void *ctx, const char *path, const char *what),
		    void *ctx)
{
	symbolizer_set_warn(sp->sym, warn, ctx);
	sp->warn = warn;
	sp->warn_ctx = ctx;
}

void spans_set_paths(struct spans *sp, const struct sym_paths *p)
{
	symbolizer_set_paths(sp->sym, p);
}

void spans_set_progress(struct spans *sp, void (*progress)(void *ctx, uint64_t n), void *ctx)
{
	sp->progress = progress;
	sp->progress_ctx = ctx;
}

void spans_set_io(struct spans *sp, spans_io_fn io)
{
	sp->io = io;
}

/* The fd -> path map, built once. */
static int io_map(struct spans *sp)
{
	if (!sp->iomap_rc) {
		sp->iomap_rc = iomap_build(&sp->iomap, sp->r);
		if (!sp->iomap_rc)
			sp->iomap_rc = 1;
	}
	return sp->iomap_rc < 0 ? sp->iomap_rc : 0;
}

uint64_t spans_io_events(struct spans *sp, int *err)
{
	*err = io_map(sp);
	return *err ? 0 : iomap_events(sp->iomap);
}

spans_io_fn spans_get_io(const struct spans *sp)
{
	return sp->io;
}

void spans_set_memory(struct spans *sp, spans_memory_fn memory)
{
	sp->memory = memory;
}

spans_memory_fn spans_get_memory(const struct spans *sp)
{
	return sp->memory;
}

const struct heap_totals *spans_heap(struct spans *sp, int *err)
{
	*err = 0;
	if (!sp->heap_rc) {
		sp->heap_rc = heap_build(&sp->heap, sp->r);
		if (!sp->heap_rc)
			sp->heap_rc = 1;
	}
	if (sp->heap_rc < 0)
		*err = sp->heap_rc;
	return sp->heap ? heap_totals(sp->heap) : NULL;
}

void spans_stop(struct spans *sp)
{
	sp->stop = 1;
}

const struct spans_repairs *spans_repairs(const struct spans *sp)
{
	return &sp->rep;
}

const struct spans_thread_stats *spans_last_stats(const struct spans *sp)
{
	return &sp->stats;
}

uint64_t spans_repairs_total(const struct spans_repairs *rep)
{
	return rep->unwound + rep->exit_early + rep->exit_dropped + rep->open_at_end +
	       rep->open_at_gap + rep->end_dropped + rep->end_deferred + rep->too_deep;
}

struct reader *spans_reader(const struct spans *sp)
{
	return sp->r;
}

struct names *spans_names(const struct spans *sp)
{
	return sp->names;
}

/* ---- the stack machine ---------------------------------------------------------------- */

/* The state of one spans_run(). */
struct run {
	struct spans *sp;
	const struct spans_ops *ops;
	void *ctx;
	size_t depth;	    /* frames open */
	uint64_t skipped;   /* entries ignored beyond SPANS_MAX_DEPTH, still open */
	uint64_t last;	    /* ns of the latest event */
	uint64_t seg_start; /* ns of the first event of the current stretch */
	uint64_t seg_child; /* ns of the top-level spans closed in it */
	int fresh;	    /* the next event starts a stretch */
	int started;	    /* an event was seen */
	uint64_t notes;	    /* notes met (not events) */
	uint64_t stretch;   /* stretches begun: 1 for the first */
	int replay;	    /* open the calls of sp->prefix at the start of their stretch */
	size_t pnext;	    /* the next entry of sp->prefix */
	uint64_t events;    /* events read, the current one included */
	uint64_t search;    /* frames the searches down the stack may still look at */
	uint64_t search_at; /* events when search was last topped up */
};

/* Room for one more frame; 0, or -1 (too deep, or no memory: sp->err set). */
static int room(struct run *u)
{
	struct spans *sp = u->sp;
	struct spans_frame *p;
	size_t cap;

	if (TS_LIKELY(u->depth < sp->stack_cap))
		return 0;
	if (sp->stack_cap >= SPANS_MAX_DEPTH)
		return -1;
	cap = sp->stack_cap ? sp->stack_cap * 2 : 256;
	p = realloc(sp->stack, cap * sizeof(*p));
	if (!p) {
		sp->err = TSCOPE_ENOMEM;
		return -1;
	}
	sp->stack = p;
	sp->stack_cap = cap;
	return 0;
}

/* Open a frame at time t (the caller has made room). */
static inline void push(struct run *u, uint64_t key, uint64_t t, uint64_t child)
{
	struct spans_frame *f = &u->sp->stack[u->depth];

	f->start = t;
	f->child = child;
	f->key = key;
	f->user = 0;
	f->flags = 0;
	if (u->ops->open)
		u->ops->open(u->ctx, u->sp->stack, u->depth);
	u->depth++;
}

/* Close the top frame at time t. */
static inline void pop(struct run *u, uint64_t t)
{
	struct spans_frame *stack = u->sp->stack;
	size_t d = u->depth - 1;
	uint64_t dur = t - stack[d].start;

	if (u->ops->close)
		u->ops->close(u->ctx, stack, d, t);
	u->depth = d;
	u->sp->stats.spans++;
	if (d)
		stack[d - 1].child += dur;
	else
		u->seg_child += dur;
}

/* Close scopes that ended while calls were open above them, now on top. */
static void pop_ended(struct run *u, uint64_t t)
{
	while (u->depth && (u->sp->stack[u->depth - 1].flags & F_ENDED))
		pop(u, t);
}

/* Close every frame at t, counting the ones that had not ended in *count. */
static void pop_all(struct run *u, uint64_t t, uint64_t *count)
{
	while (u->depth) {
		if (!(u->sp->stack[u->depth - 1].flags & F_ENDED))
			(*count)++;
		pop(u, t);
	}
	u->skipped = 0;
}

/*
 * The lowest depth a search down the stack may reach.  Searches look at SEARCH_MAX
 * frames at most, and at SEARCH_PER_EVENT frames per event on average: the allowance
 * grows with the events read, up to SEARCH_MAX, and each search spends what it looked
 * at (search_spend()).  A real program's unwinds (longjmp, exceptions) are rare and
 * end their search where they match, so they keep finding their frames; a hostile trace
 * (returns that match nothing, each under tens of thousands of open calls) cannot make
 * the conversion quadratic: its searches stop short, and such returns are ignored as
 * unmatched.
 */
static size_t search_limit(struct run *u)
{
	uint64_t add = (u->events - u->search_at) * SEARCH_PER_EVENT;

	u->search_at = u->events;
	u->search = add < SEARCH_MAX - u->search ? u->search + add : SEARCH_MAX;
	return u->depth > u->search ? u->depth - (size_t)u->search : 0;
}

static void search_spend(struct run *u, size_t lo, size_t k)
{
	u->search -= u->depth - (k == SIZE_MAX ? lo : k);
}

/* The depth of the topmost frame with key, or SIZE_MAX. */
static size_t find_key(struct run *u, uint64_t key)
{
	const struct spans_frame *stack = u->sp->stack;
	size_t lo = search_limit(u), k;

	for (k = u->depth; k-- > lo;)
		if (stack[k].key == key)
			break;
	k = k + 1 > lo ? k : SIZE_MAX;
	search_spend(u, lo, k);
	return k;
}

/* The depth of the innermost scope not yet ended, or SIZE_MAX. */
static size_t find_scope(struct run *u)
{
	const struct spans_frame *stack = u->sp->stack;
	size_t lo = search_limit(u), k;

	for (k = u->depth; k-- > lo;)
		if (SPANS_IS_SCOPE(stack[k].key) && !(stack[k].flags & F_ENDED))
			break;
	k = k + 1 > lo ? k : SIZE_MAX;
	search_spend(u, lo, k);
	return k;
}

static void open_frame(struct run *u, uint64_t key, uint64_t t)
{
	if (u->skipped || room(u) < 0) {
		u->skipped++;
		u->sp->rep.too_deep++;
		return;
	}
	push(u, key, t, 0);
}

/* An EXIT that does not match the top frame. */
static void exit_slow(struct run *u, uint64_t addr, uint64_t t)
{
	struct spans *sp = u->sp;
	size_t k;

	if (u->skipped) {
		u->skipped--; /* it returns from a frame too deep to follow */
		return;
	}
	k = find_key(u, addr);
	if (k != SIZE_MAX) {
		while (u->depth > k + 1) {
			if (!(sp->stack[u->depth - 1].flags & F_ENDED))
				sp->rep.unwound++;
			pop(u, t);
		}
		pop(u, t);
		pop_ended(u, t);
		return;
	}
	if (u->depth) {
		sp->rep.exit_dropped++;
		return;
	}
	/*
	 * Nothing is open: the call began before this stretch of events.  It spans the
	 * whole stretch so far, and what closed in it at the top level was inside it.
	 * Remember it: an exporter that can start the thread over (reset) gets a replay
	 * in which such calls are open from the start, as the parents they were.
	 */
	if (room(u) < 0)
		return;
	sp->rep.exit_early++;
	if (!u->replay && !sp->prefix_over) {
		if (sp->prefix_n == sp->prefix_cap) {
			size_t cap = sp->prefix_cap ? sp->prefix_cap * 2 : 64;
			struct prefix *p =
			    cap <= PREFIX_MAX ? realloc(sp->prefix, cap * sizeof(*p)) : NULL;

			if (p) {
				sp->prefix = p;
				sp->prefix_cap = cap;
			}
		}
		if (sp->prefix_n < sp->prefix_cap) {
			sp->prefix[sp->prefix_n].stretch = u->stretch;
			sp->prefix[sp->prefix_n++].key = addr;
		} else {
			sp->prefix_over = 1;
		}
	}
	push(u, addr, u->seg_start, u->seg_child);
	u->seg_child = 0;
	pop(u, t);
}

static void end_scope(struct run *u, uint64_t t)
{
	struct spans *sp = u->sp;
	size_t k;

	if (u->skipped) {
		u->skipped--;
		return;
	}
	k = find_scope(u);
	if (k == SIZE_MAX) {
		sp->rep.end_dropped++;
	} else if (k + 1 == u->depth) {
		pop(u, t);
		pop_ended(u, t);
	} else {
		sp->stack[k].flags |= F_ENDED;
		sp->rep.end_deferred++;
	}
}

/*
 * On a replay, at the start of a stretch: open the calls that returned with nothing
 * open in it, outermost (the last to return) first.
 */
static void open_prefix(struct run *u, uint64_t t)
{
	struct spans *sp = u->sp;
	size_t j;

	while (u->pnext < sp->prefix_n && sp->prefix[u->pnext].stretch < u->stretch)
		u->pnext++;
	for (j = u->pnext; j < sp->prefix_n && sp->prefix[j].stretch == u->stretch; j++)
		;
	for (size_t k = j; k-- > u->pnext;) {
		if (room(u) < 0)
			break;
		sp->rep.exit_early++;
		push(u, sp->prefix[k].key, t, 0);
	}
	u->pnext = j;
}

/* The time of an event in ns: never before the previous one; starts a stretch if due. */
static inline uint64_t event_time(struct run *u, uint64_t ticks)
{
	uint64_t t = reader_clock_ns(u->sp->clk, ticks);

	if (TS_UNLIKELY(t < u->last)) {
		t = u->last;
		u->sp->rep.time_back++;
	}
	u->last = t;
	if (TS_UNLIKELY(u->fresh)) {
		if (!u->started)
			u->sp->stats.first = t;
		u->started = 1;
		u->fresh = 0;
		u->seg_start = t;
		u->seg_child = 0;
		u->stretch++;
		if (u->replay)
			open_prefix(u, t);
	}
	return t;
}

/* A memory event: to the exporter, with what the heap made of it, and as a sample of the
 * heap's counter. */
static void memory_event(struct run *u, const struct reader_event *ev, uint64_t t)
{
	struct spans *sp = u->sp;
	struct spans_mem m = {
		t, ev->len, (uint32_t)ev->arg, ev->addr, (uint64_t)ev->value, 0, 0, 0, 0, 0
	};
	struct heap_event he;

	if (sp->heap && heap_next(sp->heap, &he) == 0) {
		m.change = he.change;
		m.level = he.level;
		m.leaked = he.leaked;
		m.peak = he.peak;
		m.known = 1;
	}
	if (sp->memory)
		sp->memory(u->ctx, sp->stack, u->depth, &m);
	if (m.known && u->ops->counter) {
		if (!sp->heap_name)
			sp->heap_name =
			    intern(sp, SPANS_HEAP_COUNTER, sizeof(SPANS_HEAP_COUNTER) - 1);
		u->ops->counter(u->ctx, t, sp->heap_name, (int64_t)m.level);
	}
}

/* An I/O or wait event: its span ends at t, within the innermost frame. */
static void io_event(struct run *u, const struct reader_event *ev, uint64_t t)
{
	struct spans *sp = u->sp;
	uint64_t dur = ev->addr, ticks0 = ev->ticks > dur ? ev->ticks - dur : 0;
	uint64_t ns = reader_ns(sp->r, ev->ticks) - reader_ns(sp->r, ticks0);
	int64_t result = (int64_t)((uint64_t)ev->value << 4) >> 4; /* 60 bits, signed */
	struct spans_io e = {
		t > ns ? t - ns : 0, t, ev->len, (uint32_t)ev->arg & 0xff, -1, result, 0, ns, NULL
	};

	if (u->depth && e.start < sp->stack[u->depth - 1].start)
		e.start = sp->stack[u->depth - 1].start;
	if (ev->len == TSF_EXT_IO) {
		e.fd = (int32_t)(uint32_t)(ev->arg >> 8);
		e.bytes = iomap_op_dir(e.op) && result > 0 ? (uint64_t)result : 0;
		if (ev->more >= TSF_IO_NO_CPU)
			e.wait = 0;
		else
			e.wait = e.end - e.start > ev->more ? e.end - e.start - ev->more : 0;
		if (e.op == TSF_IO_OPEN || e.op == TSF_IO_OPENAT)
			e.fd = result >= 0 ? (int32_t)result : -1;
		if (e.fd >= 0) /* a close's file is the one it closed */
			e.path = iomap_path(sp->iomap, e.fd,
					    e.op == TSF_IO_CLOSE ? ev->ticks - 1 : ev->ticks);
	} else {
		e.wait = e.end - e.start;
	}
	sp->io(u->ctx, sp->stack, u->depth, &e);
}

/* Everything but ENTER and an EXIT that matches the top frame. */
static void slow_event(struct run *u, const struct reader_event *ev)
{
	struct spans *sp = u->sp;
	uint64_t t;
	uint32_t id;

	if (!READER_IS_EVENT(ev->kind)) {
		u->notes++;
		/* a discontinuity: what was open cannot be matched across it */
		if (ev->kind == READER_EV_LOST || ev->kind == READER_EV_GAP ||
		    ev->kind == READER_EV_BAD) {
			sp->stats.gaps++;
			pop_all(u, u->last, &sp->rep.open_at_gap);
			u->fresh = 1;
		} else if (ev->kind == READER_EV_PAUSE) {
			pop_all(u, u->last, &sp->rep.open_at_pause);
			u->fresh = 1;
		}
		return;
	}
	t = event_time(u, ev->ticks);
	switch (ev->kind) {
	case READER_EV_ENTER:
		open_frame(u, ev->addr, t);
		break;
	case READER_EV_EXIT:
		if (u->depth && u->sp->stack[u->depth - 1].key == ev->addr && !u->skipped) {
			pop(u, t);
			pop_ended(u, t);
		} else {
			exit_slow(u, ev->addr, t);
		}
		break;
	case READER_EV_BEGIN:
		id = map_name(sp, ev->addr | PTR_TAG);
		open_frame(u, SPANS_SCOPE | id, t);
		break;
	case READER_EV_COPY:
		id = intern(sp, ev->text, ev->len);
		open_frame(u, SPANS_SCOPE | id, t);
		break;
	case READER_EV_END:
		end_scope(u, t);
		break;
	case READER_EV_INSTANT:
		if (u->ops->instant)
			u->ops->instant(u->ctx, t, map_name(sp, ev->addr | PTR_TAG));
		break;
	case READER_EV_COUNTER:
		if (u->ops->counter)
			u->ops->counter(u->ctx, t, map_name(sp, ev->addr | PTR_TAG), ev->value);
		break;
	case READER_EV_EXT:
		if (heap_is_memory(ev->len))
			memory_event(u, ev, t);
		else if (sp->io && iomap_is_io(ev->len))
			io_event(u, ev, t);
		else if (ev->len == TSF_EXT_CPU && sp->cpu_name && u->ops->counter) {
			int64_t pct = offcpu_percent(sp->cpu, sp->cpu_next++);

			if (pct >= 0)
				u->ops->counter(u->ctx, t, sp->cpu_name, pct);
		}
		break;
	default:
		break;
	}
}

/* The CPU samples of thread i, for its counter (SPANS_CPU_COUNTER); cpu_name stays 0
 * without two of them. */
static int cpu_counter(struct spans *sp, size_t i)
{
	char name[64];
	int rc, n;

	sp->cpu_name = 0;
	sp->cpu_next = 0;
	if (!reader_info(sp->r)->ext_chunks)
		return 0;
	if (!sp->cpu && offcpu_new(&sp->cpu) < 0)
		return TSCOPE_ENOMEM;
	rc = offcpu_thread(sp->cpu, sp->r, i);
	if (rc <= 0)
		return rc;
	n = snprintf(name, sizeof(name), "%s %" PRIu32, SPANS_CPU_COUNTER,
		     reader_thread(sp->r, i)->tid);
	sp->cpu_name = intern(sp, name, (size_t)n);
	return sp->err;
}

/*
 * reader_clock_ns() reduced to a multiply-high and an add for the common case: a
 * counter faster than 1 GHz (less than 1 ns per tick), at or after the anchor.  The
 * clock's fields are copied here so that they stay in registers across the callbacks.
 */
struct fast_clock {
	uint64_t ticks0, ns0, rate_lo;
	const struct reader_clock *c;
	int ok; /* rate_hi == 0 */
};

static inline uint64_t fast_ns(const struct fast_clock *fc, uint64_t ticks)
{
	if (TS_LIKELY(fc->ok && ticks >= fc->ticks0)) {
		uint64_t v =
		    fc->ns0 +
		    (uint64_t)(((unsigned __int128)(ticks - fc->ticks0) * fc->rate_lo) >> 64);

		if (TS_LIKELY(v >= fc->ns0))
			return v;
	}
	return reader_clock_ns(fc->c, ticks);
}

/*
 * The loop keeps the stack's state in locals (registers) for the two events that make
 * up nearly every trace, a call and a return from the top frame; anything else, and
 * any event that needs a repair, goes through slow_event() with the state written back
 * to the struct run.  Measured on fib(35), 59.7 M events: this halves the instructions
 * per event against keeping the state in the struct.
 */
static inline __attribute__((always_inline)) int
run_loop(struct spans *sp, size_t i, const struct spans_ops *ops, void *ctx, int replay,
	 const int contested)
{
	void (*progress)(void *, uint64_t) = replay ? NULL : sp->progress;
	void (*open)(void *, struct spans_frame *, size_t) = ops->open;
	void (*close)(void *, const struct spans_frame *, size_t, uint64_t) = ops->close;
	struct fast_clock clk = { sp->clk->ticks0, sp->clk->ns0, sp->clk->rate_lo, sp->clk,
				  sp->clk->rate_hi == 0 };
	struct spans_frame *stack;
	struct reader_cursor c;
	struct reader_event ev;
	struct run u;
	uint64_t events = 0, spans = 0, last = 0, seg_child = 0, t;
	const uint64_t contest_lo = sp->contest_lo, contest_span = sp->contest_span;
	size_t depth = 0, cap;
	int rc, fast = 0;

	if (!sp->heap_rc) {
		int err;

		spans_heap(sp, &err);
	}
	if (sp->heap_rc < 0)
		return sp->heap_rc;
	if (sp->heap)
		heap_rewind(sp->heap, i);
	if (sp->io && io_map(sp) < 0)
		return sp->iomap_rc;
	if (ops->counter && cpu_counter(sp, i) < 0)
		return TSCOPE_ENOMEM;
	memset(&u, 0, sizeof(u));
	memset(&sp->stats, 0, sizeof(sp->stats));
	u.sp = sp;
	u.ops = ops;
	u.ctx = ctx;
	u.fresh = 1;
	u.replay = replay;
	u.search = SEARCH_MAX;
	stack = sp->stack;
	cap = sp->stack_cap;
	reader_cursor_init(&c, sp->r, i, 0);
	while ((rc = reader_next(&c, &ev)) > 0) {
		if (contested && ev.addr - contest_lo < contest_span &&
		    (ev.kind == READER_EV_ENTER || ev.kind == READER_EV_EXIT))
			ev.addr = contested_key(sp, ev.addr, ev.ticks);
		if (TS_UNLIKELY((++events & (SPANS_PROGRESS_EVERY - 1)) == 0)) {
			if (progress)
				progress(sp->progress_ctx, SPANS_PROGRESS_EVERY);
			if (sp->err || sp->stop)
				break;
		}
		if (TS_LIKELY(fast)) {
			if (ev.kind == READER_EV_ENTER) {
				t = fast_ns(&clk, ev.ticks);
				if (TS_LIKELY(t >= last && depth < cap)) {
					struct spans_frame *f = &stack[depth];

					last = t;
					f->start = t;
					f->child = 0;
					f->key = ev.addr;
					f->user = 0;
					f->flags = 0;
					if (open)
						open(ctx, stack, depth);
					depth++;
					continue;
				}
			} else if (ev.kind == READER_EV_EXIT && depth &&
				   stack[depth - 1].key == ev.addr) {
				t = fast_ns(&clk, ev.ticks);
				if (TS_LIKELY(t >= last)) {
					size_t d = depth - 1;
					uint64_t dur = t - stack[d].start;

					last = t;
					if (close)
						close(ctx, stack, d, t);
					depth = d;
					spans++;
					if (!d) {
						seg_child += dur;
						continue;
					}
					stack[d - 1].child += dur;
					if (TS_LIKELY(!stack[d - 1].flags))
						continue;
					/* a scope ended inside this call: close it now */
					u.depth = depth;
					u.seg_child = seg_child;
					pop_ended(&u, t);
					depth = u.depth;
					seg_child = u.seg_child;
					continue;
				}
			}
		}
		/* everything else, with the state written back */
		u.depth = depth;
		u.last = last;
		u.seg_child = seg_child;
		sp->stats.spans += spans;
		spans = 0;
		u.events = events;
		slow_event(&u, &ev);
		depth = u.depth;
		last = u.last;
		seg_child = u.seg_child;
		stack = sp->stack;
		cap = sp->stack_cap;
		fast = !u.fresh && !u.skipped;
	}
	u.depth = depth;
	u.last = last;
	u.seg_child = seg_child;
	sp->stats.spans += spans;
	sp->stats.events = events - u.notes;
	pop_all(&u, u.last, &sp->rep.open_at_end);
	sp->stats.last = u.last;
	reader_cursor_fini(&c);
	if (rc < 0)
		return rc;
	return sp->err;
}

/* The loop twice over: the test for contested addresses costs nothing where there are
 * none, nearly always. */
static int run_once(struct spans *sp, size_t i, const struct spans_ops *ops, void *ctx, int replay)
{
	if (sp->contest_span)
		return run_loop(sp, i, ops, ctx, replay, 1);
	return run_loop(sp, i, ops, ctx, replay, 0);
}

void spans_set_cut(struct spans *sp, const struct spans_cut *c)
{
	sp->cut = c;
}

const struct spans_cut *spans_get_cut(const struct spans *sp)
{
	return sp->cut;
}

int spans_run(struct spans *sp, size_t i, const struct spans_ops *ops, void *ctx)
{
	if (sp->cut)
		return spans_cut_run(sp, i, ops, ctx);
	return spans_run_whole(sp, i, ops, ctx);
}

int spans_run_whole(struct spans *sp, size_t i, const struct spans_ops *ops, void *ctx)
{
	struct spans_repairs before = sp->rep;
	int rc;

	sp->prefix_n = 0;
	sp->prefix_over = 0;
	sp->stop = 0;
	rc = run_once(sp, i, ops, ctx, 0);
	if (rc < 0 || !sp->prefix_n || sp->prefix_over || !ops->reset || sp->stop)
		return rc;
	/* the same events again, with the calls begun earlier open from the start */
	sp->rep = before;
	rc = ops->reset(ctx);
	if (rc < 0)
		return rc;
	return run_once(sp, i, ops, ctx, 1);
}
