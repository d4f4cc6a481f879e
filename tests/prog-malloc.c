/* SPDX-License-Identifier: MIT */
/*
 * prog-malloc.c - a traced program with known allocations, for test-malloc.sh.
 *
 * Built with -finstrument-functions.  Every allocation function tscope record --malloc
 * wraps is called a known number of times with known sizes, in named functions of two
 * threads, with known leaks; the numbers are in test-malloc.sh.  The program prints
 * nothing (stdio would allocate a buffer of its own): its exit status says whether the
 * calls worked.  With the argument "mmap", it also maps anonymous memory: 3 pages, of
 * which 1 is unmapped and 2 leak.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define NOINSTR	 __attribute__((no_instrument_function))
#define NOINLINE __attribute__((noinline))

static void *volatile keep[64]; /* stops the compiler from dropping the calls */
static int bad;

/* 8 blocks of 48 bytes, freed by free_list(). */
NOINLINE static void make_list(void *out[8])
{
	for (int i = 0; i < 8; i++) {
		out[i] = malloc(48);
		bad |= !out[i];
	}
}

NOINLINE static void free_list(void *in[8])
{
	for (int i = 0; i < 8; i++)
		free(in[i]);
}

/* realloc(NULL) (which the compiler makes a malloc), then moved on twice (a free and an
 * alloc each), then freed: 3 allocations, 4300 bytes. */
NOINLINE static void grow(void)
{
	char *p = realloc(NULL, 100), *q;

	bad |= !p;
	memset(p, 1, 100);
	q = realloc(p, 200);
	bad |= !q;
	p = realloc(q, 4000);
	bad |= !p;
	free(p);
}

/* The two above: its inclusive columns add theirs up, its self ones are empty. */
NOINLINE static void setup(void *list[8])
{
	make_list(list);
	grow();
}

/* calloc(10, 32): 320 bytes. */
NOINLINE static void zeroed(void)
{
	char *p = calloc(10, 32);

	bad |= !p || p[319] != 0;
	free(p);
}

/* posix_memalign 1000, aligned_alloc 256, memalign 100, valloc 50: 1406 bytes. */
NOINLINE static void aligned(void)
{
	void *a = NULL, *b, *c, *d;

	bad |= posix_memalign(&a, 64, 1000) != 0;
	b = aligned_alloc(128, 256);
	c = memalign(32, 100);
	d = valloc(50);
	bad |= !a || !b || !c || !d || ((size_t)a & 63) || ((size_t)b & 127);
	free(a);
	free(b);
	free(c);
	free(d);
}

/* 3 blocks of 1000 bytes that are never freed. */
NOINLINE static void leaker(void)
{
	for (int i = 0; i < 3; i++) {
		keep[i] = malloc(1000);
		bad |= !keep[i];
	}
}

/* The peak: 10000 bytes on top of what is live, then freed. */
NOINLINE static void big(void)
{
	void *p = malloc(10000);

	bad |= !p;
	keep[10] = p;
	free(p);
}

/* Anonymous mappings: 3 pages mapped, the last unmapped, 2 leaked. */
NOINLINE static void mapper(void)
{
	long page = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, (size_t)(3 * page), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		bad = 1;
		return;
	}
	bad |= munmap(p + 2 * page, (size_t)page) != 0;
	keep[11] = p;
}

/* In the worker: 5 blocks of 64 bytes that main frees, and 777 bytes that leak. */
NOINLINE static void produce(void)
{
	for (int i = 0; i < 5; i++) {
		keep[20 + i] = malloc(64);
		bad |= !keep[20 + i];
	}
	keep[30] = malloc(777);
	bad |= !keep[30];
}

NOINLINE static void consume(void)
{
	for (int i = 0; i < 5; i++)
		free(keep[20 + i]);
}

NOINSTR static void *worker(void *arg)
{
	(void)arg;
	produce();
	return NULL;
}

NOINSTR int main(int argc, char **argv)
{
	void *list[8];
	pthread_t th;

	setup(list);
	zeroed();
	aligned();
	leaker();
	big();
	free_list(list);
	if (pthread_create(&th, NULL, worker, NULL) != 0 || pthread_join(th, NULL) != 0)
		return 1;
	consume();
	free(NULL); /* not an event */
	if (argc > 1 && strcmp(argv[1], "mmap") == 0)
		mapper();
	return bad;
}
