/* SPDX-License-Identifier: MIT */
/*
 * prog-io-fortify.c - prog-io.c built with _FORTIFY_SOURCE=2, for test-io.sh: where the
 * compiler knows a buffer's size but not whether the count fits, the program calls
 * libc's checking variants (__read_chk, __pread_chk, __recv_chk) instead of read,
 * pread and recv.
 */
#if defined(__OPTIMIZE__) && !defined(_FORTIFY_SOURCE)
#define _FORTIFY_SOURCE 2
#endif

#include <stddef.h>

/* a length the compiler cannot prove fits: the checking variant is called */
static volatile size_t len;
#define LEN(n) (len = (n), len)

#include "prog-io.c"
