/* SPDX-License-Identifier: MIT */
/*
 * inflate-fixed.h - for tests: a zlib stream (RFC 1950) whose blocks all use deflate's
 * fixed codes (RFC 1951 3.2.6), as lib/read/deflate.c writes them, inflated; anything
 * else (stored or dynamic blocks, a dictionary, a bad Adler-32) is an error.  Written
 * from the RFCs, slowly and plainly: it checks the writer, it is not one.
 */
#ifndef TSCOPE_INFLATE_FIXED_H
#define TSCOPE_INFLATE_FIXED_H

#include <stddef.h>
#include <stdint.h>

struct bitin {
	const unsigned char *p, *e;
	uint64_t acc;
	unsigned n;
	int bad;
};

/* n bits, least significant first. */
static unsigned bits_get(struct bitin *b, unsigned n)
{
	unsigned v;

	while (b->n < n) {
		if (b->p == b->e) {
			b->bad = 1;
			return 0;
		}
		b->acc |= (uint64_t)*b->p++ << b->n;
		b->n += 8;
	}
	v = (unsigned)(b->acc & ((1u << n) - 1));
	b->acc >>= n;
	b->n -= n;
	return v;
}

/* A literal/length symbol of the fixed code: a Huffman code, most significant bit
 * first, 7 to 9 bits. */
static unsigned sym_get(struct bitin *b)
{
	unsigned c = 0;

	for (unsigned len = 1; len <= 9 && !b->bad; len++) {
		c = c << 1 | bits_get(b, 1);
		if (len == 7 && c <= 0x17)
			return 256 + c;
		if (len == 8 && c >= 0x30 && c <= 0xbf)
			return c - 0x30;
		if (len == 8 && c >= 0xc0 && c <= 0xc7)
			return 280 + c - 0xc0;
		if (len == 9 && c >= 0x190)
			return 144 + c - 0x190;
	}
	b->bad = 1;
	return 256;
}

/* Inflate the zlib stream z (zn bytes) to out; returns its length, or -1. */
static long inflate_fixed(const unsigned char *z, size_t zn, unsigned char *out, size_t size)
{
	static const uint16_t lbase[29] = { 3,	4,  5,	6,   7,	  8,   9,   10,	 11, 13,
					    15, 17, 19, 23,  27,  31,  35,  43,	 51, 59,
					    67, 83, 99, 115, 131, 163, 195, 227, 258 };
	static const uint16_t dbase[30] = { 1,	  2,	3,    4,     5,	    7,	  9,	13,
					    17,	  25,	33,   49,    65,    97,	  129,	193,
					    257,  385,	513,  769,   1025,  1537, 2049, 3073,
					    4097, 6145, 8193, 12289, 16385, 24577 };
	struct bitin b = { z, z + zn, 0, 0, 0 };
	size_t n = 0;
	uint32_t a = 1, s = 0, sum;
	unsigned last;

	if (zn < 6 || (z[0] & 0x0f) != 8 || (z[0] * 256u + z[1]) % 31 || (z[1] & 0x20))
		return -1;
	b.p = z + 2;
	do {
		last = bits_get(&b, 1);
		if (bits_get(&b, 2) != 1)
			return -1; /* only fixed codes */
		for (;;) {
			unsigned sym = sym_get(&b), len, dist, dc;

			if (b.bad)
				return -1;
			if (sym < 256) {
				if (n == size)
					return -1;
				out[n++] = (unsigned char)sym;
				continue;
			}
			if (sym == 256)
				break;
			if (sym > 285)
				return -1;
			sym -= 257;
			len = lbase[sym] + bits_get(&b, sym < 8 || sym == 28 ? 0 : (sym - 4) / 4);
			dc = 0;
			for (unsigned i = 0; i < 5; i++) /* 5 bits, most significant first */
				dc = dc << 1 | bits_get(&b, 1);
			if (dc > 29)
				return -1;
			dist = dbase[dc] + bits_get(&b, dc < 4 ? 0 : dc / 2 - 1);
			if (b.bad || dist > n || len > size - n)
				return -1;
			for (unsigned i = 0; i < len; i++, n++)
				out[n] = out[n - dist];
		}
	} while (!last);
	b.acc = 0; /* to the byte: the bits left in acc are the rest of a byte */
	b.n = 0;
	if (b.e - b.p != 4)
		return -1;
	for (size_t i = 0; i < n; i++) {
		a = (a + out[i]) % 65521;
		s = (s + a) % 65521;
	}
	sum = (uint32_t)b.p[0] << 24 | (uint32_t)b.p[1] << 16 | (uint32_t)b.p[2] << 8 | b.p[3];
	return sum == (s << 16 | a) ? (long)n : -1;
}

#endif
