/* SPDX-License-Identifier: MIT */
/*
 * prog-diff.c - a program with a known slowdown, for tests/test-diff.sh: `prog-diff 1`
 * makes make_report() run a busy loop exactly twice as long as `prog-diff 0` does;
 * every other function does the same work either way.  Calls: main 1, make_report and
 * load_data 40 each.
 */

static volatile unsigned long sink;

/* ITER additions of the loop counter: the unit of work */
#define ITER 500000ul

__attribute__((noinline)) static void make_report(unsigned long times)
{
	for (unsigned long i = 0; i < times * ITER; i++)
		sink += i;
}

__attribute__((noinline)) static void load_data(void)
{
	for (unsigned long i = 0; i < ITER / 2; i++)
		sink += i;
}

int main(int argc, char **argv)
{
	unsigned long times = argc > 1 && argv[1][0] == '1' ? 2 : 1;

	for (int i = 0; i < 40; i++) {
		load_data();
		make_report(times);
	}
	return 0;
}
