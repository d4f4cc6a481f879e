/* SPDX-License-Identifier: MIT */
/*
 * session.c - the process's recording state and the API's control calls.
 *
 * A session runs from start (the constructor, reading the environment, or
 * tscope_start()) to stop (tscope_stop(), exit, a fatal signal).  Each has a number,
 * gen; a thread whose gen differs joins the new session at its next cold path, so
 * starting or stopping never walks other threads' buffers while they record.  Pause,
 * stop and snapshot lower every thread's room, which sends them through the cold path.
 * Also here: fork (the child records on, to a file of its own), the dlclose()
 * pass-through of the shared library, and what exec() does to a session (exec.c).
 * Lock order: see struct tscope__rt.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tscope-int.h"
#include "clock.h"

struct tscope__rt tscope__rt = {
	.once = PTHREAD_ONCE_INIT,
	.control = PTHREAD_MUTEX_INITIALIZER,
	.registry = PTHREAD_MUTEX_INITIALIZER,
};

/* The snapshot signal's request, taken on the writer thread. */
static TS_NOINSTR void snapshot_from_signal(void)
{
	tscope_snapshot();
}

/* Stop the running session, write everything and complete the file (before exec(),
 * for_exec: or give it back, see tscope__file_close_exec()).  Caller holds control. */
static TS_NOINSTR int stop_locked(int for_exec)
{
	struct tscope__thread *self = &tscope__self;
	int rc;

	if (tscope__rt.state == TS_OFF)
		return 0;
	__atomic_store_n(&tscope__rt.state, TS_OFF, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&tscope__rt.registry);
	tscope__close_fast_paths();
	for (struct tscope__thread *t = tscope__rt.threads; t; t = t->next) {
		int is_self = t == self;

		if (is_self) {
			if (!tscope__try_own(t))
				continue; /* stop() from within our own cold path: cannot be */
		} else {
			tscope__own(t);
		}
		if (is_self)
			tscope__read_comm(t);
		tscope__flush_thread(t, is_self, TSF_EF_FINAL);
		tscope__release(t);
	}
	pthread_mutex_unlock(&tscope__rt.registry);
	rc = tscope__writer_close(for_exec);
	return rc;
}

/* A signal is about to end the process: write everything, unless another thread is
 * starting or stopping for longer than two seconds. */
static TS_NOINSTR void stop_for_signal(void)
{
	for (int i = 0; i < 2000; i++) {
		if (pthread_mutex_trylock(&tscope__rt.control) == 0) {
			stop_locked(0);
			pthread_mutex_unlock(&tscope__rt.control);
			return;
		}
		usleep(1000);
	}
}

/* Start a session with configuration c: running, or paused (start_paused), or waiting
 * for its trigger.  Caller holds control; nothing runs. */
static TS_NOINSTR int start_locked(const struct tscope__config *c, int lazy)
{
	int rc = tscope__writer_open(c, lazy, snapshot_from_signal, tscope__control_serve);
	int state = c->trigger[0] ? TS_TRIGGER : c->start_paused ? TS_PAUSED : TS_RUNNING;

	if (rc)
		return rc;
	tscope__rt.ring = c->mode == TSCOPE_MODE_RING;
	tscope__rt.cfg = *c;
	__atomic_store_n(&tscope__rt.gen, tscope__rt.gen + 1 ? tscope__rt.gen + 1 : 1,
			 __ATOMIC_RELEASE);
	__atomic_store_n(&tscope__rt.state, state, __ATOMIC_SEQ_CST);
	return 0;
}

/* With buffers in shared memory (shm.c), signals wait across fork(): a handler in the
 * child before its fork handler would write into the parent's buffer.  Under control. */
static sigset_t fork_mask;
static int fork_masked;

static TS_NOINSTR void atfork_prepare(void)
{
	pthread_mutex_lock(&tscope__rt.control);
	pthread_mutex_lock(&tscope__rt.registry);
	fork_masked = tscope__shm_active();
	if (fork_masked) {
		sigset_t all;

		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &fork_mask);
	}
	tscope__writer_atfork_prepare();
}

static TS_NOINSTR void atfork_parent(void)
{
	tscope__writer_atfork_parent();
	if (fork_masked)
		pthread_sigmask(SIG_SETMASK, &fork_mask, NULL);
	pthread_mutex_unlock(&tscope__rt.registry);
	pthread_mutex_unlock(&tscope__rt.control);
}

/*
 * The child keeps only the forking thread, and writes its own trace.  What that
 * thread's buffer holds was recorded before the fork: it is the parent's.
 */
static TS_NOINSTR void atfork_child(void)
{
	struct tscope__thread *self = &tscope__self;
	int forgot;

	tscope__rt.pid = getpid();
	tscope__rt.threads = NULL;
	if (self->listed) {
		self->tid = tscope__gettid();
		self->next = NULL;
		tscope__rt.threads = self;
		self->name_changed = 1;
	}
	self->busy = 0;
	forgot = tscope__writer_atfork_child();
	if (forgot) { /* its buffer is zero pages now: nothing to give back */
		tscope__retire(self);
		self->buf = NULL;
	}
	if (fork_masked)
		pthread_sigmask(SIG_SETMASK, &fork_mask, NULL);
	pthread_mutex_unlock(&tscope__rt.registry);
	pthread_mutex_unlock(&tscope__rt.control);
	if (tscope__rt.state != TS_OFF) {
		/* A new session for the child; the writer keeps the configuration and
		 * derives the child's file name from it. */
		tscope__drop_buffers(self);
		self->gen = 0;
		tscope__rt.gen++;
	}
}

/*
 * A shared libtscope preloaded (by `tscope record`) into a program linked with
 * libtscope.a: the program calls its own copy's hooks, so this copy would only leave an
 * empty trace in the way of the real one.  The executable exports its hooks (libc
 * defines them too), so the dynamic linker finds them before ours.  The static archive
 * has nothing to check: it is the program's copy.  libtscope-exclude's hooks, found
 * first, pass the calls on to ours.
 */
static TS_NOINSTR int hooks_elsewhere(void)
{
#ifdef PIC
	void *p = dlsym(RTLD_DEFAULT, "__cyg_profile_func_enter");

	return p && p != (void *)tscope__own_enter && !tscope__fns_exclude_hooks(p);
#else
	return 0;
#endif
}

static TS_NOINSTR void init_body(void)
{
	tscope__rt.pid = getpid();
	tscope__clock_init();
	tscope__config_from_env(&tscope__rt.env_cfg, &tscope__rt.disabled);
	if (hooks_elsewhere())
		tscope__rt.disabled = 1;
	pthread_key_create(&tscope__rt.key, tscope__thread_exit);
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	__atomic_store_n(&tscope__rt.inited, 1, __ATOMIC_RELEASE);
	if (!tscope__rt.disabled) {
		tscope__selfcost_measure();
		tscope__signal_install(&tscope__rt.env_cfg, stop_for_signal);
		tscope__control_install(&tscope__rt.env_cfg);
		pthread_mutex_lock(&tscope__rt.control);
		/* Under `tscope record` the file is claimed at once, so that an image this
		 * process exec()s finds it taken. */
		if (tscope__rt.state == TS_OFF)
			/* a failure is reported */
			start_locked(&tscope__rt.env_cfg, !tscope__rt.env_cfg.claim);
		pthread_mutex_unlock(&tscope__rt.control);
	}
}

TS_NOINSTR void tscope__init_once(void)
{
	pthread_once(&tscope__rt.once, init_body);
}

__attribute__((constructor)) static TS_NOINSTR void tscope__ctor(void)
{
	tscope__init_once();
}

__attribute__((destructor)) static TS_NOINSTR void tscope__dtor(void)
{
	tscope_stop();
}

#ifdef PIC
/*
 * dlclose(), passed through.  Around the real one the trace's list of objects is
 * brought up to date: before, so that a library loaded and unloaded between two of the
 * writer's scans is still named; after, so that its end is timed before anything else
 * can be mapped at its addresses.  Only the shared library does this: a program that
 * links libtscope.a keeps its own dlclose(), and the writer's scans.
 */
TSCOPE_API TS_NOINSTR int dlclose(void *handle)
{
	static int (*real)(void *);
	int (*f)(void *) = __atomic_load_n(&real, __ATOMIC_ACQUIRE);
	unsigned long long unloads;
	int rc;

	if (!f) {
		f = (int (*)(void *))dlsym(RTLD_NEXT, "dlclose");
		if (!f)
			return -1; /* cannot happen with a dynamic loader */
		__atomic_store_n(&real, f, __ATOMIC_RELEASE);
	}
	unloads = tscope__maps_unloads();
	tscope__writer_modules(0, 0);
	rc = f(handle);
	tscope__writer_modules(1, tscope__maps_unloads() != unloads);
	return rc;
}
#endif

/*
 * exec() is about to replace the image (exec.c): stop the session, so that the old
 * image's events reach its file, which is completed, or given back if it holds none
 * (the next image then claims the name itself).  Nothing is done in a process that
 * did not come from this one's init or fork handlers: a vfork() child (or a bare
 * clone()) shares the parent's memory, locks and session, which are not its own to
 * stop.  If control stays taken for two seconds (an exec() from a signal handler
 * that interrupted a start or stop), the image goes without its last buffers.
 * Returns 1 if a session was stopped: tscope__exec_failed() resumes it.
 */
static struct tscope__config exec_cfg; /* the stopped session's, under control */

TS_NOINSTR int tscope__exec_prepare(void)
{
	int locked = 0;

	if (!__atomic_load_n(&tscope__rt.inited, __ATOMIC_ACQUIRE) || tscope__rt.disabled ||
	    getpid() != tscope__rt.pid)
		return 0;
	for (int i = 0; i < 2000 && !locked; i++) {
		locked = pthread_mutex_trylock(&tscope__rt.control) == 0;
		if (!locked)
			usleep(1000);
	}
	if (!locked)
		return 0;
	if (tscope__rt.state == TS_OFF) {
		pthread_mutex_unlock(&tscope__rt.control);
		return 0;
	}
	exec_cfg = tscope__rt.cfg;
	stop_locked(1);
	pthread_mutex_unlock(&tscope__rt.control);
	return 1;
}

/*
 * The process ends through _exit() or _Exit() (exit.c): write everything, as at exit,
 * unless this is a vfork() child (the session is its parent's), the thread is in its
 * own cold path (its locks may be held right here), or another thread is starting or
 * stopping for longer than two seconds.
 */
TS_NOINSTR void tscope__exit_prepare(void)
{
	struct tscope__thread *t = &tscope__self;

	if (!__atomic_load_n(&tscope__rt.inited, __ATOMIC_ACQUIRE) || tscope__rt.disabled ||
	    getpid() != tscope__rt.pid || t->busy)
		return;
	t->ignore = 1;
	stop_for_signal();
}

/* The exec() failed and the program goes on: a new session, with the old one's
 * configuration, into a file of its own (the old name if it was given back, else
 * PATH.<pid>), unless the program has started one meanwhile.  Opened at once if the
 * old one was claimed, else at the first write. */
TS_NOINSTR void tscope__exec_failed(int stopped)
{
	if (!stopped)
		return;
	pthread_mutex_lock(&tscope__rt.control);
	if (tscope__rt.state == TS_OFF) {
		int lazy = !exec_cfg.claim;

		exec_cfg.claim = TS_CLAIM_ALWAYS;
		start_locked(&exec_cfg, lazy); /* a failure is reported */
	}
	pthread_mutex_unlock(&tscope__rt.control);
}

TSCOPE_API TS_NOINSTR int tscope_start(const struct tscope_config *cfg)
{
	struct tscope__config c;
	int rc;

	tscope__init_once();
	if (tscope__rt.disabled)
		return TSCOPE_EDISABLED;
	rc = tscope__config_merge(cfg, &tscope__rt.env_cfg, &c);
	if (rc)
		return rc;
	c.start_paused = 0; /* asked for explicitly: it runs */
	c.trigger[0] = 0;
	c.delay_ns = c.duration_ns = 0; /* the window is the automatic session's */
	pthread_mutex_lock(&tscope__rt.control);
	if (tscope__rt.state != TS_OFF && tscope__rt.explicit_start) {
		rc = TSCOPE_EBUSY;
	} else if (tscope__rt.state != TS_OFF && tscope__writer_retarget(&c) == 0) {
		tscope__rt.explicit_start = 1; /* the automatic session becomes this one */
		tscope__rt.cfg = c;
	} else {
		stop_locked(0);
		rc = start_locked(&c, 0);
		tscope__rt.explicit_start = rc == 0;
	}
	pthread_mutex_unlock(&tscope__rt.control);
	return rc;
}

TSCOPE_API TS_NOINSTR int tscope_stop(void)
{
	int rc;

	if (!tscope__rt.inited)
		return 0;
	pthread_mutex_lock(&tscope__rt.control);
	rc = stop_locked(0);
	tscope__rt.explicit_start = 0;
	pthread_mutex_unlock(&tscope__rt.control);
	return rc;
}

TSCOPE_API TS_NOINSTR void tscope_pause(void)
{
	int running = TS_RUNNING;

	if (!__atomic_compare_exchange_n(&tscope__rt.state, &running, TS_PAUSED, 0, __ATOMIC_SEQ_CST,
					 __ATOMIC_RELAXED))
		return;
	pthread_mutex_lock(&tscope__rt.registry);
	tscope__close_fast_paths();
	pthread_mutex_unlock(&tscope__rt.registry);
}

TSCOPE_API TS_NOINSTR void tscope_resume(void)
{
	int paused = TS_PAUSED;

	/* Threads find their way back through the cold path at their next event. */
	__atomic_compare_exchange_n(&tscope__rt.state, &paused, TS_RUNNING, 0, __ATOMIC_SEQ_CST,
				    __ATOMIC_RELAXED);
}

TSCOPE_API TS_NOINSTR int tscope_flush(void)
{
	struct tscope__thread *t = &tscope__self;
	int rc;

	if (!tscope__rt.inited || tscope__rt.state == TS_OFF)
		return TSCOPE_ESTATE;
	if (t->listed && tscope__try_own(t)) {
		if (t->gen == tscope__rt.gen && t->buf) {
			tscope__refill(t);
			tscope__open_fast_path(t);
		}
		tscope__release(t);
	}
	rc = tscope__writer_sync();
	return rc;
}

TSCOPE_API TS_NOINSTR int tscope_snapshot(void)
{
	struct tscope__thread *self = &tscope__self;
	int rc = 0;

	if (!tscope__rt.inited)
		return TSCOPE_ESTATE;
	pthread_mutex_lock(&tscope__rt.control);
	if (tscope__rt.state == TS_OFF || !tscope__rt.ring)
		rc = TSCOPE_ESTATE;
	pthread_mutex_lock(&tscope__rt.registry);
	for (struct tscope__thread *t = tscope__rt.threads; t && !rc; t = t->next) {
		if (t == self) {
			if (!tscope__try_own(t))
				continue;
		} else {
			tscope__own(t);
		}
		if (t->gen == tscope__rt.gen && t->buf)
			tscope__ring_flush(t, 0);
		tscope__release(t);
	}
	pthread_mutex_unlock(&tscope__rt.registry);
	if (!rc)
		rc = tscope__writer_sync();
	pthread_mutex_unlock(&tscope__rt.control);
	return rc;
}

TSCOPE_API TS_NOINSTR int tscope_thread_name(const char *name)
{
	struct tscope__thread *t = &tscope__self;

	if (!name || !*name)
		return TSCOPE_EINVAL;
	if (!tscope__try_own(t))
		return TSCOPE_ESTATE;
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->name_changed = 1;
	t->name_api = 1;
	tscope__release(t);
	return 0;
}
