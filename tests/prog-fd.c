/* SPDX-License-Identifier: MIT */
/*
 * prog-fd.c - a traced program that treats its file descriptors roughly, driven by
 * test-fdsafe.c.
 *
 * Built with -finstrument-functions, linked with libtscope (prog-fd) or not
 * (prog-fd-plain, run under `tscope record`).  Usage: prog-fd MODE FILE CALLS.  MODE
 * says what happens to the descriptors first:
 *	first        nothing
 *	close-range  close_range(3, ~0U, 0)
 *	close-loop   close() of every descriptor from 3 to 1023
 *	dup2         FILE is opened, then dup2()'d over every descriptor from 3 up to the
 *	             limit (at most 4096), and every other one of those closed again
 *	fsize:N      RLIMIT_FSIZE of N bytes, SIGXFSZ ignored
 *	unlink       the trace ($TSCOPE_OUTPUT) is unlinked halfway through the calls
 * Then FILE is opened (created, truncated) unless it is "-", and leaf() is called
 * CALLS times, a line written to FILE every 64 calls.  Prints "val first_fd N" (what
 * its first open() returned) and "fn leaf 0xADDR"; exits with status 5.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NOINSTR __attribute__((no_instrument_function))

__attribute__((noinline)) static int leaf(int x)
{
	__asm__ __volatile__("");
	return x + 1;
}

/* The top of the descriptors dup2 mode covers. */
NOINSTR static int fd_top(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur > 4096)
		return 4096;
	return (int)rl.rlim_cur;
}

NOINSTR int main(int argc, char **argv)
{
	const char *mode, *file;
	long calls;
	int fd = -1, first_fd = -1, sum = 0;

	if (argc != 4)
		return 2;
	mode = argv[1];
	file = argv[2];
	calls = strtol(argv[3], NULL, 10);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(mode, "close-range") == 0) {
		if (syscall(SYS_close_range, 3u, ~0u, 0u) < 0)
			for (int i = 3; i < fd_top(); i++)
				close(i);
	} else if (strcmp(mode, "close-loop") == 0) {
		for (int i = 3; i < 1024; i++)
			close(i);
	} else if (strcmp(mode, "dup2") == 0) {
		int top = fd_top();

		fd = first_fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			return 3;
		for (int i = 3; i < top; i++)
			if (i != fd)
				dup2(fd, i);
		for (int i = 3; i < top; i += 2)
			if (i != fd)
				close(i);
	} else if (strncmp(mode, "fsize:", 6) == 0) {
		struct rlimit rl;

		rl.rlim_cur = rl.rlim_max = (rlim_t)strtoull(mode + 6, NULL, 10);
		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
			return 3;
	} else if (strcmp(mode, "first") != 0 && strcmp(mode, "unlink") != 0) {
		return 2;
	}
	if (fd < 0 && strcmp(file, "-") != 0) {
		fd = first_fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			return 3;
	}
	for (long i = 0; i < calls; i++) {
		sum += leaf((int)i);
		if (i == calls / 2 && strcmp(mode, "unlink") == 0 && getenv("TSCOPE_OUTPUT"))
			unlink(getenv("TSCOPE_OUTPUT"));
		if (fd >= 0 && i % 64 == 0) {
			char line[64];
			int n = snprintf(line, sizeof(line), "line %ld sum %d\n", i, sum);

			if (write(fd, line, (size_t)n) != n)
				return 4;
		}
	}
	if (fd >= 0)
		close(fd);
	printf("val first_fd %d\n", first_fd);
	printf("fn leaf %p\n", (void *)leaf);
	return 5;
}
