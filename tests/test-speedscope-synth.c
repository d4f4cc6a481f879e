/* SPDX-License-Identifier: MIT */
/*
 * test-speedscope-synth.c - the speedscope exporter (lib/read/export-speedscope.c) on
 * traces built byte by byte (tests/trace-build.h, CLOCK_MONOTONIC so that ticks are
 * ns): its document to the byte, the same whether the output can seek or not; a
 * stream that starts inside calls, written again from the thread's start in a file
 * that seeks, held in memory in one that cannot, or, past what may be held, opened
 * where the output had got to with a warning; a second reading shorter than the first,
 * padded; --thread; names that need escaping.  Each case runs in a child of its own
 * (tests/runner.h).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tscope.h"
#include "reader.h"
#include "spans.h"
#include "export.h"
#include "trace-build.h"
#include "convert.h"
#include "runner.h"

#define HEAD "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",\"profiles\":["
#define PROFILE(name)                                                                              \
	"\n{\"type\":\"evented\",\"unit\":\"nanoseconds\",\"name\":\"" name "\",\"events\":["
/* the first event of a profile, then the others */
#define O1(f, t)     "\n{\"type\":\"O\",\"frame\":" #f ",\"at\":" #t "}"
#define O(f, t)	     ",\n{\"type\":\"O\",\"frame\":" #f ",\"at\":" #t "}"
#define C(f, t)	     ",\n{\"type\":\"C\",\"frame\":" #f ",\"at\":" #t "}"
#define TAIL(lo, hi) "\n],\"startValue\":" #lo ",\"endValue\":" #hi "}"
#define FRAMES	     "\n],\"shared\":{\"frames\":["
#define END                                                                                        \
	"\n]},\"name\":\"synth\",\"activeProfileIndex\":0,\"exporter\":"                           \
	"\"tscope " TSCOPE_VERSION_STRING "\"}\n"

/* A trace of process 100, clock MONOTONIC (ticks are ns), recording from 1000. */
static void synth_begin(struct tb *b)
{
	tb_init(b);
	tb_header(b, 100, 1, TSF_CLOCK_MONOTONIC, 1000);
	tb_process(b, 100, 1, "/bin/synth");
	tb_thread(b, 100, 100, 1, "main");
	tb_name(b, 0x5000, "scope \"q\"");
}

/* What run() made. */
struct out {
	char *text; /* the document */
	size_t n;
	char warn[512];
	int rc;
};

/*
 * Run the speedscope exporter, as the CLI does, on the trace in b with o's options,
 * into a regular file (it can seek) or one opened with O_APPEND (it cannot).
 */
static void run_ss(struct tb *b, struct speedscope_opts *o, int append, struct out *res)
{
	const struct exporter *e = export_find("speedscope");
	struct reader *r = NULL;
	struct names *names = names_new();
	struct spans *sp = NULL;
	char path[4200];
	void *x = NULL;
	int fd;
	FILE *f;

	free(res->text);
	memset(res, 0, sizeof(*res));
	res->rc = -100;
	path_of(path, sizeof(path), "out.json");
	unlink(path);
	fd = open(path, O_RDWR | O_CREAT | (append ? O_APPEND : 0), 0644);
	f = fd < 0 ? NULL : fdopen(fd, "w+");
	if (e && f && names && !reader_open_mem(b->p, b->n, &r) && !spans_open(&sp, r, names)) {
		e->prepare(o, &sp, 1);
		res->rc = e->open(&x, f, o, names);
		if (!res->rc) {
			res->rc = e->add(x, sp);
			e->warning(x, res->warn, sizeof(res->warn));
			res->rc |= e->finish(x);
		}
		fflush(f);
		res->rc |= ferror(f) ? -200 : 0;
	}
	if (f)
		fclose(f);
	else if (fd >= 0)
		close(fd);
	res->text = slurp(path);
	res->n = strlen(res->text);
	spans_close(sp);
	names_free(names);
	reader_close(r);
}

/* A balanced thread, a scope with a name to escape, a thread without a name. */
static void test_exact(void)
{
	static const char want[] = HEAD PROFILE("main (tid 100, pid 100)") O1(0, 100) O(1, 110)
	    O(2, 120) C(2, 130) C(1, 140) O(3, 150) C(3, 160) C(0, 200)
		TAIL(100, 250) "," PROFILE("tid 101 (pid 100)") O1(1, 300) C(1, 310) TAIL(300, 310)
		    FRAMES "\n{\"name\":\"0xa\"},\n{\"name\":\"0xb\"},"
			   "\n{\"name\":\"scope \\\"q\\\"\"},\n{\"name\":\"0xc\"}" END;
	struct speedscope_opts o;
	struct out a = { 0 }, b2 = { 0 };
	struct tb b;

	synth_begin(&b);
	tb_events_begin(&b, 100, 0, 0, TSF_EF_FINAL);
	tb_enter(&b, 1100, 0xa);
	tb_enter(&b, 1110, 0xb);
	tb_begin(&b, 1120, 0x5000);
	tb_end_scope(&b, 1130);
	tb_exit(&b, 1140, 0xb);
	tb_enter(&b, 1150, 0xc);
	tb_exit(&b, 1160, 0xc);
	tb_exit(&b, 1200, 0xa);
	tb_instant(&b, 1250, 0x5000); /* no place in the format: left out */
	tb_events_end(&b);
	tb_events_begin(&b, 101, 0, 0, TSF_EF_FINAL);
	tb_enter(&b, 1300, 0xb);
	tb_exit(&b, 1310, 0xb);
	tb_events_end(&b);
	tb_end(&b);
	memset(&o, 0, sizeof(o));
	run_ss(&b, &o, 0, &a);
	is_int(a.rc, 0, "exact: converts");
	is_int(o.base_ns, 1000, "exact: time 0 is the recording's start, as in the JSON");
	is_str(a.text, want, "exact: the document to the byte");
	is_str(a.warn, "", "exact: nothing to warn about");
	run_ss(&b, &o, 1, &b2);
	is_str(b2.text, a.text, "exact: the same bytes when the output cannot seek");

	memset(&o, 0, sizeof(o));
	o.has_tid = 1;
	o.tid = 101;
	run_ss(&b, &o, 0, &a);
	is_str(a.text,
	       HEAD PROFILE("tid 101 (pid 100)") O1(0, 300) C(0, 310) TAIL(300, 310) FRAMES
	       "\n{\"name\":\"0xb\"}" END,
	       "exact: --thread 101, its frames only");
	free(a.text);
	free(b2.text);
	tb_free(&b);
}

/*
 * c, then b and a return with nothing open: they began before the events.  Written
 * again with them open from the first event, whether the output seeks or is held in
 * memory; past stage_max, they open where the output had got to, still nested.
 */
static void test_reset(void)
{
	static const char want[] = HEAD PROFILE("main (tid 100, pid 100)") O1(3, 100) O(1, 100)
	    O(0, 100) C(0, 110) C(1, 120) O(2, 130) C(2, 140) C(3, 150) TAIL(100, 150) FRAMES
	    "\n{\"name\":\"0xc\"},\n{\"name\":\"0xb\"},\n{\"name\":\"0xd\"},\n{\"name\":"
	    "\"0xa\"}" END;
	struct speedscope_opts o;
	struct out a = { 0 };
	struct tb b;

	synth_begin(&b);
	tb_events_begin(&b, 100, 0, 0, TSF_EF_FINAL);
	tb_enter(&b, 1100, 0xc);
	tb_exit(&b, 1110, 0xc);
	tb_exit(&b, 1120, 0xb);
	tb_enter(&b, 1130, 0xd);
	tb_exit(&b, 1140, 0xd);
	tb_exit(&b, 1150, 0xa);
	tb_events_end(&b);
	tb_end(&b);
	for (int append = 0; append < 2; append++) {
		const char *how = append ? "held in memory" : "written again";

		memset(&o, 0, sizeof(o));
		run_ss(&b, &o, append, &a);
		is_int(a.rc, 0, "reset, %s: converts", how);
		is_str(a.text, want, "reset, %s: a and b open first, at the first event", how);
		is_str(a.warn, "", "reset, %s: no warning", how);
	}
	memset(&o, 0, sizeof(o));
	o.stage_max = 64;
	run_ss(&b, &o, 1, &a);
	is_str(a.text,
	       HEAD PROFILE("main (tid 100, pid 100)") O1(0, 100) C(0, 110) O(1, 110) C(1, 120)
		   O(2, 130) C(2, 140) O(3, 140) C(3, 150) TAIL(100, 150) FRAMES
	       "\n{\"name\":\"0xc\"},\n{\"name\":\"0xb\"},\n{\"name\":"
	       "\"0xd\"},\n{\"name\":\"0xa\"}" END,
	       "reset, more than stage_max held: b and a open late, still nested");
	is_str(a.warn,
	       "2 calls begun before their thread's first event open where the output had got "
	       "to, not at that event (the thread's output was too large to hold and write "
	       "again: write to a file with -o)",
	       "reset, more than stage_max held: the warning");
	free(a.text);
	tb_free(&b);
}

/*
 * Written again after more than the buffer went out: the output goes back to where the
 * thread began.  Ten calls return with nothing open, after events 1 us apart: they
 * open at 254 us in the first reading, at 0 in the second, which is shorter by more
 * than the profile's end; spaces make up the difference.
 */
static void test_seek(void)
{
	struct speedscope_opts o;
	struct out a = { 0 }, b2 = { 0 };
	uint64_t t = 1000;
	struct tb b;
	char *p;
	size_t n;

	synth_begin(&b);
	tb_events_begin(&b, 100, 0, 0, TSF_EF_FINAL);
	for (uint64_t k = 0; k < 127; k++) {
		tb_enter(&b, t, 0x10000 + 16 * k);
		tb_exit(&b, t += 1000, 0x10000 + 16 * k);
		t += 1000;
	}
	for (uint64_t k = 0; k < 10; k++)
		tb_exit(&b, t++, 0x90000 + 16 * k); /* began before the events */
	for (int k = 0; k < 20000; k++) {
		tb_enter(&b, t++, 0x90000);
		tb_exit(&b, t++, 0x90000);
	}
	tb_events_end(&b);
	tb_end(&b);
	memset(&o, 0, sizeof(o));
	run_ss(&b, &o, 0, &a);
	run_ss(&b, &o, 1, &b2);
	is_int(a.rc | b2.rc, 0, "seek: converts, seekable or not");
	ok(a.n > (256u << 10) && b2.n > (256u << 10), "seek: more than a buffer");
	ok(strstr(a.text, PROFILE("main (tid 100, pid 100)") O1(136, 0) O(135, 0)) != NULL,
	   "seek: the calls open from the first event, outermost first");
	ok(a.n > b2.n, "seek: padded after the shorter second reading (%zu bytes, not %zu)", a.n,
	   b2.n);
	p = strstr(a.text, "}  ");
	n = a.n - b2.n;
	if (p && a.n > b2.n && strspn(p + 1, " ") == n) /* the same but for the spaces */
		memmove(p + 1, p + 1 + n, strlen(p + 1 + n) + 1);
	is_str(a.text, b2.text, "seek: the same document either way, but for the spaces");
	free(a.text);
	free(b2.text);
	tb_free(&b);
}

static const struct test_case cases[] = {
	{ "exact", test_exact, 0 },
	{ "reset", test_reset, 0 },
	{ "seek", test_seek, 0 },
	{ NULL, NULL, 0 },
};

int main(int argc, char **argv)
{
	convert_setup("speedscope");
	return run_tests(argc, argv, cases);
}
