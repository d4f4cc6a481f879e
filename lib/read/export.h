/* SPDX-License-Identifier: MIT */
/*
 * export.h - the exporters, which turn traces into an output file, behind one small
 * interface (struct exporter) and listed in one table (export.c); and the API of the
 * file formats: Chrome Trace Event JSON (export-chrome.c), Perfetto protobuf
 * (export-perfetto.c), folded stacks for flame graphs (export-folded.c), flame graphs
 * as SVG (export-flamegraph.c, drawn by flame.h), pprof profiles (export-pprof.c) and
 * speedscope's evented profiles (export-speedscope.c); and gcc's exclude list of the
 * hot functions (export-exclude.c).
 * The text report (report.c) is an exporter too.  Private to the offline side.
 *
 * An exporter is driven the same way by every command (tools/convert.c) and test:
 * open, then add each trace (a process) in turn, then finish.  It reads a trace only
 * through the spans of spans.h and streams: it never holds a whole document or a whole
 * trace in memory.  Nothing here exits or prints anything but the output.  A write
 * error is left in ferror(out): the exporter then stops writing, and reading, as soon
 * as it can, and its functions return as if all was well, so the caller must check
 * ferror(out) after each of them.
 *
 * A new exporter is one file plus one table row: lib/read/export-NAME.c defines a
 * `const struct exporter NAME_exporter` (its open, add and finish), and the table in
 * export.c gets the row X(NAME).  The command that runs it is as short: its options in
 * tools/cmd-NAME.c, which then calls convert_run() (tools/convert.h) for everything
 * else, and its line in tools/cmds.h.
 */
#ifndef TSCOPE_EXPORT_H
#define TSCOPE_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "spans.h"
#include "calltree.h"
#include "flame.h"

/* ---- the exporters -------------------------------------------------------------------- */

/*
 * What an exporter does.  x is its state, made by open(); opts points to its own
 * options structure (struct chrome_opts for chrome, ...).  Every function but prepare
 * and threads is required.
 */
struct exporter {
	const char *name; /* the command that writes it: "chrome" */
	/*
	 * Called once with every trace to convert, before open(), to set in opts what
	 * depends on all of them (chrome: the time base shared by a process tree).
	 * sp[i] is NULL for a file that could not be opened.  May be NULL.
	 */
	void (*prepare)(void *opts, struct spans *const *sp, size_t n);
	/* Start writing to out; names is the set the traces' spans use.  0 or ENOMEM. */
	int (*open)(void **x, FILE *out, const void *opts, struct names *names);
	/* Add one trace.  0, or the first error of spans_run() (what was read is kept). */
	int (*add)(void *x, struct spans *sp);
	/* Write what is left and free x.  0 or TSCOPE_ENOMEM (an earlier failure). */
	int (*finish)(void *x);
	/* Threads added so far (0 after a --thread that matched none).  May be NULL. */
	uint64_t (*threads)(const void *x);
	/*
	 * After add(): what the output changed of that trace to stay usable (folded: the
	 * stacks it cut), as one line of text in buf, for a warning about it.  Returns
	 * the length, 0 when there is nothing to say.  May be NULL.
	 */
	size_t (*warning)(void *x, char *buf, size_t size);
};

/* The exporters, in the order of `tscope --help`; NULL-terminated. */
extern const struct exporter *const export_table[];

/* The exporter called name, or NULL. */
const struct exporter *export_find(const char *name);

/* ---- Chrome Trace Event JSON ---------------------------------------------------------- */

struct chrome_opts {
	/*
	 * CLOCK_MONOTONIC ns shown as time 0 (chrome_base_ns() of all the traces, so that a
	 * process tree shares one timeline).  Timestamps are written in microseconds with
	 * three decimals, so every nanosecond survives.
	 */
	uint64_t base_ns;
	int has_tid; /* only thread tid */
	uint32_t tid;
	/*
	 * Split the document into parts of at most split_bytes each (0: one document),
	 * each complete: a JSON document of its own that repeats the names of the process
	 * and thread it continues.  The first part is the output given to chrome_open();
	 * next_part(part_ctx, k) closes the part it opened last (if any) and opens part k
	 * (k >= 2), or opens none for k = 0; NULL when it cannot (it says why): the
	 * conversion then stops.  split_bytes below CHROME_SPLIT_MIN counts as that.
	 */
	uint64_t split_bytes;
	FILE *(*next_part)(void *part_ctx, unsigned k);
	void *part_ctx;
};

#define CHROME_SPLIT_MIN (1u << 20)

/* Past this size chrome://tracing cannot load a JSON trace: a warning says so. */
#define CHROME_WARN_BYTES (256ull << 20)

struct chrome; /* a JSON document being written */

/* The base to use for trace r: the ns of its recording start. */
uint64_t chrome_base_ns(struct reader *r);

/*
 * Start the document on out: {"traceEvents":[ .  Returns 0 and sets *cp, or
 * TSCOPE_ENOMEM.  names must be the set the traces' spans use, and outlive *cp.
 */
int chrome_open(struct chrome **cp, FILE *out, const struct chrome_opts *o, struct names *names);

/*
 * Write one trace: process and thread names ("M"), then every thread's spans ("X",
 * children before their parent, in the order they end), instants ("i") and counter
 * samples ("C").  Returns 0, or the first error of spans_run() (the events written so
 * far stay well-formed).
 */
int chrome_add(struct chrome *c, struct spans *sp);

/* Close the document (it is valid JSON even after an error) and free c.  Returns 0 or
 * TSCOPE_ENOMEM (an earlier failure). */
int chrome_finish(struct chrome *c);

/* Threads written so far. */
uint64_t chrome_threads(const struct chrome *c);

/* Bytes of JSON made so far, every part together. */
uint64_t chrome_bytes(const struct chrome *c);

/*
 * Append the JSON string literal for the n bytes at s to dst (quotes included): ", \
 * and control characters escaped (\n, \t, ... or \u00XX), invalid UTF-8 replaced by
 * U+FFFD, so that any recorded bytes give valid JSON.  dst must have room for 6 * n + 2
 * bytes.  Returns the bytes written.
 */
size_t chrome_escape(char *dst, const char *s, size_t n);

/* ---- Perfetto protobuf (export-perfetto.c) -------------------------------------------- */

struct perfetto_opts {
	uint64_t base_ns; /* time 0, as chrome_opts.base_ns (set by the exporter's prepare) */
	int has_tid;	  /* only thread tid */
	uint32_t tid;
	/*
	 * When the output cannot seek, the bytes of one thread's output (before
	 * compression) held in memory, compressed, so that the thread can be written
	 * again if the spans layer reads it again (see export-perfetto.c); 0 for the
	 * default, 16 MiB.
	 */
	size_t stage_max;
};

/* ---- speedscope (export-speedscope.c) ------------------------------------------------- */

/* speedscope's file format: one evented profile per thread, its calls opened and closed
 * at their times, frames shared by name. */
struct speedscope_opts {
	uint64_t base_ns; /* time 0, as chrome_opts.base_ns (set by the exporter's prepare) */
	int has_tid;	  /* only thread tid */
	uint32_t tid;
	/* as perfetto_opts.stage_max: a thread's output held in memory when the output
	 * cannot seek; 0 for the default, 16 MiB */
	size_t stage_max;
};

/* ---- folded stacks -------------------------------------------------------------------- */

/*
 * The frames a folded stack keeps by default.  A deeper stack (a deep recursion) keeps
 * its outermost and innermost frames, joined by the frame FOLDED_CUT_FRAME, and adds
 * up with the stacks equal to it once cut: without that, a recursion N calls deep
 * would write N lines of up to N frames, an output that grows with N * N (gigabytes
 * for a million).  The totals stay exact.
 */
#define FOLDED_MAX_FRAMES 1024
#define FOLDED_CUT_FRAME  "[frames cut]"

struct folded_opts {
	int pid;     /* each stack starts with a frame "<executable>-<pid>" */
	int tid;     /* then a frame "<thread name>-<tid>" */
	int calls;   /* value: calls of the stack's last frame, not its self time in ns */
	int has_tid; /* only thread tid_only */
	uint32_t tid_only;
	/* frames per stack, the --pid and --tid ones included: 0 for FOLDED_MAX_FRAMES,
	 * UINT_MAX for no limit, 8 at least */
	unsigned max_frames;
};

struct folded;

/* Start; names as for chrome_open().  Returns 0 and sets *fp, or TSCOPE_ENOMEM. */
int folded_open(struct folded **fp, FILE *out, const struct folded_opts *o, struct names *names);

/*
 * Add one trace; equal stacks of every thread and trace add up.  0 or an error.  The
 * stacks of that trace that were cut are counted in folded_cut().
 */
int folded_add(struct folded *f, struct spans *sp);

/* The stacks cut by the last folded_add() (0: none), and the frames of the deepest. */
uint64_t folded_cut(const struct folded *f, uint64_t *deepest);

/*
 * Print one line per distinct stack with a non-zero value, "a;b;c VALUE", sorted frame
 * by frame (bytewise), then free f.  Returns 0 or TSCOPE_ENOMEM.
 */
int folded_finish(struct folded *f);

/* Threads added so far. */
uint64_t folded_threads(const struct folded *f);

/*
 * What folded_add() made of the stacks: the tree by name of everything added so far
 * (the --pid and --tid frames and the cut markers included), for other outputs of the
 * same stacks.  Valid until f is freed.
 */
const struct calltree *folded_tree(const struct folded *f);

/* Free f without printing anything.  NULL is a harmless no-op. */
void folded_free(struct folded *f);

/* The warning about the stacks the last folded_add() cut (struct exporter's warning). */
size_t folded_warning(const struct folded *f, char *buf, size_t size);

/* The n bytes of a frame name at s, made safe for the format, to dst (n bytes):
 * ';' becomes ':', control bytes '?'. */
void folded_frame(char *dst, const char *s, size_t n);

/* ---- pprof (export-pprof.c) ------------------------------------------------------------ */

/*
 * A pprof profile (google/pprof's profile.proto, uncompressed): one sample per distinct
 * call path of every thread and trace merged by name, with the values calls, self and
 * total (inclusive) nanoseconds of the path's last frame.  Paths deeper than max_frames
 * are cut as folded stacks are (FOLDED_MAX_FRAMES, FOLDED_CUT_FRAME).
 */
struct pprof_opts {
	int has_tid; /* only thread tid */
	uint32_t tid;
	unsigned max_frames; /* as in struct folded_opts */
};

/* ---- flame graphs (export-flamegraph.c) ----------------------------------------------- */

/*
 * The stacks as folded_opts says (calls: widths are calls, not times; tid: a root frame
 * per thread; has_tid: one thread), merged and cut as folded stacks are, then drawn as
 * flame says; its unit follows stacks.calls, and a NULL subtitle says what the widths
 * are.
 */
struct flamegraph_opts {
	struct folded_opts stacks;
	struct flame_opts flame;
};

/* ---- slowest, callers (export-func.c) --------------------------------------------------- */

struct func_opts {
	const char *func; /* the function: its name, or its name up to a '(' */
	unsigned n;	  /* slowest: calls to list */
	int has_tid;	  /* only thread tid */
	uint32_t tid;
	uint64_t base_ns; /* slowest: start times count from here (set by prepare) */
};

/* ---- exclude-list (export-exclude.c) ---------------------------------------------------- */

/* The hot functions to leave out of gcc's instrumentation (hot.h). */
struct exclude_opts {
	uint64_t min_calls; /* a hot function has at least this many calls */
	uint64_t max_mean;  /* ns: and they last less than this on average */
};

/* ---- leaks (export-leaks.c) ------------------------------------------------------------ */

struct leaks_opts {
	int has_tid; /* only the leaks of thread tid (the heap is still the process's) */
	uint32_t tid;
};

/* ---- diff (export-diff.c) -------------------------------------------------------------- */

enum diff_format { DIFF_TEXT, DIFF_JSON, DIFF_MARKDOWN, DIFF_FOLDED, DIFF_FLAMEGRAPH };

struct diff_opts {
	size_t nbase;		 /* the first nbase traces are the base side, the rest new */
	enum diff_format format; /* DIFF_TEXT: the flat table, or the tree with tree */
	int tree;
	double threshold;  /* %: hide changes under this share of the base's total time */
	double fail_above; /* %: the gate; negative for none */
	double min_share;  /* %: a function the gate looks at has this share of a total */
	int *failed;	   /* set to 1 when the gate fails (the command exits 3) */
	char *verdict;	   /* the gate's verdict line, for stderr (verdict_size bytes) */
	size_t verdict_size;
	/* set by prepare: the traces, NULL for one that could not be opened */
	struct spans *const *sp;
	size_t n;
};

#endif /* TSCOPE_EXPORT_H */
