/* SPDX-License-Identifier: MIT */
/*
 * export-chrome.c - Chrome Trace Event JSON, as Perfetto UI and chrome://tracing load it:
 *
 *	{"traceEvents":[
 *	{"ph":"M","pid":P,"tid":P,"name":"process_name","args":{"name":"prog"}},
 *	{"ph":"X","pid":P,"tid":T,"ts":12.345,"dur":0.250,"name":"parse"},
 *	...
 *	],"displayTimeUnit":"ns","otherData":{...}}
 *
 * Spans are complete events ("X") written as they close, children before parents;
 * viewers sort by time.  ts and dur are microseconds with exactly three decimals:
 * integer nanoseconds, so nothing is rounded and a child's [ts, ts + dur] lies inside
 * its parent's exactly as the spans layer nested them.
 *
 * This is the converter's hot loop on output, so it does not use printf per event:
 * numbers are formatted by hand into a large buffer, names are escaped once per
 * distinct name and then copied, and the buffer goes out with fwrite() when full.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tscope.h"
#include "export.h"
#include "iomap.h"

#define BUF_SIZE  (256u << 10)
#define EVENT_MAX 192  /* bytes of one event besides its name */
#define NAME_COPY 32   /* names up to this long are copied as one fixed-size block */
#define HOT_SIZE  1024 /* entries of the key -> name cache */
#define TAIL_MAX  256  /* bytes of the document's end */
#define META_MAX  1024 /* bytes of a part's names kept for the next part */

struct esc {
	size_t off; /* into chrome.esc_text */
	uint32_t len;
	uint32_t done;
};

struct chrome {
	FILE *out;
	struct chrome_opts o;
	struct names *names;
	char *buf;
	size_t pos, cap;  /* cap: the buffer's size, or less near a part's end */
	size_t size;	  /* the buffer's size */
	uint64_t written; /* bytes of this part (of the document) written out */
	uint64_t total;	  /* of every part */
	unsigned part;	  /* 1 for the first */
	int warned;	  /* the size warning was given */
	/* split: the process's and the thread's names, for the next part */
	char meta_proc[META_MAX], meta_thread[META_MAX];
	size_t meta_proc_len, meta_thread_len;
	int any;    /* an event was written: the next needs a comma */
	int err;
	int failed; /* a write failed: nothing more is written, nor read */
	uint64_t threads;

	/* escaped names, by name id */
	struct esc *esc;
	size_t esc_cap;
	char *esc_text;
	size_t esc_used, esc_text_cap;

	/* the thread being written: "pid":P,"tid":T,"ts": and a whole X event's head */
	char ids[64];
	size_t ids_len;
	char xhead[64]; /* ,\n{"ph":"X","pid":P,"tid":T,"ts": (copied 64 bytes at a time) */
	size_t xhead_len;
	struct spans *sp;

	/* frame key -> escaped name, direct-mapped: most spans skip the name lookup */
	struct {
		uint64_t key;
		size_t off;
		uint32_t len;
	} hot[HOT_SIZE];
};

/* ---- formatting ------------------------------------------------------------------------ */

static const char digits2[] = "00010203040506070809101112131415161718192021222324252627282930313233"
			      "34353637383940414243444546474849505152535455565758596061626364656667"
			      "6869707172737475767778798081828384858687888990919293949596979899";

/* Decimal digits of v (1 for 0).  Timestamps and durations take one or two rounds. */
static inline unsigned ndigits(uint64_t v)
{
	unsigned n = 1;

	while (v >= 10000) {
		v /= 10000;
		n += 4;
	}
	return n + (v >= 10) + (v >= 100) + (v >= 1000);
}

/* v in decimal, written from the end backwards two digits at a time. */
static inline char *put_u64(char *p, uint64_t v)
{
	unsigned n = ndigits(v);
	char *q = p + n;

	while (v >= 100) {
		q -= 2;
		memcpy(q, digits2 + (v % 100) * 2, 2);
		v /= 100;
	}
	if (v >= 10)
		memcpy(q - 2, digits2 + v * 2, 2);
	else
		q[-1] = (char)('0' + v);
	return p + n;
}

/* ns as microseconds with three decimals: 1234567 -> "1234.567". */
static inline char *put_us(char *p, uint64_t ns)
{
	uint64_t frac = ns % 1000;

	p = put_u64(p, ns / 1000);
	*p++ = '.';
	*p++ = (char)('0' + frac / 100);
	memcpy(p, digits2 + (frac % 100) * 2, 2);
	return p + 2;
}

/* A time relative to the base, which may be negative (an event before the base). */
static inline char *put_ts(char *p, uint64_t ns, uint64_t base)
{
	if (TS_LIKELY(ns >= base))
		return put_us(p, ns - base);
	*p++ = '-';
	return put_us(p, base - ns);
}

static inline char *put_lit(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

#define PUT(p, lit) put_lit((p), (lit), sizeof(lit) - 1)

/* The length of the valid UTF-8 sequence at s (n bytes left), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0; /* no overlong forms */
		else if (c == 0xed)
			hi = 0x9f; /* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f; /* nothing above U+10FFFF */
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

size_t chrome_escape(char *dst, const char *src, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)src;
	char *p = dst;
	size_t i = 0;

	*p++ = '"';
	while (i < n) {
		unsigned char c = s[i];
		size_t len;

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			*p++ = (char)c;
			i++;
			continue;
		}
		if (c < 0x80) {
			*p++ = '\\';
			switch (c) {
			case '"':
			case '\\':
				*p++ = (char)c;
				break;
			case '\n':
				*p++ = 'n';
				break;
			case '\t':
				*p++ = 't';
				break;
			case '\r':
				*p++ = 'r';
				break;
			default: /* other control characters and DEL */
				p = PUT(p, "u00");
				*p++ = hex[c >> 4];
				*p++ = hex[c & 15];
				break;
			}
			i++;
			continue;
		}
		len = utf8_len(s + i, n - i);
		if (len) {
			memcpy(p, s + i, len);
			p += len;
			i += len;
		} else {
			p = PUT(p, "\\ufffd");
			i++;
		}
	}
	*p++ = '"';
	return (size_t)(p - dst);
}

/* ---- output buffer ---------------------------------------------------------------------- */

/* Write the buffer out.  After a failure, writes nothing, and stops the reading. */
static void flush(struct chrome *c)
{
	if (c->pos && !c->failed && fwrite(c->buf, 1, c->pos, c->out) != c->pos) {
		c->err = c->err ? c->err : TSCOPE_EIO;
		c->failed = 1;
	}
	if (c->failed && c->sp)
		spans_stop(c->sp);
	c->written += c->pos;
	c->total += c->pos;
	c->pos = 0;
}

static char *put_tail(struct chrome *c, char *p);

/* The document's start, in the (empty) buffer. */
static void put_head(struct chrome *c)
{
	static const char head[] = "{\"traceEvents\":[";

	memcpy(c->buf, head, sizeof(head) - 1);
	c->pos = sizeof(head) - 1;
	c->any = 0;
}

/* Append the n bytes of a kept event to the buffer, after a comma if need be. */
static void put_kept(struct chrome *c, const char *ev, size_t n)
{
	if (!n)
		return;
	if (c->any)
		c->buf[c->pos++] = ',';
	memcpy(c->buf + c->pos, ev, n);
	c->pos += n;
	c->any = 1;
}

/*
 * Split, with the buffer flushed and n bytes to come: when they do not fit, end this
 * part and start the next with the names of the process and thread being written.
 * Then cap the buffer at what the part has room for.
 */
static void next_part(struct chrome *c, size_t n)
{
	uint64_t left;
	FILE *f;

	if (c->written + n + TAIL_MAX > c->o.split_bytes && c->any && !c->failed) {
		c->pos = (size_t)(put_tail(c, c->buf) - c->buf);
		flush(c);
		f = c->o.next_part(c->o.part_ctx, ++c->part);
		if (!f) {
			c->err = c->err ? c->err : TSCOPE_EIO;
			c->failed = 1;
			if (c->sp)
				spans_stop(c->sp);
			return;
		}
		c->out = f;
		c->written = 0;
		put_head(c);
		put_kept(c, c->meta_proc, c->meta_proc_len);
		put_kept(c, c->meta_thread, c->meta_thread_len);
	}
	left = c->o.split_bytes - TAIL_MAX - c->written;
	c->cap = left < c->size ? (size_t)left : c->size;
	if (c->cap < c->pos + n) /* an event bigger than what is left of a fresh part */
		c->cap = c->pos + n <= c->size ? c->pos + n : c->size;
}

/* Room for n more bytes in the buffer: a pointer to write at, or NULL (no memory). */
static inline char *room(struct chrome *c, size_t n)
{
	if (TS_UNLIKELY(c->cap - c->pos < n)) {
		flush(c);
		if (n > c->size) {
			char *b = realloc(c->buf, n);

			if (!b) {
				c->err = TSCOPE_ENOMEM;
				return NULL;
			}
			c->buf = b;
			c->cap = c->size = n;
		}
		if (c->o.split_bytes)
			next_part(c, n);
	}
	return c->buf + c->pos;
}

/* The escaped literal of name id, made on first use.  NULL when out of memory. */
static const char *escaped(struct chrome *c, uint32_t id, size_t *len)
{
	struct esc *e;
	const char *s;
	size_t n;

	if (TS_UNLIKELY(id >= c->esc_cap)) {
		size_t cap = c->esc_cap ? c->esc_cap : 256;
		struct esc *p;

		while (cap <= id)
			cap *= 2;
		p = realloc(c->esc, cap * sizeof(*p));
		if (!p)
			return NULL;
		memset(p + c->esc_cap, 0, (cap - c->esc_cap) * sizeof(*p));
		c->esc = p;
		c->esc_cap = cap;
	}
	e = &c->esc[id];
	if (TS_LIKELY(e->done)) {
		*len = e->len;
		return c->esc_text + e->off;
	}
	s = names_str(c->names, id, &n);
	/* NAME_COPY bytes of slack: on_close() copies short names as one block */
	if (c->esc_text_cap - c->esc_used < 6 * n + 2 + NAME_COPY) {
		size_t cap = c->esc_text_cap ? c->esc_text_cap : 64 << 10;
		char *p;

		while (cap - c->esc_used < 6 * n + 2 + NAME_COPY)
			cap *= 2;
		p = realloc(c->esc_text, cap);
		if (!p)
			return NULL;
		c->esc_text = p;
		c->esc_text_cap = cap;
	}
	e->off = c->esc_used;
	e->len = (uint32_t)chrome_escape(c->esc_text + c->esc_used, s, n);
	e->done = 1;
	c->esc_used += e->len;
	*len = e->len;
	return c->esc_text + e->off;
}

/* Start an event: separator, {"ph":"<ph>", the ids and "ts":. */
static inline char *event_head(struct chrome *c, char *p, char ph, uint64_t ns)
{
	if (TS_LIKELY(c->any))
		*p++ = ',';
	c->any = 1;
	p = PUT(p, "\n{\"ph\":\"");
	*p++ = ph;
	p = PUT(p, "\",");
	p = put_lit(p, c->ids, c->ids_len);
	return put_ts(p, ns, c->o.base_ns);
}

/* The name of an event, and its end. */
static inline char *event_name(char *p, const char *name, size_t len, int close)
{
	p = PUT(p, ",\"name\":");
	p = put_lit(p, name, len);
	if (close)
		*p++ = '}';
	return p;
}

/* ---- callbacks -------------------------------------------------------------------------- */

/* The escaped name of a frame key, through the cache. */
static inline const char *key_name(struct chrome *c, uint64_t key, size_t *len)
{
	size_t h = (size_t)((key ^ (key >> 4) ^ (key >> 14)) & (HOT_SIZE - 1));
	const char *name;

	if (TS_LIKELY(c->hot[h].key == key && c->hot[h].len)) {
		*len = c->hot[h].len;
		return c->esc_text + c->hot[h].off;
	}
	name = escaped(c, spans_name(c->sp, key), len);
	if (name) {
		c->hot[h].key = key;
		c->hot[h].off = (size_t)(name - c->esc_text);
		c->hot[h].len = (uint32_t)*len;
	}
	return name;
}

/* A span: the hot path of the whole conversion, see the top of the file. */
static void on_close(void *ctx, const struct spans_frame *stack, size_t depth, uint64_t end)
{
	struct chrome *c = ctx;
	const struct spans_frame *f = &stack[depth];
	size_t len;
	const char *name = key_name(c, f->key, &len);
	char *p;

	if (TS_UNLIKELY(!name)) {
		c->err = TSCOPE_ENOMEM;
		return;
	}
	p = room(c, EVENT_MAX + len);
	if (TS_UNLIKELY(!p))
		return;
	/* metadata always comes first, so a span always follows an event: the comma */
	memcpy(p, c->xhead, sizeof(c->xhead));
	p += c->xhead_len;
	p = put_ts(p, f->start, c->o.base_ns);
	p = PUT(p, ",\"dur\":");
	p = put_us(p, end - f->start);
	p = PUT(p, ",\"name\":");
	if (TS_LIKELY(len <= NAME_COPY))
		memcpy(p, name, NAME_COPY);
	else
		memcpy(p, name, len);
	p += len;
	*p++ = '}';
	c->pos = (size_t)(p - c->buf);
}

static void on_instant(void *ctx, uint64_t ns, uint32_t id)
{
	struct chrome *c = ctx;
	size_t len;
	const char *name = escaped(c, id, &len);
	char *p;

	if (!name) {
		c->err = TSCOPE_ENOMEM;
		return;
	}
	p = room(c, EVENT_MAX + len);
	if (!p)
		return;
	p = event_head(c, p, 'i', ns);
	p = PUT(p, ",\"s\":\"t\"");
	p = event_name(p, name, len, 1);
	c->pos = (size_t)(p - c->buf);
}

static void on_counter(void *ctx, uint64_t ns, uint32_t id, int64_t value)
{
	struct chrome *c = ctx;
	size_t len;
	const char *name = escaped(c, id, &len);
	char *p;

	if (!name) {
		c->err = TSCOPE_ENOMEM;
		return;
	}
	p = room(c, EVENT_MAX + len);
	if (!p)
		return;
	p = event_head(c, p, 'C', ns);
	p = event_name(p, name, len, 0);
	p = PUT(p, ",\"args\":{\"value\":");
	if (value < 0) {
		*p++ = '-';
		p = put_u64(p, (uint64_t)0 - (uint64_t)value);
	} else {
		p = put_u64(p, (uint64_t)value);
	}
	p = PUT(p, "}}");
	c->pos = (size_t)(p - c->buf);
}

/* An I/O or wait call: a slice in its caller, named by the call, with its arguments. */
static void on_io(void *ctx, struct spans_frame *stack, size_t depth, const struct spans_io *e)
{
	struct chrome *c = ctx;
	const char *op = iomap_op_name(e->op);
	char *p = room(c, EVENT_MAX + 64 + 6 * TSF_COPY_MAX);
	int64_t r = e->result;

	(void)stack;
	(void)depth;
	if (!p)
		return;
	p = event_head(c, p, 'X', e->start);
	p = PUT(p, ",\"dur\":");
	p = put_us(p, e->end - e->start);
	p = PUT(p, ",\"cat\":");
	p = e->sub == TSF_EXT_IO ? PUT(p, "\"io\"") : PUT(p, "\"wait\"");
	p = PUT(p, ",\"name\":\"");
	p = put_lit(p, op, strlen(op));
	p = PUT(p, "\",\"args\":{\"result\":");
	if (r < 0) {
		*p++ = '-';
		p = put_u64(p, (uint64_t)0 - (uint64_t)r);
	} else {
		p = put_u64(p, (uint64_t)r);
	}
	p = PUT(p, ",\"wait_us\":");
	p = put_us(p, e->wait);
	if (e->sub == TSF_EXT_IO) {
		p = PUT(p, ",\"fd\":");
		if (e->fd < 0)
			p = PUT(p, "-1");
		else
			p = put_u64(p, (uint64_t)e->fd);
		p = PUT(p, ",\"bytes\":");
		p = put_u64(p, e->bytes);
		if (e->path) {
			p = PUT(p, ",\"path\":");
			p += chrome_escape(p, e->path, strnlen(e->path, TSF_COPY_MAX));
		}
	}
	p = PUT(p, "}}");
	c->pos = (size_t)(p - c->buf);
}

/* No reset: a thread's spans are written as they close, and they nest in time anyway. */
static const struct spans_ops chrome_ops = { NULL, on_close, on_instant, on_counter, NULL };

/* ---- documents --------------------------------------------------------------------------- */

uint64_t chrome_base_ns(struct reader *r)
{
	return reader_ns(r, reader_info(r)->start_ticks);
}

int chrome_open(struct chrome **cp, FILE *out, const struct chrome_opts *o, struct names *names)
{
	struct chrome *c = calloc(1, sizeof(*c));

	*cp = NULL;
	if (!c)
		return TSCOPE_ENOMEM;
	c->buf = malloc(BUF_SIZE);
	if (!c->buf) {
		free(c);
		return TSCOPE_ENOMEM;
	}
	c->cap = c->size = BUF_SIZE;
	c->out = out;
	c->o = *o;
	c->names = names;
	c->part = 1;
	put_head(c);
	if (c->o.split_bytes) {
		if (c->o.split_bytes < CHROME_SPLIT_MIN)
			c->o.split_bytes = CHROME_SPLIT_MIN;
		next_part(c, 0);
	}
	*cp = c;
	return 0;
}

uint64_t chrome_threads(const struct chrome *c)
{
	return c->threads;
}

/* A metadata event: {"ph":"M",<ids>0,"name":"<what>","args":{"<arg>":<value>}}. */
static void meta(struct chrome *c, const char *what, const char *arg, const char *value, size_t len,
		 int is_string)
{
	char *p = room(c, EVENT_MAX + 6 * len + 2), *event;
	int proc = strcmp(what, "process_name") == 0;

	if (!p)
		return;
	if (c->any)
		*p++ = ',';
	c->any = 1;
	event = p;
	p = PUT(p, "\n{\"ph\":\"M\",");
	p = put_lit(p, c->ids, c->ids_len);
	p = PUT(p, "0,\"name\":\"");
	p = put_lit(p, what, strlen(what));
	p = PUT(p, "\",\"args\":{\"");
	p = put_lit(p, arg, strlen(arg));
	p = PUT(p, "\":");
	if (is_string)
		p += chrome_escape(p, value, len);
	else
		p = put_lit(p, value, len);
	p = PUT(p, "}}");
	c->pos = (size_t)(p - c->buf);
	if (c->o.split_bytes) { /* kept for the next part: its names */
		char *keep = proc ? c->meta_proc : c->meta_thread;
		size_t *kept = proc ? &c->meta_proc_len : &c->meta_thread_len;
		size_t k = (size_t)(p - event), sep = *kept ? 1 : 0;

		if (*kept + sep + k <= META_MAX) {
			if (sep)
				keep[(*kept)++] = ',';
			memcpy(keep + *kept, event, k);
			*kept += k;
		}
	}
}

/* Set the ids of the events to come: "pid":P,"tid":T,"ts": */
static void set_ids(struct chrome *c, uint32_t pid, uint32_t tid)
{
	char *p = c->ids;

	p = PUT(p, "\"pid\":");
	p = put_u64(p, pid);
	p = PUT(p, ",\"tid\":");
	p = put_u64(p, tid);
	p = PUT(p, ",\"ts\":");
	c->ids_len = (size_t)(p - c->ids);
	p = PUT(c->xhead, ",\n{\"ph\":\"X\",");
	p = put_lit(p, c->ids, c->ids_len);
	c->xhead_len = (size_t)(p - c->xhead);
}

int chrome_add(struct chrome *c, struct spans *sp)
{
	struct reader *r = spans_reader(sp);
	const struct reader_info *in = reader_info(r);
	const char *base = strrchr(in->exe, '/');
	char num[24];
	int rc = 0, named = 0;

	base = base ? base + 1 : in->exe;
	c->sp = sp;
	memset(c->hot, 0, sizeof(c->hot)); /* keys are addresses of this process */
	for (size_t i = 0; i < reader_thread_count(r); i++) {
		const struct reader_thread *th = reader_thread(r, i);
		uint32_t pid = th->pid ? th->pid : in->pid;
		int e;

		if (c->o.has_tid && th->tid != c->o.tid)
			continue;
		c->meta_thread_len = 0;
		if (!named++) {
			c->meta_proc_len = 0;
			set_ids(c, in->pid, in->pid);
			if (*base)
				meta(c, "process_name", "name", base, strlen(base), 1);
		}
		set_ids(c, pid, th->tid);
		if (th->name)
			meta(c, "thread_name", "name", th->name, strlen(th->name), 1);
		meta(c, "thread_sort_index", "sort_index", num, (size_t)(put_u64(num, i) - num), 0);
		spans_set_io(sp, on_io);
		e = spans_run(sp, i, &chrome_ops, c);
		spans_set_io(sp, NULL);
		if (e < 0 && !rc)
			rc = e;
		c->threads++;
		if (c->err == TSCOPE_ENOMEM || c->failed)
			break;
	}
	flush(c);
	c->sp = NULL;
	return rc ? rc : (c->err == TSCOPE_ENOMEM ? c->err : 0);
}

/* The document's end, at p (TAIL_MAX bytes at most). */
static char *put_tail(struct chrome *c, char *p)
{
	p = PUT(p, "\n],\"displayTimeUnit\":\"ns\",\"otherData\":{\"generator\":\"tscope ");
	p = put_lit(p, TSCOPE_VERSION_STRING, sizeof(TSCOPE_VERSION_STRING) - 1);
	p = PUT(p, "\",\"clock\":\"CLOCK_MONOTONIC\",\"base_ns\":");
	p = put_u64(p, c->o.base_ns);
	return PUT(p, "}}\n");
}

uint64_t chrome_bytes(const struct chrome *c)
{
	return c->total + c->pos;
}

int chrome_finish(struct chrome *c)
{
	int rc;

	/* a part keeps TAIL_MAX bytes for its end, and so does the buffer */
	if (c->size - c->pos < TAIL_MAX)
		flush(c);
	c->pos = (size_t)(put_tail(c, c->buf + c->pos) - c->buf);
	flush(c);
	if (c->part > 1)
		c->o.next_part(c->o.part_ctx, 0); /* the last part closed; it says a failure */
	rc = c->err == TSCOPE_ENOMEM ? c->err : 0;
	free(c->buf);
	free(c->esc);
	free(c->esc_text);
	free(c);
	return rc;
}

/* ---- as an exporter ---------------------------------------------------------------------- */

/* One timeline: time 0 is the earliest recording start of all the processes. */
static void x_prepare(void *opts, struct spans *const *sp, size_t n)
{
	struct chrome_opts *o = opts;
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
	struct chrome *c;
	int rc = chrome_open(&c, out, opts, names);

	*x = c;
	return rc;
}

static int x_add(void *x, struct spans *sp)
{
	return chrome_add(x, sp);
}

static int x_finish(void *x)
{
	return chrome_finish(x);
}

static uint64_t x_threads(const void *x)
{
	return chrome_threads(x);
}

/* Once, when the output passes what chrome://tracing can load. */
static size_t x_warning(void *x, char *buf, size_t size)
{
	struct chrome *c = x;
	int n;

	if (c->warned || c->o.split_bytes || chrome_bytes(c) <= CHROME_WARN_BYTES)
		return 0;
	c->warned = 1;
	n = snprintf(buf, size,
		     "the JSON passed %llu MB, more than chrome://tracing can load: cut it with"
		     " --split 200M, --from/--to, --min-duration or --focus",
		     (unsigned long long)(CHROME_WARN_BYTES >> 20));
	return n > 0 ? (size_t)n : 0;
}

const struct exporter chrome_exporter = {
	.name = "chrome",
	.prepare = x_prepare,
	.open = x_open,
	.add = x_add,
	.finish = x_finish,
	.threads = x_threads,
	.warning = x_warning,
};
