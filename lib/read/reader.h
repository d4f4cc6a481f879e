/* SPDX-License-Identifier: MIT */
/*
 * reader.h - read a tscope trace: its metadata, the clock conversion, and each thread's
 * events as a stream.  The foundation of every converter (info, dump, report, chrome,
 * folded).  Private to the offline side: not installed, not API.
 *
 * The input is untrusted.  Every function here checks every length and offset it reads,
 * never reads out of bounds, never prints and never exits: it returns 0 or a negative
 * TSCOPE_E* code (include/tscope.h).
 *
 * Memory is bounded by the metadata (threads, modules, names, one index entry of 16
 * bytes per EVENTS chunk) plus one chunk buffer per open cursor; never by the number of
 * events.  The file is read with pread(), one chunk at a time, so a 1 GB trace does not
 * become 1 GB of resident memory.
 *
 * Use:
 *
 *	struct reader *r;
 *	struct reader_cursor c;
 *	struct reader_event ev;
 *	int rc = reader_open(path, &r);           (0, or an error: nothing to read)
 *	if (reader_info(r)->truncated) ...        (warn: the data stops at a cut)
 *	for (size_t i = 0; i < reader_thread_count(r); i++) {
 *		reader_cursor_init(&c, r, i, 0);
 *		while ((rc = reader_next(&c, &ev)) > 0)
 *			switch (ev.kind) { case READER_EV_ENTER: ... }
 *		reader_cursor_fini(&c);           (rc < 0: an I/O error or no memory)
 *	}
 *	reader_close(r);
 */
#ifndef TSCOPE_READER_H
#define TSCOPE_READER_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "compiler.h"
#include "format.h"

struct reader; /* opaque: one open trace */

/* ---- opening --------------------------------------------------------------------- */

/*
 * Open the trace at path and read its metadata: the header, then every chunk header and
 * every metadata chunk (not the events).  On success *rp is set and 0 returned; the
 * trace may still be incomplete (see struct reader_info: truncated, bad_chunks, ...).
 * On failure *rp is NULL and the result is:
 *	TSCOPE_EIO       the file cannot be opened or read (errno tells why: ENOENT,
 *	                 EISDIR, ESPIPE for something that is not a regular file, ...)
 *	TSCOPE_EFORMAT   not a tscope trace (empty, bad magic) or a corrupt header
 *	TSCOPE_EVERSION  a format version newer than this reader
 *	TSCOPE_ETRUNC    the file stops inside its header: nothing to read
 *	TSCOPE_ENOLZ4    the trace has LZ4 chunks and this build has no LZ4
 *	TSCOPE_ENOMEM    out of memory
 */
int reader_open(const char *path, struct reader **rp);

/*
 * The same for a trace held in memory (tests, fuzzers).  data must stay valid and
 * unchanged until reader_close(); it is never written.
 */
int reader_open_mem(const void *data, size_t size, struct reader **rp);

/* Release everything.  NULL is a harmless no-op.  Close every cursor first. */
void reader_close(struct reader *r);

/* ---- metadata -------------------------------------------------------------------- */

/* What the header and the chunk walk of reader_open() found.  Valid until reader_close(). */
struct reader_info {
	/* header */
	unsigned version;      /* format version, <= TSF_VERSION */
	unsigned header_size;  /* bytes; the first chunk starts at TSF_ALIGN8(header_size) */
	uint32_t flags;	       /* TSF_HF_* */
	uint32_t pid, ppid;    /* from the header */
	uint32_t clock_source; /* TSF_CLOCK_*; other values are kept and shown as unknown */
	uint64_t start_ticks;  /* counter when recording started */

	/* PROCESS chunk (the newest one); exe is "" when there is none */
	const char *exe;
	int has_process;

	/* chunk walk */
	uint64_t file_size;	 /* bytes */
	uint64_t chunks;	 /* chunks read, END excluded, malformed and unknown included */
	uint64_t event_chunks;	 /* EVENTS chunks indexed */
	uint64_t ext_chunks;	 /* of them, with EXT events (TSF_EF_EXT): memory, I/O, waits */
	uint64_t slots;		 /* 16-byte event slots in them (multi-slot events count each) */
	uint64_t lost;		 /* events the runtime dropped: sum of the EVENTS lost fields, or
				    the END total when that is larger (chunks it failed to write) */
	uint64_t waited_ns;	 /* recording threads waited this long for the writer (the
				    disk behind): the END total, else the chunks' sum */
	uint64_t missing;	 /* EVENTS chunks absent from the threads' seq numbering */
	uint64_t wrapped;	 /* EVENTS chunks flagged TSF_EF_RING_WRAPPED: before each, a
				    ring buffer overwrote older events */
	uint64_t bad_chunks;	 /* malformed chunks skipped (reader_scan() adds those found
				    while decoding events) */
	uint64_t unknown_chunks; /* chunks of a type this reader does not know, skipped */
	uint64_t first_bad;	 /* offset of the first malformed chunk, if bad_chunks */

	/* completeness: a trace is complete when it ends with an END chunk */
	int complete;	       /* the END chunk was found */
	int salvaged;	       /* finished just now from a dead process's memory (salvager.h) */
	int end_matches;       /* and its totals agree with what was read */
	struct tsf_end end;    /* its contents, when complete */
	uint64_t trailing;     /* bytes after the END chunk (ignored) */
	int truncated;	       /* no END chunk: the data stops at trunc_offset */
	uint64_t trunc_offset; /* first byte not read (== file_size when the cut fell
				  between two chunks) */

	/* filled by reader_scan() */
	/* COST chunk: the runtime's cost per event, measured at start; events 0: none */
	struct tsf_cost cost;
	/* DROP chunks: calls a record-time filter left out (reader_drop()), and the
	 * filters that were set (TSF_DROP_*) */
	uint64_t dropped;
	uint32_t drop_reasons;

	int scanned;
	uint64_t events;      /* logical events (a COPY or COUNTER is one) */
	uint64_t first_ticks; /* earliest event of any thread; 0 without events */
	uint64_t last_ticks;  /* latest event of any thread */
};

const struct reader_info *reader_info(const struct reader *r);

/*
 * One thread.  Threads are ordered by tid, with the thread whose tid is the process id
 * (the main thread) first.  Valid until reader_close().
 */
struct reader_thread {
	uint32_t tid;
	uint32_t pid;	  /* from its THREAD chunk; the header's pid without one */
	const char *name; /* newest THREAD name (by its ticks), or NULL */
	uint64_t chunks;  /* EVENTS chunks */
	uint64_t slots;	  /* event slots in them */
	uint64_t lost;	  /* events it dropped (sum of the chunks' lost fields) */
	uint64_t waited_ns; /* it waited this long for the writer (sum of the chunks') */
	uint64_t missing; /* chunks missing from its seq numbering (a leading gap is not
			     counted for a ring-mode trace, which keeps only the newest) */
	/* filled by reader_scan() */
	uint64_t events;		  /* logical events */
	uint64_t bad;			  /* chunks or chunk tails skipped as malformed */
	uint64_t first_ticks, last_ticks; /* of its first and last event; 0 without events */
};

size_t reader_thread_count(const struct reader *r);
const struct reader_thread *reader_thread(const struct reader *r, size_t i); /* i < count */

/* One loaded object, in the order of the MODULE chunks (a reloaded one appears again). */
struct reader_module {
	uint64_t bias;		       /* load bias: ELF virtual address = runtime address - bias */
	uint64_t lo, hi;	       /* runtime addresses [lo, hi) */
	const char *path;	       /* NUL-terminated; "" if none was recorded */
	const unsigned char *build_id; /* build_id_len bytes, NULL if none */
	unsigned build_id_len;
	/* when it was unloaded (UINT64_MAX: never seen gone), and whether that time is
	 * exact (see struct tsf_unload) */
	uint64_t unload_ticks;
	int unload_exact;
};

/*
 * What the record-time filters dropped, per function and DROP chunk, in file order (a
 * function may appear in several): see struct tsf_drop_fn.  Valid until reader_close().
 */
size_t reader_drop_count(const struct reader *r);
const struct tsf_drop_fn *reader_drop(const struct reader *r, size_t i); /* i < count */

size_t reader_module_count(const struct reader *r);
const struct reader_module *reader_module(const struct reader *r, size_t i); /* i < count */

/*
 * The text behind a scope-name pointer (BEGIN, INSTANT and COUNTER events), from the
 * NAME chunks; NULL if the trace does not say.  Valid until reader_close().
 */
const char *reader_name(const struct reader *r, uint64_t ptr);

/* ---- clock ----------------------------------------------------------------------- */

/*
 * Ticks to CLOCK_MONOTONIC nanoseconds: ns = ns0 + (ticks - ticks0) * rate, where the
 * rate (ns per tick) is a 64.64 fixed-point number rate_hi + rate_lo / 2^64, rounded up,
 * so that the result is exact whenever the true value is an integer, and otherwise never
 * more than 1 ns off for any run shorter than about 100 years.
 *
 *   - TSF_CLOCK_MONOTONIC: ticks are ns; the conversion is the identity.
 *   - A counter with two or more sync points: the line through the sync points with the
 *     smallest and the largest ticks.
 *   - Otherwise (one sync point, e.g. a process killed within its first 100 ms; none; or
 *     sync points that do not increase) the rate is unknown and assumed to be 1 tick per
 *     ns, anchored at the one sync point or at the header's start_ticks; `estimated` is set
 *     and users must be warned that times are in ticks.
 */
struct reader_clock {
	uint64_t ticks0, ns0;	   /* anchor */
	uint64_t rate_hi, rate_lo; /* ns per tick */
	uint64_t ticks1, ns1;	   /* the other sync point (== the anchor when estimated) */
	uint64_t real0;		   /* CLOCK_REALTIME at the first sync point; 0 without one */
	uint64_t read_cost;	   /* cheapest counter read seen in the sync points, in ticks */
	unsigned points;	   /* CLOCK chunks read */
	int estimated;		   /* the rate is a guess (see above) */
	double ticks_per_ns;	   /* the rate for display: 2.6 for a 2.6 GHz counter */
};

const struct reader_clock *reader_clock(const struct reader *r);

/* The runtime's cost of recording one event (its COST chunk), in ns by the trace's
 * clock; 0 when the trace does not say. */
double reader_event_cost_ns(const struct reader *r);

/* Convert with a clock from reader_clock(); saturates at 0 and UINT64_MAX.  Inline: a
 * converter calls it per event. */
static inline uint64_t reader_clock_ns(const struct reader_clock *c, uint64_t ticks)
{
	uint64_t d, whole, frac, v;

	if (TS_LIKELY(ticks >= c->ticks0)) {
		d = ticks - c->ticks0;
		frac = (uint64_t)(((unsigned __int128)d * c->rate_lo) >> 64);
		if (__builtin_mul_overflow(d, c->rate_hi, &whole) ||
		    __builtin_add_overflow(whole, frac, &v) ||
		    __builtin_add_overflow(v, c->ns0, &v))
			return UINT64_MAX;
		return v;
	}
	d = c->ticks0 - ticks;
	frac = (uint64_t)(((unsigned __int128)d * c->rate_lo) >> 64);
	if (__builtin_mul_overflow(d, c->rate_hi, &whole) ||
	    __builtin_add_overflow(whole, frac, &v) || v > c->ns0)
		return 0;
	return c->ns0 - v;
}

/* reader_clock_ns() with the trace's clock. */
uint64_t reader_ns(const struct reader *r, uint64_t ticks);
/* A span of ticks (a duration) in ns, with the trace's clock. */
uint64_t reader_span_ns(const struct reader *r, uint64_t ticks);

/* ---- events ---------------------------------------------------------------------- */

/*
 * Kinds of the logical events a cursor yields.  The first eight are the recorded events
 * (same numbers as TSF_KIND_*); the rest are notes about the stream itself, which a
 * converter treats as discontinuities (its call stacks may not match across them).
 */
enum reader_kind {
	READER_EV_ENTER = TSF_KIND_ENTER,     /* addr: function */
	READER_EV_BEGIN = TSF_KIND_BEGIN,     /* addr: name pointer (reader_name()) */
	READER_EV_COPY = TSF_KIND_COPY,	      /* a scope begins; text, len: its copied name */
	READER_EV_INSTANT = TSF_KIND_INSTANT, /* addr: name pointer */
	READER_EV_COUNTER = TSF_KIND_COUNTER, /* addr: name pointer; value: the sample */
	READER_EV_EXT = TSF_KIND_EXT,	/* a library call: len its subtype (TSF_EXT_*), arg its
					 argument, addr, value and more its payload
					 values (0 where it has fewer) */
	READER_EV_EXIT = TSF_KIND_EXIT, /* addr: function */
	READER_EV_END = TSF_KIND_END,	/* the innermost BEGIN or COPY scope ends */
	READER_EV_CHUNK = 16, /* a chunk starts (only with READER_CHUNKS); addr: its offset,
				 value: its seq; details in cursor->chunk */
	READER_EV_LOST,	      /* value: events the thread dropped here (before the next event) */
	READER_EV_GAP,	      /* events are missing here.  value: EVENTS chunks missing (seq
				 numbers skipped), or 0 when a ring-mode buffer overwrote an
				 unknown number of older events (TSF_EF_RING_WRAPPED) */
	READER_EV_BAD,	      /* a malformed chunk, or its tail, was skipped; addr: the chunk's
				 offset, value: event slots skipped (0: unknown) */
	READER_EV_PAUSE	      /* recording was stopped here and started again (TSF_EF_RESUMED):
				 nothing is missing, but calls cannot be matched across it */
};

/* Is this kind a recorded event (not a note)? */
#define READER_IS_EVENT(kind) ((kind) < READER_EV_CHUNK)

/*
 * One logical event.  ticks is set for every kind (for a note: the time of the thread's
 * next event when known, else 0); the other fields only where the kind says so, and are
 * unspecified otherwise.
 */
struct reader_event {
	uint64_t ticks; /* raw counter: reader_clock_ns() for ns */
	uint64_t addr;
	int64_t value;
	const char *text; /* COPY: NUL-terminated, valid until the next reader_next() */
	uint64_t arg;	  /* EXT: the argument in its first slot */
	uint64_t more;	  /* EXT: its third payload value */
	uint32_t len;	  /* COPY: bytes of text (it may hold NULs of its own); EXT: subtype */
	uint32_t kind;	  /* enum reader_kind */
};

/* The EVENTS chunk a cursor is in (after its READER_EV_CHUNK note, or any event). */
struct reader_chunk_info {
	uint64_t offset; /* of the chunk header in the file */
	uint32_t flags;	 /* TSF_CF_* of the chunk */
	uint32_t eflags; /* TSF_EF_* */
	uint32_t size, raw_size;
	uint64_t seq, lost;
	uint64_t slots;	    /* event slots */
	uint64_t zero_tail; /* slots ignored after an all-zero slot (the writer's end mark) */
	int cut;	    /* the file ends inside this chunk; slots holds the whole ones */
};

/* An index entry: where one EVENTS chunk of a thread is. */
struct reader__ref {
	uint64_t offset;
	uint64_t seq;
};

/* reader_cursor_init() flags */
#define READER_CHUNKS 0x1u /* also yield READER_EV_CHUNK at each chunk */

/*
 * A cursor over one thread's events, in seq order.  The fields are visible so that
 * reader_next() can be inline; only `chunk` and `r` may be read by callers, nothing may
 * be written.  A cursor owns a buffer as large as the largest chunk it met.  Several
 * cursors may be open at once on one reader, in one thread: neither a reader nor a cursor
 * is thread-safe.
 */
struct reader_cursor {
	const struct tsf_event *pos, *end; /* undecoded slots of the current chunk */
	const struct tsf_event *held_end;  /* the real end while notes are pending */
	struct reader *r;
	const struct reader_thread *thread; /* NULL for a one-chunk cursor */
	struct reader_chunk_info chunk;
	const struct reader__ref *idx; /* the thread's EVENTS chunks, in seq order */
	size_t idx_n, idx_next;
	uint64_t expect_seq; /* seq the next chunk should have */
	unsigned flags;
	int err; /* sticky error: TSCOPE_EIO or TSCOPE_ENOMEM */
	unsigned notes_n, notes_next;
	struct reader_event notes[4];
	unsigned char *buf, *zbuf; /* chunk bytes, LZ4 input */
	size_t buf_cap, zbuf_cap;
	struct reader__ref single; /* a one-chunk cursor's index */
	char copy[TSF_COPY_MAX + 1];
};

/*
 * Start iterating thread i (< reader_thread_count()).  flags: READER_CHUNKS or 0.
 * Returns 0 (cannot fail; buffers are allocated on the first reader_next()).
 */
int reader_cursor_init(struct reader_cursor *c, struct reader *r, size_t i, unsigned flags);

/*
 * Iterate the events of the single EVENTS chunk at offset (one reader_chunk_read()
 * returned with status 0 or TSCOPE_ETRUNC), with no note but READER_EV_BAD: the raw
 * view `tscope dump` prints.  Returns 0; a chunk that is not a readable EVENTS chunk
 * yields one READER_EV_BAD note.
 */
int reader_cursor_init_chunk(struct reader_cursor *c, struct reader *r, uint64_t offset);

/* Free the cursor's buffers.  A second call is a harmless no-op. */
void reader_cursor_fini(struct reader_cursor *c);

/* The slow path of reader_next(): chunk boundaries, notes, the rarer kinds. */
int reader__next(struct reader_cursor *c, struct reader_event *ev);

/*
 * Yield the next event into *ev: returns 1, 0 at the end of the stream, or a negative
 * TSCOPE_EIO / TSCOPE_ENOMEM (sticky: every later call returns it again).  A malformed
 * chunk is not an error: it becomes a READER_EV_BAD note and the stream goes on.
 * No allocation per event; ENTER and EXIT are decoded inline, in place.
 */
static inline int reader_next(struct reader_cursor *c, struct reader_event *ev)
{
	const struct tsf_event *e = c->pos;

	if (TS_LIKELY(e < c->end)) {
		uint64_t w = le64toh(e->word), t = le64toh(e->time);
		uint32_t k = (uint32_t)(w >> TSF_KIND_SHIFT);

		/* ENTER (0) or EXIT (8), and not the all-zero end mark */
		if (TS_LIKELY((k & 7u) == 0 && (t | w) != 0)) {
			c->pos = e + 1;
			ev->kind = k;
			ev->ticks = t;
			ev->addr = w & TSF_ADDR_MASK;
			return 1;
		}
	}
	return reader__next(c, ev);
}

/*
 * Read every thread's events once and fill the fields marked "filled by reader_scan()"
 * in struct reader_info and struct reader_thread (event counts, first and last times,
 * malformed chunks).  Idempotent.  Returns 0, TSCOPE_EIO or TSCOPE_ENOMEM.
 */
int reader_scan(struct reader *r);

/* ---- raw chunk walk (tscope dump) ------------------------------------------------- */

/*
 * One chunk as stored, decoded.  Text pointers are NUL-terminated (a NUL inside the
 * recorded bytes ends them early; the *_len fields give the recorded length) and stay
 * valid until the next reader_chunk_read() on the same reader.
 */
struct reader_chunk {
	uint64_t offset; /* of its header */
	uint64_t next;	 /* where the next chunk starts */
	struct tsf_chunk hdr;
	int status;	     /* 0; TSCOPE_EFORMAT malformed (skipped); TSCOPE_ETRUNC the file
				ends inside it; TSCOPE_ENOLZ4 compressed, no LZ4 here */
	const char *problem; /* what is wrong, when status != 0 */
	int decoded;	     /* u holds the fields of a known type (also for a cut EVENTS
				chunk whose head is whole) */
	union {
		struct tsf_clock clock;
		struct {
			struct tsf_module m;
			const char *path;
			const unsigned char *build_id;
		} module;
		struct {
			struct tsf_thread t;
			const char *name;
			size_t name_len;
		} thread;
		struct {
			struct tsf_events h;
			uint64_t slots; /* whole slots present (fewer if cut) */
		} events;
		struct {
			uint64_t ptr;
			const char *text;
			size_t text_len;
		} name;
		struct {
			struct tsf_process p;
			const char *exe;
			size_t exe_len;
		} process;
		struct tsf_end end;
		struct tsf_unload unload;
		struct tsf_cost cost;
		struct {
			struct tsf_drop d;
			const unsigned char *fns; /* d.count entries, as stored: reader_drop_fn() */
		} drop;
	} u;
};

/* Entry i (< ck->u.drop.d.count) of a DROP chunk, decoded. */
void reader_drop_fn(const struct reader_chunk *ck, uint32_t i, struct tsf_drop_fn *out);

/* Offset of the first chunk. */
uint64_t reader_first_chunk(const struct reader *r);

/*
 * Decode the chunk at offset into *ck.  Returns 1 with a chunk, whose status may say it
 * is malformed (go on at ck->next) or cut by the end of the file (the last one: an
 * EVENTS chunk cut so still holds u.events.slots whole slots); 0 when offset is at or
 * past the end of the file; or TSCOPE_EIO / TSCOPE_ENOMEM.  Walks past END too, if asked.
 */
int reader_chunk_read(struct reader *r, uint64_t offset, struct reader_chunk *ck);

/* A name for a chunk type ("EVENTS"), or NULL for an unknown one. */
const char *reader_chunk_type_name(uint32_t type);

/* A name for a clock source ("tsc"), or NULL for an unknown one. */
const char *reader_clock_name(uint32_t source);

#endif /* TSCOPE_READER_H */
