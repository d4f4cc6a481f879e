/* SPDX-License-Identifier: MIT */
/*
 * filter.h - shared by filter.c (the pass over each buffer) and filter-fn.c (the table
 * of functions: decisions by name, and what was dropped of each).  Writer only.
 */
#ifndef TSCOPE_FILTER_H
#define TSCOPE_FILTER_H

#include <stdint.h>

#include "tscope-int.h"

enum { TS_FN_DECIDED = 1, TS_FN_EXCL = 2, TS_FN_INCL = 4, TS_FN_THROTTLED = 8 };

struct tscope__fn {
	uint64_t addr;			    /* 0: a free slot */
	unsigned flags;			    /* TS_FN_* */
	unsigned reasons;		    /* TSF_DROP_* of its dropped calls */
	uint64_t seen, spent;		    /* throttle: calls ended, and their ticks */
	uint64_t calls, incl, self, hidden; /* dropped calls, see format.h */
	const char *name;		    /* its symbol, or NULL */
};

void tscope__fns_reset(const struct tscope__config *c);
struct tscope__fn *tscope__fn_get(uint64_t addr); /* decided; NULL without memory */
void tscope__fns_write(tscope__emit_fn emit, void *ctx, int last, uint32_t reasons);
void tscope__fns_forget(void);
int tscope__fns_hooks_skip(void);
int tscope__fn_hooks_drop(const struct tscope__fn *e);
void tscope__fns_atfork_child(void);

#endif
