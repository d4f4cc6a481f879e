/* SPDX-License-Identifier: MIT */
/*
 * spans.h - the repaired call stacks of a trace, the layer every exporter (chrome,
 * report, folded) stands on.  Private to the offline side: not installed, not API.
 *
 * A thread's events go through a stack machine that turns ENTER/EXIT and BEGIN/END
 * pairs into completed spans, delivered to the exporter through callbacks while the
 * stream is read: nothing is kept per event, so memory is bounded by the number of
 * threads times the stack depth, plus the names met, never by the trace's length.
 *
 * Real streams are not always balanced.  longjmp() and exceptions thrown through code
 * that does not run the exit hooks skip exits; a thread killed, a process that calls
 * exit() deep in its stack or a trace cut short leaves calls open; a ring-mode trace, a
 * trace started by tscope_start() deep in a call, or events lost on the way start in
 * the middle of a stack.  Every such case is repaired so that spans always nest within
 * their thread, and counted in struct spans_repairs so that the user is told:
 *
 *   - an EXIT that matches a frame below the top closes the frames above it at its
 *     time (they were left by longjmp or an exception): `unwound`.  Until then, calls
 *     made after the jump show inside the abandoned frames: the events do not say
 *     where a longjmp landed (GCC's exit hooks do run when an exception unwinds);
 *   - an EXIT with no frame open is a call that began before the stretch of events
 *     being read: it is given the stretch's first timestamp as its start, and the spans
 *     already delivered since then become (in time) its children: `exit_early`.  An
 *     exporter that can start a thread over (spans_ops.reset) then reads the thread
 *     again with those calls open from the start, so that they are in the call paths;
 *   - an EXIT that matches nothing while frames are open is ignored: `exit_dropped`;
 *   - frames still open at the thread's last event are closed there: `open_at_end`;
 *   - at a discontinuity of the stream (events lost, chunks missing or malformed, a
 *     ring buffer that wrapped) every frame is closed at the last event before it, and
 *     a new stretch begins: `open_at_gap`;
 *   - an END with no scope open is ignored: `end_dropped`; an END whose scope has calls
 *     open above it marks it ended, and it closes when they have returned, so that it
 *     still contains them: `end_deferred`;
 *   - ENTER or BEGIN deeper than SPANS_MAX_DEPTH is ignored with its exit: `too_deep`;
 *   - an event earlier than the one before it (a corrupt trace) is moved up to that
 *     time, so that time never runs backwards within a thread: `time_back`.
 *
 * Names: functions are named through a symbolizer built from the trace's MODULE
 * records (C++ names demangled), each distinct address resolved once; scope, instant
 * and counter names come from the NAME records.  A function that cannot be named is
 * shown as "<file>+0x<ELF address>" (for addr2line) when its module is known, else as
 * "0x<hex>".  Names are interned in a struct names (names.h), which several traces (a
 * process tree) may share, so that one name has one id across them.
 *
 * Nothing here prints or exits; functions return 0 or a negative TSCOPE_E* code.
 */
#ifndef TSCOPE_SPANS_H
#define TSCOPE_SPANS_H

#include <stddef.h>
#include <stdint.h>

#include "names.h"
#include "reader.h"

/* ---- spans ---------------------------------------------------------------------------- */

#define SPANS_MAX_DEPTH (1u << 20) /* deepest stack followed (32 MiB of frames) */

/* A frame's key: a function address (< 2^60), or SPANS_SCOPE | the scope's name id. */
#define SPANS_SCOPE	    (UINT64_C(1) << 63)
#define SPANS_IS_SCOPE(key) (((key)&SPANS_SCOPE) != 0)

/* One open call or scope. */
struct spans_frame {
	uint64_t start; /* ns (CLOCK_MONOTONIC) */
	uint64_t child; /* ns spent in its direct children that have closed */
	uint64_t key;	/* function address, or SPANS_SCOPE | name id */
	uint32_t user;	/* the exporter's, set in open(): e.g. a call-tree node */
	uint32_t flags; /* the layer's own */
};

/*
 * What an exporter is told, for one thread at a time, in the order of its events.  Any
 * callback may be NULL.  stack[0 .. depth] is the open stack, stack[depth] the frame
 * concerned; the exporter may write stack[depth].user in open() and nothing else.
 */
struct spans_ops {
	/* stack[depth] was just opened */
	void (*open)(void *ctx, struct spans_frame *stack, size_t depth);
	/*
	 * stack[depth] ends at end (ns, >= its start); it is removed after the call.  Its
	 * self time is end - start - child.  Children always close before their parent.
	 */
	void (*close)(void *ctx, const struct spans_frame *stack, size_t depth, uint64_t end);
	/* an instant event; name is a name id */
	void (*instant)(void *ctx, uint64_t ns, uint32_t name);
	/* a counter sample */
	void (*counter)(void *ctx, uint64_t ns, uint32_t name, int64_t value);
	/*
	 * Forget everything delivered for this thread: it is delivered again, better
	 * repaired.  Called at most once per spans_run(), when calls returned with nothing
	 * open (they began before their stretch of events); the second time they are opened
	 * at the start of the stretch, outermost first, so that they are the parents of what
	 * the stretch holds, not siblings after it.  NULL: no second reading (the spans
	 * still nest in time).  Returns 0, or a negative TSCOPE_E* code that spans_run()
	 * returns.
	 */
	int (*reset)(void *ctx);
};

/* The repairs made, by kind (see the top of this file).  Counts of frames or events. */
struct spans_repairs {
	uint64_t unwound;
	uint64_t exit_early;
	uint64_t exit_dropped;
	uint64_t open_at_end;
	uint64_t open_at_gap;
	uint64_t end_dropped;
	uint64_t end_deferred;
	uint64_t too_deep;
	uint64_t time_back;
	uint64_t open_at_pause; /* open where recording was stopped (tscope ctl stop), closed
				   there: not a repair, the window ends there */
};

/* What one spans_run() saw of its thread. */
struct spans_thread_stats {
	uint64_t events; /* recorded events (notes excluded) */
	uint64_t spans;	 /* spans closed (calls and scopes) */
	uint64_t first;	 /* ns of its first event; 0 without events */
	uint64_t last;	 /* ns of its last event */
	uint64_t gaps;	 /* discontinuities met (lost events, missing or bad chunks, wraps) */
};

struct spans; /* one trace being converted */

/* ---- memory --------------------------------------------------------------------------- */

/*
 * A memory event (EXT ALLOC, FREE, UNMAP or UNFREE: format.h) of the thread being read.
 * The heap is the process's, followed over all its threads in time order (heap.h): a
 * free's size is its block's wherever that was allocated.
 */
struct spans_mem {
	uint64_t ns;
	uint32_t sub;	 /* TSF_EXT_* */
	uint32_t origin; /* TSF_MEM_*: the function called */
	uint64_t addr;
	uint64_t size;	 /* ALLOC, UNMAP: bytes asked for (whole pages for mmap) */
	int64_t change;	 /* bytes in use changed by: a free's is minus its block's size */
	uint64_t level;	 /* bytes in use after it, in the process */
	uint64_t leaked; /* ALLOC: bytes of its block still in use at the end */
	int peak;	 /* ALLOC: the process's heap first reached its peak here */
	int known;	 /* the four fields above are known (0: a trace whose chunks did not
			    say they hold memory events, e.g. damaged) */
};

/* The counter of the bytes in use that spans_run() adds after each memory event (the
 * exporters' counter callback draws it). */
#define SPANS_HEAP_COUNTER "heap in use"

/* The counter of a thread's share of time on the CPU (per cent, of the interval from
 * this sample of its CPU time to the next: record --io) that spans_run() adds at each
 * sample, for exporters with a counter callback: "cpu % thread TID". */
#define SPANS_CPU_COUNTER "cpu % thread"

/*
 * memory(ctx, stack, depth, m) is called, with the ctx of spans_run(), for each memory
 * event: stack[0 .. depth - 1] are the frames open (the exporter's, cut if a cut is
 * set), the innermost last; depth 0: none.  NULL: none are delivered (the counter is).
 */
typedef void (*spans_memory_fn)(void *ctx, struct spans_frame *stack, size_t depth,
				const struct spans_mem *m);
void spans_set_memory(struct spans *sp, spans_memory_fn memory);
spans_memory_fn spans_get_memory(const struct spans *sp);

/*
 * What the heap of the trace came to (heap.h), NULL when it has no memory events;
 * *err is set to a negative TSCOPE_E* code when it could not be followed.
 */
struct heap_totals;
const struct heap_totals *spans_heap(struct spans *sp, int *err);

/* ---- I/O and waiting ------------------------------------------------------------------ */

/* An I/O or wait event (EXT IO or WAIT: format.h) of the thread being read. */
struct spans_io {
	uint64_t start, end; /* ns: the call's span, within the innermost frame */
	uint32_t sub;	     /* TSF_EXT_IO or TSF_EXT_WAIT */
	uint32_t op;	     /* TSF_IO_* (iomap_op_name()) */
	int32_t fd;	     /* IO: the fd (an open's: the one it returned, or -1); WAIT: -1 */
	int64_t result;	     /* bytes, an fd, 0, or -errno (WAIT: the call's return) */
	uint64_t bytes;	     /* IO: bytes read or written (the result when positive) */
	uint64_t wait;	     /* ns off the CPU: a WAIT's whole span; an IO's span minus its
				CPU time (0 when that was not measured) */
	const char *path;    /* IO: the file of fd, NULL when not known (iomap.h) */
};

/*
 * io(ctx, stack, depth, e) is called for each I/O or wait event, like memory() above,
 * after the events of its span (it is delivered at its end).  NULL: none delivered.
 */
typedef void (*spans_io_fn)(void *ctx, struct spans_frame *stack, size_t depth,
			    const struct spans_io *e);
void spans_set_io(struct spans *sp, spans_io_fn io);

/* How many I/O and wait events the trace holds (0 on error: *err set). */
uint64_t spans_io_events(struct spans *sp, int *err);
spans_io_fn spans_get_io(const struct spans *sp);

/*
 * Prepare to convert the trace r: a symbolizer is set up from its MODULE records (the
 * files are opened on first use).  Names go into names, which must outlive *sp.
 * Returns 0 and sets *sp, or TSCOPE_ENOMEM.
 */
int spans_open(struct spans **sp, struct reader *r, struct names *names);

/* Free sp (not its reader nor its names).  NULL is a harmless no-op. */
void spans_close(struct spans *sp);

/*
 * Problems with the binaries named in the trace (missing, unreadable, a different build
 * id) are passed to warn(ctx, path, what), once per file; their functions are then shown
 * as addresses.  Without a callback, silence.
 */
void spans_set_warn(struct spans *sp, void (*warn)(void *ctx, const char *path, const char *what),
		    void *ctx);

/*
 * progress(ctx, n) is called every SPANS_PROGRESS_EVERY events read by spans_run(),
 * with n = SPANS_PROGRESS_EVERY.
 */
#define SPANS_PROGRESS_EVERY (1u << 20)
void spans_set_progress(struct spans *sp, void (*progress)(void *ctx, uint64_t n), void *ctx);

/* ---- cutting (cut.c) ------------------------------------------------------------------ */

/*
 * What a converter keeps of each thread, to fit an output to what a viewer can hold.
 * A frame is delivered to the exporter only when all of these hold: with focus, it is
 * a call of that function (its name, or its name up to a '(') or inside one, and the
 * outermost such call is the root of what is delivered; with depth, it is less than
 * depth frames from that root; it lasts at least min_dur ns; it overlaps [from, to]
 * (ns from the trace's start), and its start and end are clipped to that window.
 * Frames are delivered in stack order, late if need be (a call is opened once it has
 * lasted min_dur), so the exporter sees spans that nest and times that never go back.
 * The time of a call left out counts as its caller's self time.  Instants and counters
 * are kept inside the window (and inside a focused call).
 */
struct spans_cut {
	uint64_t from, to; /* ns from the trace's start; to UINT64_MAX: to the end */
	uint64_t min_dur;  /* ns */
	unsigned depth;	   /* frames kept from the root (the focused call), 0: all */
	const char *focus; /* NULL: every call */
};

/* Cut every later spans_run() of sp as c says (NULL: no cut); c must outlive sp. */
void spans_set_cut(struct spans *sp, const struct spans_cut *c);

/* Is the name (len bytes) the function func: equal, or equal up to a '(' that starts
 * its parameters ('ns::parse' is 'ns::parse(char const*)')? */
int spans_name_is(const char *name, size_t len, const char *func);

/* Internal: spans_run() without the cut, for cut.c. */
int spans_run_whole(struct spans *sp, size_t i, const struct spans_ops *ops, void *ctx);
int spans_cut_run(struct spans *sp, size_t i, const struct spans_ops *ops, void *ctx);
const struct spans_cut *spans_get_cut(const struct spans *sp);

/* Where to find the recorded binaries when they moved or were rebuilt (symtab.h); p
 * must outlive sp. */
struct sym_paths;
void spans_set_paths(struct spans *sp, const struct sym_paths *p);

/*
 * Read thread i (< reader_thread_count()) from its first event to its last, calling
 * ops with ctx.  Repairs add up in spans_repairs(); spans_last_stats() describes the
 * thread afterwards.  Returns 0, or TSCOPE_EIO (errno set) / TSCOPE_ENOMEM, after which
 * the spans delivered so far are still valid and nested.
 */
int spans_run(struct spans *sp, size_t i, const struct spans_ops *ops, void *ctx);

/*
 * Make the spans_run() under way return early, at its next progress point (after at
 * most SPANS_PROGRESS_EVERY more events): for a callback whose output can no longer be
 * written.  The frames still open are closed as at the end of the thread, and there is
 * no second reading.  The next spans_run() reads its thread in full.
 */
void spans_stop(struct spans *sp);

const struct spans_repairs *spans_repairs(const struct spans *sp);
const struct spans_thread_stats *spans_last_stats(const struct spans *sp);

/* The sum of the repairs of unbalanced calls (every field but time_back). */
uint64_t spans_repairs_total(const struct spans_repairs *rep);

/*
 * The name id of a frame key (a function is named on first sight, then cached).  Out of
 * memory gives id 0 ("?") and makes the next spans_run() fail with TSCOPE_ENOMEM.
 */
uint32_t spans_name(struct spans *sp, uint64_t key);

/*
 * What the symbol table says of the function of a frame key: its symbol's own name (a
 * C++ name mangled, where spans_name() gives it demangled), or NULL for a scope or a
 * function that could not be named.  *addr is set to the function's runtime address (0
 * for a scope).  The string lives as long as sp.
 */
const char *spans_symbol(struct spans *sp, uint64_t key, uint64_t *addr);

struct reader *spans_reader(const struct spans *sp);
struct names *spans_names(const struct spans *sp);

#endif /* TSCOPE_SPANS_H */
