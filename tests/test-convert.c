/* SPDX-License-Identifier: MIT */
/*
 * test-convert.c - the converters: the spans layer's repairs, and `tscope chrome`,
 * `report` and `folded` on real traced programs, with exact expected answers.
 *
 * Part one builds traces byte by byte (tests/trace-build.h, CLOCK_MONOTONIC so that
 * ticks are ns) and checks each repair of an unbalanced stream, the folded and JSON
 * output to the byte, JSON escaping, and random events that must not crash anything.
 * Part two runs tests/prog-conv and tests/prog-cxx (built with -finstrument-functions)
 * in every scenario, converts each trace three ways with tools/tscope, checks the JSON
 * with tests/check-json.py (strict parse, spans nest in every thread) and checks that
 * the names and call counts are exactly the program's, and that report and folded
 * agree with the JSON to the nanosecond.  Part three feeds the commands bad input:
 * truncated, empty and random files, bad usage, unsafe outputs.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tscope.h"
#include "reader.h"
#include "spans.h"
#include "report.h"
#include "export.h"
#include "trace-build.h"
#include "run.h"
#include "tap.h"

static char dir[4096];	  /* scratch files: tests/tmp-convert */
static char tscope[4096]; /* tools/tscope */
static char top[2048];	  /* build directory */
static char srcdir[2048];
static int have_python;

/* ---- helpers ------------------------------------------------------------------------------ */

/* The whole file, NUL-terminated (an empty string if it cannot be read).  Free it. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *s = NULL;
	size_t n = 0, cap = 0;

	if (f) {
		for (;;) {
			if (cap - n < 65536) {
				cap = cap ? cap * 2 : 1 << 20;
				s = realloc(s, cap);
				if (!s)
					abort();
			}
			size_t k = fread(s + n, 1, cap - n - 1, f);

			if (!k)
				break;
			n += k;
		}
		fclose(f);
	}
	if (!s)
		s = calloc(1, 1);
	s[n] = 0;
	return s;
}

static void path_of(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

static uint64_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* Lines of a text, one at a time: *p advances; returns the line's length or -1. */
static long next_line(const char **p, const char **line)
{
	const char *s = *p, *e;

	if (!*s)
		return -1;
	e = strchr(s, '\n');
	if (!e)
		e = s + strlen(s);
	*line = s;
	*p = *e ? e + 1 : e;
	return (long)(e - s);
}

static int count_lines(const char *s)
{
	const char *line;
	int n = 0;

	while (next_line(&s, &line) >= 0)
		n++;
	return n;
}

/* How many times needle occurs in s. */
static int count_matches(const char *s, const char *needle)
{
	int n = 0;

	for (s = strstr(s, needle); s; s = strstr(s + 1, needle))
		n++;
	return n;
}

/* Is text a valid, nested `tscope chrome` document?  1, 0, or -1 without python3. */
static int json_ok(const char *text, const char *name);

/* ---- part one: the spans layer on synthetic traces ------------------------------------ */

/* A trace of thread 100 (pid 100), clock MONOTONIC: ticks are ns. */
static void synth_begin(struct tb *b)
{
	tb_init(b);
	tb_header(b, 100, 1, TSF_CLOCK_MONOTONIC, 1000);
	tb_process(b, 100, 1, "/bin/synth");
	tb_thread(b, 100, 100, 1, "main");
	tb_name(b, 0x5000, "scope");
	tb_name(b, 0x5100, "mark");
	tb_name(b, 0x5200, "level");
}

/* Convert the trace in b with each exporter into strings; return the repairs. */
struct conv {
	struct spans_repairs rep;
	char folded[4096];
	char chrome[1 << 20];
	char report[8192];
	int rc;
};

static void read_back(FILE *f, char *buf, size_t size)
{
	size_t n;

	rewind(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = 0;
	fclose(f);
}

static struct report_opts ro; /* for the report, with ro.ns forced on */

static void convert(struct tb *b, struct conv *cv)
{
	struct folded_opts fo = { 0 };
	struct chrome_opts co = { 0 };
	struct reader *r = NULL;
	struct names *names = names_new();
	struct spans *sp = NULL;
	struct folded *fd;
	struct chrome *ch;
	struct report *rep;
	FILE *f;

	memset(cv, 0, sizeof(*cv));
	cv->rc = reader_open_mem(b->p, b->n, &r);
	if (cv->rc || !names || spans_open(&sp, r, names)) {
		cv->rc = cv->rc ? cv->rc : -100;
		goto out;
	}
	f = tmpfile();
	folded_open(&fd, f, &fo, names);
	cv->rc |= folded_add(fd, sp);
	cv->rc |= folded_finish(fd);
	read_back(f, cv->folded, sizeof(cv->folded));
	cv->rep = *spans_repairs(sp); /* each exporter reads everything: take one's repairs */

	f = tmpfile();
	co.base_ns = 1000;
	chrome_open(&ch, f, &co, names);
	cv->rc |= chrome_add(ch, sp);
	cv->rc |= chrome_finish(ch);
	read_back(f, cv->chrome, sizeof(cv->chrome));

	f = tmpfile();
	ro.ns = 1;
	report_open(&rep, f, &ro, names);
	cv->rc |= report_add(rep, sp);
	cv->rc |= report_finish(rep);
	read_back(f, cv->report, sizeof(cv->report));
out:
	spans_close(sp);
	names_free(names);
	reader_close(r);
}

static void test_balanced(void)
{
	static const char want_folded[] = "0x401000 30\n"
					  "0x401000;0x402000 15\n"
					  "0x401000;0x402000;scope 5\n"
					  "0x401000;0x403000 10\n";
	static const char want_chrome[] =
	    "{\"traceEvents\":[\n"
	    "{\"ph\":\"M\",\"pid\":100,\"tid\":100,\"ts\":0,\"name\":\"process_name\",\"args\":{"
	    "\"name\":\"synth\"}},\n"
	    "{\"ph\":\"M\",\"pid\":100,\"tid\":100,\"ts\":0,\"name\":\"thread_name\",\"args\":{"
	    "\"name\":\"main\"}},\n"
	    "{\"ph\":\"M\",\"pid\":100,\"tid\":100,\"ts\":0,\"name\":\"thread_sort_index\","
	    "\"args\":{\"sort_index\":0}},\n"
	    "{\"ph\":\"i\",\"pid\":100,\"tid\":100,\"ts\":0.012,\"s\":\"t\",\"name\":\"mark\"},\n"
	    "{\"ph\":\"X\",\"pid\":100,\"tid\":100,\"ts\":0.015,\"dur\":0.005,\"name\":\"scope\"},"
	    "\n"
	    "{\"ph\":\"C\",\"pid\":100,\"tid\":100,\"ts\":0.021,\"name\":\"level\",\"args\":{"
	    "\"value\":-7}},\n"
	    "{\"ph\":\"X\",\"pid\":100,\"tid\":100,\"ts\":0.010,\"dur\":0.020,\"name\":"
	    "\"0x402000\"},"
	    "\n"
	    "{\"ph\":\"X\",\"pid\":100,\"tid\":100,\"ts\":0.040,\"dur\":0.010,\"name\":"
	    "\"0x403000\"},"
	    "\n"
	    "{\"ph\":\"X\",\"pid\":100,\"tid\":100,\"ts\":0.000,\"dur\":0.060,\"name\":"
	    "\"0x401000\"}"
	    "\n],\"displayTimeUnit\":\"ns\",\"otherData\":{\"generator\":"
	    "\"tscope " TSCOPE_VERSION_STRING
	    "\",\"clock\":\"CLOCK_MONOTONIC\",\"base_ns\":1000}}\n";
	static const char want_report[] = "process 100 synth (parent 1)\n"
					  "\n"
					  "thread 100 \"main\": 60 ns, 4 calls\n"
					  "incl  self  calls   avg   thread  function\n"
					  "  60    30      1    60   100.0%  0x401000\n"
					  "  20    15      1    20    33.3%    0x402000\n"
					  "   5     5      1     5     8.3%      scope\n"
					  "  10    10      1    10    16.7%    0x403000\n";
	struct tb b;
	static struct conv cv;

	synth_begin(&b);
	tb_events_begin(&b, 100, 0, 0, TSF_EF_FINAL);
	tb_enter(&b, 1000, 0x401000);
	tb_enter(&b, 1010, 0x402000);
	tb_instant(&b, 1012, 0x5100);
	tb_begin(&b, 1015, 0x5000);
	tb_end_scope(&b, 1020);
	tb_counter(&b, 1021, 0x5200, -7);
	tb_exit(&b, 1030, 0x402000);
	tb_enter(&b, 1040, 0x403000);
	tb_exit(&b, 1050, 0x403000);
	tb_exit(&b, 1060, 0x401000);
	tb_events_end(&b);
	tb_end(&b);
	convert(&b, &cv);
	is_int(cv.rc, 0, "balanced: converts");
	is_int(spans_repairs_total(&cv.rep) + cv.rep.time_back, 0, "balanced: nothing repaired");
	is_str(cv.folded, want_folded, "balanced: folded stacks, self ns, sorted");
	is_str(cv.chrome, want_chrome, "balanced: Chrome JSON to the byte");
	is_str(cv.report, want_report, "balanced: call tree, --ns");

	ro.max_depth = 2;
	convert(&b, &cv);
	ok(strstr(cv.report, "scope") == NULL && strstr(cv.report, "0x403000\n"),
	   "balanced: --depth 2 stops above the scope");
	ro.max_depth = 0;
	ro.threshold = 10;
	convert(&b, &cv);
	ok(strstr(cv.report, "scope") == NULL && strstr(cv.report, "0x403000\n"),
	   "balanced: --threshold 10 hides the scope (8.3%%), keeps 0x403000 (16.7%%)");
	ro.threshold = 0;
	ro.sort = REPORT_SORT_NAME;
	convert(&b, &cv);
	ok(strstr(cv.report, "0x402000\n") < strstr(cv.report, "0x403000\n"),
	   "balanced: --sort name");
	ro.sort = REPORT_SORT_DEFAULT;
	ro.flat = 1;
	convert(&b, &cv);
	is_str(cv.report,
	       "self   self%  calls  incl   avg   min   max  function\n"
	       "  30   50.0%      1    60    60    60    60  0x401000\n"
	       "  15   25.0%      1    20    20    20    20  0x402000\n"
	       "  10   16.7%      1    10    10    10    10  0x403000\n"
	       "   5    8.3%      1     5     5     5     5  scope\n",
	       "balanced: --flat");
	ro.flat = 0;
	tb_free(&b);
}

/* Events of one thread in one chunk, converted; the folded text and the repairs. */
static void repair_case(const char *what, void (*events)(struct tb *), const char *want_folded,
			const struct spans_repairs *want)
{
	struct tb b;
	static struct conv cv;

	synth_begin(&b);
	tb_events_begin(&b, 100, 0, 0, TSF_EF_FINAL);
	events(&b);
	tb_events_end(&b);
	tb_end(&b);
	convert(&b, &cv);
	is_int(cv.rc, 0, "%s: converts", what);
	is_str(cv.folded, want_folded, "%s: stacks and self times", what);
	ok(memcmp(&cv.rep, want, sizeof(*want)) == 0, "%s: repairs counted", what);
	if (json_ok(cv.chrome, "repair") >= 0)
		ok(json_ok(cv.chrome, "repair") == 1, "%s: the JSON's spans nest", what);
	if (memcmp(&cv.rep, want, sizeof(*want)) != 0)
		printf("#   unwound %" PRIu64 " early %" PRIu64 " dropped %" PRIu64 " end %" PRIu64
		       " gap %" PRIu64 " end_dropped %" PRIu64 " deferred %" PRIu64 " deep %" PRIu64
		       " back %" PRIu64 "\n",
		       cv.rep.unwound, cv.rep.exit_early, cv.rep.exit_dropped, cv.rep.open_at_end,
		       cv.rep.open_at_gap, cv.rep.end_dropped, cv.rep.end_deferred, cv.rep.too_deep,
		       cv.rep.time_back);
	tb_free(&b);
}

/* A stream that starts inside a -> b: c returns, b returns, d is called, a returns. */
static void ev_prefix(struct tb *b)
{
	tb_enter(b, 1100, 0xc);
	tb_exit(b, 1110, 0xc);
	tb_exit(b, 1120, 0xb);
	tb_enter(b, 1130, 0xd);
	tb_exit(b, 1140, 0xd);
	tb_exit(b, 1150, 0xa);
}

/* longjmp from c to a: the exits of c and b never come. */
static void ev_longjmp(struct tb *b)
{
	tb_enter(b, 1000, 0xa);
	tb_enter(b, 1010, 0xb);
	tb_enter(b, 1020, 0xc);
	tb_enter(b, 1030, 0xd);
	tb_exit(b, 1040, 0xd);
	tb_exit(b, 1050, 0xa);
}

/* An exit of a function never entered, while a is open. */
static void ev_stray(struct tb *b)
{
	tb_enter(b, 1000, 0xa);
	tb_exit(b, 1010, 0xe);
	tb_exit(b, 1020, 0xa);
}

/* exit() deep in the stack: a and b never return. */
static void ev_open_end(struct tb *b)
{
	tb_enter(b, 1000, 0xa);
	tb_enter(b, 1010, 0xb);
	tb_enter(b, 1020, 0xc);
	tb_exit(b, 1025, 0xc);
}

/* END without a scope; END of a scope with a call open above it. */
static void ev_scopes(struct tb *b)
{
	tb_end_scope(b, 1000);
	tb_begin(b, 1010, 0x5000);
	tb_enter(b, 1020, 0xa);
	tb_end_scope(b, 1030);
	tb_exit(b, 1040, 0xa);
	tb_copy(b, 1050, "copied");
	tb_end_scope(b, 1060);
}

/* Time running backwards (a damaged trace). */
static void ev_time_back(struct tb *b)
{
	tb_enter(b, 1000, 0xa);
	tb_enter(b, 1010, 0xb);
	tb_exit(b, 900, 0xb);
	tb_exit(b, 1020, 0xa);
}

static void test_repairs(void)
{
	struct spans_repairs want;

	memset(&want, 0, sizeof(want));
	want.exit_early = 2;
	/* b = [1100, 1120] holds c; a = [1100, 1150] holds b and d: the call tree is read
	 * again with a and b open from the start, so the paths are the real ones */
	repair_case("stream starting mid-stack", ev_prefix,
		    "0xa 20\n0xa;0xb 10\n0xa;0xb;0xc 10\n0xa;0xd 10\n", &want);

	memset(&want, 0, sizeof(want));
	want.unwound = 2;
	repair_case("longjmp", ev_longjmp,
		    "0xa 10\n0xa;0xb 10\n0xa;0xb;0xc 20\n0xa;0xb;0xc;0xd 10\n", &want);

	memset(&want, 0, sizeof(want));
	want.exit_dropped = 1;
	repair_case("exit without entry", ev_stray, "0xa 20\n", &want);

	memset(&want, 0, sizeof(want));
	want.open_at_end = 2;
	repair_case("open at the end", ev_open_end, "0xa 10\n0xa;0xb 10\n0xa;0xb;0xc 5\n", &want);

	memset(&want, 0, sizeof(want));
	want.end_dropped = 1;
	want.end_deferred = 1;
	repair_case("scope ends", ev_scopes, "copied 10\nscope 10\nscope;0xa 20\n", &want);

	memset(&want, 0, sizeof(want));
	want.time_back = 1;
	repair_case("time running back", ev_time_back, "0xa 20\n", &want);
}

/* Events lost, and a chunk missing: the stack is closed at each gap. */
static void test_gaps(void)
{
	struct tb b;
	static struct conv cv;

	synth_begin(&b);
	tb_events_begin(&b, 100, 0, 0, 0);
	tb_enter(&b, 1000, 0xa);
	tb_enter(&b, 1010, 0xb);
	tb_events_end(&b);
	tb_events_begin(&b, 100, 2, 0, 0); /* seq 1 is missing */
	tb_exit(&b, 2000, 0xb);
	tb_exit(&b, 2010, 0xa);
	tb_enter(&b, 2020, 0xc);
	tb_events_end(&b);
	tb_events_begin(&b, 100, 3, 5, TSF_EF_FINAL); /* 5 events lost before it */
	tb_exit(&b, 3000, 0xc);
	tb_events_end(&b);
	tb_end(&b);
	convert(&b, &cv);
	is_int(cv.rc, 0, "gaps: converts");
	is_int(cv.rep.open_at_gap, 3, "gaps: a, b, then c closed at the gaps");
	is_int(cv.rep.exit_early, 3, "gaps: b, a and c return after a gap");
	/* a [1000,1010] b [1010,1010]; then b [2000,2000], a [2000,2010]; c [2020,2020],
	 * then c [3000,3000] */
	is_str(cv.folded, "0xa 20\n", "gaps: stacks closed at each gap");
	tb_free(&b);
}

static void count_close(void *ctx, const struct spans_frame *stack, size_t depth, uint64_t end)
{
	(void)stack;
	(void)depth;
	(void)end;
	(*(uint64_t *)ctx)++;
}

/* Deeper than SPANS_MAX_DEPTH: ignored, and the exits that match them too. */
static void test_deep(void)
{
	static const struct spans_ops ops = { NULL, count_close, NULL, NULL, NULL };
	struct tb b;
	uint64_t n = SPANS_MAX_DEPTH + 10, t = 1000, spans = 0;
	struct reader *r = NULL;
	struct names *names = names_new();
	struct spans *sp = NULL;

	synth_begin(&b);
	tb_events_begin(&b, 100, 0, 0, TSF_EF_FINAL);
	for (uint64_t i = 0; i < n; i++)
		tb_enter(&b, t++, 0xa);
	for (uint64_t i = 0; i < n; i++)
		tb_exit(&b, t++, 0xa);
	tb_events_end(&b);
	tb_end(&b);
	ok(reader_open_mem(b.p, b.n, &r) == 0 && spans_open(&sp, r, names) == 0,
	   "deep: trace opens");
	if (sp) {
		is_int(spans_run(sp, 0, &ops, &spans), 0, "deep: reads");
		is_int(spans, SPANS_MAX_DEPTH, "deep: every call up to the limit");
		is_int(spans_repairs(sp)->too_deep, 10, "deep: 10 calls beyond the limit ignored");
		is_int(spans_repairs_total(spans_repairs(sp)), 10, "deep: nothing else repaired");
	}
	spans_close(sp);
	names_free(names);
	reader_close(r);
	tb_free(&b);
}

static void test_escape(void)
{
	static const struct {
		const char *in;
		size_t n;
		const char *out;
	} cases[] = {
		{ "plain", 5, "\"plain\"" },
		{ "q\"b\\s/", 6, "\"q\\\"b\\\\s/\"" },
		{ "\n\t\r\x01\x1f\x7f", 6, "\"\\n\\t\\r\\u0001\\u001f\\u007f\"" },
		{ "nul\0in", 6, "\"nul\\u0000in\"" },
		{ "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9,
		  "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"" },
		{ "\xff\xfe", 2, "\"\\ufffd\\ufffd\"" },
		{ "\xc0\xaf", 2, "\"\\ufffd\\ufffd\"" },		       /* overlong '/' */
		{ "\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"" },	       /* a surrogate */
		{ "\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" }, /* > U+10FFFF */
		{ "cut\xe2\x82", 5, "\"cut\\ufffd\\ufffd\"" },
	};
	char buf[128];

	for (size_t i = 0; i < TS_ARRAY_SIZE(cases); i++) {
		size_t n = chrome_escape(buf, cases[i].in, cases[i].n);

		buf[n] = 0;
		is_str(buf, cases[i].out, "JSON escape, case %zu", i);
	}
}

/* Random events of every kind: no crash, spans always nest, repairs add up. */
static void test_random(void)
{
	uint64_t seed = 0x2545f4914f6cdd1dULL;
	int failures = 0, bad_json = 0;

	for (int round = 0; round < 200; round++) {
		struct tb b;
		static struct conv cv;
		uint64_t t = 1000;
		int n = 1 + round * 5;

		synth_begin(&b);
		for (int chunk = 0; chunk < 3; chunk++) {
			tb_events_begin(&b, 100 + (uint32_t)(chunk & 1), (uint64_t)chunk,
					(uint64_t)(round % 3 == 0), chunk == 2 ? TSF_EF_FINAL : 0);
			for (int i = 0; i < n; i++) {
				uint64_t x;

				seed ^= seed << 13;
				seed ^= seed >> 7;
				seed ^= seed << 17;
				x = seed;
				t += (x >> 40) % 3 == 0 ? 0 : (x >> 20) % 50;
				if ((x >> 50) % 17 == 0)
					t -= 30; /* backwards now and then */
				switch (x % 8) {
				case 0:
				case 1:
				case 2:
					tb_enter(&b, t, 0x10 + (x >> 8) % 4);
					break;
				case 3:
				case 4:
				case 5:
					tb_exit(&b, t, 0x10 + (x >> 8) % 5);
					break;
				case 6:
					if ((x >> 8) & 1)
						tb_begin(&b, t, 0x5000);
					else
						tb_copy(&b, t, (x >> 9) & 1 ? "dyn\"\x01" : "d");
					break;
				default:
					if ((x >> 8) & 1)
						tb_end_scope(&b, t);
					else
						tb_counter(&b, t, 0x5200, (int64_t)(x >> 3));
					break;
				}
			}
			tb_events_end(&b);
		}
		tb_end(&b);
		convert(&b, &cv);
		failures += cv.rc != 0;
		if (round % 25 == 0 && strlen(cv.chrome) < sizeof(cv.chrome) - 1)
			bad_json += json_ok(cv.chrome, "random") == 0;
		tb_free(&b);
	}
	is_int(failures, 0, "random events: 200 traces convert, no crash");
	is_int(bad_json, 0, "random events: the JSON's spans always nest");
}

/* ---- part two: real programs ------------------------------------------------------------ */

/* What check-json.py said about a JSON file. */
struct summary {
	int ok;
	char *text;
};

static void check_json(const char *json, struct summary *s)
{
	char script[4200], out[4300], err[4300];
	const char *argv[] = { "/usr/bin/env", "python3", script, json, NULL };

	snprintf(script, sizeof(script), "%s/tests/check-json.py", srcdir);
	snprintf(out, sizeof(out), "%s.sum", json);
	snprintf(err, sizeof(err), "%s.err", json);
	s->ok = run(argv, NULL, out, err) == 0;
	s->text = slurp(out);
	if (!s->ok) {
		char *e = slurp(err);

		printf("# check-json.py: %.500s\n", e);
		free(e);
	}
}

static int json_ok(const char *text, const char *name)
{
	char path[4200];
	struct summary s;
	FILE *f;

	if (!have_python)
		return -1;
	path_of(path, sizeof(path), name);
	strcat(path, ".json");
	f = fopen(path, "w");
	if (!f)
		return 0;
	fputs(text, f);
	fclose(f);
	check_json(path, &s);
	free(s.text);
	unlink(path);
	return s.ok;
}

/* The "span COUNT SELF INCL NAME" line of name (a JSON string); 0 if absent. */
static int span_of(const struct summary *s, const char *name, uint64_t *count, uint64_t *self,
		   uint64_t *incl)
{
	const char *p = s->text, *line;
	long n;

	while ((n = next_line(&p, &line)) >= 0) {
		unsigned long long c, sf, in;
		int at = 0;

		if (sscanf(line, "span %llu %llu %llu %n", &c, &sf, &in, &at) != 3 || !at)
			continue;
		if ((long)strlen(name) == n - at &&
		    strncmp(line + at, name, (size_t)(n - at)) == 0) {
			*count = c;
			*self = sf;
			*incl = in;
			return 1;
		}
	}
	return 0;
}

static int summary_lines(const struct summary *s, const char *prefix)
{
	const char *p = s->text, *line;
	int k = 0;

	while (next_line(&p, &line) >= 0)
		k += strncmp(line, prefix, strlen(prefix)) == 0;
	return k;
}

/* One expected function or scope: its name as check-json.py prints it, and its spans. */
struct want {
	const char *json; /* "\"fib\"" */
	const char *text; /* the name as report and folded print it */
	uint64_t count;
};

/* Sums over lines of `tscope folded` whose last frame is name. */
static uint64_t folded_sum(const char *text, const char *name)
{
	const char *p = text, *line;
	uint64_t sum = 0;
	long n;

	while ((n = next_line(&p, &line)) >= 0) {
		const char *sp = NULL, *leaf = line;

		for (const char *q = line; q < line + n; q++)
			if (*q == ' ')
				sp = q;
		if (!sp)
			continue;
		for (const char *q = line; q < sp; q++)
			if (*q == ';')
				leaf = q + 1;
		if ((size_t)(sp - leaf) == strlen(name) && strncmp(leaf, name, strlen(name)) == 0)
			sum += strtoull(sp + 1, NULL, 10);
	}
	return sum;
}

/* The row of `tscope report --flat --ns` for name: calls, self, incl; 0 if absent. */
static int flat_row(const char *text, const char *name, uint64_t *calls, uint64_t *self,
		    uint64_t *incl)
{
	const char *p = text, *line;
	long n;

	while ((n = next_line(&p, &line)) >= 0) {
		unsigned long long sf, c, in;
		int at = 0;

		if (sscanf(line, "%llu %*s %llu %llu %*s %*s %*s %n", &sf, &c, &in, &at) != 3 ||
		    !at)
			continue;
		if ((long)strlen(name) == n - at &&
		    strncmp(line + at, name, (size_t)(n - at)) == 0) {
			*calls = c;
			*self = sf;
			*incl = in;
			return 1;
		}
	}
	return 0;
}

/* Calls of name summed over the lines of a `tscope report --ns` call tree. */
static uint64_t tree_calls(const char *text, const char *name)
{
	const char *p = text, *line;
	uint64_t sum = 0;
	long n;

	while ((n = next_line(&p, &line)) >= 0) {
		unsigned long long in, sf, c;
		int at = 0;
		const char *s;

		if (sscanf(line, "%llu %llu %llu %*s %*s %n", &in, &sf, &c, &at) != 3 || !at)
			continue;
		s = line + at;
		if (*s == '[') { /* "[depth] name" past the indentation limit */
			s = memchr(s, ' ', (size_t)(line + n - s));
			if (!s)
				continue;
			s++;
		}
		if ((long)strlen(name) == line + n - s && strncmp(s, name, strlen(name)) == 0)
			sum += c;
	}
	return sum;
}

/* The outputs of the three commands on one trace. */
struct outputs {
	int st_chrome, st_report, st_flat, st_folded, st_calls;
	char *err_chrome, *report, *flat, *folded, *calls;
	struct summary sum;
	char json[4200];
};

static void convert_cli(const char *name, const char *const *traces, int ntraces, struct outputs *o)
{
	char out[4200], err[4200];
	const char *argv[16];
	int k;

	memset(o, 0, sizeof(*o));
	path_of(o->json, sizeof(o->json), name);
	strcat(o->json, ".json");
	path_of(err, sizeof(err), name);
	strcat(err, ".chrome.err");
	k = 0;
	argv[k++] = tscope;
	argv[k++] = "chrome";
	argv[k++] = "-o";
	argv[k++] = o->json;
	for (int i = 0; i < ntraces; i++)
		argv[k++] = traces[i];
	argv[k] = NULL;
	o->st_chrome = run(argv, NULL, NULL, err);
	o->err_chrome = slurp(err);

#define RUN_TO(field, status, suffix, ...)                                                         \
	do {                                                                                       \
		const char *head[] = { tscope, __VA_ARGS__ };                                      \
		int j = 0;                                                                         \
		for (size_t h = 0; h < TS_ARRAY_SIZE(head); h++)                                   \
			argv[j++] = head[h];                                                       \
		for (int i = 0; i < ntraces; i++)                                                  \
			argv[j++] = traces[i];                                                     \
		argv[j] = NULL;                                                                    \
		path_of(out, sizeof(out), name);                                                   \
		strcat(out, suffix);                                                               \
		o->status = run(argv, NULL, out, NULL);                                            \
		o->field = slurp(out);                                                             \
	} while (0)

	RUN_TO(report, st_report, ".report", "report", "--ns");
	RUN_TO(flat, st_flat, ".flat", "report", "--flat", "--ns");
	RUN_TO(folded, st_folded, ".folded", "folded");
	RUN_TO(calls, st_calls, ".calls", "folded", "--calls");
#undef RUN_TO
	if (have_python)
		check_json(o->json, &o->sum);
	else
		o->sum.text = calloc(1, 1);
}

static void outputs_free(struct outputs *o)
{
	free(o->err_chrome);
	free(o->report);
	free(o->flat);
	free(o->folded);
	free(o->calls);
	free(o->sum.text);
	unlink(o->json);
}

/*
 * Everything the three outputs must agree on for a program whose spans are exactly
 * want[0 .. n): names, counts, self and inclusive times, nesting.
 */
static void check_outputs(const char *what, struct outputs *o, const struct want *want, int n,
			  int status)
{
	int names_ok = 1, counts_ok = 1, flat_ok = 1, folded_ok = 1, self_ok = 1;

	is_int(o->st_chrome, status, "%s: chrome exit status", what);
	is_int(o->st_report, status, "%s: report exit status", what);
	is_int(o->st_flat, status, "%s: report --flat exit status", what);
	is_int(o->st_folded, status, "%s: folded exit status", what);
	is_int(o->st_calls, status, "%s: folded --calls exit status", what);
	if (!have_python) {
		tap_skip("no python3: JSON not checked");
	} else {
		ok(o->sum.ok, "%s: JSON is strict JSON and spans nest in every thread", what);
		is_int(summary_lines(&o->sum, "span "), n, "%s: %d distinct span names", what, n);
	}
	for (int i = 0; i < n; i++) {
		uint64_t c = 0, self = 0, incl = 0, fc = 0, fs = 0, fi = 0;

		if (have_python) {
			if (!span_of(&o->sum, want[i].json, &c, &self, &incl)) {
				printf("#   no span named %s in the JSON\n", want[i].json);
				names_ok = 0;
				continue;
			}
			if (c != want[i].count) {
				printf("#   %s: %" PRIu64 " spans, want %" PRIu64 "\n",
				       want[i].json, c, want[i].count);
				counts_ok = 0;
			}
		} else {
			c = want[i].count;
		}
		if (!flat_row(o->flat, want[i].text, &fc, &fs, &fi) || fc != want[i].count ||
		    (have_python && (fs != self || fi != incl))) {
			printf("#   report --flat %s: calls %" PRIu64 " self %" PRIu64
			       " incl %" PRIu64 "; JSON %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
			       want[i].text, fc, fs, fi, c, self, incl);
			flat_ok = 0;
		}
		if (folded_sum(o->calls, want[i].text) != want[i].count) {
			printf("#   folded --calls %s: %" PRIu64 "\n", want[i].text,
			       folded_sum(o->calls, want[i].text));
			folded_ok = 0;
		}
		if (have_python && folded_sum(o->folded, want[i].text) != self) {
			printf("#   folded %s: self %" PRIu64 ", JSON %" PRIu64 "\n", want[i].text,
			       folded_sum(o->folded, want[i].text), self);
			self_ok = 0;
		}
		if (tree_calls(o->report, want[i].text) != want[i].count) {
			printf("#   report tree %s: %" PRIu64 " calls\n", want[i].text,
			       tree_calls(o->report, want[i].text));
			counts_ok = 0;
		}
	}
	ok(names_ok, "%s: every span named as in the program", what);
	ok(counts_ok, "%s: span counts exact in the JSON and the call trees", what);
	ok(flat_ok, "%s: report --flat calls, self and incl equal the JSON's", what);
	ok(folded_ok, "%s: folded --calls adds up to the calls", what);
	ok(self_ok, "%s: folded self times equal the JSON's", what);
}

/* Run a traced program: its trace at dir/name.trace, its stdout to out (NULL: none). */
static int trace_run_out(const char *name, const char *const *argv, char *trace, size_t size,
			 const char *out)
{
	char env_out[4300], err[4200];
	const char *env[] = { env_out, "TSCOPE_COMPRESS=none", NULL };

	path_of(trace, size, name);
	strcat(trace, ".trace");
	unlink(trace);
	snprintf(env_out, sizeof(env_out), "TSCOPE_OUTPUT=%s", trace);
	path_of(err, sizeof(err), name);
	strcat(err, ".prog.err");
	return run(argv, env, out, err);
}

static int trace_run(const char *name, const char *const *argv, char *trace, size_t size)
{
	return trace_run_out(name, argv, trace, size, NULL);
}

static char prog[4200], cxx[4200], dlmod[4200], dlmod2[4200];

static void test_fib(void)
{
	static const struct want want[] = {
		{ "\"fib_top\"", "fib_top", 1 },
		{ "\"fib\"", "fib", 1664079 },
	};
	const char *argv[] = { prog, "fib", "29", NULL };
	char trace[4200];
	const char *traces[1] = { trace };
	struct outputs o;

	is_int(trace_run("fib", argv, trace, sizeof(trace)), 0, "fib(29): program runs");
	convert_cli("fib", traces, 1, &o);
	check_outputs("fib(29)", &o, want, 2, 0);
	is_str(o.err_chrome, "", "fib(29): nothing to repair, nothing said");
	is_int(folded_sum(o.calls, "fib"), 1664079, "fib(29): folded --calls: 1,664,079 calls");

	/* the call tree: --depth and --threshold */
	{
		char out[4200];
		const char *a1[] = { tscope, "report", "--depth", "3", trace, NULL };
		const char *a3[] = { tscope, "report", "--thread", "1", trace, NULL };
		char *text;

		path_of(out, sizeof(out), "fib.depth");
		is_int(run(a1, NULL, out, NULL), 0, "fib: report --depth 3 runs");
		text = slurp(out);
		/* process, blank, thread, header, then fib_top, fib, fib: one node per level */
		is_int(count_lines(text), 7, "fib: --depth 3 shows three levels");
		free(text);
		path_of(out, sizeof(out), "fib.thread");
		is_int(run(a3, NULL, NULL, out), 1, "fib: --thread with an unknown tid fails");
		text = slurp(out);
		is_str(text, "tscope: no thread 1 in the trace\n", "fib: ... and says so");
		free(text);
	}
	outputs_free(&o);
}

static void test_lib(void)
{
	static const struct want want[] = {
		{ "\"lib_top\"", "lib_top", 1 },	  { "\"shlib_outer\"", "shlib_outer", 10 },
		{ "\"shlib_inner\"", "shlib_inner", 30 }, { "\"dlmod_entry\"", "dlmod_entry", 5 },
		{ "\"dlmod_leaf\"", "dlmod_leaf", 20 },
	};
	const char *argv[] = { prog, "lib", dlmod, NULL };
	char trace[4200];
	const char *traces[1] = { trace };
	struct outputs o;

	is_int(trace_run("lib", argv, trace, sizeof(trace)), 0, "libraries: program runs");
	convert_cli("lib", traces, 1, &o);
	check_outputs("shared and dlopen'd libraries", &o, want, 5, 0);
	ok(strstr(o.folded, "lib_top;dlmod_entry;dlmod_leaf ") != NULL,
	   "libraries: the dlopen'd module's stack");
	outputs_free(&o);
}

static int copy_file(const char *from, const char *to);

/* A library unloaded, another mapped at its addresses, the first again: every call
 * keeps its own library's name. */
static void test_reload(void)
{
	static const struct want want[] = {
		{ "\"reload_top\"", "reload_top", 1 },	  { "\"dlmod_entry\"", "dlmod_entry", 6 },
		{ "\"dlmod_leaf\"", "dlmod_leaf", 24 },	  { "\"dlmod2_entry\"", "dlmod2_entry", 2 },
		{ "\"dlmod2_leaf\"", "dlmod2_leaf", 6 },
	};
	const char *argv[] = { prog, "reload", dlmod, dlmod2, NULL };
	char trace[4200], out[4200];
	const char *traces[1] = { trace };
	const char *dump[] = { tscope, "dump", trace, NULL };
	char late[4200], *text;
	const char *lates[1] = { late }, *at;
	struct outputs o;
	long off;
	FILE *f;

	path_of(out, sizeof(out), "reload.out");
	is_int(trace_run_out("reload", argv, trace, sizeof(trace), out), 0,
	       "reload: program runs");
	text = slurp(out);
	is_str(text, "same 1\n", "reload: the loader put the three libraries at one address");
	free(text);
	convert_cli("reload", traces, 1, &o);
	check_outputs("reload", &o, want, 5, 0);
	ok(strstr(o.folded, "reload_top;dlmod2_entry;dlmod2_leaf ") != NULL,
	   "reload: the second library's stack");
	is_str(o.err_chrome, "", "reload: nothing to repair or warn about");
	outputs_free(&o);
	path_of(out, sizeof(out), "reload.dump");
	is_int(run(dump, NULL, out, NULL), 0, "reload: dump runs");
	text = slurp(out);
	is_int(count_matches(text, " exact"), 2, "reload: two UNLOAD chunks timed by dlclose()");
	/* The same trace as if the first unload had been noticed late (by a scan): the
	 * first library's calls cannot be told from the second's then, and show as
	 * addresses; the others keep their names. */
	at = strstr(text, " UNLOAD ");
	while (at && at > text && at[-1] != '@')
		at--;
	off = at ? strtol(at, NULL, 10) : -1;
	free(text);
	path_of(late, sizeof(late), "reload-late.trace");
	f = off > 0 && copy_file(trace, late) == 0 ? fopen(late, "r+b") : NULL;
	/* the flags of struct tsf_unload, after the chunk header and three u64 */
	ok(f && fseek(f, off + 16 + 24, SEEK_SET) == 0 && fputc(0, f) == 0 && fclose(f) == 0,
	   "reload: a copy with the first unload untimed");
	convert_cli("reload-late", lates, 1, &o);
	ok(strstr(o.calls, "reload_top;dlmod2_entry;dlmod2_leaf 6\n") &&
		   strstr(o.calls, "reload_top;dlmod_entry;dlmod_leaf 4\n") &&
		   strstr(o.calls, "reload_top;0x") && count_matches(o.calls, "dlmod_leaf") == 1,
	   "reload, first unload untimed: its calls show as addresses, the others named");
	is_int(count_lines(o.err_chrome), 1, "reload, first unload untimed: one warning");
	ok(strstr(o.err_chrome, "libprog-dlmod.so: warning: another object was mapped at its "
				"addresses at a time not recorded") != NULL,
	   "reload, first unload untimed: the warning names the library");
	outputs_free(&o);
}

/* 1000 loads of two libraries in turn at one address: every call named, exactly. */
static void test_reloads(void)
{
	static const struct want want[] = {
		{ "\"reloads_top\"", "reloads_top", 1 },	  { "\"dlmod_entry\"", "dlmod_entry", 500 },
		{ "\"dlmod_leaf\"", "dlmod_leaf", 1500 },	  { "\"dlmod2_entry\"", "dlmod2_entry", 500 },
		{ "\"dlmod2_leaf\"", "dlmod2_leaf", 1500 },
	};
	const char *argv[] = { prog, "reloads", "1000", dlmod, dlmod2, NULL };
	char trace[4200];
	const char *traces[1] = { trace };
	struct outputs o;

	is_int(trace_run("reloads", argv, trace, sizeof(trace)), 0, "1000 reloads: program runs");
	convert_cli("reloads", traces, 1, &o);
	check_outputs("1000 reloads", &o, want, 5, 0);
	is_str(o.err_chrome, "", "1000 reloads: nothing to repair or warn about");
	outputs_free(&o);
}

static void test_longjmp(void)
{
	static const struct want want[] = {
		{ "\"jmp_top\"", "jmp_top", 1 },     { "\"jmp_a\"", "jmp_a", 5 },
		{ "\"jmp_b\"", "jmp_b", 5 },	     { "\"jmp_c\"", "jmp_c", 5 },
		{ "\"jmp_after\"", "jmp_after", 2 },
	};
	const char *argv[] = { prog, "longjmp", NULL };
	char trace[4200];
	const char *traces[1] = { trace };
	struct outputs o;

	is_int(trace_run("longjmp", argv, trace, sizeof(trace)), 0, "longjmp: program runs");
	convert_cli("longjmp", traces, 1, &o);
	check_outputs("longjmp", &o, want, 5, 0);
	ok(strstr(o.err_chrome, "trace: repaired 15 unbalanced calls (15 left by longjmp") != NULL,
	   "longjmp: the 15 calls left by longjmp are repaired, and stderr says so");
	is_int(count_lines(o.err_chrome), 1, "longjmp: in one line");
	outputs_free(&o);
}

static void test_threads(void)
{
	static const struct want want[] = {
		{ "\"main_work\"", "main_work", 1 },
		{ "\"work\"", "work", 4 },
		{ "\"leaf\"", "leaf", 7 + 1000 + 2000 + 3000 + 4000 },
	};
	const char *argv[] = { prog, "threads", NULL };
	char trace[4200];
	const char *traces[1] = { trace };
	struct outputs o;
	int named = 0, sized = 0;

	is_int(trace_run("threads", argv, trace, sizeof(trace)), 0, "threads: program runs");
	convert_cli("threads", traces, 1, &o);
	check_outputs("4 threads", &o, want, 3, 0);
	if (!have_python) {
		tap_skip("no python3");
		tap_skip("no python3");
	} else {
		/* each worker-K has work + 1000 (K + 1) leaf spans */
		const char *p = o.sum.text, *line;

		while (next_line(&p, &line) >= 0) {
			unsigned pid, tid, k;
			unsigned long long n;
			const char *q;
			char key[64];

			if (sscanf(line, "thread %u %u \"worker-%u\"", &pid, &tid, &k) != 3)
				continue;
			named++;
			snprintf(key, sizeof(key), "threadspans %u %u ", pid, tid);
			q = strstr(o.sum.text, key);
			if (q && sscanf(q + strlen(key), "%llu", &n) == 1 &&
			    n == 1 + 1000 * (k + 1))
				sized++;
		}
		is_int(named, 4, "threads: 4 threads named worker-0..3 in the JSON");
		is_int(sized, 4, "threads: each worker's spans are its own");
	}
	is_int(summary_lines(&o.sum, "thread ") - 1, have_python ? 4 : -1,
	       "threads: and the main thread");
	outputs_free(&o);
}

static void test_exit_deep(void)
{
	static const struct want want[] = {
		{ "\"leaf\"", "leaf", 5 },
		{ "\"deep\"", "deep", 11 },
	};
	const char *argv[] = { prog, "exit-deep", NULL };
	char trace[4200];
	const char *traces[1] = { trace };
	struct outputs o;

	is_int(trace_run("exit-deep", argv, trace, sizeof(trace)), 0, "exit-deep: program runs");
	convert_cli("exit-deep", traces, 1, &o);
	check_outputs("exit() deep in the stack", &o, want, 2, 0);
	ok(strstr(o.err_chrome, "repaired 11 unbalanced calls (11 still open at the end") != NULL,
	   "exit-deep: the 11 open calls are closed, and stderr says so");
	outputs_free(&o);
}

static void test_names(void)
{
	static const struct want want[] = {
		{ "\"names_fn\"", "names_fn", 1 },
		{ "\"quote\\\"back\\\\slash\"", "quote\"back\\slash", 1 },
		{ "\"ctl\\u0001\\ttab\\nnl\"", "ctl\\x01\\x09tab\\x0anl", 1 },
		{ "\"bad\\ufffd\\ufffdutf8\"", "bad\xff\xfeutf8", 1 },
		{ "\"semi;colon\"", "semi;colon", 1 },
		{ "\"\\u00e9\\u20ac\\ud83d\\ude00\"", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 1 },
	};
	const char *argv[] = { prog, "names", NULL };
	char trace[4200];
	const char *traces[1] = { trace };
	struct outputs o;

	is_int(trace_run("names", argv, trace, sizeof(trace)), 0, "names: program runs");
	convert_cli("names", traces, 1, &o);
	/* report escapes control characters; folded writes ';' as ':' and them as '?' */
	{
		int n = 0;

		is_int(o.st_chrome, 0, "names: chrome exit status");
		if (have_python) {
			ok(o.sum.ok, "names: JSON is strict JSON, every name escaped");
			for (size_t i = 0; i < TS_ARRAY_SIZE(want); i++) {
				uint64_t c = 0, s, in;

				n += span_of(&o.sum, want[i].json, &c, &s, &in) && c == 1;
			}
			is_int(n, 6, "names: every name comes back from the JSON intact");
			ok(strstr(o.sum.text, "instant 1 \"inst\\\"ant\"\n") != NULL,
			   "names: the instant");
			ok(strstr(o.sum.text, "counter 2 42 \"cnt\\\\\"\n") != NULL,
			   "names: the counter's two samples");
		} else {
			tap_skip("no python3");
		}
		n = 0;
		for (size_t i = 0; i < 3; i++) {
			uint64_t c = 0, s, in;

			n += flat_row(o.flat, want[i].text, &c, &s, &in) && c == 1;
		}
		is_int(n, 3, "names: report shows names, control characters escaped");
		ok(strstr(o.calls, "names_fn;quote\"back\\slash;semi:colon 1\n") != NULL,
		   "names: folded writes ';' in a name as ':'");
		ok(strstr(o.calls, "names_fn;quote\"back\\slash;ctl??tab?nl 1\n") != NULL,
		   "names: folded writes control characters as '?'");
	}
	outputs_free(&o);
}

static void test_cxx(void)
{
	static const struct want want[] = {
		{ "\"geo::run()\"", "geo::run()", 1 },
		{ "\"geo::Box<int>::area() const\"", "geo::Box<int>::area() const", 3 },
		{ "\"geo::Box<double>::area() const\"", "geo::Box<double>::area() const", 2 },
		{ "\"geo::Box<int>::operator+(geo::Box<int> const&) const\"",
		  "geo::Box<int>::operator+(geo::Box<int> const&) const", 1 },
		{ "\"geo::thrower(int)\"", "geo::thrower(int)", 12 },
		{ "\"geo::catcher()\"", "geo::catcher()", 3 },
		{ "\"geo::(anonymous namespace)::hidden(int)\"",
		  "geo::(anonymous namespace)::hidden(int)", 2 },
	};
	const char *argv[] = { cxx, NULL };
	char trace[4200];
	const char *traces[1] = { trace };
	struct outputs o;

	is_int(trace_run("cxx", argv, trace, sizeof(trace)), 0, "C++: program runs");
	convert_cli("cxx", traces, 1, &o);
	check_outputs("C++ (demangled, exceptions)", &o, want, 7, 0);
	ok(strstr(o.folded, "geo::run();geo::catcher();geo::thrower(int);geo::thrower(int);"
			    "geo::thrower(int);geo::thrower(int) ") != NULL,
	   "C++: the exception's frames nest under catcher()");
	outputs_free(&o);
}

/* A process and the child it forked: two files, one timeline, their real pids. */
static void test_fork(void)
{
	char calls[4200], trace[4200], child[4300], out[4200], *text;
	const char *argv[] = { calls, "fork", NULL };
	const char *traces[2] = { trace, child };
	struct outputs o;
	pid_t kid = 0;
	const char *p;

	snprintf(calls, sizeof(calls), "%s/tests/prog-calls", top);
	{
		char env_out[4300];
		const char *env[] = { env_out, NULL };

		path_of(trace, sizeof(trace), "fork.trace");
		snprintf(env_out, sizeof(env_out), "TSCOPE_OUTPUT=%s", trace);
		path_of(out, sizeof(out), "fork.out");
		is_int(run(argv, env, out, NULL), 0, "fork: program runs");
	}
	text = slurp(out);
	p = strstr(text, "val child ");
	if (p)
		kid = (pid_t)atoi(p + 10);
	free(text);
	snprintf(child, sizeof(child), "%s.%d", trace, (int)kid);
	convert_cli("fork", traces, 2, &o);
	is_int(o.st_chrome, 0, "fork: two files convert");
	if (have_python) {
		char key[64];

		ok(o.sum.ok, "fork: JSON is valid, spans nest");
		is_int(summary_lines(&o.sum, "process "), 2, "fork: two processes");
		snprintf(key, sizeof(key), "process %d \"prog-calls\"", (int)kid);
		ok(strstr(o.sum.text, key) != NULL, "fork: the child with its real pid");
		ok(strstr(o.sum.text, "span 35 ") != NULL, "fork: 15 + 20 calls of leaf");
	} else {
		tap_skip("no python3");
	}
	is_int(folded_sum(o.calls, "leaf"), 35, "fork: folded adds both processes up");
	ok(strstr(o.report, "\nprocess ") != NULL && strstr(o.report, "process ") == o.report,
	   "fork: report shows both processes");
	outputs_free(&o);
	unlink(child);
}

/* Copy a file, executable; 0 or -1. */
static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY), out;
	ssize_t n;

	unlink(to);
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (in < 0 || out < 0) {
		if (in >= 0)
			close(in);
		if (out >= 0)
			close(out);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			n = -1;
	close(in);
	return close(out) == 0 && n == 0 ? 0 : -1;
}

/* The traced binary replaced or removed before conversion: addresses, a warning. */
static void test_binary_gone(void)
{
	char copy[4200], trace[4200], out[4200], err[4200], *text, *warn;
	const char *argv[] = { copy, "fib", "10", NULL };
	const char *fo[] = { tscope, "folded", trace, NULL };

	path_of(copy, sizeof(copy), "prog-copy");
	path_of(out, sizeof(out), "gone.out");
	path_of(err, sizeof(err), "gone.err");
	if (copy_file(prog, copy) < 0) {
		tap_skip("cannot copy the test program");
		return;
	}
	is_int(trace_run("gone", argv, trace, sizeof(trace)), 0, "changed binary: program runs");

	/* another program in its place: another build id */
	ok(copy_file(cxx, copy) == 0, "changed binary: replaced");
	is_int(run(fo, NULL, out, err), 0, "changed binary: folded exit 0 (a warning)");
	text = slurp(out);
	warn = slurp(err);
	ok(strstr(text, "fib") == NULL && strstr(text, "geo::") == NULL &&
	       strncmp(text, "0x", 2) == 0 && strstr(text, ";0x"),
	   "changed binary: addresses instead of names, never wrong names");
	ok(strstr(warn, "prog-copy: warning: build id differs from the recorded one; its "
			"functions are shown as addresses\n") != NULL,
	   "changed binary: a warning names the file");
	free(text);
	free(warn);

	/* gone */
	unlink(copy);
	is_int(run(fo, NULL, out, err), 0, "missing binary: folded exit 0 (a warning)");
	text = slurp(out);
	warn = slurp(err);
	ok(strncmp(text, "0x", 2) == 0 && strstr(text, "fib") == NULL,
	   "missing binary: addresses instead of names");
	ok(strstr(warn, "prog-copy: warning: cannot read: No such file or directory; its") != NULL,
	   "missing binary: a warning names the file");
	is_int(count_lines(warn), 1, "missing binary: one warning for the file");
	free(text);
	free(warn);
}

/* ---- part three: bad input, bad usage ---------------------------------------------------- */

static void test_bad_input(void)
{
	static const char *const cmds[] = { "chrome", "report", "folded" };
	char empty[4200], garbage[4200], trunc[4200], fib[4200], err[4200], out[4200];
	char threads[4200];
	char *text;
	FILE *f;

	path_of(empty, sizeof(empty), "empty.trace");
	path_of(garbage, sizeof(garbage), "garbage.trace");
	path_of(trunc, sizeof(trunc), "trunc.trace");
	path_of(fib, sizeof(fib), "fib.trace");
	path_of(threads, sizeof(threads), "threads.trace");
	path_of(err, sizeof(err), "bad.err");
	path_of(out, sizeof(out), "bad.out");
	f = fopen(empty, "w");
	if (f)
		fclose(f);
	f = fopen(garbage, "w");
	if (f) {
		uint64_t x = 88172645463325252ULL;

		for (int i = 0; i < 65536; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			fputc((int)(x & 0xff), f);
		}
		fclose(f);
	}
	for (size_t c = 0; c < TS_ARRAY_SIZE(cmds); c++) {
		const char *a_empty[] = { tscope, cmds[c], empty, NULL };
		const char *a_garbage[] = { tscope, cmds[c], garbage, NULL };
		const char *a_missing[] = { tscope, cmds[c], "/nonexistent/x.trace", NULL };
		const char *a_none[] = { tscope, cmds[c], NULL };
		const char *a_opt[] = { tscope, cmds[c], "--bogus", fib, NULL };
		const char *a_help[] = { tscope, cmds[c], "--help", NULL };
		const char *a_version[] = { tscope, cmds[c], "--version", NULL };

		is_int(run(a_empty, NULL, out, err), 1, "%s: empty file: exit 1", cmds[c]);
		text = slurp(err);
		ok(strstr(text, "empty.trace: empty file, not a tscope trace") != NULL &&
		       count_lines(text) == 1,
		   "%s: empty file: one line naming the file", cmds[c]);
		free(text);
		is_int(run(a_garbage, NULL, out, err), 1, "%s: random bytes: exit 1", cmds[c]);
		text = slurp(err);
		ok(strstr(text, "garbage.trace: not a tscope trace") != NULL &&
		       count_lines(text) == 1,
		   "%s: random bytes: one line naming the file", cmds[c]);
		free(text);
		is_int(run(a_missing, NULL, out, err), 1, "%s: missing file: exit 1", cmds[c]);
		is_int(run(a_none, NULL, out, err), 2, "%s: no file: exit 2", cmds[c]);
		is_int(run(a_opt, NULL, out, err), 2, "%s: unknown option: exit 2", cmds[c]);
		is_int(run(a_help, NULL, out, err), 0, "%s: --help: exit 0", cmds[c]);
		text = slurp(out);
		ok(strncmp(text, "Usage: tscope ", 14) == 0, "%s: --help prints the usage",
		   cmds[c]);
		free(text);
		is_int(run(a_version, NULL, out, err), 0, "%s: --version: exit 0", cmds[c]);
	}
	{
		const char *a[] = { tscope, "report", "--sort", "size", fib, NULL };
		const char *b[] = { tscope, "report", "--threshold", "200", fib, NULL };

		is_int(run(a, NULL, out, err), 2, "report --sort size: exit 2");
		is_int(run(b, NULL, out, err), 2, "report --threshold 200: exit 2");
	}

	/* truncated: what is there is converted, the JSON is complete, exit 1 */
	{
		uint64_t size = file_size(threads);
		uint64_t cuts[] = { 64 + 5, size / 3, size / 2 + 7, size - 1 };

		for (size_t k = 0; k < TS_ARRAY_SIZE(cuts); k++) {
			char json[4300];
			const char *a[] = { tscope, "chrome", "-o", json, trunc, NULL };
			const char *r[] = { tscope, "report", trunc, NULL };
			const char *fo[] = { tscope, "folded", trunc, NULL };
			struct summary s;
			char *data = slurp(threads);

			f = fopen(trunc, "w");
			if (f) {
				fwrite(data, 1, cuts[k], f);
				fclose(f);
			}
			free(data);
			snprintf(json, sizeof(json), "%s.json", trunc);
			is_int(run(a, NULL, NULL, err), 1,
			       "truncated at %" PRIu64 ": chrome exit 1", cuts[k]);
			text = slurp(err);
			ok(strstr(text, "trunc.trace: trace is truncated at byte") != NULL,
			   "truncated at %" PRIu64 ": says so", cuts[k]);
			free(text);
			if (have_python) {
				check_json(json, &s);
				ok(s.ok, "truncated at %" PRIu64 ": the JSON is still complete",
				   cuts[k]);
				free(s.text);
			}
			is_int(run(r, NULL, out, err), 1, "truncated: report exit 1");
			is_int(run(fo, NULL, out, err), 1, "truncated: folded exit 1");
			unlink(json);
		}
	}

	/* damaged: bytes flipped anywhere; every command ends normally, the JSON is whole */
	{
		uint64_t x = 0x9e3779b97f4a7c15ULL;
		char *data = slurp(threads);
		size_t size = (size_t)file_size(threads);
		int crashed = 0, bad_status = 0, bad_json = 0;

		for (int round = 0; round < 12 && size > 64; round++) {
			char json[4300];
			const char *a[] = { tscope, "chrome", "-o", json, trunc, NULL };
			const char *r[] = { tscope, "report", "--flat", trunc, NULL };
			const char *fo[] = { tscope, "folded", "--tid", trunc, NULL };
			char *copy = malloc(size);
			int st;

			memcpy(copy, data, size);
			for (int k = 0; k < 4 << (round % 6); k++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				/* the header now and then, else anywhere */
				copy[round % 4 == 0 ? x % 64 : x % size] ^= (char)(1u << (x >> 61));
			}
			f = fopen(trunc, "w");
			if (f) {
				fwrite(copy, 1, size, f);
				fclose(f);
			}
			free(copy);
			snprintf(json, sizeof(json), "%s.json", trunc);
			st = run(a, NULL, NULL, err);
			crashed += st >= 128;
			bad_status += st != 0 && st != 1;
			if (st <= 1 && file_size(json) && have_python) {
				struct summary sm;

				check_json(json, &sm);
				bad_json += !sm.ok;
				free(sm.text);
			}
			st = run(r, NULL, out, err);
			crashed += st >= 128;
			bad_status += st != 0 && st != 1;
			st = run(fo, NULL, out, err);
			crashed += st >= 128;
			bad_status += st != 0 && st != 1;
			unlink(json);
		}
		free(data);
		is_int(crashed, 0, "damaged traces: no crash in 36 conversions");
		is_int(bad_status, 0, "damaged traces: exit status 0 or 1");
		is_int(bad_json, 0, "damaged traces: the JSON is always whole and nested");
	}

	/* outputs: never over an input, never through a symbolic link */
	{
		char link[4200];
		uint64_t before = file_size(fib);
		const char *a[] = { tscope, "chrome", "-o", fib, fib, NULL };
		const char *b[] = { tscope, "folded", "-o", link, fib, NULL };

		is_int(run(a, NULL, out, err), 1, "chrome -o INPUT: refused");
		is_int(file_size(fib), before, "chrome -o INPUT: the input is intact");
		path_of(link, sizeof(link), "link.json");
		unlink(link);
		if (symlink(out, link) == 0) {
			is_int(run(b, NULL, NULL, err), 1, "folded -o SYMLINK: refused");
			unlink(link);
		} else {
			tap_skip("cannot make a symbolic link");
		}
	}
	unlink(empty);
	unlink(garbage);
	unlink(trunc);
	unlink(err);
	unlink(out);
}

int main(void)
{
	const char *b = getenv("top_builddir"), *s = getenv("top_srcdir");
	const char *py[] = { "/usr/bin/env", "python3", "-c", "import json", NULL };

	snprintf(top, sizeof(top), "%s", b ? b : ".");
	snprintf(srcdir, sizeof(srcdir), "%s", s ? s : ".");
	snprintf(dir, sizeof(dir), "%s/tests/tmp-convert", top);
	mkdir(dir, 0777);
	snprintf(tscope, sizeof(tscope), "%s/tools/tscope", top);
	snprintf(prog, sizeof(prog), "%s/tests/prog-conv", top);
	snprintf(cxx, sizeof(cxx), "%s/tests/prog-cxx", top);
	snprintf(dlmod, sizeof(dlmod), "%s/tests/.libs/libprog-dlmod.so", top);
	snprintf(dlmod2, sizeof(dlmod2), "%s/tests/.libs/libprog-dlmod2.so", top);
	have_python = run(py, NULL, NULL, NULL) == 0;

	test_balanced();
	test_repairs();
	test_gaps();
	test_deep();
	test_escape();
	test_random();

	test_fib();
	test_lib();
	test_reload();
	test_reloads();
	test_longjmp();
	test_threads();
	test_exit_deep();
	test_names();
	test_cxx();
	test_fork();
	test_binary_gone();
	test_bad_input();
	return done();
}
