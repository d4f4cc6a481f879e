/* SPDX-License-Identifier: MIT */
/*
 * test-convert-synth.c - the spans layer and the exporters on traces built byte by byte
 * (tests/trace-build.h, CLOCK_MONOTONIC so that ticks are ns): each repair of an
 * unbalanced stream, the folded, JSON, report and pprof output to the byte, JSON
 * escaping, and random events that must not crash anything.  Each case runs in a child
 * of its own (tests/runner.h): `tests/test-convert-synth --list` lists them.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tscope.h"
#include "reader.h"
#include "spans.h"
#include "report.h"
#include "export.h"
#include "inflate-fixed.h"
#include "trace-build.h"
#include "convert.h"
#include "runner.h"

/* Is text a valid, nested `tscope chrome` document?  1, 0, or -1 without python3. */
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
	       "self   self%  calls  incl   avg   min   p50   p90   p99   max  function\n"
	       "  30   50.0%      1    60    60    60    60    60    60    60  0x401000\n"
	       "  15   25.0%      1    20    20    20    20    20    20    20  0x402000\n"
	       "  10   16.7%      1    10    10    10    10    10    10    10  0x403000\n"
	       "   5    8.3%      1     5     5     5     5     5     5     5  scope\n",
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

/* ---- Perfetto protobuf ------------------------------------------------------------------ */

/* One field of a protobuf message: its number, wire type, and value or bytes. */
struct pb_field {
	unsigned num, wire;
	uint64_t v;
	const unsigned char *s;
	size_t n;
};

static uint64_t pb_varint(const unsigned char **p, const unsigned char *e, int *bad)
{
	uint64_t v = 0;

	for (unsigned shift = 0; *p < e && shift < 64; shift += 7) {
		unsigned char b = *(*p)++;

		v |= (uint64_t)(b & 0x7f) << shift;
		if (b < 0x80)
			return v;
	}
	*bad = 1;
	return 0;
}

/* The next field of the message [*p, e): 1, 0 at its end, -1 if it is malformed. */
static int pb_next(const unsigned char **p, const unsigned char *e, struct pb_field *f)
{
	int bad = 0;
	uint64_t tag;

	if (*p >= e)
		return 0;
	tag = pb_varint(p, e, &bad);
	f->num = (unsigned)(tag >> 3);
	f->wire = (unsigned)(tag & 7);
	f->s = *p; /* an empty message, for a varint */
	f->n = 0;
	f->v = 0;
	if (f->wire == 0) {
		f->v = pb_varint(p, e, &bad);
	} else if (f->wire == 2) {
		f->n = (size_t)pb_varint(p, e, &bad);
		f->s = *p;
		if (bad || f->n > (size_t)(e - *p))
			return -1;
		*p += f->n;
	} else {
		return -1;
	}
	return bad ? -1 : 1;
}

/* Append to out (size bytes, NUL-terminated). */
static void say(char *out, size_t size, const char *fmt, ...) TS_PRINTF(3, 4);
static void say(char *out, size_t size, const char *fmt, ...)
{
	size_t len = strlen(out);
	va_list ap;

	va_start(ap, fmt);
	if (len < size)
		vsnprintf(out + len, size - len, fmt, ap);
	va_end(ap);
}

/* A track descriptor as a line: "track U process PID NAME", "track U thread PID TID
 * NAME", "track U counter PARENT NAME". */
static void pf_track(const unsigned char *p, const unsigned char *e, char *out, size_t size)
{
	struct pb_field f, g;
	uint64_t uuid = 0, parent = 0, pid = 0, tid = 0;
	const char *kind = "?";
	char name[256] = "";

	while (pb_next(&p, e, &f) > 0) {
		const unsigned char *q = f.s, *qe = f.s + f.n;

		if (f.num == 1)
			uuid = f.v;
		else if (f.num == 5)
			parent = f.v;
		else if (f.num == 2)
			snprintf(name, sizeof(name), "%.*s", (int)f.n, (const char *)f.s);
		else if (f.num == 8)
			kind = "counter";
		else if (f.num == 3 || f.num == 4)
			kind = f.num == 3 ? "process" : "thread";
		if (f.num != 3 && f.num != 4)
			continue;
		while (pb_next(&q, qe, &g) > 0) {
			if (g.num == 1)
				pid = g.v;
			else if (g.num == 2 && f.num == 4)
				tid = g.v;
			else if (g.num == 6 || g.num == 5)
				snprintf(name, sizeof(name), "%.*s", (int)g.n, (const char *)g.s);
		}
	}
	if (strcmp(kind, "counter") == 0)
		say(out, size, "track %" PRIu64 " counter %" PRIu64 " %s\n", uuid, parent, name);
	else if (strcmp(kind, "thread") == 0)
		say(out, size, "track %" PRIu64 " thread %" PRIu64 " %" PRIu64 " %s\n", uuid, pid,
		    tid, name);
	else
		say(out, size, "track %" PRIu64 " %s %" PRIu64 " %s\n", uuid, kind, pid, name);
}

/*
 * A `tscope perfetto` output as text, one line per packet: its tracks, "seq S track U"
 * where a sequence starts, then its events with their times (from the sequence's clock)
 * and names (through its interned names): "B t name", "E t", "I t name", "C t track
 * value"; then "pads N" for N empty packets.  What breaks the rules of the format (an
 * iid not defined, a packet of another sequence) is an "error" line.
 */
static void pf_text(const unsigned char *buf, size_t n, char *out, size_t size)
{
	static char names[4096][64];
	const unsigned char *p = buf, *e = buf + n;
	struct pb_field pk, f, g, h;
	uint64_t seq = 0, t = 0, pads = 0;
	uint64_t seen = 0; /* names defined on the sequence: iids 1 .. seen */
	int r;

	out[0] = 0;
	while ((r = pb_next(&p, e, &pk)) > 0) {
		const unsigned char *q = pk.s, *qe = pk.s + pk.n;
		uint64_t pseq = 0, flags = 0, ts = 0, type = 0, iid = 0, track = 0, value = 0;
		int has_ts = 0, has_event = 0;

		if (pk.num != 1) {
			say(out, size, "error: field %u in the Trace\n", pk.num);
			return;
		}
		if (!pk.n) {
			pads++;
			continue;
		}
		while (pb_next(&q, qe, &f) > 0) {
			const unsigned char *s = f.s, *se = f.s + f.n;

			if (f.num == 60)
				pf_track(f.s, f.s + f.n, out, size);
			else if (f.num == 10)
				pseq = f.v;
			else if (f.num == 13)
				flags = f.v;
			else if (f.num == 8)
				ts = f.v, has_ts = 1;
			if (f.num == 11) {
				has_event = 1;
				while (pb_next(&s, se, &g) > 0) {
					if (g.num == 9)
						type = g.v;
					else if (g.num == 10)
						iid = g.v;
					else if (g.num == 11)
						track = g.v;
					else if (g.num == 30)
						value = g.v;
				}
			}
			if (f.num != 12)
				continue;
			while (pb_next(&s, se, &g) > 0) { /* event_names { iid, name } */
				const unsigned char *u = g.s, *ue = g.s + g.n;
				uint64_t id = 0;
				char name[64] = "";

				while (g.num == 2 && pb_next(&u, ue, &h) > 0) {
					if (h.num == 1)
						id = h.v;
					else if (h.num == 2)
						snprintf(name, sizeof(name), "%.*s", (int)h.n,
							 (const char *)h.s);
				}
				if (id != seen + 1 || id >= TS_ARRAY_SIZE(names))
					say(out, size, "error: iid %" PRIu64 " after %" PRIu64 "\n",
					    id, seen);
				else
					strcpy(names[seen++ + 1], name);
			}
		}
		if (flags & 1) {
			seq = pseq;
			t = 0;
			say(out, size, "seq %" PRIu64 "\n", seq);
		} else if (pseq && pseq != seq) {
			say(out, size, "error: packet of sequence %" PRIu64 ", flags %" PRIu64 "\n",
			    pseq, flags);
		}
		if (flags & 1)
			seen = 0;
		if (has_ts)
			t += ts;
		if (!has_event)
			continue;
		if ((type == 1 || type == 3) && (!iid || iid > seen)) {
			say(out, size, "error: iid %" PRIu64 " not defined\n", iid);
			continue;
		}
		if (type == 1 || type == 3)
			say(out, size, "%c %" PRIu64 " %s\n", type == 1 ? 'B' : 'I', t, names[iid]);
		else if (type == 2)
			say(out, size, "E %" PRIu64 "\n", t);
		else
			say(out, size, "C %" PRIu64 " %" PRIu64 " %" PRId64 "\n", t, track,
			    (int64_t)value);
	}
	if (r < 0)
		say(out, size, "error: malformed\n");
	if (pads)
		say(out, size, "pads %" PRIu64 "\n", pads);
}

/* Each top-level packet of a perfetto output in hex, one line each. */
static void pf_hex(const unsigned char *buf, size_t n, char *out, size_t size)
{
	const unsigned char *p = buf, *e = buf + n, *start = buf;
	struct pb_field f;

	out[0] = 0;
	while (pb_next(&p, e, &f) > 0) {
		for (; start < p; start++)
			say(out, size, "%02x", *start);
		say(out, size, "\n");
	}
}

/* The file run_perfetto() last read, as written (compressed). */
static unsigned char pf_file[4 << 20];
static size_t pf_file_n;

/*
 * The packets of a perfetto output, each packet of compressed_packets (field 50)
 * replaced by those its zlib stream holds (inflate_fixed()), into out.  Returns their
 * length, or -1 when a stream or a packet is broken.
 */
static long pf_inflate(const unsigned char *buf, size_t n, unsigned char *out, size_t size)
{
	const unsigned char *p = buf, *e = buf + n, *start = buf;
	struct pb_field pk, f;
	size_t m = 0;
	int r;

	while ((r = pb_next(&p, e, &pk)) > 0) {
		const unsigned char *q = pk.s, *qe = pk.s + pk.n;
		long k;

		if (pb_next(&q, qe, &f) > 0 && f.num == 50) {
			if (q != qe || (k = inflate_fixed(f.s, f.n, out + m, size - m)) < 0)
				return -1;
			m += (size_t)k;
		} else {
			if ((size_t)(p - start) > size - m)
				return -1;
			memcpy(out + m, start, (size_t)(p - start));
			m += (size_t)(p - start);
		}
		start = p;
	}
	return r < 0 ? -1 : (long)m;
}

/*
 * Run the perfetto exporter on the trace in b, o's options, into a file: a regular one
 * (it can seek), or one opened with O_APPEND (it cannot: the thread is held in
 * memory).  The packets, inflated, go to out (*n bytes; the file in pf_file), the
 * warning to warn.  Returns the status (-300: the file does not inflate).
 */
static int run_perfetto(struct tb *b, struct perfetto_opts *o, int append, unsigned char *out,
			size_t size, size_t *n, char *warn, size_t wsize)
{
	const struct exporter *e = export_find("perfetto");
	struct reader *r = NULL;
	struct names *names = names_new();
	struct spans *sp = NULL;
	char path[4200];
	void *x = NULL;
	int rc = -100, fd;
	FILE *f;

	*n = 0;
	warn[0] = 0;
	path_of(path, sizeof(path), "out.pftrace");
	unlink(path);
	fd = open(path, O_RDWR | O_CREAT | (append ? O_APPEND : 0), 0644);
	f = fd < 0 ? NULL : fdopen(fd, "w+");
	if (!e || !f || !names || reader_open_mem(b->p, b->n, &r) || spans_open(&sp, r, names))
		goto out;
	e->prepare(o, &sp, 1);
	rc = e->open(&x, f, o, names);
	if (!rc) {
		rc = e->add(x, sp);
		e->warning(x, warn, wsize);
		rc |= e->finish(x);
	}
	fflush(f);
	rc |= ferror(f) ? -200 : 0;
	rewind(f);
	pf_file_n = fread(pf_file, 1, sizeof(pf_file), f);
	{
		long k = pf_inflate(pf_file, pf_file_n, out, size);

		*n = k < 0 ? 0 : (size_t)k;
		rc |= k < 0 ? -300 : 0;
	}
out:
	if (f)
		fclose(f);
	else if (fd >= 0)
		close(fd);
	spans_close(sp);
	names_free(names);
	reader_close(r);
	return rc;
}

/* The balanced trace of test_balanced() to the byte, seekable or not. */
static void test_perfetto_exact(void)
{
	/* the bytes, one packet a line: Trace.packet (0a, length), then its fields */
	static const char want[] =
	    /* track_descriptor (e203) { uuid 2, process (1a) { pid 100, process_name } } */
	    "0a10e2030d08021a0908643205"
	    "73796e7468\n"
	    /* track_descriptor { uuid 1, thread (22) { pid 100, tid 100, thread_name } } */
	    "0a11e2030e0801220a086410642a04"
	    "6d61696e\n"
	    /* sequence 1 (5001), INCREMENTAL_STATE_CLEARED (6801), trace_packet_defaults
	     * (da03) { timestamp_clock_id 64 (d00340), track_event_defaults { track 1 } },
	     * clock_snapshot (32) { { clock 64, 0, incremental }, { BOOTTIME (6), 0 } } */
	    "0a1e50016801da0307d003405a025801320e0a06084010001801"
	    "0a0408061000\n"
	    /* timestamp +0 (4000), track_event (5a) { SLICE_BEGIN (4801), name_iid 1 },
	     * interned_data (62) { event_names { iid 1, name } }, sequence 1 */
	    "0a1a40005a0448015001620e120c080112083078343031303030"
	    "5001\n"
	    "0a1a400a5a0448015002620e120c080212083078343032303030"
	    "5001\n"
	    /* +2: INSTANT (4803) "mark" */
	    "0a1640025a0448035003620a1208080312046d61726b"
	    "5001\n"
	    "0a1740035a0448015004620b1209080412057363"
	    "6f70655001\n"
	    /* +5: SLICE_END (4802) */
	    "0a0840055a024802"
	    "5001\n"
	    /* the counter's track: { uuid 3, parent 2 (2802), name "level", counter {} } */
	    "0a10e2030d0803280212056c6576656c"
	    "4200\n"
	    /* +1: COUNTER (4804), track_uuid 3 (5803), counter_value -7 (f001, 10 bytes) */
	    "0a1640015a1048045803f001f9ffffffffffffffff01"
	    "5001\n"
	    "0a0840095a024802"
	    "5001\n"
	    "0a1a400a5a0448015005620e120c080512083078343033303030"
	    "5001\n"
	    "0a08400a5a024802"
	    "5001\n"
	    "0a08400a5a024802"
	    "5001\n";
	static unsigned char bytes[65536];
	static char hex[65536], text[65536];
	char warn[512];
	struct perfetto_opts o;
	struct tb b;
	size_t n, m;

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
	memset(&o, 0, sizeof(o));
	is_int(run_perfetto(&b, &o, 0, bytes, sizeof(bytes), &n, warn, sizeof(warn)), 0,
	       "perfetto: converts");
	is_int(o.base_ns, 1000, "perfetto: time 0 is the recording's start, as in the JSON");
	pf_hex(bytes, n, hex, sizeof(hex));
	is_str(hex, want, "perfetto: the balanced trace to the byte");
	/* the file: one packet of compressed_packets (field 50), a zlib stream (78 01) of
	 * those packets */
	{
		const unsigned char *p = pf_file, *q;
		struct pb_field pk, f;

		ok(pb_next(&p, pf_file + pf_file_n, &pk) > 0 && pk.num == 1 &&
		       p == pf_file + pf_file_n && (q = pk.s, pb_next(&q, pk.s + pk.n, &f) > 0) &&
		       f.num == 50 && q == pk.s + pk.n && f.n > 2 && f.s[0] == 0x78 &&
		       f.s[1] == 0x01 && pf_file_n < n,
		   "perfetto: the file is one packet of compressed_packets, smaller (%zu bytes, "
		   "%zu inflated)",
		   pf_file_n, n);
	}
	pf_text(bytes, n, text, sizeof(text));
	is_str(text,
	       "track 2 process 100 synth\n"
	       "track 1 thread 100 100 main\n"
	       "seq 1\n"
	       "B 0 0x401000\nB 10 0x402000\nI 12 mark\nB 15 scope\nE 20\n"
	       "track 3 counter 2 level\n"
	       "C 21 3 -7\nE 30\nB 40 0x403000\nE 50\nE 60\n",
	       "perfetto: decoded, the JSON's spans, instant and counter");
	is_str(warn, "", "perfetto: nothing to warn about");
	memset(&o, 0, sizeof(o));
	run_perfetto(&b, &o, 1, bytes + n, sizeof(bytes) - n, &m, warn, sizeof(warn));
	ok(m == n && memcmp(bytes, bytes + n, n) == 0,
	   "perfetto: the same bytes when the output cannot seek");
	tb_free(&b);

	/* names: any bytes give UTF-8, as in the JSON */
	synth_begin(&b);
	tb_events_begin(&b, 100, 0, 0, TSF_EF_FINAL);
	tb_copy(&b, 1000, "bad\xff\xc3\xa9");
	tb_end_scope(&b, 1010);
	tb_events_end(&b);
	tb_end(&b);
	memset(&o, 0, sizeof(o));
	run_perfetto(&b, &o, 0, bytes, sizeof(bytes), &n, warn, sizeof(warn));
	pf_text(bytes, n, text, sizeof(text));
	ok(strstr(text, "seq 1\nB 0 bad\xef\xbf\xbd\xc3\xa9\nE 10\n") != NULL,
	   "perfetto: an invalid UTF-8 byte becomes U+FFFD");
	tb_free(&b);
}

/*
 * The times and names whose packets the exporter writes in words (one- and two-byte
 * timestamps, iids under 128) and byte by byte (longer ones, later iids, names new
 * to the sequence): 140 functions called in turn three times, with the times between
 * events around each varint length's ends.  The decoded output has every call at its
 * time with its name, and some packets are checked to the byte.
 */
static void test_perfetto_times(void)
{
	static const uint64_t gaps[] = { 0,	127,	 128,	  129, 16383, 16384,
					 16385, 2097151, 2097152, 1,   200 };
	static unsigned char bytes[1 << 16];
	static char text[1 << 16], want[1 << 16], hex[1 << 17];
	char warn[512];
	struct perfetto_opts o;
	struct tb b;
	uint64_t t = 1000;
	size_t n, k = 0;

	want[0] = 0;
	say(want, sizeof(want), "track 2 process 100 synth\ntrack 1 thread 100 100 main\nseq 1\n");
	synth_begin(&b);
	tb_events_begin(&b, 100, 0, 0, TSF_EF_FINAL);
	for (unsigned i = 0; i < 3 * 140; i++, k += 2) {
		uint64_t addr = 0x400000 + 0x1000 * (uint64_t)(i % 140);

		t += gaps[k % TS_ARRAY_SIZE(gaps)];
		tb_enter(&b, t, addr);
		say(want, sizeof(want), "B %" PRIu64 " 0x%" PRIx64 "\n", t - 1000, addr);
		t += gaps[(k + 1) % TS_ARRAY_SIZE(gaps)];
		tb_exit(&b, t, addr);
		say(want, sizeof(want), "E %" PRIu64 "\n", t - 1000);
	}
	tb_events_end(&b);
	tb_end(&b);
	memset(&o, 0, sizeof(o));
	is_int(run_perfetto(&b, &o, 0, bytes, sizeof(bytes), &n, warn, sizeof(warn)), 0,
	       "perfetto times: converts");
	pf_text(bytes, n, text, sizeof(text));
	is_str(text, want, "perfetto times: every call at its time, with its name");
	pf_hex(bytes, n, hex, sizeof(hex));
	/* the second turn: the first call +16384 ns (808001) after the event before, its
	 * end +16385; the fifth one (iid 5) +128 (8001), its end +129 */
	ok(strstr(hex, "\n0a0c408080015a0448015001"
		       "5001\n0a0a408180015a024802"
		       "5001\n"),
	   "perfetto times: three-byte timestamps to the byte");
	ok(strstr(hex, "\n0a0b4080015a0448015005"
		       "5001\n0a09408101"
		       "5a024802"
		       "5001\n"),
	   "perfetto times: two-byte timestamps to the byte");
	tb_free(&b);
}

/*
 * A stream that starts inside calls (ev_prefix): they are known to contain what was
 * written only when they return, and the thread is written again with them open from
 * its first event, whether the output can seek or the thread is held in memory; when
 * neither (held past stage_max), they start where the output had got to, and the
 * warning says so.
 */
static void test_perfetto_reset(void)
{
	static const char want[] =
	    "track 2 process 100 synth\n"
	    "track 1 thread 100 100 main\n"
	    "seq 1\n"
	    "B 100 0xa\nB 100 0xb\nB 100 0xc\nE 110\nE 120\nB 130 0xd\nE 140\n"
	    "E 150\n";
	static unsigned char bytes[65536];
	static char text[65536];
	char warn[512];
	struct perfetto_opts o;
	struct tb b;
	size_t n;

	synth_begin(&b);
	tb_events_begin(&b, 100, 0, 0, TSF_EF_FINAL);
	ev_prefix(&b);
	tb_events_end(&b);
	tb_end(&b);
	for (int append = 0; append < 2; append++) {
		memset(&o, 0, sizeof(o));
		is_int(run_perfetto(&b, &o, append, bytes, sizeof(bytes), &n, warn, sizeof(warn)),
		       0, "perfetto, stream starting mid-stack%s: converts",
		       append ? ", no seeking" : "");
		pf_text(bytes, n, text, sizeof(text));
		is_str(text, want, "perfetto, stream starting mid-stack%s: a and b open first",
		       append ? ", no seeking" : "");
		is_str(warn, "", "perfetto, stream starting mid-stack%s: no warning",
		       append ? ", no seeking" : "");
	}
	memset(&o, 0, sizeof(o));
	o.stage_max = 64;
	run_perfetto(&b, &o, 1, bytes, sizeof(bytes), &n, warn, sizeof(warn));
	pf_text(bytes, n, text, sizeof(text));
	is_str(text,
	       "track 2 process 100 synth\n"
	       "track 1 thread 100 100 main\n"
	       "seq 1\n"
	       "B 100 0xc\nE 110\nB 110 0xb\nE 120\nB 130 0xd\nE 140\nB 140 0xa\nE 150\n",
	       "perfetto, more than stage_max held: b and a start late, still nested");
	is_str(warn,
	       "2 calls begun before their thread's first event start where the output had got "
	       "to, not at that event (the thread's output was too large to hold and write "
	       "again: write to a file with -o)",
	       "perfetto, more than stage_max held: the warning");
	tb_free(&b);
}

/*
 * Written again after more than the buffer went out: the output goes back to where the
 * thread began.  Here the second reading is shorter before compression (the call that
 * returned first is then the first name, iid 1, and it is called 20000 times; it had
 * iid 128, two bytes); when it is shorter in the file too, empty packets make up the
 * difference.
 */
static void test_perfetto_seek(void)
{
	static unsigned char a[1 << 20], b2[1 << 20];
	static char ta[4 << 20], tb2[4 << 20];
	char warn[512];
	struct perfetto_opts o;
	struct tb b;
	size_t na, nb;
	uint64_t t = 1000;

	synth_begin(&b);
	tb_events_begin(&b, 100, 0, 0, TSF_EF_FINAL);
	for (uint64_t k = 0; k < 127; k++) {
		tb_enter(&b, t++, 0x10000 + 16 * k);
		tb_exit(&b, t++, 0x10000 + 16 * k);
	}
	tb_exit(&b, t++, 0x90000); /* began before the events */
	for (int k = 0; k < 20000; k++) {
		tb_enter(&b, t++, 0x90000);
		tb_exit(&b, t++, 0x90000);
	}
	tb_events_end(&b);
	tb_end(&b);
	memset(&o, 0, sizeof(o));
	is_int(run_perfetto(&b, &o, 0, a, sizeof(a), &na, warn, sizeof(warn)), 0,
	       "perfetto, written again: converts");
	memset(&o, 0, sizeof(o));
	run_perfetto(&b, &o, 1, b2, sizeof(b2), &nb, warn, sizeof(warn));
	ok(na > (256u << 10) && nb > (256u << 10), "perfetto, written again: more than a buffer");
	pf_text(a, na, ta, sizeof(ta));
	pf_text(b2, nb, tb2, sizeof(tb2));
	ok(strstr(ta, "seq 1\nB 0 0x90000\nB 0 0x10000\nE 1\n") != NULL && !strstr(ta, "error"),
	   "perfetto, written again: the call open from the first event");
	/* compressed, the second reading may or may not be shorter than the first */
	ok(strstr(tb2, "pads") == NULL, "perfetto, written again: no padding when not seekable");
	if (strstr(ta, "\npads "))
		*strstr(ta, "pads ") = 0;
	is_str(ta, tb2, "perfetto, written again: the same events either way");
	tb_free(&b);
}

/*
 * Written again after more than a buffer went out, through an output that cannot seek:
 * the runs held (compressed) are dropped and the thread is written again from its
 * first event, as to a file; held past stage_max, the thread is written as it comes.
 */
static void test_perfetto_held(void)
{
	static unsigned char a[2 << 20], b2[2 << 20];
	static char tb2[8 << 20];
	char warn[512], warn2[512];
	struct perfetto_opts o;
	struct tb b;
	size_t na, nb;
	uint64_t t = 1000;

	synth_begin(&b);
	tb_events_begin(&b, 100, 0, 0, TSF_EF_FINAL);
	for (uint64_t k = 0; k < 40000; k++) { /* 880 KB of packets */
		tb_enter(&b, t++, 0x10000 + 16 * (k % 200));
		tb_exit(&b, t++, 0x10000 + 16 * (k % 200));
	}
	tb_exit(&b, t++, 0x90000); /* began before the events */
	tb_enter(&b, t++, 0x10000);
	tb_exit(&b, t++, 0x10000);
	tb_events_end(&b);
	tb_end(&b);
	memset(&o, 0, sizeof(o));
	is_int(run_perfetto(&b, &o, 0, a, sizeof(a), &na, warn, sizeof(warn)), 0,
	       "perfetto, held and written again: converts to a file");
	memset(&o, 0, sizeof(o));
	is_int(run_perfetto(&b, &o, 1, b2, sizeof(b2), &nb, warn2, sizeof(warn2)), 0,
	       "perfetto, held and written again: converts without seeking");
	ok(na > (512u << 10) && nb == na && memcmp(a, b2, na) == 0 && !warn[0] && !warn2[0],
	   "perfetto, held and written again: the same packets either way, no warning");
	pf_text(b2, nb, tb2, sizeof(tb2));
	ok(strstr(tb2, "seq 1\nB 0 0x90000\nB 0 0x10000\nE 1\n") != NULL &&
	       strstr(tb2, "E 79999\nE 80000\nB 80001 0x10000\nE 80002\n") != NULL &&
	       !strstr(tb2, "error"),
	   "perfetto, held and written again: the call open from the first event");
	memset(&o, 0, sizeof(o));
	o.stage_max = 300000;
	run_perfetto(&b, &o, 1, b2, sizeof(b2), &nb, warn2, sizeof(warn2));
	pf_text(b2, nb, tb2, sizeof(tb2));
	ok(strstr(tb2, "seq 1\nB 0 0x10000\n") != NULL &&
	       strstr(tb2, "\nE 79999\nB 79999 0x90000\nE 80000\nB 80001 0x10000\nE 80002\n") !=
		   NULL &&
	       !strstr(tb2, "error") && strstr(warn2, "too large to hold") != NULL,
	   "perfetto, held past stage_max: written as it comes, the call at the end, warned");
	tb_free(&b);
}

/* Many tracks (a counter track per name, 300 names, then threads): the table of
 * tracks grows while descriptors are written; every counter keeps its process. */
static void test_perfetto_tracks(void)
{
	static unsigned char bytes[1 << 20];
	static char text[1 << 22];
	char warn[512], name[32], want[64];
	struct perfetto_opts o;
	struct tb b;
	size_t n;
	int good = 0;

	synth_begin(&b);
	for (int k = 0; k < 300; k++) {
		snprintf(name, sizeof(name), "c%d", k);
		tb_name(&b, 0x6000 + 16 * (uint64_t)k, name);
	}
	for (uint32_t th = 0; th < 3; th++) {
		tb_events_begin(&b, 100 + th, 0, 0, TSF_EF_FINAL);
		for (int k = 0; k < 300; k++)
			tb_counter(&b, 1000 + (uint64_t)k, 0x6000 + 16 * (uint64_t)k, k);
		tb_events_end(&b);
	}
	tb_end(&b);
	memset(&o, 0, sizeof(o));
	is_int(run_perfetto(&b, &o, 0, bytes, sizeof(bytes), &n, warn, sizeof(warn)), 0,
	       "perfetto, 300 counters: converts");
	pf_text(bytes, n, text, sizeof(text));
	for (int k = 0; k < 300; k++) {
		snprintf(want, sizeof(want), "\ntrack %d counter 2 c%d\n", k + 3, k);
		good += strstr(text, want) != NULL;
	}
	is_int(good, 300, "perfetto, 300 counters: each a track of the process, described once");
	ok(strstr(text, "\nC 299 302 299\n") && !strstr(text, "error"),
	   "perfetto, 300 counters: the last sample on its track");
	tb_free(&b);
}

/* Does the perfetto output of b keep the format's rules, with as many ENDs as BEGINs? */
static int perfetto_ok(struct tb *b, int append)
{
	static unsigned char bytes[1 << 20];
	static char text[4 << 20];
	struct perfetto_opts o;
	char warn[512];
	size_t n, begins = 0, ends = 0;

	memset(&o, 0, sizeof(o));
	if (run_perfetto(b, &o, append, bytes, sizeof(bytes), &n, warn, sizeof(warn)) != 0)
		return 0;
	pf_text(bytes, n, text, sizeof(text));
	for (const char *p = text; (p = strchr(p, '\n')) != NULL; p++) {
		begins += p[1] == 'B';
		ends += p[1] == 'E';
	}
	if (strstr(text, "error") || begins != ends)
		printf("# %s", text);
	return !strstr(text, "error") && begins == ends;
}

/* Random events of every kind: no crash, spans always nest, repairs add up. */
static void test_random(void)
{
	uint64_t seed = 0x2545f4914f6cdd1dULL;
	int failures = 0, bad_json = 0, bad_pf = 0;

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
		if (round % 4 == 0)
			bad_pf += !perfetto_ok(&b, round % 8 == 0);
		tb_free(&b);
	}
	is_int(failures, 0, "random events: 200 traces convert, no crash");
	is_int(bad_json, 0, "random events: the JSON's spans always nest");
	is_int(bad_pf, 0,
	       "random events: the perfetto output keeps the format's rules, every "
	       "slice ends");
}

/* Run the exporter called name, with opts, on the trace in b; its output into out. */
static const struct spans_cut *synth_cut; /* run_exporter(): what to keep, NULL all */

static int run_exporter(struct tb *b, const char *name, void *opts, char *out, size_t size)
{
	const struct exporter *e = export_find(name);
	struct reader *r = NULL;
	struct names *names = names_new();
	struct spans *sp = NULL;
	void *x = NULL;
	int rc = -100;
	FILE *f = tmpfile();

	out[0] = 0;
	if (!e || !f || !names || reader_open_mem(b->p, b->n, &r) || spans_open(&sp, r, names))
		goto out;
	spans_set_cut(sp, synth_cut);
	if (e->prepare)
		e->prepare(opts, &sp, 1);
	rc = e->open(&x, f, opts, names);
	if (!rc) {
		rc = e->add(x, sp);
		rc |= e->finish(x);
	}
	read_back(f, out, size);
	f = NULL;
out:
	if (f)
		fclose(f);
	spans_close(sp);
	names_free(names);
	reader_close(r);
	return rc;
}

/*
 * One function looked at: main (0x401000) calls A (0x402000) ten times, taking 1 to
 * 10 ns; the tenth call of A calls B (0x403000, 3 ns); then main calls B (50 ns).
 * report --flat shows A's distribution; slowest and callers find exactly these calls.
 */
static void test_func(void)
{
	static char out[8192];
	struct func_opts fo = { 0 };
	struct tb b;

	synth_begin(&b);
	tb_events_begin(&b, 100, 0, 0, TSF_EF_FINAL);
	tb_enter(&b, 1000, 0x401000);
	for (uint64_t i = 1; i <= 10; i++) {
		uint64_t t = 1000 + 100 * i;

		tb_enter(&b, t, 0x402000);
		if (i == 10) {
			tb_enter(&b, t + 2, 0x403000);
			tb_exit(&b, t + 5, 0x403000);
		}
		tb_exit(&b, t + i, 0x402000);
	}
	tb_enter(&b, 2100, 0x403000);
	tb_exit(&b, 2150, 0x403000);
	tb_exit(&b, 2200, 0x401000);
	tb_events_end(&b);
	tb_end(&b);

	ro.flat = 1;
	ro.ns = 1;
	run_exporter(&b, "report", &ro, out, sizeof(out));
	is_str(out,
	       "self   self%  calls  incl   avg   min   p50   p90   p99   max  function\n"
	       "1095   91.2%      1  1200  1200  1200  1200  1200  1200  1200  0x401000\n"
	       "  53    4.4%      2    53    26     3     3    50    50    50  0x403000\n"
	       "  52    4.3%     10    55     5     1     5     9    10    10  0x402000\n",
	       "func: report --flat: p50, p90, p99 of each function's calls");
	ro.flat = 0;

	fo.func = "0x402000";
	fo.n = 3;
	is_int(run_exporter(&b, "slowest", &fo, out, sizeof(out)), 0, "func: slowest runs");
	is_str(out,
	       "0x402000: 10 calls, the 3 slowest\n"
	       "  duration            start       pid       tid  call path\n"
	       "     10 ns    0.000001000 s       100       100  0x401000 > 0x402000\n"
	       "      9 ns    0.000000900 s       100       100  0x401000 > 0x402000\n"
	       "      8 ns    0.000000800 s       100       100  0x401000 > 0x402000\n",
	       "func: slowest -n 3: the three longest calls, slowest first");
	fo.func = "0x403000";
	fo.n = 10;
	run_exporter(&b, "slowest", &fo, out, sizeof(out));
	is_str(out,
	       "0x403000: 2 calls\n"
	       "  duration            start       pid       tid  call path\n"
	       "     50 ns    0.000001100 s       100       100  0x401000 > 0x403000\n"
	       "      3 ns    0.000001002 s       100       100  0x401000 > 0x402000 > 0x403000\n",
	       "func: slowest: each call with its own call path");
	fo.func = "nothing";
	run_exporter(&b, "slowest", &fo, out, sizeof(out));
	is_str(out, "nothing: 0 calls\n", "func: slowest of a function never called");

	fo.func = "0x403000";
	run_exporter(&b, "callers", &fo, out, sizeof(out));
	is_str(out,
	       "0x403000: 2 calls, 53 ns in all, from 2 call paths\n"
	       "\n"
	       "callers (each call path into 0x403000, outermost first)\n"
	       "     calls        incl        self  call path\n"
	       "         1       50 ns       50 ns  0x401000 > 0x403000\n"
	       "         1        3 ns        3 ns  0x401000 > 0x402000 > 0x403000\n"
	       "\n"
	       "callees (what 0x403000 calls, all paths together)\n"
	       "     calls        incl        self  function\n"
	       "(none)\n",
	       "func: callers: both paths into B, the larger first");
	fo.func = "0x402000";
	run_exporter(&b, "callers", &fo, out, sizeof(out));
	is_str(out,
	       "0x402000: 10 calls, 55 ns in all, from 1 call path\n"
	       "\n"
	       "callers (each call path into 0x402000, outermost first)\n"
	       "     calls        incl        self  call path\n"
	       "        10       55 ns       52 ns  0x401000 > 0x402000\n"
	       "\n"
	       "callees (what 0x402000 calls, all paths together)\n"
	       "     calls        incl        self  function\n"
	       "         1        3 ns        3 ns  0x403000\n",
	       "func: callers: A's one path, and B as its callee");
	tb_free(&b);
}

/* A (1000..2200) calls B ten times, the i-th at 1000 + 100 i for i ns (the tenth calls
 * C for 3 ns), then C (2100..2150): what each cut keeps, exactly. */
static void test_cut(void)
{
	static char out[4096];
	struct folded_opts fo = { 0 };
	struct spans_cut c;
	struct tb b;

	synth_begin(&b);
	tb_events_begin(&b, 100, 0, 0, TSF_EF_FINAL);
	tb_enter(&b, 1000, 0x401000);
	for (uint64_t i = 1; i <= 10; i++) {
		uint64_t t = 1000 + 100 * i;

		tb_enter(&b, t, 0x402000);
		if (i == 10) {
			tb_enter(&b, t + 2, 0x403000);
			tb_exit(&b, t + 5, 0x403000);
		}
		tb_exit(&b, t + i, 0x402000);
	}
	tb_enter(&b, 2100, 0x403000);
	tb_exit(&b, 2150, 0x403000);
	tb_exit(&b, 2200, 0x401000);
	tb_events_end(&b);
	tb_end(&b);

	synth_cut = &c;
	c = (struct spans_cut){ 0, UINT64_MAX, 0, 0, NULL };
	run_exporter(&b, "folded", &fo, out, sizeof(out));
	is_str(out,
	       "0x401000 1095\n0x401000;0x402000 52\n0x401000;0x402000;0x403000 3\n"
	       "0x401000;0x403000 50\n",
	       "cut: an empty cut keeps everything");
	c.depth = 1;
	run_exporter(&b, "folded", &fo, out, sizeof(out));
	is_str(out, "0x401000 1200\n", "cut --depth 1: the root alone, its callees' time its own");
	c.depth = 0;
	c.focus = "0x402000";
	run_exporter(&b, "folded", &fo, out, sizeof(out));
	is_str(out, "0x402000 52\n0x402000;0x403000 3\n", "cut --focus B: B's calls are the roots");
	c.depth = 1;
	run_exporter(&b, "folded", &fo, out, sizeof(out));
	is_str(out, "0x402000 55\n", "cut --focus B --depth 1: B alone, C's time in it");
	c.depth = 0;
	c.focus = NULL;
	c.min_dur = 6;
	run_exporter(&b, "folded", &fo, out, sizeof(out));
	is_str(out, "0x401000 1110\n0x401000;0x402000 40\n0x401000;0x403000 50\n",
	       "cut --min-duration 6ns: B's 5 shortest calls and the C in B left out");
	c.min_dur = 0;
	c.from = 550;
	c.to = 1125;
	run_exporter(&b, "folded", &fo, out, sizeof(out));
	is_str(out,
	       "0x401000 510\n0x401000;0x402000 37\n0x401000;0x402000;0x403000 3\n"
	       "0x401000;0x403000 25\n",
	       "cut --from 550ns --to 1125ns: calls in the window, clipped to it");
	c.to = 80;
	run_exporter(&b, "folded", &fo, out, sizeof(out));
	is_str(out, "", "cut: a window before any call keeps nothing");
	synth_cut = NULL;
	tb_free(&b);
}

/* ---- flame graphs ------------------------------------------------------------------------ */

/* How often needle occurs in hay. */
static int count_str(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/*
 * main (0x401000, 100 ns) calls A (0x402000, 60 ns), which calls B (0x403000, 25 ns),
 * then calls B (20 ns): 4 frames and the root, their places and widths exact (1180 px
 * for 100 ns), siblings by name, the root at the bottom (or the top with --icicle).
 */
static void flame_trace(struct tb *b)
{
	synth_begin(b);
	tb_events_begin(b, 100, 0, 0, TSF_EF_FINAL);
	tb_enter(b, 1000, 0x401000);
	tb_enter(b, 1010, 0x402000);
	tb_enter(b, 1020, 0x403000);
	tb_exit(b, 1045, 0x403000);
	tb_exit(b, 1070, 0x402000);
	tb_enter(b, 1075, 0x403000);
	tb_exit(b, 1095, 0x403000);
	tb_exit(b, 1100, 0x401000);
	tb_events_end(b);
	tb_end(b);
}

/* The frame of the rectangle at x, y, w (as written, 3 decimals), or NULL. */
static const char *rect_at(const char *svg, const char *x, unsigned y, const char *w)
{
	char want[128];

	snprintf(want, sizeof(want), "<rect x=\"%s\" y=\"%u\" width=\"%s\" height=\"15\"", x, y, w);
	return strstr(svg, want);
}

static void test_flamegraph(void)
{
	static char out[1 << 21];
	struct flamegraph_opts o;
	struct tb b;
	char name[32];

	memset(&o, 0, sizeof(o));
	o.flame.min_width = FLAME_MIN_WIDTH;
	flame_trace(&b);
	is_int(run_exporter(&b, "flamegraph", &o, out, sizeof(out)), 0, "flamegraph: runs");
	ok(strncmp(out, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n<svg ",
		   60) == 0 &&
	       strstr(out, " width=\"1200\" height=\"154\" viewBox=\"0 0 1200 154\"") &&
	       strlen(out) > 12 && strcmp(out + strlen(out) - 12, "</g>\n</svg>\n") == 0,
	   "flamegraph: one SVG document, 4 levels high (56 + 4 x 16 + 34 px)");
	is_int(count_str(out, "<rect"), 6, "flamegraph: the background and 5 frames");
	is_int(count_str(out, "<g><title>"), 5, "flamegraph: 5 frames with a tooltip each");
	ok(rect_at(out, "10.000", 104, "1180.000") && rect_at(out, "10.000", 88, "1180.000"),
	   "flamegraph: all and main at the bottom, the whole width");
	ok(rect_at(out, "10.000", 72, "708.000"), "flamegraph: A 60 of 100 ns: 708 px");
	ok(rect_at(out, "10.000", 56, "295.000"), "flamegraph: B in A 25 ns: 295 px");
	ok(rect_at(out, "718.000", 72, "236.000"),
	   "flamegraph: B in main 20 ns: 236 px, after A (siblings by name)");
	ok(strstr(out, "<g><title>0x402000\nincl 60 ns (60 ns), 60.00%\nself 35 ns (35 ns), 1 "
		       "call</title>"),
	   "flamegraph: A's tooltip: name, inclusive and self time, share, calls");
	ok(strstr(out, "<g><title>all\nincl 100 ns (100 ns), 100.00%</title>"),
	   "flamegraph: the root's tooltip: the total");
	ok(strstr(out, "<text x=\"13.000\" y=\"99\">0x401000</text></g>"),
	   "flamegraph: a label inside its frame");
	ok(strstr(out, "<![CDATA[\nvar PAD = 10, FULL = 1180.000, CHAR_PX = 7.08;\n") &&
	       strstr(out, "function zoom(") && strstr(out, "function search(") &&
	       strstr(out, "onload=\"flameInit()\""),
	   "flamegraph: the script: zoom and search");
	ok(strstr(out, ">width: time of a function and its callees; all threads merged by call "
		       "path</text>"),
	   "flamegraph: the subtitle says what the widths are");

	o.flame.icicle = 1;
	run_exporter(&b, "flamegraph", &o, out, sizeof(out));
	ok(rect_at(out, "10.000", 56, "1180.000") && rect_at(out, "10.000", 88, "708.000") &&
	       rect_at(out, "10.000", 104, "295.000") && strstr(out, ">Icicle Graph</text>"),
	   "flamegraph --icicle: the root at the top, callees below");
	o.flame.icicle = 0;

	o.stacks.calls = 1;
	run_exporter(&b, "flamegraph", &o, out, sizeof(out));
	ok(rect_at(out, "10.000", 88, "1180.000") && rect_at(out, "10.000", 72, "590.000") &&
	       rect_at(out, "10.000", 56, "295.000") && rect_at(out, "600.000", 72, "295.000"),
	   "flamegraph --calls: widths are calls: 4 in all, 2 below A, 1 for each B");
	ok(strstr(out, "<g><title>0x402000\n2 calls with its callees, 50.00%\n1 call</title>"),
	   "flamegraph --calls: the tooltip counts calls");
	o.stacks.calls = 0;

	o.flame.min_width = 250;
	run_exporter(&b, "flamegraph", &o, out, sizeof(out));
	ok(count_str(out, "<rect") == 5 && !rect_at(out, "718.000", 72, "236.000") &&
	       rect_at(out, "10.000", 56, "295.000"),
	   "flamegraph --min-width 250: the 236 px frame is left out, the 295 px one drawn");
	o.flame.min_width = FLAME_MIN_WIDTH;

	o.flame.width = 150;
	o.flame.title = "t<&>";
	run_exporter(&b, "flamegraph", &o, out, sizeof(out));
	ok(rect_at(out, "10.000", 72, "78.000") && rect_at(out, "10.000", 56, "32.500") &&
	       rect_at(out, "88.000", 72, "26.000") &&
	       strstr(out, "<text x=\"13.000\" y=\"83\">0x402000</text>") &&
	       strstr(out, "<text x=\"13.000\" y=\"67\">0..</text>") &&
	       strstr(out, "<text x=\"91.000\" y=\"83\"></text>") &&
	       strstr(out, ">t&lt;&amp;&gt;</text>"),
	   "flamegraph --width 150: labels cut to their frame (10, 3 and 2 characters fit)");
	o.flame.width = 0;
	o.flame.title = NULL;
	tb_free(&b);

	/* many distinct paths, all but one far narrower than a pixel: bounded output */
	synth_begin(&b);
	tb_events_begin(&b, 100, 0, 0, TSF_EF_FINAL);
	tb_enter(&b, 1000, 0x401000);
	for (uint64_t i = 0; i < 2000; i++) {
		tb_enter(&b, 1000 + i, 0x500000 + 16 * i);
		tb_exit(&b, 1001 + i, 0x500000 + 16 * i);
	}
	tb_enter(&b, 3000, 0x402000);
	tb_exit(&b, 1003000, 0x402000);
	tb_exit(&b, 1003000, 0x401000);
	tb_events_end(&b);
	tb_end(&b);
	run_exporter(&b, "flamegraph", &o, out, sizeof(out));
	ok(count_str(out, "<rect") == 4 && strstr(out, "<g><title>0x402000\n"),
	   "flamegraph: 2000 frames of 0.001 px each are not drawn");
	snprintf(name, sizeof(name), "%.3f", 1000000 * 1180.0 / 1002000);
	ok(rect_at(out, "10.000", 56, name), "flamegraph: the wide one is (%s px)", name);
	o.flame.min_width = 0;
	run_exporter(&b, "flamegraph", &o, out, sizeof(out));
	is_int(count_str(out, "<rect"), 2004, "flamegraph --min-width 0: every frame drawn");
	tb_free(&b);
}

/* Names are any bytes: the SVG stays XML, and a label is cut between characters. */
static void test_flame_escape(void)
{
	static const struct {
		const char *in;
		size_t n, max;
		const char *out;
	} cases[] = {
		{ "plain", 5, 99, "plain" },
		{ "a&b<c>\"d'e", 10, 99, "a&amp;b&lt;c&gt;&quot;d&#39;e" },
		{ "\n\t\x01\x7f", 4, 99, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "nul\0in", 6, 99, "nul\xef\xbf\xbdin" },
		{ "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9, 99,
		  "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80" },
		{ "\xff\xc0\xaf", 3, 99, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xed\xa0\x80", 3, 99, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xef\xbf\xbe\xef\xbf\xbf", 6, 99, "\xef\xbf\xbd\xef\xbf\xbd" }, /* not in XML */
		{ "cut\xe2\x82", 5, 99, "cut\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xc3\xa9\xc3\xa9&x", 6, 3, "\xc3\xa9\xc3\xa9&amp;" }, /* 3 characters */
	};
	static char out[1 << 16];
	struct flamegraph_opts o;
	struct tb b;

	for (size_t i = 0; i < TS_ARRAY_SIZE(cases); i++) {
		FILE *f = tmpfile();

		flame_xml(f, cases[i].in, cases[i].n, cases[i].max);
		read_back(f, out, sizeof(out));
		is_str(out, cases[i].out, "flame XML text, case %zu", i);
	}

	/* a scope name with markup, a control byte and bad UTF-8, in a whole document */
	synth_begin(&b);
	tb_name(&b, 0x5300, "a&b<c>\"d'e\x01\xff\xc3z");
	tb_events_begin(&b, 100, 0, 0, TSF_EF_FINAL);
	tb_enter(&b, 1000, 0x401000);
	tb_begin(&b, 1010, 0x5300);
	tb_end_scope(&b, 1090);
	tb_exit(&b, 1100, 0x401000);
	tb_events_end(&b);
	tb_end(&b);
	memset(&o, 0, sizeof(o));
	o.flame.min_width = FLAME_MIN_WIDTH;
	run_exporter(&b, "flamegraph", &o, out, sizeof(out));
	ok(strstr(out, "<g><title>a&amp;b&lt;c&gt;&quot;d&#39;e\xef\xbf\xbd\xef\xbf\xbd"
		       "\xef\xbf\xbdz\nincl 80 ns") &&
	       strstr(out,
		      ">a&amp;b&lt;c&gt;&quot;d&#39;e\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz</text>"),
	   "flamegraph: a name escaped in its tooltip and its label");
	if (have_python) {
		static const char parse[] = "import sys, xml.etree.ElementTree as E; "
					    "E.parse(sys.argv[1])";
		char path[4200];
		const char *argv[] = { "/usr/bin/env", "python3", "-c", parse, path, NULL };
		FILE *f;

		path_of(path, sizeof(path), "escape.svg");
		f = fopen(path, "w");
		if (f) {
			fputs(out, f);
			fclose(f);
		}
		is_int(run(argv, NULL, NULL, NULL), 0, "flamegraph: the document parses as XML");
		unlink(path);
	} else {
		tap_skip("no python3 to parse the SVG");
	}
	tb_free(&b);
}

/* Run the diff exporter on the n traces b (the first nbase the base side). */
static int run_diff(struct tb *b, size_t n, struct diff_opts *o, char *out, size_t size)
{
	const struct exporter *e = export_find("diff");
	struct reader *r[8] = { 0 };
	struct spans *sp[8] = { 0 };
	struct names *names = names_new();
	void *x = NULL;
	int rc = -100;
	FILE *f = tmpfile();

	out[0] = 0;
	if (!e || !f || !names || n > 8)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (reader_open_mem(b[i].p, b[i].n, &r[i]) || spans_open(&sp[i], r[i], names))
			goto out;
	e->prepare(o, sp, n);
	rc = e->open(&x, f, o, names);
	for (size_t i = 0; i < n && !rc; i++)
		rc = e->add(x, sp[i]);
	rc |= e->finish(x);
	read_back(f, out, size);
	f = NULL;
out:
	if (f)
		fclose(f);
	for (size_t i = 0; i < n; i++) {
		spans_close(sp[i]);
		reader_close(r[i]);
	}
	names_free(names);
	return rc;
}

/* One run: main (A) calls B for bdur ns, then C for cdur ns, and returns 10 ns later. */
static void diff_run(struct tb *b, uint64_t bdur, uint64_t cdur)
{
	synth_begin(b);
	tb_events_begin(b, 100, 0, 0, TSF_EF_FINAL);
	tb_enter(b, 1000, 0x401000);
	tb_enter(b, 1000, 0x402000);
	tb_exit(b, 1000 + bdur, 0x402000);
	tb_enter(b, 1000 + bdur, 0x403000);
	tb_exit(b, 1000 + bdur + cdur, 0x403000);
	tb_exit(b, 1010 + bdur + cdur, 0x401000);
	tb_events_end(b);
	tb_end(b);
}

/* Two runs a side with known durations: B twice as slow and significant, C noise, A
 * the same; every output form exact; a trace against itself changes nothing. */
static void test_diff(void)
{
	static char out[65536];
	struct tb b[4];
	int failed = 0;
	char verdict[256], want[256];
	struct diff_opts o = { .nbase = 2, .threshold = 0.5, .fail_above = -1, .min_share = 1 };

	diff_run(&b[0], 100, 50);
	diff_run(&b[1], 104, 52);
	diff_run(&b[2], 200, 51);
	diff_run(&b[3], 204, 50);
	is_int(run_diff(b, 4, &o, out, sizeof(out)), 0, "diff: runs");
	is_str(out,
	       "base: 2 runs, new: 2 runs (means per run)\n"
	       "total: 163 ns -> 263 ns, +100 ns (+61.0%), significant, p = 0.0051\n"
	       "significant: Welch's t-test on the per-run times gives p < 0.01, and the runs of\n"
	       "the two sides do not overlap; other changes are noise\n"
	       "\n"
	       "   change       %  self base   self new  incl base   incl new  calls base"
	       "   calls new   p50 base    p50 new   p99 base    p99 new  verdict  function\n"
	       "  +100 ns  +98.0%     102 ns     202 ns     102 ns     202 ns           1"
	       "           1     102 ns     204 ns     104 ns     204 ns  slower   0x402000\n"
	       "(2 functions changed by under 0.5% of the base's total hidden: -t 0 shows them)\n",
	       "diff: B slower and significant; C (-0.5 ns) and A (0) under the threshold");
	o.threshold = 0;
	o.fail_above = 20;
	o.failed = &failed;
	o.verdict = verdict;
	o.verdict_size = sizeof(verdict);
	o.format = DIFF_JSON;
	run_diff(b, 4, &o, out, sizeof(out));
	ok(strstr(out,
		  "{\"name\":\"0x402000\",\"calls\":[1,1],\"self_ns\":[102,202],"
		  "\"incl_ns\":[102,202],\"self_ns_per_call\":[102,202],"
		  "\"incl_ns_per_call\":[102,202],\"p50_ns\":[102,204],\"p99_ns\":[104,204],"
		  "\"change_ns\":100,\"change_pct\":98.0392156862745,\"p\":0.000799041278210") &&
	       strstr(out, "\"gate\":{\"fail_above_pct\":20,\"min_share_pct\":1,\"total\":true,"
			   "\"functions\":1,\"failed\":true}"),
	   "diff --json: B's values exact, the gate failed");
	ok(failed == 1 && strcmp(verdict, "verdict: FAIL: slower by more than 20%: total +61.0%, "
					  "0x402000 +98.0%\n") == 0,
	   "diff --fail-above 20: fails, naming the total and B");
	failed = 0;
	o.fail_above = 100;
	run_diff(b, 4, &o, out, sizeof(out));
	ok(failed == 0 &&
	       strcmp(verdict, "verdict: pass: no significant slowdown above 100%\n") == 0,
	   "diff --fail-above 100: passes");
	o.fail_above = -1;
	o.format = DIFF_FOLDED;
	run_diff(b, 4, &o, out, sizeof(out));
	is_str(out, "0x401000 10 10\n0x401000;0x403000 51 51\n0x401000;0x402000 102 202\n",
	       "diff --folded: 'stack before after', means rounded");
	/* new side: A 10 + B 202 + C 50.5 = 262.5 ns; the largest change B's +100 ns */
	o.format = DIFF_FLAMEGRAPH;
	run_diff(b, 4, &o, out, sizeof(out));
	snprintf(want, sizeof(want),
		 "<rect x=\"10.000\" y=\"56\" width=\"%.3f\" height=\"15\" "
		 "fill=\"rgb(255,54,54)\"",
		 202 * 1180 / 262.5);
	ok(strstr(out, want) != NULL, "diff --flamegraph: B as wide as its new time, full red");
	snprintf(want, sizeof(want),
		 "<rect x=\"%.3f\" y=\"56\" width=\"%.3f\" height=\"15\" "
		 "fill=\"rgb(223,223,224)\"",
		 10 + 202 * 1180 / 262.5, 50.5 * 1180 / 262.5);
	ok(strstr(out, want) != NULL, "diff --flamegraph: C after B, -0.5 ns a faint blue");
	ok(strstr(out, "<rect x=\"10.000\" y=\"72\" width=\"1180.000\" height=\"15\" "
		       "fill=\"rgb(224,224,224)\""),
	   "diff --flamegraph: A unchanged, grey");
	ok(strstr(out, "<g><title>0x402000\nincl 102 ns -> 202 ns (+100 ns, +98.0%), 76.95% of "
		       "the new total\nself 102 ns -> 202 ns (+100 ns, +98.0%)\ncalls 1 -> 1"
		       "</title>") &&
	       strstr(out, ">Differential Flame Graph</text>"),
	   "diff --flamegraph: B's tooltip, before, after and the change");
	o.format = DIFF_TEXT;
	o.tree = 1;
	run_diff(b, 4, &o, out, sizeof(out));
	ok(strstr(out, "\n  +100 ns  +61.0%     163 ns     263 ns      10 ns      10 ns           1"
		       "           1  slower   0x401000\n"
		       "  +100 ns  +98.0%     102 ns     202 ns     102 ns     202 ns           1"
		       "           1  slower     0x402000\n"
		       "    -1 ns   -1.0%      51 ns      51 ns      51 ns      51 ns           1"
		       "           1  noise      0x403000\n") != NULL,
	   "diff --tree: paths by change of inclusive time, indented");
	o.tree = 0;
	o.nbase = 1;
	run_diff(b, 2, &o, out, sizeof(out));
	ok(strstr(out, "significance unknown: one run on a side") &&
	       strstr(out, "    +4 ns   +4.0%     100 ns     104 ns") && strstr(out, "slower?"),
	   "diff, one run a side: significance unknown, 'slower?'");
	tb_free(&b[1]);
	b[1] = b[0]; /* the same bytes on both sides */
	run_diff(b, 2, &o, out, sizeof(out));
	ok(strstr(out, "total: 160 ns -> 160 ns, 0 ns (+0.0%)") &&
	       strstr(out, "\n     0 ns   +0.0%      10 ns      10 ns     160 ns     160 ns") &&
	       strstr(out, "\n     0 ns   +0.0%     100 ns     100 ns     100 ns     100 ns") &&
	       strstr(out, "\n     0 ns   +0.0%      50 ns      50 ns      50 ns      50 ns") &&
	       !strstr(out, "slower") && !strstr(out, "faster") && !strstr(out, "  noise"),
	   "diff of a trace with itself: every change 0 (same)");
	for (int i = 0; i < 4; i++)
		if (i != 1)
			tb_free(&b[i]);
}

/* ---- pprof -------------------------------------------------------------------------------- */

/* What the pprof exporter made of some traces. */
struct pprof_run {
	unsigned char bytes[1 << 16];
	size_t n;
	char warning[512]; /* after the last trace */
	uint64_t threads;
	int rc;
};

/* Run the pprof exporter of export_table[] on the n traces b, as the CLI does. */
static void run_pprof(struct tb *b, size_t n, struct pprof_opts *o, struct pprof_run *pr)
{
	const struct exporter *e = export_find("pprof");
	struct reader *r[4] = { NULL };
	struct spans *sp[4] = { NULL };
	struct names *names = names_new();
	FILE *f = tmpfile();
	void *x = NULL;

	memset(pr, 0, sizeof(*pr));
	pr->rc = -100;
	if (!e || !f || !names || n > 4)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (reader_open_mem(b[i].p, b[i].n, &r[i]) || spans_open(&sp[i], r[i], names))
			goto out;
	pr->rc = e->open(&x, f, o, names);
	if (pr->rc)
		goto out;
	for (size_t i = 0; i < n; i++) {
		pr->rc |= e->add(x, sp[i]);
		pr->warning[e->warning(x, pr->warning, sizeof(pr->warning))] = 0;
	}
	pr->threads = e->threads(x);
	pr->rc |= e->finish(x);
	rewind(f);
	pr->n = fread(pr->bytes, 1, sizeof(pr->bytes), f);
out:
	if (f)
		fclose(f);
	for (size_t i = 0; i < 4; i++) {
		spans_close(sp[i]);
		reader_close(r[i]);
	}
	names_free(names);
}

/*
 * A protobuf decoder of the test's own, as small as it can be: the fields of a
 * message one by one, a varint's value or a length-delimited field's bytes.
 */
struct pbr {
	const unsigned char *p, *end;
	int bad;
};

static uint64_t pbr_varint(struct pbr *r)
{
	uint64_t v = 0;

	for (unsigned shift = 0; shift < 64 && r->p < r->end; shift += 7) {
		unsigned char c = *r->p++;

		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return v;
	}
	r->bad = 1;
	return 0;
}

/* The next field of r: 1, its number, and its value (a varint) or its bytes in *sub
 * (length-delimited: *v is then their length); 0 at the end or on a bad field. */
static int pbr_next(struct pbr *r, unsigned *field, uint64_t *v, struct pbr *sub)
{
	uint64_t key;

	if (r->bad || r->p >= r->end)
		return 0;
	key = pbr_varint(r);
	*field = (unsigned)(key >> 3);
	sub->p = sub->end = NULL;
	sub->bad = 0;
	if ((key & 7) == 0) {
		*v = pbr_varint(r);
		return !r->bad;
	}
	if ((key & 7) != 2) {
		r->bad = 1;
		return 0;
	}
	*v = pbr_varint(r);
	if (r->bad || *v > (uint64_t)(r->end - r->p)) {
		r->bad = 1;
		return 0;
	}
	sub->p = r->p;
	sub->end = r->p + *v;
	r->p += *v;
	return 1;
}

/* Text being made, with room for what is said. */
struct text {
	char s[16384];
	size_t n;
};

static TS_PRINTF(2, 3) void text_say(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(t->s + t->n, sizeof(t->s) - t->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		t->n = t->n + (size_t)k < sizeof(t->s) ? t->n + (size_t)k : sizeof(t->s) - 1;
}

/* A string of the table (its index i), for the text. */
static void say_str(struct text *t, const struct pbr *strs, size_t nstrs, uint64_t i)
{
	if (i >= nstrs)
		text_say(t, "<string %" PRIu64 "?>", i);
	else
		text_say(t, "%.*s", (int)(strs[i].end - strs[i].p), (const char *)strs[i].p);
}

/* The values of a repeated varint field, packed (sub) or not (v), to the text. */
static void say_ints(struct text *t, uint64_t v, struct pbr *sub)
{
	if (!sub->p) {
		text_say(t, " %" PRIu64, v);
		return;
	}
	while (sub->p < sub->end && !sub->bad)
		text_say(t, " %" PRIu64, pbr_varint(sub));
}

/*
 * A pprof profile as text, one line per field of the Profile, in the file's order:
 * its sample types, samples (location ids leaf first = values), mappings, locations,
 * functions (strings resolved), the number of strings and the scalars.  An unexpected
 * field or a bad encoding shows.
 */
static void pprof_text(const unsigned char *data, size_t n, struct text *t)
{
	struct pbr whole = { data, data + n, 0 }, sub, in, msg;
	struct pbr strs[256];
	size_t nstrs = 0;
	unsigned field, f2;
	uint64_t v, v2;

	t->n = 0;
	t->s[0] = 0;
	while (pbr_next(&whole, &field, &v, &sub))
		if (field == 6 && nstrs < TS_ARRAY_SIZE(strs))
			strs[nstrs++] = sub;
	whole.p = data;
	while (pbr_next(&whole, &field, &v, &msg)) {
		switch (field) {
		case 1:
			text_say(t, "sample_type");
			while (pbr_next(&msg, &f2, &v2, &in)) {
				text_say(t, f2 == 1 ? " " : "/");
				say_str(t, strs, nstrs, v2);
			}
			break;
		case 2:
			text_say(t, "sample");
			while (pbr_next(&msg, &f2, &v2, &in)) {
				if (f2 == 2)
					text_say(t, " =");
				say_ints(t, v2, &in);
			}
			break;
		case 3:
		case 4:
		case 5:
			text_say(t, field == 3 ? "mapping" : field == 4 ? "location" : "function");
			while (pbr_next(&msg, &f2, &v2, &in)) {
				text_say(t, " %u:", f2);
				if (field == 4 && f2 == 4) { /* a Line */
					while (pbr_next(&in, &f2, &v2, &sub))
						text_say(t, "%u=%" PRIu64, f2, v2);
				} else if ((field == 3 && f2 == 5) ||
					   (field == 5 && f2 > 1 && f2 < 5)) {
					say_str(t, strs, nstrs, v2);
				} else {
					text_say(t, "%#" PRIx64, v2);
				}
			}
			break;
		case 6:
			continue;
		default:
			text_say(t, "field %u = %" PRIu64, field, v);
			break;
		}
		if (msg.bad)
			text_say(t, " <bad>");
		text_say(t, "\n");
	}
	text_say(t, "strings %zu%s\n", nstrs, whole.bad ? " <bad>" : "");
}

/* One call of 0x401000, 10 ns: the profile to the byte. */
static void test_pprof_bytes(void)
{
	static const unsigned char want[] = {
		0x0a, 0x04, 0x08, 0x01, 0x10, 0x02, /* sample_type calls/count */
		0x0a, 0x04, 0x08, 0x03, 0x10, 0x04, /* self/nanoseconds */
		0x0a, 0x04, 0x08, 0x05, 0x10, 0x04, /* total/nanoseconds */
		/* sample: location_id [1], value [1, 10, 10] */
		0x12, 0x08, 0x0a, 0x01, 0x01, 0x12, 0x03, 0x01, 0x0a, 0x0a,
		/* mapping: id 1, memory_limit 2^64 - 1, filename 6, has_functions */
		0x1a, 0x11, 0x08, 0x01, 0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0x01, 0x28, 0x06, 0x38, 0x01,
		/* location: id 1, mapping 1, address 0x401000, line { function_id 1 } */
		0x22, 0x0d, 0x08, 0x01, 0x10, 0x01, 0x18, 0x80, 0xa0, 0x80, 0x02, 0x22, 0x02, 0x08,
		0x01,
		/* function: id 1, name 7, system_name 7 */
		0x2a, 0x06, 0x08, 0x01, 0x10, 0x07, 0x18, 0x07,
		/* string_table */
		0x32, 0x00, 0x32, 0x05, 'c', 'a', 'l', 'l', 's', 0x32, 0x05, 'c', 'o', 'u', 'n',
		't', 0x32, 0x04, 's', 'e', 'l', 'f', 0x32, 0x0b, 'n', 'a', 'n', 'o', 's', 'e', 'c',
		'o', 'n', 'd', 's', 0x32, 0x05, 't', 'o', 't', 'a', 'l', 0x32, 0x0a, '/', 'b', 'i',
		'n', '/', 's', 'y', 'n', 't', 'h', 0x32, 0x08, '0', 'x', '4', '0', '1', '0', '0',
		'0',
		/* time_nanos 1234, duration_nanos 10, default_sample_type 3 (self) */
		0x48, 0xd2, 0x09, 0x50, 0x0a, 0x70, 0x03
	};
	struct pprof_opts o = { 0 };
	static struct pprof_run pr;
	struct tb b;

	tb_init(&b);
	tb_header(&b, 100, 1, TSF_CLOCK_MONOTONIC, 1000);
	tb_clock(&b, 1000, 1000, 1234, 0);
	tb_process(&b, 100, 1, "/bin/synth");
	tb_thread(&b, 100, 100, 1, "main");
	tb_events_begin(&b, 100, 0, 0, TSF_EF_FINAL);
	tb_enter(&b, 1000, 0x401000);
	tb_exit(&b, 1010, 0x401000);
	tb_events_end(&b);
	tb_end(&b);
	run_pprof(&b, 1, &o, &pr);
	is_int(pr.rc, 0, "pprof bytes: converts");
	is_int(pr.n, sizeof(want), "pprof bytes: %zu bytes", sizeof(want));
	ok(pr.n == sizeof(want) && memcmp(pr.bytes, want, sizeof(want)) == 0,
	   "pprof bytes: the profile to the byte");
	for (size_t i = 0; i < pr.n && i < sizeof(want); i++) {
		if (pr.bytes[i] != want[i]) {
			printf("# first difference at byte %zu: 0x%02x, want 0x%02x\n", i,
			       pr.bytes[i], want[i]);
			break;
		}
	}
	tb_free(&b);
}

/* The balanced trace of test_balanced(): a scope under a call, two calls under main. */
static void test_pprof_balanced(void)
{
	static const char want[] = "sample_type calls/count\n"
				   "sample_type self/nanoseconds\n"
				   "sample_type total/nanoseconds\n"
				   "sample 1 = 1 30 60\n"
				   "sample 2 1 = 1 15 20\n"
				   "sample 3 2 1 = 1 5 5\n"
				   "sample 4 1 = 1 10 10\n"
				   "mapping 1:0x1 3:0xffffffffffffffff 5:/bin/synth 7:0x1\n"
				   "location 1:0x1 2:0x1 3:0x401000 4:1=1\n"
				   "location 1:0x2 2:0x1 3:0x402000 4:1=2\n"
				   "location 1:0x3 2:0x1 4:1=3\n"
				   "location 1:0x4 2:0x1 3:0x403000 4:1=4\n"
				   "function 1:0x1 2:0x401000 3:0x401000\n"
				   "function 1:0x2 2:0x402000 3:0x402000\n"
				   "function 1:0x3 2:scope 3:scope\n"
				   "function 1:0x4 2:0x403000 3:0x403000\n"
				   "field 10 = 60\n"
				   "field 14 = 3\n"
				   "strings 11\n";
	struct pprof_opts o = { 0 };
	static struct pprof_run pr;
	static struct text t;
	struct tb b;

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
	run_pprof(&b, 1, &o, &pr);
	pprof_text(pr.bytes, pr.n, &t);
	is_int(pr.rc, 0, "pprof balanced: converts");
	is_int(pr.threads, 1, "pprof balanced: one thread");
	is_str(t.s, want,
	       "pprof balanced: a sample per call path, leaf first; calls, self, total; no "
	       "time without a clock");
	tb_free(&b);
}

/* Calls of main (0x401000) -> 0x402000 by a thread of one process (pid 100, /bin/synth). */
static void pprof_thread(struct tb *b, uint32_t tid, uint64_t t, uint64_t d)
{
	tb_events_begin(b, tid, 0, 0, TSF_EF_FINAL);
	tb_enter(b, t, 0x401000);
	tb_enter(b, t + 1, 0x402000);
	tb_exit(b, t + 1 + d, 0x402000);
	tb_exit(b, t + 2 + d, 0x401000);
	tb_events_end(b);
}

/*
 * Two traces: /bin/synth with threads 100 and 101, /bin/other (pid 200, earlier, its
 * clock on) with thread 200.  Equal paths add up across threads and traces; --thread
 * keeps one; the time starts with the earliest trace; the mapping names no executable.
 */
static void test_pprof_merge(void)
{
	static const char want[] = "sample 1 = 3 6 51\n"
				   "sample 2 1 = 3 45 45\n"
				   "mapping 1:0x1 3:0xffffffffffffffff 7:0x1\n"
				   "location 1:0x1 2:0x1 3:0x401000 4:1=1\n"
				   "location 1:0x2 2:0x1 3:0x402000 4:1=2\n"
				   "function 1:0x1 2:0x401000 3:0x401000\n"
				   "function 1:0x2 2:0x402000 3:0x402000\n"
				   "field 9 = 1700000000000000000\n"
				   "field 10 = 1012\n"
				   "field 14 = 3\n"
				   "strings 9\n";
	/* thread 101 alone: the time and executable of its trace, which has no clock */
	static const char want_one[] = "sample 1 = 1 2 12\n"
				       "sample 2 1 = 1 10 10\n"
				       "mapping 1:0x1 3:0xffffffffffffffff 5:/bin/synth 7:0x1\n"
				       "location 1:0x1 2:0x1 3:0x401000 4:1=1\n"
				       "location 1:0x2 2:0x1 3:0x402000 4:1=2\n"
				       "function 1:0x1 2:0x401000 3:0x401000\n"
				       "function 1:0x2 2:0x402000 3:0x402000\n"
				       "field 10 = 512\n"
				       "field 14 = 3\n"
				       "strings 9\n";
	struct pprof_opts o = { 0 };
	static struct pprof_run pr;
	static struct text t;
	struct tb b[2];
	const char *s;

	synth_begin(&b[0]);
	tb_thread(&b[0], 101, 100, 1, "worker");
	pprof_thread(&b[0], 100, 1000, 20);
	pprof_thread(&b[0], 101, 1500, 10);
	tb_end(&b[0]);
	tb_init(&b[1]);
	tb_header(&b[1], 200, 1, TSF_CLOCK_MONOTONIC, 500);
	tb_clock(&b[1], 500, 500, UINT64_C(1700000000000000000), 0);
	tb_process(&b[1], 200, 1, "/bin/other");
	tb_thread(&b[1], 200, 200, 1, "main");
	pprof_thread(&b[1], 200, 600, 15);
	tb_end(&b[1]);

	run_pprof(b, 2, &o, &pr);
	pprof_text(pr.bytes, pr.n, &t);
	s = strstr(t.s, "sample ");
	is_int(pr.rc, 0, "pprof merge: converts");
	is_int(pr.threads, 3, "pprof merge: three threads");
	is_str(s ? s : t.s, want,
	       "pprof merge: equal paths add up; time of the earliest trace, to the last event");

	o.has_tid = 1;
	o.tid = 101;
	run_pprof(b, 2, &o, &pr);
	pprof_text(pr.bytes, pr.n, &t);
	s = strstr(t.s, "sample ");
	is_int(pr.threads, 1, "pprof --thread 101: one thread");
	is_str(s ? s : t.s, want_one, "pprof --thread 101: its calls only");
	o.tid = 999;
	run_pprof(b, 2, &o, &pr);
	pprof_text(pr.bytes, pr.n, &t);
	is_int(pr.threads, 0, "pprof --thread 999: no thread");
	ok(!strstr(t.s, "sample ") && !strstr(t.s, "location") && strstr(t.s, "strings 7\n"),
	   "pprof --thread 999: a valid profile of no samples");
	tb_free(&b[0]);
	tb_free(&b[1]);
}

/*
 * A recursion 20 deep, cut at 8 frames: paths 1 to 8 deep as they are, the 12 deeper
 * ones as one, 3 outer frames, "[frames cut]", 4 inner ones; totals exact.  Frame d
 * (from 1) lasts 41 - 2d ns, its self time 2 (the innermost's 1).
 */
static void test_pprof_cut(void)
{
	static const char want[] = "sample 1 = 1 2 39\n"
				   "sample 1 1 = 1 2 37\n"
				   "sample 1 1 1 = 1 2 35\n"
				   "sample 1 1 1 1 = 1 2 33\n"
				   "sample 1 1 1 1 1 = 1 2 31\n"
				   "sample 1 1 1 1 1 1 = 1 2 29\n"
				   "sample 1 1 1 1 1 1 1 = 1 2 27\n"
				   "sample 1 1 1 1 1 1 1 1 = 1 2 25\n"
				   "sample 1 1 1 1 2 1 1 1 = 12 23 144\n"
				   "mapping 1:0x1 3:0xffffffffffffffff 5:/bin/synth 7:0x1\n"
				   "location 1:0x1 2:0x1 3:0xa 4:1=1\n"
				   "location 1:0x2 2:0x1 4:1=2\n"
				   "function 1:0x1 2:0xa 3:0xa\n"
				   "function 1:0x2 2:[frames cut] 3:[frames cut]\n";
	struct pprof_opts o = { 0, 0, 8 };
	static struct pprof_run pr;
	static struct text t;
	struct tb b;
	const char *s;

	synth_begin(&b);
	tb_events_begin(&b, 100, 0, 0, TSF_EF_FINAL);
	for (uint64_t d = 1; d <= 20; d++)
		tb_enter(&b, 1000 + d - 1, 0xa);
	for (uint64_t d = 20; d >= 1; d--)
		tb_exit(&b, 1020 + 20 - d, 0xa);
	tb_events_end(&b);
	tb_end(&b);
	run_pprof(&b, 1, &o, &pr);
	pprof_text(pr.bytes, pr.n, &t);
	s = strstr(t.s, "sample ");
	is_int(pr.rc, 0, "pprof cut: converts");
	ok(s && strncmp(s, want, strlen(want)) == 0,
	   "pprof cut: 8 frames a sample at most, the deeper paths add up");
	if (s && strncmp(s, want, strlen(want)) != 0)
		printf("# got:\n%s", s);
	is_str(pr.warning,
	       "12 call paths are deeper than 8 frames (up to 20): each keeps its outermost 3 "
	       "and innermost 4 frames, joined by a frame \"[frames cut]\"",
	       "pprof cut: the warning says so");
	tb_free(&b);
}

/* Names that are not UTF-8 are made so: each bad byte is U+FFFD. */
static void test_pprof_utf8(void)
{
	struct pprof_opts o = { 0 };
	static struct pprof_run pr;
	static struct text t;
	struct tb b;

	synth_begin(&b);
	tb_name(&b, 0x5300, "bad\xff\xc3(\xe2\x82\xac)");
	tb_events_begin(&b, 100, 0, 0, TSF_EF_FINAL);
	tb_begin(&b, 1000, 0x5300);
	tb_end_scope(&b, 1005);
	tb_events_end(&b);
	tb_end(&b);
	run_pprof(&b, 1, &o, &pr);
	pprof_text(pr.bytes, pr.n, &t);
	ok(strstr(t.s, "function 1:0x1 2:bad\xef\xbf\xbd\xef\xbf\xbd(\xe2\x82\xac) 3:bad"),
	   "pprof UTF-8: bad bytes replaced, good sequences kept");
	ok(strstr(t.s, "location 1:0x1 2:0x1 4:1=1\n"), "pprof UTF-8: a scope has no address");
	tb_free(&b);
}

static void test_pprof(void)
{
	test_pprof_bytes();
	test_pprof_balanced();
	test_pprof_merge();
	test_pprof_cut();
	test_pprof_utf8();
}

static const struct test_case cases[] = {
	{ "balanced", test_balanced, 0 },
	{ "func", test_func, 0 },
	{ "repairs", test_repairs, 300 },
	{ "gaps", test_gaps, 0 },
	{ "deep", test_deep, 0 },
	{ "escape", test_escape, 0 },
	{ "perfetto", test_perfetto_exact, 0 },
	{ "perfetto-times", test_perfetto_times, 0 },
	{ "perfetto-reset", test_perfetto_reset, 0 },
	{ "perfetto-seek", test_perfetto_seek, 0 },
	{ "perfetto-held", test_perfetto_held, 0 },
	{ "perfetto-tracks", test_perfetto_tracks, 0 },
	{ "random", test_random, 300 },
	{ "diff", test_diff, 0 },
	{ "cut", test_cut, 0 },
	{ "pprof", test_pprof, 0 }, /* the profile's bytes, decoded by a reader of its own */
	{ "flamegraph", test_flamegraph, 0 },
	{ "flame-escape", test_flame_escape, 0 },
	{ NULL, NULL, 0 },
};

int main(int argc, char **argv)
{
	convert_setup("synth");
	return run_tests(argc, argv, cases);
}
