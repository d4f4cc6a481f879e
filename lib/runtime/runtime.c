/* SPDX-License-Identifier: MIT */
/*
 * runtime.c - sessions, threads and the cold path of every event.
 *
 * Runs inside the traced program: it never exits, aborts or writes to stdout, and
 * writes to stderr only "tscope: ..." lines about bad environment values.  Every
 * function here is cold; the hot path is hook.c.
 *
 * Locking, outermost first:
 *	control  - one start/stop/snapshot/thread-exit at a time
 *	registry - the list of threads that have recorded in this process
 *	busy     - per thread, taken with a CAS: whoever holds it (the thread in its cold
 *	           path, or a controller flushing it) may touch its buffer.  The cold
 *	           path never takes control, and takes registry only without busy, so a
 *	           controller holding both may wait for a thread's busy.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tscope-int.h"
#include "clock.h"

enum { ST_OFF, ST_RUNNING, ST_PAUSED };

static struct {
	pthread_once_t once;
	int inited;   /* tscope__init() has run */
	int disabled; /* TSCOPE_ENABLE=0 */
	int state;    /* ST_*, read by every cold path */
	unsigned gen; /* session number; threads compare theirs */
	int explicit_start; /* the session came from tscope_start() */
	int ring;           /* the session is in ring mode */
	pthread_mutex_t control;
	pthread_mutex_t registry;
	pthread_key_t key;
	struct tscope__thread *threads;
	struct tscope__config env_cfg; /* what the environment asked for */
} rt = {
	.once = PTHREAD_ONCE_INIT,
	.control = PTHREAD_MUTEX_INITIALIZER,
	.registry = PTHREAD_MUTEX_INITIALIZER,
};

/*
 * One "tscope: ..." line on stderr, written with one write(): the runtime's only
 * output.  Control characters (a newline or a terminal escape in a bad environment
 * value) become '?', and a line too long is cut but still ends with its newline.
 */
TS_NOINSTR void tscope__say(const char *a, const char *b, const char *c)
{
	char line[512];
	int n = snprintf(line, sizeof(line) - 1, "tscope: %s%s%s", a, b, c);

	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line) - 1)
		n = (int)sizeof(line) - 2;
	for (int i = 0; i < n; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	line[n++] = '\n';
	if (write(2, line, (size_t)n) < 0)
		return;
}

static TS_NOINSTR void bad_env(const char *var, const char *val, const char *fallback)
{
	char msg[300];

	snprintf(msg, sizeof(msg), ": invalid value '%.200s%s', using %s", val,
		 strlen(val) > 200 ? "..." : "", fallback);
	tscope__say(var, msg, "");
}

/* "64k", "4M", "1G", "4096": bytes, or 0 if malformed. */
static TS_NOINSTR size_t parse_size(const char *s)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!s || *s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return 0;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	}
	if (shift)
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || v > (1ull << 32) >> shift)
		return 0;
	return (size_t)(v << shift);
}

/* "USR2", "SIGUSR2" or a number: a signal a program may use for snapshots, or 0. */
static TS_NOINSTR int parse_signal(const char *s)
{
	static const struct {
		const char *name;
		int sig;
	} names[] = { { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "HUP", SIGHUP },
		      { "PROF", SIGPROF }, { "WINCH", SIGWINCH }, { "URG", SIGURG } };
	char *end;
	long n;

	if (strncmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < TS_ARRAY_SIZE(names); i++)
		if (strcmp(s, names[i].name) == 0)
			return names[i].sig;
	n = strtol(s, &end, 10);
	if (*end || n <= 0 || n >= 65 || n == SIGKILL || n == SIGSTOP || n == SIGSEGV ||
	    n == SIGBUS || n == SIGFPE || n == SIGILL || n == SIGABRT)
		return 0;
	return (int)n;
}

#define BUF_MIN     1024u
#define BUF_DEFAULT (1u << 20)

static TS_NOINSTR int valid_buffer(size_t n)
{
	return n >= BUF_MIN && n <= (1ull << 32);
}

/* Read the TSCOPE_* environment once; bad values are reported and replaced. */
static TS_NOINSTR void read_env(struct tscope__config *c)
{
	const char *v;

	memset(c, 0, sizeof(*c));
	v = getenv(TSF_ENV_OUTPUT);
	if (v && *v && strlen(v) < sizeof(c->path) - 32) {
		strcpy(c->path, v);
	} else {
		if (v && *v)
			bad_env(TSF_ENV_OUTPUT, "(too long)", TSF_DEFAULT_PATH);
		strcpy(c->path, TSF_DEFAULT_PATH);
	}
	c->buffer_bytes = BUF_DEFAULT;
	v = getenv(TSF_ENV_BUFFER);
	if (v) {
		size_t n = parse_size(v);

		if (valid_buffer(n))
			c->buffer_bytes = n;
		else
			bad_env(TSF_ENV_BUFFER, v, "1M (sizes from 1k to 4G)");
	}
	c->mode = TSCOPE_MODE_STREAM;
	v = getenv(TSF_ENV_MODE);
	if (v && strcmp(v, "stream") != 0) {
		if (strcmp(v, "ring") == 0)
			c->mode = TSCOPE_MODE_RING;
		else
			bad_env(TSF_ENV_MODE, v, "stream");
	}
	v = getenv(TSF_ENV_SNAPSIG);
	if (v && *v) {
		c->snapshot_signal = parse_signal(v);
		if (!c->snapshot_signal)
			bad_env(TSF_ENV_SNAPSIG, v, "none");
		else if (c->snapshot_signal && c->mode != TSCOPE_MODE_RING) {
			tscope__say(TSF_ENV_SNAPSIG, ": only for TSCOPE_MODE=ring, ignored", "");
			c->snapshot_signal = 0;
		}
	}
	v = getenv(TSF_ENV_COMPRESS);
	if (v && *v && strcmp(v, "none") != 0 && strcmp(v, "0") != 0) {
#ifdef HAVE_LZ4
		if (strcmp(v, "lz4") == 0 || strcmp(v, "1") == 0)
			c->compress = 1;
		else
			bad_env(TSF_ENV_COMPRESS, v, "no compression");
#else
		tscope__say(TSF_ENV_COMPRESS, ": this libtscope is built without LZ4, ",
		    "writing uncompressed");
#endif
	}
	v = getenv(TSF_ENV_RECORD);
	c->claim = v && *v;
	v = getenv(TSF_ENV_ENABLE);
	if (v && strcmp(v, "1") != 0) {
		if (strcmp(v, "0") == 0)
			rt.disabled = 1;
		else
			bad_env(TSF_ENV_ENABLE, v, "1");
	}
}

static TS_NOINSTR uint32_t gettid_now(void)
{
	return (uint32_t)syscall(SYS_gettid);
}

static TS_NOINSTR void read_comm(struct tscope__thread *t)
{
	char name[TS_NAME_MAX] = "";

	if (t->name_api)
		return;
	if (prctl(PR_GET_NAME, name, 0, 0, 0) == 0 && strcmp(name, t->name) != 0) {
		strcpy(t->name, name);
		t->name_changed = 1;
	}
}

/* Take t's busy flag: the thread itself in its cold path, or a controller. */
static TS_NOINSTR int try_own(struct tscope__thread *t)
{
	int free_ = 0;

	return __atomic_compare_exchange_n(&t->busy, &free_, 1, 0, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

static TS_NOINSTR void own(struct tscope__thread *t)
{
	while (!try_own(t))
		sched_yield();
}

static TS_NOINSTR void release(struct tscope__thread *t)
{
	__atomic_store_n(&t->busy, 0, __ATOMIC_RELEASE);
}

/* Fill in the header of t's buffer and give it to the writer.  Caller owns t. */
static TS_NOINSTR void submit(struct tscope__thread *t, struct tscope__buf *b, size_t n,
			      uint32_t flags)
{
	b->head.tid = t->tid;
	b->head.flags = flags;
	b->head.seq = t->seq++;
	b->chunk.size = b->chunk.raw_size =
		(uint32_t)(sizeof(b->head) + n * sizeof(struct tsf_event));
	b->name_changed = 0;
	if (t->name_changed) {
		memcpy(b->name, t->name, sizeof(b->name));
		b->name_changed = 1;
		t->name_changed = 0;
	}
	tscope__writer_submit(b);
}

/*
 * Ring mode: move on to the next block of t's ring, overwriting its oldest events.
 * Returns 0 when no memory could be had.  Caller owns t.
 */
static TS_NOINSTR int ring_advance(struct tscope__thread *t)
{
	unsigned next = t->buf ? (t->ring_cur + 1) % TS_RING_BLOCKS : 0;
	struct tscope__buf *b = t->ring[next];

	if (t->buf)
		t->buf->used = (uint32_t)(t->pos - t->buf->ev);
	if (!b) {
		b = tscope__writer_get_buf();
		if (!b)
			return 0;
		t->ring[next] = b;
	} else if (b->used > b->first) {
		t->ring_overwrote = 1;
	}
	b->first = b->used = 0;
	b->head.lost = t->lost;
	t->lost = 0;
	t->ring_cur = next;
	t->buf = b;
	t->pos = b->ev;
	t->limit = b->ev + b->cap;
	return 1;
}

/*
 * Ring mode: hand over copies of what t's ring holds and no earlier snapshot took,
 * oldest block first, and mark it taken.  Copies, because t may be recording into its
 * current block meanwhile (past the pos read here).  Caller owns t.
 */
static TS_NOINSTR void ring_flush(struct tscope__thread *t, uint32_t flags)
{
	struct tsf_event *pos = TS_LOAD(t->pos);
	uint32_t wrapped = t->ring_overwrote ? TSF_EF_RING_WRAPPED : 0;

	if (t->buf)
		t->buf->used = (uint32_t)(pos - t->buf->ev);
	for (unsigned k = 1; k <= TS_RING_BLOCKS; k++) {
		struct tscope__buf *b = t->ring[(t->ring_cur + k) % TS_RING_BLOCKS], *c;
		size_t n;

		if (!b || b->used <= b->first)
			continue;
		n = b->used - b->first;
		c = tscope__writer_get_buf();
		if (!c) {
			t->lost += n;
			continue;
		}
		memcpy(c->ev, b->ev + b->first, n * sizeof(*pos));
		c->head.lost = b->head.lost;
		b->head.lost = 0;
		b->first = b->used;
		submit(t, c, n, wrapped | (k == TS_RING_BLOCKS ? flags : 0));
		wrapped = 0;
	}
	t->ring_overwrote = 0;
}

static TS_NOINSTR void ring_free(struct tscope__thread *t)
{
	for (unsigned k = 0; k < TS_RING_BLOCKS; k++) {
		if (t->ring[k])
			tscope__writer_put_buf(t->ring[k]);
		t->ring[k] = NULL;
	}
	t->buf = NULL;
	t->ring_overwrote = 0;
}

/* A fresh buffer for t, or 0 with the event counted as lost.  Caller owns t. */
static TS_NOINSTR int refill(struct tscope__thread *t)
{
	struct tscope__buf *b;

	if (rt.ring)
		return ring_advance(t);
	if (t->buf) {
		submit(t, t->buf, (size_t)(t->pos - t->buf->ev), 0);
		t->buf = NULL;
		t->pos = t->limit = NULL;
	}
	b = tscope__writer_get_buf();
	if (!b)
		return 0;
	b->head.lost = t->lost;
	t->lost = 0;
	t->buf = b;
	t->pos = b->ev;
	t->limit = b->ev + b->cap;
	return 1;
}

static TS_NOINSTR void thread_key_destructor(void *arg);

/* First event of a thread in this process: give it an id and a place in the list. */
static TS_NOINSTR void thread_register(struct tscope__thread *t)
{
	t->tid = gettid_now();
	read_comm(t);
	pthread_mutex_lock(&rt.registry);
	t->next = rt.threads;
	rt.threads = t;
	t->listed = 1;
	pthread_mutex_unlock(&rt.registry);
	pthread_setspecific(rt.key, t);
}

/* Join session gen: what the buffer holds belongs to an earlier session, which has
 * already taken it.  Caller owns t. */
static TS_NOINSTR void thread_attach(struct tscope__thread *t, unsigned gen)
{
	if (t->ring[0]) {
		ring_free(t);
	} else if (t->buf) {
		tscope__writer_put_buf(t->buf);
		t->buf = NULL;
	}
	t->pos = t->limit = NULL;
	t->seq = 0;
	t->lost = 0;
	t->name_changed = 1;
	t->gen = gen;
}

static TS_NOINSTR void tscope__init_once(void);

TS_COLD TS_NOINSTR void tscope__slow(const struct tsf_event *ev, unsigned n)
{
	struct tscope__thread *t = &tscope__self;
	int saved_errno;
	unsigned gen;

	if (TS_UNLIKELY(!__atomic_load_n(&rt.inited, __ATOMIC_ACQUIRE))) {
		if (t->busy || t->ignore)
			return;
		tscope__init_once();
	}
	if (__atomic_load_n(&rt.state, __ATOMIC_ACQUIRE) != ST_RUNNING || t->ignore)
		return;
	saved_errno = errno;
	if (!t->listed) {
		t->ignore = 1; /* what registration calls is not the program's doing */
		thread_register(t);
		t->ignore = 0;
	}
	if (!try_own(t))
		goto out_errno;
	gen = __atomic_load_n(&rt.gen, __ATOMIC_ACQUIRE);
	if (__atomic_load_n(&rt.state, __ATOMIC_SEQ_CST) != ST_RUNNING)
		goto out;
	if (t->gen != gen)
		thread_attach(t, gen);
	if (!t->buf || (size_t)(t->limit - t->pos) < n) {
		/* an event wider than a whole buffer (a long copied name in a tiny
		 * buffer) cannot be recorded either */
		if (!refill(t) || (size_t)(t->limit - t->pos) < n) {
			t->lost += n;
			goto out;
		}
	}
	t->pos[0].time = tscope__clock_slow();
	t->pos[0].word = ev[0].word;
	if (n > 1)
		memcpy(&t->pos[1], &ev[1], (n - 1) * sizeof(*ev));
	TS_STORE(t->pos, t->pos + n);
	/* Open the fast path only for a clock the hooks can read inline, then look at
	 * the state again: a pause or stop that raced with us has lowered end, or will
	 * see the end we stored (both sides use sequentially consistent accesses). */
	if (tscope__clock_source == TS_CLOCK_NATIVE) {
		__atomic_store_n(&t->end, t->limit, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&rt.state, __ATOMIC_SEQ_CST) != ST_RUNNING)
			TS_STORE(t->end, NULL);
	}
out:
	release(t);
out_errno:
	errno = saved_errno;
}

TS_COLD TS_NOINSTR void tscope__slow1(uint64_t word)
{
	struct tsf_event ev = { 0, word };

	tscope__slow(&ev, 1);
}

/* Lower every thread's end so that all of them take the cold path.  Caller holds
 * registry. */
static TS_NOINSTR void close_fast_paths(void)
{
	for (struct tscope__thread *t = rt.threads; t; t = t->next)
		__atomic_store_n(&t->end, NULL, __ATOMIC_SEQ_CST);
}

/*
 * Hand over what thread t recorded in the current session.  The caller is t itself,
 * or a controller while t may still run: then t's buffer is copied, not taken, since
 * t may be between its check of end and its store.  Caller owns t.
 */
static TS_NOINSTR void flush_thread(struct tscope__thread *t, int self, uint32_t flags)
{
	struct tsf_event *pos = TS_LOAD(t->pos);
	size_t n;
	struct tscope__buf *b;

	if (t->gen != rt.gen)
		return;
	if (rt.ring && t->buf) {
		ring_flush(t, flags);
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
		b = tscope__writer_get_buf();
		if (!b) {
			t->lost += n;
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
	submit(t, b, n, flags);
}

/* Stop the running session, write everything and complete the file.  Caller holds
 * control. */
static TS_NOINSTR int stop_locked(void)
{
	struct tscope__thread *self = &tscope__self;
	int rc;

	if (rt.state == ST_OFF)
		return 0;
	__atomic_store_n(&rt.state, ST_OFF, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&rt.registry);
	close_fast_paths();
	for (struct tscope__thread *t = rt.threads; t; t = t->next) {
		int is_self = t == self;

		if (is_self) {
			if (!try_own(t))
				continue; /* stop() from within our own cold path: cannot be */
		} else {
			own(t);
		}
		if (is_self)
			read_comm(t);
		flush_thread(t, is_self, TSF_EF_FINAL);
		release(t);
	}
	pthread_mutex_unlock(&rt.registry);
	rc = tscope__writer_close();
	return rc;
}

/* Start a session with configuration c.  Caller holds control; nothing runs. */
static TS_NOINSTR int start_locked(const struct tscope__config *c, int lazy)
{
	int rc = tscope__writer_open(c, lazy);

	if (rc)
		return rc;
	rt.ring = c->mode == TSCOPE_MODE_RING;
	__atomic_store_n(&rt.gen, rt.gen + 1 ? rt.gen + 1 : 1, __ATOMIC_RELEASE);
	__atomic_store_n(&rt.state, ST_RUNNING, __ATOMIC_SEQ_CST);
	return 0;
}

static TS_NOINSTR void thread_key_destructor(void *arg)
{
	struct tscope__thread *t = arg;
	struct tscope__thread **pp;

	if (t != &tscope__self)
		return;
	pthread_mutex_lock(&rt.control);
	own(t);
	if (rt.state != ST_OFF) {
		read_comm(t);
		flush_thread(t, 1, TSF_EF_FINAL);
	}
	pthread_mutex_lock(&rt.registry);
	for (pp = &rt.threads; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	t->listed = 0;
	pthread_mutex_unlock(&rt.registry);
	if (t->ring[0]) {
		ring_free(t);
	} else if (t->buf) {
		tscope__writer_put_buf(t->buf);
		t->buf = NULL;
	}
	t->pos = t->limit = NULL;
	TS_STORE(t->end, NULL);
	t->gen = 0;
	release(t);
	pthread_mutex_unlock(&rt.control);
}

static TS_NOINSTR void atfork_prepare(void)
{
	pthread_mutex_lock(&rt.control);
	pthread_mutex_lock(&rt.registry);
	tscope__writer_atfork_prepare();
}

static TS_NOINSTR void atfork_parent(void)
{
	tscope__writer_atfork_parent();
	pthread_mutex_unlock(&rt.registry);
	pthread_mutex_unlock(&rt.control);
}

/*
 * The child keeps only the forking thread, and writes its own trace.  What that
 * thread's buffer holds was recorded before the fork: it is the parent's.
 */
static TS_NOINSTR void atfork_child(void)
{
	struct tscope__thread *self = &tscope__self;

	rt.threads = NULL;
	if (self->listed) {
		self->tid = gettid_now();
		self->next = NULL;
		rt.threads = self;
		self->name_changed = 1;
	}
	self->busy = 0;
	tscope__writer_atfork_child();
	pthread_mutex_unlock(&rt.registry);
	pthread_mutex_unlock(&rt.control);
	if (rt.state != ST_OFF) {
		/* A new session for the child; the writer keeps the configuration and
		 * derives the child's file name from it. */
		if (self->ring[0]) {
			ring_free(self);
		} else if (self->buf) {
			tscope__writer_put_buf(self->buf);
			self->buf = NULL;
		}
		self->pos = self->limit = NULL;
		TS_STORE(self->end, NULL);
		self->gen = 0;
		rt.gen++;
	}
}

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
		for (int i = 0; i < 2000; i++) {
			if (pthread_mutex_trylock(&rt.control) == 0) {
				stop_locked();
				pthread_mutex_unlock(&rt.control);
				break;
			}
			usleep(1000); /* another thread is starting or stopping */
		}
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

static TS_NOINSTR void install_signal_handlers(void)
{
	struct sigaction sa, old;

	if (rt.env_cfg.snapshot_signal) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_snapshot_signal;
		sigemptyset(&sa.sa_mask);
		sa.sa_flags = SA_RESTART;
		sigaction(rt.env_cfg.snapshot_signal, &sa, NULL);
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal_signal;
	sigfillset(&sa.sa_mask); /* one flush, not interrupted by a second signal */
	sa.sa_flags = SA_RESTART;
	for (size_t i = 0; i < TS_ARRAY_SIZE(fatal_signals); i++) {
		if (fatal_signals[i] == rt.env_cfg.snapshot_signal)
			continue;
		if (sigaction(fatal_signals[i], NULL, &old) == 0 &&
		    !(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_DFL)
			sigaction(fatal_signals[i], &sa, NULL);
	}
}

/*
 * A shared libtscope preloaded (by `tscope record`) into a program linked with
 * libtscope.a: the program calls its own copy's hooks, so this copy would only leave an
 * empty trace in the way of the real one.  The executable exports its hooks (libc
 * defines them too), so the dynamic linker finds them before ours.  The static archive
 * has nothing to check: it is the program's copy.
 */
static TS_NOINSTR int hooks_elsewhere(void)
{
#ifdef PIC
	void *p = dlsym(RTLD_DEFAULT, "__cyg_profile_func_enter");

	return p && p != (void *)tscope__own_enter;
#else
	return 0;
#endif
}

static TS_NOINSTR void init_body(void)
{
	tscope__clock_init();
	read_env(&rt.env_cfg);
	if (hooks_elsewhere())
		rt.disabled = 1;
	pthread_key_create(&rt.key, thread_key_destructor);
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	__atomic_store_n(&rt.inited, 1, __ATOMIC_RELEASE);
	if (!rt.disabled) {
		install_signal_handlers();
		pthread_mutex_lock(&rt.control);
		/* Under `tscope record` the file is claimed at once, so that an image this
		 * process exec()s finds it taken. */
		if (rt.state == ST_OFF)
			start_locked(&rt.env_cfg, !rt.env_cfg.claim); /* a failure is reported */
		pthread_mutex_unlock(&rt.control);
	}
}

static TS_NOINSTR void tscope__init_once(void)
{
	pthread_once(&rt.once, init_body);
}

__attribute__((constructor)) static TS_NOINSTR void tscope__ctor(void)
{
	tscope__init_once();
}

__attribute__((destructor)) static TS_NOINSTR void tscope__dtor(void)
{
	tscope_stop();
}

/* Merge an API configuration over the environment's. */
static TS_NOINSTR int merge_config(const struct tscope_config *cfg, struct tscope__config *c)
{
	struct tscope_config in = TSCOPE_CONFIG_INIT;

	*c = rt.env_cfg;
	if (!cfg)
		return 0;
	if (cfg->size < offsetof(struct tscope_config, compress) + sizeof(int) ||
	    cfg->size > 4096)
		return TSCOPE_EINVAL;
	memcpy(&in, cfg, cfg->size < sizeof(in) ? cfg->size : sizeof(in));
	if (in.path) {
		if (!*in.path || strlen(in.path) >= sizeof(c->path) - 32)
			return TSCOPE_EINVAL;
		strcpy(c->path, in.path);
	}
	if (in.buffer_bytes) {
		if (!valid_buffer(in.buffer_bytes))
			return TSCOPE_EINVAL;
		c->buffer_bytes = in.buffer_bytes;
	}
	if (in.mode) {
		if (in.mode != TSCOPE_MODE_STREAM && in.mode != TSCOPE_MODE_RING)
			return TSCOPE_EINVAL;
		c->mode = in.mode;
	}
	if (in.compress) {
#ifdef HAVE_LZ4
		c->compress = 1;
#else
		return TSCOPE_ENOLZ4;
#endif
	}
	return 0;
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
	int rc;

	if (!f) {
		f = (int (*)(void *))dlsym(RTLD_NEXT, "dlclose");
		if (!f)
			return -1; /* cannot happen with a dynamic loader */
		__atomic_store_n(&real, f, __ATOMIC_RELEASE);
	}
	tscope__writer_modules(0);
	rc = f(handle);
	tscope__writer_modules(1);
	return rc;
}
#endif

TSCOPE_API TS_NOINSTR int tscope_start(const struct tscope_config *cfg)
{
	struct tscope__config c;
	int rc;

	tscope__init_once();
	if (rt.disabled)
		return TSCOPE_EDISABLED;
	rc = merge_config(cfg, &c);
	if (rc)
		return rc;
	pthread_mutex_lock(&rt.control);
	if (rt.state != ST_OFF && rt.explicit_start) {
		rc = TSCOPE_EBUSY;
	} else if (rt.state != ST_OFF && tscope__writer_retarget(&c) == 0) {
		rt.explicit_start = 1; /* the automatic session becomes this one */
	} else {
		stop_locked();
		rc = start_locked(&c, 0);
		rt.explicit_start = rc == 0;
	}
	pthread_mutex_unlock(&rt.control);
	return rc;
}

TSCOPE_API TS_NOINSTR int tscope_stop(void)
{
	int rc;

	if (!rt.inited)
		return 0;
	pthread_mutex_lock(&rt.control);
	rc = stop_locked();
	rt.explicit_start = 0;
	pthread_mutex_unlock(&rt.control);
	return rc;
}

TSCOPE_API TS_NOINSTR void tscope_pause(void)
{
	int running = ST_RUNNING;

	if (!__atomic_compare_exchange_n(&rt.state, &running, ST_PAUSED, 0, __ATOMIC_SEQ_CST,
					 __ATOMIC_RELAXED))
		return;
	pthread_mutex_lock(&rt.registry);
	close_fast_paths();
	pthread_mutex_unlock(&rt.registry);
}

TSCOPE_API TS_NOINSTR void tscope_resume(void)
{
	int paused = ST_PAUSED;

	/* Threads find their way back through the cold path at their next event. */
	__atomic_compare_exchange_n(&rt.state, &paused, ST_RUNNING, 0, __ATOMIC_SEQ_CST,
				    __ATOMIC_RELAXED);
}

TSCOPE_API TS_NOINSTR int tscope_flush(void)
{
	struct tscope__thread *t = &tscope__self;
	int rc;

	if (!rt.inited || rt.state == ST_OFF)
		return TSCOPE_ESTATE;
	if (t->listed && try_own(t)) {
		if (t->gen == rt.gen && t->buf) {
			TS_STORE(t->end, NULL);
			refill(t);
			if (tscope__clock_source == TS_CLOCK_NATIVE && t->buf &&
			    rt.state == ST_RUNNING) {
				__atomic_store_n(&t->end, t->limit, __ATOMIC_SEQ_CST);
				if (__atomic_load_n(&rt.state, __ATOMIC_SEQ_CST) != ST_RUNNING)
					TS_STORE(t->end, NULL);
			}
		}
		release(t);
	}
	rc = tscope__writer_sync();
	return rc;
}

TSCOPE_API TS_NOINSTR int tscope_snapshot(void)
{
	struct tscope__thread *self = &tscope__self;
	int rc = 0;

	if (!rt.inited)
		return TSCOPE_ESTATE;
	pthread_mutex_lock(&rt.control);
	if (rt.state == ST_OFF || !rt.ring)
		rc = TSCOPE_ESTATE;
	pthread_mutex_lock(&rt.registry);
	for (struct tscope__thread *t = rt.threads; t && !rc; t = t->next) {
		if (t == self) {
			if (!try_own(t))
				continue;
		} else {
			own(t);
		}
		if (t->gen == rt.gen && t->buf)
			ring_flush(t, 0);
		release(t);
	}
	pthread_mutex_unlock(&rt.registry);
	if (!rc)
		rc = tscope__writer_sync();
	pthread_mutex_unlock(&rt.control);
	return rc;
}

TSCOPE_API TS_NOINSTR int tscope_thread_name(const char *name)
{
	struct tscope__thread *t = &tscope__self;

	if (!name || !*name)
		return TSCOPE_EINVAL;
	if (!try_own(t))
		return TSCOPE_ESTATE;
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->name_changed = 1;
	t->name_api = 1;
	release(t);
	return 0;
}
