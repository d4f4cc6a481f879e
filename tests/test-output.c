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
#include "calltree.h"
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
			/* the commands about one function take it first; diff takes two sides */
			int fn = strcmp(cmd, "slowest") == 0 || strcmp(cmd, "callers") == 0;
			int two = strcmp(cmd, "diff") == 0;
			const char *argv[9] = { tscope, cmd };
			const char *what = to_stdout ? "stdout on /dev/full" : "-o /dev/full";
			size_t k = 2;
			char *e;
			int st;

			if (!to_stdout && strcmp(cmd, "info") == 0)
				continue; /* info has no -o */
			if (!to_stdout) {
				argv[k++] = "-o";
				argv[k++] = "/dev/full";
			}
			if (fn)
				argv[k++] = "0x401000";
			argv[k++] = trace;
			if (two) {
				argv[k++] = "--";
				argv[k++] = trace;
			}
			st = run(argv, to_stdout ? "/dev/full" : out, err);
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
		ok(spans_last_stats(sp)->events < 2 * pairs,
		   "stop: the thread was not read to its end");
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

/* ---- stacks too deep for a line ---------------------------------------------------------- */

/* Sum of the values of a folded text; its lines and most frames on one go to *lines and
 * *frames. */
static uint64_t folded_total(const char *text, uint64_t *lines, uint64_t *frames)
{
	uint64_t sum = 0, f = 1;

	*lines = 0;
	*frames = 0;
	for (const char *p = text; *p; p++) {
		if (*p == ';') {
			f++;
		} else if (*p == ' ') {
			sum += strtoull(p + 1, NULL, 10);
		} else if (*p == '\n') {
			(*lines)++;
			*frames = f > *frames ? f : *frames;
			f = 1;
		}
	}
	return sum;
}

/*
 * A direct recursion 100,000 calls deep, 1 ns apart both ways: `tscope folded` writes
 * 1024 lines as they are and one cut line for all the deeper stacks, a few megabytes
 * instead of 45 GB, with the exact total, and one warning that says what was cut.
 */
static void test_deep(void)
{
	const uint64_t n = 100000, base = 1000;
	const unsigned max = FOLDED_MAX_FRAMES, inner = max / 2, outer = max - 1 - inner;
	char trace[4200], out[4200], err[4200], want[16384];
	const char *argv[] = { tscope, "folded", trace, "-o", out, NULL };
	const char *argv_calls[] = { tscope, "folded", "--calls", trace, "-o", out, NULL };
	uint64_t lines, frames;
	char *text, *e, *cut, *p;
	struct tb b;

	synth_begin(&b);
	tb_events_begin(&b, 100, 0, 0, TSF_EF_FINAL);
	for (uint64_t i = 0; i < n; i++)
		tb_enter(&b, base + i, 0x401000);
	for (uint64_t i = 0; i < n; i++)
		tb_exit(&b, base + n + i, 0x401000);
	tb_events_end(&b);
	tb_end(&b);
	ok(save(&b, "deep.trace", trace, sizeof(trace)) == 0, "deep: trace written");
	tb_free(&b);
	path_of(out, sizeof(out), "deep.folded");
	path_of(err, sizeof(err), "deep.err");

	is_int(run(argv, NULL, err), 0, "deep: folded exits 0");
	text = slurp(out);
	e = slurp(err);
	ok(strlen(text) < ((uint64_t)max * 9 + 16) * (max + 1),
	   "deep: output bounded by (1024 frames + 1 line) lines of at most 1024 frames");
	printf("# %zu bytes (uncut: about %.0f GB)\n", strlen(text), 9.0 * n * n / 2 / 1e9);
	/* every frame but the innermost has 1 ns before its callee and 1 ns after it */
	is_int(folded_total(text, &lines, &frames), 2 * n - 1, "deep: the total is exact");
	is_int(lines, max + 1, "deep: 1024 stacks as they are, then one cut stack");
	is_int(frames, max, "deep: no line holds more than 1024 frames");
	/* the last line: the outermost frames, the marker, the innermost ones */
	cut = text + strlen(text);
	while (cut > text && cut[-1] == '\n')
		cut--;
	while (cut > text && cut[-1] != '\n')
		cut--;
	p = want;
	for (unsigned i = 0; i < outer; i++)
		p += sprintf(p, "0x401000;");
	p += sprintf(p, "%s", FOLDED_CUT_FRAME);
	for (unsigned i = 0; i < inner; i++)
		p += sprintf(p, ";0x401000");
	ok(strncmp(cut, want, strlen(want)) == 0 && cut[strlen(want)] == ' ',
	   "deep: the cut stack keeps 511 outer and 512 inner frames around \"%s\"",
	   FOLDED_CUT_FRAME);
	is_int(strtoull(cut + strlen(want), NULL, 10), 2 * (n - max) - 1,
	       "deep: the cut stack has the self time of every stack cut");
	snprintf(want, sizeof(want),
		 "tscope: %s: warning: %" PRIu64 " stacks are deeper than %u frames (up to %" PRIu64
		 "): each keeps its outermost %u and innermost %u frames, joined by a frame "
		 "\"%s\"\n",
		 trace, n - max, max, n, outer, inner, FOLDED_CUT_FRAME);
	is_str(e, want, "deep: one warning, saying what was cut");
	free(text);
	free(e);

	is_int(run(argv_calls, NULL, err), 0, "deep: folded --calls exits 0");
	text = slurp(out);
	is_int(folded_total(text, &lines, &frames), n, "deep: --calls counts every call");
	free(text);
	unlink(trace);
	unlink(out);
	unlink(err);
}

/* ---- cutting against a reference ---------------------------------------------------------- */

/* The folded lines of the reference: path and value. */
struct ref_line {
	char path[512];
	uint64_t value;
};

static int ref_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ref_line *)a)->path, ((const struct ref_line *)b)->path);
}

/*
 * Random call trees with names of one length, up to 40 calls deep, cut at max frames
 * by the exporter and by the plain reference here (build each closed call's whole
 * stack, cut it as text, add up equal lines): the same text, byte for byte.
 */
static void test_cut_random(void)
{
	static struct ref_line ref[4096];
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	int same = 0, rounds = 0;

	for (unsigned max = CALLTREE_CUT_MIN; max <= 13; max++) {
		for (int round = 0; round < 20; round++, rounds++) {
			uint64_t stack[64], start[64], child[64], t = 1000;
			size_t depth = 0, nref = 0, len = 0;
			unsigned inner = max / 2, outer = max - 1 - inner;
			struct folded_opts fo = { 0 };
			struct names *names = names_new();
			struct reader *r = NULL;
			struct spans *sp = NULL;
			struct folded *fd = NULL;
			char *got = NULL, *want;
			size_t got_n = 0;
			struct tb b;
			FILE *f;

			synth_begin(&b);
			tb_events_begin(&b, 100, 0, 0, TSF_EF_FINAL);
			for (int i = 0; i < 600 || depth; i++) {
				int up;

				seed ^= seed << 13;
				seed ^= seed >> 7;
				seed ^= seed << 17;
				up = depth < 40 && i < 600 && (depth == 0 || seed % 100 < 55);
				t += 1 + (seed >> 32) % 5;
				if (up) {
					stack[depth] = 0x401000 + ((seed >> 16) % 3) * 16;
					start[depth] = t;
					child[depth] = 0;
					tb_enter(&b, t, stack[depth++]);
					continue;
				}
				/* a call returns: its whole stack, cut as text, gets its self time
				 */
				{
					uint64_t dur = t - start[depth - 1];
					uint64_t self = dur - child[depth - 1];
					char path[512];
					size_t k, pl = 0;

					for (k = 0; k < depth; k++) {
						if (depth > max && k == outer) {
							pl += (size_t)sprintf(path + pl, "%s%s",
									      pl ? ";" : "",
									      FOLDED_CUT_FRAME);
							k = depth - inner - 1;
							continue;
						}
						pl += (size_t)sprintf(path + pl, "%s0x%" PRIx64,
								      pl ? ";" : "", stack[k]);
					}
					for (k = 0; k < nref && strcmp(ref[k].path, path); k++)
						;
					if (k == nref && nref < TS_ARRAY_SIZE(ref)) {
						snprintf(ref[k].path, sizeof(ref[k].path), "%s",
							 path);
						ref[nref++].value = 0;
					}
					ref[k].value += self;
					tb_exit(&b, t, stack[--depth]);
					if (depth)
						child[depth - 1] += dur;
				}
			}
			tb_events_end(&b);
			tb_end(&b);
			qsort(ref, nref, sizeof(ref[0]), ref_cmp);
			want = calloc(nref, sizeof(ref[0].path) + 32);
			for (size_t k = 0; want && k < nref; k++)
				if (ref[k].value)
					len += (size_t)sprintf(want + len, "%s %" PRIu64 "\n",
							       ref[k].path, ref[k].value);

			fo.max_frames = max;
			f = open_memstream(&got, &got_n);
			if (names && f && reader_open_mem(b.p, b.n, &r) == 0 &&
			    spans_open(&sp, r, names) == 0 &&
			    folded_open(&fd, f, &fo, names) == 0) {
				folded_add(fd, sp);
				folded_finish(fd);
			}
			if (f)
				fclose(f);
			if (want && got && strcmp(got, want) == 0)
				same++;
			else if (rounds - same == 1)
				printf("# max %u, round %d: got\n%s# want\n%s", max, round,
				       got ? got : "", want ? want : "");
			free(got);
			free(want);
			spans_close(sp);
			reader_close(r);
			names_free(names);
			tb_free(&b);
		}
	}
	is_int(same, rounds, "cut: random trees cut at 8 to 13 frames read as the reference");
}

int main(void)
{
	const char *b = getenv("top_builddir");

	snprintf(dir, sizeof(dir), "%s/tests/tmp-output", b ? b : ".");
	mkdir(dir, 0777);
	tap_scratch(dir);
	snprintf(tscope, sizeof(tscope), "%s/tools/tscope", b ? b : ".");

	test_full();
	test_stop();
	test_deep();
	test_cut_random();
	return done();
}
