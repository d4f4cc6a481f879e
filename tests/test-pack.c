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
	n = tscope__pack_encode(ev, N, buf, sizeof(buf), NULL);
	ok(n > 0 && n < N * 4, "a call pattern packs to under 4 bytes a slot (%.2f)",
	   (double)n / N);
	m = tscope__pack_decode(buf, n, back, N, 0);
	is_int(m, N, "it unpacks to as many slots");
	ok(memcmp(ev, back, sizeof(ev)) == 0, "and to the same slots");

	for (size_t i = 0; i < N; i++) {
		ev[i].time = rnd();
		ev[i].word = rnd();
	}
	n = tscope__pack_encode(ev, N, buf, sizeof(buf), NULL);
	m = tscope__pack_decode(buf, n, back, N, 0);
	ok(n > 0 && m == N && memcmp(ev, back, sizeof(ev)) == 0, "random slots round-trip");
	fit = tscope__pack_encode(ev, N, buf, N * 16, NULL);
	is_int(fit, 0, "a capacity too small is refused, not overrun");

	n = tscope__pack_encode(ev, 64, buf, sizeof(buf), NULL);
	for (size_t cut = 0; cut < n; cut++) {
		m = tscope__pack_decode(buf, cut, back, 64, 0);
		bad += m > 64;
		shorter += m < 64;
	}
	is_int(bad, 0, "no truncation decodes more than was packed");
	for (size_t cut = 0, at = 0, whole = 0; cut <= n; cut++) {
		/* slots whole before cut: those that end at or before it */
		while (at < 64 &&
		       tscope__pack_encode(ev, at + 1, buf + n, sizeof(buf) - n, NULL) <= cut)
			at++;
		m = tscope__pack_decode(buf, cut, back, 64, PACK_CUT);
		whole += m == (long)at && memcmp(ev, back, at * sizeof(*ev)) == 0;
		if (cut == n)
			is_int(whole, n + 1,
			       "a cut input decodes, with PACK_CUT, to the slots before the cut");
	}
	is_int(shorter, (int)n, "every truncation decodes to fewer slots or fails");
	is_int(tscope__pack_decode(buf, n, back, 63, 0), -1, "more slots than room is an error");
	buf[0] = 0x80;
	is_int(tscope__pack_decode(buf, n, back, 64, 0), -1,
	       "an exit with no open enter is an error");
	buf[0] = 200;
	is_int(tscope__pack_decode(buf, n, back, 64, 1), -1,
	       "an unknown tag (first form) is an error");
	memset(buf, 0xff, 32);
	buf[0] = 0;
	is_int(tscope__pack_decode(buf, 32, back, 64, 0), -1, "a varint over 64 bits is an error");
	for (int k = 0; k < 2000; k++) {
		for (size_t i = 0; i < 256; i++)
			buf[i] = (uint8_t)rnd();
		m = tscope__pack_decode(buf, 1 + rnd() % 256, back, 16, (unsigned)k & 3);
		bad += m > 16;
	}
	is_int(bad, 0, "random bytes never decode past the room given");
}

/* fib(k) as the hooks record it, a few dozen ticks between events. */
static size_t fib_events(struct tsf_event *e, size_t i, int k, uint64_t *t)
{
	*t += 20 + rnd() % 40;
	e[i++] = (struct tsf_event){ *t, 0x401000 };
	if (k > 1) {
		i = fib_events(e, i, k - 1, t);
		i = fib_events(e, i, k - 2, t);
	}
	*t += 20 + rnd() % 40;
	e[i++] = (struct tsf_event){ *t, 0x401000 | TSF_EXIT_BIT };
	return i;
}

/* What call-heavy code costs packed: exits of the innermost enter and calls of the
 * function that just returned take one byte each. */
static void test_sizes(void)
{
	uint64_t t = 5000;
	size_t n = fib_events(ev, 0, 18, &t), m, i;

	m = tscope__pack_encode(ev, n, buf, sizeof(buf), NULL);
	ok(m > 0 && m <= n + 64, "fib(18), %zu slots, packs to %zu bytes: 1 byte a slot", n, m);
	is_int(tscope__pack_decode(buf, m, back, n, 0), (long)n, "and unpacks");
	ok(memcmp(ev, back, n * sizeof(*ev)) == 0, "to the same slots");

	for (i = 0, t = 5000; i < N; i++) { /* a loop of leaf calls, main() open around it */
		t += 20 + rnd() % 40;
		ev[i] = (struct tsf_event){ t, i == 0 ? 0x400000
						      : 0x402000 | (i % 2 ? 0 : TSF_EXIT_BIT) };
	}
	m = tscope__pack_encode(ev, N, buf, sizeof(buf), NULL);
	ok(m > 0 && m <= N + 64, "a loop of leaf calls packs to 1 byte a slot (%zu for %d)", m, N);
	is_int(tscope__pack_decode(buf, m, back, N, 0), N, "and unpacks");
	ok(memcmp(ev, back, N * sizeof(*ev)) == 0, "to the same slots");

	for (i = 0; i < N; i++) /* 1000 ticks apart: the varint takes a second byte */
		ev[i].time = 5000 + 1000 * i;
	m = tscope__pack_encode(ev, N, buf, sizeof(buf), NULL);
	ok(m > 0 && m <= 3 * N + 32, "1000 ticks apart, 3 bytes a slot (%zu for %d)", m, N);
	is_int(tscope__pack_decode(buf, m, back, N, 0), N, "and unpacks");
	ok(memcmp(ev, back, N * sizeof(*ev)) == 0, "to the same slots");
}

/* What the writer learns while it packs: where an event not yet written begins (its time
 * is older than the buffer's t0), and whether any event uses a name. */
static void test_scan(void)
{
	struct pack_scan sc = { 1000, 2, 0, 0, 0 };
	size_t m, i;

	for (i = 0; i < 40; i++)
		ev[i] = (struct tsf_event){ 2000 + 10 * i, 0x401000 | (i % 2 ? TSF_EXIT_BIT : 0) };
	ev[0].time = ev[1].time = 5;		  /* before from: trusted, whatever their times */
	ev[4].word = TSF_WORD(TSF_KIND_COPY, 20); /* a copied name of 20 bytes: 2 payload slots */
	ev[5] = (struct tsf_event){ 7, 0x6f6c6c6568 }; /* payload, "time" 7 */
	ev[6] = (struct tsf_event){ 0, 0 };
	m = tscope__pack_encode(ev, 40, buf, sizeof(buf), &sc);
	ok(m > 0 && sc.stop == 40 && sc.names == 1,
	   "payload slots and trusted slots are not unfinished; a name is seen (stop %zu)",
	   sc.stop);
	ev[30].time = 999;
	m = tscope__pack_encode(ev, 40, buf, sizeof(buf), &sc);
	is_int(sc.stop, 30, "an event older than t0 stops the packing there");
	ok(tscope__pack_decode(buf, m, back, 40, 0) == 30 &&
	       memcmp(ev, back, 30 * sizeof(*ev)) == 0,
	   "and what was packed is the 30 slots before it");
	ev[4].word = 0x401000;
	ev[5].word = ev[6].word = 0x401000 | TSF_EXIT_BIT;
	ev[5].time = ev[6].time = 2050;
	sc.t0 = 0;
	tscope__pack_encode(ev, 40, buf, sizeof(buf), &sc);
	ok(sc.stop == 40 && sc.names == 0, "enters and exits alone: no name, no stop");
}

/* The first packed form, written by earlier versions, still reads. */
static void test_old_form(void)
{
	/* literal 0x401000 at time 10 (zig-zag 20), then table[114] (its slot) 2 earlier */
	static const uint8_t old[] = { 128, 0x00, 0x10, 0x40, 0, 0, 0, 0, 0, 20, 114, 3 };

	is_int(tscope__pack_decode(old, sizeof(old), back, 4, 1), 2, "two slots");
	ok(back[0].time == 10 && back[0].word == 0x401000 && back[1].time == 8 &&
	       back[1].word == 0x401000,
	   "with their words and times");
	is_int(tscope__pack_decode(old, sizeof(old) - 1, back, 4, 1), -1, "a cut varint fails");
}

static const struct test_case cases[] = {
	{ "pack", test_pack, 0 },	  { "sizes", test_sizes, 0 }, { "scan", test_scan, 0 },
	{ "old-form", test_old_form, 0 }, { NULL, NULL, 0 },
};

int main(int argc, char **argv)
{
	return run_tests(argc, argv, cases);
}
