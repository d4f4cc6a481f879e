/* SPDX-License-Identifier: MIT */
/*
 * filter-fn.c - the record-time filters' table of functions (filter.h): each one's
 * decision, made once from its name (symaddr.c; mangled, or demangled where the
 * program has a C++ runtime) against the --exclude and --include patterns, and what
 * was dropped of its calls, written as DROP chunks.  Used by the writer only, with the
 * file's lock held.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dlfcn.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tscope-int.h"
#include "clock.h"
#include "filter.h"
#include "exclude.h"

#define TOP_SAID   3	 /* throttled functions named at the end */
#define DROP_CHUNK 16384 /* entries per DROP chunk: a reader takes 1 MiB of metadata */

static struct {
	char exclude[1024], include[1024];
	struct tscope__fn *fns; /* open addressing by addr, cap a power of 2 */
	size_t n, cap;
	struct tscope__fn *last; /* the entry tscope__fn_get() found last: calls come in runs */
	char *(*demangle)(const char *, char *, size_t *, int *);
	int demangle_looked;
	int hooks_skip; /* libtscope-exclude drops the excluded functions' calls */
} ft;

/* A new session: no function known. */
TS_NOINSTR void tscope__fns_reset(const struct tscope__config *c)
{
	free(ft.fns);
	ft.fns = NULL;
	ft.n = ft.cap = 0;
	ft.last = NULL;
	memcpy(ft.exclude, c->exclude, sizeof(ft.exclude));
	memcpy(ft.include, c->include, sizeof(ft.include));
	/* --max-depth counts the excluded calls too: only the writer sees them all */
	ft.hooks_skip = tscope__rt.excl && ft.exclude[0] && !c->max_depth;
	if (ft.exclude[0] || ft.include[0])
		tscope__symaddr_read_all(); /* now, not while the program runs */
}

/* Are the program's hooks (hook) libtscope-exclude's?  Then the writer fills their
 * table, and they pass the calls on to ours. */
TS_NOINSTR int tscope__fns_exclude_hooks(void *hook)
{
	struct tscope__excl *x = dlsym(RTLD_DEFAULT, TS_EXCL_SYMBOL);

	if (!x || x->enter != hook)
		return 0;
	tscope__rt.excl = x;
	return 1;
}

/* Are excluded calls dropped by libtscope-exclude's hooks, uncounted? */
TS_NOINSTR int tscope__fns_hooks_skip(void)
{
	return ft.hooks_skip;
}

/* Do libtscope-exclude's hooks drop e's calls, once told?  A function that matches
 * --include too stays (its calls open an --include subtree), and so does the
 * --trigger function. */
TS_NOINSTR int tscope__fn_hooks_drop(const struct tscope__fn *e)
{
	return ft.hooks_skip && (e->flags & (TS_FN_EXCL | TS_FN_INCL)) == TS_FN_EXCL &&
	       e->addr != __atomic_load_n(&tscope__rt.trig_fn, __ATOMIC_RELAXED);
}

/*
 * Tell libtscope-exclude's hooks what was decided for e: skip its calls, or pass them
 * on.  A full neighbourhood leaves the function undecided there: its calls are passed
 * on, and the filter drops them as it does without the hooks' help.
 */
static TS_NOINSTR void tell_hooks(const struct tscope__fn *e)
{
	struct tscope__excl *x = tscope__rt.excl;
	uint64_t k = tscope__excl_home(e->addr), w = e->addr;

	if (!x || !w || (w & TS_EXCL_SKIP))
		return;
	if (tscope__fn_hooks_drop(e))
		w |= TS_EXCL_SKIP;
	for (unsigned i = 0; i < TS_EXCL_PROBE; i++) {
		uint64_t *slot = &x->tab[(k + i) & ((1u << TS_EXCL_BITS) - 1)];
		uint64_t old = __atomic_load_n(slot, __ATOMIC_RELAXED);

		if ((old & ~TS_EXCL_SKIP) == e->addr)
			return; /* decided already (this writer's, before a fork) */
		if (!old) {
			__atomic_store_n(slot, w, __ATOMIC_RELAXED);
			return;
		}
	}
}

/* Does name (or, for a C++ name, its demangled form) match a pattern of the list? */
static TS_NOINSTR int matches(const char *list, const char *name, const char *plain)
{
	char pat[1024];
	const char *p = list;

	while (*p) {
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len && len < sizeof(pat)) {
			memcpy(pat, p, len);
			pat[len] = 0;
			if (fnmatch(pat, name, 0) == 0 || (plain && fnmatch(pat, plain, 0) == 0))
				return 1;
		}
		p += len + (end != NULL);
	}
	return 0;
}

/* Decide e's function by its name, once. */
static TS_NOINSTR void decide(struct tscope__fn *e)
{
	const char *name = tscope__symaddr((uintptr_t)e->addr);
	char *plain = NULL;
	int status = -1;

	e->name = name;
	if (!name)
		name = "";
	if (name[0] == '_' && name[1] == 'Z') {
		/* a C++ program has its runtime's demangler; a C program needs none */
		if (!ft.demangle_looked) {
			*(void **)&ft.demangle = dlsym(RTLD_DEFAULT, "__cxa_demangle");
			ft.demangle_looked = 1;
		}
		if (ft.demangle)
			plain = ft.demangle(name, NULL, NULL, &status);
		if (status != 0) {
			free(plain);
			plain = NULL;
		}
	}
	if (ft.exclude[0] && matches(ft.exclude, name, plain))
		e->flags |= TS_FN_EXCL;
	if (ft.include[0] && matches(ft.include, name, plain))
		e->flags |= TS_FN_INCL;
	free(plain);
	e->flags |= TS_FN_DECIDED;
	tell_hooks(e);
}

static TS_NOINSTR size_t slot_of(uint64_t addr, size_t cap)
{
	return (size_t)((addr * UINT64_C(0x9e3779b97f4a7c15)) >> 20) & (cap - 1);
}

/* The entry of the function addr, decided; NULL without memory. */
TS_NOINSTR struct tscope__fn *tscope__fn_get(uint64_t addr)
{
	size_t k;

	if (ft.last && ft.last->addr == addr && (ft.last->flags & TS_FN_DECIDED))
		return ft.last;
	if (ft.cap) {
		for (k = slot_of(addr, ft.cap); ft.fns[k].addr; k = (k + 1) & (ft.cap - 1)) {
			if (ft.fns[k].addr != addr)
				continue;
			if (TS_UNLIKELY(!(ft.fns[k].flags & TS_FN_DECIDED)))
				decide(&ft.fns[k]); /* forgotten at a dlclose() */
			ft.last = &ft.fns[k];
			return ft.last;
		}
	}
	if ((ft.n + 1) * 2 > ft.cap) {
		size_t cap = ft.cap ? ft.cap * 2 : 1024;
		struct tscope__fn *old = ft.fns, *nw = calloc(cap, sizeof(*nw));

		if (!nw)
			return NULL;
		for (size_t i = 0; i < ft.cap; i++) {
			if (!old[i].addr)
				continue;
			for (k = slot_of(old[i].addr, cap); nw[k].addr; k = (k + 1) & (cap - 1))
				;
			nw[k] = old[i];
		}
		free(old);
		ft.fns = nw;
		ft.cap = cap;
		ft.last = NULL;
	}
	for (k = slot_of(addr, ft.cap); ft.fns[k].addr; k = (k + 1) & (ft.cap - 1))
		;
	ft.fns[k].addr = addr;
	ft.n++;
	decide(&ft.fns[k]);
	return &ft.fns[k];
}

static TS_NOINSTR int by_calls(const void *a, const void *b)
{
	const struct tscope__fn *x = *(const struct tscope__fn *const *)a,
				*y = *(const struct tscope__fn *const *)b;

	return x->calls > y->calls ? -1 : x->calls < y->calls;
}

/* The throttled functions, the most called first, in one line. */
static TS_NOINSTR void say_throttled(void)
{
	const struct tscope__fn *top[TOP_SAID];
	char line[400];
	size_t n = 0, len = 0, all = 0;

	for (size_t i = 0; i < ft.cap; i++) {
		const struct tscope__fn *e = &ft.fns[i];

		if (!e->addr || !(e->reasons & TSF_DROP_THROTTLE))
			continue;
		all++;
		if (n < TOP_SAID) {
			top[n++] = e;
		} else if (e->calls > top[TOP_SAID - 1]->calls) {
			top[TOP_SAID - 1] = e;
		}
		qsort(top, n, sizeof(*top), by_calls);
	}
	if (!all)
		return;
	for (size_t i = 0; i < n && len < sizeof(line) - 100; i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%.60s (%llu calls)",
					i ? ", " : "", top[i]->name ? top[i]->name : "?",
					(unsigned long long)top[i]->calls);
	if (all > n)
		snprintf(line + len, sizeof(line) - len, " and %zu more", all - n);
	tscope__say("throttled, kept as counts only: ", line,
		    "; `tscope exclude-list TRACE` makes an exclude list for the next build");
}

/*
 * The DROP chunks of what was dropped so far, reasons the filters set (one chunk at
 * least); last: the session ends, and the throttled functions are named on stderr.
 */
TS_NOINSTR void tscope__fns_write(tscope__emit_fn emit, void *ctx, int last, uint32_t reasons)
{
	struct tsf_drop head = { tscope__clock_slow(), 0, 0 };
	struct tsf_drop_fn *out;
	size_t n = 0, at;

	for (size_t i = 0; i < ft.cap; i++)
		n += ft.fns[i].addr && (ft.fns[i].calls || ft.fns[i].hidden);
	out = calloc(n ? n : 1, sizeof(*out));
	if (out) {
		n = 0;
		for (size_t i = 0; i < ft.cap; i++) {
			const struct tscope__fn *e = &ft.fns[i];

			if (!e->addr || !(e->calls || e->hidden))
				continue;
			out[n++] = (struct tsf_drop_fn){ e->addr,   e->calls,	e->incl, e->self,
							 e->hidden, e->reasons, 0 };
		}
		head.reasons = reasons;
		/* chunks a reader takes whole: it accepts metadata up to 1 MiB */
		at = 0;
		do { /* one chunk at least, empty when nothing was dropped */
			head.count = (uint32_t)(n - at < DROP_CHUNK ? n - at : DROP_CHUNK);
			emit(ctx, TSF_CHUNK_DROP, &head, sizeof(head), out + at,
			     head.count * sizeof(*out), NULL, 0);
			at += head.count;
		} while (at < n);
		free(out);
	}
	if (last)
		say_throttled();
	for (size_t i = 0; i < ft.cap; i++) {
		struct tscope__fn *e = &ft.fns[i];

		e->calls = e->incl = e->self = e->hidden = 0;
		e->reasons = 0;
	}
}

/* Objects were unloaded: their functions' decisions go, and are made again for what
 * is loaded at those addresses next.  What was dropped stays counted. */
TS_NOINSTR void tscope__fns_forget(void)
{
	for (size_t i = 0; i < ft.cap; i++) {
		ft.fns[i].flags &= ~(unsigned)(TS_FN_DECIDED | TS_FN_EXCL | TS_FN_INCL);
		ft.fns[i].name = NULL;
	}
	if (tscope__rt.excl) /* another object may come at those addresses */
		for (size_t i = 0; i < (1u << TS_EXCL_BITS); i++)
			if (tscope__rt.excl->tab[i])
				__atomic_store_n(&tscope__rt.excl->tab[i], 0, __ATOMIC_RELAXED);
	tscope__symaddr_forget();
}

/* In a forked child: a table of its own (the parent's is left to its copy of the heap). */
TS_NOINSTR void tscope__fns_atfork_child(void)
{
	ft.fns = NULL;
	ft.last = NULL;
	ft.n = ft.cap = 0;
}
