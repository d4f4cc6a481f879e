/* SPDX-License-Identifier: MIT */
/*
 * test-fuzzfix.c - the conversion bugs fixed along with tests/fuzz-pipeline.c, each on
 * a trace built byte by byte (tests/trace-build.h) and run through the spans layer the
 * way every exporter does.  Inputs of their shape are in tests/corpus/pipeline
 * (fix-*.trace), which tests/test-fuzzcorpus.sh feeds to the commands.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tscope.h"
#include "reader.h"
#include "spans.h"
#include "trace-build.h"
#include "tap.h"

/* The keys of the spans closed, in order. */
struct seen {
	uint64_t keys[16];
	size_t n;
};

static void on_close(void *ctx, const struct spans_frame *stack, size_t depth, uint64_t end)
{
	struct seen *s = ctx;

	(void)end;
	if (s->n < 16)
		s->keys[s->n++] = stack[depth].key;
}

static void head(struct tb *b)
{
	tb_init(b);
	tb_header(b, 100, 1, TSF_CLOCK_MONOTONIC, 1000);
}

/* Open the trace b holds, with a spans, run thread 0 with ops; the reader and spans
 * stay open for the caller (close()). */
struct conv {
	struct reader *r;
	struct names *names;
	struct spans *sp;
	int rc;
};

static int convert(struct conv *cv, struct tb *b, const struct spans_ops *ops, void *ctx)
{
	memset(cv, 0, sizeof(*cv));
	cv->rc = -1;
	if (reader_open_mem(b->p, b->n, &cv->r) != 0 || reader_thread_count(cv->r) < 1)
		return -1;
	cv->names = names_new();
	if (!cv->names || spans_open(&cv->sp, cv->r, cv->names) != 0)
		return -1;
	cv->rc = spans_run(cv->sp, 0, ops, ctx);
	return cv->rc;
}

static void close_conv(struct conv *cv)
{
	spans_close(cv->sp);
	names_free(cv->names);
	reader_close(cv->r);
}

static const char *name_of(struct conv *cv, uint64_t key)
{
	return names_str(cv->names, spans_name(cv->sp, key), NULL);
}

/*
 * An address word with bits above a real address set, in the range of the keys that
 * name a function of one of several objects mapped at one place one after another:
 * it was taken for such a key and indexed their table out of bounds.  It is an address
 * like any other, named by its hex value.
 */
static void tagged_address(void)
{
	static const uint64_t addrs[] = {
		UINT64_C(0x0805000000401000), /* registration 5, without any */
		UINT64_C(0x0801000000001000), /* registration 1, with one */
		UINT64_C(0x0fff000000401000),
	};
	char want[32];

	for (int contested = 0; contested < 2; contested++) {
		for (size_t i = 0; i < 3; i++) {
			struct spans_ops ops = { .close = on_close };
			struct seen seen = { .n = 0 };
			struct conv cv;
			struct tb b;

			head(&b);
			tb_module(&b, 0, 0x1000, 0x2000, "/nonexistent/a.so", NULL, 0);
			if (contested) {
				tb_unload(&b, 0, 0x1000, 1500, TSF_UNLOAD_EXACT);
				tb_module(&b, 0, 0x1000, 0x2000, "/nonexistent/b.so", NULL, 0);
			}
			tb_events_begin(&b, 100, 0, 0, TSF_EF_FINAL);
			tb_enter(&b, 1000, addrs[i]);
			tb_enter(&b, 1010, 0x1100);
			tb_exit(&b, 1020, 0x1100);
			tb_exit(&b, 1030, addrs[i]);
			tb_events_end(&b);
			tb_end(&b);
			is_int(convert(&cv, &b, &ops, &seen), 0, "%s trace, address %#" PRIx64 ": converted",
			       contested ? "contested" : "plain", addrs[i]);
			snprintf(want, sizeof(want), "0x%" PRIx64, addrs[i]);
			if (cv.rc == 0 && seen.n == 2) {
				is_str(name_of(&cv, seen.keys[1]), want, "... named by its address");
				is_str(name_of(&cv, seen.keys[0]), "a.so+0x1100",
				       "... and the call in it too, as its module and offset");
			} else {
				ok(0, "... two spans (%zu)", seen.n);
				ok(0, "... (skipped)");
			}
			close_conv(&cv);
			tb_free(&b);
		}
	}
}

static double cpu_seconds(void)
{
	return (double)clock() / CLOCKS_PER_SEC;
}

/*
 * DEPTH calls, then N returns (or scope ends) that match none of them: each searched
 * the whole stack, SEARCH_MAX frames, so that a few KiB of packed events took minutes.
 * Now the searches stop short; the result is the same.
 */
static void deep_unmatched(int scope_ends)
{
	const uint64_t depth = 65600, n = 1000000;
	struct spans_ops ops = { .close = NULL };
	const struct spans_repairs *rep;
	struct conv cv;
	struct tb b;
	double t;

	head(&b);
	tb_events_begin(&b, 100, 0, 0, TSF_EF_FINAL);
	for (uint64_t i = 0; i < depth; i++)
		tb_enter(&b, 1000 + i, 0x401000);
	for (uint64_t i = 0; i < n; i++) {
		if (scope_ends)
			tb_end_scope(&b, 100000 + i);
		else
			tb_exit(&b, 100000 + i, 0x402000);
	}
	tb_events_end(&b);
	tb_end(&b);
	t = cpu_seconds();
	is_int(convert(&cv, &b, &ops, NULL), 0, "%s under %" PRIu64 " calls: converted",
	       scope_ends ? "1000000 scope ends" : "1000000 returns matching nothing", depth);
	t = cpu_seconds() - t;
	/* before: 6.5e10 frames compared, a minute; now well under a second */
	ok(t < 10, "... in %.2f s of CPU", t);
	rep = spans_repairs(cv.sp);
	is_int(scope_ends ? rep->end_dropped : rep->exit_dropped, n, "... all ignored");
	is_int(rep->open_at_end, depth, "... the calls closed at the end");
	close_conv(&cv);
	tb_free(&b);
}

/*
 * A real unwind (longjmp) from deep down is still found; after returns that match
 * nothing spent the searches' allowance, it is found again once as many events as it
 * looks at, over SEARCH_PER_EVENT, have been read.
 */
static void deep_unwind(void)
{
	struct spans_ops ops = { .close = NULL };
	const struct spans_repairs *rep;
	uint64_t t = 1000;
	struct conv cv;
	struct tb b;

	head(&b);
	tb_events_begin(&b, 100, 0, 0, TSF_EF_FINAL);
	for (int round = 0; round < 2; round++) {
		tb_enter(&b, t++, 0x401000);
		for (int i = 0; i < 60000; i++)
			tb_enter(&b, t++, 0x402000);
		if (round == 1) {
			for (int i = 0; i < 1000; i++) /* each searches all 60001 frames */
				tb_exit(&b, t++, 0x403000);
			for (int i = 0; i < 4096; i++) { /* calls and returns */
				tb_enter(&b, t++, 0x404000);
				tb_exit(&b, t++, 0x404000);
			}
		}
		tb_exit(&b, t++, 0x401000);
	}
	tb_events_end(&b);
	tb_end(&b);
	is_int(convert(&cv, &b, &ops, NULL), 0, "deep unwinds: converted");
	rep = spans_repairs(cv.sp);
	is_int(rep->unwound, 120000, "... both found");
	is_int(rep->exit_dropped, 1000, "... the returns that match nothing ignored");
	is_int(rep->open_at_end, 0, "... nothing left open");
	close_conv(&cv);
	tb_free(&b);
}

/* Modules, none at the same place as another: no table of contested ranges.  Building
 * it took the address of its first entry in a NULL table (undefined behavior). */
static void no_contest(void)
{
	struct spans_ops ops = { .close = NULL };
	struct conv cv;
	struct tb b;

	head(&b);
	tb_module(&b, 0, 0x1000, 0x2000, "/nonexistent/a.so", NULL, 0);
	tb_module(&b, 0, 0x3000, 0x4000, "/nonexistent/b.so", NULL, 0);
	tb_events_begin(&b, 100, 0, 0, TSF_EF_FINAL);
	tb_enter(&b, 1000, 0x1100);
	tb_exit(&b, 1010, 0x1100);
	tb_events_end(&b);
	tb_end(&b);
	is_int(convert(&cv, &b, &ops, NULL), 0, "modules with no contested range");
	close_conv(&cv);
	tb_free(&b);
}

int main(void)
{
	tagged_address();
	no_contest();
	deep_unmatched(0);
	deep_unmatched(1);
	deep_unwind();
	return done();
}
