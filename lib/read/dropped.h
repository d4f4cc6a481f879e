/* SPDX-License-Identifier: MIT */
/*
 * dropped.h - what the record-time filters left out of a trace (its DROP chunks,
 * format.h), by function name: so that reports still count every call.  Private to
 * the offline side.
 */
#ifndef TSCOPE_DROPPED_H
#define TSCOPE_DROPPED_H

#include <stddef.h>
#include <stdint.h>

#include "spans.h"

/* One function's dropped calls, in ns: calls, their inclusive and self times, and the
 * self time of dropped callees that its kept calls show as their own (hidden). */
struct dropped_row {
	uint64_t calls, incl, self, hidden;
};

struct dropped {
	struct dropped_row *rows; /* by name id */
	size_t cap;
	uint64_t calls; /* in all */
	int any;	/* a trace had DROP chunks (its filters were set) */
	int hooks;	/* a trace's excluded calls were dropped by the hooks, uncounted */
};

/* Add the DROP chunks of the trace of sp, naming the functions with sp.  0 or
 * TSCOPE_ENOMEM.  d must be zeroed before its first use. */
int dropped_add(struct dropped *d, struct spans *sp);

/* The row of name id, or NULL when none of its calls was dropped. */
const struct dropped_row *dropped_row(const struct dropped *d, uint32_t name);

/* A row's self time as the trace shows it plus what dropped calls add: a kept call's
 * self time gives up what its dropped callees took, which they count themselves. */
uint64_t dropped_self(uint64_t self, const struct dropped_row *dr);

void dropped_fini(struct dropped *d);

#endif
