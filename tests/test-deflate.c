/* SPDX-License-Identifier: MIT */
/*
 * test-deflate.c - lib/read/deflate.c, the zlib writer of `tscope perfetto`: every
 * stream inflates to its input (tests/inflate-fixed.h, which checks the Adler-32 too,
 * and python3's zlib when there is one), in at most deflate_bound() bytes, whatever
 * the input's length (0 to 300 bytes, and around the 16-byte steps and the runs of the
 * checksum), its content (random, few symbols, one byte, periodic) or the distance of
 * its repeats (1 byte to past the window); a stream's bytes do not depend on the
 * streams written before it with the same table, even when its positions wrap, nor on
 * the stream made beside it (deflate_zlib2).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compiler.h"
#include "deflate.h"
#include "inflate-fixed.h"
#include "runner.h"

#define KINDS 5

static uint64_t rng = 0x9e3779b97f4a7c15u;

static unsigned rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng >> 32);
}

/* n bytes of kind k: random, 5 symbols (a converter's packets), one byte, a period of
 * 22 bytes with a random byte in each (timestamps), a period of 3 */
static void fill(unsigned char *p, size_t n, int k)
{
	static const unsigned char few[5] = { 0x0a, 0x40, 0x5a, 0x48, 0x50 };

	for (size_t i = 0; i < n; i++) {
		switch (k) {
		case 0:
			p[i] = (unsigned char)rnd();
			break;
		case 1:
			p[i] = few[rnd() % 5];
			break;
		case 2:
			p[i] = 0xff;
			break;
		case 3:
			p[i] = i % 22 == 3 ? (unsigned char)(rnd() % 8) : (unsigned char)(i % 22);
			break;
		default:
			p[i] = (unsigned char)("abc"[i % 3]);
		}
	}
}

/* Compress n bytes of in with d into a buffer of exactly deflate_bound(n) bytes (so
 * that a sanitizer sees a write past it), inflate them back: 1 if they are in again. */
static int round_trip(struct deflate *d, const unsigned char *in, size_t n, size_t *zn)
{
	size_t cap = deflate_bound(n);
	unsigned char *z = malloc(cap), *back = malloc(n + 1);
	long got;
	int same;

	if (!z || !back) {
		free(z);
		free(back);
		return 0;
	}
	*zn = deflate_zlib(d, z, in, n);
	got = *zn <= cap ? inflate_fixed(z, *zn, back, n + 1) : -1;
	same = got == (long)n && memcmp(back, in, n) == 0;
	free(z);
	free(back);
	return same;
}

static const size_t big[] = { 4095,  4096,  4097,  5535,  5536,	  5537,	 5552,
			      11072, 11073, 65536, 65537, 100003, 262144 };

static void test_sizes(void)
{
	struct deflate *d = calloc(1, sizeof(*d));
	unsigned char *in = malloc(262144);

	ok(d && in, "memory");
	if (!d || !in)
		return;
	for (int k = 0; k < KINDS; k++) {
		size_t good = 0, all = 0, zn;

		for (size_t n = 0; n <= 300; n++, all++) {
			fill(in, n, k);
			good += (size_t)round_trip(d, in, n, &zn);
		}
		for (size_t i = 0; i < TS_ARRAY_SIZE(big); i++, all++) {
			fill(in, big[i], k);
			good += (size_t)round_trip(d, in, big[i], &zn);
		}
		is_int(good, all, "kind %d: every length from 0 to 300 and %zu longer ones", k,
		       TS_ARRAY_SIZE(big));
	}
	free(in);
	free(d);
}

/*
 * 300 random bytes, gap random ones, the 300 again: the stream of that and of the same
 * with 300 other random bytes at the end.  The repeat is found (some 280 bytes
 * shorter) when it starts at most 32768 bytes back, and is not beyond.
 */
static void test_distances(void)
{
	/* the first NEAR start at most 32768 bytes back, the others further */
	static const size_t gaps[] = { 0,    1,	    7,	   200,	  511,	 512,	513,
				       4000, 32000, 32467, 32468, 32469, 32470, 40000 };
	enum { NEAR = 11 };
	struct deflate *d = calloc(1, sizeof(*d));
	unsigned char *in = malloc(41000);
	size_t near_ok = 0, far_ok = 0, zn, zr;

	ok(d && in, "memory");
	if (!d || !in)
		return;
	for (size_t i = 0; i < TS_ARRAY_SIZE(gaps); i++) {
		size_t gap = gaps[i], n = 600 + gap;
		int trips;

		fill(in, n, 0);
		trips = round_trip(d, in, n, &zr);
		memcpy(in + 300 + gap, in, 300);
		trips += round_trip(d, in, n, &zn);
		if (i >= NEAR)
			far_ok += trips == 2 && zn + 16 > zr;
		else
			near_ok += trips == 2 && zn + 250 < zr;
	}
	/* 32468 + 300 = 32768: the farthest repeat that deflate can reach */
	is_int(near_ok, NEAR, "repeats up to 32768 bytes back are matches");
	is_int(far_ok, TS_ARRAY_SIZE(gaps) - NEAR,
	       "repeats beyond the window are literals, and inflate");
	free(in);
	free(d);
}

/* The stream of in with a fresh table, into z (deflate_bound(n) bytes). */
static size_t fresh(unsigned char *z, const unsigned char *in, size_t n)
{
	struct deflate *d = calloc(1, sizeof(*d));
	size_t zn = d ? deflate_zlib(d, z, in, n) : 0;

	free(d);
	return zn;
}

/* The same input after other streams, and across the wrap of the positions: the same
 * bytes as with a fresh table. */
static void test_history(void)
{
	enum { N = 70000 };
	struct deflate *d = calloc(1, sizeof(*d));
	unsigned char *in = malloc(N), *other = malloc(N);
	unsigned char *z0 = malloc(deflate_bound(N)), *z = malloc(deflate_bound(N));
	size_t n0, same = 0, tries = 0, trips = 0, zn;

	ok(d && in && other && z0 && z, "memory");
	if (!d || !in || !other || !z0 || !z)
		return;
	fill(in, N, 3);
	n0 = fresh(z0, in, N);
	ok(n0 > 0 && n0 < N / 4, "a periodic input shrinks (%zu bytes of %d)", n0, N);
	for (int round = 0; round < 2; round++) {
		/* round 1: the positions wrap within the next few streams */
		if (round == 1)
			d->base = UINT32_MAX - 3 * (N + 40000);
		for (int s = 0; s < 8; s++) {
			size_t k;

			if (s % 2) { /* something else in between, as long */
				fill(other, N, s % 4);
				trips += round_trip(d, other, N, &k);
				continue;
			}
			k = deflate_zlib(d, z, in, N);
			same += k == n0 && memcmp(z, z0, n0) == 0;
			tries++;
		}
	}
	is_int(same, tries, "the stream is the same after other streams and across the wrap");
	is_int(trips, tries, "the others inflate");
	ok(round_trip(d, in, N, &zn) && zn == n0, "and after it");
	free(z);
	free(z0);
	free(other);
	free(in);
	free(d);
}

/*
 * Two streams made together (deflate_zlib2), of both halves of inputs of every kind,
 * cut anywhere (before the first byte, after the last, in the middle, near one end),
 * after other streams and across the wrap: each has the bytes of that half alone with
 * a fresh table.
 */
static void test_pairs(void)
{
	enum { N = 20000 };
	static const size_t cuts[] = { 0, 1, 3, 257, 258, 259, 9999, 10000, 19740, 19999, 20000 };
	struct deflate *d = calloc(1, sizeof(*d));
	unsigned char *in = malloc(N), *z0 = malloc(deflate_bound(N)),
		      *z1 = malloc(deflate_bound(N));
	unsigned char *w = malloc(deflate_bound(N));
	size_t good = 0, all = 0;

	ok(d && in && z0 && z1 && w, "memory");
	if (!d || !in || !z0 || !z1 || !w)
		return;
	for (int round = 0; round < 2; round++) {
		if (round == 1) /* the positions wrap within the next few calls */
			d->base = UINT32_MAX - 5 * (N + 40000);
		for (int k = 0; k < KINDS; k++) {
			fill(in, N, k);
			for (size_t c = 0; c < TS_ARRAY_SIZE(cuts); c++, all++) {
				size_t cut = cuts[c], zn0, zn1, k0, k1;

				deflate_zlib2(d, z0, z1, in, cut, N, &zn0, &zn1);
				k0 = fresh(w, in, cut);
				good += k0 == zn0 && memcmp(w, z0, zn0) == 0 &&
					(k1 = fresh(w, in + cut, N - cut)) == zn1 &&
					memcmp(w, z1, zn1) == 0;
			}
		}
	}
	is_int(good, all, "both halves, whatever the cut, as if each were alone");
	free(w);
	free(z1);
	free(z0);
	free(in);
	free(d);
}

/* What python3's zlib says of streams of every kind (the reference inflater). */
static void test_zlib(void)
{
	char dir[] = "/tmp/tscope-deflate.XXXXXX", path[64], cmd[512];
	struct deflate *d = calloc(1, sizeof(*d));
	unsigned char *in = malloc(100003), *z = malloc(deflate_bound(100003));
	int files = 0, rc;

	if (system("python3 -c 'import zlib' > /dev/null 2>&1") != 0) {
		tap_skip("no python3 with zlib");
		free(d);
		free(in);
		free(z);
		return;
	}
	ok(d && in && z && mkdtemp(dir), "memory, and a scratch directory");
	if (!d || !in || !z || !dir[0])
		return;
	tap_scratch(dir);
	for (int k = 0; k < KINDS; k++) {
		static const size_t lens[] = { 0, 1, 3, 4, 15, 16, 17, 258, 259, 5537, 100003 };

		for (size_t i = 0; i < TS_ARRAY_SIZE(lens); i++) {
			FILE *f;
			size_t zn;

			fill(in, lens[i], k);
			zn = deflate_zlib(d, z, in, lens[i]);
			snprintf(path, sizeof(path), "%s/%d.in", dir, files);
			f = fopen(path, "wb");
			if (f) {
				fwrite(in, 1, lens[i], f);
				fclose(f);
			}
			snprintf(path, sizeof(path), "%s/%d.z", dir, files);
			f = fopen(path, "wb");
			if (f) {
				fwrite(z, 1, zn, f);
				fclose(f);
			}
			files++;
		}
	}
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import sys, zlib\n"
		 "d, n = sys.argv[1], int(sys.argv[2])\n"
		 "good = sum(zlib.decompress(open(\"%%s/%%d.z\" %% (d, i), \"rb\").read()) ==\n"
		 "           open(\"%%s/%%d.in\" %% (d, i), \"rb\").read() for i in range(n))\n"
		 "sys.exit(0 if good == n else 1)' %s %d",
		 dir, files);
	rc = system(cmd);
	is_int(rc, 0, "python3's zlib inflates all %d streams to their input", files);
	free(z);
	free(in);
	free(d);
}

static const struct test_case cases[] = {
	{ "sizes", test_sizes, 0 },	{ "distances", test_distances, 0 },
	{ "history", test_history, 0 }, { "pairs", test_pairs, 0 },
	{ "zlib", test_zlib, 0 },	{ NULL, NULL, 0 },
};

int main(int argc, char **argv)
{
	return run_tests(argc, argv, cases);
}
