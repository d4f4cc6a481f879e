/* SPDX-License-Identifier: MIT */
/*
 * writer.c - buffers, their hand-over, and the trace file.
 *
 * A thread whose buffer is full pushes it on a lock-free queue and takes an empty one
 * from the pool; a background writer thread empties the queue into the file.  So a
 * recording thread never waits for write(), and threads never wait for each other,
 * except when the writer falls behind by more than QUEUE_MAX bytes: then producers
 * wait for it rather than lose events (stream mode is lossless).
 *
 * Also here: the file's header and metadata chunks, the names behind scope-name
 * pointers (looked up off the recording threads), optional LZ4, and fork handling.
 * Runs inside the traced program: never prints, never exits.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_LZ4
#include <lz4.h>
#endif

#include "tscope-int.h"
#include "clock.h"
#include "pack.h"

#define QUEUE_MAX     (64u << 20) /* bytes queued before producers wait */
#define POOL_MAX      (64u << 20) /* bytes of free buffers kept for reuse */
#define SLAB_SIZE     (256u << 10) /* small buffers are carved from slabs this big */
#define BATCH_MAX     64          /* chunks gathered into one writev() */
#define POOL_SPARE    4           /* free buffers the writer thread keeps mapped ahead */
#define CLOCK_EVERY   100000000u  /* ns between sync points while running */
#define NAME_MAX_LEN  1024        /* longest scope name read from the program */

static struct {
	struct tscope__config cfg;
	int active;       /* a session is open (the file may not be yet) */
	int fork_child;   /* this process was forked from a recording one */
	int fd;           /* -1 until the first write */
	int open_failed;
	int io_error;     /* errno of the first failed write */
	struct tsf_clock start;
	uint64_t last_sync_ns;
	uint64_t chunks, events, lost;

	pthread_mutex_t pool_lock;
	pthread_cond_t drained; /* queue fell below QUEUE_MAX / 2 */
	struct tscope__buf *pool;
	size_t pool_n;
	size_t buf_bytes; /* events area of the pool's buffers */

	struct tscope__buf *queue; /* lock-free stack, newest first */
	size_t queued;             /* bytes in the queue */

	pthread_mutex_t wake_lock; /* starting and stopping the writer thread */
	sem_t wake;                /* posted by producers, stop and the snapshot signal */
	int wake_ready;
	pthread_t thread;
	int thread_running;
	int thread_stop;
	int snapshot_req; /* set by the snapshot signal's handler */
	int in_dlclose;	  /* dlclose() calls between their two scans */

	pthread_mutex_t write_lock; /* one drain at a time: keeps chunks in order */
	uint64_t *names;            /* name pointers already written (open addressing) */
	size_t names_cap, names_n;
	char *scratch; /* LZ4 output */
	size_t scratch_size;
	char *packed; /* packed slots, LZ4's input */
	size_t packed_size;
	struct iovec batch[BATCH_MAX]; /* EVENTS chunks not written yet */
	int batch_n;
	size_t batch_events, batch_lost;
} w = {
	.fd = -1,
	.pool_lock = PTHREAD_MUTEX_INITIALIZER,
	.drained = PTHREAD_COND_INITIALIZER,
	.wake_lock = PTHREAD_MUTEX_INITIALIZER,
	.write_lock = PTHREAD_MUTEX_INITIALIZER,
};

static TS_NOINSTR uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- buffers -------------------------------------------------------------------- */

static TS_NOINSTR size_t buf_map_size(size_t bytes)
{
	return TSF_ALIGN8(sizeof(struct tscope__buf) + bytes);
}

static TS_NOINSTR size_t buf_bytes(const struct tscope__buf *b)
{
	return (size_t)b->cap * sizeof(struct tsf_event);
}

/* Buffers carved from a slab are never unmapped (they stay in the pool); others are. */
static TS_NOINSTR void buf_free(struct tscope__buf *b)
{
	if (!b->slab)
		munmap(b, buf_map_size(buf_bytes(b)));
}

/* Map fresh buffers of bytes each: one, or for small sizes a slab of them, the spare
 * ones going to the pool.  Caller holds pool_lock. */
static TS_NOINSTR struct tscope__buf *buf_map(size_t bytes)
{
	size_t one = buf_map_size(bytes), n = one < SLAB_SIZE / 4 ? SLAB_SIZE / one : 1;
	/* populated: one system call faults the pages in, instead of a page fault per
	 * 4 KiB on the recording thread (about 11 us each on a VM) */
	char *p = mmap(NULL, n * one, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	struct tscope__buf *b = NULL;

	if (p == MAP_FAILED)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		struct tscope__buf *c = (struct tscope__buf *)(void *)(p + i * one);

		c->cap = (uint32_t)(bytes / sizeof(struct tsf_event));
		c->slab = n > 1;
		if (i == 0) {
			b = c;
		} else {
			c->next = w.pool;
			w.pool = c;
			w.pool_n++;
		}
	}
	return b;
}

/* An empty buffer of the session's size, or NULL when the system has no memory. */
TS_NOINSTR struct tscope__buf *tscope__writer_get_buf(void)
{
	struct tscope__buf *b = NULL;

	pthread_mutex_lock(&w.pool_lock);
	while (w.pool && !b) {
		b = w.pool;
		w.pool = b->next;
		w.pool_n--;
		if (buf_bytes(b) != w.buf_bytes) {
			buf_free(b);
			b = NULL;
		}
	}
	if (!b)
		b = buf_map(w.buf_bytes);
	pthread_mutex_unlock(&w.pool_lock);
	if (!b)
		return NULL;
	b->next = NULL;
	b->name_changed = 0;
	b->chunk.type = TSF_CHUNK_EVENTS;
	b->chunk.flags = 0;
	memset(&b->head, 0, sizeof(b->head));
	return b;
}

TS_NOINSTR void tscope__writer_put_buf(struct tscope__buf *b)
{
	pthread_mutex_lock(&w.pool_lock);
	if (b->slab || (w.pool_n * w.buf_bytes < POOL_MAX && buf_bytes(b) == w.buf_bytes)) {
		b->next = w.pool;
		w.pool = b;
		w.pool_n++;
		b = NULL;
	}
	pthread_mutex_unlock(&w.pool_lock);
	if (b)
		buf_free(b);
}

/* ---- output --------------------------------------------------------------------- */

/* Write everything or fail with errno set; retries short writes and EINTR. */
static TS_NOINSTR int write_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t r = writev(fd, iov, n);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		while (n > 0 && (size_t)r >= iov->iov_len) {
			r -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + r;
			iov->iov_len -= (size_t)r;
		}
	}
	return 0;
}

static TS_NOINSTR void batch_flush(void);

/* One chunk made of up to three parts, padded to 8 bytes.  Caller holds write_lock and
 * the file is open. */
static TS_NOINSTR int emit(void *ctx, uint32_t type, const void *a, size_t alen, const void *b,
			   size_t blen, const void *c, size_t clen)
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
	if (w.fd < 0)
		return -1;
	batch_flush();
	if (write_all(w.fd, iov, 5) < 0) {
		if (!w.io_error)
			w.io_error = errno ? errno : EIO;
		return -1;
	}
	w.chunks++;
	return 0;
}

static TS_NOINSTR void emit_clock(const struct tsf_clock *c)
{
	emit(NULL, TSF_CHUNK_CLOCK, c, sizeof(*c), NULL, 0, NULL, 0);
	w.last_sync_ns = c->mono_ns;
}

/* The file's name: the configured path with %p replaced by the pid; a forked child
 * whose path has no %p writes PATH.<pid>. */
static TS_NOINSTR void resolve_path(char *out, size_t size)
{
	const char *s = w.cfg.path;
	size_t o = 0;
	int has_pid = 0;

	while (*s && o + 24 < size) {
		if (s[0] == '%' && s[1] == 'p') {
			o += (size_t)snprintf(out + o, size - o, "%d", (int)getpid());
			s += 2;
			has_pid = 1;
		} else {
			out[o++] = *s++;
		}
	}
	out[o] = 0;
	if (w.fork_child && !has_pid)
		snprintf(out + o, size - o, ".%d", (int)getpid());
}

static TS_NOINSTR int file_open(void)
{
	char path[sizeof(w.cfg.path) + 32];
	struct tsf_header h;
	struct tsf_process p = { 0 };
	char exe[PATH_MAX];
	ssize_t n;

	if (w.fd >= 0)
		return 0;
	if (w.open_failed)
		return -1;
	resolve_path(path, sizeof(path));
	if (w.cfg.claim && !w.fork_child) {
		/* Under `tscope record`: the first process of the tree takes PATH; an image
		 * exec()'d later (same pid) finds it taken and writes PATH.<pid>, or
		 * PATH.<pid>.<n> if that is taken too. */
		size_t len = strlen(path);

		for (int k = 0; k < 100; k++) {
			if (k == 1)
				snprintf(path + len, sizeof(path) - len, ".%d", (int)getpid());
			else if (k > 1)
				snprintf(path + len, sizeof(path) - len, ".%d.%d", (int)getpid(), k - 1);
			w.fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
			if (w.fd >= 0 || errno != EEXIST)
				break;
		}
	} else {
		w.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0666);
	}
	if (w.fd < 0) {
		w.open_failed = 1;
		w.io_error = errno;
		tscope__say(path, ": cannot create the trace: ", strerror(errno));
		return -1;
	}
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, TSF_MAGIC, TSF_MAGIC_SIZE);
	h.version = TSF_VERSION;
	h.header_size = sizeof(h);
	h.flags = w.cfg.mode == TSCOPE_MODE_RING ? TSF_HF_RING : 0;
	h.pid = (uint32_t)getpid();
	h.ppid = (uint32_t)getppid();
	h.clock_source = (uint32_t)tscope__clock_source;
	h.start_ticks = w.start.ticks;
	struct iovec iov = { &h, sizeof(h) };
	if (write_all(w.fd, &iov, 1) < 0) {
		w.io_error = errno;
		return -1;
	}
	p.pid = h.pid;
	p.ppid = h.ppid;
	n = readlink("/proc/self/exe", exe, sizeof(exe));
	emit(NULL, TSF_CHUNK_PROCESS, &p, sizeof(p), exe, n > 0 ? (size_t)n : 0, NULL, 0);
	emit_clock(&w.start);
	tscope__maps_write(emit, NULL, TS_MAPS_RESET);
	return 0;
}

/* The writer's own scan: unloads are timed by dlclose(), unless none is under way. */
static TS_NOINSTR void scan_modules(void)
{
	tscope__maps_write(emit, NULL,
			   __atomic_load_n(&w.in_dlclose, __ATOMIC_ACQUIRE) > 0 ? TS_MAPS_ADDS : 0);
}

/* Has this name pointer been written to the file?  Remembers it if not. */
static TS_NOINSTR int name_seen(uint64_t ptr)
{
	size_t i;

	if (w.names_n * 2 >= w.names_cap) {
		size_t cap = w.names_cap ? w.names_cap * 2 : 256;
		uint64_t *t = calloc(cap, sizeof(*t));

		if (!t)
			return 1; /* no memory: the name shows as an address */
		for (i = 0; i < w.names_cap; i++) {
			uint64_t v = w.names[i];
			size_t j = (size_t)(v * 0x9e3779b97f4a7c15u >> 20) & (cap - 1);

			if (!v)
				continue;
			while (t[j])
				j = (j + 1) & (cap - 1);
			t[j] = v;
		}
		free(w.names);
		w.names = t;
		w.names_cap = cap;
	}
	i = (size_t)(ptr * 0x9e3779b97f4a7c15u >> 20) & (w.names_cap - 1);
	while (w.names[i]) {
		if (w.names[i] == ptr)
			return 1;
		i = (i + 1) & (w.names_cap - 1);
	}
	w.names[i] = ptr;
	w.names_n++;
	return 0;
}

/* Write a NAME chunk for every scope-name pointer of b not written before.  The
 * strings are the program's (static storage, by the API's contract). */
static TS_NOINSTR void write_names(const struct tscope__buf *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t word = b->ev[i].word;
		unsigned kind = (unsigned)(word >> TSF_KIND_SHIFT);
		uint64_t ptr = word & TSF_ADDR_MASK;

		if (kind == TSF_KIND_COPY) {
			i += ((word & 0xffff) + 15) / 16;
			continue;
		}
		if (kind != TSF_KIND_BEGIN && kind != TSF_KIND_INSTANT && kind != TSF_KIND_COUNTER)
			continue;
		if (kind == TSF_KIND_COUNTER)
			i++;
		if (ptr && !name_seen(ptr)) {
			const char *s = (const char *)(uintptr_t)ptr;
			struct tsf_name nm = { ptr };

			emit(NULL, TSF_CHUNK_NAME, &nm, sizeof(nm), s, strnlen(s, NAME_MAX_LEN),
			     NULL, 0);
		}
	}
}

/* Write the gathered EVENTS chunks.  Caller holds write_lock. */
static TS_NOINSTR void batch_flush(void)
{
	if (!w.batch_n)
		return;
	if (write_all(w.fd, w.batch, w.batch_n) < 0) {
		if (!w.io_error)
			w.io_error = errno;
		w.lost += w.batch_events + w.batch_lost;
	} else {
		w.chunks += (uint64_t)w.batch_n;
		w.events += w.batch_events;
		w.lost += w.batch_lost;
	}
	w.batch_n = 0;
	w.batch_events = w.batch_lost = 0;
}

#ifdef HAVE_LZ4
/* Grow a scratch buffer to size bytes; 0 on success. */
static TS_NOINSTR int scratch_grow(char **buf, size_t *have, size_t size)
{
	if (size <= *have)
		return 0;
	free(*buf);
	*buf = malloc(size);
	*have = *buf ? size : 0;
	return *buf ? 0 : -1;
}

/*
 * Write b's EVENTS chunk compressed: the slots packed (pack.h), then header and packed
 * slots LZ4-compressed.  Packing first makes LZ4's input about 8 times smaller, so the
 * writer keeps up with the recording threads.  Returns -1 to have the chunk written
 * plain instead.
 */
static TS_NOINSTR int write_lz4(struct tscope__buf *b, size_t n)
{
	static const uint64_t zero;
	size_t packed = sizeof(b->head) + n * PACK_MAX_SLOT, psize;
	int bound = LZ4_compressBound((int)packed), csize;
	struct tsf_chunk ch = b->chunk;
	struct iovec iov[3];

	if (scratch_grow(&w.packed, &w.packed_size, packed) < 0 ||
	    scratch_grow(&w.scratch, &w.scratch_size, (size_t)bound) < 0)
		return -1;
	memcpy(w.packed, &b->head, sizeof(b->head));
	psize = tscope__pack_encode(b->ev, n, (uint8_t *)w.packed + sizeof(b->head),
			    packed - sizeof(b->head));
	ch.flags = TSF_CF_LZ4;
	if (psize && sizeof(b->head) + psize < b->chunk.size) {
		ch.flags |= TSF_CF_PACK;
		psize += sizeof(b->head);
		csize = LZ4_compress_default(w.packed, w.scratch, (int)psize, bound);
	} else {
		csize = LZ4_compress_default((const char *)&b->head, w.scratch,
					     (int)b->chunk.size, bound);
	}
	if (csize <= 0 || (uint32_t)csize >= b->chunk.size)
		return -1;
	ch.size = (uint32_t)csize;
	iov[0] = (struct iovec){ &ch, sizeof(ch) };
	iov[1] = (struct iovec){ w.scratch, (size_t)csize };
	iov[2] = (struct iovec){ (void *)(uintptr_t)&zero, TSF_ALIGN8((size_t)csize) - (size_t)csize };
	if (write_all(w.fd, iov, 3) < 0) {
		if (!w.io_error)
			w.io_error = errno;
		w.lost += n + b->head.lost;
	} else {
		w.chunks++;
		w.events += n;
		w.lost += b->head.lost;
	}
	return 0;
}
#endif

/* Write one buffer: names, thread name, events.  Plain EVENTS chunks are gathered
 * into the batch, so b must not be reused before batch_flush().  Caller holds
 * write_lock. */
static TS_NOINSTR void write_buf(struct tscope__buf *b)
{
	size_t n = (b->chunk.size - sizeof(b->head)) / sizeof(struct tsf_event);

	if (file_open() < 0) {
		w.lost += n + b->head.lost;
		return;
	}
	write_names(b, n);
	if (b->name_changed) {
		struct tsf_thread th = { b->head.tid, (uint32_t)getpid(), tscope__clock_slow() };

		emit(NULL, TSF_CHUNK_THREAD, &th, sizeof(th), b->name,
		     strnlen(b->name, TS_NAME_MAX - 1), NULL, 0);
	}
#ifdef HAVE_LZ4
	if (w.cfg.compress) {
		batch_flush();
		if (write_lz4(b, n) == 0)
			return;
	}
#endif
	if (w.batch_n == BATCH_MAX)
		batch_flush();
	w.batch[w.batch_n].iov_base = &b->chunk;
	w.batch[w.batch_n].iov_len = sizeof(b->chunk) + b->chunk.size;
	w.batch_n++;
	w.batch_events += n;
	w.batch_lost += b->head.lost;
}

/* Write out everything queued so far, in the order it was queued. */
static TS_NOINSTR void drain(void)
{
	struct tscope__buf *list, *next, *fifo = NULL, *done = NULL;
	size_t bytes = 0;
	int n = 0;

	pthread_mutex_lock(&w.write_lock);
	list = __atomic_exchange_n(&w.queue, NULL, __ATOMIC_ACQUIRE);
	for (; list; list = next) {
		next = list->next;
		list->next = fifo;
		fifo = list;
	}
	for (; fifo; fifo = next) {
		next = fifo->next;
		bytes += buf_bytes(fifo);
		write_buf(fifo);
		fifo->next = done;
		done = fifo;
		if (++n == BATCH_MAX || !next) {
			batch_flush();
			for (; done; done = list) {
				list = done->next;
				tscope__writer_put_buf(done);
			}
			n = 0;
		}
	}
	if (w.fd >= 0 && mono_ns() - w.last_sync_ns >= CLOCK_EVERY) {
		struct tsf_clock c;

		tscope__clock_sync(&c);
		emit_clock(&c);
		scan_modules();
	}
	pthread_mutex_unlock(&w.write_lock);
	if (bytes) {
		__atomic_sub_fetch(&w.queued, bytes, __ATOMIC_RELEASE);
		pthread_mutex_lock(&w.pool_lock);
		pthread_cond_broadcast(&w.drained);
		pthread_mutex_unlock(&w.pool_lock);
	}
}

/* Writer thread: map buffers ahead of demand, so that a thread whose buffer fills
 * takes a ready one instead of mapping and faulting in memory itself. */
static TS_NOINSTR void keep_spares(void)
{
	pthread_mutex_lock(&w.pool_lock);
	while (w.active && w.pool_n < POOL_SPARE) {
		struct tscope__buf *b = buf_map(w.buf_bytes);

		if (!b)
			break;
		b->next = w.pool;
		w.pool = b;
		w.pool_n++;
	}
	pthread_mutex_unlock(&w.pool_lock);
}

static TS_NOINSTR void *writer_main(void *arg)
{
	(void)arg;
	tscope__self.ignore = 1; /* nothing this thread runs is the program's */
	for (;;) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += CLOCK_EVERY;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		while (sem_timedwait(&w.wake, &ts) < 0 && errno == EINTR)
			;
		if (__atomic_exchange_n(&w.snapshot_req, 0, __ATOMIC_ACQ_REL))
			tscope_snapshot();
		drain();
		keep_spares();
		if (__atomic_load_n(&w.thread_stop, __ATOMIC_ACQUIRE) &&
		    !__atomic_load_n(&w.queue, __ATOMIC_ACQUIRE))
			return NULL;
	}
}

/* From a signal handler: have the writer thread take a snapshot. */
TS_NOINSTR void tscope__writer_request_snapshot(void)
{
	__atomic_store_n(&w.snapshot_req, 1, __ATOMIC_RELEASE);
	if (w.wake_ready)
		sem_post(&w.wake);
}

/* Start the writer thread with every signal blocked: the program's signals are for
 * the program's threads.  Caller holds wake_lock. */
static TS_NOINSTR void writer_start(void)
{
	sigset_t all, old;
	pthread_attr_t attr;

	if (!w.wake_ready)
		w.wake_ready = sem_init(&w.wake, 0, 0) == 0;
	if (!w.wake_ready)
		return;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256u << 10);
	w.thread_stop = 0;
	__atomic_store_n(&w.thread_running,
			 pthread_create(&w.thread, &attr, writer_main, NULL) == 0, __ATOMIC_RELEASE);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

TS_NOINSTR void tscope__writer_submit(struct tscope__buf *b)
{
	struct tscope__buf *head = __atomic_load_n(&w.queue, __ATOMIC_RELAXED);
	size_t bytes = buf_bytes(b);
	size_t queued;

	do
		b->next = head;
	while (!__atomic_compare_exchange_n(&w.queue, &head, b, 1, __ATOMIC_RELEASE,
					    __ATOMIC_RELAXED));
	queued = __atomic_add_fetch(&w.queued, bytes, __ATOMIC_ACQ_REL);
	if (!__atomic_load_n(&w.thread_running, __ATOMIC_ACQUIRE)) {
		pthread_mutex_lock(&w.wake_lock);
		if (!w.thread_running && w.active)
			writer_start();
		pthread_mutex_unlock(&w.wake_lock);
	}
	if (!__atomic_load_n(&w.thread_running, __ATOMIC_ACQUIRE)) {
		drain(); /* no writer thread could be had: write it ourselves */
		return;
	}
	if (!head)
		sem_post(&w.wake);
	if (queued > QUEUE_MAX && !pthread_equal(w.thread, pthread_self())) {
		pthread_mutex_lock(&w.pool_lock);
		while (__atomic_load_n(&w.queued, __ATOMIC_ACQUIRE) > QUEUE_MAX / 2)
			pthread_cond_wait(&w.drained, &w.pool_lock);
		pthread_mutex_unlock(&w.pool_lock);
	}
}

/* ---- sessions ------------------------------------------------------------------- */

static TS_NOINSTR void session_reset(const struct tscope__config *cfg)
{
	size_t bytes;

	w.cfg = *cfg;
	w.fd = -1;
	w.open_failed = 0;
	w.io_error = 0;
	w.chunks = w.events = w.lost = 0;
	w.names_n = 0;
	if (w.names)
		memset(w.names, 0, w.names_cap * sizeof(*w.names));
	pthread_mutex_lock(&w.pool_lock);
	/* Ring mode: a thread's ring of TS_RING_BLOCKS buffers is buffer_bytes in all,
	 * each buffer at least 64 slots. */
	bytes = cfg->buffer_bytes;
	if (cfg->mode == TSCOPE_MODE_RING)
		bytes = bytes / TS_RING_BLOCKS < 1024 ? 1024 : bytes / TS_RING_BLOCKS;
	w.buf_bytes = bytes & ~(size_t)(sizeof(struct tsf_event) - 1);
	pthread_mutex_unlock(&w.pool_lock);
	tscope__clock_sync(&w.start);
}

TS_NOINSTR int tscope__writer_open(const struct tscope__config *cfg, int lazy)
{
	int rc = 0;

	pthread_mutex_lock(&w.write_lock);
	session_reset(cfg);
	w.active = 1;
	if (cfg->snapshot_signal) {
		/* the signal's handler can only post: the thread must be there */
		pthread_mutex_lock(&w.wake_lock);
		if (!w.thread_running)
			writer_start();
		pthread_mutex_unlock(&w.wake_lock);
	}
	if (!lazy && file_open() < 0) {
		w.active = 0;
		if (w.fd >= 0)
			close(w.fd);
		w.fd = -1;
		rc = TSCOPE_EIO;
	}
	pthread_mutex_unlock(&w.write_lock);
	return rc;
}

/* dlclose() is about to unload objects (after_dlclose 0) or has just done so (1): bring
 * the file's list of objects up to date now, not at the writer's next wake-up. */
TS_NOINSTR void tscope__writer_modules(int after_dlclose)
{
	pthread_mutex_lock(&w.write_lock);
	if (w.active && file_open() == 0)
		tscope__maps_write(emit, NULL, after_dlclose ? TS_MAPS_EXACT : 0);
	/* meanwhile the writer's scans leave unloads to this one */
	if (after_dlclose)
		__atomic_sub_fetch(&w.in_dlclose, 1, __ATOMIC_RELEASE);
	else
		__atomic_add_fetch(&w.in_dlclose, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&w.write_lock);
}

/* Let tscope_start() take over a session whose file does not exist yet. */
TS_NOINSTR int tscope__writer_retarget(const struct tscope__config *cfg)
{
	int rc = -1;

	pthread_mutex_lock(&w.write_lock);
	if (w.active && w.fd < 0 && !w.open_failed) {
		struct tsf_clock start = w.start;

		session_reset(cfg);
		w.start = start;
		rc = file_open() < 0 ? TSCOPE_EIO : 0;
	}
	pthread_mutex_unlock(&w.write_lock);
	return rc;
}

TS_NOINSTR int tscope__writer_sync(void)
{
	drain();
	return w.io_error ? TSCOPE_EIO : 0;
}

/* Everything queued goes out, then the last sync point and the END chunk. */
TS_NOINSTR int tscope__writer_close(void)
{
	struct tsf_clock c;
	struct tsf_end end = { 0 };
	int rc;

	if (!w.active)
		return 0;
	pthread_mutex_lock(&w.wake_lock);
	if (w.thread_running) {
		__atomic_store_n(&w.thread_stop, 1, __ATOMIC_RELEASE);
		sem_post(&w.wake);
		if (!pthread_equal(w.thread, pthread_self()))
			pthread_join(w.thread, NULL);
		__atomic_store_n(&w.thread_running, 0, __ATOMIC_RELEASE);
		w.thread_stop = 0;
	}
	pthread_mutex_unlock(&w.wake_lock);
	drain();
	pthread_mutex_lock(&w.write_lock);
	if (file_open() == 0) {
		scan_modules();
		tscope__clock_sync(&c);
		emit_clock(&c);
		end.chunks = w.chunks;
		end.events = w.events;
		end.lost = w.lost;
		emit(NULL, TSF_CHUNK_END, &end, sizeof(end), NULL, 0, NULL, 0);
	}
	if (w.fd >= 0)
		close(w.fd);
	w.fd = -1;
	w.active = 0;
	rc = w.io_error ? TSCOPE_EIO : 0;
	pthread_mutex_unlock(&w.write_lock);
	return rc;
}

/* ---- fork ------------------------------------------------------------------------ */

/*
 * Only the short locks are held across fork(): the pool's list and the writer
 * thread's start and stop must be consistent in the child.  write_lock is not taken
 * (a drain may hold it for long); the child resets everything it protects.
 */
TS_NOINSTR void tscope__writer_atfork_prepare(void)
{
	pthread_mutex_lock(&w.wake_lock);
	pthread_mutex_lock(&w.pool_lock);
}

TS_NOINSTR void tscope__writer_atfork_parent(void)
{
	pthread_mutex_unlock(&w.pool_lock);
	pthread_mutex_unlock(&w.wake_lock);
}

/* The child has no writer thread, and what is queued is the parent's to write. */
TS_NOINSTR void tscope__writer_atfork_child(void)
{
	struct tscope__buf *b, *next;

	/* write_lock may be held by the writer thread, gone in the child; the other two
	 * were taken by this thread in prepare */
	pthread_mutex_init(&w.write_lock, NULL);
	pthread_mutex_unlock(&w.pool_lock);
	pthread_mutex_unlock(&w.wake_lock);
	pthread_cond_init(&w.drained, NULL);
	w.wake_ready = sem_init(&w.wake, 0, 0) == 0;
	for (b = w.queue; b; b = next) {
		next = b->next;
		buf_free(b);
	}
	w.queue = NULL;
	w.queued = 0;
	w.thread_running = 0;
	w.thread_stop = 0;
	w.snapshot_req = 0;
	w.in_dlclose = 0;
	/* what write_lock guards may be half-done: start afresh (the old name table
	 * and compression buffer are left to the parent's copy of the heap) */
	w.batch_n = 0;
	w.batch_events = w.batch_lost = 0;
	w.names = NULL;
	w.names_cap = w.names_n = 0;
	w.scratch = NULL;
	w.scratch_size = 0;
	w.packed = NULL;
	w.packed_size = 0;
	if (w.fd >= 0)
		close(w.fd);
	w.fork_child = 1;
	if (w.active) {
		struct tscope__config cfg = w.cfg;

		session_reset(&cfg);
	} else {
		w.fd = -1;
	}
}
