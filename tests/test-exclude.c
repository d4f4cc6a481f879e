/* SPDX-License-Identifier: MIT */
/*
 * test-exclude.c - tscope exclude-list: which functions are hot, and how gcc's exclude
 * list names them.  The names are checked against what gcc 12 matches (see
 * lib/read/hot.c); the exporter runs on a synthetic trace of exact durations whose
 * functions are this program's own, named through its symbol table.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tscope.h"
#include "export.h"
#include "hot.h"
#include "trace-build.h"
#include "tap.h"

/* ---- gcc's names ----------------------------------------------------------------------- */

static void test_entries(void)
{
	static const struct {
		const char *name, *entry; /* entry NULL: left out */
	} t[] = {
		{ "MEM_read64", "MEM_read64" },
		{ "ZSTD_hash8Ptr.constprop.0", "ZSTD_hash8Ptr" },
		{ "helper.part.0", "helper" },
		{ "0x401000", NULL },
		{ "prog+0x1120", NULL },
		{ "_ZN2ns3fooEv", NULL },
		{ "ns::K::get(int) const", "ns::K::get" },
		{ "int ns::twice<int>(int)", "ns::twice<" },
		{ "std::vector<int, std::allocator<int> >::size() const", ">::size" },
		{ "std::vector<int, std::allocator<int> >::operator[](unsigned long)",
		  ">::operator[]" },
		{ "std::vector<int, std::allocator<int> >::~vector()", ">::~vector" },
		{ "void std::vector<int, std::allocator<int> >::_M_range_initialize<int const*>"
		  "(int const*, int const*, std::forward_iterator_tag)",
		  ">::_M_range_initialize<" },
		{ "ns::operator+(ns::K, int)", "ns::operator+" },
		{ "ns::K::operator<(ns::K const&) const", "ns::K::operator<" },
		{ "ns::K::operator()(int) const", "ns::K::operator()" },
		{ "ns::operator,(ns::K, int)", "ns::operator\\," },
		{ "ns::K::operator new(unsigned long)", "ns::K::operator new" },
		{ "(anonymous namespace)::helper(int)", "::helper" },
		{ "foo(int) [clone .constprop.0]", "foo" },
		{ "main::{lambda(int)#1}::operator()(int) const", NULL },
		{ "std::vector<int, std::allocator<int> > ns::make<int>(int)", "ns::make<" },
	};
	char out[512];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *why = NULL;
		size_t n = hot_gcc_entry(t[i].name, strlen(t[i].name), out, sizeof(out), &why);

		if (t[i].entry)
			is_str(n ? out : why, t[i].entry, "gcc's name for %s", t[i].name);
		else
			ok(!n && why, "%s cannot be named in gcc's list (%s)", t[i].name,
			   why ? why : "?");
	}
	hot_gcc_subject("int ns::twice<int>(int)", 23, out, sizeof(out));
	is_str(out, "ns::twice<int>", "the subject of a function template");
	hot_gcc_subject("(anonymous namespace)::helper(int)", 34, out, sizeof(out));
	is_str(out, "(anonymous namespace)::helper", "the subject keeps its namespace");
}

/* ---- the exporter on a synthetic trace --------------------------------------------------- */

/* The functions of the trace: this program's, so that its symbol table names them. */
static volatile int sink;
__attribute__((noinline, used)) static void xl_read64(void)
{
	sink = 1;
}
__attribute__((noinline, used)) static void xl_hash8(void)
{
	sink = 2;
}
__attribute__((noinline, used)) static void xl_read64_slow(void)
{
	sink = 3;
}
__attribute__((noinline, used)) static void xl_mid(void)
{
	sink = 4;
}
__attribute__((noinline, used)) static void xl_block(void)
{
	sink = 5;
}
__attribute__((noinline, used)) static void xl_main(void)
{
	sink = 6;
}

#define A(f) ((uint64_t)(uintptr_t)(f))

struct self {
	uint64_t bias, lo, hi;
};

static int self_cb(struct dl_phdr_info *info, size_t size, void *ctx)
{
	struct self *s = ctx;

	(void)size;
	s->bias = info->dlpi_addr; /* the first is the program */
	s->lo = UINT64_MAX;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uint64_t a = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type != PT_LOAD)
			continue;
		s->lo = a < s->lo ? a : s->lo;
		s->hi = a + ph->p_memsz > s->hi ? a + ph->p_memsz : s->hi;
	}
	return 1;
}

/*
 * xl_main calls xl_block 4 times, and each block calls xl_read64 (10 ns) and xl_hash8
 * (30 ns) 500 times each; the first xl_read64 takes 100 us instead (its slowest 1%
 * leaves it out).  Then xl_read64_slow 3 times (200 ns), xl_mid 1500 times (60 ns) and
 * a scope of 5 ns 1500 times (a scope is not a function).  14016 events.
 */
static void build(struct tb *b)
{
	struct self s = { 0, 0, 0 };
	uint64_t t = 1000;

	dl_iterate_phdr(self_cb, &s);
	tb_init(b);
	tb_header(b, 100, 1, TSF_CLOCK_MONOTONIC, 1000);
	tb_process(b, 100, 1, "/proc/self/exe");
	tb_module(b, s.bias, s.lo, s.hi, "/proc/self/exe", NULL, 0);
	tb_thread(b, 100, 100, 1, "main");
	tb_name(b, 0x5000, "tiny_scope");
	tb_events_begin(b, 100, 0, 0, TSF_EF_FINAL);
	tb_enter(b, t, A(xl_main));
	for (int k = 0; k < 4; k++) {
		tb_enter(b, ++t, A(xl_block));
		for (int i = 0; i < 500; i++) {
			uint64_t d = k == 0 && i == 0 ? 100000 : 10;

			tb_enter(b, t += 5, A(xl_read64));
			tb_exit(b, t += d, A(xl_read64));
			tb_enter(b, t += 5, A(xl_hash8));
			tb_exit(b, t += 30, A(xl_hash8));
		}
		tb_exit(b, ++t, A(xl_block));
	}
	for (int i = 0; i < 3; i++) {
		tb_enter(b, ++t, A(xl_read64_slow));
		tb_exit(b, t += 200, A(xl_read64_slow));
	}
	for (int i = 0; i < 1500; i++) {
		tb_enter(b, ++t, A(xl_mid));
		tb_exit(b, t += 60, A(xl_mid));
		tb_begin(b, ++t, 0x5000);
		tb_end_scope(b, t += 5);
	}
	tb_exit(b, ++t, A(xl_main));
	tb_events_end(b);
	tb_end(b);
}

static void run(struct tb *b, uint64_t min_calls, uint64_t max_mean, char *out, size_t size)
{
	const struct exporter *e = export_find("exclude-list");
	struct exclude_opts o = { min_calls, max_mean };
	struct names *names = names_new();
	struct reader *r = NULL;
	struct spans *sp = NULL;
	FILE *f = tmpfile();
	void *x = NULL;
	size_t n = 0;

	out[0] = 0;
	if (!e || !f || !names || reader_open_mem(b->p, b->n, &r) || spans_open(&sp, r, names) ||
	    e->open(&x, f, &o, names)) {
		ok(0, "the exporter runs");
		goto out;
	}
	is_int(e->add(x, sp), 0, "the trace is read");
	is_int(e->finish(x), 0, "the list is written");
	rewind(f);
	n = fread(out, 1, size - 1, f);
	out[n] = 0;
out:
	if (f)
		fclose(f);
	spans_close(sp);
	names_free(names);
	reader_close(r);
}

static void test_exporter(void)
{
	static char out[8192];
	struct tb b;

	build(&b);
	run(&b, HOT_MIN_CALLS, HOT_MAX_MEAN, out, sizeof(out));
	is_str(out,
	       "# tscope exclude-list: 2 of 6 functions were called at least 1000 times,\n"
	       "# taking under 50 ns a call on average (callees and tracing included, the\n"
	       "# slowest 1% of calls left out): tracing them costs more than they do.  Their\n"
	       "# calls make 57.1% of the 14016 events.\n"
	       "#\n"
	       "#      calls        avg  events  function\n"
	       "#       2000      30 ns   28.5%  xl_hash8\n"
	       "#       2000      10 ns   28.5%  xl_read64\n"
	       "#\n"
	       "# note: 'xl_read64' also matches, and leaves uninstrumented:\n"
	       "#   xl_read64_slow (3 calls, 200 ns a call)\n"
	       "# gcc (an entry matches every function whose name contains it):\n"
	       "-finstrument-functions-exclude-function-list=xl_hash8,xl_read64\n"
	       "# clang: -finstrument-functions-after-inlining\n",
	       "the defaults: the two tiny helpers, the table, the note, the flags");

	run(&b, 1000, 70, out, sizeof(out));
	ok(strstr(out, "\n-finstrument-functions-exclude-function-list=xl_hash8,xl_read64,"
		       "xl_mid\n") != NULL,
	   "--max-avg 70ns: xl_mid (60 ns) too, after the two with more calls");
	ok(strstr(out, "#       1500      60 ns   21.4%  xl_mid\n") != NULL,
	   "--max-avg 70ns: xl_mid's row");

	run(&b, 3, 250, out, sizeof(out));
	ok(strstr(out, "\n-finstrument-functions-exclude-function-list=xl_hash8,xl_read64,"
		       "xl_mid\n") != NULL &&
	       strstr(out, "xl_read64_slow\n") && !strstr(out, "# note"),
	   "--min-calls 3 --max-avg 250ns: xl_read64_slow is listed, its entry is "
	   "xl_read64's, no note");

	run(&b, 100000, 50, out, sizeof(out));
	is_str(out,
	       "# tscope exclude-list: no function was called at least 100000 times with calls\n"
	       "# under 50 ns on average: nothing to leave out.\n",
	       "nothing hot: said, no flags");
	tb_free(&b);
}

int main(void)
{
	test_entries();
	test_exporter();
	return done();
}
