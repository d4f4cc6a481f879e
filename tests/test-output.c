/* SPDX-License-Identifier: MIT */
/*
 * test-output.c - what the converters write, when the output is the problem: a full
 * disk or a broken device stops every command that writes a file with one line naming
 * the cause and status 1, instead of converting on for nothing.
 *
 * The traces are synthetic (trace-build.h), written to tests/tmp-output, and converted
 * by the real tools/tscope; every exporter of export_table[] is tried, so a new one is
 * covered by being listed there.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tscope.h"
#include "export.h"
#include "trace-build.h"
#include "tap.h"

static char dir[4096];	  /* scratch files: tests/tmp-output */
static char tscope[4096]; /* tools/tscope */

/* ---- helpers ------------------------------------------------------------------------------ */

/*
 * Run argv with stdout to out and stderr to err (files, created; NULL: /dev/null).
 * Returns the exit status, 128 + signal, or -1.
 */
static int run(const char *const *argv, const char *out, const char *err)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int o = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(err ? err : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (o < 0 || e < 0)
			_exit(126);
		dup2(o, 1);
		dup2(e, 2);
		alarm(120);
		execv(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The whole file, NUL-terminated (an empty string if it cannot be read).  Free it. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *s = NULL;
	size_t n = 0, cap = 0, k;

	if (f) {
		do {
			if (cap - n < 65536) {
				cap = cap ? cap * 2 : 1 << 16;
				s = realloc(s, cap);
				if (!s)
					abort();
			}
			k = fread(s + n, 1, cap - n - 1, f);
			n += k;
		} while (k);
		fclose(f);
	}
	if (!s)
		s = calloc(1, 1);
	s[n] = 0;
	return s;
}

static void path_of(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

/* Write the trace in b to dir/name; the path goes to path. */
static int save(struct tb *b, const char *name, char *path, size_t size)
{
	FILE *f;
	int ok;

	path_of(path, size, name);
	f = fopen(path, "wb");
	if (!f)
		return -1;
	ok = fwrite(b->p, 1, b->n, f) == b->n;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* A trace of thread 100 (pid 100), clock MONOTONIC: ticks are ns; no modules, so
 * functions are named by their addresses. */
static void synth_begin(struct tb *b)
{
	tb_init(b);
	tb_header(b, 100, 1, TSF_CLOCK_MONOTONIC, 1000);
	tb_process(b, 100, 1, "/bin/synth");
	tb_thread(b, 100, 100, 1, "main");
}

/* ---- a full disk ------------------------------------------------------------------------ */

/*
 * Every converter, with -o /dev/full and with its stdout on /dev/full: status 1 and
 * one line on stderr, naming the output and the cause.
 */
static void test_full(void)
{
	const char *cmds[32];
	size_t ncmds = 0;
	char trace[4200], out[4200], err[4200], want[512];
	struct tb b;
	uint64_t t = 1000;

	if (access("/dev/full", W_OK) != 0) {
		tap_skip("no /dev/full");
		return;
	}
	/* enough output for every format to fill stdio's buffers many times */
	synth_begin(&b);
	tb_events_begin(&b, 100, 0, 0, TSF_EF_FINAL);
	for (int i = 0; i < 20000; i++) {
		tb_enter(&b, t++, 0x401000);
		tb_enter(&b, t++, 0x402000 + (uint64_t)(i % 64) * 16);
		tb_exit(&b, t++, 0x402000 + (uint64_t)(i % 64) * 16);
		tb_exit(&b, t++, 0x401000);
	}
	tb_events_end(&b);
	tb_end(&b);
	ok(save(&b, "full.trace", trace, sizeof(trace)) == 0, "full: trace written");
	tb_free(&b);
	path_of(out, sizeof(out), "full.out");
	path_of(err, sizeof(err), "full.err");

	/* every exporter, then the commands that are none but write all the same */
	for (size_t i = 0; export_table[i] && ncmds < TS_ARRAY_SIZE(cmds) - 2; i++)
		cmds[ncmds++] = export_table[i]->name;
	cmds[ncmds++] = "dump";
	cmds[ncmds++] = "info";
	for (size_t i = 0; i < ncmds; i++) {
		const char *cmd = cmds[i];

		for (int to_stdout = 0; to_stdout < 2; to_stdout++) {
			const char *argv_o[] = { tscope, cmd, "-o", "/dev/full", trace, NULL };
			const char *argv_s[] = { tscope, cmd, trace, NULL };
			const char *what = to_stdout ? "stdout on /dev/full" : "-o /dev/full";
			char *e;
			int st;

			if (!to_stdout && strcmp(cmd, "info") == 0)
				continue; /* info has no -o */
			st = run(to_stdout ? argv_s : argv_o, to_stdout ? "/dev/full" : out, err);
			snprintf(want, sizeof(want), "tscope: %s: write error: %s\n",
				 to_stdout ? "stdout" : "/dev/full", strerror(ENOSPC));
			e = slurp(err);
			is_int(st, 1, "%s, %s: exit status 1", cmd, what);
			is_str(e, want, "%s, %s: one line, the output and the cause", cmd, what);
			free(e);
		}
	}
	unlink(trace);
	unlink(out);
	unlink(err);
}

/*
 * Chrome writes as it reads: once a write fails, it stops reading the thread too (at
 * the spans layer's next progress point), instead of converting millions of events
 * more for nothing.
 */
static void test_stop(void)
{
	const uint64_t pairs = 3 * SPANS_PROGRESS_EVERY / 2; /* 3 progress points of events */
	struct chrome_opts co = { 0 };
	struct names *names = names_new();
	struct reader *r = NULL;
	struct spans *sp = NULL;
	struct chrome *ch = NULL;
	FILE *f = fopen("/dev/full", "w");
	struct tb b;
	uint64_t t = 1000;

	if (!f) {
		tap_skip("no /dev/full");
		names_free(names);
		return;
	}
	synth_begin(&b);
	tb_events_begin(&b, 100, 0, 0, TSF_EF_FINAL);
	for (uint64_t i = 0; i < pairs; i++) {
		tb_enter(&b, t++, 0x401000);
		tb_exit(&b, t++, 0x401000);
	}
	tb_events_end(&b);
	tb_end(&b);
	ok(names && reader_open_mem(b.p, b.n, &r) == 0 && spans_open(&sp, r, names) == 0 &&
		   chrome_open(&ch, f, &co, names) == 0,
	   "stop: trace and output open");
	if (ch) {
		is_int(chrome_add(ch, sp), 0, "stop: the exporter returns as if all was well");
		ok(ferror(f), "stop: and leaves the failure in ferror()");
		ok(spans_last_stats(sp)->events < 2 * pairs, "stop: the thread was not read to its end");
		ok(spans_last_stats(sp)->events <= SPANS_PROGRESS_EVERY,
		   "stop: reading stopped at the first progress point after the failure");
		is_int(chrome_finish(ch), 0, "stop: finish");
	}
	fclose(f);
	spans_close(sp);
	reader_close(r);
	names_free(names);
	tb_free(&b);
}

int main(void)
{
	const char *b = getenv("top_builddir");

	snprintf(dir, sizeof(dir), "%s/tests/tmp-output", b ? b : ".");
	mkdir(dir, 0777);
	snprintf(tscope, sizeof(tscope), "%s/tools/tscope", b ? b : ".");

	test_full();
	test_stop();
	return done();
}
