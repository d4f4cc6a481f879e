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
 *  - room is either 0 (take the cold path) or the current buffer's size, and is
 *    opened only after the state was seen running, then checked again.
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
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tscope-int.h"
#include "clock.h"

/*
 * Take t's current buffer out of use: the hooks and nested handlers can no longer
 * reserve in it (room and size go first), then the events it holds are counted.
 * Returns that count.  Caller owns t.
 */
TS_NOINSTR size_t tscope__retire(struct tscope__thread *t)
{
	uintptr_t base = t->base, size = t->size, pos;

	__atomic_store_n(&t->room, 0, __ATOMIC_SEQ_CST);
	TS_STORE(t->size, 0);
	TS_STORE(t->base, 0);
	TS_STORE(t->base_neg, 0);
	pos = TS_LOAD(t->pos);
	if (!size || pos < base)
		return 0;
	return (pos - base < size ? pos - base : size) / sizeof(struct tsf_event);
}

/*
 * Make b t's current buffer, closed to the hooks until tscope__open_fast_path().  The
 * events that handlers left in the nest meanwhile go first.  Until pos points into b,
 * it points nowhere a reservation could be taken for b (b may be a recycled buffer
 * that a stale pos pointed into).  Caller owns t, whose buffer is retired.
 */
TS_NOINSTR void tscope__install(struct tscope__thread *t, struct tscope__buf *b)
{
	TS_STORE(t->pos, 0);
	b->t0 = tscope__clock_slow(); /* before any event's time: see hook.c */
	b->trusted = 0;
	b->first = 0;
	b->salvage_tid = t->tid;
	b->salvage_seq = t->seq;
	/* the name a salvage of this buffer gives its thread (see lib/read/salvage.c);
	 * writer_submit sets both anew */
	memcpy(b->name, t->name, sizeof(b->name));
	b->name_changed = 1;
	tscope__buf_state(b, TSF_SB_FILLING);
	t->buf = b;
	t->trig_scan = 0;
	TS_STORE(t->base, (uintptr_t)b->ev);
	TS_STORE(t->base_neg, -(uintptr_t)b->ev);
	TS_STORE(t->size, tscope__buf_bytes(b));
	b->trusted = tscope__nest_install(t, b);
	TS_STORE(t->pos, (uintptr_t)(b->ev + b->trusted));
	tscope__cpu_sample(t, TSF_CPU_BUFFER); /* record --io: where a run of events starts */
}

/*
 * A fresh buffer for t, or 0 with the event counted as lost.  The new buffer is in
 * place before the full one is handed over (which may wait for the writer), so that
 * signal handlers that run meanwhile record into it.  Caller owns t.
 */
TS_NOINSTR int tscope__refill(struct tscope__thread *t)
{
	struct tscope__buf *old = t->buf, *b;
	size_t n = 0;

	if (tscope__rt.ring) {
		if (old && t->trig_depth) {
			uintptr_t pos = TS_LOAD(t->pos);

			tscope__trigger_before_refill(
			    t, pos < t->base ? 0
					     : (pos - t->base < t->size ? pos - t->base : t->size) /
						   sizeof(*old->ev));
		}
		return tscope__ring_advance(t);
	}
	if (old) {
		n = tscope__retire(t);
		tscope__trigger_before_refill(t, n);
		t->buf = NULL;
		tscope__untake(old);
	}
	b = tscope__pool_get();
	if (b) {
		b->head.lost = t->lost;
		t->lost = 0;
		tscope__install(t, b);
	}
	if (old)
		tscope__writer_submit(t, old, n, 0);
	return b != NULL;
}

/* Stream mode: the slots [0, b->first) of b went out already, copied by a flush of
 * `tscope ctl` (control.c): they become PAD slots, which readers skip.  They hold whole
 * events, written: no hook is still to store there.  Caller owns b's thread. */
TS_NOINSTR void tscope__untake(struct tscope__buf *b)
{
	if (tscope__rt.ring || !b->first)
		return;
	for (uint32_t i = 0; i < b->first; i++) {
		b->ev[i].word = TSF_WORD(TSF_KIND_PAD, 0);
		b->ev[i].time = b->t0;
	}
	b->first = 0;
}

/* Let go of t's buffers without writing them (they are another session's, or were
 * recorded before a fork).  Caller owns t. */
TS_NOINSTR void tscope__drop_buffers(struct tscope__thread *t)
{
	tscope__retire(t);
	if (t->ring[0]) {
		tscope__ring_free(t);
	} else if (t->buf) {
		tscope__pool_put(t->buf);
		t->buf = NULL;
	}
}

/*
 * Open t's fast path: only for a clock the hooks can read inline, and only while
 * running.  The state is looked at again after: a pause or stop that raced with us has
 * lowered room, or will see the room we stored (both sides use sequentially consistent
 * accesses).  Caller owns t.
 */
TS_NOINSTR void tscope__open_fast_path(struct tscope__thread *t)
{
	if (tscope__clock_source != TS_CLOCK_NATIVE || !t->size)
		return;
	__atomic_store_n(&t->room, t->size, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&tscope__rt.state, __ATOMIC_SEQ_CST) != TS_RUNNING)
		TS_STORE(t->room, 0);
}

/* Join session gen: what the buffer holds belongs to an earlier session, which has
 * already taken it.  Caller owns t. */
static TS_NOINSTR void thread_attach(struct tscope__thread *t, unsigned gen)
{
	tscope__drop_buffers(t);
	t->nest_n = 0; /* the last session's */
	t->seq = 0;
	t->lost = 0;
	t->name_changed = 1;
	t->gen = gen;
}

/*
 * The cold path of an event ev of n slots, for which the hook reserved p (any value:
 * see hook.c).  A reservation that lies in the current buffer is used, or padded when
 * the event is not to be recorded; otherwise the event goes where the thread's pos
 * is now, after a refill if need be.
 */
TS_COLD TS_NOINSTR void tscope__slow(const struct tsf_event *ev, unsigned n, struct tsf_event *p)
{
	struct tscope__thread *t = &tscope__self;
	uintptr_t bytes = n * sizeof(*ev);
	int saved_errno, cancel, type, running, state, written = 0;
	unsigned gen;

	if (TS_UNLIKELY(!__atomic_load_n(&tscope__rt.inited, __ATOMIC_ACQUIRE))) {
		if (t->busy || t->ignore)
			return;
		tscope__init_once();
	}
	state = __atomic_load_n(&tscope__rt.state, __ATOMIC_ACQUIRE);
	running = !t->ignore &&
		  (state == TS_RUNNING ||
		   (state == TS_TRIGGER && (t->trig_depth || tscope__trigger_fires(t, ev, n))));
	if (tscope__in_buffer(t, p, bytes)) {
		/* the slot is this event's alone: no flag needed to fill it */
		if (running && t->gen == __atomic_load_n(&tscope__rt.gen, __ATOMIC_ACQUIRE)) {
			tscope__write_at(p, ev, n, tscope__clock_slow());
			if (state == TS_TRIGGER) {
				written = 1; /* on to the scan, with the flag */
			} else {
				/* a session resumed: the fast path opens again */
				if (!TS_LOAD(t->room) && tscope__try_own(t)) {
					tscope__open_fast_path(t);
					tscope__release(t);
				}
				return;
			}
		} else {
			tscope__pad(t, p, n);
		}
	} else if (tscope__in_buffer(t, p, sizeof(*p))) {
		/* an event of several slots that did not fit: the buffer's last slots were
		 * reserved for it, and would hold the writer back forever if left as they are */
		tscope__pad(
		    t, p,
		    (unsigned)((TS_LOAD(t->base) + TS_LOAD(t->size) - (uintptr_t)p) / sizeof(*p)));
	}
	if (!running)
		return;
	saved_errno = errno;
	/* No cancellation in here: an asynchronous one would leave locks and the busy
	 * flag held.  One that arrives meanwhile acts on the way out. */
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
	pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &type);
	if (!t->listed) {
		/* What registration calls is not the program's doing (ignore), but a
		 * handler that came meanwhile would be: signals wait until it is done. */
		sigset_t all, old;

		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		t->ignore = 1;
		tscope__thread_register(t);
		t->ignore = 0;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	if (!tscope__own_self(t, (uintptr_t)__builtin_frame_address(0))) {
		if (!written)
			tscope__nest_record(t, ev, n);
		goto out_cancel;
	}
	gen = __atomic_load_n(&tscope__rt.gen, __ATOMIC_ACQUIRE);
	state = __atomic_load_n(&tscope__rt.state, __ATOMIC_SEQ_CST);
	if (state != TS_RUNNING && (state != TS_TRIGGER || !t->trig_depth))
		goto out;
	if (t->gen != gen)
		thread_attach(t, gen);
	if (written)
		goto opened;
	/* A handler may fill the buffer between the look and the reservation: then a
	 * refill, and once more.  An event wider than a whole buffer (a long copied name
	 * in a tiny buffer) cannot be recorded either. */
	for (int tries = 0;; tries++) {
		uintptr_t off = TS_LOAD(t->pos) - t->base;

		if (t->size && off < t->size && t->size - off >= bytes) {
			tscope__nest_flush(t, bytes);
			p = tscope__reserve(t, bytes);
			if (tscope__in_buffer(t, p, bytes)) {
				tscope__write_at(p, ev, n, tscope__clock_slow());
				break;
			}
		}
		if (tries == 2 || !tscope__refill(t)) {
			t->lost += n;
			goto out;
		}
		if (state == TS_TRIGGER && !t->trig_depth && !tscope__trigger_fires(t, ev, n))
			goto out; /* FUNC returned in the buffer just handed over */
	}
opened:
	if (state == TS_TRIGGER)
		tscope__trigger_window(t);
	else
		tscope__open_fast_path(t);
out:
	tscope__release(t);
out_cancel:
	/* A cancellation that came meanwhile acts here, where an asynchronous one would
	 * have: through pthread_testcancel(), which gives the thread the result
	 * PTHREAD_CANCELED (glibc 2.36 lets one that acts inside pthread_setcancelstate()
	 * end the thread with NULL).  So the state first, while the type is deferred. */
	pthread_setcancelstate(cancel, NULL);
	errno = saved_errno;
	if (cancel == PTHREAD_CANCEL_ENABLE && type == PTHREAD_CANCEL_ASYNCHRONOUS)
		pthread_testcancel();
	pthread_setcanceltype(type, NULL);
}

TS_COLD TS_NOINSTR void tscope__slow1(uint64_t word, struct tsf_event *p)
{
	struct tsf_event ev = { 0, word };

	tscope__slow(&ev, 1, p);
}

/* Lower every thread's room so that all of them take the cold path.  Caller holds
 * registry. */
TS_NOINSTR void tscope__close_fast_paths(void)
{
	for (struct tscope__thread *t = tscope__rt.threads; t; t = t->next)
		__atomic_store_n(&t->room, 0, __ATOMIC_SEQ_CST);
}

/*
 * Hand over what thread t recorded in the current session.  The caller is t itself,
 * or a controller while t may still run: then t's buffer is copied, not taken, since
 * t may be between its check of end and its store.  Caller owns t.
 */
TS_NOINSTR void tscope__flush_thread(struct tscope__thread *t, int self, uint32_t flags)
{
	uintptr_t pos = TS_LOAD(t->pos), base = t->base, size = t->size;
	size_t n;
	struct tscope__buf *b;

	if (t->gen != tscope__rt.gen)
		return;
	tscope__trigger_settle(t);
	if (self && t->buf)
		tscope__cpu_sample(t, TSF_CPU_FLUSH);
	if (tscope__rt.ring && t->buf) {
		tscope__ring_flush(t, flags);
		return;
	}
	if (!t->buf) {
		if (!t->lost && !t->name_changed)
			return;
		n = 0;
	} else if (self) {
		t->lost += TS_LOAD(t->nest_n); /* a handler's, never flushed: counted */
		TS_STORE(t->nest_n, 0);
		n = tscope__retire(t);
		t->buf->head.lost += t->lost;
		t->lost = 0;
	} else {
		n = (pos < base ? 0 : pos - base < size ? pos - base : size) / sizeof(*b->ev);
	}
	if (self && t->buf) {
		b = t->buf;
		t->buf = NULL;
		tscope__untake(b);
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
		if (t->buf) {
			/* slots still being written are copied as they are: the writer
			 * holds the copy back by t0 like any buffer, until the end; those a
			 * flush took already (untake) are left out */
			uint32_t first = t->buf->first < n ? t->buf->first : (uint32_t)n;

			n -= first;
			memcpy(b->ev, t->buf->ev + first, n * sizeof(*b->ev));
			b->t0 = t->buf->t0;
			b->trusted = t->buf->trusted > first ? t->buf->trusted - first : 0;
		}
		b->head.lost = t->buf ? t->buf->head.lost : t->lost;
		if (t->buf)
			tscope__cpu_sample_copy(t, b, &n);
		t->gen = 0; /* the events are taken: the next session starts afresh */
	}
	if (!self) {
		char path[64], name[TS_NAME_MAX] = "";
		int fd;
		ssize_t len;

		snprintf(path, sizeof(path), "/proc/self/task/%u/comm", t->tid);
		fd = tscope__open(path, O_RDONLY | O_CLOEXEC, 0);
		len = fd >= 0 ? tscope__read(fd, name, sizeof(name) - 1) : -1;
		if (fd >= 0)
			tscope__close(fd);
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
	if (t->buf && t->size) {
		/* A slot still unwritten now never will be: its hook was cut short
		 * (asynchronous cancellation).  It held no event. */
		size_t n = (TS_LOAD(t->pos) - t->base < t->size ? TS_LOAD(t->pos) - t->base :
								   t->size) / sizeof(struct tsf_event);
		struct tsf_event *ev = (struct tsf_event *)t->base;

		for (size_t i = t->buf->trusted; i < n; i += tscope__slots_of(&ev[i]))
			if (ev[i].time < t->buf->t0)
				tscope__pad(t, &ev[i], 1);
	}
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
