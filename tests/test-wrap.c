/* SPDX-License-Identifier: MIT */
/*
 * test-wrap.c - `tscope record` around wrapper processes: sh -c, env, taskset, a
 * program that runs its command with system() or popen(), and an exec() that fails.
 *
 * The wrapper (uninstrumented, with libtscope preloaded) claims FILE and execs or
 * forks the real program, tests/prog-plain.  Each case checks: the exit status is
 * the untraced run's, every trace file of the run is complete, the program's calls
 * are counted exactly over the files, and where the wrapper execs the program, FILE
 * itself holds them.  Each case runs in a child of its own (tests/runner.h):
 * `tests/test-wrap --list` lists them.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "runner.h"

static char tscope[4096]; /* tools/tscope */
static char plain[4096];  /* tests/prog-plain */
static char line_abc[4200]; /* "prog-plain abc", for a shell */

/* Remove the files of dir whose names start with prefix. */
static void remove_files(const char *prefix)
{
	char path[4400];
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
	}
	if (d)
		closedir(d);
}

/* Over the files NAME.trace and NAME.trace.*: how many, how many complete, the enters of
 * addr[0..naddr) summed. */
struct files {
	int n, complete;
	uint64_t enters[3];
};

static void tally_files(const char *name, const uint64_t *addr, int naddr, struct files *fs)
{
	char prefix[256], path[4400];
	DIR *d = opendir(dir);
	struct dirent *e;
	struct tally t;

	memset(fs, 0, sizeof(*fs));
	snprintf(prefix, sizeof(prefix), "%s.trace", name);
	while (d && (e = readdir(d)) != NULL) {
		size_t len = strlen(prefix);

		if (strncmp(e->d_name, prefix, len) != 0 ||
		    (e->d_name[len] && e->d_name[len] != '.'))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		tally_trace(path, addr, naddr, &t);
		fs->n++;
		fs->complete += t.rc == 0 && t.complete;
		if (t.rc != 0 || !t.complete)
			printf("# %s: %s\n", e->d_name, t.rc ? "unreadable" : "truncated");
		for (int k = 0; k < naddr; k++)
			fs->enters[k] += t.enters[k];
		tally_free(&t);
	}
	if (d)
		closedir(d);
}

/*
 * Run cmd (a NULL-terminated argv) untraced, then under `tscope record -o NAME.trace`;
 * the traced program runs "abc" (a 3, b 6, c 18 calls).  in_file: the wrapper execs
 * the program, whose calls are then in FILE itself.
 */
static void check_wrap(const char *name, const char *const *cmd, int in_file)
{
	char path[4200];
	const char *argv[32];
	struct run *r = malloc(sizeof(*r));
	struct files fs;
	struct tally t;
	uint64_t addr[3];
	int n = 0, untraced = -1;

	ok(run_capture(cmd, NULL, r) == 0, "%s: runs untraced", name);
	untraced = r->status;
	trace_path(path, sizeof(path), name);
	remove_files(strrchr(path, '/') + 1);
	argv[n++] = tscope;
	argv[n++] = "record";
	argv[n++] = "-o";
	argv[n++] = path;
	argv[n++] = "--";
	for (; *cmd && n < 31; cmd++)
		argv[n++] = *cmd;
	argv[n] = NULL;
	ok(run_capture(argv, NULL, r) == 0, "%s: runs under record", name);
	is_int(r->status, untraced, "%s: exit status %d, as untraced", name, untraced);
	addr[0] = printed(r, "fn", "a");
	addr[1] = printed(r, "fn", "b");
	addr[2] = printed(r, "fn", "c");
	ok(addr[0] && addr[1] && addr[2], "%s: the program ran", name);
	tally_files(name, addr, 3, &fs);
	ok(fs.n > 0 && fs.complete == fs.n, "%s: all %d trace files complete", name, fs.n);
	ok(fs.enters[0] == 3 && fs.enters[1] == 6 && fs.enters[2] == 18,
	   "%s: the program's calls counted exactly (a %llu, b %llu, c %llu)", name,
	   (unsigned long long)fs.enters[0], (unsigned long long)fs.enters[1],
	   (unsigned long long)fs.enters[2]);
	if (in_file) {
		tally_trace(path, addr, 3, &t);
		ok(t.rc == 0 && t.complete && t.enters[2] == 18,
		   "%s: FILE holds the program's calls", name);
		is_int(fs.n, 1, "%s: and is the only file", name);
		tally_free(&t);
	}
	free(r);
}

/* An exec() that fails: errno is the call's, the 5 calls before are in FILE, the 7
 * after in a new, complete file. */
static void check_exec_fail(void)
{
	char path[4200];
	const char *argv[] = { tscope, "record", "-o", path, "--", plain, "exec-fail", NULL };
	struct run *r = malloc(sizeof(*r));
	struct files fs;
	struct tally t;
	uint64_t addr[1];

	trace_path(path, sizeof(path), "exec-fail");
	remove_files("exec-fail.trace");
	ok(run_capture(argv, NULL, r) == 0 && r->status == 0, "exec-fail: runs under record");
	is_int(printed(r, "val", "errno"), ENOENT, "exec-fail: execl() fails with ENOENT");
	is_int(printed(r, "val", "errno2"), ENOENT, "exec-fail: execlp() fails with ENOENT");
	addr[0] = printed(r, "fn", "leaf");
	tally_trace(path, addr, 1, &t);
	ok(t.rc == 0 && t.complete, "exec-fail: FILE complete");
	is_int(t.enters[0], 5, "exec-fail: FILE holds the 5 calls before exec()");
	tally_free(&t);
	tally_files("exec-fail", addr, 1, &fs);
	ok(fs.n == 2 && fs.complete == 2, "exec-fail: two complete files (%d, %d complete)",
	   fs.n, fs.complete);
	is_int(fs.enters[0], 12, "exec-fail: the 7 calls after it in the other");
	free(r);
}

/* taskset, where util-linux has it */
static const char *find_taskset(void)
{
	static const char *const where[] = { "/usr/bin/taskset", "/bin/taskset" };

	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++)
		if (access(where[i], X_OK) == 0)
			return where[i];
	return NULL;
}

static void test_sh(void)
{
	const char *const c[] = { "/bin/sh", "-c", line_abc, NULL };

	check_wrap("sh", c, 0); /* the shell may fork or exec */
}

static void test_sh_exec(void)
{
	char line[4300];
	const char *const c[] = { "/bin/sh", "-c", line, NULL };

	snprintf(line, sizeof(line), "exec %s abc", plain);
	check_wrap("sh-exec", c, 1);
}

static void test_sh_fork(void)
{
	char line[4300];
	const char *const c[] = { "/bin/sh", "-c", line, NULL };

	snprintf(line, sizeof(line), "%s abc; exit 3", plain);
	check_wrap("sh-fork", c, 0);
}

static void test_env(void)
{
	const char *const c[] = { "/usr/bin/env", "A=1", plain, "abc", NULL };

	check_wrap("env", c, 1);
}

static void test_taskset(void)
{
	const char *const c[] = { find_taskset(), "-c", "0", plain, "abc", NULL };

	if (!c[0]) {
		tap_skip("no taskset");
		return;
	}
	check_wrap("taskset", c, 1);
}

static void test_system(void)
{
	const char *const c[] = { plain, "system", line_abc, NULL };

	check_wrap("system", c, 0);
}

static void test_popen(void)
{
	const char *const c[] = { plain, "popen", line_abc, NULL };

	check_wrap("popen", c, 0);
}

static const struct test_case cases[] = {
	{ "sh", test_sh, 0 },
	{ "sh-exec", test_sh_exec, 0 },
	{ "sh-fork", test_sh_fork, 0 },
	{ "env", test_env, 0 },
	{ "taskset", test_taskset, 0 },
	{ "system", test_system, 0 },
	{ "popen", test_popen, 0 },
	{ "exec-fail", check_exec_fail, 0 },
	{ NULL, NULL, 0 },
};

int main(int argc, char **argv)
{
	const char *top = getenv("top_builddir");

	if (!top)
		top = ".";
	snprintf(dir, sizeof(dir), "%s/tests/tmp-wrap", top);
	mkdir(dir, 0777);
	tap_scratch(dir);
	snprintf(tscope, sizeof(tscope), "%s/tools/tscope", top);
	snprintf(plain, sizeof(plain), "%s/tests/prog-plain", top);
	snprintf(line_abc, sizeof(line_abc), "%s abc", plain);
	if (!getenv("TSCOPE_LIB") || access(getenv("TSCOPE_LIB"), R_OK) != 0) {
		tap_skip("no TSCOPE_LIB (shared libtscope) to preload");
		return done();
	}
	return run_tests(argc, argv, cases);
}
