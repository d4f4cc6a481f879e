/* SPDX-License-Identifier: MIT */
/*
 * pack.c - encode and decode event slots in the packed forms described in pack.h.
 *
 * The encoder runs in the runtime's writer thread, off the recording threads; the
 * decoders in the reader, on untrusted input: they check every byte they read.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "compiler.h"
#include "pack.h"

#define TABLE	  64
#define STACK	  64
#define LIT	  0x40u
#define ABS	  0x41u
#define AGAIN	  0x42u
#define EXIT	  0x80u
#define OLD_TABLE 128 /* TSF_CF_PACK: tags 0..127 index the table, 128 is a literal */

struct state {
	uint64_t table[TABLE];
	uint64_t stack[STACK];
	uint64_t prev, again;
	size_t depth;
};

static inline unsigned slot_of(uint64_t word, unsigned bits)
{
	return (unsigned)((word * UINT64_C(0x9e3779b97f4a7c15)) >> (64 - bits));
}

/* The exit word the stack predicts; the stack is not empty. */
static inline uint64_t predicted_exit(const struct state *s)
{
	return s->stack[(s->depth - 1) % STACK] | TSF_EXIT_BIT;
}

/* What every slot does to the stack, in both coders. */
static inline void step(struct state *s, uint64_t word)
{
	unsigned kind = (unsigned)(word >> TSF_KIND_SHIFT);

	if (kind == TSF_KIND_ENTER) {
		s->stack[s->depth++ % STACK] = word;
	} else if (kind == TSF_KIND_EXIT) {
		s->depth -= s->depth > 0;
		s->again = word & ~TSF_EXIT_BIT;
	}
}

static inline uint8_t *put64(uint8_t *p, uint64_t v)
{
	for (int b = 0; b < 8; b++)
		*p++ = (uint8_t)(v >> (8 * b));
	return p;
}

/* A slot the one-byte forms do not cover: ABS, or a table or literal word and a varint.
 * Moves *prev as the decoder will. */
static TS_NOINSTR uint8_t *encode_long(uint64_t *table, uint64_t *prev, uint64_t word,
				       uint64_t time, uint8_t *p)
{
	uint64_t d = time - *prev;
	unsigned k = slot_of(word, 6);

	if ((int64_t)d < 0) {
		*p++ = ABS;
		return put64(put64(p, word), time);
	}
	*prev = time;
	if (table[k] == word) {
		*p++ = (uint8_t)k;
	} else {
		table[k] = word;
		*p++ = LIT;
		p = put64(p, word);
	}
	while (d >= 0x80) {
		*p++ = (uint8_t)(d | 0x80);
		d >>= 7;
	}
	*p++ = (uint8_t)d;
	return p;
}

/*
 * The common case is one byte a slot, so that case is a straight line: the state in
 * registers, both predictions compared at once, the table and varint out of line.
 * The same steps as step().  Function enters and exits take the short way; any other
 * event is scanned whole (its payload slots are not events) before its slots are
 * coded like any others.
 */
TS_NOINSTR size_t tscope__pack_encode(const struct tsf_event *ev, size_t n, uint8_t *out,
				      size_t cap, struct pack_scan *scan)
{
	uint64_t table[TABLE] = { 0 }, stack[STACK] = { 0 }, prev = 0, again = 0, top = 0;
	uint64_t t0 = scan ? scan->t0 : 0;
	size_t from = scan ? scan->from : n, depth = 0, next = 0, i;
	uint8_t *p = out, *end = out + cap;
	int names = 0, ext = 0;

	for (i = 0; i < n; i++) {
		uint64_t word = ev[i].word, time = ev[i].time, d = time - prev;
		unsigned kind = (unsigned)(word >> TSF_KIND_SHIFT);
		int ex, ag;

		if ((size_t)(end - p) < PACK_MAX_SLOT)
			return 0;
		if (i >= next) { /* an event starts here, not a payload slot */
			if (TS_UNLIKELY(time < t0) && i >= from)
				break; /* not written yet */
			next = i + 1;
			if (TS_UNLIKELY(kind & 7)) { /* not an enter or an exit */
				next += tsf_slots(word) - 1;
				names |= kind >= TSF_KIND_BEGIN && kind <= TSF_KIND_COUNTER;
				ext |= kind == TSF_KIND_EXT;
			}
		}
		ex = (word == (top | TSF_EXIT_BIT)) & (depth != 0) & (d < 0x80);
		ag = (word == again) & (d < EXIT - AGAIN);
		if (ex | ag) {
			*p++ = (uint8_t)((ex ? EXIT : AGAIN) + d);
			prev = time;
		} else {
			p = encode_long(table, &prev, word, time, p);
		}
		if (kind == TSF_KIND_ENTER) {
			stack[depth++ % STACK] = word;
			top = word;
		} else if (kind == TSF_KIND_EXIT) {
			depth -= depth != 0;
			again = word & ~TSF_EXIT_BIT;
			top = stack[(depth - 1) % STACK];
		}
	}
	if (scan) {
		scan->stop = i;
		scan->names = names;
		scan->ext = ext;
	}
	return (size_t)(p - out);
}

/* A little-endian 64-bit field at *p, if 8 bytes remain before end. */
static inline int get64(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	if ((size_t)(end - *p) < 8)
		return -1;
	*v = 0;
	for (int b = 0; b < 8; b++)
		*v |= (uint64_t)(*p)[b] << (8 * b);
	*p += 8;
	return 0;
}

/* A base-128 varint at *p, of at most 64 bits. */
static inline int get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	unsigned shift = 0;

	*v = 0;
	for (;;) {
		uint8_t c;

		if (*p == end || shift > 63)
			return -1;
		c = *(*p)++;
		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return 0;
		shift += 7;
	}
}

/* TSF_CF_PACK: a tag (table index or literal), then a zig-zag varint delta.  A slot
 * cut by the end of the input is an error unless cut is set. */
static long decode_old(const uint8_t *p, const uint8_t *end, struct tsf_event *out, size_t max,
		       int cut)
{
	uint64_t table[OLD_TABLE] = { 0 }, prev = 0;
	size_t n = 0;

	while (p < end) {
		uint64_t word, d;
		unsigned tag = *p++;

		if (n == max)
			return -1;
		if (tag < OLD_TABLE) {
			word = table[tag];
		} else if (tag != OLD_TABLE) {
			return -1;
		} else if (get64(&p, end, &word) == 0) {
			table[slot_of(word, 7)] = word;
		} else {
			return cut ? (long)n : -1;
		}
		if (get_varint(&p, end, &d) < 0)
			return cut && p == end ? (long)n : -1;
		prev += (d >> 1) ^ (0 - (d & 1));
		out[n].time = prev;
		out[n].word = word;
		n++;
	}
	return (long)n;
}

TS_NOINSTR long tscope__pack_decode(const uint8_t *in, size_t len, struct tsf_event *out,
				    size_t max, unsigned flags)
{
	const uint8_t *p = in, *end = in + len;
	int cut = (flags & PACK_CUT) != 0;
	struct state s;
	size_t n = 0;

	if (flags & PACK_OLD)
		return decode_old(p, end, out, max, cut);
	memset(&s, 0, sizeof(s));
	while (p < end) {
		uint64_t word, d;
		unsigned tag = *p++;

		if (n == max)
			return -1;
		if (tag >= EXIT) {
			if (!s.depth)
				return -1;
			word = predicted_exit(&s);
			d = tag - EXIT;
		} else if (tag >= AGAIN) {
			word = s.again;
			d = tag - AGAIN;
		} else if (tag == ABS) {
			if (get64(&p, end, &word) < 0 || get64(&p, end, &out[n].time) < 0)
				return cut ? (long)n : -1;
			out[n++].word = word;
			step(&s, word);
			continue;
		} else {
			if (tag < TABLE)
				word = s.table[tag];
			else if (get64(&p, end, &word) == 0)
				s.table[slot_of(word, 6)] = word;
			else
				return cut ? (long)n : -1;
			if (get_varint(&p, end, &d) < 0)
				return cut && p == end ? (long)n : -1;
		}
		s.prev += d;
		out[n].time = s.prev;
		out[n].word = word;
		n++;
		step(&s, word);
	}
	return (long)n;
}
