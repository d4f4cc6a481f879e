/* SPDX-License-Identifier: MIT */
/*
 * test-pack.c - the packed slot encoding: exact round trips, and untrusted input that
 * is truncated, corrupted or random never decodes out of bounds.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include "pack.h"
#include "runner.h"

#define N 20000

static struct tsf_event ev[N], back[N];
static uint8_t buf[N * PACK_MAX_SLOT];

static uint64_t rnd(void)
{
	static uint64_t x = 88172645463325252u;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

/* Round trips, then damage; the checks share their slots and random sequence, in order. */
static void test_pack(void)
{
	size_t n, fit;
	long m;
	int bad = 0, shorter = 0;
	uint64_t t = 1000;

	/* a call pattern: few words, small forward steps; then the worst cases */
	for (size_t i = 0; i < N; i++) {
		t += rnd() % 300;
		ev[i].time = t;
		ev[i].word = 0x401000 + (i % 5) * 0x40 + ((i & 1) ? TSF_EXIT_BIT : 0);
	}
	ev[100].time = 3;                /* time going backwards */
	ev[200].time = UINT64_MAX;       /* and as far forward as it can */
	ev[300].word = rnd();            /* words that miss the table */
	ev[301].word = 0;                /* a zero word (a counter's value slot) */
	n = tscope__pack_encode(ev, N, buf, sizeof(buf));
	ok(n > 0 && n < N * 4, "a call pattern packs to under 4 bytes a slot (%.2f)",
	   (double)n / N);
	m = tscope__pack_decode(buf, n, back, N);
	is_int(m, N, "it unpacks to as many slots");
	ok(memcmp(ev, back, sizeof(ev)) == 0, "and to the same slots");

	for (size_t i = 0; i < N; i++) {
		ev[i].time = rnd();
		ev[i].word = rnd();
	}
	n = tscope__pack_encode(ev, N, buf, sizeof(buf));
	m = tscope__pack_decode(buf, n, back, N);
	ok(n > 0 && m == N && memcmp(ev, back, sizeof(ev)) == 0, "random slots round-trip");
	fit = tscope__pack_encode(ev, N, buf, N * 16);
	is_int(fit, 0, "a capacity too small is refused, not overrun");

	n = tscope__pack_encode(ev, 64, buf, sizeof(buf));
	for (size_t cut = 0; cut < n; cut++) {
		m = tscope__pack_decode(buf, cut, back, 64);
		bad += m > 64;
		shorter += m < 64;
	}
	is_int(bad, 0, "no truncation decodes more than was packed");
	is_int(shorter, (int)n, "every truncation decodes to fewer slots or fails");
	is_int(tscope__pack_decode(buf, n, back, 63), -1, "more slots than room is an error");
	buf[0] = 200;
	is_int(tscope__pack_decode(buf, n, back, 64), -1, "an unknown tag is an error");
	memset(buf, 0xff, 32);
	buf[0] = 0;
	is_int(tscope__pack_decode(buf, 32, back, 64), -1, "a varint over 64 bits is an error");
	for (int k = 0; k < 2000; k++) {
		for (size_t i = 0; i < 256; i++)
			buf[i] = (uint8_t)rnd();
		m = tscope__pack_decode(buf, 1 + rnd() % 256, back, 16);
		bad += m > 16;
	}
	is_int(bad, 0, "random bytes never decode past the room given");
}

static const struct test_case cases[] = {
	{ "pack", test_pack, 0 },
	{ NULL, NULL, 0 },
};

int main(int argc, char **argv)
{
	return run_tests(argc, argv, cases);
}
