/* SPDX-License-Identifier: MIT */
/*
 * control.c - `tscope ctl PID start|stop|snapshot|flush`: control of a running
 * process, by a real-time signal that `tscope record` chose and put in the
 * environment (TSCOPE_CONTROL_SIGNAL), and the trigger's start (TSCOPE_TRIGGER).
 *
 * tscope ctl sends the signal with sigqueue(), the request in its value.  The handler
 * only records the request and the sender in a small queue and wakes the writer
 * thread; the writer thread does the work, with the locks any controller takes, and
 * answers the sender with the same signal, whose value is 0 or the TSCOPE_E* code
 * negated.  With no writer thread (no session) the handler answers at once.
 *
 *	start     the session runs again (from stop, --start-paused, or a trigger
 *	          still waiting)
 *	stop      no thread records from now on; what they recorded is written to the
 *	          file, which stays open: a later start records on into the same file,
 *	          whose next chunk of each thread says recording was stopped before it
 *	flush     stream mode: every thread's events so far are written to the file,
 *	          while they record on; ring mode: a snapshot
 *	snapshot  ring mode: a snapshot, as tscope_snapshot(); stream mode: a flush
 *
 * The window of `tscope record --delay T --duration T` (TSCOPE_DELAY, TSCOPE_DURATION)
 * is served the same way, by the writer thread, which wakes up in time for it: the
 * session starts paused and is started after the delay, as by `tscope ctl start`, then
 * stopped after the duration, as by `tscope ctl stop`.  A session started by
 * tscope_start() has no window.
 *
 * A flush takes a copy of the events a thread has written, not its buffer, which the
 * thread may be writing into (see buffer.c); the buffer remembers how much was taken
 * (first), and the thread turns that part into PAD slots when it hands the buffer over
 * itself (tscope__untake()).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "tscope-int.h"
#include "clock.h"

enum { REQ_START = 1, REQ_STOP, REQ_SNAPSHOT, REQ_FLUSH, REQ_MAX_CODE };

#define QUEUE 16 /* requests waiting for the writer thread */

static struct {
	uint64_t start_at, stop_at; /* the window, in CLOCK_MONOTONIC ns; 0: done or none */
	int sig;
	unsigned head, tail; /* served, taken by handlers */
	struct {
		int code; /* 0: free, or not written yet */
		pid_t from;
	} q[QUEUE];
} ctl;

/* Answer the request of from: 0 or a TSCOPE_E* code.  Async-signal-safe. */
static TS_NOINSTR void answer(pid_t from, int rc)
{
	union sigval v;

	v.sival_int = -rc;
	sigqueue(from, ctl.sig, v);
}

static TS_NOINSTR void on_control_signal(int sig, siginfo_t *si, void *uc)
{
	int saved_errno = errno, code = si->si_value.sival_int;
	unsigned i;

	(void)sig;
	(void)uc;
	if (si->si_code != SI_QUEUE || si->si_pid <= 0)
		goto out; /* not tscope ctl: nothing to answer */
	if (code <= 0 || code >= REQ_MAX_CODE) {
		answer(si->si_pid, TSCOPE_EINVAL);
		goto out;
	}
	i = __atomic_fetch_add(&ctl.tail, 1, __ATOMIC_ACQ_REL);
	if (i - __atomic_load_n(&ctl.head, __ATOMIC_ACQUIRE) >= QUEUE ||
	    __atomic_load_n(&ctl.q[i % QUEUE].code, __ATOMIC_ACQUIRE)) {
		__atomic_fetch_sub(&ctl.tail, 1, __ATOMIC_ACQ_REL);
		answer(si->si_pid, TSCOPE_EBUSY);
		goto out;
	}
	ctl.q[i % QUEUE].from = si->si_pid;
	__atomic_store_n(&ctl.q[i % QUEUE].code, code, __ATOMIC_RELEASE);
	if (!tscope__writer_request_control()) {
		/* nobody to serve it: taken back, unless the writer got to it */
		int mine = code;

		if (__atomic_compare_exchange_n(&ctl.q[i % QUEUE].code, &mine, -1, 0,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			answer(si->si_pid, TSCOPE_ESTATE);
	}
out:
	errno = saved_errno;
}

/* Take t's busy flag while the writer may be what t waits for (a full queue). */
static TS_NOINSTR void own(struct tscope__thread *t)
{
	while (!tscope__try_own(t)) {
		tscope__writer_sync();
		sched_yield();
	}
}

/*
 * Stream mode: hand over a copy of the events t has written and no flush took yet, up
 * to the first slot whose hook has not stored it.  Caller owns t.
 */
TS_NOINSTR void tscope__flush_other(struct tscope__thread *t)
{
	struct tscope__buf *b = t->buf, *c;
	uintptr_t pos = TS_LOAD(t->pos), base = t->base, size = t->size;
	size_t n, k, next;

	if (t->gen != tscope__rt.gen || !b || !size || pos < base)
		return;
	tscope__trigger_settle(t);
	n = (pos - base < size ? pos - base : size) / sizeof(struct tsf_event);
	for (k = b->first; k < n; k = next) {
		next = k + tscope__slots_of(&b->ev[k]);
		if ((k >= b->trusted && b->ev[k].time < b->t0) || next > n)
			break;
	}
	if (k <= b->first)
		return;
	c = tscope__pool_get();
	if (!c)
		return; /* the events stay, and go out with the buffer */
	memcpy(c->ev, b->ev + b->first, (k - b->first) * sizeof(*c->ev));
	c->t0 = b->t0;
	c->trusted = b->trusted > b->first ? b->trusted - b->first : 0;
	c->head.lost = b->head.lost;
	b->head.lost = 0;
	tscope__writer_submit(t, c, k - b->first, 0);
	b->first = (uint32_t)k;
}

/* Every thread's events to the file (stream mode); stop: and the next chunk of each
 * says that recording stopped before it.  Caller holds control. */
static TS_NOINSTR int flush_all(int stop)
{
	pthread_mutex_lock(&tscope__rt.registry);
	if (stop)
		tscope__close_fast_paths();
	for (struct tscope__thread *t = tscope__rt.threads; t; t = t->next) {
		own(t);
		if (!tscope__rt.ring)
			tscope__flush_other(t);
		if (stop && t->gen == tscope__rt.gen)
			t->resumed = 1;
		tscope__release(t);
	}
	pthread_mutex_unlock(&tscope__rt.registry);
	return tscope__writer_sync();
}

/* A request, served with control held. */
static TS_NOINSTR int serve_locked(int code)
{
	int rc = 0, state;

	state = __atomic_load_n(&tscope__rt.state, __ATOMIC_SEQ_CST);
	if (state == TS_OFF) {
		rc = TSCOPE_ESTATE;
	} else if (code == REQ_START) {
		/* threads find their way back through the cold path at their next event */
		__atomic_store_n(&tscope__rt.state, TS_RUNNING, __ATOMIC_SEQ_CST);
	} else if (code == REQ_STOP) {
		__atomic_store_n(&tscope__rt.state, TS_PAUSED, __ATOMIC_SEQ_CST);
		rc = flush_all(state != TS_PAUSED);
	} else {
		rc = flush_all(0);
	}
	return rc;
}

static TS_NOINSTR int serve(int code)
{
	int rc;

	if (tscope__rt.ring && (code == REQ_SNAPSHOT || code == REQ_FLUSH))
		return tscope_snapshot();
	pthread_mutex_lock(&tscope__rt.control);
	rc = serve_locked(code);
	pthread_mutex_unlock(&tscope__rt.control);
	return rc;
}

/*
 * On the writer thread, at each wake-up: the window's start or stop, when its time has
 * come.  Returns the ns until the next one, or 0 when none is left.  control is only
 * tried, since a stop may hold it while it waits for this thread to end: then the
 * writer looks again 1 ms later.
 */
TS_NOINSTR uint64_t tscope__control_window(uint64_t now)
{
	uint64_t *at = ctl.start_at ? &ctl.start_at : &ctl.stop_at;

	if (!*at)
		return 0;
	if (now < *at)
		return *at - now;
	if (pthread_mutex_trylock(&tscope__rt.control) != 0)
		return 1000000;
	if (!tscope__rt.explicit_start)
		serve_locked(at == &ctl.start_at ? REQ_START : REQ_STOP);
	pthread_mutex_unlock(&tscope__rt.control);
	*at = 0;
	return ctl.stop_at > now ? ctl.stop_at - now : ctl.stop_at ? 1 : 0;
}

/* On the writer thread: serve the requests queued by the handler, in order. */
TS_NOINSTR void tscope__control_serve(void)
{
	for (;;) {
		unsigned h = __atomic_load_n(&ctl.head, __ATOMIC_ACQUIRE);
		int code;
		pid_t from;

		if (h == __atomic_load_n(&ctl.tail, __ATOMIC_ACQUIRE))
			return;
		code = __atomic_load_n(&ctl.q[h % QUEUE].code, __ATOMIC_ACQUIRE);
		if (!code)
			return; /* its handler is still writing it: it wakes us again */
		from = ctl.q[h % QUEUE].from;
		if (code > 0 && __atomic_compare_exchange_n(&ctl.q[h % QUEUE].code, &code, -1, 0,
							    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			answer(from, serve(code));
		__atomic_store_n(&ctl.q[h % QUEUE].code, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&ctl.head, h + 1, __ATOMIC_RELEASE);
	}
}

/*
 * At start: the trigger's function found (said when it is not: nothing is recorded
 * then), and the control signal's handler installed, unless the program inherited a
 * disposition for it (ignored, say), which stays the program's.
 */
TS_NOINSTR void tscope__control_install(const struct tscope__config *c)
{
	struct sigaction sa, old;

	if (c->delay_ns || c->duration_ns) {
		uint64_t now = tscope__mono_ns();

		ctl.start_at = c->delay_ns ? now + c->delay_ns : 0;
		ctl.stop_at = c->duration_ns ? now + c->delay_ns + c->duration_ns : 0;
	}
	if (c->trigger[0]) {
		uintptr_t fn = tscope__symbol_lookup(c->trigger);

		if (!fn)
			tscope__say(TSF_ENV_TRIGGER ": no function '", c->trigger,
				    "' in the program or its libraries: nothing is recorded");
		__atomic_store_n(&tscope__rt.trig_left, c->trigger_count, __ATOMIC_RELAXED);
		__atomic_store_n(&tscope__rt.trig_fn, fn & TSF_ADDR_MASK, __ATOMIC_RELEASE);
	}
	if (!c->control_signal)
		return;
	if (sigaction(c->control_signal, NULL, &old) < 0 || (old.sa_flags & SA_SIGINFO) ||
	    old.sa_handler != SIG_DFL) {
		tscope__say(TSF_ENV_CONTROL ": the program has its own use of this signal: ",
			    "tscope ctl cannot reach it (choose another with --control-signal)",
			    "");
		return;
	}
	ctl.sig = c->control_signal;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_control_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(c->control_signal, &sa, NULL);
}
