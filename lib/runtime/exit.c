/* SPDX-License-Identifier: MIT */
/*
 * exit.c - _exit() and _Exit() passed through by the shared library.
 *
 * A process that ends through _exit() skips exit()'s handlers, ours among them: the
 * events in its buffers and the END chunk of its file would be lost.  That is the
 * correct way out of a forked child (after a failed exec(), in a server's worker), so
 * here the session is written first, as at exit (tscope__exit_prepare(), which leaves
 * a vfork() child alone), then the C library's function ends the process.  exit()
 * itself reaches the kernel without going through these, so nothing is written twice.
 *
 * Only the shared library has these (a program that links libtscope.a keeps the C
 * library's), and only calls through the program's own _exit() are seen: glibc's
 * daemon() ends its parent with an internal call.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dlfcn.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tscope-int.h"

#ifdef PIC
typedef void (*exit_fn)(int);

/* The C library's function name, found at its first use; if it cannot be, the exit
 * system call itself. */
static TS_NOINSTR _Noreturn void end(const char *name, int status)
{
	exit_fn f;

	tscope__exit_prepare();
	f = (exit_fn)dlsym(RTLD_NEXT, name);
	if (f)
		f(status);
	for (;;)
		syscall(SYS_exit_group, status);
}

TSCOPE_API TS_NOINSTR void _exit(int status)
{
	end("_exit", status);
}

TSCOPE_API TS_NOINSTR void _Exit(int status)
{
	end("_Exit", status);
}
#endif
