/* SPDX-License-Identifier: MIT */
/*
 * runner.h - the cases of a test program, each run in a child process with a time limit.
 *
 * A test program lists its cases and ends main() with run_tests():
 *
 *	static const struct test_case cases[] = {
 *		{ "abc", test_abc, 0 },
 *		{ "threads", test_threads, 300 },
 *		{ NULL, NULL, 0 },
 *	};
 *	...
 *	return run_tests(argc, argv, cases);
 *
 * Each case runs in a forked child, in a process group of its own, so that a crash or
 * a hang ends only that case: the parent then prints a failed point that names it
 * ("not ok N - CASE: killed by signal S", "not ok N - CASE: timed out after T s") and
 * goes on with the next case.  The child prints its own points, and tap.h tells each
 * one to the parent down a pipe ('+' passed, '-' failed): that is how the numbering
 * stays right across children.  The child writes '.' once its case has returned, and
 * exits normally (so that a leak checker still looks at it).
 *
 * A case's time limit is its own, in seconds, or RUNNER_TIMEOUT if it gives 0; the
 * environment variable TSCOPE_TEST_TIMEOUT replaces every limit (0: none).
 *
 *	tests/test-x             every case, in order, then the plan
 *	tests/test-x CASE...     those cases only, in the order given
 *	tests/test-x --list      the names of the cases
 */
#ifndef TSCOPE_TEST_RUNNER_H
#define TSCOPE_TEST_RUNNER_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "compiler.h"
#include "tap.h"

#define RUNNER_TIMEOUT 120

/* One case: a name for the command line and the failed point, and its function. */
struct test_case {
	const char *name;
	void (*fn)(void);
	unsigned timeout; /* seconds; 0: RUNNER_TIMEOUT */
};

/* The signals that end the parent: they end the case's process group too. */
static const int runner_signals[] = { SIGINT, SIGTERM, SIGHUP };
static struct sigaction runner_old[TS_ARRAY_SIZE(runner_signals)];
static volatile sig_atomic_t runner_pgid;

/* Seconds on the monotonic clock. */
static double runner_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The parent, asked to end: the running case's processes first, then itself. */
static void runner_on_signal(int sig)
{
	if (runner_pgid > 0)
		kill(-(pid_t)runner_pgid, SIGKILL);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* In the parent: forward the ending signals it does not ignore. */
static void runner_catch(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = runner_on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < TS_ARRAY_SIZE(runner_signals); i++) {
		sigaction(runner_signals[i], NULL, &runner_old[i]);
		if (runner_old[i].sa_handler != SIG_IGN)
			sigaction(runner_signals[i], &sa, NULL);
	}
}

/* In a child: the signals as the program found them. */
static void runner_uncatch(void)
{
	for (size_t i = 0; i < TS_ARRAY_SIZE(runner_signals); i++)
		sigaction(runner_signals[i], &runner_old[i], NULL);
}

/* A case's time limit in seconds; 0: none. */
static unsigned runner_limit(const struct test_case *t)
{
	const char *env = getenv("TSCOPE_TEST_TIMEOUT");

	if (env && *env)
		return (unsigned)strtoul(env, NULL, 10);
	return t->timeout ? t->timeout : RUNNER_TIMEOUT;
}

/* A failed point for a case that went wrong as a whole. */
static void runner_fail(const struct test_case *t, const char *why)
{
	printf("not ok %d - %s: %s\n", ++tap_n, t->name, why);
	tap_failed++;
}

/* In the child: run the case, say it returned, exit. */
static void runner_child(const struct test_case *t, int fd)
{
	setpgid(0, 0);
	runner_uncatch();
	tap_fd = fd;
	t->fn();
	fflush(stdout);
	while (write(fd, ".", 1) < 0 && errno == EINTR)
		;
	exit(0);
}

/*
 * Run one case in a child and count the points it prints; if the child crashed, hung,
 * or ended other than by returning from the case, print a failed point naming it.
 */
static void runner_one(const struct test_case *t)
{
	unsigned limit = runner_limit(t);
	double start = runner_now();
	int fd[2], st, returned = 0, timed_out = 0;
	char why[160] = "";
	pid_t pid;

	fflush(stdout);
	if (pipe2(fd, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		snprintf(why, sizeof(why), "cannot start: %s", strerror(errno));
		runner_fail(t, why);
		return;
	}
	if (pid == 0) {
		close(fd[0]);
		runner_child(t, fd[1]);
	}
	setpgid(pid, pid); /* as the child does: whichever runs first */
	runner_pgid = pid;
	close(fd[1]);
	for (;;) {
		struct pollfd p = { fd[0], POLLIN, 0 };
		double left = limit ? limit - (runner_now() - start) : 1;
		char buf[256];
		ssize_t k;

		if (left <= 0) {
			kill(-pid, SIGKILL);
			timed_out = 1;
			break;
		}
		if (poll(&p, 1, limit ? (int)(left * 1000) + 1 : -1) <= 0)
			continue;
		k = read(fd[0], buf, sizeof(buf));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break; /* the child and all it forked are gone, or closed the pipe */
		for (ssize_t i = 0; i < k; i++) {
			tap_n += buf[i] == '+' || buf[i] == '-';
			tap_failed += buf[i] == '-';
			returned |= buf[i] == '.';
		}
	}
	close(fd[0]);
	/* what the case started and left behind; its group stays ours until it is reaped */
	kill(-pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	runner_pgid = 0;
	if (timed_out)
		snprintf(why, sizeof(why), "timed out after %u s", limit);
	else if (WIFSIGNALED(st))
		snprintf(why, sizeof(why), "killed by signal %d (%s)", WTERMSIG(st),
			 strsignal(WTERMSIG(st)));
	else if (!returned)
		snprintf(why, sizeof(why), "exited with status %d before the case's end",
			 WEXITSTATUS(st));
	else if (WEXITSTATUS(st))
		snprintf(why, sizeof(why), "exited with status %d after the case", WEXITSTATUS(st));
	if (*why)
		runner_fail(t, why);
	printf("# %s: %.2f s\n", t->name, runner_now() - start);
}

/* Run the cases the command line names, or all of them; print the plan.  main()'s
 * return value: 0 if every point passed, 1 if one failed, 2 for a bad command line. */
static TS_UNUSED int run_tests(int argc, char **argv, const struct test_case *cases)
{
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && strcmp(argv[1], "--list") == 0) {
		for (i = 0; cases[i].name; i++)
			printf("%s\n", cases[i].name);
		return 0;
	}
	for (int a = 1; a < argc; a++) {
		for (i = 0; cases[i].name && strcmp(cases[i].name, argv[a]) != 0; i++)
			;
		if (!cases[i].name) {
			fprintf(stderr, "%s: no case '%s' (--list lists them)\n", argv[0], argv[a]);
			return 2;
		}
	}
	runner_catch();
	if (argc > 1) {
		for (int a = 1; a < argc; a++)
			for (i = 0; cases[i].name; i++)
				if (strcmp(cases[i].name, argv[a]) == 0)
					runner_one(&cases[i]);
	} else {
		for (i = 0; cases[i].name; i++)
			runner_one(&cases[i]);
	}
	return done();
}

#endif /* TSCOPE_TEST_RUNNER_H */
