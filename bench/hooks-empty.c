/* SPDX-License-Identifier: MIT */
/*
 * hooks-empty.c - __cyg_profile_func_enter/exit that do nothing, defined in the
 * executable.  What is left is the price of the instrumentation itself: two direct
 * calls per instrumented call, with their argument set-up.  Linked into the benchmark
 * kernel by run-overhead.sh; never into the library.
 */

#define HOOK __attribute__((noinline, no_instrument_function, used))

void __cyg_profile_func_enter(void *fn, void *site);
void __cyg_profile_func_exit(void *fn, void *site);

HOOK void __cyg_profile_func_enter(void *fn, void *site)
{
	(void)fn;
	(void)site;
}

HOOK void __cyg_profile_func_exit(void *fn, void *site)
{
	(void)fn;
	(void)site;
}
