/* SPDX-License-Identifier: MIT */
/*
 * prog-conv.c - traced programs with known answers, for the converter tests
 * (test-convert-progs.c, test-convert-bad.c).  Built with -finstrument-functions and
 * linked with libtscope and the instrumented shared library tests/prog-shlib.c.  The
 * first argument picks a scenario; the comments say exactly which spans each one
 * leaves.  main() and the thread bodies are not instrumented, so that the counts are
 * exact.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dlfcn.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tscope.h"

#define NOINSTR __attribute__((no_instrument_function))

int shlib_outer(int n); /* tests/prog-shlib.c */

static volatile int sink;

/* ---- fib N: fib_top 1, fib 2 * F(N + 1) - 1 (fib(29): 1,664,079) ---- */

__attribute__((noinline)) static int fib(int n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

__attribute__((noinline)) static void fib_top(int n)
{
	sink = fib(n);
}

/* ---- lib DLMOD: lib_top 1, shlib_outer 10, shlib_inner 30, dlmod_entry 5, dlmod_leaf 20 */

__attribute__((noinline)) static int lib_top(const char *dlmod)
{
	int (*entry)(int);
	void *h;

	for (int i = 0; i < 10; i++)
		sink = shlib_outer(3);
	h = dlopen(dlmod, RTLD_NOW);
	if (!h) {
		fprintf(stderr, "prog-conv: %s\n", dlerror());
		return 1;
	}
	*(void **)(&entry) = dlsym(h, "dlmod_entry");
	if (!entry)
		return 1;
	for (int i = 0; i < 5; i++)
		sink = entry(4);
	/* left loaded: the reload scenario unloads */
	return 0;
}

/* ---- reload DLMOD DLMOD2: DLMOD, unloaded; DLMOD2, unloaded; DLMOD again, kept.
 * reload_top 1, dlmod_entry 5 + 1, dlmod_leaf 20 + 4, dlmod2_entry 2, dlmod2_leaf 6.
 * Prints "same 1" when the loader mapped all three at one address. */

/* Load path, call its function entry calls times with n, unload it unless keep; the
 * function's address. */
NOINSTR static uintptr_t use_module(const char *path, const char *entry, int calls, int n,
				    int keep)
{
	int (*f)(int);
	void *h = dlopen(path, RTLD_NOW);

	if (!h) {
		fprintf(stderr, "prog-conv: %s\n", dlerror());
		exit(1);
	}
	*(void **)(&f) = dlsym(h, entry);
	if (!f)
		exit(1);
	for (int i = 0; i < calls; i++)
		sink = f(n);
	if (!keep)
		dlclose(h);
	return (uintptr_t)f;
}

__attribute__((noinline)) static int reload_top(const char *a, const char *b)
{
	uintptr_t x = use_module(a, "dlmod_entry", 5, 4, 0);
	uintptr_t y = use_module(b, "dlmod2_entry", 2, 3, 0);
	uintptr_t z = use_module(a, "dlmod_entry", 1, 4, 1);

	printf("same %d\n", x == y && y == z);
	return 0;
}

/* ---- reloads N DLMOD DLMOD2: N loads, DLMOD and DLMOD2 in turn, each unloaded after
 * one call of its entry with 3: dlmod_entry N/2, dlmod_leaf 3N/2, the same for dlmod2 */
__attribute__((noinline)) static int reloads_top(int n, const char *a, const char *b)
{
	for (int i = 0; i < n; i++)
		use_module(i & 1 ? b : a, i & 1 ? "dlmod2_entry" : "dlmod_entry", 1, 3, 0);
	return 0;
}

/* ---- longjmp: jmp_top 1, jmp_a 5, jmp_b 5, jmp_c 5, jmp_after 2 ----
 * jmp_c() longjmps to jmp_top() over jmp_b() and jmp_a(): 15 exits never happen. */

static jmp_buf env;

__attribute__((noinline)) static void jmp_c(void)
{
	longjmp(env, 1);
}

__attribute__((noinline)) static void jmp_b(void)
{
	jmp_c();
	sink++;
}

__attribute__((noinline)) static void jmp_a(void)
{
	jmp_b();
	sink++;
}

__attribute__((noinline)) static void jmp_after(void)
{
	sink++;
}

__attribute__((noinline)) static void jmp_top(void)
{
	for (volatile int i = 0; i < 5; i++)
		if (setjmp(env) == 0)
			jmp_a();
	jmp_after();
	jmp_after();
}

/* ---- threads: 4 threads "worker-K" each with work 1, leaf 1000 * (K + 1); the main
 * thread main_work 1, leaf 7 ---- */

__attribute__((noinline)) static void leaf(void)
{
	sink++;
}

__attribute__((noinline)) static void work(int n)
{
	for (int i = 0; i < n; i++)
		leaf();
}

__attribute__((noinline)) static void main_work(void)
{
	for (int i = 0; i < 7; i++)
		leaf();
}

NOINSTR static void *worker(void *arg)
{
	int k = (int)(intptr_t)arg;
	char name[16];

	snprintf(name, sizeof(name), "worker-%d", k);
	tscope_thread_name(name);
	work(1000 * (k + 1));
	return NULL;
}

NOINSTR static int run_threads(void)
{
	pthread_t t[4];

	for (int k = 0; k < 4; k++)
		if (pthread_create(&t[k], NULL, worker, (void *)(intptr_t)k) != 0)
			return 1;
	main_work();
	for (int k = 0; k < 4; k++)
		pthread_join(t[k], NULL);
	return 0;
}

/* ---- exit-deep: leaf 5, deep 11, all 11 still open at exit(0) ---- */

static void (*volatile bottom)(int) = exit;

__attribute__((noinline)) static void deep(int n)
{
	if (n == 0)
		bottom(0);
	else
		deep(n - 1);
	sink++;
}

/* ---- names: names_fn 1 holding 5 scopes, 1 instant and 2 counter samples, whose
 * names need escaping ---- */

__attribute__((noinline)) static void names_fn(void)
{
	tscope_begin("quote\"back\\slash");
	tscope_begin_copy("ctl\x01\ttab\nnl");
	tscope_end();
	tscope_begin_copy("bad\xff\xfeutf8");
	tscope_end();
	tscope_begin_copy("semi;colon");
	tscope_instant("inst\"ant");
	tscope_end();
	tscope_begin_copy("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"); /* e-acute, euro, emoji */
	tscope_counter("cnt\\", 40);
	tscope_counter("cnt\\", 2);
	tscope_end();
	tscope_end();
}

NOINSTR int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (strcmp(mode, "fib") == 0 && argc == 3) {
		/* not atoi(): glibc may define it inline, and clang would instrument it */
		fib_top((int)strtol(argv[2], NULL, 10));
		return 0;
	}
	if (strcmp(mode, "lib") == 0 && argc == 3)
		return lib_top(argv[2]);
	if (strcmp(mode, "reload") == 0 && argc == 4)
		return reload_top(argv[2], argv[3]);
	if (strcmp(mode, "reloads") == 0 && argc == 5)
		return reloads_top((int)strtol(argv[2], NULL, 10), argv[3], argv[4]);
	if (strcmp(mode, "longjmp") == 0) {
		jmp_top();
		return 0;
	}
	if (strcmp(mode, "threads") == 0)
		return run_threads();
	if (strcmp(mode, "exit-deep") == 0) {
		for (int i = 0; i < 5; i++)
			leaf();
		deep(10);
		return 1;
	}
	if (strcmp(mode, "names") == 0) {
		names_fn();
		return 0;
	}
	fprintf(stderr, "prog-conv: unknown scenario\n");
	return 2;
}
