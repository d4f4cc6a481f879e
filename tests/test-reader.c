/* SPDX-License-Identifier: MIT */
/*
 * test-reader.c - the trace reader on synthetic traces with known contents: metadata,
 * clock conversion, event streams, and every kind of damage (truncation at every
 * length, flipped bytes at every offset, absurd sizes, bad versions).  Each case runs
 * in a child of its own (tests/runner.h): `tests/test-reader --list` lists them.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tscope.h"
#include "reader.h"
#include "dump.h"
#include "units.h"
#include "runner.h"
#include "trace-build.h"

/* A temporary file name in the build tree's tests/ (make check), else here. */
static void tmp_name(char *buf, size_t size, const char *stem)
{
	const char *top = getenv("top_builddir");

	if (top && *top)
		snprintf(buf, size, "%s/tests/tmp-%s-XXXXXX", top, stem);
	else
		snprintf(buf, size, "tmp-%s-XXXXXX", stem);
}

#define PID  4242
#define MAIN PID
#define WORK 4250

/* Print a thread's stream compactly: "E401000@1100 X401000@1900 ...". */
static int render(struct reader *r, size_t thread, unsigned flags, char *out, size_t size)
{
	struct reader_cursor c;
	struct reader_event ev;
	size_t o = 0;
	int rc;

	out[0] = 0;
	reader_cursor_init(&c, r, thread, flags);
	while ((rc = reader_next(&c, &ev)) > 0 && o + 64 < size) {
		const char *sep = o ? " " : "";
		int n = 0;

		switch (ev.kind) {
		case READER_EV_ENTER:
			n = snprintf(out + o, size - o, "%sE%" PRIx64 "@%" PRIu64, sep, ev.addr,
				     ev.ticks);
			break;
		case READER_EV_EXIT:
			n = snprintf(out + o, size - o, "%sX%" PRIx64 "@%" PRIu64, sep, ev.addr,
				     ev.ticks);
			break;
		case READER_EV_BEGIN:
			n = snprintf(out + o, size - o, "%sB%" PRIx64 "@%" PRIu64, sep, ev.addr,
				     ev.ticks);
			break;
		case READER_EV_END:
			n = snprintf(out + o, size - o, "%sZ@%" PRIu64, sep, ev.ticks);
			break;
		case READER_EV_COPY:
			n = snprintf(out + o, size - o, "%sC'%s'/%u@%" PRIu64, sep, ev.text, ev.len,
				     ev.ticks);
			break;
		case READER_EV_INSTANT:
			n = snprintf(out + o, size - o, "%sI%" PRIx64 "@%" PRIu64, sep, ev.addr,
				     ev.ticks);
			break;
		case READER_EV_COUNTER:
			n = snprintf(out + o, size - o, "%sN%" PRIx64 "=%" PRId64 "@%" PRIu64, sep,
				     ev.addr, ev.value, ev.ticks);
			break;
		case READER_EV_CHUNK:
			n = snprintf(out + o, size - o, "%s[chunk %" PRId64 "]", sep, ev.value);
			break;
		case READER_EV_LOST:
			n = snprintf(out + o, size - o, "%s[lost %" PRId64 "@%" PRIu64 "]", sep,
				     ev.value, ev.ticks);
			break;
		case READER_EV_GAP:
			n = snprintf(out + o, size - o, "%s[gap %" PRId64 "]", sep, ev.value);
			break;
		case READER_EV_BAD:
			n = snprintf(out + o, size - o, "%s[bad %" PRId64 "]", sep, ev.value);
			break;
		default:
			n = snprintf(out + o, size - o, "%s?%u", sep, ev.kind);
			break;
		}
		o += (size_t)n;
	}
	reader_cursor_fini(&c);
	return rc;
}

/* The reference trace: two threads, every event kind, metadata of every type. */
static void build_reference(struct tb *b)
{
	static const unsigned char bid[4] = { 0xde, 0xad, 0xbe, 0xef };

	tb_header(b, PID, 1, TSF_CLOCK_TSC, 1000);
	tb_process(b, PID, 1, "/usr/bin/prog");
	tb_clock(b, 1000, 0, 1700000000000000000u, 20);
	tb_module(b, 0x400000, 0x401000, 0x402000, "/usr/bin/prog", bid, sizeof(bid));
	tb_name(b, 0x5000, "parse");
	tb_name(b, 0x6000, "queue");
	tb_thread(b, MAIN, PID, 1000, "prog");
	tb_events_begin(b, MAIN, 0, 0, 0);
	tb_enter(b, 1100, 0x401000);
	tb_begin(b, 1200, 0x5000);
	tb_copy(b, 1300, "a copied name, 31 bytes long...");
	tb_end_scope(b, 1400);
	tb_end_scope(b, 1500);
	tb_exit(b, 1600, 0x401000);
	tb_events_end(b);
	tb_events_begin(b, WORK, 0, 0, 0);
	tb_instant(b, 1700, 0x5000);
	tb_counter(b, 1800, 0x6000, 0);
	tb_counter(b, 1900, 0x6000, -7);
	tb_events_end(b);
	tb_thread(b, WORK, PID, 1000, "worker-old");
	tb_thread(b, WORK, PID, 2000, "worker-1");
	tb_events_begin(b, MAIN, 1, 0, TSF_EF_FINAL);
	tb_enter(b, 2000, 0x401100);
	tb_exit(b, 2500, 0x401100);
	tb_events_end(b);
	tb_clock(b, 3000, 1000, 1700000000000001000u, 10);
	tb_end(b);
}

#define MAIN_STREAM                                                                                \
	"E401000@1100 B5000@1200 C'a copied name, 31 bytes long...'/31@1300 Z@1400 Z@1500 "        \
	"X401000@1600 E401100@2000 X401100@2500"
#define WORK_STREAM "I5000@1700 N6000=0@1800 N6000=-7@1900"

static void test_reference(void)
{
	struct tb b;
	struct reader *r;
	const struct reader_info *in;
	const struct reader_thread *t;
	const struct reader_module *m;
	const struct reader_clock *ck;
	char s[4096];
	int rc;

	tb_init(&b);
	build_reference(&b);
	rc = reader_open_mem(b.p, b.n, &r);
	is_int(rc, 0, "reference trace opens");
	if (rc) {
		tb_free(&b);
		return;
	}
	in = reader_info(r);
	is_int(in->version, TSF_VERSION, "version");
	is_int(in->pid, PID, "pid");
	is_int(in->ppid, 1, "ppid");
	is_int(in->clock_source, TSF_CLOCK_TSC, "clock source");
	is_int(in->start_ticks, 1000, "start ticks");
	is_str(in->exe, "/usr/bin/prog", "executable from PROCESS");
	ok(in->complete && in->end_matches && !in->truncated, "complete, END totals match");
	is_int(in->chunks, 12, "chunks before END");
	is_int(in->event_chunks, 3, "EVENTS chunks");
	is_int(in->slots, 8 + 5 + 2, "event slots");
	is_int(in->bad_chunks + in->unknown_chunks + in->missing + in->lost, 0, "nothing wrong");
	is_int(in->file_size, b.n, "file size");

	is_int(reader_thread_count(r), 2, "two threads");
	t = reader_thread(r, 0);
	is_int(t->tid, MAIN, "main thread first");
	is_str(t->name, "prog", "main thread name");
	is_int(t->chunks, 2, "main thread chunks");
	t = reader_thread(r, 1);
	is_int(t->tid, WORK, "worker second");
	is_str(t->name, "worker-1", "newest thread name wins");
	ok(reader_thread(r, 2) == NULL, "no third thread");

	is_int(reader_module_count(r), 1, "one module");
	m = reader_module(r, 0);
	ok(m->bias == 0x400000 && m->lo == 0x401000 && m->hi == 0x402000, "module addresses");
	is_str(m->path, "/usr/bin/prog", "module path");
	ok(m->build_id_len == 4 && memcmp(m->build_id, "\xde\xad\xbe\xef", 4) == 0, "build id");

	is_str(reader_name(r, 0x5000), "parse", "name pointer resolves");
	ok(reader_name(r, 0x5001) == NULL, "unknown name pointer is NULL");

	ck = reader_clock(r);
	ok(!ck->estimated && ck->points == 2, "two sync points");
	is_int(reader_ns(r, 1000), 0, "ns at first sync point");
	is_int(reader_ns(r, 3000), 1000, "ns at last sync point");
	is_int(reader_ns(r, 2000), 500, "2 ticks per ns, exactly");
	is_int(reader_ns(r, 1002), 1, "2 ticks per ns, small step");
	is_int(reader_ns(r, 999), 0, "before the anchor saturates at 0");
	ok(ck->ticks_per_ns == 2.0, "ticks per ns for display");
	is_int(ck->read_cost, 10, "cheapest read cost");
	ok(ck->real0 == 1700000000000000000u, "realtime at start");

	rc = render(r, 0, 0, s, sizeof(s));
	is_int(rc, 0, "main stream ends cleanly");
	is_str(s, MAIN_STREAM, "main thread events");
	render(r, 1, 0, s, sizeof(s));
	is_str(s, WORK_STREAM, "worker events, counters folded with their value");
	render(r, 1, READER_CHUNKS, s, sizeof(s));
	is_str(s, "[chunk 0] " WORK_STREAM, "chunk notes on request");

	rc = reader_scan(r);
	is_int(rc, 0, "scan");
	is_int(in->events, 8 + 3, "logical events");
	is_int(reader_thread(r, 0)->events, 8, "main thread logical events");
	is_int(reader_thread(r, 1)->events, 3, "worker logical events");
	is_int(in->first_ticks, 1100, "first event");
	is_int(in->last_ticks, 2500, "last event");
	is_int(reader_thread(r, 1)->first_ticks, 1700, "worker first");
	is_int(reader_thread(r, 1)->last_ticks, 1900, "worker last");
	reader_close(r);
	reader_close(NULL);
	tb_free(&b);
}

#ifdef HAVE_LZ4
/* Offset of the first chunk of this type in a built trace, or 0. */
static size_t find_chunk(const struct tb *b, uint32_t type)
{
	size_t off = sizeof(struct tsf_header);

	while (off + sizeof(struct tsf_chunk) <= b->n) {
		uint32_t t, size;

		memcpy(&t, b->p + off, 4);
		memcpy(&size, b->p + off + 8, 4);
		if (t == type)
			return off;
		off += sizeof(struct tsf_chunk) + TSF_ALIGN8((size_t)size);
	}
	return 0;
}

static void test_lz4(void)
{
	struct tb b;
	struct reader *r;
	char s[4096];
	size_t off;
	int rc;

	tb_init(&b);
	b.lz4 = 1;
	build_reference(&b);
	rc = reader_open_mem(b.p, b.n, &r);
	is_int(rc, 0, "LZ4 trace opens");
	if (rc) {
		tb_free(&b);
		return;
	}
	ok(reader_info(r)->complete && reader_info(r)->end_matches, "LZ4 trace complete");
	render(r, 0, 0, s, sizeof(s));
	is_str(s, MAIN_STREAM, "LZ4 main thread events");
	render(r, 1, 0, s, sizeof(s));
	is_str(s, WORK_STREAM, "LZ4 worker events");
	reader_close(r);

	/* a block whose head decodes but whose raw_size lies: the whole chunk is skipped */
	off = find_chunk(&b, TSF_CHUNK_EVENTS);
	if (off) {
		uint32_t raw = (uint32_t)b.p[off + 12] | (uint32_t)b.p[off + 13] << 8;

		tb_poke32(&b, off + 12, raw + 16);
		rc = reader_open_mem(b.p, b.n, &r);
		is_int(rc, 0, "LZ4 chunk with a wrong raw size opens");
		if (!rc) {
			FILE *f = tmpfile();

			render(r, 0, 0, s, sizeof(s));
			is_str(s, "[bad 9] E401100@2000 X401100@2500", "and is skipped as a whole");
			if (f) {
				char line[256] = "";

				dump_records(r, "z", f);
				rewind(f);
				while (fgets(line, sizeof(line), f) &&
				       strncmp(line, "  BAD", 5) != 0)
					;
				is_str(line, "  BAD chunk cannot be decoded: 9 slots skipped\n",
				       "dump says so");
				fclose(f);
			}
			reader_close(r);
		}
	}
	tb_free(&b);

	/* a compressed block that does not decode is skipped as malformed */
	tb_init(&b);
	tb_header(&b, PID, 1, TSF_CLOCK_MONOTONIC, 0);
	tb_chunk_raw(&b, TSF_CHUNK_EVENTS, TSF_CF_LZ4, 8, 64, "\xff\xff\xff\xff\xff\xff\xff\xff",
		     8);
	tb_end(&b);
	rc = reader_open_mem(b.p, b.n, &r);
	is_int(rc, 0, "bad LZ4 trace opens");
	if (!rc) {
		is_int(reader_info(r)->bad_chunks, 1, "undecodable LZ4 chunk counted");
		is_int(reader_thread_count(r), 0, "and not indexed");
		reader_close(r);
	}
	tb_free(&b);
}
#else
static void test_lz4(void)
{
	struct tb b;
	struct reader *r;
	int rc;

	tb_init(&b);
	tb_header(&b, PID, 1, TSF_CLOCK_MONOTONIC, 0);
	tb_chunk_raw(&b, TSF_CHUNK_EVENTS, TSF_CF_LZ4, 8, 64, "\x10\x00\x00\x00\x00\x00\x00\x00",
		     8);
	tb_end(&b);
	rc = reader_open_mem(b.p, b.n, &r);
	is_int(rc, TSCOPE_ENOLZ4, "LZ4 chunk without LZ4 support");
	ok(r == NULL, "no reader on failure");
	reader_close(r);
	tb_free(&b);
}
#endif

static int open_bytes(const void *p, size_t n)
{
	struct reader *r;
	int rc = reader_open_mem(p, n, &r);

	reader_close(r);
	return rc;
}

/* UNLOAD chunks: each times the newest earlier MODULE at its place still loaded. */
static void test_unload(void)
{
	struct tb b;
	struct reader *r;
	const struct reader_module *m;
	int rc;

	tb_init(&b);
	tb_header(&b, PID, 1, TSF_CLOCK_TSC, 1000);
	tb_clock(&b, 1000, 0, 0, 20);
	tb_module(&b, 0x7000, 0x7000, 0x8000, "/lib/a.so", NULL, 0);
	tb_module(&b, 0x9000, 0x9000, 0xa000, "/lib/c.so", NULL, 0);
	tb_unload(&b, 0x7000, 0x7000, 1500, TSF_UNLOAD_EXACT);
	tb_module(&b, 0x7000, 0x7000, 0x8000, "/lib/b.so", NULL, 0);
	tb_unload(&b, 0x7000, 0x7000, 1800, 0);
	tb_unload(&b, 0x5000, 0x5000, 1900, TSF_UNLOAD_EXACT); /* nothing there: ignored */
	tb_module(&b, 0x7000, 0x7000, 0x8000, "/lib/a.so", NULL, 0);
	tb_clock(&b, 3000, 1000, 0, 20);
	tb_end(&b);
	rc = reader_open_mem(b.p, b.n, &r);
	is_int(rc, 0, "unload: trace opens");
	if (rc == 0) {
		is_int(reader_module_count(r), 4, "unload: four modules");
		m = reader_module(r, 0);
		ok(m->unload_ticks == 1500 && m->unload_exact, "unload: a.so gone at 1500, exact");
		m = reader_module(r, 1);
		ok(m->unload_ticks == UINT64_MAX, "unload: c.so never gone");
		m = reader_module(r, 2);
		ok(m->unload_ticks == 1800 && !m->unload_exact, "unload: b.so gone at 1800, late");
		m = reader_module(r, 3);
		ok(m->unload_ticks == UINT64_MAX, "unload: a.so again, still loaded");
		is_int(reader_info(r)->unknown_chunks, 0, "unload: a known chunk type");
		reader_close(r);
	}
	tb_free(&b);
}

static void test_header(void)
{
	struct tb b;
	struct reader *r;
	int rc;

	is_int(open_bytes("", 0), TSCOPE_EFORMAT, "empty file");
	is_int(open_bytes(NULL, 0), TSCOPE_EFORMAT, "NULL, empty");
	is_int(open_bytes("TSC", 3), TSCOPE_ETRUNC, "cut inside the magic");
	is_int(open_bytes("TSX", 3), TSCOPE_EFORMAT, "three wrong bytes");
	is_int(open_bytes("#!/bin/sh\necho hello, world\n", 28), TSCOPE_EFORMAT, "a script");

	tb_init(&b);
	tb_header_v(&b, TSF_VERSION + 1, 64, 0, PID, 1, TSF_CLOCK_TSC, 0);
	is_int(open_bytes(b.p, b.n), TSCOPE_EVERSION, "newer version");
	is_int(open_bytes(b.p, 10), TSCOPE_EVERSION, "newer version, cut after it");
	tb_free(&b);

	tb_init(&b);
	tb_header_v(&b, 0, 64, 0, PID, 1, TSF_CLOCK_TSC, 0);
	is_int(open_bytes(b.p, b.n), TSCOPE_EFORMAT, "version 0");
	tb_free(&b);

	tb_init(&b);
	tb_header_v(&b, TSF_VERSION, 32, 0, PID, 1, TSF_CLOCK_TSC, 0);
	is_int(open_bytes(b.p, b.n), TSCOPE_EFORMAT, "header_size below 64");
	tb_free(&b);

	tb_init(&b);
	tb_header(&b, PID, 1, TSF_CLOCK_TSC, 0);
	b.p[0] = 'X';
	is_int(open_bytes(b.p, b.n), TSCOPE_EFORMAT, "bad magic");
	tb_free(&b);

	/* a larger header: the first chunk starts after it, 8-aligned */
	tb_init(&b);
	tb_header_v(&b, TSF_VERSION, 70, 0, PID, 1, TSF_CLOCK_MONOTONIC, 0);
	tb_events_begin(&b, PID, 0, 0, 0);
	tb_enter(&b, 5, 0x10);
	tb_events_end(&b);
	tb_end(&b);
	rc = reader_open_mem(b.p, b.n, &r);
	is_int(rc, 0, "grown header");
	if (!rc) {
		is_int(reader_first_chunk(r), 72, "first chunk after a 70-byte header");
		ok(reader_info(r)->complete && reader_info(r)->end_matches, "read completely");
		reader_close(r);
	}
	tb_free(&b);

	/* header only: nothing to read, but a valid start */
	tb_init(&b);
	tb_header(&b, PID, 1, TSF_CLOCK_TSC, 0);
	rc = reader_open_mem(b.p, b.n, &r);
	is_int(rc, 0, "header-only trace opens");
	if (!rc) {
		ok(reader_info(r)->truncated && reader_info(r)->trunc_offset == 64,
		   "header-only trace is truncated at 64");
		reader_close(r);
	}
	is_int(open_bytes(b.p, 63), TSCOPE_ETRUNC, "cut inside the header");
	tb_free(&b);
}

static void test_clock(void)
{
	struct tb b;
	struct reader *r;
	const struct reader_clock *c;
	int rc;

	/* monotonic: ticks are ns */
	tb_init(&b);
	tb_header(&b, PID, 1, TSF_CLOCK_MONOTONIC, 0);
	tb_end(&b);
	rc = reader_open_mem(b.p, b.n, &r);
	is_int(rc, 0, "monotonic trace opens");
	if (!rc) {
		c = reader_clock(r);
		ok(!c->estimated, "monotonic is exact");
		is_int(reader_ns(r, 123456789), 123456789, "monotonic identity");
		ok(reader_ns(r, UINT64_MAX) == UINT64_MAX, "monotonic identity at the top");
		reader_close(r);
	}
	tb_free(&b);

	/* one sync point: estimated, 1 tick per ns from it */
	tb_init(&b);
	tb_header(&b, PID, 1, TSF_CLOCK_TSC, 500);
	tb_clock(&b, 1000, 777, 0, 0);
	rc = reader_open_mem(b.p, b.n, &r);
	is_int(rc, 0, "single sync point opens");
	if (!rc) {
		c = reader_clock(r);
		ok(c->estimated && c->points == 1, "single sync point is an estimate");
		is_int(reader_ns(r, 1500), 1277, "estimate anchored at the sync point");
		reader_close(r);
	}
	tb_free(&b);

	/* none: from the header's start ticks */
	tb_init(&b);
	tb_header(&b, PID, 1, TSF_CLOCK_CNTVCT, 500);
	rc = reader_open_mem(b.p, b.n, &r);
	if (!rc) {
		ok(reader_clock(r)->estimated, "no sync point is an estimate");
		is_int(reader_ns(r, 1500), 1000, "estimate anchored at start_ticks");
		reader_close(r);
	}
	tb_free(&b);

	/* an inexact rate: 3 ticks per 1 ns... per 7 ns; compare with exact rationals */
	tb_init(&b);
	tb_header(&b, PID, 1, TSF_CLOCK_TSC, 0);
	tb_clock(&b, 1000000, 5000000000u, 0, 0);
	tb_clock(&b, 1000000 + 3000000000u, 5000000000u + 7000000000u, 0, 0);
	tb_clock(&b, 1000000 + 1000, 5000000000u + 2000, 0, 0); /* middle point: ignored */
	rc = reader_open_mem(b.p, b.n, &r);
	if (!rc) {
		int exact = 1;

		for (uint64_t d = 0; d < 3000000000u; d += 999983) {
			unsigned __int128 want = (unsigned __int128)d * 7 / 3 + 5000000000u;

			if (reader_ns(r, 1000000 + d) != (uint64_t)want)
				exact = 0;
		}
		ok(exact, "7/3 ns per tick matches exact rationals");
		is_int(reader_ns(r, 1000000 + 3), 5000000007u, "7 ns after 3 ticks");
		ok(reader_ns(r, UINT64_MAX) == UINT64_MAX, "overflow saturates");
		reader_close(r);
	}
	tb_free(&b);

	/* a realistic 2.6 GHz counter over an hour: within 1 ns of long double math */
	tb_init(&b);
	tb_header(&b, PID, 1, TSF_CLOCK_TSC, 0);
	tb_clock(&b, 123456789012345u, 987654321000u, 0, 0);
	tb_clock(&b, 123456789012345u + 9360000000000u + 12345, 987654321000u + 3600000000000u, 0,
		 0);
	rc = reader_open_mem(b.p, b.n, &r);
	if (!rc) {
		long double rate = (9360000000000.0L + 12345) / 3600000000000.0L;
		long double worst = 0;

		for (uint64_t d = 0; d < 9360000000000u; d += 7777777777u) {
			long double want = 987654321000.0L + (long double)d / rate;
			long double got = (long double)reader_ns(r, 123456789012345u + d);
			long double err = got > want ? got - want : want - got;

			if (err > worst)
				worst = err;
		}
		ok(worst < 1.0L, "2.6 GHz over an hour: error %.3Lf ns < 1 ns", worst);
		reader_close(r);
	}
	tb_free(&b);
}

static void test_stream_notes(void)
{
	struct tb b;
	struct reader *r;
	char s[4096];
	int rc;

	/* seq 0, 3 (1 and 2 missing), then 2 (late, out of file order) with lost events */
	tb_init(&b);
	tb_header(&b, PID, 1, TSF_CLOCK_MONOTONIC, 0);
	tb_events_begin(&b, PID, 0, 0, 0);
	tb_enter(&b, 10, 0x1);
	tb_events_end(&b);
	tb_events_begin(&b, PID, 3, 0, 0);
	tb_exit(&b, 40, 0x1);
	tb_events_end(&b);
	tb_events_begin(&b, PID, 2, 5, 0);
	tb_enter(&b, 30, 0x2);
	tb_events_end(&b);
	tb_end(&b);
	rc = reader_open_mem(b.p, b.n, &r);
	is_int(rc, 0, "gappy trace opens");
	if (!rc) {
		is_int(reader_info(r)->missing, 1, "one chunk missing");
		is_int(reader_info(r)->lost, 5, "five events lost");
		render(r, 0, 0, s, sizeof(s));
		is_str(s, "E1@10 [gap 1] [lost 5@30] E2@30 X1@40", "seq order, gap and lost notes");
		render(r, 0, READER_CHUNKS, s, sizeof(s));
		is_str(s, "[chunk 0] E1@10 [chunk 2] [gap 1] [lost 5@30] E2@30 [chunk 3] X1@40",
		       "chunk notes come first");
		reader_close(r);
	}
	tb_free(&b);

	/* ring mode: a leading gap is expected and not reported */
	tb_init(&b);
	tb_header_v(&b, TSF_VERSION, 64, TSF_HF_RING, PID, 1, TSF_CLOCK_MONOTONIC, 0);
	tb_events_begin(&b, PID, 7, 0, TSF_EF_RING_WRAPPED);
	tb_enter(&b, 10, 0x1);
	tb_events_end(&b);
	tb_end(&b);
	rc = reader_open_mem(b.p, b.n, &r);
	if (!rc) {
		render(r, 0, 0, s, sizeof(s));
		is_str(s, "[gap 0] E1@10", "ring mode: no leading seq gap; a wrap is a gap of 0");
		is_int(reader_info(r)->missing, 0, "ring mode: nothing missing");
		is_int(reader_info(r)->wrapped, 1, "ring mode: one wrap");
		reader_close(r);
	}
	tb_free(&b);

	/* END totals that disagree; an END lost count above the chunks' (failed writes) */
	tb_init(&b);
	tb_header(&b, PID, 1, TSF_CLOCK_MONOTONIC, 0);
	tb_events_begin(&b, PID, 0, 2, 0);
	tb_enter(&b, 10, 0x1);
	tb_events_end(&b);
	b.lost += 10;
	tb_end(&b);
	rc = reader_open_mem(b.p, b.n, &r);
	if (!rc) {
		ok(reader_info(r)->end_matches, "END lost may exceed the chunks' lost");
		is_int(reader_info(r)->lost, 12, "lost takes END's total");
		reader_close(r);
	}
	b.n -= 48;
	b.chunks--;
	b.slots++;
	tb_end(&b);
	rc = reader_open_mem(b.p, b.n, &r);
	if (!rc) {
		ok(reader_info(r)->complete && !reader_info(r)->end_matches, "END totals mismatch");
		reader_close(r);
	}
	tb_free(&b);
}

static void test_malformed_events(void)
{
	struct tb b;
	struct reader *r;
	char s[4096];
	size_t zero_at;
	int rc;

	tb_init(&b);
	tb_header(&b, PID, 1, TSF_CLOCK_MONOTONIC, 0);
	/* an unknown kind in the middle: the tail of the chunk is skipped */
	tb_events_begin(&b, PID, 0, 0, 0);
	tb_enter(&b, 10, 0x1);
	tb_ev(&b, 20, TSF_WORD(0x6, 0x1));
	tb_exit(&b, 30, 0x1);
	tb_events_end(&b);
	/* a COPY whose name runs past the chunk */
	tb_events_begin(&b, PID, 1, 0, 0);
	tb_enter(&b, 40, 0x2);
	tb_ev(&b, 50, TSF_WORD(TSF_KIND_COPY, 40));
	tb_ev(&b, 0x4141414141414141u, 0x4141414141414141u);
	tb_events_end(&b);
	/* a COUNTER without its value slot */
	tb_events_begin(&b, PID, 2, 0, 0);
	tb_ev(&b, 60, TSF_WORD(TSF_KIND_COUNTER, 0x9));
	tb_events_end(&b);
	/* a COPY longer than the format allows */
	tb_events_begin(&b, PID, 3, 0, 0);
	tb_ev(&b, 70, TSF_WORD(TSF_KIND_COPY, TSF_COPY_MAX + 1));
	for (int i = 0; i < 17; i++)
		tb_ev(&b, 0x4242424242424242u, 0x4242424242424242u);
	tb_events_end(&b);
	/* the writer's end mark: an all-zero slot and whatever follows it */
	zero_at = b.n;
	tb_events_begin(&b, PID, 4, 0, 0);
	tb_enter(&b, 80, 0x3);
	tb_ev(&b, 0, 0);
	tb_enter(&b, 90, 0x4);
	tb_events_end(&b);
	/* a well-formed chunk after all that */
	tb_events_begin(&b, PID, 5, 0, 0);
	tb_exit(&b, 100, 0x3);
	tb_events_end(&b);
	tb_end(&b);
	rc = reader_open_mem(b.p, b.n, &r);
	is_int(rc, 0, "trace with malformed events opens");
	if (!rc) {
		struct reader_cursor c;
		struct reader_event ev;

		rc = render(r, 0, 0, s, sizeof(s));
		is_int(rc, 0, "malformed events are not an error");
		is_str(s, "E1@10 [bad 2] E2@40 [bad 2] [bad 1] [bad 18] E3@80 X3@100",
		       "malformed tails become BAD notes");
		reader_scan(r);
		is_int(reader_info(r)->bad_chunks, 4, "scan counts them");
		is_int(reader_thread(r, 0)->bad, 4, "per thread too");
		is_int(reader_info(r)->events, 4, "good events counted");

		reader_cursor_init_chunk(&c, r, zero_at);
		while (reader_next(&c, &ev) > 0)
			;
		is_int(c.chunk.zero_tail, 2, "zero mark and what follows are ignored");
		is_int(c.chunk.seq, 4, "one-chunk cursor reports its seq");
		reader_cursor_fini(&c);
		reader_cursor_fini(&c);
		reader_close(r);
	}
	tb_free(&b);
}

static void test_malformed_chunks(void)
{
	struct tb b;
	struct reader *r;
	unsigned char junk[64];
	int rc;

	memset(junk, 0x11, sizeof(junk));
	tb_init(&b);
	tb_header(&b, PID, 1, TSF_CLOCK_MONOTONIC, 0);
	tb_chunk_raw(&b, 999, 0, 5, 5, "hello", 5);		    /* unknown type */
	tb_chunk_raw(&b, TSF_CHUNK_CLOCK, 0, 8, 8, junk, 8);	    /* too short */
	tb_chunk_raw(&b, TSF_CHUNK_THREAD, 0x80, 20, 20, junk, 20); /* unknown flag */
	tb_chunk_raw(&b, TSF_CHUNK_NAME, 0, 16, 17, junk, 16);	    /* size != raw */
	tb_chunk_raw(&b, TSF_CHUNK_EVENTS, 0, 40, 40, junk, 40);    /* not whole events */
	tb_chunk_raw(&b, TSF_CHUNK_EVENTS, TSF_CF_LZ4, 16, 0xffffffffu, junk, 16); /* huge */
	tb_chunk_raw(&b, TSF_CHUNK_PROCESS, TSF_CF_LZ4, 40, 20, junk, 40);	   /* > LZ4 bound */
	{
		struct tsf_module m = { 1, 2, 3, 100, 100, 0 }; /* overrunning lengths */

		tb_chunk_raw(&b, TSF_CHUNK_MODULE, 0, sizeof(m), sizeof(m), &m, sizeof(m));
	}
	tb_events_begin(&b, PID, 0, 0, 0);
	tb_enter(&b, 10, 0x1);
	tb_events_end(&b);
	tb_end(&b);
	rc = reader_open_mem(b.p, b.n, &r);
	is_int(rc, 0, "trace with malformed chunks opens");
	if (!rc) {
		const struct reader_info *in = reader_info(r);

		is_int(in->unknown_chunks, 1, "unknown chunk type skipped");
		is_int(in->bad_chunks, 7, "malformed chunks counted");
		is_int(in->first_bad, 64 + 16 + 8, "first malformed chunk's offset");
		ok(in->complete && in->end_matches, "and the rest is read");
		is_int(reader_thread_count(r), 1, "one thread");
		is_int(reader_module_count(r), 0, "bad module not kept");
		reader_close(r);
	}
	tb_free(&b);

	/* a size field that runs past the end of the file: a cut */
	tb_init(&b);
	tb_header(&b, PID, 1, TSF_CLOCK_MONOTONIC, 0);
	tb_events_begin(&b, PID, 0, 0, 0);
	tb_enter(&b, 10, 0x1);
	tb_events_end(&b);
	tb_chunk_raw(&b, TSF_CHUNK_NAME, 0, 0xffffffffu, 0xffffffffu, junk, 16);
	rc = reader_open_mem(b.p, b.n, &r);
	is_int(rc, 0, "huge chunk size opens");
	if (!rc) {
		ok(reader_info(r)->truncated && reader_info(r)->trunc_offset == 64 + 64,
		   "huge size: truncated at that chunk");
		is_int(reader_info(r)->slots, 1, "events before it kept");
		reader_close(r);
	}
	tb_free(&b);
}

/* Every length of the reference trace: an error, or a prefix flagged truncated. */
static void test_truncation(int lz4)
{
	struct tb b;
	uint64_t prev_events = 0;
	int crashed = 0, monotone = 1, flagged = 1, codes = 1;

	tb_init(&b);
	b.lz4 = lz4;
	build_reference(&b);
	for (size_t len = 0; len < b.n; len++) {
		unsigned char *copy = malloc(len ? len : 1);
		struct reader *r;
		int rc;

		memcpy(copy, b.p, len);
		rc = reader_open_mem(copy, len, &r);
		if (rc == 0) {
			const struct reader_info *in = reader_info(r);
			char s[4096];

			if (!in->truncated || in->complete || in->trunc_offset > len)
				flagged = 0;
			for (size_t i = 0; i < reader_thread_count(r); i++)
				if (render(r, i, READER_CHUNKS, s, sizeof(s)) < 0)
					crashed = 1;
			if (reader_scan(r) < 0)
				crashed = 1;
			if (in->events < prev_events)
				monotone = 0;
			prev_events = in->events;
			reader_close(r);
		} else if (rc != TSCOPE_EFORMAT && rc != TSCOPE_ETRUNC) {
			codes = 0;
		} else if (len >= 64) {
			codes = 0;
		}
		free(copy);
	}
	ok(!crashed, "%struncated at every length: no error while iterating", lz4 ? "LZ4, " : "");
	ok(flagged, "%severy cut prefix is flagged truncated", lz4 ? "LZ4, " : "");
	ok(monotone, "%slonger prefixes never yield fewer events", lz4 ? "LZ4, " : "");
	ok(codes, "%sfailures only inside the header", lz4 ? "LZ4, " : "");
	is_int(prev_events, 8 + 3, "%sthe last cut has every event", lz4 ? "LZ4, " : "");
	tb_free(&b);
}

/* The cut inside an uncompressed EVENTS chunk keeps its whole events. */
static void test_cut_chunk(void)
{
	struct tb b;
	struct reader *r;
	char s[4096];
	size_t at;
	int rc;

	tb_init(&b);
	tb_header(&b, PID, 1, TSF_CLOCK_MONOTONIC, 0);
	at = b.n;
	tb_events_begin(&b, PID, 0, 0, 0);
	tb_enter(&b, 10, 0x1);
	tb_counter(&b, 20, 0x9, 5);
	tb_enter(&b, 30, 0x2);
	tb_events_end(&b);
	rc = reader_open_mem(b.p, b.n - 8, &r);
	is_int(rc, 0, "cut chunk opens");
	if (!rc) {
		ok(reader_info(r)->truncated && reader_info(r)->trunc_offset == at,
		   "truncated at the cut chunk");
		render(r, 0, 0, s, sizeof(s));
		is_str(s, "E1@10 N9=5@20", "whole events before the cut are read");
		reader_close(r);
	}
	rc = reader_open_mem(b.p, b.n - 24, &r);
	if (!rc) {
		render(r, 0, 0, s, sizeof(s));
		is_str(s, "E1@10", "a counter cut from its value just stops the stream");
		reader_close(r);
	}
	tb_free(&b);
}

/* Every byte flipped, one at a time, in a few ways: no crash, no out-of-bounds read. */
static void test_flips(int lz4)
{
	static const unsigned char masks[] = { 0xff, 0x01, 0x80, 0x10 };
	struct tb b;
	int bad_rc = 0, iter_err = 0;
	unsigned opened = 0, runs = 0;

	tb_init(&b);
	b.lz4 = lz4;
	build_reference(&b);
	for (size_t m = 0; m < sizeof(masks); m++) {
		for (size_t at = 0; at < b.n; at++) {
			unsigned char *copy = malloc(b.n);
			struct reader *r;
			int rc;

			memcpy(copy, b.p, b.n);
			copy[at] ^= masks[m];
			runs++;
			rc = reader_open_mem(copy, b.n, &r);
			if (rc == 0) {
				struct reader_chunk ck;
				uint64_t off = reader_first_chunk(r);

				opened++;
				if (reader_scan(r) < 0)
					iter_err = 1;
				while (reader_chunk_read(r, off, &ck) > 0 && ck.next > off) {
					struct reader_cursor c;
					struct reader_event ev;

					if (ck.hdr.type == TSF_CHUNK_EVENTS) {
						reader_cursor_init_chunk(&c, r, off);
						while (reader_next(&c, &ev) > 0)
							;
						reader_cursor_fini(&c);
					}
					off = ck.next;
				}
				reader_close(r);
			} else if (rc != TSCOPE_EFORMAT && rc != TSCOPE_EVERSION &&
				   rc != TSCOPE_ETRUNC && rc != TSCOPE_ENOLZ4) {
				bad_rc = 1;
			}
			free(copy);
		}
	}
	ok(!bad_rc, "%sflipped bytes: only format errors (%u of %u runs opened)",
	   lz4 ? "LZ4, " : "", opened, runs);
	ok(!iter_err, "%sflipped bytes: iteration never fails", lz4 ? "LZ4, " : "");
	tb_free(&b);
}

static void test_chunk_walk(void)
{
	struct tb b;
	struct reader *r;
	struct reader_chunk ck;
	char types[256] = "";
	uint64_t off;
	int rc;

	tb_init(&b);
	build_reference(&b);
	tb_bytes(&b, "trailing", 8);
	rc = reader_open_mem(b.p, b.n, &r);
	is_int(rc, 0, "trace with trailing bytes opens");
	if (rc) {
		tb_free(&b);
		return;
	}
	is_int(reader_info(r)->trailing, 8, "trailing bytes after END counted");
	for (off = reader_first_chunk(r); reader_chunk_read(r, off, &ck) > 0; off = ck.next) {
		const char *name = reader_chunk_type_name(ck.hdr.type);

		strcat(types, name ? name : "?");
		strcat(types, " ");
		if (ck.hdr.type == TSF_CHUNK_END)
			break;
	}
	is_str(
	    types,
	    "PROCESS CLOCK MODULE NAME NAME THREAD EVENTS EVENTS THREAD THREAD EVENTS CLOCK END ",
	    "chunks in file order");
	rc = reader_chunk_read(r, reader_first_chunk(r), &ck);
	ok(rc == 1 && ck.status == 0 && ck.decoded, "PROCESS decoded");
	is_str(ck.u.process.exe, "/usr/bin/prog", "PROCESS exe");
	is_int(reader_chunk_read(r, b.n, &ck), 0, "end of file");
	is_int(reader_chunk_read(r, 3, &ck), 0, "unaligned offset refused");
	ok(reader_chunk_type_name(12345) == NULL, "unknown type has no name");
	is_str(reader_clock_name(TSF_CLOCK_TSC), "tsc", "clock name");
	reader_close(r);
	tb_free(&b);
}

/* Many threads and names (the tables grow), a metadata chunk larger than the reader's
 * read-ahead window, and a trace changed on disk after it was opened. */
static void test_file_big(void)
{
	static char text[40000];
	struct tb b;
	struct reader *r;
	char path[4096];
	size_t victim = 0;
	int fd, rc, ok_names = 1;

	tmp_name(path, sizeof(path), "reader-big");
	memset(text, 'n', sizeof(text) - 1);
	tb_init(&b);
	tb_header(&b, PID, 1, TSF_CLOCK_MONOTONIC, 0);
	for (uint32_t i = 0; i < 300; i++) {
		char name[32];

		snprintf(name, sizeof(name), "name-%u", (unsigned)i);
		tb_name(&b, 0x10000 + i * 8, name);
		if (i == 150) {
			victim = b.n;
			tb_name(&b, 0x9999, text);
		}
		tb_events_begin(&b, 1000 + i, 0, 0, 0);
		tb_begin(&b, 10 + i, 0x10000 + i * 8);
		tb_end_scope(&b, 20 + i);
		tb_events_end(&b);
	}
	tb_end(&b);
	fd = mkstemp(path);
	if (fd < 0 || write(fd, b.p, b.n) != (ssize_t)b.n) {
		ok(0, "big temporary file");
		tb_free(&b);
		return;
	}
	rc = reader_open(path, &r);
	is_int(rc, 0, "big trace opens from a file");
	if (!rc) {
		char s[256];

		is_int(reader_thread_count(r), 300, "300 threads");
		for (uint32_t i = 0; i < 300; i++) {
			char name[32];
			const char *got = reader_name(r, 0x10000 + i * 8);

			snprintf(name, sizeof(name), "name-%u", (unsigned)i);
			if (!got || strcmp(got, name) != 0)
				ok_names = 0;
		}
		ok(ok_names, "300 names resolve");
		ok(reader_name(r, 0x9999) && strlen(reader_name(r, 0x9999)) == sizeof(text) - 1,
		   "a name larger than the read-ahead window");
		render(r, 299, 0, s, sizeof(s));
		is_str(s, "B10958@309 Z@319", "last thread's events");

		/* the file changes under the reader: the events chunk of thread 1150 now
		 * claims to be something else, and the file loses its tail */
		ok(pwrite(fd, "\x63\0\0\0", 4, (off_t)(victim + 16 + 8 + sizeof(text) - 1 + 1)) ==
		       4,
		   "damage the file");
		render(r, 150, 0, s, sizeof(s));
		is_str(s, "[bad 2]", "a chunk changed after indexing is skipped");
		ok(ftruncate(fd, (off_t)(b.n / 2)) == 0, "shrink the file");
		render(r, 299, 0, s, sizeof(s));
		is_str(s, "[bad 0]", "a chunk gone after indexing is skipped");
		reader_close(r);
	}
	close(fd);
	unlink(path);
	tb_free(&b);
}

/* The text views, byte for byte, on a small trace. */
static void test_dump(void)
{
	static const char want_dump[] =
	    "file t.trace size=576\n"
	    "header @0 version=1 header_size=64 flags=0x0 pid=4242 ppid=1 clock=tsc(1) "
	    "start_ticks=1000\n"
	    "chunk @64 PROCESS size=24 pid=4242 ppid=1 exe=\"/bin/a\\\"b\"\n"
	    "chunk @104 CLOCK size=32 ticks=1000 mono_ns=0 real_ns=1700000000123456789 "
	    "read_cost=20\n"
	    "chunk @152 NAME size=12 ptr=0x5000 text=\"tab\\x09\"\n"
	    "chunk @184 THREAD size=20 tid=4242 pid=4242 ticks=1000 name=\"main\"\n"
	    "chunk @224 EVENTS size=192 tid=4242 seq=0 lost=2 flags=0x2 final n=10\n"
	    "  1100 50 ENTER 0x401000\n"
	    "  1200 100 BEGIN 0x5000 \"tab\\x09\"\n"
	    "  1300 150 COPY \"dyn\"\n"
	    "  1400 200 COUNTER 0x6000 = -3\n"
	    "  1500 250 END\n"
	    "  1600 300 EXIT 0x401000\n"
	    "  BAD slots 8..9 skipped: not a valid event\n"
	    "chunk @432 type=99 size=3 (unknown type, skipped)\n"
	    "chunk @456 CLOCK size=32 ticks=3000 mono_ns=1000 real_ns=1700000000123457789 "
	    "read_cost=20\n"
	    "chunk @504 CLOCK size=8 MALFORMED: payload shorter than its fixed part\n"
	    "chunk @528 END size=32 chunks=8 events=10 lost=2\n";
	static const char want_info[] =
	    "trace       t.trace\n"
	    "format      version 1, 64-byte header\n"
	    "status      complete\n"
	    "process     pid 4242, parent 1\n"
	    "executable  /bin/a\\\"b\n"
	    "mode        stream\n"
	    "clock       tsc, 2.0000 ticks/ns (2.0000 GHz), 2 sync points over 1.000 us\n"
	    "read cost   20 ticks (10.0 ns)\n"
	    "started     2023-11-14 22:13:20.123 UTC\n"
	    "duration    250 ns (first to last event)\n"
	    "threads     1\n"
	    "             tid  events  lost  name\n"
	    "            4242       6     2  main  (1 malformed chunk)\n"
	    "events      6 in 10 slots\n"
	    "lost        2\n"
	    "waited      0\n"
	    "chunks      9 (1 EVENTS)\n"
	    "malformed   2 chunks skipped, the first at byte 224\n"
	    "unknown     1 chunk of newer types skipped\n"
	    "modules     0\n"
	    "size        576 B (576 bytes), 96.00 bytes/event\n";
	struct tb b;
	struct reader *r;
	char got[4096];
	FILE *f;
	size_t n;
	int rc;

	tb_init(&b);
	tb_header(&b, PID, 1, TSF_CLOCK_TSC, 1000);
	tb_process(&b, PID, 1, "/bin/a\"b");
	tb_clock(&b, 1000, 0, 1700000000123456789u, 20);
	tb_name(&b, 0x5000, "tab\t");
	tb_thread(&b, MAIN, PID, 1000, "main");
	tb_events_begin(&b, MAIN, 0, 2, TSF_EF_FINAL);
	tb_enter(&b, 1100, 0x401000);
	tb_begin(&b, 1200, 0x5000);
	tb_copy(&b, 1300, "dyn");
	tb_counter(&b, 1400, 0x6000, -3);
	tb_end_scope(&b, 1500);
	tb_exit(&b, 1600, 0x401000);
	tb_ev(&b, 1700, TSF_WORD(0xf, 0));
	tb_ev(&b, 1800, TSF_WORD(TSF_KIND_ENTER, 1));
	tb_events_end(&b);
	tb_chunk_raw(&b, 99, 0, 3, 3, "xyz", 3);
	tb_clock(&b, 3000, 1000, 1700000000123457789u, 20);
	tb_chunk_raw(&b, TSF_CHUNK_CLOCK, 0, 8, 8, "\0\0\0\0\0\0\0\0", 8);
	tb_end(&b);
	rc = reader_open_mem(b.p, b.n, &r);
	is_int(rc, 0, "dump trace opens");
	f = tmpfile();
	if (rc || !f) {
		tb_free(&b);
		return;
	}
	is_int(dump_records(r, "t.trace", f), 0, "dump_records");
	rewind(f);
	n = fread(got, 1, sizeof(got) - 1, f);
	got[n] = 0;
	is_str(got, want_dump, "dump output");
	rewind(f);
	ok(ftruncate(fileno(f), 0) == 0, "reuse the output");
	is_int(dump_info(r, "t.trace", f), 0, "dump_info");
	rewind(f);
	n = fread(got, 1, sizeof(got) - 1, f);
	got[n] = 0;
	is_str(got, want_info, "info output");
	fclose(f);
	reader_close(r);
	tb_free(&b);
}

static void test_units(void)
{
	char s[32];

	units_ns(s, sizeof(s), 999);
	is_str(s, "999 ns", "ns");
	units_ns(s, sizeof(s), 1000);
	is_str(s, "1.000 us", "us");
	units_ns(s, sizeof(s), 999949);
	is_str(s, "999.9 us", "us, at the edge");
	units_ns(s, sizeof(s), 999950);
	is_str(s, "1.000 ms", "ms, rounded up to the next unit");
	units_ns(s, sizeof(s), 12345678);
	is_str(s, "12.35 ms", "ms, 4 digits");
	units_ns(s, sizeof(s), 73250000000u);
	is_str(s, "73.25 s", "s");
	units_ns(s, sizeof(s), 7325000000000u);
	is_str(s, "7325 s", "long runs stay in s");
	units_bytes(s, sizeof(s), 812);
	is_str(s, "812 B", "bytes");
	units_bytes(s, sizeof(s), 1536);
	is_str(s, "1.500 KiB", "KiB");
	units_bytes(s, sizeof(s), 2512555868u);
	is_str(s, "2.340 GiB", "GiB");
}

static void test_file(void)
{
	struct tb b;
	struct reader *r;
	char path[4096];
	int fd, rc;

	tmp_name(path, sizeof(path), "reader");
	tb_init(&b);
	build_reference(&b);
	fd = mkstemp(path);
	ok(fd >= 0, "temporary file");
	if (fd < 0) {
		tb_free(&b);
		return;
	}
	ok(write(fd, b.p, b.n) == (ssize_t)b.n, "written");
	close(fd);
	rc = reader_open(path, &r);
	is_int(rc, 0, "opens from a file");
	if (!rc) {
		char s[4096];

		ok(reader_info(r)->complete, "complete from a file");
		render(r, 0, 0, s, sizeof(s));
		is_str(s, MAIN_STREAM, "same events from a file");
		is_int(reader_scan(r), 0, "scan from a file");
		reader_close(r);
	}
	unlink(path);
	tb_free(&b);

	errno = 0;
	rc = reader_open("/nonexistent/tscope.trace", &r);
	ok(rc == TSCOPE_EIO && errno == ENOENT && r == NULL, "missing file: EIO, errno ENOENT");
	rc = reader_open(".", &r);
	ok(rc == TSCOPE_EIO && errno == EISDIR, "directory: EIO, errno EISDIR");
}

/* The cases that run a function above with arguments. */
static void case_truncation(void)
{
	test_truncation(0);
}

static void case_flips(void)
{
	test_flips(0);
}

#ifdef HAVE_LZ4
static void case_truncation_lz4(void)
{
	test_truncation(1);
}

static void case_flips_lz4(void)
{
	test_flips(1);
}
#endif

static const struct test_case cases[] = {
	{ "reference", test_reference, 0 },
	{ "lz4", test_lz4, 0 },
	{ "header", test_header, 0 },
	{ "unload", test_unload, 0 },
	{ "clock", test_clock, 0 },
	{ "stream-notes", test_stream_notes, 0 },
	{ "malformed-events", test_malformed_events, 0 },
	{ "malformed-chunks", test_malformed_chunks, 0 },
	{ "truncation", case_truncation, 0 },
#ifdef HAVE_LZ4
	{ "truncation-lz4", case_truncation_lz4, 0 },
#endif
	{ "cut-chunk", test_cut_chunk, 0 },
	{ "flips", case_flips, 0 },
#ifdef HAVE_LZ4
	{ "flips-lz4", case_flips_lz4, 0 },
#endif
	{ "chunk-walk", test_chunk_walk, 0 },
	{ "file", test_file, 0 },
	{ "file-big", test_file_big, 0 },
	{ "dump", test_dump, 0 },
	{ "units", test_units, 0 },
	{ NULL, NULL, 0 },
};

int main(int argc, char **argv)
{
	return run_tests(argc, argv, cases);
}
