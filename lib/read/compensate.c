/* SPDX-License-Identifier: MIT */
/*
 * compensate.c - `tscope report --compensate`: a call tree with the recorder's own
 * cost taken out of its times.
 *
 * The runtime measures at start what recording one event costs (a COST chunk, see
 * docs/FORMAT.md); every call is two events, its enter and its exit.  A call's own
 * two events are charged to its self time, and its inclusive time holds the events
 * of its whole subtree: so for a node of c calls whose subtree (itself included)
 * has s calls, with a cost of C ns per event,
 *
 *	self' = self - 2 C c		incl' = incl - 2 C s
 *
 * and self' is still incl' minus the children's incl'.  Neither goes below 0: a
 * time shorter than the cost says the cost varied, not that the call took no time.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <stdlib.h>

#include "tscope.h"
#include "calltree.h"

/* v minus cost ns, rounded to the nearest ns, never below 0. */
static uint64_t minus(uint64_t v, double cost)
{
	double c = floor(cost + 0.5);

	return c >= (double)v ? 0 : v - (uint64_t)c;
}

int calltree_compensate(struct calltree *t, double cost_ns)
{
	uint64_t *sub;

	if (cost_ns <= 0 || t->n <= 1)
		return 0;
	sub = calloc(t->n, sizeof(*sub));
	if (!sub)
		return TSCOPE_ENOMEM;
	/* a child's index is larger than its parent's: one pass from the end sums the
	 * subtrees */
	for (size_t i = t->n - 1; i >= 1; i--) {
		struct calltree_node *nd = &t->nodes[i];

		sub[i] += nd->calls;
		if (nd->parent != i)
			sub[nd->parent] += sub[i];
		nd->incl = minus(nd->incl, 2.0 * cost_ns * (double)sub[i]);
		nd->self = minus(nd->self, 2.0 * cost_ns * (double)nd->calls);
	}
	free(sub);
	return 0;
}
