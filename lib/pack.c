/* SPDX-License-Identifier: MIT */
/*
 * pack.c - encode and decode event slots in the packed form described in pack.h.
 *
 * The encoder runs in the runtime's writer thread, off the recording threads; the
 * decoder in the reader, on untrusted input: it checks every byte it reads.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "compiler.h"
#include "pack.h"

TS_NOINSTR size_t tscope__pack_encode(const struct tsf_event *ev, size_t n, uint8_t *out, size_t cap)
{
	uint64_t table[PACK_TABLE] = { 0 }, prev = 0;
	uint8_t *p = out, *end = out + cap;

	for (size_t i = 0; i < n; i++) {
		uint64_t word = ev[i].word, d = ev[i].time - prev;
		unsigned k = pack_slot(word);

		if ((size_t)(end - p) < PACK_MAX_SLOT)
			return 0;
		if (table[k] == word) {
			*p++ = (uint8_t)k;
		} else {
			table[k] = word;
			*p++ = PACK_LITERAL;
			for (int b = 0; b < 8; b++)
				*p++ = (uint8_t)(word >> (8 * b));
		}
		prev = ev[i].time;
		d = (d << 1) ^ (uint64_t)((int64_t)d >> 63); /* zig-zag: small either way */
		while (d >= 0x80) {
			*p++ = (uint8_t)(d | 0x80);
			d >>= 7;
		}
		*p++ = (uint8_t)d;
	}
	return (size_t)(p - out);
}

TS_NOINSTR long tscope__pack_decode(const uint8_t *in, size_t len, struct tsf_event *out, size_t max)
{
	uint64_t table[PACK_TABLE] = { 0 }, prev = 0;
	const uint8_t *p = in, *end = in + len;
	size_t n = 0;

	while (p < end) {
		uint64_t word, d = 0;
		unsigned tag = *p++, shift = 0;

		if (n == max)
			return -1;
		if (tag < PACK_TABLE) {
			word = table[tag];
		} else if (tag == PACK_LITERAL) {
			if ((size_t)(end - p) < 8)
				return -1;
			word = 0;
			for (int b = 0; b < 8; b++)
				word |= (uint64_t)p[b] << (8 * b);
			p += 8;
			table[pack_slot(word)] = word;
		} else {
			return -1;
		}
		for (;;) {
			uint8_t c;

			if (p == end || shift > 63)
				return -1;
			c = *p++;
			d |= (uint64_t)(c & 0x7f) << shift;
			if (!(c & 0x80))
				break;
			shift += 7;
		}
		d = (d >> 1) ^ (0 - (d & 1));
		prev += d;
		out[n].time = prev;
		out[n].word = word;
		n++;
	}
	return (long)n;
}
