/* SPDX-License-Identifier: MIT */
/*
 * export-speedscope.c - speedscope's own file format (its "evented" profiles), as
 * speedscope (www.speedscope.app, or the npm package) opens it:
 *
 *	{"$schema":"https://www.speedscope.app/file-format-schema.json","profiles":[
 *	{"type":"evented","name":"worker (tid 12, pid 10)","unit":"nanoseconds","events":[
 *	{"type":"O","frame":0,"at":1500},
 *	{"type":"C","frame":0,"at":2250}
 *	],"startValue":1200,"endValue":2300},
 *	...
 *	],"shared":{"frames":[
 *	{"name":"main"},
 *	...
 *	]},"name":"prog","activeProfileIndex":0,"exporter":"tscope 0.1.0"}
 *
 * One profile per thread, in the order of the traces and their threads; its events
 * open ("O") and close ("C") frames, an index into the shared frames, at times in
 * nanoseconds from the same time 0 as `tscope chrome` (the earliest recording start of
 * the traces).  speedscope reads an event's time as at - startValue, and needs it
 * never to go back and never to be negative; it needs every "C" to close the frame on
 * top, and every frame closed by the end.  The spans layer (spans.h) gives all that:
 * calls left open are closed, and times never go back; an event before time 0 (a
 * damaged trace) is put at 0.  Frames are interned: one per distinct name, numbered in
 * the order they are first met.  speedscope has no instants nor counters: they are
 * left out.
 *
 * The document streams.  JSON does not order an object's keys, so the frames, known
 * only at the end, come after the profiles, and a profile's startValue and endValue
 * after its events.  What is held is one entry per name met.  One repair of the spans
 * layer needs more: a call that returns with nothing open began before the thread's
 * events, and only then is it known to contain what was already written (spans.h,
 * exit_early).  spans_run() then reads the thread again with those calls open from the
 * start (spans_ops.reset), and what was written of the thread is taken back as
 * export-perfetto.c does it: in a regular file the writing goes back to where the
 * thread began (a shorter second reading is padded with spaces, which JSON ignores);
 * otherwise the thread's output is held in memory up to speedscope_opts.stage_max bytes.
 * Past that the first reading stays, and such a call opens where the output had got to
 * (counted, for the exporter's warning).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "tscope.h"
#include "export.h"

#define BUF_SIZE  (256u << 10)
#define STAGE_MAX (16u << 20) /* default speedscope_opts.stage_max */
#define EVENT_MAX 64	      /* bytes of one event: ,\n{"type":"O","frame":F,"at":T} */
#define HOT_SIZE  1024	      /* entries of the frame key -> frame cache */
#define NAME_MAX_ 256	      /* bytes of the document's name kept */

static const char schema[] = "https://www.speedscope.app/file-format-schema.json";

struct speedscope {
	FILE *out;
	struct speedscope_opts o;
	struct names *names;
	int err;    /* TSCOPE_ENOMEM once memory ran out */
	int failed; /* a write failed: nothing more is written, nor read */
	uint64_t threads;
	char name[NAME_MAX_]; /* the document's: the first trace's executable */

	/*
	 * The output buffer; off is the output's offset of buf[0].  It is written out when
	 * lim bytes are used: BUF_SIZE, or, while a thread's output is held (staging), up to
	 * stage_max bytes from mark (it grows).
	 */
	char *buf;
	size_t pos, lim, cap;
	int64_t off;
	int seekable; /* a regular file: a thread's output can be written again */

	/* frames: name id -> frame index + 1 (0: none yet), and frame index -> name id */
	uint32_t *frame_of;
	size_t frame_of_cap;
	uint32_t *frames;
	size_t nframes, frames_cap;
	struct {
		uint64_t key;
		uint32_t frame; /* + 1; 0: an empty entry */
	} hot[HOT_SIZE];	/* frame key -> frame, direct-mapped */

	/* the thread being written */
	struct spans *sp;
	uint64_t last;	   /* the time of its last event, ns from base_ns */
	uint64_t first_at; /* of its first event */
	int events;	   /* an event was written: the next needs a comma */
	int staging;	   /* its output stays in memory from buf[mark] (not seekable) */
	size_t mark;
	int64_t thread_off;	/* where its output starts (seekable) */
	int64_t pad_to;		/* the end of a first reading that was taken back (seekable) */
	int ignore;		/* events are skipped: a second reading that cannot replace the
			       first, or no memory */
	uint64_t clamped;	/* its calls that open later than they began */
	uint64_t trace_clamped; /* those of the trace being added, kept in the output */
	int kept;		/* some because a first reading could not be taken back */
	uint32_t pid, tid;
	const char *tname;
};

/* ---- output ------------------------------------------------------------------------- */

static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233"
			    "34353637383940414243444546474849505152535455565758596061626364656667"
			    "6869707172737475767778798081828384858687888990919293949596979899";

/* v in decimal: its digits counted, then written from the last, two at a time. */
static inline char *put_u64(char *p, uint64_t v)
{
	uint64_t t = v;
	size_t n = 1;
	char *q;

	for (; t >= 10000; t /= 10000)
		n += 4;
	n += (t >= 10) + (t >= 100) + (t >= 1000);
	q = p + n;
	while (v >= 100) {
		q -= 2;
		memcpy(q, pairs + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10)
		memcpy(q - 2, pairs + 2 * v, 2);
	else
		q[-1] = (char)('0' + v);
	return p + n;
}

static inline char *put_lit(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

#define PUT(p, lit) put_lit((p), (lit), sizeof(lit) - 1)

/* Out of memory: nothing more is written, and the reading stops. */
static TS_COLD void nomem(struct speedscope *x)
{
	x->err = TSCOPE_ENOMEM;
	x->ignore = 1;
	if (x->sp)
		spans_stop(x->sp);
}

/* Where the buffer is to be written out (see struct speedscope). */
static void set_lim(struct speedscope *x)
{
	x->lim = BUF_SIZE;
	if (x->staging)
		x->lim = x->o.stage_max < x->cap - x->mark ? x->mark + x->o.stage_max : x->cap;
}

/* Write the buffer out, but for a thread's output held in memory.  After a failure
 * nothing is written, and the reading stops. */
static void flush(struct speedscope *x)
{
	size_t keep = x->staging ? x->pos - x->mark : 0, n = x->pos - keep;

	if (n && !x->failed && fwrite(x->buf, 1, n, x->out) != n)
		x->failed = 1;
	if (x->failed && x->sp)
		spans_stop(x->sp);
	x->off += (int64_t)n;
	if (keep && n)
		memmove(x->buf, x->buf + n, keep);
	x->pos = keep;
	x->mark = 0;
	set_lim(x);
}

/* Room for n bytes when the buffer is full: flushed, grown while staging, or the
 * staging given up past stage_max.  NULL when out of memory. */
static TS_COLD char *room_slow(struct speedscope *x, size_t n)
{
	size_t want;
	char *b;

	flush(x);
	if (x->pos + n <= x->lim)
		return x->buf + x->pos;
	if (x->staging && x->pos + n > x->o.stage_max) {
		x->staging = 0; /* the thread's output is written as it comes from now on */
		flush(x);
	}
	want = x->pos + n;
	if (want > x->cap) {
		if (x->staging && want < 2 * x->cap)
			want = 2 * x->cap;
		b = realloc(x->buf, want);
		if (!b) {
			nomem(x);
			return NULL;
		}
		x->buf = b;
		x->cap = want;
	}
	set_lim(x);
	if (x->lim < x->pos + n)
		x->lim = x->pos + n; /* a name longer than the buffer */
	return x->buf + x->pos;
}

static inline char *room(struct speedscope *x, size_t n)
{
	if (TS_LIKELY(x->pos + n <= x->lim))
		return x->buf + x->pos;
	return room_slow(x, n);
}

static inline void done(struct speedscope *x, char *end)
{
	x->pos = (size_t)(end - x->buf);
}

/* The n bytes at s as a JSON string, quotes included.  0, or -1 (no memory). */
static int put_string(struct speedscope *x, const char *s, size_t n)
{
	char *p = room(x, 6 * n + 2);

	if (!p)
		return -1;
	done(x, p + chrome_escape(p, s, n));
	return 0;
}

/* ---- frames ------------------------------------------------------------------------- */

/* The frame of name id, made on first use.  UINT32_MAX when out of memory. */
static TS_COLD uint32_t frame_new(struct speedscope *x, uint32_t id)
{
	if (id >= x->frame_of_cap) {
		size_t cap = x->frame_of_cap ? x->frame_of_cap : 1024;
		uint32_t *p;

		while (cap <= id)
			cap *= 2;
		p = realloc(x->frame_of, cap * sizeof(*p));
		if (!p)
			goto nomem;
		memset(p + x->frame_of_cap, 0, (cap - x->frame_of_cap) * sizeof(*p));
		x->frame_of = p;
		x->frame_of_cap = cap;
	}
	if (!x->frame_of[id]) {
		if (x->nframes == x->frames_cap) {
			size_t cap = x->frames_cap ? 2 * x->frames_cap : 1024;
			uint32_t *p = realloc(x->frames, cap * sizeof(*p));

			if (!p)
				goto nomem;
			x->frames = p;
			x->frames_cap = cap;
		}
		x->frames[x->nframes++] = id;
		x->frame_of[id] = (uint32_t)x->nframes;
	}
	return x->frame_of[id] - 1;
nomem:
	nomem(x);
	return UINT32_MAX;
}

/* The frame of a frame key, through the cache. */
static inline uint32_t frame_of(struct speedscope *x, uint64_t key)
{
	size_t h = (size_t)((key ^ (key >> 4) ^ (key >> 14)) & (HOT_SIZE - 1));
	uint32_t id, f;

	if (TS_LIKELY(x->hot[h].key == key && x->hot[h].frame))
		return x->hot[h].frame - 1;
	id = spans_name(x->sp, key);
	f = id < x->frame_of_cap && x->frame_of[id] ? x->frame_of[id] - 1 : frame_new(x, id);
	if (f != UINT32_MAX) {
		x->hot[h].key = key;
		x->hot[h].frame = f + 1;
	}
	return f;
}

/* ---- events ------------------------------------------------------------------------ */

/* The start of an event of each type, after the comma that separates it from the one
 * before (the first event of a profile has none). */
static const char head_o[] = ",\n{\"type\":\"O\",\"frame\":";
static const char head_c[] = ",\n{\"type\":\"C\",\"frame\":";

/* An event (head: head_o or head_c) of frame at ns: never before the event before it,
 * nor before time 0.  Returns its time. */
static inline uint64_t event(struct speedscope *x, const char *head, uint32_t frame, uint64_t ns)
{
	uint64_t t = ns > x->o.base_ns ? ns - x->o.base_ns : 0;
	char *p = room(x, EVENT_MAX);

	if (t < x->last)
		t = x->last;
	if (TS_UNLIKELY(!p))
		return t;
	memcpy(p, head, sizeof(head_o) - 1);
	if (TS_LIKELY(x->events)) {
		p += sizeof(head_o) - 1;
	} else { /* no comma */
		memmove(p, p + 1, sizeof(head_o) - 2);
		p += sizeof(head_o) - 2;
		x->events = 1;
		x->first_at = t;
	}
	p = put_u64(p, frame);
	p = PUT(p, ",\"at\":");
	p = put_u64(p, t);
	*p++ = '}';
	done(x, p);
	x->last = t;
	return t;
}

/* A frame opens: "O".  With its "C", the hot path of the whole conversion. */
static void on_open(void *ctx, struct spans_frame *stack, size_t depth)
{
	struct speedscope *x = ctx;
	struct spans_frame *f = &stack[depth];
	uint32_t frame;

	if (TS_UNLIKELY(x->ignore))
		return;
	frame = frame_of(x, f->key);
	if (TS_UNLIKELY(frame == UINT32_MAX))
		return;
	f->user = frame; /* for its "C" */
	/* a call that began before the events already written (see the top), or before
	 * time 0 (a damaged trace) */
	if (TS_UNLIKELY(event(x, head_o, frame, f->start) + x->o.base_ns != f->start))
		x->clamped++;
}

static void on_close(void *ctx, const struct spans_frame *stack, size_t depth, uint64_t end)
{
	struct speedscope *x = ctx;

	if (TS_LIKELY(!x->ignore))
		event(x, head_c, stack[depth].user, end);
}

/* ---- profiles ----------------------------------------------------------------------- */

/*
 * A profile's start, up to its events: {"type":"evented",...,"events":[ .  Its name is
 * "NAME (tid T, pid P)", or "tid T (pid P)" for a thread without a name.
 */
static void thread_head(struct speedscope *x)
{
	size_t tn = x->tname ? strlen(x->tname) : 0;
	char *p = room(x, 6 * tn + 160);

	x->last = 0;
	x->events = 0;
	x->first_at = 0;
	if (!p)
		return;
	p = PUT(p, "\n{\"type\":\"evented\",\"unit\":\"nanoseconds\",\"name\":");
	if (x->tname) {
		p += chrome_escape(p, x->tname, tn) - 1; /* its closing quote comes later */
		p = PUT(p, " (tid ");
	} else {
		p = PUT(p, "\"tid ");
	}
	p = put_u64(p, x->tid);
	p = x->tname ? PUT(p, ", pid ") : PUT(p, " (pid ");
	p = put_u64(p, x->pid);
	done(x, PUT(p, ")\",\"events\":["));
}

/* A profile's end: its events' bounds, after them. */
static void thread_tail(struct speedscope *x)
{
	const struct spans_thread_stats *st = spans_last_stats(x->sp);
	const struct spans_cut *c = spans_get_cut(x->sp);
	struct reader *r = spans_reader(x->sp);
	uint64_t base = x->o.base_ns, lo = 0, hi = 0;
	char *p = room(x, 96);

	if (!p)
		return;
	/* the thread's first and last events, inside the window of a cut */
	if (st->first) {
		lo = st->first;
		hi = st->last;
		if (c) {
			uint64_t start = reader_ns(r, reader_info(r)->start_ticks);
			uint64_t from = start + c->from;
			uint64_t to = c->to > UINT64_MAX - start ? UINT64_MAX : start + c->to;

			lo = lo > from ? lo : from;
			hi = hi < to ? hi : to;
		}
		lo = lo > base ? lo - base : 0;
		hi = hi > base ? hi - base : 0;
	}
	if (x->events) { /* the events are inside, whatever happened */
		lo = lo < x->first_at ? lo : x->first_at;
		hi = hi > x->last ? hi : x->last;
	}
	hi = hi > lo ? hi : lo;
	p = PUT(p, "\n],\"startValue\":");
	p = put_u64(p, lo);
	p = PUT(p, ",\"endValue\":");
	p = put_u64(p, hi);
	*p++ = '}';
	done(x, p);
}

/* Start the thread again: what was written of it is taken back (see the top). */
static int on_reset(void *ctx)
{
	struct speedscope *x = ctx;

	if (x->failed || x->err)
		return x->err;
	if (x->seekable && x->thread_off < x->off) {
		int64_t end = x->off + (int64_t)x->pos;

		flush(x);
		if (fflush(x->out) != 0 || fseeko(x->out, (off_t)x->thread_off, SEEK_SET) != 0) {
			x->ignore = 1; /* the first reading stays, whole */
			x->kept = 1;
			return 0;
		}
		x->off = x->thread_off;
		x->pad_to = end;
	} else if (x->seekable) {
		x->pos = (size_t)(x->thread_off - x->off);
	} else if (x->staging) {
		x->pos = x->mark;
	} else {
		x->ignore = 1; /* too large to hold: the first reading stays */
		x->kept = 1;
		return 0;
	}
	x->clamped = 0;
	thread_head(x);
	return x->err;
}

static const struct spans_ops speedscope_ops = { on_open, on_close, NULL, NULL, on_reset };

/* Thread i of the trace, as one profile. */
static int add_thread(struct speedscope *x, size_t i, uint32_t trace_pid)
{
	const struct reader_thread *th = reader_thread(spans_reader(x->sp), i);
	char *p;
	int rc;

	x->pid = th->pid ? th->pid : trace_pid;
	x->tid = th->tid;
	x->tname = th->name;
	x->ignore = 0;
	x->clamped = 0;
	x->pad_to = -1;
	if (x->threads && (p = room(x, 1)))
		done(x, PUT(p, ","));
	x->thread_off = x->off + (int64_t)x->pos;
	x->staging = !x->seekable;
	x->mark = x->pos;
	set_lim(x);
	thread_head(x);
	rc = spans_run(x->sp, i, &speedscope_ops, x);
	x->ignore = 0;
	if (!x->err)
		thread_tail(x);
	if (x->pad_to > x->off + (int64_t)x->pos) {
		/* the second reading is shorter: spaces up to the first one's end */
		size_t gap = (size_t)(x->pad_to - x->off - (int64_t)x->pos);

		p = room(x, gap);
		if (p) {
			memset(p, ' ', gap);
			done(x, p + gap);
		}
	}
	x->staging = 0;
	set_lim(x);
	if (x->pos >= x->lim)
		flush(x);
	x->trace_clamped += x->clamped;
	return rc;
}

static int speedscope_add(struct speedscope *x, struct spans *sp)
{
	struct reader *r = spans_reader(sp);
	const struct reader_info *in = reader_info(r);
	int rc = 0;

	if (!x->name[0] && in->exe[0]) {
		const char *base = strrchr(in->exe, '/');

		base = base ? base + 1 : in->exe;
		snprintf(x->name, sizeof(x->name), "%s", base);
	}
	x->sp = sp;
	x->trace_clamped = 0;
	x->kept = 0;
	memset(x->hot, 0, sizeof(x->hot)); /* keys are addresses of this process */
	for (size_t i = 0; i < reader_thread_count(r); i++) {
		int e;

		if (x->o.has_tid && reader_thread(r, i)->tid != x->o.tid)
			continue;
		e = add_thread(x, i, in->pid);
		if (e < 0 && !rc)
			rc = e;
		x->threads++;
		if (x->err || x->failed)
			break;
	}
	flush(x);
	x->sp = NULL;
	return rc ? rc : x->err;
}

static int speedscope_open(struct speedscope **xp, FILE *out, const struct speedscope_opts *o,
			   struct names *names)
{
	struct speedscope *x = calloc(1, sizeof(*x));
	struct stat st;
	int fl;
	char *p;

	*xp = NULL;
	if (!x)
		return TSCOPE_ENOMEM;
	x->buf = malloc(BUF_SIZE);
	if (!x->buf) {
		free(x);
		return TSCOPE_ENOMEM;
	}
	x->cap = x->lim = BUF_SIZE;
	x->out = out;
	x->o = *o;
	if (!x->o.stage_max)
		x->o.stage_max = STAGE_MAX;
	x->names = names;
	/* a regular file, not appended to, whose position is known: it can go back */
	fl = fcntl(fileno(out), F_GETFL);
	x->off = ftello(out);
	x->seekable = fstat(fileno(out), &st) == 0 && S_ISREG(st.st_mode) && fl >= 0 &&
		      !(fl & O_APPEND) && x->off >= 0;
	if (!x->seekable)
		x->off = 0;
	p = PUT(x->buf, "{\"$schema\":\"");
	p = put_lit(p, schema, sizeof(schema) - 1);
	done(x, PUT(p, "\",\"profiles\":["));
	*xp = x;
	return 0;
}

/* The shared frames, the document's name and its end; then free x. */
static int speedscope_finish(struct speedscope *x)
{
	char *p = room(x, 32);
	int rc;

	if (p)
		done(x, PUT(p, "\n],\"shared\":{\"frames\":["));
	for (size_t i = 0; i < x->nframes && !x->failed && !x->err; i++) {
		size_t n;
		const char *s = names_str(x->names, x->frames[i], &n);

		p = room(x, 16);
		if (!p)
			break;
		done(x, i ? PUT(p, ",\n{\"name\":") : PUT(p, "\n{\"name\":"));
		if (put_string(x, s, n) < 0 || !(p = room(x, 1)))
			break;
		done(x, PUT(p, "}"));
	}
	p = room(x, 16);
	if (p)
		done(x, PUT(p, "\n]},\"name\":"));
	put_string(x, x->name[0] ? x->name : "tscope", strlen(x->name[0] ? x->name : "tscope"));
	p = room(x, 64 + sizeof(TSCOPE_VERSION_STRING));
	if (p) {
		p = PUT(p, ",\"activeProfileIndex\":0,\"exporter\":\"tscope ");
		p = PUT(p, TSCOPE_VERSION_STRING);
		done(x, PUT(p, "\"}\n"));
	}
	flush(x);
	rc = x->err;
	free(x->buf);
	free(x->frame_of);
	free(x->frames);
	free(x);
	return rc;
}

/* ---- as an exporter ---------------------------------------------------------------------- */

/* One timeline: time 0 is the earliest recording start of all the processes, as in
 * the Chrome JSON. */
static void x_prepare(void *opts, struct spans *const *sp, size_t n)
{
	struct speedscope_opts *o = opts;
	int first = 1;

	for (size_t i = 0; i < n; i++) {
		uint64_t b;

		if (!sp[i])
			continue;
		b = chrome_base_ns(spans_reader(sp[i]));
		if (first || b < o->base_ns)
			o->base_ns = b;
		first = 0;
	}
}

static int x_open(void **x, FILE *out, const void *opts, struct names *names)
{
	struct speedscope *s;
	int rc = speedscope_open(&s, out, opts, names);

	*x = s;
	return rc;
}

static int x_add(void *x, struct spans *sp)
{
	return speedscope_add(x, sp);
}

static int x_finish(void *x)
{
	return speedscope_finish(x);
}

static uint64_t x_threads(const void *x)
{
	return ((const struct speedscope *)x)->threads;
}

static size_t x_warning(void *x, char *buf, size_t size)
{
	const struct speedscope *s = x;
	uint64_t n = s->trace_clamped;
	int len;

	if (!n)
		return 0;
	len = snprintf(buf, size,
		       "%llu call%s begun before %s thread's first event open%s where the output "
		       "had got to, not at that event%s",
		       (unsigned long long)n, n == 1 ? "" : "s", n == 1 ? "its" : "their",
		       n == 1 ? "s" : "",
		       s->kept ? " (the thread's output was too large to hold and write again: "
				 "write to a file with -o)"
			       : "");
	return len < 0 ? 0 : (size_t)len < size ? (size_t)len : size - 1;
}

const struct exporter speedscope_exporter = {
	.name = "speedscope",
	.prepare = x_prepare,
	.open = x_open,
	.add = x_add,
	.finish = x_finish,
	.threads = x_threads,
	.warning = x_warning,
};
