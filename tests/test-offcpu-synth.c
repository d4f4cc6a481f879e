/* SPDX-License-Identifier: MIT */
/*
 * test-offcpu-synth.c - the off-CPU estimate of tscope report on synthetic traces with
 * CPU samples (ticks are ns): exact answers for one interval shared by two functions,
 * with a wait call and an I/O call in it; nothing across lost events; no column
 * without samples.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tscope.h"
#include "report.h"
#include "spans.h"
#include "names.h"
#include "trace-build.h"
#include "runner.h"

#define MAIN 0x1000
#define F    0x2000
#define G    0x3000

static void cpu(struct tb *b, uint64_t t, uint64_t ns)
{
	tb_ev(b, t, TSF_EXT_WORD(TSF_EXT_CPU, TSF_CPU_CALL));
	tb_ev(b, t, TSF_WORD(TSF_KIND_EXT, ns));
}

/* The report of b (tree, or flat), times in ns, into out. */
static int report(struct tb *b, int flat, char *out, size_t size)
{
	struct report_opts o = { .flat = flat, .ns = 1 };
	struct reader *r = NULL;
	struct names *names = names_new();
	struct spans *sp = NULL;
	struct report *rep;
	FILE *f = tmpfile();
	int rc = -100;
	size_t n;

	if (f && names && reader_open_mem(b->p, b->n, &r) == 0 && spans_open(&sp, r, names) == 0 &&
	    report_open(&rep, f, &o, names) == 0) {
		rc = report_add(rep, sp);
		rc |= report_finish(rep);
	}
	spans_close(sp);
	names_free(names);
	reader_close(r);
	out[0] = 0;
	if (f) {
		rewind(f);
		n = fread(out, 1, size - 1, f);
		out[n] = 0;
		fclose(f);
	}
	return rc;
}

/* The self and off-cpu~ columns of the tree's line of name (first match). */
static int tree_row(const char *text, const char *name, unsigned long long *self,
		    unsigned long long *off)
{
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		unsigned long long incl, wait, calls, avg;
		double pct;
		char fn[64];

		if (sscanf(l, "%llu %llu %llu %llu %llu %lf%% %llu %63s", &incl, self, &wait,
			   &calls, &avg, &pct, off, fn) == 8 &&
		    strcmp(fn, name) == 0)
			return 1;
	}
	return 0;
}

/*
 * main [1000, 12000] calls f [1000, 4000]; a wait call [6000, 7000], an I/O call
 * [7000, 8000] with 400 ns of CPU (600 waiting, [7400, 8000]); samples at 1000 (CPU
 * 0), 10000 (3700) and 12000 (5700).  First interval: wall 9000, CPU 3700, waiting
 * 1600: 3700 off the CPU over 7400 ns outside waiting (f 3000, main 4400), half of
 * each: f 1500, main 2200.  Second interval: wall 2000, CPU 2000: nothing.
 */
static void build(struct tb *b, int with_cpu)
{
	tb_init(b);
	tb_header(b, 100, 1, TSF_CLOCK_MONOTONIC, 1000);
	tb_clock(b, 1000, 1000, 0, 20);
	tb_events_begin(b, 100, 0, 0, TSF_EF_EXT | TSF_EF_FINAL);
	if (with_cpu)
		cpu(b, 1000, 0);
	tb_enter(b, 1000, MAIN);
	tb_enter(b, 1000, F);
	tb_exit(b, 4000, F);
	tb_ev(b, 7000, TSF_EXT_WORD(TSF_EXT_WAIT, TSF_IO_NANOSLEEP));
	tb_ev(b, 7000, TSF_WORD(TSF_KIND_EXT, 1000));
	tb_ev(b, 7000, TSF_WORD(TSF_KIND_EXT, 0));
	tb_ev(b, 8000, TSF_EXT_WORD(TSF_EXT_IO, (3u << 8) | TSF_IO_READ));
	tb_ev(b, 8000, TSF_WORD(TSF_KIND_EXT, 1000));
	tb_ev(b, 8000, TSF_WORD(TSF_KIND_EXT, 10));
	tb_ev(b, 8000, TSF_WORD(TSF_KIND_EXT, 400));
	if (with_cpu)
		cpu(b, 10000, 3700);
	if (with_cpu)
		cpu(b, 12000, 5700);
	tb_exit(b, 12000, MAIN);
	tb_events_end(b);
	tb_clock(b, 20000, 20000, 0, 20);
	tb_end(b);
}

static void test_split(void)
{
	static char text[8192];
	unsigned long long self = 0, off = 0;
	struct tb b;

	build(&b, 1);
	ok(report(&b, 0, text, sizeof(text)) == 0, "tree: report");
	ok(strstr(text, "off-cpu~  function") != NULL, "tree: an off-cpu~ column");
	ok(tree_row(text, "0x2000", &self, &off), "tree: f's line");
	is_int(off, 1500, "tree: f's off-cpu~, half its self time");
	is_int(self, 1500, "tree: f's self, on the CPU");
	ok(tree_row(text, "0x1000", &self, &off), "tree: main's line");
	is_int(off, 2200, "tree: main's off-cpu~, outside the waits");
	is_int(self, 8000 - 1600 - 2200, "tree: main's self: without wait and off-cpu~");
	ok(strstr(text, "off the CPU outside I/O and waits 3.700 us (3 CPU samples)") != NULL,
	   "tree: the thread's total and samples");
	if (tap_failed)
		printf("# %s", text);
	ok(report(&b, 1, text, sizeof(text)) == 0, "flat: report");
	ok(strstr(text, "\n 4200   73.7%   1600      2200      1  11000") != NULL &&
	       strstr(text, "\n 1500   26.3%      0      1500      1   3000") != NULL,
	   "flat: self on the CPU, wait and off-cpu~ of main and f");
	ok(strstr(text, "off-cpu~  calls") != NULL, "flat: the column after wait");
	if (tap_failed)
		printf("# %s", text);
	tb_free(&b);
}

/* Samples on both sides of lost events: no interval, nothing estimated. */
static void test_gap(void)
{
	static char text[8192];
	unsigned long long self = 0, off = 0;
	struct tb b;

	tb_init(&b);
	tb_header(&b, 100, 1, TSF_CLOCK_MONOTONIC, 1000);
	tb_clock(&b, 1000, 1000, 0, 20);
	tb_events_begin(&b, 100, 0, 0, TSF_EF_EXT);
	cpu(&b, 1000, 0);
	tb_enter(&b, 1000, G);
	cpu(&b, 2000, 1000);
	tb_events_end(&b);
	tb_events_begin(&b, 100, 1, 5, TSF_EF_EXT | TSF_EF_FINAL);
	cpu(&b, 9000, 2000);
	tb_enter(&b, 9000, G);
	cpu(&b, 10000, 2000);
	tb_exit(&b, 10000, G);
	tb_events_end(&b);
	tb_clock(&b, 20000, 20000, 0, 20);
	tb_end(&b);
	ok(report(&b, 0, text, sizeof(text)) == 0 && tree_row(text, "0x3000", &self, &off),
	   "gap: g's line");
	is_int(off, 1000, "gap: only the interval after the lost events counts");
	ok(strstr(text, "off the CPU outside I/O and waits 1.000 us (4 CPU samples)") != NULL,
	   "gap: the thread's total leaves the interval across the gap out");
	if (tap_failed)
		printf("# %s", text);
	tb_free(&b);
}

static void test_none(void)
{
	static char text[8192];
	struct tb b;

	build(&b, 0);
	ok(report(&b, 0, text, sizeof(text)) == 0 && strstr(text, "off-cpu") == NULL &&
	       strstr(text, "off the CPU") == NULL,
	   "no samples: no off-cpu~ column, no total");
	ok(report(&b, 1, text, sizeof(text)) == 0 && strstr(text, "off-cpu") == NULL,
	   "no samples: flat, no column");
	tb_free(&b);
}

static const struct test_case cases[] = {
	{ "split", test_split, 0 },
	{ "gap", test_gap, 0 },
	{ "none", test_none, 0 },
	{ NULL, NULL, 0 },
};

int main(int argc, char **argv)
{
	return run_tests(argc, argv, cases);
}
