/* SPDX-License-Identifier: MIT */
/*
 * util.h - helpers shared by the tscope commands: memory that cannot fail, the one
 * error-line format, size parsing, trace opening with its diagnostics, and safe output
 * files.  CLI only: these may print and exit, which lib/ never does.
 */
#ifndef TSCOPE_UTIL_H
#define TSCOPE_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "compiler.h"

struct reader;

/* Exit statuses of every command. */
#define EXIT_OK	   0
#define EXIT_BAD   1 /* bad input or a failure */
#define EXIT_USAGE 2

/* Allocation that prints "tscope: out of memory" and exits 1 instead of failing. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/*
 * "tscope: <what>: <message>" on stderr, or "tscope: <message>" when what is NULL.
 * what is usually a file name, or "<command>" for a usage error.
 */
TS_PRINTF(2, 3) void util_error(const char *what, const char *fmt, ...);

/* The same with "warning: " before the message. */
TS_PRINTF(2, 3) void util_warn(const char *what, const char *fmt, ...);

/*
 * A usage error of command cmd (NULL: tscope itself): the message, then "Try 'tscope
 * <cmd> --help'." on stderr.  Returns EXIT_USAGE.
 */
TS_PRINTF(2, 3) int util_usage_error(const char *cmd, const char *fmt, ...);

/* Print "tscope <cmd> <version> ..." for --version (cmd may be NULL).  Returns EXIT_OK. */
int util_version(const char *cmd);

/*
 * Parse a size: a decimal number with an optional k, M or G suffix (powers of 1024;
 * "kB", "KiB" and friends are accepted too).  Returns 0 and sets *out, or -1 if s is
 * not a size or overflows 64 bits.
 */
int util_parse_size(const char *s, uint64_t *out);

/*
 * Open the trace at path.  On failure, prints "tscope: <path>: <what is wrong>" and
 * returns EXIT_BAD; *rp is then NULL.
 */
int util_open_trace(const char *path, struct reader **rp);

/*
 * After a command has read the whole trace: one line on stderr per problem of the
 * input.  Truncation, malformed or missing chunks and END totals that disagree are
 * errors: the output holds everything up to them, and the status is EXIT_BAD, as the
 * specification asks of a bad input.  Lost events, an unknown tick rate and bytes after
 * END are warnings: EXIT_OK.  Returns the status.
 */
int util_trace_problems(const char *path, const struct reader *r);

/*
 * Open path for writing output, safely: never through a symbolic link (O_NOFOLLOW),
 * created with mode 0666 & ~umask, truncated only after checking that it is not one of
 * the n input files (same st_dev and st_ino).  path "-" or NULL is stdout.  On failure
 * prints the reason and returns NULL.
 */
FILE *util_open_output(const char *path, char *const *inputs, int n);

/*
 * Whether writing to f has failed, and why: 0 if not, else the errno of the failure
 * (EIO when errno says nothing).  With f flush too: the output so far goes out before
 * what is said on stderr.  Take it as soon as the writer has stopped, before anything
 * else can change errno: glibc keeps only the error flag, not its cause.
 */
int util_output_error(FILE *f, int flush);

/*
 * Flush and close an output from util_open_output() (stdout is flushed, not closed).
 * err is the cause of a failure seen already (util_output_error()), or 0.  Prints
 * "tscope: <path>: write error: <cause>" once and returns EXIT_BAD if anything failed.
 */
int util_close_output(FILE *f, const char *path, int err);

#endif /* TSCOPE_UTIL_H */
