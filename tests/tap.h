/* SPDX-License-Identifier: MIT */
/*
 * tap.h - a tiny TAP producer for the test programs.
 * ok() prints "ok N - name" or "not ok N - name" with the failed expression and place;
 * done() prints the plan, removes the scratch directory given to tap_scratch() if every
 * point passed, and returns the exit status for main().  Under tests/runner.h each
 * point is also told to the runner, one byte down tap_fd.
 */
#ifndef TSCOPE_TAP_H
#define TSCOPE_TAP_H

#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int tap_n, tap_failed;
static int tap_fd = -1; /* the runner's pipe, in a case's child (tests/runner.h) */

#define ok(cond, ...) tap_ok(!!(cond), #cond, __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, ...)                                                              \
	do {                                                                                \
		long long tap_g = (long long)(got), tap_w = (long long)(want);              \
		if (!tap_ok(tap_g == tap_w, #got " == " #want, __FILE__, __LINE__, __VA_ARGS__)) \
			printf("#   got %lld, want %lld\n", tap_g, tap_w);                      \
	} while (0)
#define is_str(got, want, ...)                                                              \
	do {                                                                                \
		const char *tap_g = (got), *tap_w = (want);                                 \
		int tap_same = tap_g && tap_w && strcmp(tap_g, tap_w) == 0;                 \
		if (!tap_ok(tap_same, #got " eq " #want, __FILE__, __LINE__, __VA_ARGS__))  \
			printf("#   got \"%s\", want \"%s\"\n", tap_g ? tap_g : "(null)",     \
			       tap_w ? tap_w : "(null)");                                   \
	} while (0)

__attribute__((format(printf, 5, 6), no_instrument_function, unused)) static int
tap_ok(int pass, const char *expr, const char *file, int line, const char *fmt, ...);

/* Tell the runner, if there is one, of a point: '+' passed, '-' failed. */
__attribute__((no_instrument_function, unused)) static void tap_tell(int pass)
{
	char c = pass ? '+' : '-';

	if (tap_fd >= 0)
		while (write(tap_fd, &c, 1) < 0 && errno == EINTR)
			;
}

#include <stdarg.h>
static int tap_ok(int pass, const char *expr, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", pass ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!pass) {
		tap_failed++;
		printf("#   failed: %s at %s:%d\n", expr, file, line);
	}
	fflush(stdout);
	tap_tell(pass);
	return pass;
}

__attribute__((no_instrument_function, unused)) static void tap_skip(const char *why)
{
	printf("ok %d - # SKIP %s\n", ++tap_n, why);
	fflush(stdout);
	tap_tell(1);
}

/* The test's scratch directory (tap_scratch()), or "". */
static char tap_dir[4096];

/*
 * Make path the test's scratch directory: done() removes it, with what it holds, when
 * every point passed (unless KEEP is set in the environment), and otherwise says where
 * it was kept, for a look at what the failed points left.
 */
__attribute__((no_instrument_function, unused)) static void tap_scratch(const char *path)
{
	snprintf(tap_dir, sizeof(tap_dir), "%s", path);
}

__attribute__((no_instrument_function, unused)) static int
tap_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

__attribute__((no_instrument_function, unused)) static int done(void)
{
	printf("1..%d\n", tap_n);
	if (tap_dir[0] && (tap_failed || getenv("KEEP")))
		printf("# scratch files kept in %s\n", tap_dir);
	else if (tap_dir[0])
		nftw(tap_dir, tap_rm, 16, FTW_DEPTH | FTW_PHYS);
	return tap_failed ? 1 : 0;
}

#endif /* TSCOPE_TAP_H */
