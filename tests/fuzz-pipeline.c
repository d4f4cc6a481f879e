/* SPDX-License-Identifier: MIT */
/*
 * fuzz-pipeline.c - libFuzzer entry point for the whole conversion: the input is opened
 * as a trace file (a memfd, so that the reader takes the pread() path the CLI takes) and
 * goes through everything `tscope report`, `report --flat`, `chrome`, `perfetto`,
 * `speedscope`, `folded`, `flamegraph`, `pprof`, `slowest`, `callers` and `diff` do with
 * it (reader,
 * spans and their repairs, the symbolizer, the call trees, every exporter), output to
 * /dev/null.  Any crash, sanitizer report, leak, hang or memory blow-up is a bug.
 *
 * The binaries a trace names are opened as the converter would.  The synthetic seeds in
 * tests/corpus/pipeline name the ELF files of tests/corpus/elf by relative paths, so run
 * it from the top of the source tree to symbolize with them (from elsewhere they are
 * missing binaries, which is fine too).  Built as CI's fuzz stage builds it (.ci/run),
 * against the offline library compiled for coverage; work on a copy of the seeds, since
 * libFuzzer adds files:
 *
 *   f='-g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all'
 *   ./configure CC=clang CFLAGS="$f" && make lib/libtscope-read.la
 *   clang $f -fsanitize=fuzzer -DHAVE_CONFIG_H -I. -Iinclude -Ilib -Ilib/read \
 *         tests/fuzz-pipeline.c lib/.libs/libtscope-read.a -llz4 -ldl -o fuzz-pipeline
 *   cp -r tests/corpus/pipeline /tmp/pipeline-corpus
 *   ./fuzz-pipeline -max_total_time=300 -timeout=10 -rss_limit_mb=2048 /tmp/pipeline-corpus
 *
 * A new exporter gets a step in convert_all(), like the ones there.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tscope.h"
#include "reader.h"
#include "spans.h"
#include "report.h"
#include "export.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t sink;

/* What the CLI prints about a binary: read the strings, so bad pointers show. */
static void warn(void *ctx, const char *path, const char *what)
{
	(void)ctx;
	sink += strlen(path) + strlen(what);
}

/*
 * Options that vary with the input's size (not its bytes: those are the trace), so that
 * the options' code paths are fuzzed without changing what a seed means.
 */
static void pick_opts(size_t size, struct reader *r, struct report_opts *tree,
		      struct report_opts *flat, struct chrome_opts *ch, struct folded_opts *fo)
{
	static const enum report_sort sorts[] = { REPORT_SORT_DEFAULT, REPORT_SORT_INCL,
						  REPORT_SORT_SELF, REPORT_SORT_CALLS,
						  REPORT_SORT_NAME };
	unsigned v = (unsigned)(size / 8); /* traces are made of 8-byte units */
	uint32_t tid = reader_thread_count(r) ? reader_thread(r, 0)->tid : 0;

	memset(tree, 0, sizeof(*tree));
	memset(flat, 0, sizeof(*flat));
	memset(ch, 0, sizeof(*ch));
	memset(fo, 0, sizeof(*fo));
	tree->sort = sorts[v % 5];
	tree->max_depth = (v / 5) % 3 == 1 ? 2 : 0;
	tree->threshold = (v / 15) % 2 ? 1.0 : 0.0;
	tree->ns = (v / 30) % 2;
	tree->has_tid = (v / 60) % 4 == 3;
	tree->tid = tid;
	flat->flat = 1;
	flat->sort = sorts[(v + 2) % 5];
	flat->ns = !tree->ns;
	ch->base_ns = chrome_base_ns(r);
	ch->has_tid = (v / 60) % 4 == 2;
	ch->tid = tid;
	fo->pid = v % 2;
	fo->tid = (v / 2) % 2;
	fo->calls = (v / 4) % 2;
	fo->has_tid = (v / 60) % 4 == 1;
	fo->tid_only = tid;
}

/* Every converter on one trace, through one struct spans as a process tree shares. */
static void convert_all(struct spans *sp, size_t size, FILE *out)
{
	struct report_opts tree, flat;
	struct chrome_opts cho;
	struct folded_opts fo;
	struct names *names = spans_names(sp);
	struct report *rep;
	struct chrome *ch;
	struct folded *f;

	pick_opts(size, spans_reader(sp), &tree, &flat, &cho, &fo);
	if (report_open(&rep, out, &tree, names) == 0) {
		report_add(rep, sp);
		sink += report_threads(rep);
		report_finish(rep);
	}
	if (report_open(&rep, out, &flat, names) == 0) {
		report_add(rep, sp);
		report_finish(rep);
	}
	if (chrome_open(&ch, out, &cho, names) == 0) {
		chrome_add(ch, sp);
		sink += chrome_threads(ch);
		chrome_finish(ch);
	}
	/* perfetto, as the CLI runs it (its prepare sets the time base) */
	{
		const struct exporter *e = export_find("perfetto");
		struct perfetto_opts po;
		void *x;

		memset(&po, 0, sizeof(po));
		po.has_tid = cho.has_tid;
		po.tid = cho.tid;
		po.stage_max = size % 3 ? 0 : 256; /* now and then, more than it may hold */
		e->prepare(&po, &sp, 1);
		if (e->open(&x, out, &po, names) == 0) {
			char msg[256];

			e->add(x, sp);
			sink += e->threads(x) + e->warning(x, msg, sizeof(msg));
			e->finish(x);
		}
	}
	/* speedscope, the same way (stage_max: as perfetto's) */
	{
		const struct exporter *e = export_find("speedscope");
		struct speedscope_opts so;
		void *x;

		memset(&so, 0, sizeof(so));
		so.has_tid = cho.has_tid;
		so.tid = cho.tid;
		so.stage_max = size % 3 ? 0 : 256;
		e->prepare(&so, &sp, 1);
		if (e->open(&x, out, &so, names) == 0) {
			char msg[256];

			e->add(x, sp);
			sink += e->threads(x) + e->warning(x, msg, sizeof(msg));
			e->finish(x);
		}
	}
	if (folded_open(&f, out, &fo, names) == 0) {
		folded_add(f, sp);
		sink += folded_threads(f);
		folded_finish(f);
	}
	/* pprof: every thread, or the first; deep paths cut at 8 frames or 1024 */
	{
		const struct exporter *e = export_find("pprof");
		struct pprof_opts po = { fo.has_tid, fo.tid_only, size % 3 ? 8 : 0 };
		void *x;

		if (e->open(&x, out, &po, names) == 0) {
			e->add(x, sp);
			sink += e->threads(x);
			e->finish(x);
		}
	}
	/* a flame graph of the same stacks, its options from the size too */
	{
		const struct exporter *e = export_find("flamegraph");
		struct flamegraph_opts fg;
		void *x;

		memset(&fg, 0, sizeof(fg));
		fg.stacks = fo;
		fg.flame.icicle = (int)(size / 16) % 2;
		fg.flame.min_width = (size / 32) % 3 ? FLAME_MIN_WIDTH : 0;
		fg.flame.width = (size / 96) % 2 ? 100 : 0;
		if (e->open(&x, out, &fg, names) == 0) {
			e->add(x, sp);
			sink += e->threads(x);
			e->finish(x);
		}
	}
	/* slowest and callers of the first function named, as the CLI runs them */
	for (int k = 0; k < 2; k++) {
		const struct exporter *e = export_find(k ? "callers" : "slowest");
		struct func_opts fn = { names_count(names) > 1 ? names_str(names, 1, NULL) : "?",
					1 + (unsigned)(size % 7), 0, 0, 0 };
		void *x;

		if (e->prepare)
			e->prepare(&fn, &sp, 1);
		if (e->open(&x, out, &fn, names) == 0) {
			e->add(x, sp);
			e->finish(x);
		}
	}
	/* folded again, cut by the input's size: a window, a depth, a minimum, a focus */
	{
		struct spans_cut cut = { size % 1000, size % 3 ? UINT64_MAX : size * 10, size % 7,
					 (unsigned)(size % 4), size % 5 ? NULL : "main" };

		spans_set_cut(sp, &cut);
		if (folded_open(&f, out, &fo, names) == 0) {
			folded_add(f, sp);
			folded_finish(f);
		}
		spans_set_cut(sp, NULL);
	}
	/* diff: the trace against itself, each output form */
	for (int k = 0; k <= DIFF_FLAMEGRAPH; k++) {
		const struct exporter *e = export_find("diff");
		struct spans *two[2] = { sp, sp };
		int failed = 0;
		char verdict[128];
		struct diff_opts o = { 1,
				       (enum diff_format)k,
				       (int)(size % 2),
				       0.5 * (double)(size % 3),
				       (double)(size % 5) - 1,
				       1,
				       &failed,
				       verdict,
				       sizeof(verdict),
				       NULL,
				       0 };
		void *x;

		e->prepare(&o, two, 2);
		if (e->open(&x, out, &o, names) == 0) {
			e->add(x, sp);
			e->add(x, sp);
			e->finish(x);
		}
	}
	sink += spans_repairs_total(spans_repairs(sp));
}

/*
 * Open the input as a file: one memfd, rewritten for each input and opened by its
 * /proc path as the CLI opens a trace.  Where that cannot be done, from memory.
 */
static int open_input(const uint8_t *data, size_t size, struct reader **rp)
{
	static int fd = -2;
	static char path[64];
	size_t done = 0;
	ssize_t k;

	if (fd == -2) {
		fd = memfd_create("fuzz-pipeline", MFD_CLOEXEC);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (fd >= 0 && access(path, R_OK) != 0) {
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0 || ftruncate(fd, 0) != 0)
		return reader_open_mem(data, size, rp);
	while (done < size) {
		k = pwrite(fd, data + done, size - done, (off_t)done);
		if (k <= 0)
			return reader_open_mem(data, size, rp);
		done += (size_t)k;
	}
	return reader_open(path, rp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *out;
	struct names *names;
	struct spans *sp;
	struct reader *r;

	if (!out)
		out = fopen("/dev/null", "w");
	if (!out || open_input(data, size, &r) != 0)
		return 0;
	names = names_new();
	if (names && spans_open(&sp, r, names) == 0) {
		spans_set_warn(sp, warn, NULL);
		convert_all(sp, size, out);
		spans_close(sp);
	}
	names_free(names);
	reader_close(r);
	return 0;
}
