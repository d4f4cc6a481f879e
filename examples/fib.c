/* SPDX-License-Identifier: MIT */
/*
 * fib.c - the demo program: Fibonacci numbers three ways, so that the call tree has
 * something to show (deep recursion, a memoized variant, a loop).
 *
 * It needs nothing from tscope: built with -finstrument-functions it calls the
 * __cyg_profile_func_enter/exit hooks, which glibc provides as no-ops, so it links and
 * runs untraced.  Traced, the hooks are libtscope's:
 *
 *	cc -O2 -finstrument-functions fib.c -o fib
 *	./fib 25                                  (untraced)
 *	tscope record -o fib.trace ./fib 25       (traced: libtscope is preloaded)
 *	tscope report fib.trace
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Plain recursion: fib_naive(n) makes 2 * fib(n + 1) - 1 calls. */
__attribute__((noinline)) static uint64_t fib_naive(unsigned n)
{
	if (n < 2)
		return n;
	return fib_naive(n - 1) + fib_naive(n - 2);
}

/* Recursion with a table: every value is computed once. */
__attribute__((noinline)) static uint64_t fib_memo(unsigned n, uint64_t *memo)
{
	if (n < 2)
		return n;
	if (!memo[n])
		memo[n] = fib_memo(n - 1, memo) + fib_memo(n - 2, memo);
	return memo[n];
}

__attribute__((noinline)) static uint64_t fib_loop(unsigned n)
{
	uint64_t a = 0, b = 1;

	for (unsigned i = 0; i < n; i++) {
		uint64_t t = a + b;

		a = b;
		b = t;
	}
	return a;
}

__attribute__((noinline)) static uint64_t run_naive(unsigned n)
{
	return fib_naive(n);
}

__attribute__((noinline)) static uint64_t run_memo(unsigned n)
{
	uint64_t memo[94];

	memset(memo, 0, sizeof(memo));
	return fib_memo(n, memo);
}

__attribute__((noinline)) static uint64_t run_loop(unsigned n)
{
	return fib_loop(n);
}

int main(int argc, char **argv)
{
	unsigned long n = 22;
	uint64_t a, b, c;
	char *end;

	if (argc > 1) {
		n = strtoul(argv[1], &end, 10);
		if (*end || n > 93) {
			fprintf(stderr, "usage: %s [N]  (N from 0 to 93, default 22)\n", argv[0]);
			return 2;
		}
	}
	/* The naive recursion takes 1.6^n calls: keep it to a few million. */
	a = run_naive(n < 30 ? (unsigned)n : 30);
	b = run_memo((unsigned)n);
	c = run_loop((unsigned)n);
	printf("fib(%lu) = %llu\n", n, (unsigned long long)c);
	if (n < 30 && (a != b || b != c)) {
		fprintf(stderr, "fib: the three methods disagree\n");
		return 1;
	}
	return b == c ? 0 : 1;
}
