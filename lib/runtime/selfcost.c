/* SPDX-License-Identifier: MIT */
/*
 * selfcost.c - what recording one event costs the program, measured at start and
 * stored in the trace (a COST chunk) for `tscope report --compensate`.
 *
 * The calling thread times ROUNDS rounds of PAIRS enter/exit pairs through the real
 * hooks (the exported ones, as the program calls them), with its fast path pointed at
 * a scratch array that is then forgotten: the hot path as it runs, without sleeping
 * and without a clock calibration (the COST chunk holds ticks; the reader converts
 * them with the trace's clock).  The fastest round is the cost, the median says how
 * noisy the machine was.  Signals are blocked meanwhile, so that no handler's events
 * land in the scratch array; the thread's recording state is put back as it was.
 * About 20 us at start on a 3 GHz machine.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <signal.h>
#include <string.h>

#include "tscope-int.h"
#include "clock.h"

#define PAIRS  512
#define ROUNDS 9

static struct tsf_cost cost; /* events 0: not measured */
static struct tsf_event scratch[2 * PAIRS];

TSCOPE_API TS_NOINSTR void __cyg_profile_func_enter(void *fn, void *site);
TSCOPE_API TS_NOINSTR void __cyg_profile_func_exit(void *fn, void *site);

/* Time ROUNDS rounds of PAIRS pairs into the scratch array.  Only where the hooks
 * read the counter inline: otherwise every event takes the cold path, whose cost is
 * no constant. */
TS_NOINSTR void tscope__selfcost_measure(void)
{
	struct tscope__thread *t = &tscope__self;
	uintptr_t pos = t->pos, base = t->base, room = t->room, size = t->size;
	uint64_t r[ROUNDS];
	sigset_t all, old;
	void *fn = (void *)tscope__selfcost_measure;

	if (tscope__clock_source != TS_CLOCK_NATIVE || t->busy || room)
		return;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (int k = 0; k < ROUNDS; k++) {
		uint64_t t0, t1;

		TS_STORE(t->base, (uintptr_t)scratch);
		TS_STORE(t->base_neg, -(uintptr_t)scratch);
		TS_STORE(t->size, sizeof(scratch));
		TS_STORE(t->pos, (uintptr_t)scratch);
		TS_STORE(t->room, sizeof(scratch));
		t0 = tscope__clock_read();
		for (int i = 0; i < PAIRS; i++) {
			__cyg_profile_func_enter(fn, fn);
			__cyg_profile_func_exit(fn, fn);
		}
		t1 = tscope__clock_read();
		r[k] = t1 - t0;
	}
	TS_STORE(t->room, room);
	TS_STORE(t->size, size);
	TS_STORE(t->base, base);
	TS_STORE(t->base_neg, -base);
	TS_STORE(t->pos, pos);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	for (int i = 1; i < ROUNDS; i++) /* insertion sort: nine numbers */
		for (int j = i; j > 0 && r[j] < r[j - 1]; j--) {
			uint64_t x = r[j];

			r[j] = r[j - 1];
			r[j - 1] = x;
		}
	cost.ticks = r[0];
	cost.median = r[ROUNDS / 2];
	cost.rounds = ROUNDS;
	cost.events = 2 * PAIRS;
}

/* The COST chunk, when the cost was measured. */
TS_NOINSTR void tscope__selfcost_write(tscope__emit_fn emit, void *ctx)
{
	if (cost.events)
		emit(ctx, TSF_CHUNK_COST, &cost, sizeof(cost), NULL, 0, NULL, 0);
}
