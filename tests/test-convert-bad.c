/* SPDX-License-Identifier: MIT */
/*
 * test-convert-bad.c - `tscope chrome`, `report` and `folded` given bad input and bad
 * usage: empty, random, missing, truncated and damaged files, unknown options, and
 * outputs that would overwrite an input or follow a symbolic link.  The traces to
 * damage come from tests/prog-conv, recorded first.  Each case runs in a child of its
 * own (tests/runner.h): `tests/test-convert-bad --list` lists them.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "convert.h"
#include "runner.h"

/* The inputs, made by main(), and the files the commands write. */
static char empty[4200], garbage[4200], trunc_path[4200], fib[4200], err[4200], out[4200];
static char threads[4200];

/* Each command on an empty file, random bytes, a missing file, no file, an unknown
 * option; --help and --version; report's options out of range. */
static void test_usage(void)
{
	static const char *const cmds[] = { "chrome", "report", "folded", "perfetto",
					    "speedscope" };
	const char *a[] = { tscope, "report", "--sort", "size", fib, NULL };
	const char *b[] = { tscope, "report", "--threshold", "200", fib, NULL };
	char *text;

	for (size_t c = 0; c < TS_ARRAY_SIZE(cmds); c++) {
		const char *a_empty[] = { tscope, cmds[c], empty, NULL };
		const char *a_garbage[] = { tscope, cmds[c], garbage, NULL };
		const char *a_missing[] = { tscope, cmds[c], "/nonexistent/x.trace", NULL };
		const char *a_none[] = { tscope, cmds[c], NULL };
		const char *a_opt[] = { tscope, cmds[c], "--bogus", fib, NULL };
		const char *a_help[] = { tscope, cmds[c], "--help", NULL };
		const char *a_version[] = { tscope, cmds[c], "--version", NULL };

		is_int(run(a_empty, NULL, out, err), 1, "%s: empty file: exit 1", cmds[c]);
		text = slurp(err);
		ok(strstr(text, "empty.trace: empty file, not a tscope trace") != NULL &&
		       count_lines(text) == 1,
		   "%s: empty file: one line naming the file", cmds[c]);
		free(text);
		is_int(run(a_garbage, NULL, out, err), 1, "%s: random bytes: exit 1", cmds[c]);
		text = slurp(err);
		ok(strstr(text, "garbage.trace: not a tscope trace") != NULL &&
		       count_lines(text) == 1,
		   "%s: random bytes: one line naming the file", cmds[c]);
		free(text);
		is_int(run(a_missing, NULL, out, err), 1, "%s: missing file: exit 1", cmds[c]);
		is_int(run(a_none, NULL, out, err), 2, "%s: no file: exit 2", cmds[c]);
		is_int(run(a_opt, NULL, out, err), 2, "%s: unknown option: exit 2", cmds[c]);
		is_int(run(a_help, NULL, out, err), 0, "%s: --help: exit 0", cmds[c]);
		text = slurp(out);
		ok(strncmp(text, "Usage: tscope ", 14) == 0, "%s: --help prints the usage",
		   cmds[c]);
		free(text);
		is_int(run(a_version, NULL, out, err), 0, "%s: --version: exit 0", cmds[c]);
	}
	is_int(run(a, NULL, out, err), 2, "report --sort size: exit 2");
	is_int(run(b, NULL, out, err), 2, "report --threshold 200: exit 2");
}

/* Truncated: what is there is converted, the JSON is complete, exit 1. */
static void test_truncated(void)
{
	uint64_t size = file_size(threads);
	uint64_t cuts[] = { 64 + 5, size / 3, size / 2 + 7, size - 1 };
	char *text;
	FILE *f;

	for (size_t k = 0; k < TS_ARRAY_SIZE(cuts); k++) {
		char json[4300];
		const char *a[] = { tscope, "chrome", "-o", json, trunc_path, NULL };
		const char *r[] = { tscope, "report", trunc_path, NULL };
		const char *fo[] = { tscope, "folded", trunc_path, NULL };
		struct summary s;
		char *data = slurp(threads);

		f = fopen(trunc_path, "w");
		if (f) {
			fwrite(data, 1, cuts[k], f);
			fclose(f);
		}
		free(data);
		snprintf(json, sizeof(json), "%s.json", trunc_path);
		is_int(run(a, NULL, NULL, err), 1, "truncated at %" PRIu64 ": chrome exit 1",
		       cuts[k]);
		text = slurp(err);
		ok(strstr(text, "trunc.trace: trace is truncated at byte") != NULL,
		   "truncated at %" PRIu64 ": says so", cuts[k]);
		free(text);
		if (have_python) {
			check_json(json, &s);
			ok(s.ok, "truncated at %" PRIu64 ": the JSON is still complete", cuts[k]);
			free(s.text);
		}
		is_int(run(r, NULL, out, err), 1, "truncated: report exit 1");
		is_int(run(fo, NULL, out, err), 1, "truncated: folded exit 1");
		unlink(json);
	}
}

/* Damaged: bytes flipped anywhere; every command ends normally, the JSON is whole. */
static void test_damaged(void)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	char *data = slurp(threads);
	size_t size = (size_t)file_size(threads);
	int crashed = 0, bad_status = 0, bad_json = 0;
	FILE *f;

	for (int round = 0; round < 12 && size > 64; round++) {
		char json[4300];
		const char *a[] = { tscope, "chrome", "-o", json, trunc_path, NULL };
		const char *r[] = { tscope, "report", "--flat", trunc_path, NULL };
		const char *fo[] = { tscope, "folded", "--tid", trunc_path, NULL };
		char *copy = malloc(size);
		int st;

		memcpy(copy, data, size);
		for (int k = 0; k < 4 << (round % 6); k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			/* the header now and then, else anywhere */
			copy[round % 4 == 0 ? x % 64 : x % size] ^= (char)(1u << (x >> 61));
		}
		f = fopen(trunc_path, "w");
		if (f) {
			fwrite(copy, 1, size, f);
			fclose(f);
		}
		free(copy);
		snprintf(json, sizeof(json), "%s.json", trunc_path);
		st = run(a, NULL, NULL, err);
		crashed += st >= 128;
		bad_status += st != 0 && st != 1;
		if (st <= 1 && file_size(json) && have_python) {
			struct summary sm;

			check_json(json, &sm);
			bad_json += !sm.ok;
			free(sm.text);
		}
		st = run(r, NULL, out, err);
		crashed += st >= 128;
		bad_status += st != 0 && st != 1;
		st = run(fo, NULL, out, err);
		crashed += st >= 128;
		bad_status += st != 0 && st != 1;
		unlink(json);
	}
	free(data);
	is_int(crashed, 0, "damaged traces: no crash in 36 conversions");
	is_int(bad_status, 0, "damaged traces: exit status 0 or 1");
	is_int(bad_json, 0, "damaged traces: the JSON is always whole and nested");
}

/* Outputs: never over an input, never through a symbolic link. */
static void test_outputs(void)
{
	char link[4200];
	uint64_t before = file_size(fib);
	const char *a[] = { tscope, "chrome", "-o", fib, fib, NULL };
	const char *b[] = { tscope, "folded", "-o", link, fib, NULL };

	is_int(run(a, NULL, out, err), 1, "chrome -o INPUT: refused");
	is_int(file_size(fib), before, "chrome -o INPUT: the input is intact");
	path_of(link, sizeof(link), "link.json");
	unlink(link);
	if (symlink(out, link) == 0) {
		is_int(run(b, NULL, NULL, err), 1, "folded -o SYMLINK: refused");
		unlink(link);
	} else {
		tap_skip("cannot make a symbolic link");
	}
}

/* The inputs: an empty file, random bytes, and traces of prog-conv fib 29 and threads. */
static void make_inputs(void)
{
	const char *fib_argv[] = { prog, "fib", "29", NULL };
	const char *threads_argv[] = { prog, "threads", NULL };
	FILE *f;

	path_of(empty, sizeof(empty), "empty.trace");
	path_of(garbage, sizeof(garbage), "garbage.trace");
	path_of(trunc_path, sizeof(trunc_path), "trunc.trace");
	path_of(err, sizeof(err), "bad.err");
	path_of(out, sizeof(out), "bad.out");
	f = fopen(empty, "w");
	if (f)
		fclose(f);
	f = fopen(garbage, "w");
	if (f) {
		uint64_t x = 88172645463325252ULL;

		for (int i = 0; i < 65536; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			fputc((int)(x & 0xff), f);
		}
		fclose(f);
	}
	if (trace_run("fib", fib_argv, fib, sizeof(fib)) != 0)
		printf("# prog-conv fib 29 failed\n");
	if (trace_run("threads", threads_argv, threads, sizeof(threads)) != 0)
		printf("# prog-conv threads failed\n");
}

static const struct test_case cases[] = {
	{ "usage", test_usage, 0 },
	{ "truncated", test_truncated, 300 },
	{ "damaged", test_damaged, 300 },
	{ "outputs", test_outputs, 0 },
	{ NULL, NULL, 0 },
};

int main(int argc, char **argv)
{
	int st;

	convert_setup("bad");
	make_inputs();
	st = run_tests(argc, argv, cases);
	unlink(empty);
	unlink(garbage);
	unlink(trunc_path);
	unlink(err);
	unlink(out);
	return st;
}
