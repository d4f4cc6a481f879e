/* SPDX-License-Identifier: MIT */
/*
 * hooks-count.c - hooks that count, to check the benchmark rather than to time it.
 *
 * run-overhead.sh links the instrumented kernel with these once per workload and
 * compares the counts, printed on stderr at exit, with the calls the kernel reports:
 * if the compiler had inlined, cloned or merged a workload call, every ns/call figure
 * would be wrong, and the script stops instead.
 */
#include <stdio.h>

#define HOOK __attribute__((noinline, no_instrument_function, used))

static unsigned long long count_enter, count_exit;

void __cyg_profile_func_enter(void *fn, void *site);
void __cyg_profile_func_exit(void *fn, void *site);

HOOK void __cyg_profile_func_enter(void *fn, void *site)
{
	(void)fn;
	(void)site;
	count_enter++;
}

HOOK void __cyg_profile_func_exit(void *fn, void *site)
{
	(void)fn;
	(void)site;
	count_exit++;
}

__attribute__((destructor, no_instrument_function)) static void count_report(void)
{
	fprintf(stderr, "hooks: enter=%llu exit=%llu\n", count_enter, count_exit);
}
