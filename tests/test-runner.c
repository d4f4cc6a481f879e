/* SPDX-License-Identifier: MIT */
/*
 * test-runner.c - tests/runner.h itself.
 *
 * With RUNNER_DEMO set in the environment this program runs the demo cases below: a
 * case that passes, one that fails a point, one that crashes, one that hangs (having
 * started a process that would hang too), one that exits in its middle, and a last
 * that passes.  Without it, it runs itself that way and checks the TAP it prints: each
 * case told apart and named, the numbering right across the children, the plan, the
 * exit status; one case run by name; TSCOPE_TEST_TIMEOUT; a bad case name.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "run.h"
#include "runner.h"

/* ---- the demo cases ------------------------------------------------------------------ */

static void demo_pass(void)
{
	ok(1, "pass one");
	ok(1, "pass two");
}

static void demo_fail(void)
{
	ok(0, "a failed point");
}

static void demo_crash(void)
{
	ok(1, "before the crash");
	abort();
}

/* Hangs, and so does the process it starts, whose pid it prints. */
static void demo_hang(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		for (;;)
			pause();
	}
	printf("# started %d\n", (int)pid);
	ok(pid > 0, "before the hang");
	for (;;)
		pause();
}

static void demo_exit(void)
{
	ok(1, "before the exit");
	fflush(stdout);
	exit(3);
}

static void demo_after(void)
{
	ok(1, "after them all");
}

static const struct test_case demo[] = {
	{ "pass", demo_pass, 0 }, { "fail", demo_fail, 0 }, { "crash", demo_crash, 0 },
	{ "hang", demo_hang, 1 }, { "exit", demo_exit, 0 }, { "after", demo_after, 0 },
	{ NULL, NULL, 0 },
};

/* ---- the checks ----------------------------------------------------------------------- */

static struct run out; /* the demo's last run */

/* Run the demo with an argument (or none) and TSCOPE_TEST_TIMEOUT as given (or unset);
 * its exit status. */
static int demo_run(const char *arg, const char *timeout)
{
	const char *argv[] = { "/proc/self/exe", arg, NULL };
	const char *env[] = { "RUNNER_DEMO=1", timeout ? timeout : "TSCOPE_TEST_TIMEOUT=", NULL };

	memset(&out, 0, sizeof(out));
	return run_capture(argv, env, &out) == 0 ? out.status : -1;
}

/* Does the output hold this line (whole, or up to its end if prefix is set)? */
static int has_line(const char *line, int prefix)
{
	size_t n = strlen(line);

	for (const char *p = out.out; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, line, n) == 0 && (prefix || p[n] == '\n' || p[n] == 0))
			return 1;
	return 0;
}

/* The demo's output without its comments: the points and the plan. */
static const char *points(void)
{
	static char text[sizeof(out.out)];
	size_t n = 0;

	for (const char *p = out.out; *p;) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) + 1 : strlen(p);

		if (*p != '#') {
			memcpy(text + n, p, len);
			n += len;
		}
		p += len;
	}
	text[n] = 0;
	return text;
}

/* Is the process gone (or a zombie waiting for its new parent to reap it)? */
static int gone(pid_t pid)
{
	char path[64], buf[256], *p;
	FILE *f;

	if (kill(pid, 0) < 0)
		return 1;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 1;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	p = p ? strrchr(buf, ')') : NULL;
	return p && p[1] == ' ' && p[2] == 'Z';
}

static void test_all(void)
{
	struct timespec tick = { 0, 10000000 };
	char want[1024];
	const char *p;
	int pid = 0;

	is_int(demo_run(NULL, NULL), 1, "all cases: the exit status says a point failed");
	ok(has_line("ok 1 - pass one", 0) && has_line("ok 2 - pass two", 0),
	   "a case's points are numbered from 1");
	ok(has_line("not ok 3 - a failed point", 0), "a failed point is one, in its place");
	ok(has_line("ok 4 - before the crash", 0) &&
	       has_line("not ok 5 - crash: killed by signal 6 ", 1),
	   "a crash is one failed point, naming the case and the signal");
	ok(has_line("ok 6 - before the hang", 0) &&
	       has_line("not ok 7 - hang: timed out after 1 s", 0),
	   "a hang ends at the case's time limit, one failed point naming it");
	ok(has_line("ok 8 - before the exit", 0) &&
	       has_line("not ok 9 - exit: exited with status 3 before the case's end", 0),
	   "an exit in the middle of a case is one failed point naming it");
	snprintf(want, sizeof(want),
		 "ok 1 - pass one\nok 2 - pass two\nnot ok 3 - a failed point\n"
		 "ok 4 - before the crash\nnot ok 5 - crash: killed by signal %d (%s)\n"
		 "ok 6 - before the hang\nnot ok 7 - hang: timed out after 1 s\n"
		 "ok 8 - before the exit\n"
		 "not ok 9 - exit: exited with status 3 before the case's end\n"
		 "ok 10 - after them all\n1..10\n",
		 SIGABRT, strsignal(SIGABRT));
	is_str(points(), want, "the numbering goes on across them, the plan counts every point");
	p = strstr(out.out, "# started ");
	if (p)
		pid = atoi(p + 10);
	for (int i = 0; i < 300 && pid > 0 && !gone(pid); i++)
		nanosleep(&tick, NULL);
	ok(pid > 0 && gone(pid), "what a hung case started is killed with it");
	if (pid > 0 && !gone(pid))
		kill(pid, SIGKILL);
}

static void test_by_name(void)
{
	is_int(demo_run("pass", NULL), 0, "one case by name: exit status 0");
	is_str(points(), "ok 1 - pass one\nok 2 - pass two\n1..2\n",
	       "one case by name: its points");
	is_int(demo_run("hang", "TSCOPE_TEST_TIMEOUT=2"), 1, "hang, TSCOPE_TEST_TIMEOUT=2: fails");
	ok(has_line("not ok 2 - hang: timed out after 2 s", 0),
	   "TSCOPE_TEST_TIMEOUT replaces the case's time limit");
	is_int(demo_run("nosuch", NULL), 2, "an unknown case name: exit status 2");
	is_int(demo_run("--list", NULL), 0, "--list: exit status 0");
	is_str(out.out, "pass\nfail\ncrash\nhang\nexit\nafter\n", "--list: the names, in order");
}

static const struct test_case cases[] = {
	{ "all", test_all, 0 },
	{ "by-name", test_by_name, 0 },
	{ NULL, NULL, 0 },
};

int main(int argc, char **argv)
{
	if (getenv("RUNNER_DEMO"))
		return run_tests(argc, argv, demo);
	return run_tests(argc, argv, cases);
}
