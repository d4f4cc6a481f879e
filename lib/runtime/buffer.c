/* SPDX-License-Identifier: MIT */
/*
 * buffer.c - the cold path of every event: threads, their buffers, the hand-over.
 *
 * A thread's first event registers it (its OS thread id, its name, a place in the
 * registry and a key whose destructor flushes it at exit).  A thread whose buffer is
 * full, or whose end was lowered by a controller, lands in tscope__slow(): it hands the
 * full buffer to the writer, takes an empty one and records the event itself.
 *
 * Invariants:
 *  - Only the owner of t's busy flag (t itself in its cold path, or a controller
 *    flushing it) touches t's buffer; only t moves t->pos.
 *  - end is either NULL (take the cold path) or the true end of the current buffer,
 *    and is opened only after the state was seen running, then checked again.
 *  - The cold path never takes the control lock, and takes the registry lock only
 *    without busy, so a controller holding both may wait for a thread's busy.
 * Runs inside the traced program: every function here is cold, never instrumented.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tscope-int.h"
#include "clock.h"

TS_NOINSTR uint32_t tscope__gettid(void)
{
	return (uint32_t)syscall(SYS_gettid);
}

TS_NOINSTR void tscope__read_comm(struct tscope__thread *t)
{
	char name[TS_NAME_MAX] = "";

	if (t->name_api)
		return;
	if (prctl(PR_GET_NAME, name, 0, 0, 0) == 0 && strcmp(name, t->name) != 0) {
		strcpy(t->name, name);
		t->name_changed = 1;
	}
}

/* Take t's busy flag: the thread itself (TS_BUSY_SELF) or a controller (TS_BUSY_OTHER). */
TS_NOINSTR int tscope__try_own(struct tscope__thread *t)
{
	int free_ = 0;

	return __atomic_compare_exchange_n(&t->busy, &free_,
					   t == &tscope__self ? TS_BUSY_SELF : TS_BUSY_OTHER, 0,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/*
 * The cold path takes its own thread's busy flag.  When the flag is held already, by
 * the thread itself, either a signal handler has interrupted a cold path below us on
 * the stack (we are deeper: the event cannot be recorded, and is counted), or a
 * handler jumped out of a cold path long ago (siglongjmp, pthread_exit): the holder's
 * frame is gone, we are above it, and the flag is taken over.  sp is our frame.
 */
static TS_NOINSTR int own_self(struct tscope__thread *t, uintptr_t sp)
{
	if (!tscope__try_own(t)) {
		if (__atomic_load_n(&t->busy, __ATOMIC_RELAXED) != TS_BUSY_SELF ||
		    sp <= t->busy_sp || sp - t->busy_sp > TS_STACK_NEAR) {
			__atomic_add_fetch(&t->nest_lost, 1, __ATOMIC_RELAXED);
			return 0;
		}
	}
	t->busy_sp = sp;
	return 1;
}

TS_NOINSTR void tscope__own(struct tscope__thread *t)
{
	while (!tscope__try_own(t))
		sched_yield();
}

TS_NOINSTR void tscope__release(struct tscope__thread *t)
{
	__atomic_store_n(&t->busy, 0, __ATOMIC_RELEASE);
}

/* A fresh buffer for t, or 0 with the event counted as lost.  Caller owns t. */
TS_NOINSTR int tscope__refill(struct tscope__thread *t)
{
	struct tscope__buf *b;

	if (tscope__rt.ring)
		return tscope__ring_advance(t);
	if (t->buf) {
		tscope__writer_submit(t, t->buf, (size_t)(t->pos - t->buf->ev), 0);
		t->buf = NULL;
		t->pos = t->limit = NULL;
		TS_STORE(t->end, NULL); /* until there is a buffer again */
	}
	b = tscope__pool_get();
	if (!b)
		return 0;
	b->head.lost = t->lost;
	t->lost = 0;
	t->buf = b;
	t->pos = b->ev;
	t->limit = b->ev + b->cap;
	return 1;
}

/* Let go of t's buffers without writing them (they are another session's, or were
 * recorded before a fork).  Caller owns t. */
TS_NOINSTR void tscope__drop_buffers(struct tscope__thread *t)
{
	if (t->ring[0]) {
		tscope__ring_free(t);
	} else if (t->buf) {
		tscope__pool_put(t->buf);
		t->buf = NULL;
	}
	t->pos = t->limit = NULL;
	TS_STORE(t->end, NULL);
}

/*
 * Open t's fast path: only for a clock the hooks can read inline, and only while
 * running.  The state is looked at again after: a pause or stop that raced with us has
 * lowered end, or will see the end we stored (both sides use sequentially consistent
 * accesses).  Caller owns t.
 */
TS_NOINSTR void tscope__open_fast_path(struct tscope__thread *t)
{
	if (tscope__clock_source != TS_CLOCK_NATIVE || !t->buf)
		return;
	__atomic_store_n(&t->end, t->limit, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&tscope__rt.state, __ATOMIC_SEQ_CST) != TS_RUNNING)
		TS_STORE(t->end, NULL);
}

/* First event of a thread in this process: give it an id and a place in the list. */
static TS_NOINSTR void thread_register(struct tscope__thread *t)
{
	t->tid = tscope__gettid();
	tscope__read_comm(t);
	pthread_mutex_lock(&tscope__rt.registry);
	t->next = tscope__rt.threads;
	tscope__rt.threads = t;
	t->listed = 1;
	pthread_mutex_unlock(&tscope__rt.registry);
	pthread_setspecific(tscope__rt.key, t);
}

/* Join session gen: what the buffer holds belongs to an earlier session, which has
 * already taken it.  Caller owns t. */
static TS_NOINSTR void thread_attach(struct tscope__thread *t, unsigned gen)
{
	tscope__drop_buffers(t);
	t->seq = 0;
	t->lost = 0;
	t->name_changed = 1;
	t->gen = gen;
}

TS_COLD TS_NOINSTR void tscope__slow(const struct tsf_event *ev, unsigned n)
{
	struct tscope__thread *t = &tscope__self;
	int saved_errno, cancel, type;
	unsigned gen;

	if (TS_UNLIKELY(!__atomic_load_n(&tscope__rt.inited, __ATOMIC_ACQUIRE))) {
		if (t->busy || t->ignore)
			return;
		tscope__init_once();
	}
	if (__atomic_load_n(&tscope__rt.state, __ATOMIC_ACQUIRE) != TS_RUNNING || t->ignore)
		return;
	saved_errno = errno;
	/* No cancellation in here: an asynchronous one would leave locks and the busy
	 * flag held.  One that arrives meanwhile acts on the way out. */
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
	pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &type);
	if (!t->listed) {
		t->ignore = 1; /* what registration calls is not the program's doing */
		thread_register(t);
		t->ignore = 0;
	}
	if (!own_self(t, (uintptr_t)__builtin_frame_address(0)))
		goto out_cancel;
	gen = __atomic_load_n(&tscope__rt.gen, __ATOMIC_ACQUIRE);
	if (__atomic_load_n(&tscope__rt.state, __ATOMIC_SEQ_CST) != TS_RUNNING)
		goto out;
	if (t->gen != gen)
		thread_attach(t, gen);
	t->lost += __atomic_exchange_n(&t->nest_lost, 0, __ATOMIC_RELAXED);
	if (!t->buf || (size_t)(t->limit - t->pos) < n) {
		/* an event wider than a whole buffer (a long copied name in a tiny
		 * buffer) cannot be recorded either */
		if (!tscope__refill(t) || (size_t)(t->limit - t->pos) < n) {
			t->lost += n;
			goto out;
		}
	}
	t->pos[0].time = tscope__clock_slow();
	t->pos[0].word = ev[0].word;
	if (n > 1)
		memcpy(&t->pos[1], &ev[1], (n - 1) * sizeof(*ev));
	TS_STORE(t->pos, t->pos + n);
	tscope__open_fast_path(t);
out:
	tscope__release(t);
out_cancel:
	pthread_setcanceltype(type, NULL);
	pthread_setcancelstate(cancel, NULL);
	errno = saved_errno;
}

TS_COLD TS_NOINSTR void tscope__slow1(uint64_t word)
{
	struct tsf_event ev = { 0, word };

	tscope__slow(&ev, 1);
}

/* Lower every thread's end so that all of them take the cold path.  Caller holds
 * registry. */
TS_NOINSTR void tscope__close_fast_paths(void)
{
	for (struct tscope__thread *t = tscope__rt.threads; t; t = t->next)
		__atomic_store_n(&t->end, NULL, __ATOMIC_SEQ_CST);
}

/*
 * Hand over what thread t recorded in the current session.  The caller is t itself,
 * or a controller while t may still run: then t's buffer is copied, not taken, since
 * t may be between its check of end and its store.  Caller owns t.
 */
TS_NOINSTR void tscope__flush_thread(struct tscope__thread *t, int self, uint32_t flags)
{
	struct tsf_event *pos = TS_LOAD(t->pos);
	size_t n;
	struct tscope__buf *b;

	if (t->gen != tscope__rt.gen)
		return;
	if (tscope__rt.ring && t->buf) {
		tscope__ring_flush(t, flags);
		return;
	}
	if (!t->buf) {
		if (!t->lost && !t->name_changed)
			return;
		n = 0;
	} else {
		n = (size_t)(pos - t->buf->ev);
	}
	if (self && t->buf) {
		b = t->buf;
		t->buf = NULL;
		TS_STORE(t->end, NULL);
		t->pos = t->limit = NULL;
	} else {
		b = tscope__pool_get();
		if (!b) {
			/* no memory even for the count: the file's END carries it */
			tscope__writer_lost(n + (t->buf ? t->buf->head.lost : t->lost));
			if (!t->buf)
				t->lost = 0;
			t->gen = 0;
			return;
		}
		if (t->buf)
			memcpy(b->ev, t->buf->ev, n * sizeof(*pos));
		b->head.lost = t->buf ? t->buf->head.lost : t->lost;
		t->gen = 0; /* the events are taken: the next session starts afresh */
	}
	if (!self) {
		char path[64], name[TS_NAME_MAX] = "";
		int fd;
		ssize_t len;

		snprintf(path, sizeof(path), "/proc/self/task/%u/comm", t->tid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		len = fd >= 0 ? read(fd, name, sizeof(name) - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (len > 0 && !t->name_api) {
			name[len - (name[len - 1] == '\n')] = 0;
			if (strcmp(name, t->name) != 0) {
				strcpy(t->name, name);
				t->name_changed = 1;
			}
		}
	}
	tscope__writer_submit(t, b, n, flags);
}

TS_NOINSTR void tscope__thread_exit(void *arg)
{
	struct tscope__thread *t = arg;
	struct tscope__thread **pp;

	if (t != &tscope__self)
		return;
	pthread_mutex_lock(&tscope__rt.control);
	/* With control held, no controller holds t: a busy flag still set is one a cold
	 * path of t's own left behind (a signal handler jumped or exited out of it). */
	tscope__try_own(t);
	if (tscope__rt.state != TS_OFF) {
		tscope__read_comm(t);
		tscope__flush_thread(t, 1, TSF_EF_FINAL);
	}
	pthread_mutex_lock(&tscope__rt.registry);
	for (pp = &tscope__rt.threads; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	t->listed = 0;
	pthread_mutex_unlock(&tscope__rt.registry);
	tscope__drop_buffers(t);
	t->gen = 0;
	tscope__release(t);
	pthread_mutex_unlock(&tscope__rt.control);
}
