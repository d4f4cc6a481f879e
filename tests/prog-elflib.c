/* SPDX-License-Identifier: MIT */
/*
 * prog-elflib.c - a tiny shared library that test-elf loads with dlopen and symbolizes:
 * a global function, a static one (only in .symtab), one with a C++ mangled name, and
 * a string literal.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

typedef int (*prog_elflib_fn)(int);

int prog_elflib_answer(int x);
int prog_elflib_cxx(int x) __asm__("_ZN6elflib5greetEi");
prog_elflib_fn prog_elflib_hidden(void);
const char *prog_elflib_literal(void);

static __attribute__((noinline)) int prog_elflib_static(int x)
{
	return x * 11 - 3;
}

int prog_elflib_answer(int x)
{
	return x * 7 + 1;
}

int prog_elflib_cxx(int x)
{
	return x + 42;
}

prog_elflib_fn prog_elflib_hidden(void)
{
	return prog_elflib_static;
}

const char *prog_elflib_literal(void)
{
	return "tscope elflib literal";
}
