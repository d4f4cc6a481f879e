/* SPDX-License-Identifier: MIT */
/*
 * trace-build.h - build synthetic traces in memory, byte for byte, for the tests of the
 * reader and of the converters: exact known contents, no runtime, no timing.
 *
 *	struct tb b;
 *	tb_init(&b);
 *	tb_header(&b, 100, 1, TSF_CLOCK_TSC, 1000);
 *	tb_clock(&b, 1000, 0, 0, 20);
 *	tb_events_begin(&b, 100, 0, 0, 0);
 *	tb_enter(&b, 1100, 0x401000);
 *	tb_exit(&b, 1900, 0x401000);
 *	tb_events_end(&b);
 *	tb_clock(&b, 3000, 1000, 0, 20);
 *	tb_end(&b);                          (END with the totals written so far)
 *	reader_open_mem(b.p, b.n, &r);
 *	tb_free(&b);
 *
 * Every chunk is counted for the END totals the way the runtime counts them.  The
 * tb_chunk_raw() and tb_poke*() escape hatches write malformed data on purpose.
 * Out of memory aborts: this is test code.
 */
#ifndef TSCOPE_TRACE_BUILD_H
#define TSCOPE_TRACE_BUILD_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef HAVE_LZ4
#include <lz4.h>
#endif

#include "format.h"

struct tb {
	unsigned char *p; /* the trace */
	size_t n, cap;
	uint64_t chunks, slots, lost; /* what tb_end() records */
	size_t ev_at;		      /* offset of the open EVENTS chunk; 0 if none */
	int lz4;		      /* compress EVENTS chunks (only with HAVE_LZ4) */
};

static inline void tb_init(struct tb *b)
{
	memset(b, 0, sizeof(*b));
}

static inline void tb_free(struct tb *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static inline void tb_bytes(struct tb *b, const void *s, size_t n)
{
	if (b->n + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < b->n + n)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p) {
			fputs("trace-build: out of memory\n", stderr);
			abort();
		}
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->n, s, n);
	b->n += n;
}

static inline void tb_pad8(struct tb *b)
{
	static const unsigned char zero[8];

	tb_bytes(b, zero, (size_t)(TSF_ALIGN8(b->n) - b->n));
}

/* Overwrite bytes already written (little-endian values). */
static inline void tb_poke32(struct tb *b, size_t at, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b->p[at + (size_t)i] = (unsigned char)(v >> (8 * i));
}

static inline void tb_poke64(struct tb *b, size_t at, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b->p[at + (size_t)i] = (unsigned char)(v >> (8 * i));
}

static inline void tb_u16(struct tb *b, uint16_t v)
{
	unsigned char s[2] = { (unsigned char)v, (unsigned char)(v >> 8) };

	tb_bytes(b, s, 2);
}

static inline void tb_u32(struct tb *b, uint32_t v)
{
	tb_bytes(b, "\0\0\0\0", 4);
	tb_poke32(b, b->n - 4, v);
}

static inline void tb_u64(struct tb *b, uint64_t v)
{
	tb_bytes(b, "\0\0\0\0\0\0\0\0", 8);
	tb_poke64(b, b->n - 8, v);
}

/* A header with every field given (header_size > 64 pads with zeros). */
static inline void tb_header_v(struct tb *b, uint16_t version, uint16_t header_size, uint32_t flags,
			       uint32_t pid, uint32_t ppid, uint32_t clock, uint64_t start_ticks)
{
	tb_bytes(b, TSF_MAGIC, TSF_MAGIC_SIZE);
	tb_u16(b, version);
	tb_u16(b, header_size);
	tb_u32(b, flags);
	tb_u32(b, pid);
	tb_u32(b, ppid);
	tb_u32(b, clock);
	tb_u32(b, 0);
	tb_u64(b, start_ticks);
	for (int i = 0; i < 3; i++)
		tb_u64(b, 0);
	while (b->n < header_size)
		tb_bytes(b, "", 1);
	tb_pad8(b);
}

static inline void tb_header(struct tb *b, uint32_t pid, uint32_t ppid, uint32_t clock,
			     uint64_t start_ticks)
{
	tb_header_v(b, TSF_VERSION, sizeof(struct tsf_header), 0, pid, ppid, clock, start_ticks);
}

/* A chunk exactly as given: no checks, no compression; counted for END. */
static inline void tb_chunk_raw(struct tb *b, uint32_t type, uint32_t flags, uint32_t size,
				uint32_t raw_size, const void *payload, size_t n)
{
	tb_u32(b, type);
	tb_u32(b, flags);
	tb_u32(b, size);
	tb_u32(b, raw_size);
	tb_bytes(b, payload, n);
	tb_pad8(b);
	b->chunks++;
}

/* A well-formed uncompressed chunk made of a fixed part and an optional tail. */
static inline void tb_chunk2(struct tb *b, uint32_t type, const void *a, size_t an, const void *t,
			     size_t tn)
{
	tb_u32(b, type);
	tb_u32(b, 0);
	tb_u32(b, (uint32_t)(an + tn));
	tb_u32(b, (uint32_t)(an + tn));
	tb_bytes(b, a, an);
	tb_bytes(b, t, tn);
	tb_pad8(b);
	b->chunks++;
}

static inline void tb_clock(struct tb *b, uint64_t ticks, uint64_t mono_ns, uint64_t real_ns,
			    uint64_t read_cost)
{
	struct tsf_clock c = { ticks, mono_ns, real_ns, read_cost };

	tb_chunk2(b, TSF_CHUNK_CLOCK, &c, sizeof(c), NULL, 0);
}

/* COST: events events in ticks ticks (median and rounds as the runtime writes them) */
static inline void tb_cost(struct tb *b, uint64_t ticks, uint64_t events)
{
	struct tsf_cost c = { ticks, events, ticks, 9 };

	tb_chunk2(b, TSF_CHUNK_COST, &c, sizeof(c), NULL, 0);
}

static inline void tb_process(struct tb *b, uint32_t pid, uint32_t ppid, const char *exe)
{
	struct tsf_process p = { pid, ppid, 0 };

	tb_chunk2(b, TSF_CHUNK_PROCESS, &p, sizeof(p), exe, strlen(exe));
}

static inline void tb_module(struct tb *b, uint64_t bias, uint64_t lo, uint64_t hi,
			     const char *path, const void *build_id, uint16_t build_id_len)
{
	struct tsf_module m = { bias, lo, hi, (uint16_t)strlen(path), build_id_len, 0 };
	unsigned char tail[1024];

	memcpy(tail, path, m.path_len);
	if (build_id_len)
		memcpy(tail + m.path_len, build_id, build_id_len);
	tb_chunk2(b, TSF_CHUNK_MODULE, &m, sizeof(m), tail, (size_t)m.path_len + build_id_len);
}

static inline void tb_unload(struct tb *b, uint64_t bias, uint64_t lo, uint64_t ticks,
			     uint32_t flags)
{
	struct tsf_unload u = { bias, lo, ticks, flags, 0 };

	tb_chunk2(b, TSF_CHUNK_UNLOAD, &u, sizeof(u), NULL, 0);
}

static inline void tb_thread(struct tb *b, uint32_t tid, uint32_t pid, uint64_t ticks,
			     const char *name)
{
	struct tsf_thread t = { tid, pid, ticks };

	tb_chunk2(b, TSF_CHUNK_THREAD, &t, sizeof(t), name, strlen(name));
}

static inline void tb_name(struct tb *b, uint64_t ptr, const char *text)
{
	struct tsf_name nm = { ptr };

	tb_chunk2(b, TSF_CHUNK_NAME, &nm, sizeof(nm), text, strlen(text));
}

/* Open an EVENTS chunk; add events with tb_ev() and friends; close with tb_events_end(). */
static inline void tb_events_begin(struct tb *b, uint32_t tid, uint64_t seq, uint64_t lost,
				   uint32_t flags)
{
	struct tsf_events h = { tid, flags, seq, lost, 0 };

	b->ev_at = b->n;
	tb_u32(b, TSF_CHUNK_EVENTS);
	tb_u32(b, 0);
	tb_u32(b, 0);
	tb_u32(b, 0);
	tb_bytes(b, &h, sizeof(h));
	b->lost += lost;
}

static inline void tb_ev(struct tb *b, uint64_t time, uint64_t word)
{
	struct tsf_event e = { time, word };

	tb_bytes(b, &e, sizeof(e));
}

static inline void tb_enter(struct tb *b, uint64_t t, uint64_t addr)
{
	tb_ev(b, t, TSF_WORD(TSF_KIND_ENTER, addr));
}

static inline void tb_exit(struct tb *b, uint64_t t, uint64_t addr)
{
	tb_ev(b, t, TSF_WORD(TSF_KIND_EXIT, addr));
}

static inline void tb_begin(struct tb *b, uint64_t t, uint64_t name_ptr)
{
	tb_ev(b, t, TSF_WORD(TSF_KIND_BEGIN, name_ptr));
}

static inline void tb_end_scope(struct tb *b, uint64_t t)
{
	tb_ev(b, t, TSF_WORD(TSF_KIND_END, 0));
}

static inline void tb_instant(struct tb *b, uint64_t t, uint64_t name_ptr)
{
	tb_ev(b, t, TSF_WORD(TSF_KIND_INSTANT, name_ptr));
}

static inline void tb_counter(struct tb *b, uint64_t t, uint64_t name_ptr, int64_t value)
{
	tb_ev(b, t, TSF_WORD(TSF_KIND_COUNTER, name_ptr));
	tb_ev(b, (uint64_t)value, 0);
}

/* BEGIN_COPY: the name in the following slots, NUL-padded (cut at TSF_COPY_MAX). */
static inline void tb_copy(struct tb *b, uint64_t t, const char *name)
{
	size_t n = strlen(name);
	unsigned char slot[16];

	if (n > TSF_COPY_MAX)
		n = TSF_COPY_MAX;
	tb_ev(b, t, TSF_WORD(TSF_KIND_COPY, n));
	for (size_t i = 0; i < n; i += 16) {
		memset(slot, 0, sizeof(slot));
		memcpy(slot, name + i, n - i < 16 ? n - i : 16);
		tb_bytes(b, slot, 16);
	}
}

/* Close the open EVENTS chunk: set its sizes, compress it when b->lz4. */
static inline void tb_events_end(struct tb *b)
{
	size_t at = b->ev_at, pay = at + sizeof(struct tsf_chunk);
	uint32_t raw = (uint32_t)(b->n - pay);

	tb_poke32(b, at + 8, raw);
	tb_poke32(b, at + 12, raw);
	b->slots += (raw - sizeof(struct tsf_events)) / sizeof(struct tsf_event);
	b->chunks++;
	b->ev_at = 0;
#ifdef HAVE_LZ4
	if (b->lz4) {
		int bound = LZ4_compressBound((int)raw);
		char *z = malloc((size_t)bound);
		int zn;

		if (!z)
			abort();
		zn = LZ4_compress_default((const char *)b->p + pay, z, (int)raw, bound);
		if (zn <= 0)
			abort();
		b->n = pay;
		tb_bytes(b, z, (size_t)zn);
		free(z);
		tb_poke32(b, at + 4, TSF_CF_LZ4);
		tb_poke32(b, at + 8, (uint32_t)zn);
	}
#endif
	tb_pad8(b);
}

/* END with the totals of everything written so far. */
static inline void tb_end(struct tb *b)
{
	struct tsf_end e = { b->chunks, b->slots, b->lost, 0 };

	tb_chunk2(b, TSF_CHUNK_END, &e, sizeof(e), NULL, 0);
}

#endif /* TSCOPE_TRACE_BUILD_H */
