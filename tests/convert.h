/* SPDX-License-Identifier: MIT */
/*
 * convert.h - what the three parts of the converters' tests share: the places
 * (scratch directory, tools/tscope, the traced test programs), reading files and their
 * lines, check-json.py, and running a traced program.
 *
 * test-convert-synth.c converts traces built byte by byte through the library;
 * test-convert-progs.c converts real traced programs with tools/tscope; test-convert-bad.c
 * gives tools/tscope bad input and bad usage.  Each calls convert_setup() first.
 */
#ifndef TSCOPE_TEST_CONVERT_H
#define TSCOPE_TEST_CONVERT_H

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler.h"
#include "run.h"
#include "tap.h"

static char dir[4096];	  /* scratch files: tests/tmp-convert-PART */
static char tscope[4096]; /* tools/tscope */
static char top[2048];	  /* build directory */
static char srcdir[2048];
static int have_python;
static char prog[4200], cxx[4200], dlmod[4200], dlmod2[4200]; /* the traced programs */

/* The places, from $top_builddir and $top_srcdir; the scratch directory
 * tests/tmp-convert-PART, made (done() removes it when every point passed); whether
 * python3 is there to check JSON. */
static void convert_setup(const char *part)
{
	const char *b = getenv("top_builddir"), *s = getenv("top_srcdir");
	const char *py[] = { "/usr/bin/env", "python3", "-c", "import json", NULL };

	snprintf(top, sizeof(top), "%s", b ? b : ".");
	snprintf(srcdir, sizeof(srcdir), "%s", s ? s : ".");
	snprintf(dir, sizeof(dir), "%s/tests/tmp-convert-%s", top, part);
	mkdir(dir, 0777);
	tap_scratch(dir);
	snprintf(tscope, sizeof(tscope), "%s/tools/tscope", top);
	snprintf(prog, sizeof(prog), "%s/tests/prog-conv", top);
	snprintf(cxx, sizeof(cxx), "%s/tests/prog-cxx", top);
	snprintf(dlmod, sizeof(dlmod), "%s/tests/.libs/libprog-dlmod.so", top);
	snprintf(dlmod2, sizeof(dlmod2), "%s/tests/.libs/libprog-dlmod2.so", top);
	have_python = run(py, NULL, NULL, NULL) == 0;
}

/* The whole file, NUL-terminated (an empty string if it cannot be read).  Free it. */
static TS_UNUSED char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *s = NULL;
	size_t n = 0, cap = 0;

	if (f) {
		for (;;) {
			if (cap - n < 65536) {
				cap = cap ? cap * 2 : 1 << 20;
				s = realloc(s, cap);
				if (!s)
					abort();
			}
			size_t k = fread(s + n, 1, cap - n - 1, f);

			if (!k)
				break;
			n += k;
		}
		fclose(f);
	}
	if (!s)
		s = calloc(1, 1);
	s[n] = 0;
	return s;
}

/* dir/name */
static TS_UNUSED void path_of(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

/* A file's size; 0 if it cannot be read. */
static TS_UNUSED uint64_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* Lines of a text, one at a time: *p advances; returns the line's length or -1. */
static TS_UNUSED long next_line(const char **p, const char **line)
{
	const char *s = *p, *e;

	if (!*s)
		return -1;
	e = strchr(s, '\n');
	if (!e)
		e = s + strlen(s);
	*line = s;
	*p = *e ? e + 1 : e;
	return (long)(e - s);
}

/* The lines of s. */
static TS_UNUSED int count_lines(const char *s)
{
	const char *line;
	int n = 0;

	while (next_line(&s, &line) >= 0)
		n++;
	return n;
}

/* What check-json.py said about a JSON file. */
struct summary {
	int ok;
	char *text;
};

/* Run check-json.py on a JSON file: s->ok, and its summary in s->text (free it). */
static TS_UNUSED void check_json(const char *json, struct summary *s)
{
	char script[4200], out[4300], err[4300];
	const char *argv[] = { "/usr/bin/env", "python3", script, json, NULL };

	snprintf(script, sizeof(script), "%s/tests/check-json.py", srcdir);
	snprintf(out, sizeof(out), "%s.sum", json);
	snprintf(err, sizeof(err), "%s.err", json);
	s->ok = run(argv, NULL, out, err) == 0;
	s->text = slurp(out);
	if (!s->ok) {
		char *e = slurp(err);

		printf("# check-json.py: %.500s\n", e);
		free(e);
	}
}

/* Run a traced program: its trace at dir/name.trace, its stdout to out (NULL: none). */
static TS_UNUSED int trace_run_out(const char *name, const char *const *argv, char *trace,
				   size_t size, const char *out)
{
	char env_out[4300], err[4200];
	const char *env[] = { env_out, "TSCOPE_COMPRESS=none", NULL };

	path_of(trace, size, name);
	strcat(trace, ".trace");
	unlink(trace);
	snprintf(env_out, sizeof(env_out), "TSCOPE_OUTPUT=%s", trace);
	path_of(err, sizeof(err), name);
	strcat(err, ".prog.err");
	return run(argv, env, out, err);
}

/* The same, its stdout dropped. */
static TS_UNUSED int trace_run(const char *name, const char *const *argv, char *trace, size_t size)
{
	return trace_run_out(name, argv, trace, size, NULL);
}

#endif /* TSCOPE_TEST_CONVERT_H */
