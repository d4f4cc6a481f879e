/* SPDX-License-Identifier: MIT */
/*
 * export-pprof.c - a pprof profile, the format of google/pprof (`go tool pprof`, and the
 * profilers and viewers that read it): a protobuf message Profile as its
 * proto/profile.proto defines it, written by the small encoder here (varints and
 * length-delimited fields are all it takes), not gzip-compressed: pprof reads the raw
 * message as well, and `gzip` makes the usual .pb.gz of it.
 *
 * What it holds:
 *
 *   - sample_type: calls/count, self/nanoseconds, total/nanoseconds, the default self;
 *   - one Sample per distinct call path of every thread and trace (merged by name as
 *     folded stacks are), its location ids leaf first, its values the calls of the
 *     path's last frame, their self time and their inclusive time;
 *   - one Location per function or scope name, with one Line naming its Function, and
 *     the function's runtime address when every call to that name was at one address;
 *     one Mapping holds them all, marked as having its functions named already;
 *   - one Function per name: name (C++ demangled), system_name (the symbol as the
 *     binary has it, mangled; else the name), no file or line (tscope has none);
 *   - the string table, "" first; time_nanos, the wall-clock time the earliest trace
 *     started recording, and duration_nanos, from there to the last event read (of
 *     the traces and threads in the profile).
 *
 * So pprof's flat column of self is each function's self time, its cum column the
 * inclusive time (a recursion counted once), and the flat column of calls the exact
 * number of calls.  The flat column of total adds a path's inclusive time to its last
 * frame, once per recursion level.
 *
 * Memory: the merged call tree and a few words per name, as for folded stacks; the
 * output is written at finish(), one message at a time.  Paths deeper than max_frames
 * are cut in the middle as folded stacks are, so that a deep recursion gives at most
 * that many locations per sample.  Strings are UTF-8, as protobuf wants: a byte that
 * is not is written U+FFFD.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tscope.h"
#include "export.h"
#include "calltree.h"

/* ---- protobuf encoding ------------------------------------------------------------------ */

#define WIRE_VARINT 0u
#define WIRE_LEN    2u

/* Fields of profile.proto used here. */
enum {
	PROFILE_SAMPLE_TYPE = 1,
	PROFILE_SAMPLE = 2,
	PROFILE_MAPPING = 3,
	PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5,
	PROFILE_STRING_TABLE = 6,
	PROFILE_TIME_NANOS = 9,
	PROFILE_DURATION_NANOS = 10,
	PROFILE_DEFAULT_SAMPLE_TYPE = 14,
	VALUE_TYPE_TYPE = 1,
	VALUE_TYPE_UNIT = 2,
	SAMPLE_LOCATION_ID = 1,
	SAMPLE_VALUE = 2,
	MAPPING_ID = 1,
	MAPPING_MEMORY_LIMIT = 3,
	MAPPING_FILENAME = 5,
	MAPPING_HAS_FUNCTIONS = 7,
	LOCATION_ID = 1,
	LOCATION_MAPPING_ID = 2,
	LOCATION_ADDRESS = 3,
	LOCATION_LINE = 4,
	LINE_FUNCTION_ID = 1,
	FUNCTION_ID = 1,
	FUNCTION_NAME = 2,
	FUNCTION_SYSTEM_NAME = 3,
};

/* The first strings of the table, at fixed indices (S_EXE: the executable's path, or
 * ""); the functions' names follow. */
enum { S_EMPTY, S_CALLS, S_COUNT, S_SELF, S_NANOSECONDS, S_TOTAL, S_EXE, S_FIXED };
static const char *const fixed_strings[S_EXE] = {
	"", "calls", "count", "self", "nanoseconds", "total",
};

/* Bytes being built: a message, or the fields of one. */
struct pb {
	unsigned char *p;
	size_t n, cap;
	int err; /* TSCOPE_ENOMEM once bytes could not be added */
};

static void pb_put(struct pb *b, const void *s, size_t n)
{
	if (b->err)
		return;
	if (calltree_grow((void **)&b->p, &b->cap, b->n + n, 1, 0) < 0) {
		b->err = TSCOPE_ENOMEM;
		return;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

/* The varint of v at dst (10 bytes at most); returns its length. */
static size_t varint_to(unsigned char *dst, uint64_t v)
{
	size_t k = 0;

	while (v >= 0x80) {
		dst[k++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	dst[k++] = (unsigned char)v;
	return k;
}

static size_t varint_size(uint64_t v)
{
	size_t k = 1;

	while (v >= 0x80) {
		v >>= 7;
		k++;
	}
	return k;
}

static void pb_varint(struct pb *b, uint64_t v)
{
	unsigned char buf[10];

	pb_put(b, buf, varint_to(buf, v));
}

static void pb_key(struct pb *b, unsigned field, unsigned wire)
{
	pb_varint(b, (uint64_t)field << 3 | wire);
}

/* A varint field; left out when 0, its default. */
static void pb_uint(struct pb *b, unsigned field, uint64_t v)
{
	if (!v)
		return;
	pb_key(b, field, WIRE_VARINT);
	pb_varint(b, v);
}

/* A field holding the message m. */
static void pb_message(struct pb *b, unsigned field, const struct pb *m)
{
	pb_key(b, field, WIRE_LEN);
	pb_varint(b, m->n);
	pb_put(b, m->p, m->n);
}

/* An int64 value of ours: a count or ns, at most INT64_MAX. */
static uint64_t int64_of(uint64_t v)
{
	return v > INT64_MAX ? INT64_MAX : v;
}

/*
 * The length of the valid UTF-8 sequence at s (n > 0 bytes), or 0 if s[0] does not
 * begin one: no overlong forms, no surrogates, nothing above U+10FFFF.
 */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned lo = 0x80, hi = 0xbf;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		lo = s[0] == 0xe0 ? 0xa0 : lo;
		hi = s[0] == 0xed ? 0x9f : hi;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		lo = s[0] == 0xf0 ? 0x90 : lo;
		hi = s[0] == 0xf4 ? 0x8f : hi;
	} else {
		return 0;
	}
	if (len > n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* The n bytes at s, as UTF-8 (each byte that is not becomes U+FFFD), to b. */
static void pb_utf8(struct pb *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		size_t k = utf8_len(u + i, n - i);

		if (k) {
			pb_put(b, u + i, k);
			i += k;
		} else {
			pb_put(b, "\xef\xbf\xbd", 3);
			i++;
		}
	}
}

/* ---- the profile ------------------------------------------------------------------------- */

#define FN_ADDR	  0x1u /* addr is the address of every call to the name seen so far */
#define FN_NOADDR 0x2u /* calls at several addresses, or a scope: no address */
#define FN_LOOKED 0x4u /* system was looked up */

/* What is known of a name (function or scope) beyond the name itself. */
struct pprof_fn {
	uint64_t key;	 /* the frame key of that address, with FN_ADDR */
	uint64_t addr;	 /* runtime address, with FN_ADDR */
	uint32_t system; /* name id of its symbol as the binary has it (mangled), 0: none */
	uint32_t flags;	 /* FN_* */
};

struct pprof {
	FILE *out;
	struct pprof_opts o;
	struct names *names;
	struct calltree thread;	 /* the thread being read, by frame */
	struct calltree merged;	 /* everything, by name */
	struct calltree_cut cut; /* paths too deep, in the last trace added */
	uint64_t threads;
	int err;

	struct pprof_fn *fn; /* by name id */
	size_t fn_cap;
	int has_time;			    /* a trace was added: the times below are set */
	uint64_t start_ns, end_ns, real_ns; /* CLOCK_MONOTONIC, and the wall clock at start */
	uint32_t exe;			    /* name id of the traces' executable, 0: none */
	int exe_mixed;			    /* traces of several executables: none is named */

	/* writing */
	uint32_t *loc; /* by name id: its location (and function) id, 0 before its first */
	size_t loc_cap;
	uint32_t *order; /* by location id - 1: its name id */
	size_t order_n, order_cap;
	uint64_t *path; /* location ids of the path being walked, by depth */
	size_t path_cap;
	struct pb msg, sub; /* a message being built, and one inside it */
};

static int pprof_open(struct pprof **xp, FILE *out, const struct pprof_opts *o, struct names *names)
{
	struct pprof *x = calloc(1, sizeof(*x));

	*xp = NULL;
	if (!x || calltree_reset(&x->merged) < 0) {
		free(x);
		return TSCOPE_ENOMEM;
	}
	x->out = out;
	x->o = *o;
	x->names = names;
	x->cut.max = o->max_frames ? o->max_frames : FOLDED_MAX_FRAMES;
	if (x->cut.max == UINT_MAX)
		x->cut.max = 0; /* no limit */
	else if (x->cut.max < CALLTREE_CUT_MIN)
		x->cut.max = CALLTREE_CUT_MIN;
	if (x->cut.max &&
	    names_intern(names, FOLDED_CUT_FRAME, strlen(FOLDED_CUT_FRAME), &x->cut.marker) < 0) {
		calltree_fini(&x->merged);
		free(x);
		return TSCOPE_ENOMEM;
	}
	*xp = x;
	return 0;
}

/*
 * Note what the symbol tables say of the functions of the thread just read (its tree
 * by frame): each name's symbol, once, and whether all its calls were at one address.
 */
static int note_functions(struct pprof *x, struct spans *sp)
{
	for (size_t i = 1; i < x->thread.n; i++) {
		uint64_t key = x->thread.nodes[i].key, addr;
		uint32_t name = spans_name(sp, key);
		struct pprof_fn *f;
		const char *sym;

		if (calltree_grow((void **)&x->fn, &x->fn_cap, (size_t)name + 1, sizeof(*x->fn),
				  1) < 0)
			return TSCOPE_ENOMEM;
		f = &x->fn[name];
		if ((f->flags & FN_LOOKED) &&
		    ((f->flags & FN_NOADDR) || ((f->flags & FN_ADDR) && f->key == key)))
			continue; /* nothing new to learn */
		sym = spans_symbol(sp, key, &addr);
		if (!addr || ((f->flags & FN_ADDR) && f->addr != addr)) {
			f->flags = (f->flags & ~FN_ADDR) | FN_NOADDR;
		} else if (!(f->flags & FN_NOADDR)) {
			f->key = key;
			f->addr = addr;
			f->flags |= FN_ADDR;
		}
		if (!addr || (f->flags & FN_LOOKED))
			continue; /* a scope has no symbol; a function of its name may */
		f->flags |= FN_LOOKED;
		if (sym && strcmp(sym, names_str(x->names, name, NULL)) != 0 &&
		    names_intern(x->names, sym, strlen(sym), &f->system) < 0)
			return TSCOPE_ENOMEM;
	}
	return 0;
}

/*
 * A thread of trace r is in the profile: r's start, wall-clock time and executable
 * count.  Returns 0 or TSCOPE_ENOMEM.
 */
static int note_trace(struct pprof *x, struct reader *r)
{
	uint64_t start = chrome_base_ns(r);
	const char *exe = reader_info(r)->exe;
	uint32_t id;

	if (!x->has_time || start < x->start_ns) {
		x->start_ns = start;
		x->real_ns = reader_clock(r)->real0;
		if (!x->has_time)
			x->end_ns = start;
		x->has_time = 1;
	}
	if (!x->exe_mixed && *exe) {
		if (names_intern(x->names, exe, strlen(exe), &id) < 0)
			return TSCOPE_ENOMEM;
		x->exe_mixed = x->exe && x->exe != id;
		x->exe = x->exe_mixed ? 0 : id;
	}
	return 0;
}

static int pprof_add(struct pprof *x, struct spans *sp)
{
	struct reader *r = spans_reader(sp);
	int rc = 0, first = 1;

	x->cut.paths = 0;
	x->cut.deepest = 0;
	for (size_t i = 0; i < reader_thread_count(r); i++) {
		const struct reader_thread *th = reader_thread(r, i);
		const struct spans_thread_stats *st;
		int e;

		if (x->o.has_tid && th->tid != x->o.tid)
			continue;
		if ((first && note_trace(x, r) < 0) || calltree_reset(&x->thread) < 0)
			return TSCOPE_ENOMEM;
		first = 0;
		e = spans_run(sp, i, &calltree_ops, &x->thread);
		if (e < 0 && !rc)
			rc = e;
		if (x->thread.err && !rc)
			rc = x->thread.err; /* what was read is kept */
		st = spans_last_stats(sp);
		if (st->events && st->last > x->end_ns)
			x->end_ns = st->last;
		if (!x->err && note_functions(x, sp) < 0)
			x->err = TSCOPE_ENOMEM;
		if (!x->err && calltree_merge(&x->merged, 0, &x->thread, sp, &x->cut) < 0)
			x->err = TSCOPE_ENOMEM;
		x->threads++;
		if (x->err)
			return x->err;
	}
	return rc;
}

/* ---- output ----------------------------------------------------------------------------- */

/* Write the bytes of b as they are (fields of the Profile itself), and empty b. */
static int put_fields(struct pprof *x, struct pb *b)
{
	if (b->err)
		return b->err;
	fwrite(b->p, 1, b->n, x->out);
	b->n = 0;
	return ferror(x->out) ? TSCOPE_EIO : 0;
}

/* Write the message m as the Profile's field, and empty m. */
static int put_message(struct pprof *x, unsigned field, struct pb *m)
{
	unsigned char head[20];
	size_t k;

	if (m->err)
		return m->err;
	k = varint_to(head, (uint64_t)field << 3 | WIRE_LEN);
	k += varint_to(head + k, m->n);
	fwrite(head, 1, k, x->out);
	fwrite(m->p, 1, m->n, x->out);
	m->n = 0;
	return ferror(x->out) ? TSCOPE_EIO : 0;
}

static int put_value_type(struct pprof *x, unsigned type, unsigned unit)
{
	pb_uint(&x->msg, VALUE_TYPE_TYPE, type);
	pb_uint(&x->msg, VALUE_TYPE_UNIT, unit);
	return put_message(x, PROFILE_SAMPLE_TYPE, &x->msg);
}

/* The location id of a name: the next one at its first sight.  0 when out of memory. */
static uint32_t location_of(struct pprof *x, uint32_t name)
{
	if (calltree_grow((void **)&x->loc, &x->loc_cap, (size_t)name + 1, sizeof(*x->loc), 1) < 0)
		return 0;
	if (x->loc[name])
		return x->loc[name];
	if (calltree_grow((void **)&x->order, &x->order_cap, x->order_n + 1, sizeof(*x->order), 0) <
	    0)
		return 0;
	x->order[x->order_n++] = name;
	x->loc[name] = (uint32_t)x->order_n;
	return x->loc[name];
}

/* Siblings by name, bytewise, then by key: a marker before a frame of the same name. */
static int by_name(void *ctx, uint32_t a, uint32_t b)
{
	const struct pprof *x = ctx;
	const struct calltree_node *na = &x->merged.nodes[a], *nb = &x->merged.nodes[b];
	size_t la, lb;
	const char *sa = names_str(x->names, (uint32_t)na->key, &la);
	const char *sb = names_str(x->names, (uint32_t)nb->key, &lb);
	int c = memcmp(sa, sb, la < lb ? la : lb);

	if (c)
		return c;
	if (la != lb)
		return la < lb ? -1 : 1;
	return na->key < nb->key ? -1 : na->key > nb->key;
}

/* A node of the walk: its location on the path, and its Sample if it has values. */
static int put_sample(void *ctx, uint32_t node, uint32_t depth)
{
	struct pprof *x = ctx;
	const struct calltree_node *nd = &x->merged.nodes[node];
	uint64_t v[3] = { int64_of(nd->calls), int64_of(nd->self), int64_of(nd->incl) };
	size_t len = 0;
	int rc;

	if (calltree_grow((void **)&x->path, &x->path_cap, (size_t)depth + 1, sizeof(*x->path), 0) <
	    0)
		return TSCOPE_ENOMEM;
	x->path[depth] = location_of(x, (uint32_t)nd->key);
	if (!x->path[depth])
		return TSCOPE_ENOMEM;
	if (!v[0] && !v[1] && !v[2])
		return 1; /* a marker of paths cut: only the paths through it have values */
	/* location ids packed, leaf first */
	for (size_t d = 0; d <= depth; d++)
		len += varint_size(x->path[d]);
	pb_key(&x->msg, SAMPLE_LOCATION_ID, WIRE_LEN);
	pb_varint(&x->msg, len);
	for (size_t d = depth + 1; d--;)
		pb_varint(&x->msg, x->path[d]);
	len = varint_size(v[0]) + varint_size(v[1]) + varint_size(v[2]);
	pb_key(&x->msg, SAMPLE_VALUE, WIRE_LEN);
	pb_varint(&x->msg, len);
	for (size_t i = 0; i < 3; i++)
		pb_varint(&x->msg, v[i]);
	rc = put_message(x, PROFILE_SAMPLE, &x->msg);
	return rc < 0 ? rc : 1;
}

/*
 * The one Mapping, every address, named after the executable (when the traces share
 * one), and said to have functions already: without it, pprof would make one up, and
 * try to name the functions again with the binary, by runtime addresses that an ASLR
 * binary does not have on file.
 */
static int put_mapping(struct pprof *x)
{
	pb_uint(&x->msg, MAPPING_ID, 1);
	pb_uint(&x->msg, MAPPING_MEMORY_LIMIT, UINT64_MAX);
	pb_uint(&x->msg, MAPPING_FILENAME, x->exe ? S_EXE : 0);
	pb_uint(&x->msg, MAPPING_HAS_FUNCTIONS, 1);
	return put_message(x, PROFILE_MAPPING, &x->msg);
}

/* The Location and Function of each name, in the order of their ids. */
static int put_functions(struct pprof *x)
{
	uint64_t next_system = S_FIXED + x->order_n;
	int rc = 0;

	for (size_t i = 0; i < x->order_n && !rc; i++) {
		uint32_t name = x->order[i];
		const struct pprof_fn *f = name < x->fn_cap ? &x->fn[name] : NULL;

		pb_uint(&x->msg, LOCATION_ID, i + 1);
		pb_uint(&x->msg, LOCATION_MAPPING_ID, 1);
		if (f && (f->flags & FN_ADDR))
			pb_uint(&x->msg, LOCATION_ADDRESS, f->addr);
		pb_uint(&x->sub, LINE_FUNCTION_ID, i + 1);
		pb_message(&x->msg, LOCATION_LINE, &x->sub);
		x->sub.n = 0;
		if (x->sub.err)
			return x->sub.err;
		rc = put_message(x, PROFILE_LOCATION, &x->msg);
	}
	for (size_t i = 0; i < x->order_n && !rc; i++) {
		uint32_t name = x->order[i];
		const struct pprof_fn *f = name < x->fn_cap ? &x->fn[name] : NULL;

		pb_uint(&x->msg, FUNCTION_ID, i + 1);
		pb_uint(&x->msg, FUNCTION_NAME, S_FIXED + i);
		pb_uint(&x->msg, FUNCTION_SYSTEM_NAME,
			f && f->system ? next_system++ : S_FIXED + i);
		rc = put_message(x, PROFILE_FUNCTION, &x->msg);
	}
	return rc;
}

/* One string of the table. */
static int put_string(struct pprof *x, const char *s, size_t n)
{
	pb_utf8(&x->msg, s, n);
	return put_message(x, PROFILE_STRING_TABLE, &x->msg);
}

/* The string table: the fixed strings, the names, then the symbols that differ. */
static int put_strings(struct pprof *x)
{
	const char *s;
	size_t n;
	int rc = 0;

	for (size_t i = 0; i < S_EXE && !rc; i++)
		rc = put_string(x, fixed_strings[i], strlen(fixed_strings[i]));
	s = x->exe ? names_str(x->names, x->exe, &n) : "";
	if (!rc)
		rc = put_string(x, s, x->exe ? n : 0);
	for (size_t i = 0; i < x->order_n && !rc; i++) {
		s = names_str(x->names, x->order[i], &n);
		rc = put_string(x, s, n);
	}
	for (size_t i = 0; i < x->order_n && !rc; i++) {
		uint32_t name = x->order[i];

		if (name < x->fn_cap && x->fn[name].system) {
			s = names_str(x->names, x->fn[name].system, &n);
			rc = put_string(x, s, n);
		}
	}
	return rc;
}

static int pprof_write(struct pprof *x)
{
	int rc = put_value_type(x, S_CALLS, S_COUNT);

	if (!rc)
		rc = put_value_type(x, S_SELF, S_NANOSECONDS);
	if (!rc)
		rc = put_value_type(x, S_TOTAL, S_NANOSECONDS);
	if (!rc)
		rc = calltree_walk(&x->merged, by_name, put_sample, x);
	if (!rc)
		rc = put_mapping(x);
	if (!rc)
		rc = put_functions(x);
	if (!rc)
		rc = put_strings(x);
	if (rc)
		return rc;
	if (x->has_time) {
		pb_uint(&x->msg, PROFILE_TIME_NANOS, int64_of(x->real_ns));
		pb_uint(&x->msg, PROFILE_DURATION_NANOS, int64_of(x->end_ns - x->start_ns));
	}
	pb_uint(&x->msg, PROFILE_DEFAULT_SAMPLE_TYPE, S_SELF);
	return put_fields(x, &x->msg);
}

static int pprof_finish(struct pprof *x)
{
	int rc = x->err;

	if (!rc)
		rc = pprof_write(x);
	if (rc == TSCOPE_EIO)
		rc = 0; /* the caller sees ferror(out) */
	calltree_fini(&x->thread);
	calltree_fini(&x->merged);
	free(x->fn);
	free(x->loc);
	free(x->order);
	free(x->path);
	free(x->msg.p);
	free(x->sub.p);
	free(x);
	return rc;
}

/* ---- as an exporter ---------------------------------------------------------------------- */

static int x_open(void **x, FILE *out, const void *opts, struct names *names)
{
	struct pprof *p;
	int rc = pprof_open(&p, out, opts, names);

	*x = p;
	return rc;
}

static int x_add(void *x, struct spans *sp)
{
	return pprof_add(x, sp);
}

static int x_finish(void *x)
{
	return pprof_finish(x);
}

static uint64_t x_threads(const void *x)
{
	return ((const struct pprof *)x)->threads;
}

static size_t x_warning(void *x, char *buf, size_t size)
{
	const struct pprof *p = x;
	uint64_t n = p->cut.paths;
	unsigned inner = p->cut.max / 2;
	int len;

	if (!n)
		return 0;
	len = snprintf(buf, size,
		       "%" PRIu64 " call path%s deeper than %u frames (up to %" PRIu64
		       "): each keeps its outermost %u and innermost %u frames, joined by "
		       "a frame \"%s\"",
		       n, n == 1 ? " is" : "s are", p->cut.max, p->cut.deepest,
		       p->cut.max - 1 - inner, inner, FOLDED_CUT_FRAME);
	return len < 0 ? 0 : (size_t)len < size ? (size_t)len : size - 1;
}

const struct exporter pprof_exporter = {
	.name = "pprof",
	.open = x_open,
	.add = x_add,
	.finish = x_finish,
	.threads = x_threads,
	.warning = x_warning,
};
