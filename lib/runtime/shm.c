/* SPDX-License-Identifier: MIT */
/*
 * shm.c - buffer memory that outlives the process.
 *
 * In a stream-mode session the pool maps its buffers from a file PREFIX-PID in
 * /dev/shm instead of anonymous memory (PREFIX: TSCOPE_SALVAGE, which `tscope record`
 * sets; /dev/shm/tscope by default; TSCOPE_SALVAGE=0: anonymous memory), and this file
 * keeps its head, struct tsf_salvage (lib/salvage.h), up to date: where the trace is
 * and how much of it is whole, where the buffers are.  The buffers' own state words
 * are set by the cold path and the writer (tscope__buf_state).  If the process dies
 * without finishing its trace, record (or the next reader of the trace) finishes it
 * from this memory; if the process finishes it, the file is removed.  The hooks do not
 * know: their buffers are memory like any other.
 *
 * The process holds an open file description lock on the file, kept by the mapping of
 * its head: the kernel lets go of it when the process is gone.  The file is opened
 * once and its descriptor kept high (tracefd.c): an open() while the program runs
 * would take, for a moment, the lowest free number, which the program's own open()
 * or pipe() of that moment expects.  A forked child
 * must not keep the parent's mappings (it would write into the parent's buffers and
 * keep the lock alive): at fork they are replaced with private zero pages, and the
 * child's own file is made at its first buffer.  Signals are blocked across fork()
 * (session.c), so no handler writes in between.
 *
 * Called with the pool's lock held (map), the file's lock held (written, path,
 * done), or in the fork handlers.  Every failure here falls back to anonymous memory:
 * the trace is then as safe as in anonymous memory.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tscope-int.h"
#include "clock.h"
#include "salvage.h"

static struct {
	pthread_mutex_t lock;	  /* making the head: session start and first buffer */
	int enabled;		  /* this session maps from shared memory when it can */
	int failed;		  /* could not make the file: anonymous memory from now on */
	struct tsf_salvage *page; /* the file's head; NULL: none (or done) */
	char name[256];		  /* PREFIX-PID */
	int fd;			  /* the file, kept high; -1: none */
	dev_t dev;		  /* ... and its identity, checked before each use */
	ino_t ino;
	char trace[1024];	  /* the trace's path, once opened */
	char session[1024];	  /* the session's path, absolute */
	int forked;		  /* this process was forked from a recording one */
	unsigned n;		  /* regions mapped, this process's and inherited ones */
	struct {
		void *addr;
		size_t len;
	} regions[TSF_SALVAGE_REGIONS + 1]; /* + the head */
} s = { .lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1 };

static TS_NOINSTR void remember(void *addr, size_t len)
{
	s.regions[s.n].addr = addr;
	s.regions[s.n].len = len;
	s.n++;
}

/* Keep fd, the file's descriptor, high. */
static TS_NOINSTR void keep(int fd)
{
	struct stat st;

	if (fstat(fd, &st) != 0) {
		tscope__close(fd);
		return;
	}
	s.fd = tscope__fd_high(fd);
	s.dev = st.st_dev;
	s.ino = st.st_ino;
}

/* The file's descriptor, opened again when the program closed ours, or put a file of
 * its own at that number (never closed then: it is the program's).  -1 on failure. */
static TS_NOINSTR int held(struct stat *st)
{
	int fd;

	if (s.fd >= 0 && fstat(s.fd, st) == 0 && st->st_dev == s.dev && st->st_ino == s.ino)
		return s.fd;
	s.fd = -1;
	fd = tscope__open(s.name, O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0);
	if (fd < 0)
		return -1;
	keep(fd);
	if (s.fd < 0 || fstat(s.fd, st) != 0)
		return -1;
	return s.fd;
}

/* Let the file's descriptor go (the mappings keep what they need). */
static TS_NOINSTR void let_go(void)
{
	struct stat st;

	if (s.fd >= 0 && fstat(s.fd, &st) == 0 && st.st_dev == s.dev && st.st_ino == s.ino)
		tscope__close(s.fd);
	s.fd = -1;
}

/* The file, locked, and its head mapped; not remembered yet.  NULL on failure. */
static TS_NOINSTR struct tsf_salvage *make_head(void)
{
	struct tsf_salvage *p;
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd;

	fd = tscope__open(s.name, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return NULL;
	/* the pages are reserved now: a full /dev/shm is a failure here, never a SIGBUS
	 * at a store into them */
	if (tscope__fallocate(fd, 0, TSF_SALVAGE_HEAD) < 0 || fcntl(fd, F_OFD_SETLK, &lk) < 0)
		goto fail;
	p = mmap(NULL, TSF_SALVAGE_HEAD, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	keep(fd); /* the mapping keeps the description, and its lock, anyway */
	memcpy(p->magic, TSF_SALVAGE_MAGIC, sizeof(TSF_SALVAGE_MAGIC));
	p->pid = (uint32_t)getpid();
	p->ppid = (uint32_t)getppid();
	p->clock_source = (uint32_t)tscope__clock_source;
	tscope__clock_sync(&p->start);
	p->off_state = offsetof(struct tscope__buf, salvage_state);
	p->off_tid = offsetof(struct tscope__buf, salvage_tid);
	p->off_seq = offsetof(struct tscope__buf, salvage_seq);
	p->off_at = offsetof(struct tscope__buf, salvage_at);
	p->off_t0 = offsetof(struct tscope__buf, t0);
	p->off_trusted = offsetof(struct tscope__buf, trusted);
	p->off_cap = offsetof(struct tscope__buf, cap);
	p->off_chunk = offsetof(struct tscope__buf, chunk);
	p->off_name = offsetof(struct tscope__buf, name);
	p->off_name_changed = offsetof(struct tscope__buf, name_changed);
	p->name_max = TS_NAME_MAX;
	p->off_first = offsetof(struct tscope__buf, first);
	if (s.trace[0])
		snprintf(p->path, sizeof(p->path), "%s", s.trace);
	else if (s.session[0]) /* where it will be: for a reader to find it never opened */
		tscope__fd_resolve(s.session, s.forked, p->path, sizeof(p->path));
	if (readlink("/proc/self/exe", p->exe, sizeof(p->exe) - 1) < 0)
		p->exe[0] = 0;
	return p;
fail:
	tscope__close(fd);
	unlink(s.name);
	return NULL;
}

/* A chunk into the head's objects (a tscope__emit_fn); past its end, left out. */
static TS_NOINSTR int object(void *ctx, uint32_t type, const void *a, size_t alen,
			     const void *b, size_t blen, const void *c, size_t clen)
{
	struct tsf_salvage *p = ctx;
	size_t size = alen + blen + clen, at = TSF_SALVAGE_PAGE + p->objects_len;
	struct tsf_chunk ch = { type, 0, (uint32_t)size, (uint32_t)size };
	char *o = (char *)p + at;

	if (sizeof(ch) + TSF_ALIGN8(size) > TSF_SALVAGE_HEAD - at)
		return -1;
	memcpy(o, &ch, sizeof(ch));
	o += sizeof(ch);
	memcpy(o, a, alen);
	if (blen)
		memcpy(o + alen, b, blen);
	if (clen)
		memcpy(o + alen + blen, c, clen);
	memset(o + size, 0, TSF_ALIGN8(size) - size);
	p->objects_len += (uint32_t)(sizeof(ch) + TSF_ALIGN8(size));
	p->objects_chunks++;
	return 0;
}

/*
 * A new session: whether its buffers can be salvaged (stream mode, /dev/shm usable).
 * The head is made now, with the loaded objects, while nothing but the session's
 * start runs here.
 */
TS_NOINSTR void tscope__shm_session(const struct tscope__config *cfg)
{
	const char *prefix = getenv(TSF_ENV_SALVAGE);
	struct tsf_salvage *p;

	if (!prefix)
		prefix = "/dev/shm/tscope";
	s.enabled = cfg->mode == TSCOPE_MODE_STREAM && *prefix && strcmp(prefix, "0") != 0 &&
		    strlen(prefix) + 16 < sizeof(s.name);
	if (!s.enabled)
		return;
	s.session[0] = 0;
	if (cfg->path[0] != '/' && !getcwd(s.session, sizeof(s.session) - 1))
		s.session[0] = 0;
	if (s.session[0])
		strcat(s.session, "/");
	if (strlen(s.session) + strlen(cfg->path) < sizeof(s.session))
		strcat(s.session, cfg->path);
	else
		s.session[0] = 0;
	pthread_mutex_lock(&s.lock);
	if (s.page && !s.trace[0]) /* tscope_start() took over: elsewhere */
		tscope__fd_resolve(s.session, s.forked, s.page->path, sizeof(s.page->path));
	if (!s.page && !s.failed && s.n < TSF_SALVAGE_REGIONS) {
		snprintf(s.name, sizeof(s.name), "%s-%d", prefix, (int)getpid());
		p = make_head();
		if (p) {
			tscope__maps_snapshot(object, p);
			remember(p, TSF_SALVAGE_HEAD);
			s.page = p;
		} else {
			s.failed = 1;
		}
	}
	pthread_mutex_unlock(&s.lock);
}

TS_NOINSTR int tscope__shm_active(void)
{
	return s.page != NULL;
}

/*
 * n buffers of one bytes each, from the file, made first if need be.  NULL when
 * not under record or when it cannot be had (the caller maps anonymous memory).
 * Caller holds the pool's lock.
 */
TS_NOINSTR void *tscope__shm_map(size_t one, uint32_t n)
{
	struct tsf_salvage *p;
	struct stat st;
	size_t len = one * n;
	off_t at = 0;
	void *addr = MAP_FAILED;
	int fd;

	if (!s.enabled || !s.page || s.failed || s.n >= TSF_SALVAGE_REGIONS)
		return NULL;
	p = s.page;
	if (p->regions_n == TSF_SALVAGE_REGIONS)
		return NULL;
	fd = held(&st);
	if (fd >= 0) {
		/* the pages are reserved now: a full /dev/shm is a failure here, never a
		 * SIGBUS on the recording thread's store */
		at = (st.st_size + TSF_SALVAGE_PAGE - 1) & ~(off_t)(TSF_SALVAGE_PAGE - 1);
		if (tscope__fallocate(fd, at, (off_t)len) == 0) {
			addr = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
				    fd, at);
			if (addr == MAP_FAILED && ftruncate(fd, st.st_size) < 0)
				addr = MAP_FAILED;
		}
	}
	if (addr == MAP_FAILED) {
		/* /dev/shm full, or no address space: anonymous memory from now on (a
		 * failure per event, each reserving pages, would slow the program down) */
		s.failed = 1;
		return NULL;
	}
	p->regions[p->regions_n] = (struct tsf_salvage_region){ (uint64_t)at, one, n, 0 };
	__atomic_store_n(&p->regions_n, p->regions_n + 1, __ATOMIC_RELEASE);
	remember(addr, len);
	return addr;
}

/* The trace is open at path (relative to the working directory of now). */
TS_NOINSTR void tscope__shm_path(const char *path)
{
	struct stat st;
	size_t n = 0;

	if (path[0] != '/' && getcwd(s.trace, sizeof(s.trace) - 1)) {
		n = strlen(s.trace);
		s.trace[n++] = '/';
	}
	snprintf(s.trace + n, sizeof(s.trace) - n, "%s", path);
	if (!s.page)
		return;
	snprintf(s.page->path, sizeof(s.page->path), "%s", s.trace);
	if (stat(path, &st) == 0) {
		s.page->trace_dev = (uint64_t)st.st_dev;
		s.page->trace_ino = (uint64_t)st.st_ino;
	}
}

/* The trace's whole chunks: size bytes, chunks of them, events and lost counted there. */
TS_NOINSTR void tscope__shm_written(uint64_t size, uint64_t chunks, uint64_t events,
				    uint64_t lost)
{
	struct tsf_salvage *p = s.page;

	if (!p)
		return;
	p->chunks = chunks;
	p->events = events;
	p->lost = lost;
	__atomic_store_n(&p->written, size, __ATOMIC_RELEASE);
}

/* The trace is complete (or given back): nothing to salvage.  The buffers stay mapped;
 * a later session makes a new file. */
TS_NOINSTR void tscope__shm_done(void)
{
	if (!s.page)
		return;
	__atomic_store_n(&s.page->done, 1, __ATOMIC_RELEASE);
	unlink(s.name);
	let_go();
	s.page = NULL;
	s.trace[0] = 0;
}

/*
 * In a forked child: the child's own file is made, with the parent's objects; every
 * shared mapping (the parent's) becomes private zero pages at the same address, and
 * the child forgets the buffers that were in them.  Returns 1 when it did (the pool
 * and the writer drop their lists without reading them).
 */
TS_NOINSTR int tscope__shm_atfork_child(void)
{
	struct tsf_salvage *parent = s.page, *p = NULL;
	int had = s.n != 0;

	pthread_mutex_init(&s.lock, NULL);
	let_go(); /* the parent's: it would keep the parent's lock alive */
	s.forked = 1;
	s.trace[0] = 0;
	if (parent) {
		char *dash = strrchr(s.name, '-');

		if (dash)
			snprintf(dash + 1, sizeof(s.name) - (size_t)(dash + 1 - s.name), "%d",
				 (int)getpid());
		p = make_head();
		if (p) {
			memcpy((char *)p + TSF_SALVAGE_PAGE, (char *)parent + TSF_SALVAGE_PAGE,
			       parent->objects_len);
			p->objects_len = parent->objects_len;
			p->objects_chunks = parent->objects_chunks;
		}
	}
	for (unsigned i = 0; i < s.n; i++)
		mmap(s.regions[i].addr, s.regions[i].len, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	s.n = 0;
	s.page = p;
	if (p) {
		remember(p, TSF_SALVAGE_HEAD);
		s.failed = 0; /* the child's own file: worth a try */
	}
	return had;
}
