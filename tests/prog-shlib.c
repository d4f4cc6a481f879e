/* SPDX-License-Identifier: MIT */
/*
 * prog-shlib.c - an instrumented shared library that tests/prog-conv links with: the
 * converter must name functions that live in a library, at the address it was loaded.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

int shlib_outer(int n);

static volatile int shlib_sink;

__attribute__((noinline)) static void shlib_inner(int i)
{
	shlib_sink += i;
}

/* n calls of shlib_inner() */
__attribute__((noinline)) int shlib_outer(int n)
{
	for (int i = 0; i < n; i++)
		shlib_inner(i);
	return shlib_sink;
}
