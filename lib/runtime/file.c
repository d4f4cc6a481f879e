/* SPDX-License-Identifier: MIT */
/*
 * file.c - the trace file: its header, metadata chunks and events (its END chunk and
 * the close are file-end.c's).
 *
 * The file is opened lazily, at the first buffer to write (or at once under `tscope
 * record`, which claims the name), so a process that records nothing leaves no file.
 * EVENTS chunks are packed (pack.h), and LZ4-compressed if asked; plain ones
 * (TSCOPE_COMPRESS=none) go out as they lie in their buffers, gathered into one
 * writev().  Scope names are read from the program's memory here, off the recording threads, and written once
 * each as NAME chunks.  A clock sync point and a scan of the loaded objects follow
 * every CLOCK_EVERY ns of writing.
 *
 * One lock (tscope__file_lock) keeps chunks in order: every function below but
 * tscope__file_reset() and tscope__note_loss() is called with it held; the state
 * (file-state.h) is shared with file-end.c.  The descriptor
 * is tracefd.c's.  A failed write is remembered (tscope__file_error): the trace is cut
 * back to its last whole chunk, nothing more is written until the END chunk, and the
 * events are counted as lost; at the close, one line says how many and why.
 *
 * A claimed file (`tscope record`) is complete while it holds no event: an END chunk
 * follows its metadata, not counted in its size, until more is written (put() cuts it
 * off first), so that a process that records nothing and ends with _exit() (a shell
 * that waits for its command, say) leaves a valid trace, not a truncated one.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "tscope-int.h"
#include "file-state.h"
#include "pack.h"
#include "clock.h"

#define CLOCK_EVERY  100000000u  /* ns between sync points while running */
#define SYNC_EARLY   1000000u	 /* the same in the session's first CLOCK_EVERY ns */

struct tscope__file tscope__file = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

/* this file's and file-end.c's short name for the state */
#define f tscope__file

TS_NOINSTR void tscope__file_lock(void)
{
	pthread_mutex_lock(&f.lock);
}

TS_NOINSTR void tscope__file_unlock(void)
{
	pthread_mutex_unlock(&f.lock);
}

/* The first cause of lost events (an errno: ENOMEM for no buffer memory), said at the
 * close.  Any thread, any lock held. */
TS_NOINSTR void tscope__note_loss(int cause_errno)
{
	int none = 0;

	__atomic_compare_exchange_n(&f.cause, &none, cause_errno ? cause_errno : EIO, 0,
				    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

/* Write iov: chunks whole chunks holding events events, and lost more counted lost.
 * After a failure nothing more is written (but the END chunk, which is tried); the
 * failure is remembered and the events are counted as lost.  0 or -1. */
static TS_NOINSTR int put(struct iovec *iov, int n, unsigned chunks, uint64_t events,
			  uint64_t lost)
{
	size_t bytes = 0;
	int failed = f.io_error && !f.closing;

	for (int i = 0; i < n; i++)
		bytes += iov[i].iov_len;
	if (!failed && f.end_after) {
		failed = tscope__fd_cut(f.size) < 0;
		f.end_after = 0;
	}
	if (failed || tscope__fd_write(iov, n) < 0) {
		if (!f.io_error || f.closing) {
			if (!f.io_error)
				f.io_error = errno ? errno : EIO;
			tscope__note_loss(f.io_error);
			/* a chunk cut short would hide what follows it */
			tscope__fd_cut(f.size);
		}
		f.lost += events + lost;
		return -1;
	}
	if (events) {
		f.marks[f.marks_at++ % MARKS] = (struct tscope__mark){ f.size, f.chunks, f.events };
		f.marks_n += f.marks_n < MARKS;
	}
	f.size += bytes;
	f.chunks += chunks;
	f.events += events;
	f.lost += lost;
	tscope__shm_written(f.size, f.chunks, f.events, f.lost);
	return 0;
}

static TS_NOINSTR void batch_flush(void);

/* One chunk made of up to three parts, padded to 8 bytes.  Caller holds the lock and
 * the file is open. */
TS_NOINSTR int tscope__file_emit(void *ctx, uint32_t type, const void *a, size_t alen,
				 const void *b, size_t blen, const void *c, size_t clen)
{
	static const uint64_t zero;
	size_t size = alen + blen + clen;
	struct tsf_chunk ch = { type, 0, (uint32_t)size, (uint32_t)size };
	struct iovec iov[5] = {
		{ &ch, sizeof(ch) },
		{ (void *)(uintptr_t)a, alen },
		{ (void *)(uintptr_t)b, blen },
		{ (void *)(uintptr_t)c, clen },
		{ (void *)(uintptr_t)&zero, TSF_ALIGN8(size) - size },
	};

	(void)ctx;
	if (!f.opened)
		return -1;
	batch_flush();
	return put(iov, 5, 1, 0, 0);
}

/* A claimed file that holds no event gets its provisional END chunk, after the size
 * bytes (see the top).  A failure here is the next write's to find. */
static TS_NOINSTR void end_provisional(void)
{
	struct tsf_end end = { .chunks = f.chunks };
	struct tsf_chunk ch = { TSF_CHUNK_END, 0, sizeof(end), sizeof(end) };
	struct iovec iov[2] = { { &ch, sizeof(ch) }, { &end, sizeof(end) } };

	if (!f.opened || !f.cfg.claim || f.end_after || f.events || f.lost || f.io_error)
		return;
	f.end_after = 1;
	tscope__fd_write(iov, 2);
}

TS_NOINSTR void tscope__file_emit_clock(const struct tsf_clock *c)
{
	tscope__file_emit(NULL, TSF_CHUNK_CLOCK, c, sizeof(*c), NULL, 0, NULL, 0);
	f.last_sync_ns = c->mono_ns;
}

TS_NOINSTR int tscope__file_open(void)
{
	struct tsf_header h;
	struct tsf_process p = { 0 };
	char exe[PATH_MAX];
	ssize_t n;

	if (f.opened)
		return 0;
	if (f.open_failed)
		return -1;
	if (tscope__fd_open(&f.cfg, f.fork_child) < 0) {
		f.open_failed = 1;
		f.io_error = errno;
		tscope__say(tscope__fd_path(), ": cannot create the trace: ", strerror(errno));
		return -1;
	}
	f.opened = 1;
	tscope__shm_path(tscope__fd_path());
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, TSF_MAGIC, TSF_MAGIC_SIZE);
	h.version = TSF_VERSION;
	h.header_size = sizeof(h);
	h.flags = f.cfg.mode == TSCOPE_MODE_RING ? TSF_HF_RING : 0;
	h.pid = (uint32_t)getpid();
	h.ppid = (uint32_t)getppid();
	h.clock_source = (uint32_t)tscope__clock_source;
	h.start_ticks = f.start.ticks;
	struct iovec iov = { &h, sizeof(h) };
	put(&iov, 1, 0, 0, 0); /* a failure is the writes' to count and say */
	p.pid = h.pid;
	p.ppid = h.ppid;
	n = readlink("/proc/self/exe", exe, sizeof(exe));
	tscope__file_emit(NULL, TSF_CHUNK_PROCESS, &p, sizeof(p), exe, n > 0 ? (size_t)n : 0, NULL,
			  0);
	tscope__file_emit_clock(&f.start);
	tscope__selfcost_write(tscope__file_emit, NULL);
	tscope__maps_write(tscope__file_emit, NULL, TS_MAPS_RESET);
	end_provisional();
	return 0;
}

/* Write the gathered EVENTS chunks.  Caller holds the lock. */
static TS_NOINSTR void batch_flush(void)
{
	if (!f.batch_n)
		return;
	put(f.batch, f.batch_n, (unsigned)f.batch_n, f.batch_events, f.batch_lost);
	f.batch_n = 0;
	f.batch_events = f.batch_lost = 0;
}

/* Write b's n events as the chunk ch, whose bytes are data (tscope__encode_finish). */
static TS_NOINSTR void write_encoded(struct tscope__buf *b, size_t n, struct tsf_chunk *ch,
				     const void *data)
{
	static const uint64_t zero;
	struct iovec iov[3] = {
		{ ch, sizeof(*ch) },
		{ (void *)(uintptr_t)data, ch->size },
		{ (void *)(uintptr_t)&zero, TSF_ALIGN8(ch->size) - ch->size },
	};

	put(iov, 3, 1, n, b->head.lost);
}

/* The first of b's n slots whose event is not written yet (see hook.c), or n; *ext is
 * set when an EXT event comes before it. */
static TS_NOINSTR size_t unfinished(const struct tscope__buf *b, size_t n, int *ext)
{
	for (size_t i = b->trusted; i < n; i += tsf_slots(b->ev[i].word)) {
		if (b->ev[i].time < b->t0)
			return i;
		*ext |= (b->ev[i].word >> TSF_KIND_SHIFT) == TSF_KIND_EXT;
	}
	return n;
}

/*
 * Write b, a buffer handed over, as one EVENTS chunk (and the NAME and THREAD chunks it
 * needs first).  The slots are packed as the configuration asks, which reads them once
 * and also finds the first event not written yet (by a hook a signal handler
 * interrupted, see hook.c) and whether any name is used.  A buffer with such an event
 * is held back: returns 1, and nothing is written.  When final, it is written up to
 * that event, the rest counted as lost, and its memory is never reused (the hook may
 * still write there).  A plain chunk joins the batch, so b must not be reused before
 * batch_flush().  Returns 0.
 */
static TS_NOINSTR int write_buf(struct tscope__buf *b, int final)
{
	size_t n = (b->chunk.size - sizeof(b->head)) / sizeof(struct tsf_event), k;
	struct pack_scan scan;
	int packed;

	if (tscope__filter_on()) {
		int ext = 0;

		/* the filter moves slots: none may still be written to (see hook.c) */
		k = unfinished(b, n, &ext);
		if (k < n && !final)
			return 1;
		if (k < n) {
			b->head.lost += n - k;
			b->keep_out = 1;
		}
		n = tscope__filter_buf(b, k, &f.start);
		b->trusted = n;
		b->chunk.size = b->chunk.raw_size =
		    (uint32_t)(sizeof(b->head) + n * sizeof(struct tsf_event));
	}
	scan = (struct pack_scan){ b->t0, b->trusted, n, 1, 0 };
	packed = f.cfg.encoding != TS_ENC_RAW && tscope__encode_pack(b, n, &scan) == 0;

	if (!packed)
		scan.ext = 0;
	k = packed ? scan.stop : unfinished(b, n, &scan.ext);
	if (scan.ext)
		b->head.flags |= TSF_EF_EXT;
	if (k < n && !final)
		return 1;
	if (k < n) {
		b->chunk.size = b->chunk.raw_size =
		    (uint32_t)(sizeof(b->head) + k * sizeof(struct tsf_event));
		b->head.lost += n - k;
		b->keep_out = 1;
	}
	if (tscope__file_open() < 0) {
		f.lost += k + b->head.lost;
		return 0;
	}
	if (scan.names)
		tscope__names_write(b, k, tscope__file_emit, NULL);
	if (b->name_changed) {
		struct tsf_thread th = { b->head.tid, (uint32_t)getpid(), tscope__clock_slow() };

		tscope__file_emit(NULL, TSF_CHUNK_THREAD, &th, sizeof(th), b->name,
				  strnlen(b->name, TS_NAME_MAX - 1), NULL, 0);
	}
	if (packed) {
		struct tsf_chunk ch;
		const void *data;

		tscope__encode_finish(b, f.cfg.encoding, &ch, &data);
		batch_flush();
		b->salvage_at = f.size;
		tscope__buf_state(b, TSF_SB_WRITING);
		write_encoded(b, k, &ch, data);
		return 0;
	}
	if (f.batch_n == BATCH_MAX)
		batch_flush();
	b->salvage_at = f.size;
	for (int i = 0; i < f.batch_n; i++)
		b->salvage_at += f.batch[i].iov_len;
	tscope__buf_state(b, TSF_SB_WRITING);
	f.batch[f.batch_n].iov_base = &b->chunk;
	f.batch[f.batch_n].iov_len = sizeof(b->chunk) + b->chunk.size;
	f.batch_n++;
	f.batch_events += k;
	f.batch_lost += b->head.lost;
	return 0;
}

/* Give the written buffers of list (linked by next) back to the pool, once the batch
 * that may point into them is out. */
static TS_NOINSTR void put_back(struct tscope__buf *list)
{
	struct tscope__buf *next;

	batch_flush();
	for (; list; list = next) {
		next = list->next;
		tscope__pool_put(list);
	}
}

/*
 * Write the buffers of list (linked by next, oldest first) and give them back to the
 * pool, but those held back (see write_buf), which go to *held, oldest first.
 * Returns the bytes of events the written ones held.
 */
TS_NOINSTR size_t tscope__file_write_list(struct tscope__buf *list, int final,
					  struct tscope__buf **held)
{
	struct tscope__buf *next, *done = NULL, **tail = held;
	size_t bytes = 0;
	int n = 0;

	*held = NULL;
	for (; list; list = next) {
		next = list->next;
		list->next = NULL;
		if (write_buf(list, final)) {
			*tail = list;
			tail = &list->next;
			continue;
		}
		bytes += tscope__buf_bytes(list);
		list->next = done;
		done = list;
		if (++n == BATCH_MAX) {
			put_back(done);
			done = NULL;
			n = 0;
		}
	}
	put_back(done);
	end_provisional(); /* after buffers that held no event */
	return bytes;
}

/*
 * Every CLOCK_EVERY ns while the file is open: a sync point and a scan of the loaded
 * objects (scan_how: TS_MAPS_*).  In the first CLOCK_EVERY ns of the session, a sync
 * point at every write at least SYNC_EARLY ns after the last: a process killed early
 * still has two points to convert its ticks with.
 */
TS_NOINSTR void tscope__file_tick(int scan_how)
{
	uint64_t now = f.opened && !f.io_error ? tscope__mono_ns() : 0;

	if (!now)
		return;
	if (now - f.start.mono_ns < CLOCK_EVERY && now - f.last_sync_ns >= SYNC_EARLY) {
		struct tsf_clock c;

		tscope__clock_sync(&c);
		tscope__file_emit_clock(&c);
	} else if (now - f.last_sync_ns >= CLOCK_EVERY) {
		struct tsf_clock c;

		tscope__clock_sync(&c);
		tscope__file_emit_clock(&c);
		tscope__maps_write(tscope__file_emit, NULL, scan_how);
	}
	end_provisional();
}

/* Bring the file's list of loaded objects up to date now, opening the file if need be. */
TS_NOINSTR void tscope__file_scan(int how)
{
	if (tscope__file_open() == 0) {
		tscope__maps_write(tscope__file_emit, NULL, how);
		end_provisional();
	}
}

/* A new session (cfg): nothing written yet.  keep_start keeps the start sync point
 * (tscope_start() taking over a session that has not written yet). */
TS_NOINSTR void tscope__file_reset(const struct tscope__config *cfg, int keep_start)
{
	f.cfg = *cfg;
	f.opened = f.open_failed = f.io_error = f.closing = f.end_after = 0;
	f.size = 0;
	f.marks_n = 0;
	__atomic_store_n(&f.cause, 0, __ATOMIC_RELAXED);
	f.chunks = f.events = f.lost = 0;
	tscope__names_reset();
	if (!keep_start)
		tscope__clock_sync(&f.start);
}

TS_NOINSTR int tscope__file_is_open(void)
{
	return f.opened;
}

TS_NOINSTR int tscope__file_failed(void)
{
	return f.open_failed;
}

TS_NOINSTR int tscope__file_error(void)
{
	return f.io_error;
}
