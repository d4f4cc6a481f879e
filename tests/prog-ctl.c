/* SPDX-License-Identifier: MIT */
/*
 * prog-ctl.c - a traced program with phases, for test-ctl.sh (`tscope ctl` and
 * `tscope record --trigger`).  Built with -finstrument-functions, run under record.
 *
 *	prog-ctl phases IN OUT K P   writes its pid and a newline to the FIFO OUT, then P
 *	                             times: waits for a line on the FIFO IN, calls phase
 *	                             p's function K times (phase1 .. phase4, then phase4
 *	                             again), answers "done" on OUT
 *	prog-ctl trigger N           calls work(1) N times, leaf() 10 times between two;
 *	                             work(d) calls leaf() 1000 times, inner() once (which
 *	                             calls leaf() twice) and work(d - 1) when d > 0
 *
 * main and the I/O are not instrumented, so that the counts are exact.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINSTR __attribute__((no_instrument_function))

static volatile int sink;

/* global, so that --trigger finds them in the symbol table */
void phase1(void);
void phase2(void);
void phase3(void);
void phase4(void);
void leaf(void);
void inner(void);
void work(int d);

__attribute__((noinline)) void phase1(void)
{
	sink++;
}

__attribute__((noinline)) void phase2(void)
{
	sink++;
}

__attribute__((noinline)) void phase3(void)
{
	sink++;
}

__attribute__((noinline)) void phase4(void)
{
	sink++;
}

__attribute__((noinline)) void leaf(void)
{
	sink++;
}

__attribute__((noinline)) void inner(void)
{
	leaf();
	leaf();
}

__attribute__((noinline)) void work(int d)
{
	for (int i = 0; i < 1000; i++)
		leaf();
	inner();
	if (d > 0)
		work(d - 1);
}

static NOINSTR int phases(const char *in, const char *out, int k, int p)
{
	static void (*const fn[])(void) = { phase1, phase2, phase3, phase4 };
	FILE *o = fopen(out, "w");
	FILE *i;
	char line[64];

	if (!o)
		return 1;
	fprintf(o, "%d\n", (int)getpid());
	fflush(o);
	i = fopen(in, "r");
	if (!i)
		return 1;
	for (int n = 0; n < p; n++) {
		if (!fgets(line, sizeof(line), i))
			return 1;
		for (int j = 0; j < k; j++)
			fn[n < 4 ? n : 3]();
		fputs("done\n", o);
		fflush(o);
	}
	fclose(i);
	fclose(o);
	return 0;
}

NOINSTR int main(int argc, char **argv)
{
	if (argc == 6 && strcmp(argv[1], "phases") == 0)
		return phases(argv[2], argv[3], (int)strtol(argv[4], NULL, 10),
			      (int)strtol(argv[5], NULL, 10));
	if (argc == 3 && strcmp(argv[1], "trigger") == 0) {
		for (int n = (int)strtol(argv[2], NULL, 10); n > 0; n--) {
			work(1);
			for (int j = 0; j < 10; j++)
				leaf();
		}
		return 0;
	}
	fputs("usage: prog-ctl phases IN OUT K P | trigger N\n", stderr);
	return 2;
}
