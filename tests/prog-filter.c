/* SPDX-License-Identifier: MIT */
/*
 * prog-filter.c - a traced program with known call counts and durations, for the
 * record-time filters (tests/test-filter.sh).  Built with -finstrument-functions,
 * twice: prog-filter is linked with libtscope (the filters then come from the
 * environment), prog-filter-plain is not (run under `tscope record`).
 *
 *	tree [DLMOD]  main -> a x3 -> b x2 -> c x3 (a 3, b 6, c 18); slow x5 (each spins
 *	              for 200 us), fast x7 (returns at once), marked x2 (returns at once
 *	              but records an instant: linked build only); with DLMOD, the library
 *	              is dlopen'd and dlmod_entry(5) called (dlmod_leaf 5)
 *	phases        p1 x1000, 500 ms of sleep, p2 x1000, 500 ms, p3 x1000
 *	heavy         work x1000, each calling tiny x1000 (tiny 1000000)
 *	hooks         rounds of work x10 and tscope_flush() until libtscope-exclude's
 *	              table says its hooks drop tiny (at most 500 rounds), then work x1000;
 *	              says "tiny dropped by the hooks" (or "... not ...") and the rounds
 *
 * noinline and a volatile sink keep every call a call with clang too.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#ifndef PROG_PLAIN
#include "tscope.h"
#endif
#include "exclude.h"

#define NOINSTR __attribute__((no_instrument_function))
#define CALL	__attribute__((noinline))

static volatile int sink;

CALL static void c(void)
{
	sink++;
}

CALL static void b(void)
{
	for (int i = 0; i < 3; i++)
		c();
}

CALL static void a(void)
{
	b();
	b();
}

static NOINSTR uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* 200 us on the clock, whatever the machine */
CALL static void slow(void)
{
	uint64_t t0 = now_ns();

	while (now_ns() - t0 < 200000)
		sink++;
}

CALL static void fast(void)
{
	sink++;
}

CALL static void marked(void)
{
#ifndef PROG_PLAIN
	tscope_instant("marked");
#endif
	sink++;
}

CALL static void p1(void)
{
	sink++;
}

CALL static void p2(void)
{
	sink++;
}

CALL static void p3(void)
{
	sink++;
}

CALL static void tiny(void)
{
	sink++;
}

CALL static void work(void)
{
	for (int i = 0; i < 1000; i++)
		tiny();
}

static NOINSTR void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* dlopen path and call dlmod_entry(5): 0, or 1 when it cannot */
static NOINSTR int run_dlmod(const char *path)
{
	void *h = dlopen(path, RTLD_NOW);
	int (*entry)(int);

	if (!h) {
		fprintf(stderr, "prog-filter: %s\n", dlerror());
		return 1;
	}
	*(void **)&entry = dlsym(h, "dlmod_entry");
	if (!entry)
		return 1;
	entry(5);
	return 0; /* kept loaded: its functions are named at the end */
}

/* Does libtscope-exclude's table (when it is loaded) mark fn to skip? */
static NOINSTR int hooks_drop(void (*fn)(void))
{
	const struct tscope__excl *x = dlsym(RTLD_DEFAULT, TS_EXCL_SYMBOL);
	uint64_t addr = (uintptr_t)fn, k = tscope__excl_home(addr);

	for (unsigned i = 0; x && i < TS_EXCL_PROBE; i++)
		if (x->tab[(k + i) & ((1u << TS_EXCL_BITS) - 1)] == (addr | TS_EXCL_SKIP))
			return 1;
	return 0;
}

static NOINSTR int run_hooks(void)
{
	int (*flush)(void);
	int rounds = 0;

	*(void **)&flush = dlsym(RTLD_DEFAULT, "tscope_flush");
	if (!flush)
		return 1;
	while (!hooks_drop(tiny) && rounds++ < 500) {
		for (int i = 0; i < 10; i++)
			work();
		flush();
	}
	for (int i = 0; i < 1000; i++)
		work();
	printf("tiny %s by the hooks after %d rounds\n",
	       hooks_drop(tiny) ? "dropped" : "not dropped", rounds);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "tree") == 0) {
		for (int i = 0; i < 3; i++)
			a();
		for (int i = 0; i < 5; i++)
			slow();
		for (int i = 0; i < 7; i++)
			fast();
		for (int i = 0; i < 2; i++)
			marked();
		if (argc >= 3 && run_dlmod(argv[2]))
			return 1;
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "phases") == 0) {
		for (int i = 0; i < 1000; i++)
			p1();
		pause_ms(500);
		for (int i = 0; i < 1000; i++)
			p2();
		pause_ms(500);
		for (int i = 0; i < 1000; i++)
			p3();
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "heavy") == 0) {
		for (int i = 0; i < 1000; i++)
			work();
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "hooks") == 0)
		return run_hooks();
	fprintf(stderr, "usage: prog-filter tree [DLMOD] | phases | heavy | hooks\n");
	return 2;
}
