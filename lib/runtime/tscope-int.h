/* SPDX-License-Identifier: MIT */
/*
 * tscope-int.h - declarations shared by the runtime's files (never installed).
 *
 * Every name here is tscope__* and hidden: with static linking, hidden visibility does
 * not apply, so the double underscore after the namespace keeps them out of user code.
 *
 * The runtime's files, each one concern, in layers: a file calls only the files listed
 * after it (and clock.c, used by all).  Calls upward go through a function given from
 * above (the snapshot and fatal-signal actions), with one exception: an event that
 * comes before the constructor has run starts the runtime from the cold path.
 *
 *	hook.c     the hot path: the compiler's hooks and the scope API's events
 *	exec.c     the exec() family passed through: the session stopped before, resumed
 *	           after a failure (session.c's level: it calls nothing but session.c)
 *	exit.c     _exit() and _Exit() passed through: the session written first
 *	           (session.c's level, as exec.c)
 *	session.c  the API's control calls, start/stop, init, fork, dlclose(), exec()
 *	signal.c   fatal signals (flush, then die as untraced) and the snapshot signal
 *	buffer.c   the cold path: refill, hand-over, flush, thread exit
 *	slots.c    events, pads and handlers' events written into reserved slots
 *	thread.c   a thread's registration and its busy flag
 *	ring.c     ring mode: a thread's ring of buffers and its snapshots
 *	writer.c   the hand-over queue and the background writer thread
 *	file.c     the trace file: header, metadata chunks, events (an END chunk while a
 *	           claimed file holds none); file-end.c: the END chunk, what was lost or
 *	           waited for, the file before exec() and in a forked child
 *	tracefd.c  the trace's descriptor: high, checked, reopened if the program closed
 *	           it; its writes; the file given back before exec()
 *	names.c    the scope names' NAME chunks, and which ones the file has
 *	encode.c   EVENTS chunks packed, and LZ4-compressed if asked
 *	maps.c     the loaded objects, as MODULE and UNLOAD chunks
 *	pool.c     buffer memory: mapping, recycling, spares
 *	shm.c      under `tscope record`: buffer memory that outlives the process
 *	config.c   the TSCOPE_* environment and the API's configuration; tscope__say()
 *	selfcost.c the cost of recording one event, measured at start (a COST chunk)
 *	control.c  `tscope ctl`: its signal recorded, its requests served on the writer
 *	           thread (session.c's level)
 *	cpu.c      record --io: samples of a thread's CPU time at buffer boundaries
 *	           and around wrapped calls (buffer.c's level)
 *	trigger.c  --trigger FUNC: the cold path's part (buffer.c's level); symbol.c
 *	           finds FUNC's address
 *	filter.c   --exclude, --include, --max-depth, --min-duration, --throttle: each
 *	           buffer filtered by the writer before it is encoded (file.c's level);
 *	           filter-fn.c decides per function and counts what was dropped (DROP
 *	           chunks), and fills the table of libtscope-exclude's hooks (exclude.c,
 *	           a library of its own); symaddr.c names the functions
 */
#ifndef TSCOPE_INT_H
#define TSCOPE_INT_H

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "tscope.h"
#include "compiler.h"
#include "format.h"
#include "salvage.h"

#define TS_NAME_MAX 64 /* thread names, including the NUL */
#define TS_RING_BLOCKS 8 /* ring mode: a thread's ring is this many buffers */
#define TS_NEST 256 /* slots for events of handlers that interrupt a cold path */
#define TS_BUF_MAX (128u << 20) /* largest buffer: its EVENTS chunk stays under TSF_CHUNK_MAX */

/*
 * A buffer: one thread's run of events, laid out so that chunk, events header and
 * events go to the file in one write.  Buffers are mmap'd, recycled through a pool,
 * and travel to the writer through a lock-free queue.
 */
struct tscope__buf {
	struct tscope__buf *next; /* queue or pool link */
	uint32_t cap;             /* event slots */
	uint8_t slab;             /* carved from a slab: never unmapped */
	uint8_t keep_out;         /* a hook may still write into it: never reused */
	uint16_t name_changed;    /* write a THREAD chunk with name before the events */
	uint32_t first, used;     /* ring mode: slots [first, used) not yet written */
	uint64_t t0;              /* clock when handed to its thread: every event is later */
	uint64_t trusted;         /* first slots written by the cold path itself: see buffer.c */
	/* for `tscope record` to finish the trace of a process that died (shm.c) */
	uint32_t salvage_state;	  /* TSF_SB_* */
	uint32_t salvage_tid;	  /* TSF_SB_FILLING: the thread, and its chunk's seq */
	uint64_t salvage_seq;
	uint64_t salvage_at;	  /* TSF_SB_WRITING: where the chunk goes in the file */
	char name[TS_NAME_MAX];
	struct tsf_chunk chunk; /* from here on: the bytes of the EVENTS chunk */
	struct tsf_events head;
	struct tsf_event ev[];
};
/* chunk, head and events go to the file as one run of bytes */
_Static_assert(offsetof(struct tscope__buf, head) ==
		       offsetof(struct tscope__buf, chunk) + sizeof(struct tsf_chunk) &&
	       offsetof(struct tscope__buf, ev) ==
		       offsetof(struct tscope__buf, head) + sizeof(struct tsf_events),
	       "struct tscope__buf: no padding inside the chunk's bytes");


/*
 * Per-thread state, in initial-exec TLS so that the hooks reach it with one
 * %fs-relative access.  The hooks reserve a slot by moving pos with one instruction
 * (a signal handler on the thread cannot split it), and write there if the slot lies
 * within room bytes of base, as loaded before the reservation; see hook.c for why
 * that makes the hot path safe against signal handlers.  room is lowered to 0 by other
 * threads to pause or stop this one, and by the owner while it changes buffers; the
 * owner then takes the cold path, which knows why.  base and size change only in the
 * owner's cold path.
 */
struct tscope__thread {
	unsigned long pos;  /* next free slot (unsigned long: ts_xadd) */
	uintptr_t base; /* first slot of buf */
	uintptr_t base_neg; /* -base: the hooks add it to a slot in one instruction */
	uintptr_t room; /* bytes from base the hooks may fill; 0: take the cold path */
	uintptr_t size; /* bytes from base that are buf's events area; 0: no buffer */
	struct tscope__buf *buf;
	uint64_t seq;            /* EVENTS chunks handed over so far */
	uint64_t lost;           /* events dropped since the last chunk started */
	uint64_t waited_ns;	 /* waited for the writer since the last chunk was handed over */
	unsigned gen;            /* session this state belongs to; 0: none */
	uint32_t tid;
	int busy;   /* TS_BUSY_*: who may touch the buffer; see buffer.c */
	uintptr_t busy_sp; /* the frame of the cold path that took busy for itself */
	unsigned long nest_n; /* slots of nest taken; past TS_NEST, lost */
	int ignore; /* a runtime thread: never record */
	int listed; /* in the registry */
	int name_changed;
	int name_api; /* named by tscope_thread_name(): the kernel's name no longer counts */
	struct tscope__buf *ring[TS_RING_BLOCKS]; /* ring mode: buf is one of these */
	unsigned ring_cur;  /* index of buf in ring */
	int ring_overwrote; /* events were overwritten since the last snapshot */
	unsigned long trig_depth; /* --trigger: FUNC's calls open; 0: not recording one */
	size_t trig_scan;	  /* --trigger: slots of buf scanned for FUNC's exit */
	int trig_skip;		  /* --trigger: the enter that fired is yet to be scanned */
	int resumed;		  /* recording stopped and started again: flag the next chunk */
	char name[TS_NAME_MAX];
	struct tscope__thread *next; /* registry link */
	/* events of signal handlers that interrupt the cold path while it has no buffer */
	struct tsf_event nest[TS_NEST];
};

extern __thread struct tscope__thread tscope__self TS_TLS_IE;

#define TS_BUSY_SELF  1 /* the thread, in its cold path or an API call */
#define TS_BUSY_OTHER 2 /* a controller: stop, snapshot */
#define TS_STACK_NEAR (64u << 20) /* a frame this far above the holder's: same stack */

/* Configuration of one session. */
struct tscope__config {
	char path[4096];
	size_t buffer_bytes;
	int mode; /* TSCOPE_MODE_STREAM or _RING */
	int encoding;	     /* TS_ENC_* */
	int snapshot_signal; /* ring mode: a signal that asks for a snapshot; 0: none */
	int control_signal;  /* a real-time signal `tscope ctl` sends; 0: none */
	int start_paused;    /* the session starts paused, until `tscope ctl start` */
	int cpu_samples;     /* TSCOPE_IO=1: each thread's CPU time sampled (cpu.c) */
	char trigger[256];   /* record only the calls of this function (and their subtrees) */
	unsigned trigger_count; /* that many of them, then nothing more */
	/* record-time filters (filter.c): patterns separated by ';', 0 or "": none */
	char exclude[1024], include[1024];
	unsigned max_depth;		/* calls deeper than this are dropped (main is 1) */
	uint64_t min_ns;		/* calls shorter than this with nothing kept inside */
	uint64_t throttle_calls;	/* a function called more often than this, */
	uint64_t throttle_ns;		/* ... averaging under this, is counted only */
	uint64_t delay_ns, duration_ns; /* the window recorded (control.c); 0: none */
	int claim; /* under `tscope record`: the first process claims path, others path.<pid>;
		      TS_CLAIM_ALWAYS: path, else path.<pid>, even in a forked child */
};

enum { TS_ENC_PACK, TS_ENC_LZ4, TS_ENC_RAW }; /* EVENTS chunks: packed, + LZ4, 16-byte slots */

#define TS_CLAIM_ALWAYS 2 /* claim: a session resumed after a failed exec() */

/* TS_TRIGGER: paused but for the threads recording a triggered call (trigger.c) */
enum { TS_OFF, TS_RUNNING, TS_PAUSED, TS_TRIGGER };

/*
 * The process's recording state (session.c).  Locking, outermost first:
 *	control  - one start/stop/snapshot/thread-exit at a time
 *	registry - the list of threads that have recorded in this process
 *	busy     - per thread, taken with a CAS: whoever holds it (the thread in its cold
 *	           path, or a controller flushing it) may touch its buffer.  The cold
 *	           path never takes control, and takes registry only without busy, so a
 *	           controller holding both may wait for a thread's busy.
 */
struct tscope__rt {
	pthread_once_t once;
	int inited;   /* init has run */
	pid_t pid;    /* the process init or the fork handler ran in */
	int disabled; /* TSCOPE_ENABLE=0, or another copy's hooks are the program's */
	int state;    /* TS_*, read by every cold path */
	unsigned gen; /* session number; threads compare theirs */
	int explicit_start; /* the session came from tscope_start() */
	int ring;           /* the session is in ring mode */
	pthread_mutex_t control;
	pthread_mutex_t registry;
	pthread_key_t key;
	struct tscope__thread *threads;
	struct tscope__config env_cfg; /* what the environment asked for */
	struct tscope__config cfg;     /* the running session's, under control */
	uintptr_t trig_fn;	       /* TS_TRIGGER: the address of the function that triggers */
	unsigned trig_left;	       /* TS_TRIGGER: triggers left */
	struct tscope__excl *excl;     /* libtscope-exclude's table, when its hooks run */
};
extern struct tscope__rt tscope__rt;

/* Move t's pos on by bytes, returning where it was: one instruction (see hook.c). */
static inline TS_NOINSTR struct tsf_event *tscope__reserve(struct tscope__thread *t,
							    uintptr_t bytes)
{
	return (struct tsf_event *)ts_xadd(&t->pos, bytes);
}

/* hook.c: this copy's enter hook, however the dynamic linker binds the symbol */
void tscope__own_enter(void *fn, void *site);

/* session.c */
void tscope__init_once(void);
int tscope__exec_prepare(void);
void tscope__exit_prepare(void);
void tscope__exec_failed(int stopped);

/* signal.c: on_fatal is called, once, before the process dies of a signal */
void tscope__signal_install(const struct tscope__config *c, void (*on_fatal)(void));
/* ... and the program's asynchronous signals held while a cold path may sleep */
void tscope__signals_hold(sigset_t *old);
void tscope__signals_release(const sigset_t *old);

/* buffer.c: the cold path of every event (see hook.c); ev[0].time is filled in here */
void tscope__slow(const struct tsf_event *ev, unsigned n, struct tsf_event *p);
void tscope__slow1(uint64_t word, struct tsf_event *p); /* the same for a one-slot event */
int tscope__try_own(struct tscope__thread *t);
void tscope__own(struct tscope__thread *t);
void tscope__release(struct tscope__thread *t);
void tscope__read_comm(struct tscope__thread *t);
uint32_t tscope__gettid(void);
int tscope__refill(struct tscope__thread *t);
void tscope__flush_thread(struct tscope__thread *t, int self, uint32_t flags);
void tscope__close_fast_paths(void);
void tscope__open_fast_path(struct tscope__thread *t);
size_t tscope__retire(struct tscope__thread *t);
void tscope__install(struct tscope__thread *t, struct tscope__buf *b);
void tscope__drop_buffers(struct tscope__thread *t);
void tscope__untake(struct tscope__buf *b);
void tscope__thread_exit(void *arg);

/* trigger.c: --trigger FUNC; symbol.c: FUNC's address */
int tscope__trigger_fires(struct tscope__thread *t, const struct tsf_event *ev, unsigned n);
int tscope__trigger_before_refill(struct tscope__thread *t, size_t n);
void tscope__trigger_window(struct tscope__thread *t);
void tscope__trigger_settle(struct tscope__thread *t);
uintptr_t tscope__symbol_lookup(const char *name);

/* control.c: `tscope ctl` requests, by a signal, served on the writer thread */
void tscope__control_install(const struct tscope__config *c);
void tscope__control_serve(void);
uint64_t tscope__control_window(uint64_t now_ns);
void tscope__flush_other(struct tscope__thread *t);

/* cpu.c: a sample of t's CPU time (TSF_EXT_CPU) at a buffer boundary; caller owns t */
void tscope__cpu_sample(struct tscope__thread *t, unsigned where);
void tscope__cpu_sample_copy(struct tscope__thread *t, struct tscope__buf *b, size_t *n);

/* slots.c */
int tscope__in_buffer(const struct tscope__thread *t, const struct tsf_event *p, uintptr_t bytes);
void tscope__write_at(struct tsf_event *p, const struct tsf_event *ev, unsigned n, uint64_t time);
void tscope__pad(struct tscope__thread *t, struct tsf_event *p, unsigned n);
unsigned tscope__slots_of(const struct tsf_event *e);
void tscope__nest_record(struct tscope__thread *t, const struct tsf_event *ev, unsigned n);
void tscope__nest_flush(struct tscope__thread *t, uintptr_t keep);
uint32_t tscope__nest_install(struct tscope__thread *t, struct tscope__buf *b);

/* thread.c */
int tscope__own_self(struct tscope__thread *t, uintptr_t sp);
void tscope__thread_register(struct tscope__thread *t);

/* ring.c */
int tscope__ring_advance(struct tscope__thread *t);
void tscope__ring_flush(struct tscope__thread *t, uint32_t flags);
void tscope__ring_free(struct tscope__thread *t);

/* writer.c */
int tscope__writer_open(const struct tscope__config *cfg, int lazy, void (*snapshot)(void),
			void (*control)(void));
int tscope__writer_request_control(void);
void tscope__writer_submit(struct tscope__thread *t, struct tscope__buf *b, size_t n,
			   uint32_t flags);
int tscope__writer_sync(void);
int tscope__writer_close(int for_exec);
void tscope__writer_request_snapshot(void);
void tscope__writer_lost(uint64_t n);
void tscope__writer_atfork_prepare(void);
void tscope__writer_atfork_parent(void);
int tscope__writer_atfork_child(void);
int tscope__writer_retarget(const struct tscope__config *cfg);
void tscope__writer_modules(int after_dlclose, int unloaded);

/* file.c, file-end.c: every call but tscope__file_reset() with tscope__file_lock() held */
void tscope__file_lock(void);
void tscope__file_unlock(void);
void tscope__file_reset(const struct tscope__config *cfg, int keep_start);
int tscope__file_open(void);
size_t tscope__file_write_list(struct tscope__buf *list, int final, struct tscope__buf **held);
void tscope__file_tick(int scan_how);
void tscope__file_scan(int how);
int tscope__file_close(int scan_how, uint64_t lost, uint64_t waited_ns);
int tscope__file_close_exec(int scan_how, uint64_t lost, uint64_t waited_ns);
int tscope__file_is_open(void);
int tscope__file_failed(void);
int tscope__file_error(void);
void tscope__file_atfork_child(int active);
void tscope__note_loss(int cause_errno); /* any thread: the first cause is said */

/* tracefd.c: with tscope__file_lock() held */
int tscope__fd_open(const struct tscope__config *cfg, int fork_child);
int tscope__fd_get(int again);
int tscope__fd_gone(void);
const char *tscope__fd_path(void);
void tscope__fd_resolve(const char *path, int fork_child, char *out, size_t size);
void tscope__fd_close(void);
int tscope__fd_write(struct iovec *iov, int n);
int tscope__fd_cut(uint64_t size);
int tscope__fd_give_back(void);
void tscope__fd_atfork_child(void);
int tscope__fd_high(int fd);

/* A chunk of up to three parts, written by file.c for maps.c and names.c. */
typedef int (*tscope__emit_fn)(void *ctx, uint32_t type, const void *a, size_t alen,
			       const void *b, size_t blen, const void *c, size_t clen);

/* filter.c: record-time filters, run by the writer over each buffer (file lock held) */
void tscope__filter_reset(const struct tscope__config *c);
int tscope__filter_on(void);
size_t tscope__filter_buf(struct tscope__buf *b, size_t n, const struct tsf_clock *start);
void tscope__filter_write(tscope__emit_fn emit, void *ctx, int last);
void tscope__filter_forget(void);
void tscope__filter_atfork_child(void);
/* filter-fn.c: at init, are the program's hooks libtscope-exclude's (exclude.c)? */
int tscope__fns_exclude_hooks(void *hook);

/* symaddr.c: the symbol of the function at an address, in any object loaded now */
const char *tscope__symaddr(uintptr_t addr);
void tscope__symaddr_forget(void);
void tscope__symaddr_read_all(void);

/* names.c */
void tscope__names_write(const struct tscope__buf *b, size_t n, tscope__emit_fn emit,
			 void *ctx);
void tscope__names_reset(void);
void tscope__names_atfork_child(void);

/* encode.c */
struct pack_scan;
int tscope__encode_pack(const struct tscope__buf *b, size_t n, struct pack_scan *scan);
void tscope__encode_finish(const struct tscope__buf *b, int encoding, struct tsf_chunk *ch,
			   const void **data);
void tscope__encode_atfork_child(void);

/* maps.c */
#define TS_MAPS_RESET 0x1  /* a new file: write every object */
#define TS_MAPS_EXACT 0x2  /* dlclose() has just returned: what is gone went now */
#define TS_MAPS_ADDS  0x4  /* a dlclose() is under way: new objects only, its own
			      scan after it times what it unloads */
int tscope__maps_write(tscope__emit_fn emit, void *ctx, int how);
void tscope__maps_snapshot(tscope__emit_fn emit, void *ctx);
unsigned long long tscope__maps_unloads(void);

/* selfcost.c: the cost of one event, measured at start, and its COST chunk */
void tscope__selfcost_measure(void);
void tscope__selfcost_write(tscope__emit_fn emit, void *ctx);

/* pool.c */
void tscope__pool_reset(size_t bytes);
struct tscope__buf *tscope__pool_get(void);
void tscope__pool_put(struct tscope__buf *b);
void tscope__pool_free(struct tscope__buf *b);
size_t tscope__buf_bytes(const struct tscope__buf *b);
void tscope__pool_keep_spares(int active);
void tscope__pool_atfork_prepare(void);
void tscope__pool_atfork_parent(void);
int tscope__pool_atfork_child(void);

/* shm.c */
void tscope__shm_session(const struct tscope__config *cfg);
int tscope__shm_active(void);
void *tscope__shm_map(size_t one, uint32_t n);
void tscope__shm_path(const char *path);
void tscope__shm_written(uint64_t size, uint64_t chunks, uint64_t events, uint64_t lost);
void tscope__shm_done(void);
int tscope__shm_atfork_child(void);

/* A buffer's state, for a salvage (TSF_SB_* of salvage.h); cold paths only. */
static inline TS_NOINSTR void tscope__buf_state(struct tscope__buf *b, uint32_t state)
{
	__atomic_store_n(&b->salvage_state, state, __ATOMIC_RELEASE);
}

/*
 * open(), close(), read() and fallocate() for code that runs in the program's threads
 * with a lock held: as plain system calls, not cancellation points.  glibc (2.36) makes
 * a thread asynchronously cancellable for the duration of such a call even when its
 * cancellation is disabled, and a pthread_cancel() that lands then ends the thread
 * with the lock held.
 */
static inline TS_NOINSTR int tscope__open(const char *path, int flags, int mode)
{
	return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

static inline TS_NOINSTR int tscope__close(int fd)
{
	return (int)syscall(SYS_close, fd);
}

static inline TS_NOINSTR ssize_t tscope__read(int fd, void *buf, size_t n)
{
	return (ssize_t)syscall(SYS_read, fd, buf, n);
}

static inline TS_NOINSTR int tscope__fallocate(int fd, off_t at, off_t len)
{
	return (int)syscall(SYS_fallocate, fd, 0, at, len);
}

/* config.c */
void tscope__say(const char *a, const char *b, const char *c);
void tscope__config_from_env(struct tscope__config *c, int *disabled);
int tscope__config_merge(const struct tscope_config *cfg, const struct tscope__config *env,
			 struct tscope__config *c);

#endif /* TSCOPE_INT_H */
