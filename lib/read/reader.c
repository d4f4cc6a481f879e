/* SPDX-License-Identifier: MIT */
/*
 * reader.c - open a trace, index it, and stream each thread's events.
 *
 * The input is untrusted: any byte may be wrong and the file may end anywhere.  Every
 * length and offset is checked against what remains before it is used, in a form that
 * cannot overflow (`n > size - off`, never `off + n > size`); nothing is read out of
 * bounds; a malformed chunk is counted and skipped.  This file never prints and never
 * exits: it returns TSCOPE_E* codes.
 *
 * Two passes.  reader_open() walks the chunk headers, reads the metadata chunks and
 * the 32-byte head of each EVENTS chunk (for LZ4 ones, by decoding just that much), and
 * builds a per-thread index of EVENTS chunk offsets.  A cursor then reads one chunk at a
 * time with pread() into a buffer it reuses, and decodes events in place.  So memory
 * grows with the number of chunks and threads, not with the number of events, and
 * nothing but the chunk being decoded is resident (page cache is not our RSS).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_LZ4
#include <lz4.h>
#endif

#include "tscope.h"
#include "reader.h"
#include "salvager.h"
#include "pack.h"

#define WIN_SIZE   (16u << 10) /* read-ahead window for chunk headers and metadata */
#define META_MAX   (1u << 20)  /* largest metadata payload accepted */
#define LZ4_PREFIX 256u	       /* compressed bytes tried first to decode an EVENTS head */
#define EV_HEAD	   ((uint32_t)sizeof(struct tsf_events))
#define EV_SIZE	   ((uint32_t)sizeof(struct tsf_event))
#define CHUNK_HEAD ((uint32_t)sizeof(struct tsf_chunk))

/*
 * Can an LZ4 block of size bytes decode to raw bytes?  It is at most LZ4_COMPRESSBOUND
 * (raw) long, and a byte of it yields at most 255 bytes (a match-length byte); a packed
 * EVENTS payload unpacks to at most PACK_MAX_RATIO times its packed size.  The second
 * rule keeps a tiny forged block from making us allocate up to TSF_CHUNK_MAX.
 */
static int lz4_sizes_ok(uint32_t flags, uint32_t size, uint32_t raw)
{
	uint64_t most = (uint64_t)size * 255u * (flags & TSF_CF_PACKED ? PACK_MAX_RATIO : 1u);

	return size > 0 && size <= (uint64_t)raw + raw / 255u + 16u && raw <= most;
}

struct thread_int {
	struct reader_thread pub; /* first: reader_thread() hands out its address */
	uint64_t name_ticks;
	char *name;
	struct reader__ref *idx;
	size_t idx_n, idx_cap;
};

struct name_ent {
	uint64_t ptr;
	char *text; /* NULL: empty slot */
};

struct module_int {
	struct reader_module pub;
	char *path;
	unsigned char *build_id;
};

struct reader {
	int fd; /* -1 for a reader over memory */
	const unsigned char *mem;
	uint64_t size;
	struct reader_info info;
	struct reader_clock clock;
	uint64_t first_chunk;

	uint64_t hash_mul; /* odd, random: see hash64() */
	struct thread_int *threads;
	size_t threads_n, threads_cap;
	uint32_t *tid_hash; /* index + 1 into threads; 0 is empty */
	size_t tid_hash_cap;

	struct name_ent *names;
	size_t names_n, names_cap;

	struct module_int *modules;
	size_t modules_n, modules_cap;

	char *exe;

	struct tsf_drop_fn *drops; /* DROP entries, as read */
	size_t drops_n, drops_cap;

	/* clock sync points seen */
	struct tsf_clock clk_lo, clk_hi;
	unsigned clk_n;
	uint64_t clk_cost;

	/* read-ahead window (file readers only) */
	unsigned char *win;
	uint64_t win_off;
	size_t win_len;

	/* scratch: a metadata payload, its LZ4 input, and the texts of reader_chunk_read() */
	unsigned char *meta, *zmeta;
	size_t meta_cap, zmeta_cap;
	char *text;
	size_t text_cap;
};

/* ---- small helpers ---------------------------------------------------------------- */

static uint16_t ld16(const unsigned char *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return le16toh(v);
}

static uint32_t ld32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static uint64_t ld64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	uint64_t v;

	return __builtin_add_overflow(a, b, &v) ? UINT64_MAX : v;
}

/*
 * buf (of *cap bytes) grown to hold at least n bytes: the same or a new block, or NULL
 * when out of memory (buf is then unchanged).  Grows by doubling.
 */
static void *grow(void *buf, size_t *cap, size_t n)
{
	size_t c = *cap ? *cap : 256;
	void *p;

	if (n <= *cap && buf)
		return buf;
	while (c < n)
		c = c > SIZE_MAX / 2 ? n : c * 2;
	p = realloc(buf, c);
	if (p)
		*cap = c;
	return p;
}

/* arr (*cap elements of elem bytes, n used) with room for one more, or NULL. */
static void *grow_array(void *arr, size_t *cap, size_t n, size_t elem)
{
	size_t c;
	void *p;

	if (n < *cap)
		return arr;
	c = *cap ? *cap * 2 : 8;
	if (c > SIZE_MAX / elem)
		return NULL;
	p = realloc(arr, c * elem);
	if (p)
		*cap = c;
	return p;
}

/* The same, as statements that assign the result or return TSCOPE_ENOMEM. */
#define GROW(buf, cap, n)                                                                          \
	do {                                                                                       \
		void *grow_p = grow((buf), &(cap), (n));                                           \
		if (!grow_p)                                                                       \
			return TSCOPE_ENOMEM;                                                      \
		(buf) = grow_p;                                                                    \
	} while (0)
#define GROW_ARRAY(arr, cap, n)                                                                    \
	do {                                                                                       \
		void *grow_p = grow_array((arr), &(cap), (n), sizeof(*(arr)));                     \
		if (!grow_p)                                                                       \
			return TSCOPE_ENOMEM;                                                      \
		(arr) = grow_p;                                                                    \
	} while (0)

/* A NUL-terminated copy of n bytes, or NULL. */
static char *copy_text(const unsigned char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = 0;
	}
	return p;
}

/* ---- reading ---------------------------------------------------------------------- */

/*
 * Read up to n bytes at off into buf; fewer only at the end of the file.  Returns the
 * count, or -1 with errno set.
 */
static ssize_t read_at(const struct reader *r, uint64_t off, void *buf, size_t n)
{
	size_t done = 0;

	if (off >= r->size)
		return 0;
	if (n > r->size - off)
		n = (size_t)(r->size - off);
	if (r->fd < 0) {
		memcpy(buf, r->mem + off, n);
		return (ssize_t)n;
	}
	while (done < n) {
		ssize_t got = pread(r->fd, (char *)buf + done, n - done, (off_t)(off + done));

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (got == 0)
			break; /* the file shrank since it was opened */
		done += (size_t)got;
	}
	return (ssize_t)done;
}

/*
 * Point *p at n bytes of the file at off, which the caller has checked lie inside it.
 * The bytes live in the read-ahead window (or in r->meta when they do not fit in it),
 * or in the caller's memory for a memory reader, and stay valid until the next fetch.
 * Returns 0, TSCOPE_EIO (errno set) or TSCOPE_ENOMEM.
 */
static int fetch(struct reader *r, uint64_t off, size_t n, const unsigned char **p)
{
	ssize_t got;

	if (r->fd < 0) {
		*p = r->mem + off;
		return 0;
	}
	if (off >= r->win_off && n <= r->win_len && off - r->win_off <= r->win_len - n) {
		*p = r->win + (off - r->win_off);
		return 0;
	}
	if (n <= WIN_SIZE) {
		got = read_at(r, off, r->win, WIN_SIZE);
		r->win_off = off;
		r->win_len = got > 0 ? (size_t)got : 0;
		if (got < 0)
			return TSCOPE_EIO;
		if ((size_t)got < n) {
			errno = EIO;
			return TSCOPE_EIO; /* the file shrank */
		}
		*p = r->win;
		return 0;
	}
	GROW(r->meta, r->meta_cap, n);
	got = read_at(r, off, r->meta, n);
	if (got < 0)
		return TSCOPE_EIO;
	if ((size_t)got < n) {
		errno = EIO;
		return TSCOPE_EIO;
	}
	*p = r->meta;
	return 0;
}

#ifdef HAVE_LZ4
/* Decode an LZ4 block of exactly raw bytes.  0, or -1 if it does not decode to that. */
static int lz4_block(const unsigned char *src, uint32_t n, unsigned char *dst, uint32_t raw)
{
	int got;

	if (n > INT_MAX || raw > INT_MAX)
		return -1;
	got = LZ4_decompress_safe((const char *)src, (char *)dst, (int)n, (int)raw);
	return got == (int)raw ? 0 : -1;
}

/* Decode the first want bytes of an LZ4 block given by its first n bytes. */
static int lz4_head(const unsigned char *src, uint32_t n, unsigned char *dst, uint32_t want)
{
	int got;

	if (n > INT_MAX)
		return -1;
	got = LZ4_decompress_safe_partial((const char *)src, (char *)dst, (int)n, (int)want,
					  (int)want);
	return got == (int)want ? 0 : -1;
}
#endif

/* ---- chunks ------------------------------------------------------------------------ */

const char *reader_chunk_type_name(uint32_t type)
{
	switch (type) {
	case TSF_CHUNK_CLOCK:
		return "CLOCK";
	case TSF_CHUNK_MODULE:
		return "MODULE";
	case TSF_CHUNK_THREAD:
		return "THREAD";
	case TSF_CHUNK_EVENTS:
		return "EVENTS";
	case TSF_CHUNK_NAME:
		return "NAME";
	case TSF_CHUNK_PROCESS:
		return "PROCESS";
	case TSF_CHUNK_END:
		return "END";
	case TSF_CHUNK_UNLOAD:
		return "UNLOAD";
	case TSF_CHUNK_COST:
		return "COST";
	case TSF_CHUNK_DROP:
		return "DROP";
	default:
		return NULL;
	}
}

const char *reader_clock_name(uint32_t source)
{
	switch (source) {
	case TSF_CLOCK_TSC:
		return "tsc";
	case TSF_CLOCK_CNTVCT:
		return "cntvct";
	case TSF_CLOCK_MONOTONIC:
		return "monotonic";
	default:
		return NULL;
	}
}

/* Smallest payload of each known type; 0 for unknown types. */
static uint32_t fixed_size(uint32_t type)
{
	switch (type) {
	case TSF_CHUNK_CLOCK:
		return sizeof(struct tsf_clock);
	case TSF_CHUNK_MODULE:
		return sizeof(struct tsf_module);
	case TSF_CHUNK_THREAD:
		return sizeof(struct tsf_thread);
	case TSF_CHUNK_EVENTS:
		return sizeof(struct tsf_events);
	case TSF_CHUNK_NAME:
		return sizeof(struct tsf_name);
	case TSF_CHUNK_PROCESS:
		return sizeof(struct tsf_process);
	case TSF_CHUNK_UNLOAD:
		return sizeof(struct tsf_unload);
	case TSF_CHUNK_END:
		return sizeof(struct tsf_end);
	case TSF_CHUNK_COST:
		return sizeof(struct tsf_cost);
	case TSF_CHUNK_DROP:
		return sizeof(struct tsf_drop);
	default:
		return 0;
	}
}

/* Copy n bytes to the reader's text scratch at *used, NUL-terminated; returns it. */
static const char *scratch_text(struct reader *r, size_t *used, const unsigned char *s, size_t n)
{
	char *t = r->text + *used;

	memcpy(t, s, n);
	t[n] = 0;
	*used += n + 1;
	return t;
}

static void decode_events_head(const unsigned char *p, struct tsf_events *h)
{
	h->tid = ld32(p);
	h->flags = ld32(p + 4);
	h->seq = ld64(p + 8);
	h->lost = ld64(p + 16);
	h->waited_ns = ld64(p + 24);
}

/* Mark ck malformed (unless the file's end cut it: that says more); returns 1. */
static int bad(struct reader_chunk *ck, const char *why)
{
	if (ck->status != TSCOPE_ETRUNC) {
		ck->status = TSCOPE_EFORMAT;
		ck->problem = why;
	}
	return 1;
}

/*
 * Decode the payload p (raw bytes of a known metadata type, complete) into ck->u,
 * copying texts into r->text.  Returns 1, or TSCOPE_ENOMEM.
 */
static int decode_meta(struct reader *r, struct reader_chunk *ck, const unsigned char *p,
		       uint32_t n)
{
	size_t used = 0;
	uint32_t fixed = fixed_size(ck->hdr.type);

	GROW(r->text, r->text_cap, (size_t)n + 2);
	switch (ck->hdr.type) {
	case TSF_CHUNK_CLOCK:
		ck->u.clock.ticks = ld64(p);
		ck->u.clock.mono_ns = ld64(p + 8);
		ck->u.clock.real_ns = ld64(p + 16);
		ck->u.clock.read_cost_ticks = ld64(p + 24);
		break;
	case TSF_CHUNK_MODULE: {
		struct tsf_module *m = &ck->u.module.m;

		m->bias = ld64(p);
		m->lo = ld64(p + 8);
		m->hi = ld64(p + 16);
		m->path_len = ld16(p + 24);
		m->build_id_len = ld16(p + 26);
		m->reserved = ld32(p + 28);
		if ((uint32_t)m->path_len + m->build_id_len > n - fixed)
			return bad(ck, "module path and build id overrun the payload");
		ck->u.module.path = scratch_text(r, &used, p + fixed, m->path_len);
		memcpy(r->text + used, p + fixed + m->path_len, m->build_id_len);
		ck->u.module.build_id = (const unsigned char *)r->text + used;
		break;
	}
	case TSF_CHUNK_THREAD:
		ck->u.thread.t.tid = ld32(p);
		ck->u.thread.t.pid = ld32(p + 4);
		ck->u.thread.t.ticks = ld64(p + 8);
		ck->u.thread.name_len = n - fixed;
		ck->u.thread.name = scratch_text(r, &used, p + fixed, n - fixed);
		break;
	case TSF_CHUNK_NAME:
		ck->u.name.ptr = ld64(p);
		ck->u.name.text_len = n - fixed;
		ck->u.name.text = scratch_text(r, &used, p + fixed, n - fixed);
		break;
	case TSF_CHUNK_PROCESS:
		ck->u.process.p.pid = ld32(p);
		ck->u.process.p.ppid = ld32(p + 4);
		ck->u.process.p.reserved = ld64(p + 8);
		ck->u.process.exe_len = n - fixed;
		ck->u.process.exe = scratch_text(r, &used, p + fixed, n - fixed);
		break;
	case TSF_CHUNK_UNLOAD:
		ck->u.unload.bias = ld64(p);
		ck->u.unload.lo = ld64(p + 8);
		ck->u.unload.ticks = ld64(p + 16);
		ck->u.unload.flags = ld32(p + 24);
		ck->u.unload.reserved = ld32(p + 28);
		break;
	case TSF_CHUNK_END:
		ck->u.end.chunks = ld64(p);
		ck->u.end.events = ld64(p + 8);
		ck->u.end.lost = ld64(p + 16);
		ck->u.end.waited_ns = ld64(p + 24);
		break;
	case TSF_CHUNK_COST:
		ck->u.cost.ticks = ld64(p);
		ck->u.cost.events = ld64(p + 8);
		ck->u.cost.median = ld64(p + 16);
		ck->u.cost.rounds = ld64(p + 24);
		break;
	case TSF_CHUNK_DROP:
		ck->u.drop.d.ticks = ld64(p);
		ck->u.drop.d.count = ld32(p + 8);
		ck->u.drop.d.reasons = ld32(p + 12);
		if ((uint64_t)ck->u.drop.d.count * sizeof(struct tsf_drop_fn) != n - fixed)
			return bad(ck, "DROP entry count does not match its payload");
		memcpy(r->text, p + fixed, n - fixed); /* decoded by reader_drop_fn() */
		ck->u.drop.fns = (const unsigned char *)r->text;
		break;
	default:
		return 1;
	}
	ck->decoded = 1;
	return 1;
}

/*
 * The head of an EVENTS chunk whose payload starts at pay and has avail bytes in the
 * file.  Fills ck->u.events.  Returns 1, or TSCOPE_EIO / TSCOPE_ENOMEM.
 */
static int decode_events_chunk(struct reader *r, struct reader_chunk *ck, uint64_t pay,
			       uint64_t avail)
{
	const unsigned char *p;
	int rc;

	if (!(ck->hdr.flags & TSF_CF_LZ4)) {
		if (avail < EV_HEAD)
			return 1; /* cut before its head: status is ETRUNC already */
		rc = fetch(r, pay, EV_HEAD, &p);
		if (rc < 0)
			return rc;
		decode_events_head(p, &ck->u.events.h);
		if (ck->hdr.flags & TSF_CF_PACKED)
			ck->u.events.slots = ck->status ? 0 : (ck->hdr.raw_size - EV_HEAD) / EV_SIZE;
		else
			ck->u.events.slots = (avail - EV_HEAD) / EV_SIZE;
		ck->decoded = 1;
		return 1;
	}
	if (ck->status == TSCOPE_ETRUNC)
		return 1; /* a cut LZ4 block cannot be decoded */
#ifndef HAVE_LZ4
	ck->status = TSCOPE_ENOLZ4;
	ck->problem = "compressed with LZ4, and this build has no LZ4";
	return 1;
#else
	unsigned char head[sizeof(struct tsf_events)];

	/*
	 * Decoding the 32-byte head usually needs only a few dozen compressed bytes: try a
	 * short prefix (which LZ4_decompress_safe_partial() never reads past) before the
	 * whole block.
	 */
	rc = fetch(r, pay, ck->hdr.size < LZ4_PREFIX ? ck->hdr.size : LZ4_PREFIX, &p);
	if (rc < 0)
		return rc;
	if (lz4_head(p, ck->hdr.size < LZ4_PREFIX ? ck->hdr.size : LZ4_PREFIX, head, EV_HEAD) < 0) {
		if (ck->hdr.size <= LZ4_PREFIX)
			return bad(ck, "LZ4 block does not decode");
		rc = fetch(r, pay, ck->hdr.size, &p);
		if (rc < 0)
			return rc;
		if (lz4_head(p, ck->hdr.size, head, EV_HEAD) < 0)
			return bad(ck, "LZ4 block does not decode");
	}
	decode_events_head(head, &ck->u.events.h);
	ck->u.events.slots = (ck->hdr.raw_size - EV_HEAD) / EV_SIZE;
	ck->decoded = 1;
	return 1;
#endif
}

/*
 * Read and check the chunk at off (which must be 8-aligned data offset < r->size).
 * The common part of the first pass and of reader_chunk_read().
 */
static int parse_chunk(struct reader *r, uint64_t off, struct reader_chunk *ck)
{
	const unsigned char *p;
	uint64_t pay, avail;
	uint32_t fixed;
	int rc;

	memset(ck, 0, sizeof(*ck));
	ck->offset = off;
	if (r->size - off < CHUNK_HEAD) {
		ck->next = r->size;
		ck->status = TSCOPE_ETRUNC;
		ck->problem = "chunk header cut by the end of the file";
		return 1;
	}
	rc = fetch(r, off, CHUNK_HEAD, &p);
	if (rc < 0)
		return rc;
	ck->hdr.type = ld32(p);
	ck->hdr.flags = ld32(p + 4);
	ck->hdr.size = ld32(p + 8);
	ck->hdr.raw_size = ld32(p + 12);
	pay = off + CHUNK_HEAD;
	ck->next = pay + TSF_ALIGN8((uint64_t)ck->hdr.size);
	avail = r->size - pay;
	if (ck->hdr.size > avail) {
		ck->status = TSCOPE_ETRUNC;
		ck->problem = "payload cut by the end of the file";
	} else {
		avail = ck->hdr.size;
	}

	fixed = fixed_size(ck->hdr.type);
	if (!fixed)
		return 1; /* unknown type: skipped whatever it holds */
	if (ck->hdr.flags & ~(TSF_CF_LZ4 | TSF_CF_PACKED) ||
	    (ck->hdr.flags & TSF_CF_PACKED) == TSF_CF_PACKED)
		return bad(ck, "unknown chunk flags");
	if ((ck->hdr.flags & TSF_CF_PACKED) && ck->hdr.type != TSF_CHUNK_EVENTS)
		return bad(ck, "packed payload in a chunk that is not EVENTS");
	if (!(ck->hdr.flags & (TSF_CF_LZ4 | TSF_CF_PACKED)) && ck->hdr.size != ck->hdr.raw_size)
		return bad(ck, "stored size differs from raw size in an uncompressed chunk");
	if ((ck->hdr.flags & TSF_CF_PACKED) && !(ck->hdr.flags & TSF_CF_LZ4) &&
	    ((uint64_t)ck->hdr.size > ck->hdr.raw_size || ck->hdr.size < EV_HEAD))
		return bad(ck, "packed size does not fit the raw size");
	if ((ck->hdr.flags & TSF_CF_LZ4) &&
	    !lz4_sizes_ok(ck->hdr.flags, ck->hdr.size, ck->hdr.raw_size))
		return bad(ck, "compressed and raw sizes do not fit LZ4");
	if (ck->hdr.raw_size < fixed)
		return bad(ck, "payload shorter than its fixed part");

	if (ck->hdr.type == TSF_CHUNK_EVENTS) {
		if (ck->hdr.raw_size > TSF_CHUNK_MAX)
			return bad(ck, "events chunk larger than the format allows");
		if ((ck->hdr.raw_size - EV_HEAD) % EV_SIZE)
			return bad(ck, "events payload is not a whole number of events");
		return decode_events_chunk(r, ck, pay, avail);
	}

	if (ck->hdr.raw_size > META_MAX)
		return bad(ck, "metadata chunk too large");
	if (ck->status == TSCOPE_ETRUNC)
		return 1;
	rc = fetch(r, pay, ck->hdr.size, &p);
	if (rc < 0)
		return rc;
	if (ck->hdr.flags & TSF_CF_LZ4) {
#ifndef HAVE_LZ4
		ck->status = TSCOPE_ENOLZ4;
		ck->problem = "compressed with LZ4, and this build has no LZ4";
		return 1;
#else
		/* p may live in r->meta: decode from a copy */
		GROW(r->zmeta, r->zmeta_cap, ck->hdr.size);
		GROW(r->meta, r->meta_cap, ck->hdr.raw_size);
		memcpy(r->zmeta, p, ck->hdr.size);
		if (lz4_block(r->zmeta, ck->hdr.size, r->meta, ck->hdr.raw_size) < 0)
			return bad(ck, "LZ4 block does not decode");
		p = r->meta;
#endif
	}
	return decode_meta(r, ck, p, ck->hdr.raw_size);
}

uint64_t reader_first_chunk(const struct reader *r)
{
	return r->first_chunk;
}

int reader_chunk_read(struct reader *r, uint64_t offset, struct reader_chunk *ck)
{
	if (offset >= r->size || offset < r->first_chunk || (offset & 7)) {
		memset(ck, 0, sizeof(*ck));
		ck->offset = offset;
		ck->next = offset;
		return 0;
	}
	return parse_chunk(r, offset, ck);
}

/* ---- metadata tables ---------------------------------------------------------------- */

/*
 * Slot for key v in a table of cap (a power of 2) entries.  Tids and name pointers come
 * from the file, so the multiplier is random per reader: a crafted trace cannot pile its
 * keys into one probe chain and make opening it quadratic.
 */
static size_t hash64(const struct reader *r, uint64_t v, size_t cap)
{
	return (size_t)((v * r->hash_mul) >> 32) & (cap - 1);
}

static uint64_t random_odd(const void *salt)
{
	uint64_t v = 0;
	struct timespec ts;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v)) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		v = ((uint64_t)ts.tv_nsec << 32 ^ (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)salt) *
		    UINT64_C(0x9e3779b97f4a7c15);
	}
	return v | 1;
}

/* The thread with this tid, created if new.  NULL when out of memory. */
static struct thread_int *thread_get(struct reader *r, uint32_t tid, uint32_t pid)
{
	struct thread_int *t;
	size_t i;

	if (r->tid_hash_cap) {
		for (i = hash64(r, tid, r->tid_hash_cap); r->tid_hash[i];
		     i = (i + 1) & (r->tid_hash_cap - 1)) {
			t = &r->threads[r->tid_hash[i] - 1];
			if (t->pub.tid == tid)
				return t;
		}
	}
	if (r->threads_n >= UINT32_MAX - 1)
		return NULL;
	if ((r->threads_n + 1) * 2 > r->tid_hash_cap) {
		size_t cap = r->tid_hash_cap ? r->tid_hash_cap * 2 : 64;
		uint32_t *h = calloc(cap, sizeof(*h));

		if (!h)
			return NULL;
		for (size_t k = 0; k < r->threads_n; k++) {
			for (i = hash64(r, r->threads[k].pub.tid, cap); h[i];
			     i = (i + 1) & (cap - 1))
				;
			h[i] = (uint32_t)(k + 1);
		}
		free(r->tid_hash);
		r->tid_hash = h;
		r->tid_hash_cap = cap;
	}
	t = grow_array(r->threads, &r->threads_cap, r->threads_n, sizeof(*r->threads));
	if (!t)
		return NULL;
	r->threads = t;
	t = &r->threads[r->threads_n];
	memset(t, 0, sizeof(*t));
	t->pub.tid = tid;
	t->pub.pid = pid;
	for (i = hash64(r, tid, r->tid_hash_cap); r->tid_hash[i];
	     i = (i + 1) & (r->tid_hash_cap - 1))
		;
	r->tid_hash[i] = (uint32_t)++r->threads_n;
	return t;
}

/* Remember text for ptr (a later NAME chunk replaces an earlier one). */
static int name_put(struct reader *r, uint64_t ptr, const char *text, size_t n)
{
	char *copy = copy_text((const unsigned char *)text, n);
	size_t i;

	if (!copy)
		return TSCOPE_ENOMEM;
	if ((r->names_n + 1) * 2 > r->names_cap) {
		size_t cap = r->names_cap ? r->names_cap * 2 : 64;
		struct name_ent *t = calloc(cap, sizeof(*t));

		if (!t) {
			free(copy);
			return TSCOPE_ENOMEM;
		}
		for (size_t k = 0; k < r->names_cap; k++) {
			if (!r->names[k].text)
				continue;
			for (i = hash64(r, r->names[k].ptr, cap); t[i].text;
			     i = (i + 1) & (cap - 1))
				;
			t[i] = r->names[k];
		}
		free(r->names);
		r->names = t;
		r->names_cap = cap;
	}
	for (i = hash64(r, ptr, r->names_cap); r->names[i].text; i = (i + 1) & (r->names_cap - 1)) {
		if (r->names[i].ptr == ptr) {
			free(r->names[i].text);
			r->names[i].text = copy;
			return 0;
		}
	}
	r->names[i].ptr = ptr;
	r->names[i].text = copy;
	r->names_n++;
	return 0;
}

const char *reader_name(const struct reader *r, uint64_t ptr)
{
	size_t i;

	if (!r->names_cap)
		return NULL;
	for (i = hash64(r, ptr, r->names_cap); r->names[i].text; i = (i + 1) & (r->names_cap - 1))
		if (r->names[i].ptr == ptr)
			return r->names[i].text;
	return NULL;
}

static int module_add(struct reader *r, const struct reader_chunk *ck)
{
	const struct tsf_module *m = &ck->u.module.m;
	struct module_int *mi;

	GROW_ARRAY(r->modules, r->modules_cap, r->modules_n);
	mi = &r->modules[r->modules_n];
	memset(mi, 0, sizeof(*mi));
	mi->pub.bias = m->bias;
	mi->pub.lo = m->lo;
	mi->pub.hi = m->hi;
	mi->pub.build_id_len = m->build_id_len;
	mi->path = copy_text((const unsigned char *)ck->u.module.path, m->path_len);
	if (!mi->path)
		return TSCOPE_ENOMEM;
	if (m->build_id_len) {
		mi->build_id = malloc(m->build_id_len);
		if (!mi->build_id) {
			free(mi->path);
			return TSCOPE_ENOMEM;
		}
		memcpy(mi->build_id, ck->u.module.build_id, m->build_id_len);
	}
	mi->pub.unload_ticks = UINT64_MAX;
	r->modules_n++;
	return 0;
}

/* UNLOAD: the newest module written at that place before it, if still loaded. */
static void module_gone(struct reader *r, const struct tsf_unload *u)
{
	for (size_t i = r->modules_n; i-- > 0;) {
		struct reader_module *m = &r->modules[i].pub;

		if (m->bias == u->bias && m->lo == u->lo) {
			if (m->unload_ticks == UINT64_MAX) {
				m->unload_ticks = u->ticks;
				m->unload_exact = (u->flags & TSF_UNLOAD_EXACT) != 0;
			}
			return;
		}
	}
}

static void clock_add(struct reader *r, const struct tsf_clock *c)
{
	if (!r->clk_n || c->ticks < r->clk_lo.ticks)
		r->clk_lo = *c;
	if (!r->clk_n || c->ticks >= r->clk_hi.ticks)
		r->clk_hi = *c;
	if (c->read_cost_ticks && (!r->clk_cost || c->read_cost_ticks < r->clk_cost))
		r->clk_cost = c->read_cost_ticks;
	if (r->clk_n < UINT_MAX)
		r->clk_n++;
}

static int thread_add_chunk(struct reader *r, uint64_t off, const struct reader_chunk *ck)
{
	const struct tsf_events *h = &ck->u.events.h;
	struct thread_int *t = thread_get(r, h->tid, r->info.pid);

	if (!t)
		return TSCOPE_ENOMEM;
	GROW_ARRAY(t->idx, t->idx_cap, t->idx_n);
	t->idx[t->idx_n].offset = off;
	t->idx[t->idx_n].seq = h->seq;
	t->idx_n++;
	t->pub.chunks++;
	t->pub.slots = sat_add(t->pub.slots, ck->u.events.slots);
	t->pub.lost = sat_add(t->pub.lost, h->lost);
	t->pub.waited_ns = sat_add(t->pub.waited_ns, h->waited_ns);
	r->info.event_chunks++;
	if (h->flags & TSF_EF_RING_WRAPPED)
		r->info.wrapped++;
	if (h->flags & TSF_EF_EXT)
		r->info.ext_chunks++;
	r->info.slots = sat_add(r->info.slots, ck->u.events.slots);
	r->info.lost = sat_add(r->info.lost, h->lost);
	r->info.waited_ns = sat_add(r->info.waited_ns, h->waited_ns);
	return 0;
}

/* Take in one chunk of the first pass.  0 or a fatal error. */
static int apply_chunk(struct reader *r, const struct reader_chunk *ck)
{
	struct thread_int *t;

	if (ck->status == TSCOPE_ENOLZ4)
		return TSCOPE_ENOLZ4;
	if (ck->status == TSCOPE_EFORMAT) {
		if (!r->info.bad_chunks)
			r->info.first_bad = ck->offset;
		r->info.bad_chunks++;
		return 0;
	}
	switch (ck->hdr.type) {
	case TSF_CHUNK_CLOCK:
		clock_add(r, &ck->u.clock);
		return 0;
	case TSF_CHUNK_MODULE:
		return module_add(r, ck);
	case TSF_CHUNK_THREAD:
		t = thread_get(r, ck->u.thread.t.tid, ck->u.thread.t.pid);
		if (!t)
			return TSCOPE_ENOMEM;
		t->pub.pid = ck->u.thread.t.pid;
		if (!t->name || ck->u.thread.t.ticks >= t->name_ticks) {
			char *name = copy_text((const unsigned char *)ck->u.thread.name,
					       ck->u.thread.name_len);

			if (!name)
				return TSCOPE_ENOMEM;
			free(t->name);
			t->name = name;
			t->name_ticks = ck->u.thread.t.ticks;
		}
		return 0;
	case TSF_CHUNK_EVENTS:
		return thread_add_chunk(r, ck->offset, ck);
	case TSF_CHUNK_NAME:
		return name_put(r, ck->u.name.ptr, ck->u.name.text, ck->u.name.text_len);
	case TSF_CHUNK_PROCESS: {
		char *exe =
		    copy_text((const unsigned char *)ck->u.process.exe, ck->u.process.exe_len);

		if (!exe)
			return TSCOPE_ENOMEM;
		free(r->exe);
		r->exe = exe;
		r->info.has_process = 1;
		return 0;
	}
	case TSF_CHUNK_END:
		r->info.complete = 1;
		r->info.end = ck->u.end;
		return 0;
	case TSF_CHUNK_UNLOAD:
		module_gone(r, &ck->u.unload);
		return 0;
	case TSF_CHUNK_COST:
		if (ck->u.cost.events)
			r->info.cost = ck->u.cost;
		return 0;
	case TSF_CHUNK_DROP:
		r->info.drop_reasons |= ck->u.drop.d.reasons;
		for (uint32_t i = 0; i < ck->u.drop.d.count; i++) {
			GROW_ARRAY(r->drops, r->drops_cap, r->drops_n);
			reader_drop_fn(ck, i, &r->drops[r->drops_n]);
			r->info.dropped = sat_add(r->info.dropped, r->drops[r->drops_n].calls);
			r->drops_n++;
		}
		return 0;
	default:
		r->info.unknown_chunks++;
		return 0;
	}
}

/* ---- after the first pass ------------------------------------------------------------ */

static int ref_cmp(const void *a, const void *b)
{
	const struct reader__ref *x = a, *y = b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static int thread_cmp(const void *a, const void *b)
{
	const struct thread_int *x = a, *y = b;

	return x->pub.tid < y->pub.tid ? -1 : x->pub.tid > y->pub.tid;
}

/* The 64.64 fixed-point ns-per-tick rate dns / dticks, rounded up.  dticks > 0. */
static void clock_rate(struct reader_clock *c, uint64_t dns, uint64_t dticks)
{
	uint64_t rem = dns % dticks;
	unsigned __int128 num = (unsigned __int128)rem << 64;

	c->rate_hi = dns / dticks;
	c->rate_lo = (uint64_t)(num / dticks);
	if (num % dticks) {
		if (++c->rate_lo == 0)
			c->rate_hi++;
	}
}

double reader_event_cost_ns(const struct reader *r)
{
	const struct tsf_cost *c = &r->info.cost;
	double tpn = r->clock.ticks_per_ns > 0 ? r->clock.ticks_per_ns : 1.0;

	if (!c->events)
		return 0;
	return (double)c->ticks / (double)c->events / tpn;
}

static void clock_setup(struct reader *r)
{
	struct reader_clock *c = &r->clock;

	memset(c, 0, sizeof(*c));
	c->points = r->clk_n;
	c->read_cost = r->clk_cost;
	c->real0 = r->clk_n ? r->clk_lo.real_ns : 0;
	if (r->info.clock_source == TSF_CLOCK_MONOTONIC) {
		c->rate_hi = 1;
		c->ticks_per_ns = 1.0;
		if (r->clk_n) {
			c->ticks1 = c->ns1 = r->clk_hi.ticks;
		}
		return;
	}
	if (r->clk_n >= 2 && r->clk_hi.ticks > r->clk_lo.ticks &&
	    r->clk_hi.mono_ns > r->clk_lo.mono_ns) {
		uint64_t dt = r->clk_hi.ticks - r->clk_lo.ticks;
		uint64_t dn = r->clk_hi.mono_ns - r->clk_lo.mono_ns;

		c->ticks0 = r->clk_lo.ticks;
		c->ns0 = r->clk_lo.mono_ns;
		c->ticks1 = r->clk_hi.ticks;
		c->ns1 = r->clk_hi.mono_ns;
		clock_rate(c, dn, dt);
		c->ticks_per_ns = (double)dt / (double)dn;
		return;
	}
	/* Rate unknown: assume 1 tick per ns, anchored where we can. */
	c->estimated = 1;
	c->rate_hi = 1;
	c->ticks_per_ns = 1.0;
	if (r->clk_n) {
		c->ticks0 = r->clk_lo.ticks;
		c->ns0 = r->clk_lo.mono_ns;
	} else {
		c->ticks0 = r->info.start_ticks;
		c->ns0 = 0;
	}
	c->ticks1 = c->ticks0;
	c->ns1 = c->ns0;
}

static void finish(struct reader *r)
{
	struct reader_info *in = &r->info;
	int ring = !!(in->flags & TSF_HF_RING);

	if (r->threads_n > 1)
		qsort(r->threads, r->threads_n, sizeof(*r->threads), thread_cmp);
	/* the main thread (tid == pid) first */
	for (size_t i = 1; i < r->threads_n; i++) {
		if (r->threads[i].pub.tid == in->pid) {
			struct thread_int main_thread = r->threads[i];

			memmove(&r->threads[1], &r->threads[0], i * sizeof(*r->threads));
			r->threads[0] = main_thread;
			break;
		}
	}
	free(r->tid_hash); /* indices changed; not needed any more */
	r->tid_hash = NULL;
	r->tid_hash_cap = 0;

	for (size_t i = 0; i < r->threads_n; i++) {
		struct thread_int *t = &r->threads[i];
		uint64_t expect;
		int sorted = 1;

		t->pub.name = t->name;
		for (size_t k = 1; k < t->idx_n && sorted; k++)
			sorted = t->idx[k - 1].seq <= t->idx[k].seq;
		if (!sorted)
			qsort(t->idx, t->idx_n, sizeof(*t->idx), ref_cmp);
		expect = ring && t->idx_n ? t->idx[0].seq : 0;
		for (size_t k = 0; k < t->idx_n; k++) {
			uint64_t seq = t->idx[k].seq;

			if (seq > expect)
				t->pub.missing = sat_add(t->pub.missing, seq - expect);
			if (seq >= expect)
				expect = seq == UINT64_MAX ? seq : seq + 1;
		}
		in->missing = sat_add(in->missing, t->pub.missing);
	}

	for (size_t i = 0; i < r->modules_n; i++) {
		struct module_int *m = &r->modules[i];

		m->pub.path = m->path;
		m->pub.build_id = m->build_id;
	}

	if (in->complete) {
		in->end_matches = in->end.chunks == in->chunks && in->end.events == in->slots &&
				  in->end.lost >= in->lost;
		if (in->end.lost > in->lost)
			in->lost = in->end.lost;
		if (in->end.waited_ns > in->waited_ns)
			in->waited_ns = in->end.waited_ns;
	}
	in->exe = r->exe ? r->exe : "";
	clock_setup(r);
}

/* ---- opening ------------------------------------------------------------------------- */

static int check_header(struct reader *r)
{
	unsigned char h[sizeof(struct tsf_header)];
	size_t n = r->size < sizeof(h) ? (size_t)r->size : sizeof(h);
	ssize_t got;

	if (r->size == 0)
		return TSCOPE_EFORMAT;
	got = read_at(r, 0, h, n);
	if (got < 0)
		return TSCOPE_EIO;
	if ((size_t)got < n) {
		errno = EIO;
		return TSCOPE_EIO;
	}
	if (memcmp(h, TSF_MAGIC, n < TSF_MAGIC_SIZE ? n : TSF_MAGIC_SIZE) != 0)
		return TSCOPE_EFORMAT;
	if (n < TSF_MAGIC_SIZE + 2)
		return TSCOPE_ETRUNC;
	r->info.version = ld16(h + 8);
	if (r->info.version == 0)
		return TSCOPE_EFORMAT;
	if (r->info.version > TSF_VERSION)
		return TSCOPE_EVERSION;
	if (n < sizeof(h))
		return TSCOPE_ETRUNC;
	r->info.header_size = ld16(h + 10);
	r->info.flags = ld32(h + 12);
	r->info.pid = ld32(h + 16);
	r->info.ppid = ld32(h + 20);
	r->info.clock_source = ld32(h + 24);
	r->info.start_ticks = ld64(h + 32);
	if (r->info.header_size < sizeof(h))
		return TSCOPE_EFORMAT;
	r->first_chunk = TSF_ALIGN8((uint64_t)r->info.header_size);
	if (r->info.header_size > r->size)
		return TSCOPE_ETRUNC;
	return 0;
}

/* The first pass: walk the chunks, index EVENTS, take in the metadata. */
static int first_pass(struct reader *r)
{
	struct reader_chunk ck;
	uint64_t off = r->first_chunk;
	int rc;

	while (off < r->size) {
		rc = parse_chunk(r, off, &ck);
		if (rc < 0)
			return rc;
		if (ck.status == TSCOPE_ETRUNC) {
			/* An uncompressed EVENTS chunk cut by the end still holds whole events. */
			if (ck.hdr.type == TSF_CHUNK_EVENTS && ck.decoded) {
				rc = thread_add_chunk(r, off, &ck);
				if (rc < 0)
					return rc;
			}
			break;
		}
		if (ck.hdr.type == TSF_CHUNK_END && ck.status == 0) {
			rc = apply_chunk(r, &ck);
			if (rc < 0)
				return rc;
			r->info.trailing = ck.next < r->size ? r->size - ck.next : 0;
			return 0;
		}
		rc = apply_chunk(r, &ck);
		if (rc < 0)
			return rc;
		r->info.chunks++;
		off = ck.next;
	}
	r->info.truncated = 1;
	r->info.trunc_offset = off < r->size ? off : r->size;
	return 0;
}

static int open_common(struct reader *r, struct reader **rp)
{
	int rc;

	r->hash_mul = random_odd(r);
	rc = check_header(r);
	if (rc == 0 && r->fd >= 0) {
		r->win = malloc(WIN_SIZE);
		if (!r->win)
			rc = TSCOPE_ENOMEM;
	}
	if (rc == 0)
		rc = first_pass(r);
	if (rc < 0) {
		int e = errno;

		reader_close(r);
		errno = e;
		return rc;
	}
	finish(r);
	*rp = r;
	return 0;
}

int reader_open(const char *path, struct reader **rp)
{
	struct reader *r;
	struct stat st;
	int e;

	*rp = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return TSCOPE_ENOMEM;
	r->info.salvaged = salvage_trace(path);
	r->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (r->fd < 0 || fstat(r->fd, &st) < 0)
		goto fail;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		errno = ESPIPE; /* a pipe or a device: pread() and a size are needed */
		goto fail;
	}
	r->size = (uint64_t)st.st_size;
	r->info.file_size = r->size;
	return open_common(r, rp);
fail:
	e = errno;
	if (r->fd >= 0)
		close(r->fd);
	free(r);
	errno = e;
	return TSCOPE_EIO;
}

int reader_open_mem(const void *data, size_t size, struct reader **rp)
{
	struct reader *r;

	*rp = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return TSCOPE_ENOMEM;
	r->fd = -1;
	r->mem = data;
	r->size = data ? size : 0;
	r->info.file_size = r->size;
	return open_common(r, rp);
}

void reader_close(struct reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	for (size_t i = 0; i < r->threads_n; i++) {
		free(r->threads[i].name);
		free(r->threads[i].idx);
	}
	free(r->threads);
	free(r->tid_hash);
	for (size_t i = 0; i < r->names_cap; i++)
		free(r->names[i].text);
	free(r->names);
	for (size_t i = 0; i < r->modules_n; i++) {
		free(r->modules[i].path);
		free(r->modules[i].build_id);
	}
	free(r->modules);
	free(r->exe);
	free(r->drops);
	free(r->win);
	free(r->meta);
	free(r->zmeta);
	free(r->text);
	free(r);
}

/* ---- accessors ------------------------------------------------------------------------ */

const struct reader_info *reader_info(const struct reader *r)
{
	return &r->info;
}

size_t reader_thread_count(const struct reader *r)
{
	return r->threads_n;
}

const struct reader_thread *reader_thread(const struct reader *r, size_t i)
{
	return i < r->threads_n ? &r->threads[i].pub : NULL;
}

void reader_drop_fn(const struct reader_chunk *ck, uint32_t i, struct tsf_drop_fn *out)
{
	const unsigned char *p = ck->u.drop.fns + (size_t)i * sizeof(struct tsf_drop_fn);

	out->addr = ld64(p);
	out->calls = ld64(p + 8);
	out->incl = ld64(p + 16);
	out->self = ld64(p + 24);
	out->hidden = ld64(p + 32);
	out->reasons = ld32(p + 40);
	out->reserved = ld32(p + 44);
}

uint64_t reader_span_ns(const struct reader *r, uint64_t ticks)
{
	uint64_t t0 = r->clock.ticks0;

	if (UINT64_MAX - t0 < ticks)
		t0 = 0;
	return reader_ns(r, t0 + ticks) - reader_ns(r, t0);
}

size_t reader_drop_count(const struct reader *r)
{
	return r->drops_n;
}

const struct tsf_drop_fn *reader_drop(const struct reader *r, size_t i)
{
	return i < r->drops_n ? &r->drops[i] : NULL;
}

size_t reader_module_count(const struct reader *r)
{
	return r->modules_n;
}

const struct reader_module *reader_module(const struct reader *r, size_t i)
{
	return i < r->modules_n ? &r->modules[i].pub : NULL;
}

const struct reader_clock *reader_clock(const struct reader *r)
{
	return &r->clock;
}

uint64_t reader_ns(const struct reader *r, uint64_t ticks)
{
	return reader_clock_ns(&r->clock, ticks);
}

/* ---- cursors ---------------------------------------------------------------------------- */

int reader_cursor_init(struct reader_cursor *c, struct reader *r, size_t i, unsigned flags)
{
	memset(c, 0, sizeof(*c));
	c->r = r;
	c->flags = flags;
	if (i < r->threads_n) {
		const struct thread_int *t = &r->threads[i];

		c->thread = &t->pub;
		c->idx = t->idx;
		c->idx_n = t->idx_n;
		if ((r->info.flags & TSF_HF_RING) && t->idx_n)
			c->expect_seq = t->idx[0].seq;
	}
	return 0;
}

int reader_cursor_init_chunk(struct reader_cursor *c, struct reader *r, uint64_t offset)
{
	memset(c, 0, sizeof(*c));
	c->r = r;
	c->single.offset = offset;
	c->idx = &c->single;
	c->idx_n = 1;
	return 0;
}

void reader_cursor_fini(struct reader_cursor *c)
{
	free(c->buf);
	free(c->zbuf);
	c->buf = c->zbuf = NULL;
	c->buf_cap = c->zbuf_cap = 0;
	c->pos = c->end = c->held_end = NULL;
	c->idx_next = c->idx_n;
	c->notes_n = c->notes_next = 0;
}

static void note(struct reader_cursor *c, uint32_t kind, uint64_t addr, int64_t value)
{
	struct reader_event *n = &c->notes[c->notes_n++];

	n->kind = kind;
	n->ticks = 0;
	n->addr = addr;
	n->value = value;
	n->text = NULL;
	n->len = 0;
}

/*
 * Queued notes go out before the chunk's events: hide the slots from the inline fast
 * path of reader_next() until the last note is taken.
 */
static void hold_slots(struct reader_cursor *c)
{
	c->held_end = c->end;
	if (c->notes_n)
		c->end = c->pos;
}

static int64_t clamp64(uint64_t v)
{
	return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

/*
 * The cursor's buffer holds an EVENTS head and len - EV_HEAD bytes of packed slots (of
 * a chunk with these flags): make it the head and the raw_size - EV_HEAD bytes of slots
 * they stand for, using the cursor's other buffer.  A chunk cut by the end of the file
 * gives the slots before the cut.  Returns the slots, or -1 if they do not decode to
 * exactly raw_size (at most, when cut).
 */
static long unpack(struct reader_cursor *c, size_t len, uint32_t raw_size, uint32_t flags, int cut)
{
	size_t slots = (raw_size - EV_HEAD) / EV_SIZE;
	long got;

	if (len < EV_HEAD)
		return -1;
	if (len > c->zbuf_cap) {
		unsigned char *z = realloc(c->zbuf, len);

		if (!z)
			return -1;
		c->zbuf = z;
		c->zbuf_cap = len;
	}
	memcpy(c->zbuf, c->buf + EV_HEAD, len - EV_HEAD);
	got = tscope__pack_decode(c->zbuf, len - EV_HEAD,
				  (struct tsf_event *)(void *)(c->buf + EV_HEAD), slots,
				  (flags & TSF_CF_PACK2 ? 0 : PACK_OLD) | (cut ? PACK_CUT : 0));
	return got == (long)slots || (cut && got >= 0) ? got : -1;
}

/*
 * Read the EVENTS chunk at ref into the cursor's buffer and point pos/end at its slots.
 * Returns 0, 1 when the chunk is malformed (c->chunk.offset set; no slots), or
 * TSCOPE_EIO / TSCOPE_ENOMEM.
 */
static int load_chunk(struct reader_cursor *c, const struct reader__ref *ref)
{
	struct reader *r = c->r;
	struct reader_chunk_info *ci = &c->chunk;
	unsigned char h[CHUNK_HEAD];
	struct tsf_events eh;
	uint64_t pay, avail;
	ssize_t got;
	int single = !c->thread;

	memset(ci, 0, sizeof(*ci));
	ci->offset = ref->offset;
	ci->seq = ref->seq;
	if (ref->offset >= r->size || r->size - ref->offset < CHUNK_HEAD + EV_HEAD ||
	    (ref->offset & 7) || ref->offset < r->first_chunk)
		return 1;
	got = read_at(r, ref->offset, h, CHUNK_HEAD);
	if (got < 0)
		return TSCOPE_EIO;
	if ((size_t)got < CHUNK_HEAD)
		return 1;
	pay = ref->offset + CHUNK_HEAD;
	ci->flags = ld32(h + 4);
	ci->size = ld32(h + 8);
	ci->raw_size = ld32(h + 12);
	avail = r->size - pay;
	if (ld32(h) != TSF_CHUNK_EVENTS || (ci->flags & ~(TSF_CF_LZ4 | TSF_CF_PACKED)) ||
	    (ci->flags & TSF_CF_PACKED) == TSF_CF_PACKED || ci->raw_size > TSF_CHUNK_MAX ||
	    ci->raw_size < EV_HEAD || (ci->raw_size - EV_HEAD) % EV_SIZE)
		return 1;
	if (ci->flags & TSF_CF_LZ4) {
#ifdef HAVE_LZ4
		int len;

		if (!lz4_sizes_ok(ci->flags, ci->size, ci->raw_size) || ci->size > avail)
			return 1;
		GROW(c->zbuf, c->zbuf_cap, ci->size);
		GROW(c->buf, c->buf_cap, ci->raw_size);
		got = read_at(r, pay, c->zbuf, ci->size);
		if (got < 0)
			return TSCOPE_EIO;
		if ((size_t)got < ci->size || ci->size > INT_MAX)
			return 1;
		len = LZ4_decompress_safe((const char *)c->zbuf, (char *)c->buf, (int)ci->size,
					  (int)ci->raw_size);
		if (len < 0 || (!(ci->flags & TSF_CF_PACKED) && (uint32_t)len != ci->raw_size))
			return 1;
		if ((ci->flags & TSF_CF_PACKED) &&
		    unpack(c, (size_t)len, ci->raw_size, ci->flags, 0) < 0)
			return 1;
		avail = ci->raw_size;
#else
		return 1;
#endif
	} else if (ci->flags & TSF_CF_PACKED) {
		size_t len = ci->size;
		long slots;

		if (ci->size > ci->raw_size)
			return 1;
		if (len > avail) {
			ci->cut = 1;
			len = (size_t)avail;
		}
		GROW(c->buf, c->buf_cap, ci->raw_size);
		got = read_at(r, pay, c->buf, len);
		if (got < 0)
			return TSCOPE_EIO;
		if ((size_t)got < len)
			return 1;
		slots = unpack(c, len, ci->raw_size, ci->flags, ci->cut);
		if (slots < 0)
			return 1;
		avail = EV_HEAD + (uint64_t)slots * EV_SIZE;
	} else {
		if (ci->size != ci->raw_size)
			return 1;
		if (ci->size > avail) {
			ci->cut = 1;
		} else {
			avail = ci->size;
		}
		GROW(c->buf, c->buf_cap, (size_t)avail);
		got = read_at(r, pay, c->buf, (size_t)avail);
		if (got < 0)
			return TSCOPE_EIO;
		if ((uint64_t)got < avail)
			return 1; /* the file shrank since it was indexed */
	}
	decode_events_head(c->buf, &eh);
	if (!single && (eh.tid != c->thread->tid || eh.seq != ref->seq))
		return 1; /* the file changed since it was indexed */
	ci->eflags = eh.flags;
	ci->seq = eh.seq;
	ci->lost = eh.lost;
	ci->slots = (avail - EV_HEAD) / EV_SIZE;
	c->pos = (const struct tsf_event *)(const void *)(c->buf + EV_HEAD);
	c->end = c->pos + ci->slots;
	return 0;
}

/* Move to the next chunk with something to yield.  1, 0 at the end, or an error. */
static int next_chunk(struct reader_cursor *c)
{
	const struct reader__ref *ref;
	int single = !c->thread;
	uint64_t gap = 0;
	int rc;

	c->notes_n = c->notes_next = 0;
	c->pos = c->end = c->held_end = NULL;
	if (c->idx_next >= c->idx_n)
		return 0;
	ref = &c->idx[c->idx_next++];
	rc = load_chunk(c, ref);
	if (rc < 0)
		return rc;
	if (!single) {
		if (ref->seq > c->expect_seq)
			gap = ref->seq - c->expect_seq;
		if (ref->seq >= c->expect_seq)
			c->expect_seq = ref->seq == UINT64_MAX ? ref->seq : ref->seq + 1;
	}
	if (rc > 0) {
		uint32_t raw = c->chunk.raw_size;

		if (gap)
			note(c, READER_EV_GAP, 0, clamp64(gap));
		note(c, READER_EV_BAD, ref->offset, raw >= EV_HEAD ? (raw - EV_HEAD) / EV_SIZE : 0);
		hold_slots(c);
		return 1;
	}
	if (!single && (c->flags & READER_CHUNKS))
		note(c, READER_EV_CHUNK, ref->offset, clamp64(c->chunk.seq));
	if (!single && (c->chunk.eflags & TSF_EF_RESUMED))
		note(c, READER_EV_PAUSE, 0, 0);
	if (gap)
		note(c, READER_EV_GAP, 0, clamp64(gap));
	else if (!single && (c->chunk.eflags & TSF_EF_RING_WRAPPED))
		note(c, READER_EV_GAP, 0, 0); /* a ring overwrote events: how many is unknown */
	if (!single && c->chunk.lost)
		note(c, READER_EV_LOST, 0, clamp64(c->chunk.lost));
	if (c->pos < c->end) {
		uint64_t t = le64toh(c->pos->time);

		for (unsigned i = 0; i < c->notes_n; i++)
			c->notes[i].ticks = t;
	}
	hold_slots(c);
	return 1;
}

/* The rest of the chunk cannot be decoded: skip it, with a BAD note unless the file's
 * end cut the chunk (then the stream just stops there, as a truncated trace does). */
static void bad_tail(struct reader_cursor *c)
{
	uint64_t left = (uint64_t)(c->end - c->pos);

	c->pos = c->end;
	c->notes_n = c->notes_next = 0;
	if (!c->chunk.cut)
		note(c, READER_EV_BAD, c->chunk.offset, clamp64(left));
	hold_slots(c);
}

int reader__next(struct reader_cursor *c, struct reader_event *ev)
{
	for (;;) {
		const struct tsf_event *e;
		uint64_t t, w;
		uint32_t k, n, need;
		int rc;

		if (c->notes_next < c->notes_n) {
			*ev = c->notes[c->notes_next++];
			if (c->notes_next == c->notes_n)
				c->end = c->held_end;
			return 1;
		}
		if (c->err)
			return c->err;
		e = c->pos;
		if (e >= c->end) {
			rc = next_chunk(c);
			if (rc < 0)
				c->err = rc;
			if (rc <= 0)
				return rc;
			continue;
		}
		t = le64toh(e->time);
		w = le64toh(e->word);
		if ((t | w) == 0) {
			/* the writer's end mark: nothing after it is an event */
			c->chunk.zero_tail = (uint64_t)(c->end - e);
			c->pos = c->end;
			continue;
		}
		k = (uint32_t)(w >> TSF_KIND_SHIFT);
		ev->ticks = t;
		ev->kind = k;
		ev->addr = w & TSF_ADDR_MASK;
		switch (k) {
		case TSF_KIND_PAD:
			c->pos = e + 1;
			continue;
		case TSF_KIND_ENTER:
		case TSF_KIND_EXIT:
		case TSF_KIND_BEGIN:
		case TSF_KIND_INSTANT:
		case TSF_KIND_END:
			c->pos = e + 1;
			return 1;
		case TSF_KIND_COPY:
			n = (uint32_t)(w & 0xffff);
			need = (n + EV_SIZE - 1) / EV_SIZE;
			if (n > TSF_COPY_MAX || need > (uint64_t)(c->end - e) - 1) {
				bad_tail(c);
				continue;
			}
			memcpy(c->copy, e + 1, n);
			c->copy[n] = 0;
			ev->text = c->copy;
			ev->len = n;
			ev->addr = 0;
			c->pos = e + 1 + need;
			return 1;
		case TSF_KIND_COUNTER:
			if (c->end - e < 2) {
				bad_tail(c);
				continue;
			}
			ev->value = (int64_t)le64toh(e[1].time);
			c->pos = e + 2;
			return 1;
		case TSF_KIND_EXT:
			/* any subtype, known or not, says how many payload slots it has */
			n = TSF_EXT_PAYLOAD(TSF_EXT_SUB(w));
			if (n > (uint64_t)(c->end - e) - 1) {
				bad_tail(c);
				continue;
			}
			ev->len = TSF_EXT_SUB(w);
			ev->arg = w & TSF_EXT_ARG_MASK;
			ev->addr = n > 0 ? le64toh(e[1].word) & TSF_ADDR_MASK : 0;
			ev->value = n > 1 ? (int64_t)(le64toh(e[2].word) & TSF_ADDR_MASK) : 0;
			ev->more = n > 2 ? le64toh(e[3].word) & TSF_ADDR_MASK : 0;
			c->pos = e + 1 + n;
			return 1;
		default:
			bad_tail(c);
			continue;
		}
	}
}

/* ---- scan --------------------------------------------------------------------------------- */

int reader_scan(struct reader *r)
{
	struct reader_info *in = &r->info;
	uint64_t total = 0, first = UINT64_MAX, last = 0, bad_n = 0, first_bad = UINT64_MAX;

	if (in->scanned)
		return 0;
	for (size_t i = 0; i < r->threads_n; i++) {
		struct reader_thread *t = &r->threads[i].pub;
		struct reader_cursor c;
		struct reader_event ev;
		uint64_t n = 0, tb = 0, tf = UINT64_MAX, tl = 0;
		int rc;

		reader_cursor_init(&c, r, i, 0);
		while ((rc = reader_next(&c, &ev)) > 0) {
			if (TS_LIKELY(READER_IS_EVENT(ev.kind))) {
				n++;
				if (TS_UNLIKELY(ev.ticks < tf))
					tf = ev.ticks;
				if (TS_LIKELY(ev.ticks > tl))
					tl = ev.ticks;
			} else if (ev.kind == READER_EV_BAD) {
				if (ev.addr < first_bad)
					first_bad = ev.addr;
				tb++;
			}
		}
		reader_cursor_fini(&c);
		if (rc < 0)
			return rc;
		t->events = n;
		t->bad = tb;
		t->first_ticks = n ? tf : 0;
		t->last_ticks = n ? tl : 0;
		total += n;
		bad_n += tb;
		if (n && tf < first)
			first = tf;
		if (n && tl > last)
			last = tl;
	}
	in->events = total;
	if (bad_n && (!in->bad_chunks || first_bad < in->first_bad))
		in->first_bad = first_bad;
	in->bad_chunks = sat_add(in->bad_chunks, bad_n);
	in->first_ticks = total ? first : 0;
	in->last_ticks = total ? last : 0;
	in->scanned = 1;
	return 0;
}
