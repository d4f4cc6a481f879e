/* SPDX-License-Identifier: MIT */
/*
 * perfetto-out.c - runs of packets compressed beside the encoding and written in
 * order (see perfetto-out.h).
 *
 * The queue is a ring of PFOUT_QUEUE runs; the one being compressed stays in it until
 * it is written, so that the ring's size bounds the buffers: PFOUT_QUEUE + 1 of them,
 * the encoder's and one per run, the spare ones on a free list.  When the encoder
 * hands a run over, the ring has room, so a spare buffer is there to give it back.
 * A buffer grown past the usual size (a thread's output held whole) is shrunk back
 * once written.  One mutex guards all but the FILE, which only the thread writes to
 * while runs are queued, and the compressor's own tables.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "tscope.h"
#include "deflate.h"
#include "perfetto-out.h"

/* The packet of compressed_packets: TracePacket (field 1 of Trace) whose field 50 holds
 * the zlib stream, both length-delimited. */
#define TAG_TRACE_PACKET 0x0a
#define TAG_COMPRESSED	 (50u << 3 | 2)
#define HEAD_ROOM	 16 /* the most both heads take: 2 tags, 2 varint lengths */

struct run {
	unsigned char *buf;
	size_t cap, n;
	size_t split; /* two packets: the bytes before it, and the rest (0: one) */
	int raw;
	int hold; /* kept in memory (pfout_hold), not written */
};

struct pfout {
	FILE *out;
	size_t size; /* of a buffer */
	int threaded;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t more; /* a run was queued, or stop is set */
	pthread_cond_t room; /* a run was written */

	struct run q[PFOUT_QUEUE]; /* from head, count of them */
	unsigned head, count;
	struct run spare[PFOUT_QUEUE];
	unsigned nspare;
	int stop;

	uint64_t put, written; /* runs */
	uint64_t mark_at;      /* the output's position after this many runs is mark_off */
	int64_t mark_off;
	int64_t off;
	int failed, err;
	int werrno; /* errno of the failed write, which was the thread's */

	/* the compressor's: the zlib stream, after room for the heads */
	unsigned char *zbuf;
	size_t zcap;
	struct deflate z;

	/* runs held (pfout_hold): their output, which the compressor appends to */
	int hold;
	unsigned char *hbuf;
	size_t hn, hcap;
};

static unsigned char *put_v(unsigned char *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	*p++ = (unsigned char)v;
	return p;
}

static size_t vlen(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* The packet of the zn bytes of zlib stream at z: its two heads, written just before
 * it (HEAD_ROOM bytes are there).  Returns where the packet starts. */
static unsigned char *packet(unsigned char *z, size_t zn)
{
	size_t in = vlen(TAG_COMPRESSED) + vlen(zn) + zn;
	unsigned char *p = z - vlen(TAG_TRACE_PACKET) - vlen(in) - vlen(TAG_COMPRESSED) - vlen(zn);

	put_v(put_v(put_v(put_v(p, TAG_TRACE_PACKET), in), TAG_COMPRESSED), zn);
	return p;
}

/* Write n bytes at p, unless a write failed; or keep them in hbuf (hold).  Returns 0,
 * or -1 when there is no memory to keep them. */
static int put_out(struct pfout *o, const unsigned char *p, size_t n, int hold, int *failed,
		   int *werrno)
{
	if (hold) {
		if (n > o->hcap - o->hn) {
			size_t cap = o->hcap ? o->hcap : 1u << 16;
			unsigned char *b;

			while (cap - o->hn < n)
				cap *= 2;
			b = realloc(o->hbuf, cap);
			if (!b)
				return -1;
			o->hbuf = b;
			o->hcap = cap;
		}
		memcpy(o->hbuf + o->hn, p, n);
		o->hn += n;
	} else if (n && !*failed && fwrite(p, 1, n, o->out) != n) {
		*failed = 1;
		*werrno = errno;
	}
	return 0;
}

/*
 * Write a run out (or keep it, r->hold): compressed into one packet, or two (split:
 * the streams are made together, see deflate_zlib2), or raw.  Returns the bytes it
 * takes in the output (0 when kept: they count once written), -1 when there is no
 * memory to compress or keep it (it is dropped).  After a failed write (*failed)
 * nothing more is written, nor compressed.
 */
static int64_t write_run(struct pfout *o, const struct run *r, int *failed, int *werrno)
{
	size_t split = r->split && r->split < r->n ? r->split : 0;
	size_t b0 = deflate_bound(split ? split : r->n), zn0, zn1 = 0;
	unsigned char *z0, *z1, *p0, *p1 = NULL;

	if (*failed || r->raw) {
		if (put_out(o, r->buf, r->n, r->hold && !*failed, failed, werrno) < 0)
			return -1;
		return r->hold ? 0 : (int64_t)r->n;
	}
	if (b0 + deflate_bound(r->n - split) + 2 * HEAD_ROOM > o->zcap) {
		size_t want = b0 + deflate_bound(r->n - split) + 2 * HEAD_ROOM;
		unsigned char *s = realloc(o->zbuf, want);

		if (!s)
			return -1;
		o->zbuf = s;
		o->zcap = want;
	}
	/* each stream after room for its heads */
	z0 = o->zbuf + HEAD_ROOM;
	z1 = z0 + b0 + HEAD_ROOM;
	if (split)
		deflate_zlib2(&o->z, z0, z1, r->buf, split, r->n, &zn0, &zn1);
	else
		zn0 = deflate_zlib(&o->z, z0, r->buf, r->n);
	p0 = packet(z0, zn0);
	if (put_out(o, p0, (size_t)(z0 + zn0 - p0), r->hold, failed, werrno) < 0)
		return -1;
	if (split) {
		p1 = packet(z1, zn1);
		if (put_out(o, p1, (size_t)(z1 + zn1 - p1), r->hold, failed, werrno) < 0)
			return -1;
	}
	if (r->hold)
		return 0;
	return (int64_t)(z0 + zn0 - p0) + (split ? (int64_t)(z1 + zn1 - p1) : 0);
}

/* A run is written: account for it (under mu when threaded). */
static void account(struct pfout *o, int64_t len, int failed, int werrno)
{
	if (failed && !o->failed)
		o->werrno = werrno;
	if (len < 0)
		o->err = TSCOPE_ENOMEM;
	else
		o->off += len;
	o->failed = failed;
	o->written++;
	if (o->written == o->mark_at)
		o->mark_off = o->off;
}

static void *compressor(void *arg)
{
	struct pfout *o = arg;

	pthread_mutex_lock(&o->mu);
	for (;;) {
		struct run r;
		int failed, werrno = 0;
		int64_t len;

		while (!o->count && !o->stop)
			pthread_cond_wait(&o->more, &o->mu);
		if (!o->count)
			break; /* stopped, and all is written */
		r = o->q[o->head];
		failed = o->failed;
		pthread_mutex_unlock(&o->mu);

		len = write_run(o, &r, &failed, &werrno);
		if (r.cap > o->size) {
			unsigned char *b = realloc(r.buf, o->size);

			if (b) {
				r.buf = b;
				r.cap = o->size;
			}
		}

		pthread_mutex_lock(&o->mu);
		account(o, len, failed, werrno);
		o->spare[o->nspare++] = r;
		o->head = (o->head + 1) % PFOUT_QUEUE;
		o->count--;
		pthread_cond_broadcast(&o->room);
	}
	pthread_mutex_unlock(&o->mu);
	return NULL;
}

/* Whether to compress on a thread of its own: only when asked (TSCOPE_THREADS=2 or
 * more) and there is more than one CPU to run on.  Measured on fib(30), 5.4 M events to
 * a file, 2 CPUs: 0.17 s with the thread, 0.12 s without, so it is not the default;
 * again with the faster compressor, fib(35), 59.8 M events, 2 busy CPUs: 1.39 to
 * 2.01 s with it, 1.35 to 1.51 s without (and more CPU time). */
static int want_thread(void)
{
	const char *env = getenv("TSCOPE_THREADS");
	cpu_set_t set;

	if (!env || strtol(env, NULL, 10) < 2)
		return 0;
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return 1;
	return CPU_COUNT(&set) > 1;
}

/* Start the thread with every signal blocked, so that they go to the caller's. */
static int start(struct pfout *o)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&o->thread, NULL, compressor, o);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static void free_spares(struct pfout *o)
{
	for (unsigned i = 0; i < o->nspare; i++)
		free(o->spare[i].buf);
	free(o->zbuf);
	free(o->hbuf);
}

struct pfout *pfout_open(FILE *out, int64_t off, size_t size, unsigned char **buf)
{
	struct pfout *o = calloc(1, sizeof(*o));
	unsigned i;

	*buf = NULL;
	if (!o)
		return NULL;
	o->out = out;
	o->size = size;
	o->off = off;
	o->mark_off = off;
	o->zcap = deflate_bound(size) + deflate_bound(size / 2) + 2 * HEAD_ROOM;
	o->zbuf = malloc(o->zcap);
	*buf = malloc(size);
	for (i = 0; i < PFOUT_QUEUE && o->zbuf && *buf; i++) {
		o->spare[i].buf = malloc(size);
		o->spare[i].cap = size;
		o->nspare = i + 1;
		if (!o->spare[i].buf)
			break;
	}
	if (i < PFOUT_QUEUE) {
		free_spares(o);
		free(*buf);
		free(o);
		*buf = NULL;
		return NULL;
	}
	if (want_thread()) {
		if (pthread_mutex_init(&o->mu, NULL) == 0) {
			if (pthread_cond_init(&o->more, NULL) == 0) {
				if (pthread_cond_init(&o->room, NULL) == 0) {
					if (start(o) == 0) {
						o->threaded = 1;
						return o;
					}
					pthread_cond_destroy(&o->room);
				}
				pthread_cond_destroy(&o->more);
			}
			pthread_mutex_destroy(&o->mu);
		}
	}
	return o; /* each run written by pfout_put() */
}

int pfout_put(struct pfout *o, unsigned char **buf, size_t *cap, size_t n, size_t keep,
	      size_t split, int raw)
{
	struct run r = { *buf, *cap, n, split, raw, o->hold }, s;
	int failed, werrno = 0;

	if (!n)
		return 0;
	if (!o->threaded) {
		failed = o->failed;
		account(o, write_run(o, &r, &failed, &werrno), failed, werrno);
		o->put++;
		if (keep)
			memmove(*buf, *buf + n, keep);
		return 0;
	}
	pthread_mutex_lock(&o->mu);
	while (o->count == PFOUT_QUEUE)
		pthread_cond_wait(&o->room, &o->mu);
	s = o->spare[o->nspare - 1]; /* there is one: the ring has room */
	if (keep > s.cap) {
		unsigned char *b = realloc(s.buf, keep);

		if (!b) {
			pthread_mutex_unlock(&o->mu);
			return TSCOPE_ENOMEM;
		}
		s.buf = b;
		s.cap = keep;
	}
	o->nspare--;
	if (keep)
		memcpy(s.buf, *buf + n, keep);
	o->q[(o->head + o->count) % PFOUT_QUEUE] = r;
	o->count++;
	o->put++;
	pthread_cond_signal(&o->more);
	pthread_mutex_unlock(&o->mu);
	*buf = s.buf;
	*cap = s.cap;
	return 0;
}

void pfout_hold(struct pfout *o)
{
	pfout_drain(o, NULL);
	o->hold = 1;
}

void pfout_drop(struct pfout *o)
{
	pfout_drain(o, NULL);
	o->hn = 0;
}

void pfout_release(struct pfout *o)
{
	int failed, werrno = 0;

	pfout_drain(o, NULL); /* the thread is done with hbuf and the FILE */
	o->hold = 0;
	failed = o->failed;
	put_out(o, o->hbuf, o->hn, 0, &failed, &werrno);
	if (o->threaded)
		pthread_mutex_lock(&o->mu);
	if (failed && !o->failed)
		o->werrno = werrno;
	o->failed = failed;
	o->off += (int64_t)o->hn;
	if (o->threaded)
		pthread_mutex_unlock(&o->mu);
	o->hn = 0;
	if (o->hcap > o->size) { /* a thread's worth: not kept for the next one */
		free(o->hbuf);
		o->hbuf = NULL;
		o->hcap = 0;
	}
}

void pfout_mark(struct pfout *o)
{
	if (o->threaded)
		pthread_mutex_lock(&o->mu);
	o->mark_at = o->put;
	if (o->written == o->put)
		o->mark_off = o->off;
	if (o->threaded)
		pthread_mutex_unlock(&o->mu);
}

uint64_t pfout_runs(const struct pfout *o)
{
	return o->put; /* only the caller's thread changes it */
}

int64_t pfout_drain(struct pfout *o, int64_t *mark)
{
	int64_t off;

	if (o->threaded) {
		pthread_mutex_lock(&o->mu);
		while (o->count)
			pthread_cond_wait(&o->room, &o->mu);
	}
	off = o->off;
	if (mark)
		*mark = o->mark_off;
	if (o->threaded)
		pthread_mutex_unlock(&o->mu);
	return off;
}

int pfout_seek(struct pfout *o, int64_t off)
{
	pfout_drain(o, NULL);
	/* the thread waits for a run: the FILE is the caller's until the next one */
	if (fflush(o->out) != 0 || fseeko(o->out, (off_t)off, SEEK_SET) != 0)
		return -1;
	if (o->threaded)
		pthread_mutex_lock(&o->mu);
	o->off = off;
	if (o->threaded)
		pthread_mutex_unlock(&o->mu);
	return 0;
}

int pfout_status(struct pfout *o)
{
	int s;

	if (o->threaded)
		pthread_mutex_lock(&o->mu);
	s = o->err ? o->err : o->failed;
	if (o->failed)
		errno = o->werrno;
	if (o->threaded)
		pthread_mutex_unlock(&o->mu);
	return s;
}

void pfout_close(struct pfout *o)
{
	if (!o)
		return;
	if (o->threaded) {
		pthread_mutex_lock(&o->mu);
		o->stop = 1;
		pthread_cond_signal(&o->more);
		pthread_mutex_unlock(&o->mu);
		pthread_join(o->thread, NULL);
		pthread_cond_destroy(&o->room);
		pthread_cond_destroy(&o->more);
		pthread_mutex_destroy(&o->mu);
	}
	free_spares(o);
	free(o);
}
