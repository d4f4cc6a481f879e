/* SPDX-License-Identifier: MIT */
/*
 * prog-dlmod.c - an instrumented module that tests/prog-conv loads with dlopen() and
 * unloads again: its functions must still be named, from the MODULE record.  Built a
 * second time with -DDLMOD2, its functions called dlmod2_*: a library of the same size
 * that the dynamic loader maps where the first one was.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#ifdef DLMOD2
#define dlmod_entry dlmod2_entry
#define dlmod_leaf  dlmod2_leaf
#define dlmod_sink  dlmod2_sink
#endif

int dlmod_entry(int n);

static volatile int dlmod_sink;

__attribute__((noinline)) static void dlmod_leaf(void)
{
	dlmod_sink++;
}

/* n calls of dlmod_leaf() */
__attribute__((noinline)) int dlmod_entry(int n)
{
	for (int i = 0; i < n; i++)
		dlmod_leaf();
	return dlmod_sink;
}
