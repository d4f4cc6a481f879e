/* SPDX-License-Identifier: MIT */
/*
 * test-compensate.c - `tscope report --compensate` on traces built byte by byte
 * (tests/trace-build.h) with a COST chunk of exactly 3 ns per event: the call tree
 * and the flat table to the ns, with a counter at 1 tick per ns and at 2 ticks per
 * ns; a call shorter than its own cost stops at 0; a trace without COST is said to
 * be uncompensated and keeps its times; and the COST chunk is in `tscope dump`.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tscope.h"
#include "reader.h"
#include "spans.h"
#include "report.h"
#include "dump.h"
#include "trace-build.h"
#include "convert.h"
#include "runner.h"

/*
 * main (0x401000) calls a (0x402000) twice, each calling c (0x404000) once, then b
 * (0x403000), a call of 4 ns, shorter than its own two events.  At scale ticks per ns
 * (MONOTONIC for 1, TSC for 2), with the cost of 3 ns per event when cost is set.
 */
static void build(struct tb *b, uint64_t scale, int cost)
{
	static const uint64_t ev[][2] = {
		{ 1000, 0x401000 }, { 1100, 0x402000 }, { 1120, 0x404000 }, { 1150, 0x404000 },
		{ 1200, 0x402000 }, { 1300, 0x402000 }, { 1310, 0x404000 }, { 1340, 0x404000 },
		{ 1400, 0x402000 }, { 1500, 0x403000 }, { 1504, 0x403000 }, { 2000, 0x401000 },
	};
	static const int is_exit[] = { 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 1, 1 };

	tb_init(b);
	tb_header(b, 100, 1, scale == 1 ? TSF_CLOCK_MONOTONIC : TSF_CLOCK_TSC, 1000 * scale);
	tb_process(b, 100, 1, "/bin/synth");
	tb_thread(b, 100, 100, 1, "main");
	tb_clock(b, 1000 * scale, 1000, 0, 1);
	if (cost)
		tb_cost(b, 3 * 1024 * scale, 1024);
	tb_events_begin(b, 100, 0, 0, TSF_EF_FINAL);
	for (size_t i = 0; i < TS_ARRAY_SIZE(ev); i++) {
		if (is_exit[i])
			tb_exit(b, ev[i][0] * scale, ev[i][1]);
		else
			tb_enter(b, ev[i][0] * scale, ev[i][1]);
	}
	tb_events_end(b);
	tb_clock(b, 3000 * scale, 3000, 0, 1);
	tb_end(b);
}

/* The report of b with options o (ns forced on) into out. */
static int report(struct tb *b, struct report_opts *o, char *out, size_t size)
{
	struct reader *r = NULL;
	struct names *names = names_new();
	struct spans *sp = NULL;
	struct report *rep;
	FILE *f = tmpfile();
	size_t n;
	int rc = reader_open_mem(b->p, b->n, &r);

	if (rc || !names || !f || spans_open(&sp, r, names)) {
		rc = rc ? rc : -100;
		goto out;
	}
	o->ns = 1;
	rc = report_open(&rep, f, o, names);
	rc |= report_add(rep, sp);
	rc |= report_finish(rep);
	rewind(f);
	n = fread(out, 1, size - 1, f);
	out[n] = 0;
out:
	if (f)
		fclose(f);
	spans_close(sp);
	names_free(names);
	reader_close(r);
	return rc;
}

static const char want_tree[] =
    "process 100 synth (parent 1)\n"
    "compensated: 3.0 ns per event subtracted (two per call: self by its own, incl by its "
    "subtree's)\n"
    "\n"
    "thread 100 \"main\": 1.000 us, 6 calls\n"
    "incl  self  calls   avg   thread  function\n"
    " 964   790      1   964    96.4%  0x401000\n"
    " 176   128      2    88    17.6%    0x402000\n"
    "  48    48      2    24     4.8%      0x404000\n"
    "   0     0      1     0     0.0%    0x403000\n";

static const char want_flat[] =
    "compensated: 3.0 ns per event subtracted (two per call: self by its own, incl by its "
    "subtree's; min, percentiles and max are not)\n"
    "self   self%  calls  incl   avg   min   p50   p90   p99   max  function\n"
    " 790   81.8%      1   964   964  1000  1000  1000  1000  1000  0x401000\n"
    " 128   13.3%      2   176    88   100   100   100   100   100  0x402000\n"
    "  48    5.0%      2    48    24    30    30    30    30    30  0x404000\n"
    "   0    0.0%      1     0     0     4     4     4     4     4  0x403000\n";

static void test_tree(void)
{
	static char out[8192];
	struct report_opts o;
	struct tb b;

	for (uint64_t scale = 1; scale <= 2; scale++) {
		build(&b, scale, 1);
		memset(&o, 0, sizeof(o));
		o.compensate = 1;
		is_int(report(&b, &o, out, sizeof(out)), 0, "%u tick/ns: the report is made",
		       (unsigned)scale);
		is_str(out, want_tree,
		       "%u tick/ns: incl - 6 ns x subtree calls, self - 6 ns x calls",
		       (unsigned)scale);
		memset(&o, 0, sizeof(o));
		o.compensate = 1;
		o.flat = 1;
		report(&b, &o, out, sizeof(out));
		is_str(out, want_flat, "%u tick/ns: the flat table, compensated", (unsigned)scale);
		tb_free(&b);
	}
}

static void test_plain(void)
{
	static char out[8192];
	struct report_opts o;
	struct tb b;

	build(&b, 1, 1);
	memset(&o, 0, sizeof(o));
	report(&b, &o, out, sizeof(out));
	ok(strstr(out, "compensated") == NULL && strstr(out, "1000   796      1  1000"),
	   "without --compensate the stored cost changes nothing");
	tb_free(&b);
	build(&b, 1, 0);
	memset(&o, 0, sizeof(o));
	o.compensate = 1;
	report(&b, &o, out, sizeof(out));
	ok(strstr(out, "not compensated: this trace holds no measured cost per event\n") &&
	       strstr(out, "1000   796      1  1000"),
	   "a trace without COST: said, and its times kept");
	memset(&o, 0, sizeof(o));
	o.compensate = 1;
	o.flat = 1;
	report(&b, &o, out, sizeof(out));
	ok(strncmp(out, "not compensated: the traces hold no measured cost per event\n", 60) == 0,
	   "flat, without COST: said");
	tb_free(&b);
}

static void test_dump(void)
{
	static char out[1 << 16];
	struct reader *r = NULL;
	struct tb b;
	FILE *f = tmpfile();
	size_t n;

	build(&b, 2, 1);
	ok(f && reader_open_mem(b.p, b.n, &r) == 0, "the trace opens");
	if (!f || !r)
		return;
	dump_records(r, "synth", f);
	dump_info(r, "synth", f);
	rewind(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = 0;
	fclose(f);
	ok(strstr(out, " COST size=32 ticks=6144 events=1024 median=6144 rounds=9\n") != NULL,
	   "dump shows the COST chunk");
	ok(strstr(out, "event cost  3.0 ns (measured at start: 1024 events in 6144 ticks)\n") !=
	       NULL,
	   "info shows the cost per event in ns");
	reader_close(r);
	tb_free(&b);
}

static const struct test_case cases[] = {
	{ "tree", test_tree, 0 },
	{ "plain", test_plain, 0 },
	{ "dump", test_dump, 0 },
	{ NULL, NULL, 0 },
};

int main(int argc, char **argv)
{
	convert_setup("compensate");
	return run_tests(argc, argv, cases);
}
