/* SPDX-License-Identifier: MIT */
/*
 * exclude.h - the table that libtscope-exclude's hooks (exclude.c) read and the
 * writer's filter (filter-fn.c) fills: for each function the writer has decided, its
 * address, with TS_EXCL_SKIP when the hooks are to drop its calls.
 *
 * The writer alone stores, one aligned word per entry; the hooks of every thread load.
 * An entry is written once, from 0 to its decision, and cleared only when objects
 * are unloaded (dlclose()): then a call under way may see its function's old decision.
 */
#ifndef TSCOPE_EXCLUDE_H
#define TSCOPE_EXCLUDE_H

#include <stdint.h>

#define TS_EXCL_BITS  16		  /* 65536 entries: 512 KiB, touched where used */
#define TS_EXCL_PROBE 8			  /* entries looked at from a function's home */
#define TS_EXCL_SKIP  (UINT64_C(1) << 63) /* above every user-space address */

struct tscope__excl {
	uint64_t *tab;	    /* 1 << TS_EXCL_BITS: fn, fn | TS_EXCL_SKIP, or 0: not decided */
	void *enter, *exit; /* the library's hooks, to tell them apart */
};

/* A function's first entry in the table. */
static inline __attribute__((no_instrument_function)) uint64_t tscope__excl_home(uint64_t fn)
{
	return (fn * UINT64_C(0x9e3779b97f4a7c15)) >> (64 - TS_EXCL_BITS);
}

#define TS_EXCL_SYMBOL "tscope__excl" /* exported by libtscope-exclude.so */

#endif
