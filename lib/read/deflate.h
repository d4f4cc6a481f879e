/* SPDX-License-Identifier: MIT */
/*
 * deflate.h - a small, fast zlib stream writer (RFC 1950/1951): one final block of
 * fixed Huffman codes, greedy LZ77 matches found through a hash of 4 bytes.  It
 * compresses less than zlib's own levels do, but it is fast, and the repetitive
 * output of a converter (the same few packets again and again) shrinks several times.
 */
#ifndef TSCOPE_DEFLATE_H
#define TSCOPE_DEFLATE_H

#include <stddef.h>
#include <stdint.h>

#define DEFLATE_HASH_BITS 14

/* The matcher's tables (one per stream of deflate_zlib2), zeroed before the first use
 * (calloc): no match reaches from one stream into another, but the tables are not
 * cleared for each (see deflate.c). */
struct deflate {
	uint32_t tab[2][1u << DEFLATE_HASH_BITS];
	uint32_t base;
};

/* The most bytes one block of fixed codes takes for n bytes: 9 bits a byte, and the
 * 8 bytes that each write stores. */
static inline size_t deflate_bound(size_t n)
{
	return n + n / 8 + 32;
}

/* Write n bytes of in (n under 2 GB) as one zlib stream to out (deflate_bound(n)
 * bytes of room); returns its length. */
size_t deflate_zlib(struct deflate *d, unsigned char *out, const unsigned char *in, size_t n);

/*
 * The same for the split bytes of in, to out0, and the n - split after them, to out1
 * (deflate_bound() of each), as two streams, whose lengths go to *zn0 and *zn1:
 * faster than one after the other (see deflate.c).
 */
void deflate_zlib2(struct deflate *d, unsigned char *out0, unsigned char *out1,
		   const unsigned char *in, size_t split, size_t n, size_t *zn0, size_t *zn1);

#endif
