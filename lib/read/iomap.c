/* SPDX-License-Identifier: MIT */
/*
 * iomap.c - the fd -> path map of a trace's I/O events, and the names of the calls
 * (see iomap.h).
 *
 * Every open that returned an fd and every close is kept as (fd, ticks, path), sorted
 * by fd and time; a look-up is a binary search for the newest one at or before the
 * time asked.  A close is kept with no path: after it, the fd is nobody's.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include "tscope.h"
#include "iomap.h"

struct rec {
	int32_t fd;
	uint64_t ticks;
	char *path; /* NULL: closed, or opened with no path recorded */
};

struct iomap {
	struct rec *recs;
	size_t n, cap;
	uint64_t events; /* IO and WAIT */
};

static const char *const op_names[TSF_IO_OPS] = {
	[TSF_IO_READ] = "read",
	[TSF_IO_WRITE] = "write",
	[TSF_IO_PREAD] = "pread",
	[TSF_IO_PWRITE] = "pwrite",
	[TSF_IO_READV] = "readv",
	[TSF_IO_WRITEV] = "writev",
	[TSF_IO_SEND] = "send",
	[TSF_IO_RECV] = "recv",
	[TSF_IO_SENDTO] = "sendto",
	[TSF_IO_RECVFROM] = "recvfrom",
	[TSF_IO_SENDMSG] = "sendmsg",
	[TSF_IO_RECVMSG] = "recvmsg",
	[TSF_IO_FSYNC] = "fsync",
	[TSF_IO_FDATASYNC] = "fdatasync",
	[TSF_IO_OPEN] = "open",
	[TSF_IO_OPENAT] = "openat",
	[TSF_IO_CLOSE] = "close",
	[TSF_IO_MUTEX_LOCK] = "pthread_mutex_lock",
	[TSF_IO_COND_WAIT] = "pthread_cond_wait",
	[TSF_IO_COND_TIMEDWAIT] = "pthread_cond_timedwait",
	[TSF_IO_SEM_WAIT] = "sem_wait",
	[TSF_IO_SEM_TIMEDWAIT] = "sem_timedwait",
	[TSF_IO_POLL] = "poll",
	[TSF_IO_PPOLL] = "ppoll",
	[TSF_IO_SELECT] = "select",
	[TSF_IO_PSELECT] = "pselect",
	[TSF_IO_EPOLL_WAIT] = "epoll_wait",
	[TSF_IO_NANOSLEEP] = "nanosleep",
	[TSF_IO_CLOCK_NANOSLEEP] = "clock_nanosleep",
	[TSF_IO_SLEEP] = "sleep",
	[TSF_IO_USLEEP] = "usleep",
	[TSF_IO_WAITPID] = "waitpid",
	[TSF_IO_WAIT] = "wait",
	[TSF_IO_JOIN] = "pthread_join",
};

const char *iomap_op_name(uint32_t op)
{
	return op < TSF_IO_OPS && op_names[op] ? op_names[op] : "?";
}

int iomap_op_dir(uint32_t op)
{
	switch (op) {
	case TSF_IO_READ:
	case TSF_IO_PREAD:
	case TSF_IO_READV:
	case TSF_IO_RECV:
	case TSF_IO_RECVFROM:
	case TSF_IO_RECVMSG:
		return 1;
	case TSF_IO_WRITE:
	case TSF_IO_PWRITE:
	case TSF_IO_WRITEV:
	case TSF_IO_SEND:
	case TSF_IO_SENDTO:
	case TSF_IO_SENDMSG:
		return 2;
	default:
		return 0;
	}
}

int iomap_is_io(uint32_t sub)
{
	return sub == TSF_EXT_IO || sub == TSF_EXT_WAIT;
}

int iomap_piece_add(struct iomap_piece *p, uint64_t arg, const uint64_t v[3])
{
	uint32_t piece = (uint32_t)(arg >> 32) & 0xff, len = (uint32_t)(arg >> 40) & 0xff;
	int32_t fd = (int32_t)(uint32_t)arg;

	if (piece == 0) {
		p->len = len;
		p->have = 0;
		p->fd = fd;
	}
	/* a piece out of place (one lost, or a damaged trace): start again at the next */
	if (len != p->len || fd != p->fd || piece * TSF_IO_PATH_PIECE != p->have ||
	    p->have >= p->len) {
		p->len = p->have = 0;
		return 0;
	}
	for (uint32_t j = 0; j < 21 && p->have < p->len; j++)
		p->path[p->have++] = (char)(v[j / 7] >> (8 * (j % 7)));
	p->path[p->have] = 0;
	return p->have == p->len;
}

static int add(struct iomap *m, int32_t fd, uint64_t ticks, const char *path)
{
	struct rec *r;

	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 64;
		struct rec *n = realloc(m->recs, cap * sizeof(*n));

		if (!n)
			return TSCOPE_ENOMEM;
		m->recs = n;
		m->cap = cap;
	}
	r = &m->recs[m->n];
	r->fd = fd;
	r->ticks = ticks;
	r->path = NULL;
	if (path && !(r->path = strdup(path)))
		return TSCOPE_ENOMEM;
	m->n++;
	return 0;
}

static int rec_cmp(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	if (x->fd != y->fd)
		return x->fd < y->fd ? -1 : 1;
	if (x->ticks != y->ticks)
		return x->ticks < y->ticks ? -1 : 1;
	return 0;
}

/* One thread's opens and closes. */
static int scan(struct iomap *m, struct reader *r, size_t i)
{
	struct reader_cursor c;
	struct reader_event ev;
	struct iomap_piece p = { .len = 0 };
	int rc;

	reader_cursor_init(&c, r, i, 0);
	while ((rc = reader_next(&c, &ev)) > 0) {
		uint32_t op = (uint32_t)ev.arg & 0xff;
		int32_t fd = (int32_t)(uint32_t)(ev.arg >> 8);

		if (ev.kind != READER_EV_EXT)
			continue;
		if (ev.len == TSF_EXT_PATH) {
			uint64_t v[3] = { ev.addr, (uint64_t)ev.value, ev.more };

			iomap_piece_add(&p, ev.arg, v);
			continue;
		}
		m->events += iomap_is_io(ev.len);
		if (ev.len != TSF_EXT_IO)
			continue;
		if (op == TSF_IO_OPEN || op == TSF_IO_OPENAT) {
			int whole = p.len && p.have == p.len && p.fd == fd;

			rc = fd >= 0 ? add(m, fd, ev.ticks, whole ? p.path : NULL) : 0;
			p.len = p.have = 0;
		} else if (op == TSF_IO_CLOSE) {
			rc = add(m, fd, ev.ticks, NULL);
		}
		if (rc < 0)
			break;
	}
	reader_cursor_fini(&c);
	return rc == TSCOPE_ENOMEM ? rc : 0; /* a damaged thread: what was read counts */
}

int iomap_build(struct iomap **mp, struct reader *r)
{
	struct iomap *m;
	int rc = 0;

	*mp = NULL;
	if (!reader_info(r)->ext_chunks)
		return 0;
	m = calloc(1, sizeof(*m));
	if (!m)
		return TSCOPE_ENOMEM;
	for (size_t i = 0; i < reader_thread_count(r) && rc >= 0; i++)
		rc = scan(m, r, i);
	if (rc < 0) {
		iomap_free(m);
		return rc;
	}
	if (m->n > 1)
		qsort(m->recs, m->n, sizeof(*m->recs), rec_cmp);
	*mp = m;
	return 0;
}

uint64_t iomap_events(const struct iomap *m)
{
	return m ? m->events : 0;
}

void iomap_free(struct iomap *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->recs[i].path);
	free(m->recs);
	free(m);
}

const char *iomap_path(const struct iomap *m, int32_t fd, uint64_t ticks)
{
	size_t lo = 0, hi;

	if (!m)
		return NULL;
	hi = m->n;
	while (lo < hi) { /* the first record after (fd, ticks) */
		size_t mid = lo + (hi - lo) / 2;
		const struct rec *x = &m->recs[mid];

		if (x->fd < fd || (x->fd == fd && x->ticks <= ticks))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || m->recs[lo - 1].fd != fd)
		return NULL;
	return m->recs[lo - 1].path;
}
