/* SPDX-License-Identifier: MIT */
/*
 * writer.c - the hand-over of full buffers, and the background thread that writes them.
 *
 * A thread whose buffer is full pushes it on a lock-free queue (a stack, newest
 * first) and takes an empty one from the pool; the writer thread empties the queue
 * into the file, oldest first.  So a recording thread never waits for write(), and
 * threads never wait for each other, except when the writer falls behind by more than
 * QUEUE_MAX bytes: then producers wait for it rather than lose events (stream mode is
 * lossless).  Where no thread can be started, the producer writes itself.
 *
 * The writer thread runs with every signal blocked and records nothing.  It wakes on
 * a semaphore (producers, stop, the snapshot signal) or every CLOCK_EVERY ns, for the
 * file's sync points and scans of the loaded objects.
 * Runs inside the traced program: never prints, never exits.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "tscope-int.h"
#include "clock.h"

#define QUEUE_MAX   (64u << 20) /* bytes queued before producers wait */
#define CLOCK_EVERY 100000000u  /* ns between the writer's wake-ups while idle */

static struct {
	int active; /* a session is open (the file may not be yet) */

	struct tscope__buf *queue; /* lock-free stack, newest first */
	struct tscope__buf *held;  /* handed over with a slot still being written; oldest first */
	size_t queued;             /* bytes in the queue */
	pthread_mutex_t queue_lock;
	pthread_cond_t drained; /* queue fell below QUEUE_MAX / 2 */

	pthread_mutex_t wake_lock; /* starting and stopping the writer thread */
	sem_t wake;                /* posted by producers, stop and the snapshot signal */
	sem_t started;		   /* posted by the writer thread once it runs its own code */
	int wake_ready;
	pthread_t thread;
	int thread_running;
	int thread_stop;
	int snapshot_req;          /* set by the snapshot signal's handler */
	void (*snapshot)(void);    /* what the writer thread calls for it */
	int control_req;	   /* set by the control signal's handler (tscope ctl) */
	void (*control)(void);	   /* what the writer thread calls for it */
	int in_dlclose;            /* dlclose() calls between their two scans */
	uint64_t lost;             /* events lost with no buffer to count them in */
	uint64_t waited_ns;	   /* producers waited for the queue to drain, in all */
} w = {
	.queue_lock = PTHREAD_MUTEX_INITIALIZER,
	.drained = PTHREAD_COND_INITIALIZER,
	.wake_lock = PTHREAD_MUTEX_INITIALIZER,
};

/* n events were lost where no buffer could be had even to count them: the END chunk
 * counts them. */
TS_NOINSTR void tscope__writer_lost(uint64_t n)
{
	__atomic_add_fetch(&w.lost, n, __ATOMIC_RELAXED);
}

/* How the writer's own scans treat unloads: a dlclose() under way times them. */
static TS_NOINSTR int scan_how(void)
{
	return __atomic_load_n(&w.in_dlclose, __ATOMIC_ACQUIRE) > 0 ? TS_MAPS_ADDS : 0;
}

/*
 * Write out everything queued so far, in the order it was queued, after the buffers
 * held back last time.  A buffer with an event still being written (by a hook a signal
 * handler interrupted) is held back until it is done; at the end (final) it is written
 * up to that event (see tscope__file_write_list()).
 */
static TS_NOINSTR void drain(int final)
{
	struct tscope__buf *list, *next, *fifo = NULL;
	size_t bytes;

	tscope__file_lock();
	list = __atomic_exchange_n(&w.queue, NULL, __ATOMIC_ACQUIRE);
	for (; list; list = next) {
		next = list->next;
		list->next = fifo;
		fifo = list;
	}
	for (list = w.held; list && list->next; list = list->next)
		;
	if (list) {
		list->next = fifo;
		fifo = w.held;
	}
	bytes = tscope__file_write_list(fifo, final, &w.held);
	tscope__file_tick(scan_how());
	tscope__file_unlock();
	if (bytes) {
		__atomic_sub_fetch(&w.queued, bytes, __ATOMIC_RELEASE);
		pthread_mutex_lock(&w.queue_lock);
		pthread_cond_broadcast(&w.drained);
		pthread_mutex_unlock(&w.queue_lock);
	}
}

static TS_NOINSTR void *writer_main(void *arg)
{
	(void)arg;
	tscope__self.ignore = 1; /* nothing this thread runs is the program's */
	sem_post(&w.started);
	for (;;) {
		struct timespec ts;
		uint64_t next = tscope__control_window(tscope__mono_ns());

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += next && next < CLOCK_EVERY ? (long)next : CLOCK_EVERY;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		while (sem_timedwait(&w.wake, &ts) < 0 && errno == EINTR)
			;
		if (__atomic_exchange_n(&w.snapshot_req, 0, __ATOMIC_ACQ_REL) && w.snapshot)
			w.snapshot();
		if (__atomic_exchange_n(&w.control_req, 0, __ATOMIC_ACQ_REL) && w.control)
			w.control();
		drain(0);
		tscope__pool_keep_spares(__atomic_load_n(&w.active, __ATOMIC_RELAXED));
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

/* From a signal handler: have the writer thread serve the control requests.  Returns 0
 * when there is no writer thread to do it (no session). */
TS_NOINSTR int tscope__writer_request_control(void)
{
	if (!__atomic_load_n(&w.thread_running, __ATOMIC_ACQUIRE) ||
	    __atomic_load_n(&w.thread_stop, __ATOMIC_ACQUIRE) || !w.wake_ready)
		return 0;
	__atomic_store_n(&w.control_req, 1, __ATOMIC_RELEASE);
	sem_post(&w.wake);
	return 1;
}

/*
 * Start the writer thread with every signal blocked: the program's signals are for
 * the program's threads.  Returns once the thread runs writer_main(): a fork() (whose
 * prepare handler takes wake_lock) then never copies a thread that is starting, which
 * may hold a lock of the C library's or a sanitizer's allocator (AddressSanitizer's
 * thread start allocates).  Caller holds wake_lock.
 */
static TS_NOINSTR void writer_start(void)
{
	sigset_t all, old;
	pthread_attr_t attr;
	int rc;

	if (!w.wake_ready)
		w.wake_ready = sem_init(&w.wake, 0, 0) == 0 && sem_init(&w.started, 0, 0) == 0;
	if (!w.wake_ready)
		return;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256u << 10);
	w.thread_stop = 0;
	rc = pthread_create(&w.thread, &attr, writer_main, NULL);
	__atomic_store_n(&w.thread_running, rc == 0, __ATOMIC_RELEASE);
	pthread_attr_destroy(&attr);
	while (rc == 0 && sem_wait(&w.started) < 0 && errno == EINTR)
		;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Queue b for the writer.  Returns how long the caller waited for the queue to drain
 * (the disk not keeping up), in ns. */
static TS_NOINSTR uint64_t queue_push(struct tscope__buf *b)
{
	struct tscope__buf *head = __atomic_load_n(&w.queue, __ATOMIC_RELAXED);
	size_t bytes = tscope__buf_bytes(b);
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
		drain(0); /* no writer thread could be had: write it ourselves */
		return 0;
	}
	if (!head)
		sem_post(&w.wake);
	if (queued > QUEUE_MAX && !pthread_equal(w.thread, pthread_self())) {
		uint64_t t0 = tscope__mono_ns(), waited;
		sigset_t old;

		tscope__signals_hold(&old);
		pthread_mutex_lock(&w.queue_lock);
		while (__atomic_load_n(&w.queued, __ATOMIC_ACQUIRE) > QUEUE_MAX / 2)
			pthread_cond_wait(&w.drained, &w.queue_lock);
		pthread_mutex_unlock(&w.queue_lock);
		tscope__signals_release(&old);
		waited = tscope__mono_ns() - t0;
		__atomic_add_fetch(&w.waited_ns, waited, __ATOMIC_RELAXED);
		return waited;
	}
	return 0;
}

/* Hand over b, which holds n events of thread t, to be written.  May wait, when the
 * writer is QUEUE_MAX behind.  Caller owns t. */
TS_NOINSTR void tscope__writer_submit(struct tscope__thread *t, struct tscope__buf *b, size_t n,
				     uint32_t flags)
{
	b->head.tid = t->tid;
	b->head.flags = flags | (t->resumed ? TSF_EF_RESUMED : 0);
	t->resumed = 0;
	b->head.seq = t->seq++;
	if (t->buf && t->buf != b) /* its successor, installed first (refill) */
		t->buf->salvage_seq = t->seq;
	b->chunk.size = b->chunk.raw_size =
		(uint32_t)(sizeof(b->head) + n * sizeof(struct tsf_event));
	b->name_changed = 0;
	if (t->name_changed) {
		memcpy(b->name, t->name, sizeof(b->name));
		b->name_changed = 1;
		t->name_changed = 0;
	}
	b->head.waited_ns = t->waited_ns;
	tscope__buf_state(b, TSF_SB_QUEUED);
	t->waited_ns = queue_push(b);
}

/* The buffers of a new session: in ring mode a thread's ring of TS_RING_BLOCKS buffers
 * is buffer_bytes in all, each buffer at least 64 slots. */
static TS_NOINSTR void session_reset(const struct tscope__config *cfg, int keep_start)
{
	size_t bytes = cfg->buffer_bytes;

	if (cfg->mode == TSCOPE_MODE_RING)
		bytes = bytes / TS_RING_BLOCKS < 1024 ? 1024 : bytes / TS_RING_BLOCKS;
	tscope__pool_reset(bytes);
	tscope__shm_session(cfg);
	tscope__file_reset(cfg, keep_start);
	tscope__filter_reset(cfg);
}

/*
 * Open a session: the file is created now, or at the first write when lazy.
 * snapshot is what the snapshot signal calls, on the writer thread, and control what
 * the control signal does.  Returns 0 or TSCOPE_EIO.
 */
TS_NOINSTR int tscope__writer_open(const struct tscope__config *cfg, int lazy,
				   void (*snapshot)(void), void (*control)(void))
{
	int rc = 0;

	tscope__file_lock();
	session_reset(cfg, 0);
	w.snapshot = snapshot;
	w.control = control;
	__atomic_store_n(&w.active, 1, __ATOMIC_RELAXED);
	if (cfg->snapshot_signal || cfg->control_signal || cfg->delay_ns || cfg->duration_ns) {
		/* the signals' handlers can only post, and the window needs its wake-ups:
		 * the thread must be there */
		pthread_mutex_lock(&w.wake_lock);
		if (!w.thread_running)
			writer_start();
		pthread_mutex_unlock(&w.wake_lock);
	}
	if (!lazy && tscope__file_open() < 0) {
		__atomic_store_n(&w.active, 0, __ATOMIC_RELAXED);
		rc = TSCOPE_EIO;
	}
	tscope__file_unlock();
	return rc;
}

/* dlclose() is about to unload objects (after_dlclose 0) or has just done so (1; it
 * did unload some): bring the file's list of objects up to date now, not at the
 * writer's next wake-up. */
TS_NOINSTR void tscope__writer_modules(int after_dlclose, int unloaded)
{
	tscope__file_lock();
	if (w.active)
		tscope__file_scan(after_dlclose ? TS_MAPS_EXACT : 0);
	if (unloaded)
		tscope__filter_forget(); /* what is at those addresses now is named anew */
	/* meanwhile the writer's scans leave unloads to this one */
	if (after_dlclose)
		__atomic_sub_fetch(&w.in_dlclose, 1, __ATOMIC_RELEASE);
	else
		__atomic_add_fetch(&w.in_dlclose, 1, __ATOMIC_RELEASE);
	tscope__file_unlock();
}

/* Let tscope_start() take over a session whose file does not exist yet. */
TS_NOINSTR int tscope__writer_retarget(const struct tscope__config *cfg)
{
	int rc = -1;

	tscope__file_lock();
	if (w.active && !tscope__file_is_open() && !tscope__file_failed()) {
		session_reset(cfg, 1);
		rc = tscope__file_open() < 0 ? TSCOPE_EIO : 0;
	}
	tscope__file_unlock();
	return rc;
}

TS_NOINSTR int tscope__writer_sync(void)
{
	drain(0);
	return tscope__file_error() ? TSCOPE_EIO : 0;
}

/* Everything queued goes out, then the last sync point and the END chunk; before
 * exec() (for_exec), a file that holds no event is given back instead. */
TS_NOINSTR int tscope__writer_close(int for_exec)
{
	uint64_t lost, waited;
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
	drain(1);
	tscope__file_lock();
	lost = __atomic_exchange_n(&w.lost, 0, __ATOMIC_RELAXED);
	waited = __atomic_exchange_n(&w.waited_ns, 0, __ATOMIC_RELAXED);
	rc = for_exec ? tscope__file_close_exec(scan_how(), lost, waited)
		      : tscope__file_close(scan_how(), lost, waited);
	tscope__shm_done();
	__atomic_store_n(&w.active, 0, __ATOMIC_RELAXED);
	tscope__file_unlock();
	return rc;
}

/*
 * Only the short locks are held across fork(): the pool's list and the writer
 * thread's start and stop must be consistent in the child.  The file's lock is not
 * taken (a drain may hold it for long); the child resets everything it protects.
 */
TS_NOINSTR void tscope__writer_atfork_prepare(void)
{
	pthread_mutex_lock(&w.wake_lock);
	tscope__pool_atfork_prepare();
}

TS_NOINSTR void tscope__writer_atfork_parent(void)
{
	tscope__pool_atfork_parent();
	pthread_mutex_unlock(&w.wake_lock);
}

/* The child has no writer thread, and what is queued is the parent's to write.
 * Returns tscope__pool_atfork_child()'s answer: the buffers are gone. */
TS_NOINSTR int tscope__writer_atfork_child(void)
{
	struct tscope__buf *b, *next;
	int forgot = tscope__pool_atfork_child();

	pthread_mutex_unlock(&w.wake_lock);
	pthread_mutex_init(&w.queue_lock, NULL);
	pthread_cond_init(&w.drained, NULL);
	w.wake_ready = sem_init(&w.wake, 0, 0) == 0 && sem_init(&w.started, 0, 0) == 0;
	for (b = forgot ? NULL : w.queue; b; b = next) {
		next = b->next;
		tscope__pool_free(b);
	}
	w.queue = NULL;
	w.held = NULL; /* the parent's, and perhaps still being written: left alone */
	w.queued = 0;
	w.thread_running = 0;
	w.thread_stop = 0;
	w.snapshot_req = 0;
	w.control_req = 0;
	w.in_dlclose = 0;
	tscope__file_atfork_child(w.active);
	return forgot;
}
