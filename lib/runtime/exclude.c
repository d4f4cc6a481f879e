/* SPDX-License-Identifier: MIT */
/*
 * exclude.c - libtscope-exclude: hooks that drop the calls of --exclude'd functions
 * before anything is recorded, and pass every other call on to libtscope's hooks.
 *
 * The recording hooks cannot look at the function without costing every call, so
 * `tscope record --exclude` preloads this library in front of libtscope.so (or a
 * program linked with -ltscope runs with it in LD_PRELOAD): the program's hooks are
 * then these.  A call looks its function up in a table that the writer fills as it
 * decides each function by name (filter-fn.c, exclude.h): no counter read, no store,
 * no lock.  A function not decided yet is passed on and recorded, and the writer's
 * filter drops it as it drops everything when this library is absent; from its
 * decision on, its calls stop here.  So the first calls of an excluded function (up to
 * a buffer's worth) cost what a recorded call does, and none of them reaches the file.
 * Dropped here, a call is not counted: its time is its caller's self time (the trace
 * says so: TSF_DROP_HOOKS).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dlfcn.h>
#include <stdint.h>

#include "tscope.h"
#include "compiler.h"
#include "exclude.h"

#define EXPORT __attribute__((visibility("default")))
#define HOOK   __attribute__((visibility("default"), no_instrument_function))

typedef void hook_fn(void *fn, void *site);

HOOK void __cyg_profile_func_enter(void *fn, void *site);
HOOK void __cyg_profile_func_exit(void *fn, void *site);

static uint64_t tab[1u << TS_EXCL_BITS]; /* see exclude.h */

/* this library's own hooks, whatever the program's are (an executable linked with
 * libtscope.a has its own, and they come first in a lookup by name) */
extern hook_fn own_enter __attribute__((alias("__cyg_profile_func_enter"), visibility("hidden")));
extern hook_fn own_exit __attribute__((alias("__cyg_profile_func_exit"), visibility("hidden")));

EXPORT struct tscope__excl tscope__excl = { tab, (void *)own_enter, (void *)own_exit };

static TS_NOINSTR void first_enter(void *fn, void *site);
static TS_NOINSTR void first_exit(void *fn, void *site);
static hook_fn *next_enter = first_enter, *next_exit = first_exit;

/*
 * libtscope.so's hooks: looked up in libtscope.so itself, found through a function of
 * its API (RTLD_NEXT could find libc's empty hooks first, when libtscope.so is loaded
 * only as this library's dependency).  Without them the calls go nowhere.
 */
static TS_NOINSTR __attribute__((constructor)) void find_next(void)
{
	Dl_info di;
	void *h = NULL, *enter = NULL, *exit = NULL;

	if (dladdr((void *)tscope_version_number, &di) && di.dli_fname)
		h = dlopen(di.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
	if (h) { /* kept open: libtscope.so stays while its hooks are called */
		enter = dlsym(h, "__cyg_profile_func_enter");
		exit = dlsym(h, "__cyg_profile_func_exit");
	}
	if (!enter || !exit || enter == (void *)own_enter)
		return;
	*(void **)&next_exit = exit;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	*(void **)&next_enter = enter;
}

/* Hooks called before the constructor ran (another object's constructors). */
static TS_NOINSTR void first_enter(void *fn, void *site)
{
	find_next();
	if (next_enter != first_enter)
		next_enter(fn, site);
}

static TS_NOINSTR void first_exit(void *fn, void *site)
{
	find_next();
	if (next_exit != first_exit)
		next_exit(fn, site);
}

/* fn's entry is not at its home: is it one of the next ones, marked to skip? */
static TS_COLD TS_NOINSTR int skip_probed(uint64_t fn)
{
	uint64_t k = tscope__excl_home(fn);

	for (unsigned i = 1; i < TS_EXCL_PROBE; i++) {
		uint64_t w =
		    __atomic_load_n(&tab[(k + i) & ((1u << TS_EXCL_BITS) - 1)], __ATOMIC_RELAXED);

		if (w == (fn | TS_EXCL_SKIP))
			return 1;
		if (w == fn || !w)
			return 0;
	}
	return 0;
}

static inline TS_NOINSTR int skip(uint64_t fn)
{
	uint64_t w = __atomic_load_n(&tab[tscope__excl_home(fn)], __ATOMIC_RELAXED);

	if (w == (fn | TS_EXCL_SKIP))
		return 1;
	return TS_UNLIKELY(w != fn) && skip_probed(fn);
}

HOOK void __cyg_profile_func_enter(void *fn, void *site)
{
	if (!skip((uintptr_t)fn))
		next_enter(fn, site);
}

HOOK void __cyg_profile_func_exit(void *fn, void *site)
{
	if (!skip((uintptr_t)fn))
		next_exit(fn, site);
}
