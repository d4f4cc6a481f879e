/* SPDX-License-Identifier: MIT */
/*
 * signal.c - the signals the runtime handles: those that would end the process (write
 * everything first, then end as untraced) and the snapshot signal of ring mode; and
 * the program's signals held while a cold path may sleep.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "tscope-int.h"

static void (*fatal_action)(void);

/*
 * Signals that end the process by default.  Where the program left the default in
 * place at start, a handler writes every thread's events first, then restores the
 * default and raises the signal again, so that the process ends as it would have
 * untraced (same signal, same core dump).  A handler the program installs replaces
 * ours: its signals are its own business.
 */
static const int fatal_signals[] = { SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGINT, SIGTERM,
				     SIGHUP, SIGQUIT, SIGPIPE, SIGXCPU, SIGXFSZ, SIGSYS };

static TS_NOINSTR void on_fatal_signal(int sig)
{
	struct tscope__thread *t = &tscope__self;
	static int crashing;
	int saved_errno = errno;

	/* Only once, and not when the signal hit our own cold path (its locks may be
	 * held right here). */
	if (!__atomic_exchange_n(&crashing, 1, __ATOMIC_SEQ_CST) && !t->busy) {
		t->ignore = 1;
		fatal_action();
	}
	signal(sig, SIG_DFL);
	raise(sig); /* pending until we return: then the default action */
	errno = saved_errno;
}

static TS_NOINSTR void on_snapshot_signal(int sig)
{
	int saved_errno = errno;

	(void)sig;
	tscope__writer_request_snapshot();
	errno = saved_errno;
}

TS_NOINSTR void tscope__signal_install(const struct tscope__config *c, void (*on_fatal)(void))
{
	struct sigaction sa, old;

	fatal_action = on_fatal;
	if (c->snapshot_signal) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_snapshot_signal;
		sigemptyset(&sa.sa_mask);
		sa.sa_flags = SA_RESTART;
		sigaction(c->snapshot_signal, &sa, NULL);
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal_signal;
	sigfillset(&sa.sa_mask); /* one flush, not interrupted by a second signal */
	sa.sa_flags = SA_RESTART;
	for (size_t i = 0; i < TS_ARRAY_SIZE(fatal_signals); i++) {
		if (fatal_signals[i] == c->snapshot_signal)
			continue;
		if (sigaction(fatal_signals[i], NULL, &old) == 0 &&
		    !(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_DFL)
			sigaction(fatal_signals[i], &sa, NULL);
	}
}

/*
 * Hold the program's asynchronous signals while a cold path may sleep (a contended
 * lock, memory being mapped, a writer far behind): a handler that ran then would find
 * the thread's cold path busy and only its nest (TS_NEST slots) for its events, which
 * a long sleep at a high signal rate would overflow.  They are delivered when the
 * cold path releases them.  Synchronous signals cannot come from the runtime's code,
 * and are never held.
 */
TS_NOINSTR void tscope__signals_hold(sigset_t *old)
{
	sigset_t held;

	sigfillset(&held);
	sigdelset(&held, SIGSEGV);
	sigdelset(&held, SIGBUS);
	sigdelset(&held, SIGILL);
	sigdelset(&held, SIGFPE);
	sigdelset(&held, SIGTRAP);
	sigdelset(&held, SIGSYS);
	pthread_sigmask(SIG_BLOCK, &held, old);
}

TS_NOINSTR void tscope__signals_release(const sigset_t *old)
{
	pthread_sigmask(SIG_SETMASK, old, NULL);
}
