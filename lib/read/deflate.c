/* SPDX-License-Identifier: MIT */
/*
 * deflate.c - a zlib stream of one fixed-Huffman block (see deflate.h).
 *
 * The stream: the zlib header 78 01, then the block (BFINAL 1, BTYPE 01: the fixed
 * codes of RFC 1951 3.2.6, so no code table is written), then the Adler-32 of the
 * input, big-endian.  Matches are greedy: at each position the last position with
 * the same 4 bytes (a hash table, filled as the input is read, not inside matches) is
 * tried, and the match is extended 16 bytes at a time; a literal otherwise.  Each
 * symbol, with its extra bits, is one write into a 64-bit accumulator, which stores
 * its 8 bytes every time and moves on by the whole ones (no branch).  The work is a
 * chain, each symbol waiting for the one before, so it avoids branches the processor
 * would mispredict (match lengths, distance codes), and deflate_zlib2 makes two
 * streams in one loop, two chains that the processor overlaps.  About 5.5 instructions
 * a byte of a converter's packets, which shrink some 8 times (callgrind; the figures
 * are in the reports of the changes, bench/run-convert.sh gives the conversion's).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "compiler.h"
#include "deflate.h"

#define WINDOW	  32768u
#define MIN_MATCH 4u /* what the hash covers; deflate allows 3 */
#define MAX_MATCH 258u
#define ADLER_MOD 65521u
/* bytes whose sums cannot overflow 32 bits before the modulo (5552), down to a
 * multiple of 16 (adler32) */
#define ADLER_RUN 5536u

/* Bit-reversed fixed codes (Huffman codes go most significant bit first, the rest
 * of the stream least significant first), with their lengths. */
struct code {
	uint16_t bits, len;
};

static struct code lit[288];		 /* literal/length symbols */
static uint32_t len_bits[MAX_MATCH + 1]; /* length 3..258: its code and extra bits */
static uint8_t len_nbits[MAX_MATCH + 1];
/* Distance codes by distance - 1, x: dcode[x] for x under 256, dcode[256 + x / 128]
 * above (the codes from 16 on cover whole multiples of 128), as in zlib; each code's
 * first x, extra bits, and 5 bits reversed. */
static uint8_t dcode[512];
static uint16_t dcode_x[30];
static uint8_t dcode_extra[30], rev5[30];
static int ready;

static unsigned reverse(unsigned v, unsigned n)
{
	unsigned r = 0;

	for (unsigned i = 0; i < n; i++, v >>= 1)
		r = r << 1 | (v & 1);
	return r;
}

/* The code of distance x + 1 (RFC 1951 3.2.5). */
static unsigned dist_code(unsigned x)
{
	unsigned top;

	if (x < 4)
		return x;
	top = 31u - (unsigned)__builtin_clz(x); /* >= 2 */
	return 2 * top + ((x >> (top - 1)) & 1);
}

static void init(void)
{
	static const uint16_t base[29] = { 3,  4,  5,  6,   7,	 8,   9,   10,	11, 13,
					   15, 17, 19, 23,  27,	 31,  35,  43,	51, 59,
					   67, 83, 99, 115, 131, 163, 195, 227, 258 };

	for (unsigned s = 0; s < 288; s++) {
		unsigned c, n;

		if (s < 144)
			c = 0x30 + s, n = 8;
		else if (s < 256)
			c = 0x190 + s - 144, n = 9;
		else if (s < 280)
			c = s - 256, n = 7;
		else
			c = 0xc0 + s - 280, n = 8;
		lit[s].bits = (uint16_t)reverse(c, n);
		lit[s].len = (uint16_t)n;
	}
	for (unsigned i = 0; i < 29; i++) {
		unsigned extra = i < 8 || i == 28 ? 0 : (i - 4) / 4;
		unsigned end = i == 28 ? 259 : base[i] + (1u << extra);
		const struct code *c = &lit[257 + i];

		for (unsigned l = base[i]; l < end && l <= MAX_MATCH; l++) {
			len_bits[l] = c->bits | (l - base[i]) << c->len;
			len_nbits[l] = (uint8_t)(c->len + extra);
		}
	}
	for (unsigned c = 0; c < 30; c++) {
		unsigned extra = c < 4 ? 0 : c / 2 - 1;

		rev5[c] = (uint8_t)reverse(c, 5);
		dcode_extra[c] = (uint8_t)extra;
		dcode_x[c] = (uint16_t)(c < 4 ? c : (2u | (c & 1)) << extra);
	}
	for (unsigned x = 0; x < WINDOW; x++)
		dcode[x < 256 ? x : 256 + (x >> 7)] = (uint8_t)dist_code(x);
	ready = 1;
}

/* Bits go into acc from the least significant end; each put() stores its 8 bytes at
 * p, then moves p past the whole bytes (no branch: the store is always made). */
struct out {
	uint64_t acc;
	unsigned n;
	unsigned char *p;
};

/* At most 57 bits (up to 7 are pending). */
static inline void put(struct out *o, uint64_t v, unsigned n)
{
	o->acc |= v << o->n;
	o->n += n;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(o->p, &o->acc, 8);
#else
	for (unsigned i = 0; i < 8; i++)
		o->p[i] = (unsigned char)(o->acc >> 8 * i);
#endif
	o->p += o->n >> 3;
	o->acc >>= o->n & ~7u;
	o->n &= 7;
}

static inline void put_lit(struct out *o, unsigned char c)
{
	put(o, lit[c].bits, lit[c].len);
}

/* A match of len bytes, dist back: the length's symbol and extra bits, then the
 * distance's code and extra bits: at most 31 bits in all.  No branch (a selection). */
static inline void put_match(struct out *o, unsigned len, unsigned dist)
{
	unsigned x = dist - 1, c = dcode[x < 256 ? x : 256 + (x >> 7)];
	uint64_t d = rev5[c] | (x - dcode_x[c]) << 5;

	put(o, len_bits[len] | d << len_nbits[len], len_nbits[len] + 5u + dcode_extra[c]);
}

static inline uint32_t load32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static inline uint64_t load64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* How far a (earlier) and b agree, from min up to max bytes. */
static unsigned agree(const unsigned char *a, const unsigned char *b, unsigned min, unsigned max)
{
	unsigned n = min;

#if defined(__SSE2__)
	while (n + 16 <= max) { /* 16 bytes at a time, a bit per byte (see agree4) */
		unsigned eq = (unsigned)_mm_movemask_epi8(
		    _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(a + n)),
				   _mm_loadu_si128((const __m128i *)(const void *)(b + n))));

		if (eq != 0xffff)
			return n + (unsigned)__builtin_ctz(~eq);
		n += 16;
	}
#endif
	while (n + 8 <= max) {
		uint64_t d = load64(a + n) ^ load64(b + n);

		if (d) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			return n + (unsigned)__builtin_ctzll(d) / 8;
#else
			break;
#endif
		}
		n += 8;
	}
	while (n < max && a[n] == b[n])
		n++;
	return n;
}

/*
 * agree() from 4 bytes, when AGREE_FAST can be read at a and b: the first 32 bytes
 * after those 4 without a branch (most matches end there: a branch on the length
 * would be mispredicted about once a match), then agree().  SSE2 (every x86-64)
 * compares 16 bytes at once into a mask of bits, one per byte; elsewhere 8-byte words
 * do, a word counting only when all those before it agree whole (-(n >> 3) is all
 * ones when n is 8, none below).
 */
#define AGREE_FAST 36u
#if defined(__SSE2__)
static inline unsigned agree4(const unsigned char *a, const unsigned char *b, unsigned max)
{
	__m128i a0 = _mm_loadu_si128((const __m128i *)(const void *)(a + 4));
	__m128i b0 = _mm_loadu_si128((const __m128i *)(const void *)(b + 4));
	__m128i a1 = _mm_loadu_si128((const __m128i *)(const void *)(a + 20));
	__m128i b1 = _mm_loadu_si128((const __m128i *)(const void *)(b + 20));
	uint64_t eq = (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(a0, b0)) |
		      (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(a1, b1)) << 16;
	unsigned n = 4 + (unsigned)__builtin_ctzll(~eq); /* ~eq has bit 32 set */

	return TS_UNLIKELY(n == AGREE_FAST) ? agree(a, b, AGREE_FAST, max) : n;
}
#elif __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* The bytes two words agree on, 0 to 8, without a branch: bit 63 set stops the count
 * at byte 7, and 1 more when all 8 agree. */
static inline unsigned same(uint64_t x, uint64_t y)
{
	uint64_t d = x ^ y;

	return (unsigned)__builtin_ctzll(d | 1ull << 63) / 8 + (d == 0);
}

static inline unsigned agree4(const unsigned char *a, const unsigned char *b, unsigned max)
{
	unsigned n0 = same(load64(a + 4), load64(b + 4));
	unsigned n1 = same(load64(a + 12), load64(b + 12));
	unsigned n2 = same(load64(a + 20), load64(b + 20));
	unsigned n3 = same(load64(a + 28), load64(b + 28));
	unsigned n = 4 + n0 + (-(n0 >> 3) & (n1 + (-(n1 >> 3) & (n2 + (-(n2 >> 3) & n3)))));

	return TS_UNLIKELY(n == AGREE_FAST) ? agree(a, b, AGREE_FAST, max) : n;
}
#endif

/*
 * Adler-32: a, 1 + the sum of the bytes, and b, the sum of the a's.  The bytes go 16
 * at a step into 16 lanes of 32 bits (one per byte of the step, four vectors of four),
 * where va sums each lane's bytes and vb, before them, the va of the steps before: a
 * few vector adds a step, no chain from byte to byte.  A byte k of n (from 0) counts
 * n - k times in b: 16 (steps after its own) times its vb, and 16 - lane in its own.
 * The lanes of a vector are its bytes as a little-endian word's, so big-endian
 * machines take the plain loop.  Runs of ADLER_RUN bytes (346 steps) keep every lane
 * under 2^32 (vb under 255 x 346^2 / 2) until the modulo.
 */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
typedef uint32_t v4u32 __attribute__((vector_size(16)));

/* The sum of a vector's lanes weighted w0..w3, in 64 bits. */
static inline uint64_t wsum(v4u32 v, unsigned w0, unsigned w1, unsigned w2, unsigned w3)
{
	return (uint64_t)v[0] * w0 + (uint64_t)v[1] * w1 + (uint64_t)v[2] * w2 +
	       (uint64_t)v[3] * w3;
}

/* k (a multiple of 16) bytes at p, after (a, b): the new (a, b), not reduced. */
static void adler_steps(const unsigned char *p, size_t k, uint64_t *a, uint64_t *b)
{
	const v4u32 m = { 0xff, 0xff, 0xff, 0xff };
	v4u32 a0 = { 0 }, a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
	uint64_t sa, sb;

	*b += *a * k;
	for (; k; k -= 16, p += 16) {
		v4u32 x;

		memcpy(&x, p, 16);
		b0 += a0;
		b1 += a1;
		b2 += a2;
		b3 += a3;
		a0 += x & m; /* lane l: byte 4l */
		a1 += (x >> 8) & m;
		a2 += (x >> 16) & m;
		a3 += x >> 24;
	}
	sa = wsum(a0 + a1 + a2 + a3, 1, 1, 1, 1);
	sb = 16 * wsum(b0 + b1 + b2 + b3, 1, 1, 1, 1) + wsum(a0, 16, 12, 8, 4) +
	     wsum(a1, 15, 11, 7, 3) + wsum(a2, 14, 10, 6, 2) + wsum(a3, 13, 9, 5, 1);
	*a += sa;
	*b += sb;
}
#endif

static uint32_t adler32(const unsigned char *p, size_t n)
{
	uint64_t a = 1, b = 0;

	while (n) {
		size_t k = n < ADLER_RUN ? n : ADLER_RUN;

		n -= k;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		adler_steps(p, k & ~(size_t)15, &a, &b);
		p += k & ~(size_t)15;
		k &= 15;
#endif
		for (; k; k--) {
			a += *p++;
			b += a;
		}
		a %= ADLER_MOD;
		b %= ADLER_MOD;
	}
	return (uint32_t)(b << 16 | a);
}

/*
 * One symbol (a literal or a match of at most max bytes) at i, whose 4 bytes can be
 * read; returns the position after it.  A position from the table is valid when it is
 * 1 to WINDOW bytes back: one comparison, which rejects the empty slots and those of
 * earlier streams too (see deflate_zlib).  Everything is passed in and out by value
 * (o is the caller's local), so that the loop keeps it in registers: stores through
 * unsigned char pointers would otherwise make the compiler reload it from memory.
 */
static inline __attribute__((always_inline)) size_t
step(uint32_t *tab, uint32_t base, const unsigned char *in, size_t i, size_t max, struct out *o)
{
	uint32_t v = load32(in + i);
	uint32_t k = (v * 2654435761u) >> (32 - DEFLATE_HASH_BITS);
	uint32_t at = base + (uint32_t)i, back = at - tab[k];
	unsigned len;

	tab[k] = at;
	if (back - 1 >= WINDOW || load32(in + i - back) != v) {
		put_lit(o, in[i]);
		return i + 1;
	}
#if defined(__SSE2__) || __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (TS_LIKELY(max >= AGREE_FAST))
		len = agree4(in + i - back, in + i, (unsigned)max);
	else
#endif
		len = agree(in + i - back, in + i, MIN_MATCH, (unsigned)max);
	put_match(o, len, back);
	return i + len;
}

/* The n bytes of in from i as symbols, after o; returns the output's state after them. */
static struct out bytes(uint32_t *tab, uint32_t base, const unsigned char *in, size_t n,
			struct out o, size_t i)
{
	while (i + MAX_MATCH <= n) /* a match can be as long as deflate allows */
		i = step(tab, base, in, i, MAX_MATCH, &o);
	while (i + MIN_MATCH <= n)
		i = step(tab, base, in, i, n - i, &o);
	while (i < n)
		put_lit(&o, in[i++]);
	return o;
}

/*
 * The base of the positions of the next streams, of at most n bytes each (see struct
 * deflate): they count on from the last ones' end, a window further, so that what the
 * tables hold of those is out of reach, and so are the zeros of new tables.  They are
 * cleared only when the count would wrap.
 */
static uint32_t next_base(struct deflate *d, size_t n)
{
	uint32_t base = d->base;

	if (!ready)
		init();
	if (base < WINDOW + 1 || base > UINT32_MAX - WINDOW || n > UINT32_MAX - WINDOW - base) {
		memset(d->tab, 0, sizeof(d->tab));
		base = WINDOW + 1;
	}
	d->base = base + (uint32_t)n + WINDOW;
	return base;
}

/* The zlib header and the head of the block (the last one, fixed codes). */
static struct out head(unsigned char *out)
{
	struct out o = { 0, 0, out + 2 };

	out[0] = 0x78; /* deflate, 32 KB window */
	out[1] = 0x01; /* no dictionary, fastest; 0x7801 is a multiple of 31 */
	put(&o, 3, 3);
	return o;
}

/* The end of the block and the Adler-32 of the n bytes of in; the stream's length. */
static size_t tail(struct out o, unsigned char *out, const unsigned char *in, size_t n)
{
	uint32_t sum = adler32(in, n);

	put(&o, lit[256].bits, lit[256].len);
	if (o.n) /* the last bits, to the byte (put() stored them) */
		o.p++;
	o.p[0] = (unsigned char)(sum >> 24);
	o.p[1] = (unsigned char)(sum >> 16);
	o.p[2] = (unsigned char)(sum >> 8);
	o.p[3] = (unsigned char)sum;
	return (size_t)(o.p + 4 - out);
}

size_t deflate_zlib(struct deflate *d, unsigned char *out, const unsigned char *in, size_t n)
{
	uint32_t base = next_base(d, n);

	return tail(bytes(d->tab[0], base, in, n, head(out), 0), out, in, n);
}

/*
 * Two streams in one loop, a symbol of each in turn: each symbol waits for the one
 * before it (its position is where that one ends, its match is looked up in the
 * table, then compared), and the processor overlaps two such chains.  Each has its
 * own table; both count positions from the same base.
 */
void deflate_zlib2(struct deflate *d, unsigned char *out0, unsigned char *out1,
		   const unsigned char *in, size_t split, size_t n, size_t *zn0, size_t *zn1)
{
	const unsigned char *in1 = in + split;
	size_t n1 = n - split, i0 = 0, i1 = 0;
	uint32_t base = next_base(d, split > n1 ? split : n1);
	struct out o0 = head(out0), o1 = head(out1);

	while (i0 + MAX_MATCH <= split && i1 + MAX_MATCH <= n1) {
		i0 = step(d->tab[0], base, in, i0, MAX_MATCH, &o0);
		i1 = step(d->tab[1], base, in1, i1, MAX_MATCH, &o1);
	}
	*zn0 = tail(bytes(d->tab[0], base, in, split, o0, i0), out0, in, split);
	*zn1 = tail(bytes(d->tab[1], base, in1, n1, o1, i1), out1, in1, n1);
}
