/* SPDX-License-Identifier: MIT */
/*
 * thread.c - a recording thread's identity and its busy flag.
 *
 * A thread's first event registers it: its OS thread id, its name, a place in the
 * registry and the key whose destructor flushes it at exit (buffer.c).  Whoever holds
 * a thread's busy flag -- the thread itself in its cold path (TS_BUSY_SELF), or a
 * controller (TS_BUSY_OTHER) -- may change its buffer; see buffer.c.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tscope-int.h"

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
 * the stack (we are deeper: the event goes to t->nest, which that cold path empties
 * into the buffer), or a handler jumped out of a cold path long ago (siglongjmp,
 * pthread_exit): the holder's frame is gone, we are above it, and the flag is taken
 * over.  sp is our frame.
 */
TS_NOINSTR int tscope__own_self(struct tscope__thread *t, uintptr_t sp)
{
	if (!tscope__try_own(t)) {
		if (__atomic_load_n(&t->busy, __ATOMIC_RELAXED) != TS_BUSY_SELF ||
		    sp <= t->busy_sp || sp - t->busy_sp > TS_STACK_NEAR)
			return 0;
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

/* First event of a thread in this process: give it an id and a place in the list. */
TS_NOINSTR void tscope__thread_register(struct tscope__thread *t)
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
