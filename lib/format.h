/* SPDX-License-Identifier: MIT */
/*
 * format.h - the on-disk trace format, shared by the runtime and the reader.
 *
 * This header is the only contract between the two halves of the project.  It holds
 * fixed-width little-endian structures only: no pointers, no long, no size_t, no
 * bitfields, and every size is checked below.  docs/FORMAT.md describes the same
 * format in prose.
 *
 * A trace file is a header followed by chunks:
 *
 *	struct tsf_header                      (64 bytes, at offset 0)
 *	struct tsf_chunk + payload + padding   (repeated; every chunk starts 8-aligned)
 *	...
 *	TSF_END chunk                          (last; absent if the process died hard)
 *
 * Chunks appear in the order the runtime wrote them.  EVENTS chunks of one thread
 * appear in recording order and carry a per-thread sequence number; metadata chunks
 * (MODULE, NAME, THREAD, CLOCK) may appear before or after the events that need them,
 * so a reader collects all metadata before it interprets events.
 */
#ifndef TSCOPE_FORMAT_H
#define TSCOPE_FORMAT_H

#include <stdint.h>

#define TSF_MAGIC      "TSCOPE\0\0" /* 8 bytes, NUL-padded */
#define TSF_MAGIC_SIZE 8
#define TSF_VERSION    1 /* a reader rejects a newer version */

/* Environment variables read by the runtime (set by `tscope record`). */
#define TSF_ENV_OUTPUT   "TSCOPE_OUTPUT"
#define TSF_ENV_BUFFER   "TSCOPE_BUFFER"
#define TSF_ENV_MODE     "TSCOPE_MODE"
#define TSF_ENV_ENABLE   "TSCOPE_ENABLE"
#define TSF_ENV_COMPRESS "TSCOPE_COMPRESS"
#define TSF_ENV_SNAPSIG  "TSCOPE_SNAPSHOT_SIGNAL"
#define TSF_ENV_RECORD   "TSCOPE_RECORD" /* set by `tscope record`: see docs/FORMAT.md */
#define TSF_ENV_CONTROL	 "TSCOPE_CONTROL_SIGNAL" /* the signal `tscope ctl` sends */
#define TSF_ENV_PAUSED	 "TSCOPE_START_PAUSED"	 /* 1: start paused, until `tscope ctl start` */
#define TSF_ENV_TRIGGER	 "TSCOPE_TRIGGER"	 /* FUNC[:N]: record FUNC's first N calls */
#define TSF_ENV_MALLOC	 "TSCOPE_MALLOC" /* 1: libtscope-malloc records (record --malloc) */
#define TSF_ENV_IO	  "TSCOPE_IO"	  /* 1: libtscope-io records (record --io) */
/* record-time filters (docs/FORMAT.md): patterns are separated by ';', times take
 * ns/us/ms/s */
#define TSF_ENV_EXCLUDE	  "TSCOPE_EXCLUDE"	/* PAT[;PAT...]: these functions dropped */
#define TSF_ENV_INCLUDE	  "TSCOPE_INCLUDE"	/* PAT[;PAT...]: only these and their callees */
#define TSF_ENV_MAX_DEPTH "TSCOPE_MAX_DEPTH"	/* N: calls deeper than N dropped */
#define TSF_ENV_MIN_DUR	  "TSCOPE_MIN_DURATION" /* TIME: shorter leaf calls dropped */
#define TSF_ENV_THROTTLE  "TSCOPE_THROTTLE"	/* 1 or N,TIME: frequent short calls counted */
#define TSF_ENV_DELAY	  "TSCOPE_DELAY"	/* TIME: recording starts this long after start */
#define TSF_ENV_DURATION  "TSCOPE_DURATION"	/* TIME: and stops this long after that */
#define TSF_DEFAULT_PATH "tscope.trace"

struct tsf_header {
	char magic[TSF_MAGIC_SIZE]; /* TSF_MAGIC */
	uint16_t version;           /* TSF_VERSION */
	uint16_t header_size;       /* sizeof(struct tsf_header); lets the header grow */
	uint32_t flags;             /* TSF_HF_* */
	uint32_t pid;               /* recording process */
	uint32_t ppid;              /* its parent at start */
	uint32_t clock_source;      /* TSF_CLOCK_* */
	uint32_t reserved0;
	uint64_t start_ticks; /* counter value when the trace was started */
	uint64_t reserved[3];
};

#define TSF_HF_RING 0x1u /* recorded in ring (flight recorder) mode */

#define TSF_CLOCK_TSC      1 /* x86-64 rdtsc, invariant */
#define TSF_CLOCK_CNTVCT   2 /* aarch64 virtual counter */
#define TSF_CLOCK_MONOTONIC 3 /* clock_gettime(CLOCK_MONOTONIC): ticks are ns */

struct tsf_chunk {
	uint32_t type;     /* TSF_CHUNK_* */
	uint32_t flags;    /* TSF_CF_* */
	uint32_t size;     /* payload bytes as stored, excluding padding */
	uint32_t raw_size; /* payload bytes once decoded (== size unless compressed) */
};

/*
 * LZ4: the payload is an LZ4 block (of raw_size bytes, unless also packed).
 * PACK2: EVENTS only: after the tsf_events header the slots are packed as lib/pack.h
 * describes; raw_size is the size once unpacked.  With LZ4 too, the LZ4 block holds
 * header + packed slots.  PACK: the same in the first packed form, written by earlier
 * versions.  At most one of PACK and PACK2.
 */
#define TSF_CF_LZ4    0x1u
#define TSF_CF_PACK   0x2u
#define TSF_CF_PACK2  0x4u
#define TSF_CF_PACKED (TSF_CF_PACK | TSF_CF_PACK2)
#define TSF_CHUNK_MAX (256u << 20) /* largest raw_size a reader needs to accept */

enum tsf_chunk_type {
	TSF_CHUNK_CLOCK = 1,   /* struct tsf_clock: one counter/clock sync point */
	TSF_CHUNK_MODULE = 2,  /* struct tsf_module + path + build id */
	TSF_CHUNK_THREAD = 3,  /* struct tsf_thread + name */
	TSF_CHUNK_EVENTS = 4,  /* struct tsf_events + struct tsf_event[] */
	TSF_CHUNK_NAME = 5,    /* struct tsf_name + text: resolves a scope name pointer */
	TSF_CHUNK_PROCESS = 6, /* struct tsf_process + executable path */
	TSF_CHUNK_END = 7,     /* struct tsf_end: the trace is complete */
	TSF_CHUNK_UNLOAD = 8,  /* struct tsf_unload: a MODULE is gone */
	TSF_CHUNK_COST = 9,    /* struct tsf_cost: what recording one event costs */
	TSF_CHUNK_DROP = 10    /* struct tsf_drop + struct tsf_drop_fn[]: calls filtered out */
};

/*
 * CLOCK: the counter and the system clocks read at (nearly) the same instant.  The
 * runtime writes one at start, one per writer wake-up at most every 100 ms, and one at
 * stop.  The reader converts ticks to ns with the first and the last sync point.
 */
struct tsf_clock {
	uint64_t ticks;   /* counter */
	uint64_t mono_ns; /* CLOCK_MONOTONIC */
	uint64_t real_ns; /* CLOCK_REALTIME */
	uint64_t read_cost_ticks; /* cheapest of several back-to-back counter reads */
};

/*
 * MODULE: one loaded object.  A runtime address A in [lo, hi) belongs to this module
 * and is the ELF virtual address A - bias.  Followed by path_len bytes of path (no NUL)
 * and build_id_len bytes of GNU build id.
 */
struct tsf_module {
	uint64_t bias; /* load bias (dlpi_addr) */
	uint64_t lo;   /* lowest address of its PT_LOAD segments */
	uint64_t hi;   /* highest address + 1 */
	uint16_t path_len;
	uint16_t build_id_len;
	uint32_t reserved;
};

/*
 * UNLOAD: the object of the newest earlier MODULE chunk with this bias and lo is no
 * longer mapped.  EXACT: seen by dlclose() itself, so ticks is after the object's last
 * event and before anything else was mapped there; otherwise ticks is when a later scan
 * found it gone, and an object loaded at the same place meanwhile cannot be told apart.
 */
struct tsf_unload {
	uint64_t bias;
	uint64_t lo;
	uint64_t ticks;
	uint32_t flags; /* TSF_UNLOAD_EXACT */
	uint32_t reserved;
};

#define TSF_UNLOAD_EXACT 0x1u

/*
 * COST: the runtime's own cost per event, measured at start by timing `events` events
 * (enter/exit pairs through the real hooks, into a scratch buffer) several times:
 * `ticks` is the fastest of the rounds.  One event costs ticks / events counter ticks.
 * A reader that does not know this chunk skips it; `tscope report --compensate`
 * subtracts the cost from the times.
 */
struct tsf_cost {
	uint64_t ticks;	 /* counter ticks for the fastest round */
	uint64_t events; /* events in a round */
	uint64_t median; /* counter ticks of the median round */
	uint64_t rounds; /* rounds timed */
};

/*
 * DROP: the calls a record-time filter (--exclude, --include, --max-depth,
 * --min-duration, --throttle) left out of the EVENTS chunks, per function: written at
 * the end of the trace, after the last EVENTS chunk.  count entries follow the head;
 * the payload is exactly sizeof(struct tsf_drop) + count * sizeof(struct tsf_drop_fn).
 * Several DROP chunks add up.  For a function, calls, incl and self are what its
 * dropped calls took (self: without the calls they made); hidden is time the EVENTS
 * show as the self time of its kept calls but which dropped callees took (their self
 * times), so that a report adding self + dropped self - hidden keeps the thread's
 * total.  Times in counter ticks.
 */
struct tsf_drop {
	uint64_t ticks;	  /* when it was written */
	uint32_t count;	  /* struct tsf_drop_fn entries that follow */
	uint32_t reasons; /* TSF_DROP_*: the filters that were set */
};

struct tsf_drop_fn {
	uint64_t addr; /* the function's runtime address, as in ENTER */
	uint64_t calls;
	uint64_t incl, self, hidden; /* ticks */
	uint32_t reasons;	     /* TSF_DROP_*: why its calls were dropped */
	uint32_t reserved;
};

#define TSF_DROP_EXCLUDE  0x1u	/* matched --exclude */
#define TSF_DROP_INCLUDE  0x2u	/* outside every --include subtree */
#define TSF_DROP_DEPTH	  0x4u	/* deeper than --max-depth */
#define TSF_DROP_MIN_DUR  0x8u	/* shorter than --min-duration, nothing kept inside */
#define TSF_DROP_THROTTLE 0x10u /* throttled: frequent and short */
/* (header only) --exclude applied by the hooks (libtscope-exclude): the calls of
 * functions matching --exclude (and no --include) left nothing and are not counted;
 * their time is their callers' self time */
#define TSF_DROP_HOOKS	  0x20u

/* THREAD: the name of a thread (the newest one wins).  Followed by the name bytes. */
struct tsf_thread {
	uint32_t tid; /* gettid() */
	uint32_t pid;
	uint64_t ticks; /* when this name was observed */
};

/* PROCESS: the recording process.  Followed by the executable's path. */
struct tsf_process {
	uint32_t pid;
	uint32_t ppid;
	uint64_t reserved;
};

/*
 * EVENTS: a run of one thread's events.  seq counts the thread's EVENTS chunks from 0,
 * so a gap shows a lost chunk; lost is the number of events the thread dropped just
 * before this chunk's first event (buffer could not be handed over, no memory, ...).
 */
struct tsf_events {
	uint32_t tid;
	uint32_t flags; /* TSF_EF_* */
	uint64_t seq;
	uint64_t lost;
	uint64_t waited_ns; /* the thread waited this long for the writer (stream mode, the
			       disk behind) between its previous chunk and this one */
};

#define TSF_EF_RING_WRAPPED 0x1u /* ring mode: older events were overwritten */
#define TSF_EF_FINAL        0x2u /* the thread's last chunk (it exited or the trace stopped) */
/* RESUMED: recording was stopped before this chunk's first event and started again */
#define TSF_EF_RESUMED	    0x4u
/* it holds EXT events: readers that sum them up across threads (memory) read such chunks */
#define TSF_EF_EXT	    0x8u

/*
 * One event: 16 bytes.  kind = word >> 60.
 *
 *	ENTER (0x0)   word = function address                  (compiler hook)
 *	EXIT  (0x8)   word = function address | bit 63         (compiler hook)
 *	BEGIN (0x1)   word = address of a static name string   (TSCOPE_SCOPE, tscope_begin)
 *	END   (0x9)   word = 0                                 (closes the innermost scope)
 *	BEGIN_COPY (0x2)  low 16 bits = name length n; the name follows in the next
 *	              (n + 15) / 16 slots, NUL-padded (those slots are not events)
 *	INSTANT (0x3) word = address of a static name string
 *	COUNTER (0x4) word = address of a static name string; the next slot holds the
 *	              value: time = (uint64_t)int64 value, word = 0
 *	EXT   (0x5)   a library call (memory: malloc & co; I/O and waiting): bits 59..52
 *	              the subtype, its top two bits the number of payload slots that
 *	              follow (0 to 3); bits 51..0 the argument.  A payload slot: time = the event's time (a copy,
 *	              so that packing stays cheap), word = TSF_WORD(EXT, value).  A reader
 *	              skips subtypes it does not know, by their payload count
 *	PAD   (0x7)   word = 0 | kind: a slot that holds no event (reserved by a hook
 *	              that a signal handler interrupted, then not used); skipped
 *
 * No event starts with an all-zero slot (time 0 is never recorded): a reader that finds
 * one where an event should start stops there.  (A COUNTER's value slot may be zero.)
 */
struct tsf_event {
	uint64_t time; /* raw counter ticks, see CLOCK */
	uint64_t word;
};

#define TSF_KIND_SHIFT   60
#define TSF_ADDR_MASK    ((UINT64_C(1) << TSF_KIND_SHIFT) - 1)
#define TSF_EXIT_BIT     (UINT64_C(1) << 63)
#define TSF_KIND_ENTER   0x0u
#define TSF_KIND_BEGIN   0x1u
#define TSF_KIND_COPY    0x2u
#define TSF_KIND_INSTANT 0x3u
#define TSF_KIND_COUNTER 0x4u
#define TSF_KIND_EXT		0x5u
#define TSF_KIND_PAD     0x7u
#define TSF_KIND_EXIT    0x8u
#define TSF_KIND_END     0x9u
#define TSF_WORD(kind, payload) (((uint64_t)(kind) << TSF_KIND_SHIFT) | (uint64_t)(payload))
#define TSF_COPY_MAX     255 /* longest copied name; longer ones are cut */

/* EXT events: the subtype, its argument and its payload slots. */
#define TSF_EXT_SHIFT	 52
#define TSF_EXT_ARG_MASK ((UINT64_C(1) << TSF_EXT_SHIFT) - 1)
#define TSF_EXT_WORD(sub, arg)                                                                     \
	TSF_WORD(TSF_KIND_EXT,                                                                     \
		 ((uint64_t)(sub) << TSF_EXT_SHIFT) | ((uint64_t)(arg)&TSF_EXT_ARG_MASK))
#define TSF_EXT_SUB(word)    ((unsigned)((word) >> TSF_EXT_SHIFT) & 0xffu)
#define TSF_EXT_PAYLOAD(sub) ((unsigned)(sub) >> 6) /* slots after the event */

/*
 * Memory subtypes.  ALLOC: a block of payload[1] bytes at payload[0] came into use,
 * argument TSF_MEM_* says from which function; FREE: the block at payload[0] is no
 * longer in use (argument: TSF_MEM_FREE, _REALLOC or _API), recorded before the block
 * is given back, so that another thread's ALLOC of the same address always comes
 * after it; UNMAP: anonymous memory [payload[0], + payload[1]) unmapped (pages of an
 * earlier ALLOC from TSF_MEM_MMAP, or of nothing recorded); UNFREE: the FREE just before
 * it on this thread did not happen (a realloc() that failed left the block as it was).
 */
#define TSF_EXT_ALLOC  0x81u
#define TSF_EXT_FREE   0x42u
#define TSF_EXT_UNMAP  0x83u
#define TSF_EXT_UNFREE 0x44u

/* Where an ALLOC or FREE came from (the same numbers as TSCOPE_MEM_* in tscope.h). */
enum tsf_mem_origin {
	TSF_MEM_API = 0, /* tscope_alloc(), tscope_free() */
	TSF_MEM_MALLOC,
	TSF_MEM_CALLOC,
	TSF_MEM_REALLOC,
	TSF_MEM_POSIX_MEMALIGN,
	TSF_MEM_ALIGNED_ALLOC,
	TSF_MEM_MEMALIGN,
	TSF_MEM_VALLOC,
	TSF_MEM_PVALLOC,
	TSF_MEM_MMAP,
	TSF_MEM_FREE,
	TSF_MEM_MUNMAP,
	TSF_MEM_ORIGINS
};

/*
 * I/O and waiting subtypes (libtscope-io), each recorded when the call has returned,
 * so that the event's time is the call's end and nothing of the thread lies between
 * its start and its end.  IO: a call of op (argument bits 7..0, TSF_IO_*) on the fd in
 * argument bits 39..8; payload[0] its duration in counter ticks, payload[1] its result
 * (bytes, a new fd, 0, or -errno; 60-bit two's complement), payload[2] the thread's
 * CPU time during it in ns (TSF_IO_NO_CPU: not measured).  WAIT: a call of op that
 * waits (argument bits 7..0, TSF_IO_*); payload[0] its duration in ticks, payload[1]
 * its result.  PATH: bytes of the path that the next IO event of the thread (an open)
 * opened: argument bits 31..0 the fd, bits 39..32 the piece (0 first), bits 47..40 the
 * path's whole length (at most TSF_COPY_MAX); each of the three payload values holds 7
 * bytes of the path, the first in its low byte (NUL-padded).
 */
#define TSF_EXT_IO   0xc5u
#define TSF_EXT_WAIT 0x86u
#define TSF_EXT_PATH 0xc7u

/*
 * CPU: a sample of the thread's CPU time, written only when TSCOPE_IO=1 (record --io):
 * payload[0] is CLOCK_THREAD_CPUTIME_ID in ns, read just before the event's time;
 * the argument (TSF_CPU_*) says where it was read.  Between two samples of a thread,
 * the wall time not spent on its CPU nor in its I/O and wait events was spent off the
 * CPU elsewhere (preempted, stopped, a page fault, a call not wrapped).  A reader that
 * does not know it skips it by its payload count, as for any EXT subtype.
 */
#define TSF_EXT_CPU 0x48u

enum tsf_cpu_where {
	TSF_CPU_BUFFER = 1, /* the thread took a new buffer (its first one included) */
	TSF_CPU_FLUSH,	    /* the thread's events were handed over: it exits, or stop */
	TSF_CPU_CALL	    /* before or after a wrapped I/O or wait call (libtscope-io) */
};

#define TSF_IO_NO_CPU	  ((UINT64_C(1) << TSF_KIND_SHIFT) - 1)
#define TSF_IO_PATH_PIECE 21 /* path bytes per PATH event */

/* The calls (the same numbers as TSCOPE_IO_* in tscope.h). */
enum tsf_io_op {
	TSF_IO_READ = 1,
	TSF_IO_WRITE,
	TSF_IO_PREAD,
	TSF_IO_PWRITE,
	TSF_IO_READV,
	TSF_IO_WRITEV,
	TSF_IO_SEND,
	TSF_IO_RECV,
	TSF_IO_SENDTO,
	TSF_IO_RECVFROM,
	TSF_IO_SENDMSG,
	TSF_IO_RECVMSG,
	TSF_IO_FSYNC,
	TSF_IO_FDATASYNC,
	TSF_IO_OPEN,
	TSF_IO_OPENAT,
	TSF_IO_CLOSE,
	/* waiting */
	TSF_IO_MUTEX_LOCK = 32, /* only when pthread_mutex_trylock() failed */
	TSF_IO_COND_WAIT,
	TSF_IO_COND_TIMEDWAIT,
	TSF_IO_SEM_WAIT,
	TSF_IO_SEM_TIMEDWAIT,
	TSF_IO_POLL,
	TSF_IO_PPOLL,
	TSF_IO_SELECT,
	TSF_IO_PSELECT,
	TSF_IO_EPOLL_WAIT,
	TSF_IO_NANOSLEEP,
	TSF_IO_CLOCK_NANOSLEEP,
	TSF_IO_SLEEP,
	TSF_IO_USLEEP,
	TSF_IO_WAITPID,
	TSF_IO_WAIT,
	TSF_IO_JOIN,
	TSF_IO_OPS
};

/* The slots of the event whose first slot holds word (payload slots included). */
static inline unsigned tsf_slots(uint64_t word)
{
	unsigned kind = (unsigned)(word >> TSF_KIND_SHIFT);

	if (kind == TSF_KIND_COPY)
		return 1 + (unsigned)(((word & 0xffff) + 15) / 16);
	if (kind == TSF_KIND_EXT)
		return 1 + TSF_EXT_PAYLOAD(TSF_EXT_SUB(word));
	return kind == TSF_KIND_COUNTER ? 2 : 1;
}

/* NAME: the text behind a name pointer used by BEGIN, INSTANT or COUNTER events. */
struct tsf_name {
	uint64_t ptr;
};

/* END: written last by a clean stop.  Its totals let a reader check it saw everything. */
struct tsf_end {
	uint64_t chunks;    /* chunks before this one */
	uint64_t events;    /* event slots written, across all EVENTS chunks */
	uint64_t lost;	    /* events dropped in total */
	uint64_t waited_ns; /* recording threads waited this long for the writer, in all */
};

_Static_assert(sizeof(struct tsf_header) == 64, "tsf_header");
_Static_assert(sizeof(struct tsf_chunk) == 16, "tsf_chunk");
_Static_assert(sizeof(struct tsf_clock) == 32, "tsf_clock");
_Static_assert(sizeof(struct tsf_module) == 32, "tsf_module");
_Static_assert(sizeof(struct tsf_thread) == 16, "tsf_thread");
_Static_assert(sizeof(struct tsf_unload) == 32, "tsf_unload");
_Static_assert(sizeof(struct tsf_process) == 16, "tsf_process");
_Static_assert(sizeof(struct tsf_events) == 32, "tsf_events");
_Static_assert(sizeof(struct tsf_event) == 16, "tsf_event");
_Static_assert(sizeof(struct tsf_name) == 8, "tsf_name");
_Static_assert(sizeof(struct tsf_end) == 32, "tsf_end");
_Static_assert(sizeof(struct tsf_cost) == 32, "tsf_cost");
_Static_assert(sizeof(struct tsf_drop) == 16, "tsf_drop");
_Static_assert(sizeof(struct tsf_drop_fn) == 48, "tsf_drop_fn");

/* Chunk payloads are padded so that every chunk header starts 8-aligned. */
#define TSF_ALIGN8(n) (((n) + UINT64_C(7)) & ~UINT64_C(7))

#endif /* TSCOPE_FORMAT_H */
