/* SPDX-License-Identifier: MIT */
/*
 * export-perfetto.c - the native Perfetto trace format (protobuf), as Perfetto UI and
 * trace_processor load it, written by a small encoder of its own: varints and
 * length-delimited fields, no protobuf library.  The file is a perfetto.protos.Trace,
 * a sequence of TracePacket fields (field 1, length-delimited):
 *
 *	track_descriptor { uuid P  process { pid  process_name } }     a process track
 *	track_descriptor { uuid T  thread { pid  tid  thread_name } }  a thread track
 *	then, per thread, one packet sequence (trusted_packet_sequence_id S):
 *	  sequence_flags INCREMENTAL_STATE_CLEARED
 *	    trace_packet_defaults { timestamp_clock_id 64  track_event_defaults { T } }
 *	    clock_snapshot { clock 64 = 0, incremental;  clock BOOTTIME = 0 }
 *	  timestamp DT  track_event { SLICE_BEGIN  name_iid I }
 *	    interned_data { event_names { iid I  name "parse" } }     (first use only)
 *	  timestamp DT  track_event { SLICE_END }
 *	  timestamp DT  track_event { INSTANT  name_iid I }
 *	  timestamp DT  track_event { COUNTER  track_uuid C  counter_value V }
 *	  ...                                          every packet: its sequence id S
 *
 * and those packets are not in the file as they are: each run of them (the buffer's
 * worth, at most a thread's) is the compressed_packets of one packet, a zlib stream
 * (deflate.c), or of two, each with half the run's packets (two streams are made
 * faster together), and trace_processor reads the packets they hold in their place.
 * The compression runs beside the encoding, on a thread of perfetto-out.c, which
 * writes the runs in order: the output's position is known once it has written them
 * all (pfout_drain), which only taking a thread back and padding need.
 *
 * What trace_processor does with each mechanism, and why it accepts this use of it
 * (src/trace_processor/importers/proto/proto_trace_reader.cc in google/perfetto; the
 * docs on TrackEvent, interning and incremental timestamps):
 *   - a sequence's incremental state (defaults, interned names, its clocks) is kept
 *     per trusted_packet_sequence_id, so every packet carries its own, and the first
 *     packet of each clears the state (SEQ_INCREMENTAL_STATE_CLEARED).  The other
 *     packets do not set SEQ_NEEDS_INCREMENTAL_STATE: that flag only lets the reader
 *     drop packets whose state was lost with a packet before them, which cannot
 *     happen in a file written in one go;
 *   - TracePacketDefaults: a packet without a timestamp_clock_id of its own is on
 *     the default's, and a TrackEvent without a track_uuid on track_event_defaults',
 *     the thread's track; counters name their own track;
 *   - clock 64 is the sequence's own (ids 64 to 127), declared incremental by the
 *     ClockSnapshot: a packet's timestamp is the time since the packet before it on
 *     the sequence, and clock 64 at 0 is BOOTTIME at 0, the trace's clock;
 *   - interned names: an InternedData's event_names are kept by the sequence until
 *     it is cleared, and a name_iid refers to them; a packet may use the name it
 *     defines; an END needs no name (it closes the track's last BEGIN);
 *   - compressed_packets: inflated (zlib or gzip) and each packet of it parsed as if
 *     it were in the file, with its own sequence id (the Perfetto service writes them
 *     when a trace config asks for deflate compression).
 *
 * Timestamps are nanoseconds from the same time 0 as `tscope chrome` (the earliest
 * recording start of the traces): most deltas take one byte (an event before time 0,
 * in a damaged trace, is put at 0).  So a BEGIN takes 12 bytes and an END 10 when the
 * time since the event before is under 128 ns, before compression; repeated packets
 * compress several times over, where the Chrome JSON spends some 80 bytes on the
 * span.  Counters have a track each, per process and name (as a Chrome "C" event is),
 * described the first time a thread uses it.  The field numbers are those of
 * protos/perfetto/trace/ in google/perfetto; tests/perfetto-subset.proto declares
 * the subset written here.
 *
 * Slices are written as they open and close, in the order of the thread's events, so
 * the output streams.  One repair of the spans layer needs more: a call that returns
 * with nothing open began before the thread's events, and only then is it known to
 * contain what was already written (spans.h, exit_early).  spans_run() then reads the
 * thread again with those calls open from the start (spans_ops.reset), and what was
 * written of the thread must be taken back.  A thread's output starts a compressed
 * packet of its own, so when the output is a regular file, the writing goes back to
 * where the thread began (a shorter second reading is padded with empty packets).
 * Otherwise a thread's output is held in memory until it is complete, compressed as
 * usual (pfout_hold), up to perfetto_opts.stage_max bytes before compression; past
 * that it is written, and a later call of that kind starts where the output had got
 * to rather than at the thread's first event (counted, for export.h's warning).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "tscope.h"
#include "export.h"
#include "iomap.h"
#include "perfetto-out.h"

#define BUF_SIZE   (256u << 10)
#define STAGE_MAX  (16u << 20) /* default perfetto_opts.stage_max */
#define PACKET_MAX 64	       /* bytes of an event packet without interned data */
#define HOT_SIZE   1024	       /* entries of the frame key -> iid cache */

/* Tags (field number << 3 | wire type) of the fields written: varint 0, length 2. */
#define TAG_VARINT(f) ((unsigned)(f) << 3)
#define TAG_LEN(f)    ((unsigned)(f) << 3 | 2)

/* perfetto.protos.Trace */
#define TRACE_PACKET		      1
/* TracePacket */
#define PACKET_TIMESTAMP	      8
#define PACKET_SEQUENCE_ID	      10 /* trusted_packet_sequence_id */
#define PACKET_TRACK_EVENT	      11
#define PACKET_INTERNED_DATA	      12
#define PACKET_FLAGS		      13 /* sequence_flags */
#define PACKET_CLOCKS		      6	 /* clock_snapshot */
#define PACKET_COMPRESSED	      50 /* compressed_packets */
#define PACKET_DEFAULTS		      59 /* trace_packet_defaults */
#define PACKET_TRACK		      60 /* track_descriptor */
#define SEQ_INCREMENTAL_STATE_CLEARED 1
/* TrackEvent */
#define EVENT_TYPE		      9
#define EVENT_NAME_IID		      10
#define EVENT_TRACK_UUID	      11
#define EVENT_COUNTER_VALUE	      30
#define EVENT_ANNOTATIONS	      4 /* debug_annotations */
#define EVENT_CATEGORIES	      22
#define EVENT_NAME		      23 /* a name not interned */
#define ANN_INT			      4	 /* DebugAnnotation.int_value */
#define ANN_STRING		      6	 /* DebugAnnotation.string_value */
#define ANN_NAME		      10 /* DebugAnnotation.name */
#define TYPE_SLICE_BEGIN	      1
#define TYPE_SLICE_END		      2
#define TYPE_INSTANT		      3
#define TYPE_COUNTER		      4
/* TracePacketDefaults, TrackEventDefaults */
#define DEFAULTS_CLOCK_ID	      58
#define DEFAULTS_TRACK_EVENT	      11
#define EVENT_DEFAULTS_TRACK	      11
/* InternedData, EventName */
#define INTERNED_EVENT_NAMES	      2
#define NAME_IID		      1
#define NAME_NAME		      2
/* ClockSnapshot, ClockSnapshot.Clock */
#define CLOCKS_CLOCK		      1
#define CLOCK_ID		      1
#define CLOCK_TIMESTAMP		      2
#define CLOCK_INCREMENTAL	      3
#define CLOCK_BOOTTIME		      6	 /* BuiltinClock: the trace's clock */
#define CLOCK_SEQUENCE		      64 /* the first clock id of a sequence's own */
/* TrackDescriptor, ProcessDescriptor, ThreadDescriptor */
#define TRACK_UUID		      1
#define TRACK_NAME		      2
#define TRACK_PROCESS		      3
#define TRACK_THREAD		      4
#define TRACK_PARENT		      5
#define TRACK_COUNTER		      8
#define PROCESS_PID		      1
#define PROCESS_NAME		      6
#define THREAD_PID		      1
#define THREAD_TID		      2
#define THREAD_NAME		      5

/* A track, by what it stands for: a process (pid), a thread (pid, tid), a counter
 * (pid, name id).  Found by open addressing in perfetto.tracks. */
enum track_kind { TRACK_KIND_PROCESS = 1, TRACK_KIND_THREAD, TRACK_KIND_COUNTER };

struct track {
	uint32_t kind; /* 0: a free slot */
	uint32_t pid;
	uint32_t id;	    /* tid, or the counter's name id */
	uint32_t described; /* its descriptor is in the output */
	uint64_t uuid;
};

struct perfetto {
	FILE *out;
	struct perfetto_opts o;
	struct names *names;
	int err;    /* TSCOPE_ENOMEM once memory ran out */
	int failed; /* a write failed: nothing more is written, nor read */
	uint64_t threads;

	/*
	 * The output buffer: packets, written out compressed when lim bytes are used:
	 * BUF_SIZE, so that it stays in the cache (less while a thread's output is held,
	 * so as to stop at stage_max).  pf compresses and writes what is handed over,
	 * beside the encoding; buf is one of its buffers.
	 */
	unsigned char *buf;
	size_t pos, lim, cap;
	size_t split; /* where the run is cut in two (pfout_put), 0 until it is half full */
	struct pfout *pf;
	int seekable; /* a regular file: a thread's output can be written again */

	/* the trace being added, and its thread being written */
	struct spans *sp;
	uint32_t trace_pid;
	const char *pname; /* the process's name: its executable's, or NULL */
	uint32_t pid, tid;
	const char *tname;
	int first;	       /* the first thread of its trace: it names the process */
	uint64_t uuid;	       /* its track */
	uint32_t seq;	       /* its packet sequence */
	unsigned char tail[8]; /* the sequence id, ending every event packet */
	size_t tail_len;
	uint64_t last; /* the timestamp of its last packet: ns from base_ns */
	uint32_t gen;  /* interning generation: one per sequence written */
	uint32_t next_iid;
	int staging;	      /* its output is held by pf (not seekable) */
	size_t held;	      /* bytes of it handed over while held */
	uint64_t thread_runs; /* pf's runs before it: none since, its output is all in buf */
	int64_t pad_to;	    /* the end of a first reading that was taken back (seekable) */
	int ignore;	    /* events are skipped: a second reading that cannot replace the first,
		       or no memory */
	uint64_t clamped;   /* its calls that start later than they began */
	uint64_t trace_clamped; /* those of the trace being added, kept in the output */
	int kept;		/* some because a first reading could not be taken back */

	/* tracks by what they stand for; pending: descriptors written by this thread */
	struct track *tracks;
	size_t ntracks, tracks_cap;
	uint64_t next_uuid;
	uint32_t next_seq;
	struct track *pend; /* keys only */
	size_t npend, pend_cap;

	/* per name id: the generation and iid it has on the sequence being written */
	struct iid {
		uint32_t gen, iid;
	} * iids;
	size_t iids_cap;

	/* frame key -> its name's iid on the sequence (gen), direct-mapped: most slices
	 * skip spans_name() and iids */
	struct {
		uint64_t key;
		uint32_t gen, iid;
	} hot[HOT_SIZE];
};

/* ---- encoding ---------------------------------------------------------------------- */

static inline size_t vlen(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static inline unsigned char *put_v(unsigned char *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	*p++ = (unsigned char)v;
	return p;
}

/* A varint field: its size, and the field written. */
static inline size_t vfield_len(unsigned tag, uint64_t v)
{
	return vlen(tag) + vlen(v);
}

static inline unsigned char *put_vfield(unsigned char *p, unsigned tag, uint64_t v)
{
	return put_v(put_v(p, tag), v);
}

/* The head of a length-delimited field of n bytes: its size, and the head written. */
static inline size_t head_len(unsigned tag, size_t n)
{
	return vlen(tag) + vlen(n);
}

static inline unsigned char *put_head(unsigned char *p, unsigned tag, size_t n)
{
	return put_v(put_v(p, tag), n);
}

/* The whole field, head and n bytes of content. */
static inline size_t field_len(unsigned tag, size_t n)
{
	return head_len(tag, n) + n;
}

/* An int32 field (pid, tid) is sign-extended to 64 bits on the wire. */
static inline uint64_t int32_wire(uint32_t v)
{
	return (uint64_t)(int64_t)(int32_t)v;
}

/* The bytes of the valid UTF-8 character at s (n > 0 bytes left), 0 if there is none. */
static size_t utf8_char(const unsigned char *s, size_t n)
{
	unsigned c = s[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		lo = c == 0xe0 ? 0xa0 : lo; /* shortest form only */
		hi = c == 0xed ? 0x9f : hi; /* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		lo = c == 0xf0 ? 0x90 : lo;
		hi = c == 0xf4 ? 0x8f : hi; /* up to U+10FFFF */
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/*
 * A protobuf string must be UTF-8: a byte that starts no valid character becomes
 * U+FFFD, as in the Chrome JSON, so that both show the same names.  clean_len() is the
 * length of the result, put_clean() writes it.
 */
static size_t clean_len(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t out = 0;

	for (size_t i = 0; i < n;) {
		size_t k = s[i] < 0x80 ? 1 : utf8_char(s + i, n - i);

		out += k ? k : 3;
		i += k ? k : 1;
	}
	return out;
}

static unsigned char *put_clean(unsigned char *p, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;

	for (size_t i = 0; i < n;) {
		size_t k = s[i] < 0x80 ? 1 : utf8_char(s + i, n - i);

		if (k) {
			memcpy(p, s + i, k);
			p += k;
			i += k;
		} else {
			*p++ = 0xef;
			*p++ = 0xbf;
			*p++ = 0xbd;
			i++;
		}
	}
	return p;
}

/* ---- output ------------------------------------------------------------------------- */

/* Out of memory: nothing more is written, and the reading stops. */
static TS_COLD void nomem(struct perfetto *x)
{
	x->err = TSCOPE_ENOMEM;
	x->ignore = 1;
	if (x->sp)
		spans_stop(x->sp);
}

/* Where the buffer is to be written out (see struct perfetto): first at half of it,
 * where room_slow() marks the packet there as the run's split; at stage_max bytes of a
 * thread held, where the staging is given up. */
static void set_lim(struct perfetto *x)
{
	x->lim = x->split ? BUF_SIZE : BUF_SIZE / 2;
	if (x->staging && x->o.stage_max - x->held < x->lim)
		x->lim = x->o.stage_max - x->held;
}

/* What pf met so far: after a write failure nothing is written, and the reading
 * stops. */
static void check(struct perfetto *x)
{
	int e = pfout_status(x->pf);

	if (e == TSCOPE_ENOMEM) {
		nomem(x);
	} else if (e) {
		x->failed = 1;
		if (x->sp)
			spans_stop(x->sp);
	}
}

/* Write the buffer out (or have pf hold it, staging): one or two packets of
 * compressed_packets, zlib streams of the packets (see the top), which pf makes. */
static void flush(struct perfetto *x)
{
	size_t n = x->pos, split = x->split < n ? x->split : 0;

	x->split = 0;
	if (n && pfout_put(x->pf, &x->buf, &x->cap, n, 0, split, 0) != 0) {
		nomem(x);
	} else if (n) {
		check(x);
		if (x->staging)
			x->held += n;
	}
	x->pos = 0;
	set_lim(x);
}

/* Room for n bytes when the buffer is full: flushed (or split, see set_lim), the
 * staging given up past stage_max, grown for a long name.  NULL when out of memory. */
static TS_COLD unsigned char *room_slow(struct perfetto *x, size_t n)
{
	size_t want;
	unsigned char *b;

	if (x->staging && x->held + x->pos + n > x->o.stage_max) {
		/* the thread's output is written as it comes from now on */
		x->staging = 0;
		flush(x);
		pfout_release(x->pf);
		check(x);
	}
	if (!x->split && x->pos && x->pos + n <= BUF_SIZE) {
		/* half full, at a packet's start: the run is compressed in two halves */
		x->split = x->pos;
		set_lim(x);
		if (x->pos + n <= x->lim)
			return x->buf + x->pos;
	}
	flush(x);
	if (x->pos + n <= x->lim)
		return x->buf + x->pos;
	want = x->pos + n;
	if (want > x->cap) {
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

static inline unsigned char *room(struct perfetto *x, size_t n)
{
	if (TS_LIKELY(x->pos + n <= x->lim))
		return x->buf + x->pos;
	return room_slow(x, n);
}

static inline void done(struct perfetto *x, unsigned char *end)
{
	x->pos = (size_t)(end - x->buf);
}

/* ---- tracks ------------------------------------------------------------------------ */

static size_t track_hash(uint32_t kind, uint32_t pid, uint32_t id)
{
	uint64_t h = ((uint64_t)pid << 32 | id) * 0x9e3779b97f4a7c15u;

	return (size_t)((h ^ (h >> 29) ^ kind) * 0xbf58476d1ce4e5b9u >> 20);
}

/* The slot of a track, free if it is not there (tracks_cap > 0). */
static struct track *track_slot(struct perfetto *x, uint32_t kind, uint32_t pid, uint32_t id)
{
	size_t mask = x->tracks_cap - 1, i = track_hash(kind, pid, id) & mask;

	while (x->tracks[i].kind &&
	       (x->tracks[i].kind != kind || x->tracks[i].pid != pid || x->tracks[i].id != id))
		i = (i + 1) & mask;
	return &x->tracks[i];
}

/* The track of (kind, pid, id), made with a new uuid if new.  NULL: no memory. */
static struct track *track_get(struct perfetto *x, uint32_t kind, uint32_t pid, uint32_t id)
{
	struct track *t;

	if (2 * (x->ntracks + 1) > x->tracks_cap) {
		size_t cap = x->tracks_cap ? 2 * x->tracks_cap : 256;
		struct track *old = x->tracks, *n = calloc(cap, sizeof(*n));

		if (!n) {
			nomem(x);
			return NULL;
		}
		x->tracks = n;
		x->tracks_cap = cap;
		for (size_t i = 0; old && i < cap / 2; i++)
			if (old[i].kind)
				*track_slot(x, old[i].kind, old[i].pid, old[i].id) = old[i];
		free(old);
	}
	t = track_slot(x, kind, pid, id);
	if (!t->kind) {
		t->kind = kind;
		t->pid = pid;
		t->id = id;
		t->described = 0;
		t->uuid = ++x->next_uuid;
		x->ntracks++;
	}
	return t;
}

/* A descriptor written by the thread under way: to be forgotten if its output is
 * taken back.  0, or -1 (no memory). */
static int pend(struct perfetto *x, struct track *t)
{
	if (x->npend == x->pend_cap) {
		size_t cap = x->pend_cap ? 2 * x->pend_cap : 16;
		struct track *p = realloc(x->pend, cap * sizeof(*p));

		if (!p) {
			nomem(x);
			return -1;
		}
		x->pend = p;
		x->pend_cap = cap;
	}
	x->pend[x->npend++] = *t;
	t->described = 1;
	return 0;
}

/* The thread's output was taken back: so were the descriptors it wrote. */
static void unpend(struct perfetto *x)
{
	for (size_t i = 0; i < x->npend; i++)
		track_slot(x, x->pend[i].kind, x->pend[i].pid, x->pend[i].id)->described = 0;
	x->npend = 0;
}

/*
 * A packet of one track_descriptor whose body (the fields after the uuid) is inner
 * bytes long; returns where to write the body, NULL when out of memory.  The caller
 * writes exactly inner bytes there and calls done().
 */
static unsigned char *track_packet(struct perfetto *x, uint64_t uuid, size_t inner)
{
	size_t td = vfield_len(TAG_VARINT(TRACK_UUID), uuid) + inner;
	size_t pkt = field_len(TAG_LEN(PACKET_TRACK), td);
	unsigned char *p = room(x, field_len(TAG_LEN(TRACE_PACKET), pkt));

	if (!p)
		return NULL;
	p = put_head(p, TAG_LEN(TRACE_PACKET), pkt);
	p = put_head(p, TAG_LEN(PACKET_TRACK), td);
	return put_vfield(p, TAG_VARINT(TRACK_UUID), uuid);
}

/* Describe the process track of pid, with its name if name is not NULL. */
static struct track *describe_process(struct perfetto *x, uint32_t pid, const char *name)
{
	struct track *t = track_get(x, TRACK_KIND_PROCESS, pid, 0);
	size_t n = name ? strlen(name) : 0, cn = clean_len(name ? name : "", n);
	size_t pd = vfield_len(TAG_VARINT(PROCESS_PID), int32_wire(pid)) +
		    (name ? field_len(TAG_LEN(PROCESS_NAME), cn) : 0);
	unsigned char *p;

	if (!t || !(p = track_packet(x, t->uuid, field_len(TAG_LEN(TRACK_PROCESS), pd))))
		return NULL;
	p = put_head(p, TAG_LEN(TRACK_PROCESS), pd);
	p = put_vfield(p, TAG_VARINT(PROCESS_PID), int32_wire(pid));
	if (name) {
		p = put_head(p, TAG_LEN(PROCESS_NAME), cn);
		p = put_clean(p, name, n);
	}
	done(x, p);
	return pend(x, t) < 0 ? NULL : t;
}

/* The process track of pid, described (without a name) if it is not yet. */
static struct track *process_track(struct perfetto *x, uint32_t pid)
{
	struct track *t = track_get(x, TRACK_KIND_PROCESS, pid, 0);

	if (t && !t->described)
		return describe_process(x, pid, NULL);
	return t;
}

/* The counter track of name id in the thread's process, described if it is not yet. */
static struct track *counter_track(struct perfetto *x, uint32_t id)
{
	struct track *proc = process_track(x, x->pid), *t;
	uint64_t parent;
	size_t n, cn, inner;
	const char *name;
	unsigned char *p;

	if (!proc)
		return NULL;
	parent = proc->uuid; /* proc moves if the table grows */
	t = track_get(x, TRACK_KIND_COUNTER, x->pid, id);
	if (!t || t->described)
		return t;
	name = names_str(x->names, id, &n);
	cn = clean_len(name, n);
	inner = vfield_len(TAG_VARINT(TRACK_PARENT), parent) + field_len(TAG_LEN(TRACK_NAME), cn) +
		field_len(TAG_LEN(TRACK_COUNTER), 0);
	p = track_packet(x, t->uuid, inner);
	if (!p)
		return NULL;
	p = put_vfield(p, TAG_VARINT(TRACK_PARENT), parent);
	p = put_head(p, TAG_LEN(TRACK_NAME), cn);
	p = put_clean(p, name, n);
	p = put_head(p, TAG_LEN(TRACK_COUNTER), 0);
	done(x, p);
	return pend(x, t) < 0 ? NULL : t;
}

/* ---- sequences ---------------------------------------------------------------------- */

/*
 * Start the thread's output: its process's descriptor (named, for the first thread of
 * a trace), its own, and the first packet of its sequence, which clears the sequence's
 * state, sets its defaults (clock, track) and defines clock 64 as incremental from 0.
 */
static void thread_head(struct perfetto *x)
{
	size_t tn = x->tname ? strlen(x->tname) : 0, ctn = clean_len(x->tname ? x->tname : "", tn);
	size_t thd = vfield_len(TAG_VARINT(THREAD_PID), int32_wire(x->pid)) +
		     vfield_len(TAG_VARINT(THREAD_TID), int32_wire(x->tid)) +
		     (x->tname ? field_len(TAG_LEN(THREAD_NAME), ctn) : 0);
	size_t ted = vfield_len(TAG_VARINT(EVENT_DEFAULTS_TRACK), x->uuid);
	size_t tpd = vfield_len(TAG_VARINT(DEFAULTS_CLOCK_ID), CLOCK_SEQUENCE) +
		     field_len(TAG_LEN(DEFAULTS_TRACK_EVENT), ted);
	size_t c64 = vfield_len(TAG_VARINT(CLOCK_ID), CLOCK_SEQUENCE) +
		     vfield_len(TAG_VARINT(CLOCK_TIMESTAMP), 0) +
		     vfield_len(TAG_VARINT(CLOCK_INCREMENTAL), 1);
	size_t cboot = vfield_len(TAG_VARINT(CLOCK_ID), CLOCK_BOOTTIME) +
		       vfield_len(TAG_VARINT(CLOCK_TIMESTAMP), 0);
	size_t cs = field_len(TAG_LEN(CLOCKS_CLOCK), c64) + field_len(TAG_LEN(CLOCKS_CLOCK), cboot);
	size_t pkt = vfield_len(TAG_VARINT(PACKET_SEQUENCE_ID), x->seq) +
		     vfield_len(TAG_VARINT(PACKET_FLAGS), SEQ_INCREMENTAL_STATE_CLEARED) +
		     field_len(TAG_LEN(PACKET_DEFAULTS), tpd) +
		     field_len(TAG_LEN(PACKET_CLOCKS), cs);
	struct track *t;
	unsigned char *p;

	x->gen++; /* a new sequence: every name is to be interned again */
	x->next_iid = 1;
	x->last = 0;
	if (x->first && !describe_process(x, x->trace_pid, x->pname))
		return;
	if (!process_track(x, x->pid))
		return;
	t = track_get(x, TRACK_KIND_THREAD, x->pid, x->tid); /* after those, which may move it */
	if (!t)
		return;
	p = track_packet(x, t->uuid, field_len(TAG_LEN(TRACK_THREAD), thd));
	if (!p)
		return;
	p = put_head(p, TAG_LEN(TRACK_THREAD), thd);
	p = put_vfield(p, TAG_VARINT(THREAD_PID), int32_wire(x->pid));
	p = put_vfield(p, TAG_VARINT(THREAD_TID), int32_wire(x->tid));
	if (x->tname) {
		p = put_head(p, TAG_LEN(THREAD_NAME), ctn);
		p = put_clean(p, x->tname, tn);
	}
	done(x, p);
	if (pend(x, t) < 0)
		return;

	p = room(x, field_len(TAG_LEN(TRACE_PACKET), pkt));
	if (!p)
		return;
	p = put_head(p, TAG_LEN(TRACE_PACKET), pkt);
	p = put_vfield(p, TAG_VARINT(PACKET_SEQUENCE_ID), x->seq);
	p = put_vfield(p, TAG_VARINT(PACKET_FLAGS), SEQ_INCREMENTAL_STATE_CLEARED);
	p = put_head(p, TAG_LEN(PACKET_DEFAULTS), tpd);
	p = put_vfield(p, TAG_VARINT(DEFAULTS_CLOCK_ID), CLOCK_SEQUENCE);
	p = put_head(p, TAG_LEN(DEFAULTS_TRACK_EVENT), ted);
	p = put_vfield(p, TAG_VARINT(EVENT_DEFAULTS_TRACK), x->uuid);
	p = put_head(p, TAG_LEN(PACKET_CLOCKS), cs);
	p = put_head(p, TAG_LEN(CLOCKS_CLOCK), c64);
	p = put_vfield(p, TAG_VARINT(CLOCK_ID), CLOCK_SEQUENCE);
	p = put_vfield(p, TAG_VARINT(CLOCK_TIMESTAMP), 0);
	p = put_vfield(p, TAG_VARINT(CLOCK_INCREMENTAL), 1);
	p = put_head(p, TAG_LEN(CLOCKS_CLOCK), cboot);
	p = put_vfield(p, TAG_VARINT(CLOCK_ID), CLOCK_BOOTTIME);
	p = put_vfield(p, TAG_VARINT(CLOCK_TIMESTAMP), 0);
	done(x, p);
}

/* ---- events ----------------------------------------------------------------------- */

/* The time of an event as the next packet's timestamp: ns from base_ns, never before
 * the packet before it. */
static inline uint64_t event_time(const struct perfetto *x, uint64_t ns)
{
	uint64_t t = ns > x->o.base_ns ? ns - x->o.base_ns : 0;

	return t > x->last ? t : x->last;
}

/* Write the packet's timestamp (the time since the last one) and move last to t. */
static inline unsigned char *put_time(struct perfetto *x, unsigned char *p, uint64_t t)
{
	*p++ = TAG_VARINT(PACKET_TIMESTAMP);
	p = put_v(p, t - x->last);
	x->last = t;
	return p;
}

/* End a packet begun at pkt (its tag and a one-byte length, then body): the sequence's
 * tail, and the length. */
static inline unsigned char *end_packet(struct perfetto *x, unsigned char *pkt, unsigned char *p)
{
	memcpy(p, x->tail, sizeof(x->tail));
	p += x->tail_len;
	pkt[1] = (unsigned char)(p - pkt - 2);
	return p;
}

/* Make iids cover name id.  0, or -1 (no memory). */
static TS_COLD int iids_grow(struct perfetto *x, uint32_t id)
{
	size_t cap = x->iids_cap ? x->iids_cap : 256;
	struct iid *p;

	while (cap <= id)
		cap *= 2;
	p = realloc(x->iids, cap * sizeof(*p));
	if (!p) {
		nomem(x);
		return -1;
	}
	memset(p + x->iids_cap, 0, (cap - x->iids_cap) * sizeof(*p));
	x->iids = p;
	x->iids_cap = cap;
	return 0;
}

/*
 * A BEGIN or INSTANT event at t named id, whose name is not yet interned on the
 * sequence: the packet defines it.  Rare (once per name and thread), so lengths are
 * computed.  Returns the name's iid, 0 when out of memory.
 */
static TS_COLD uint32_t named_new(struct perfetto *x, unsigned type, uint64_t t, uint32_t id)
{
	size_t n, cn;
	const char *name = names_str(x->names, id, &n);
	uint32_t iid = x->next_iid;
	size_t te, en, in, pkt;
	unsigned char *p;

	if (id >= x->iids_cap && iids_grow(x, id) < 0)
		return 0;
	cn = clean_len(name, n);
	te = vfield_len(TAG_VARINT(EVENT_TYPE), type) + vfield_len(TAG_VARINT(EVENT_NAME_IID), iid);
	en = vfield_len(TAG_VARINT(NAME_IID), iid) + field_len(TAG_LEN(NAME_NAME), cn);
	in = field_len(TAG_LEN(INTERNED_EVENT_NAMES), en);
	pkt = vfield_len(TAG_VARINT(PACKET_TIMESTAMP), t - x->last) +
	      field_len(TAG_LEN(PACKET_TRACK_EVENT), te) +
	      field_len(TAG_LEN(PACKET_INTERNED_DATA), in) + x->tail_len;
	p = room(x, field_len(TAG_LEN(TRACE_PACKET), pkt));
	if (!p)
		return 0;
	p = put_head(p, TAG_LEN(TRACE_PACKET), pkt);
	p = put_time(x, p, t);
	p = put_head(p, TAG_LEN(PACKET_TRACK_EVENT), te);
	p = put_vfield(p, TAG_VARINT(EVENT_TYPE), type);
	p = put_vfield(p, TAG_VARINT(EVENT_NAME_IID), iid);
	p = put_head(p, TAG_LEN(PACKET_INTERNED_DATA), in);
	p = put_head(p, TAG_LEN(INTERNED_EVENT_NAMES), en);
	p = put_vfield(p, TAG_VARINT(NAME_IID), iid);
	p = put_head(p, TAG_LEN(NAME_NAME), cn);
	p = put_clean(p, name, n);
	memcpy(p, x->tail, x->tail_len);
	done(x, p + x->tail_len);
	x->iids[id].gen = x->gen;
	x->iids[id].iid = iid;
	x->next_iid++;
	return iid;
}

/* A BEGIN or INSTANT event at t (already event_time()) whose name has iid on the
 * sequence. */
static inline void named(struct perfetto *x, unsigned type, uint64_t t, uint32_t iid)
{
	unsigned char *pkt = room(x, PACKET_MAX), *p, *te;

	if (TS_UNLIKELY(!pkt))
		return;
	pkt[0] = TAG_LEN(TRACE_PACKET);
	p = put_time(x, pkt + 2, t);
	*p++ = TAG_LEN(PACKET_TRACK_EVENT);
	te = p++;
	*p++ = TAG_VARINT(EVENT_TYPE);
	*p++ = (unsigned char)type;
	*p++ = TAG_VARINT(EVENT_NAME_IID);
	p = put_v(p, iid);
	*te = (unsigned char)(p - te - 1);
	done(x, end_packet(x, pkt, p));
}

/* An event named id: named(), or named_new() for a name new to the sequence.  Returns
 * the iid, 0 when out of memory. */
static uint32_t named_id(struct perfetto *x, unsigned type, uint64_t t, uint32_t id)
{
	if (id < x->iids_cap && x->iids[id].gen == x->gen) {
		named(x, type, t, x->iids[id].iid);
		return x->iids[id].iid;
	}
	return named_new(x, type, t, id);
}

/*
 * The hot path of the whole conversion: BEGIN and END of a slice, when the time since
 * the packet before is under 2^14 ns, the name is in the hot cache with an iid under
 * 128 and the buffer has room (nearly always).  The packet is then made of a few
 * stores of 8 bytes, little-endian words, each past the bytes before it (what a word
 * holds past the packet is overwritten by the next one):
 *	0a L 40 dt      5a 04 48 01 50 iid  tail	BEGIN
 *	0a L 40 dt      5a 02 48 02         tail	END
 * with dt one or two bytes.  What they need of x is read before the stores, after which
 * the compiler would read it again (an unsigned char may alias anything); the
 * functions are leaves that keep no registers, the rest is open_slow() and close_slow().
 */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define PACKET_WORDS 1
#else
#define PACKET_WORDS 0 /* the packets byte by byte */
#endif
#define FAST_DT 0x4000u /* the times that take at most 2 bytes */

static inline void store64(unsigned char *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* The slot of frame key in the hot cache. */
static inline size_t hot_slot(uint64_t key)
{
	return (size_t)((key ^ (key >> 4) ^ (key >> 14)) & (HOT_SIZE - 1));
}

/*
 * The packet at p of an event dt (under FAST_DT) after the last one, whose track event
 * (after the type field's tag) is te, te_len bytes: the packet's tag, length and
 * timestamp, then te, then the tail.  Returns the end.
 */
static inline unsigned char *fast_packet(const struct perfetto *x, unsigned char *p, uint64_t dt,
					 uint64_t te, size_t te_len)
{
	uint64_t hi = dt >> 7, tail;
	uint64_t v = hi ? (dt & 0x7f) | 0x80 | hi << 8 : dt; /* the varint */
	size_t k = 1 + (hi != 0), tl = x->tail_len, len = 1 + k + 2 + te_len + tl;

	memcpy(&tail, x->tail, sizeof(tail));
	store64(p, TAG_LEN(TRACE_PACKET) | len << 8 | TAG_VARINT(PACKET_TIMESTAMP) << 16 | v << 24);
	p += 3 + k;
	store64(p, TAG_LEN(PACKET_TRACK_EVENT) | te_len << 8 | te << 16);
	p += 2 + te_len;
	store64(p, tail);
	return p + tl;
}

/* A slice opens: BEGIN, all but on_open()'s case. */
static __attribute__((noinline)) void open_slow(struct perfetto *x, const struct spans_frame *f)
{
	uint64_t t;
	uint32_t iid;
	size_t h;

	if (TS_UNLIKELY(x->ignore))
		return;
	t = event_time(x, f->start);
	/* a call that began before the events already written (see the top), or before
	 * time 0 (a damaged trace) */
	if (TS_UNLIKELY(t != f->start - x->o.base_ns))
		x->clamped++;
	h = hot_slot(f->key);
	if (TS_LIKELY(x->hot[h].key == f->key && x->hot[h].gen == x->gen)) {
		named(x, TYPE_SLICE_BEGIN, t, x->hot[h].iid);
		return;
	}
	iid = named_id(x, TYPE_SLICE_BEGIN, t, spans_name(x->sp, f->key));
	if (iid) {
		x->hot[h].key = f->key;
		x->hot[h].gen = x->gen;
		x->hot[h].iid = iid;
	}
}

static void on_open(void *ctx, struct spans_frame *stack, size_t depth)
{
	struct perfetto *x = ctx;
	const struct spans_frame *f = &stack[depth];
	uint64_t t = f->start - x->o.base_ns, dt = t - x->last;
	size_t h = hot_slot(f->key);

	if (PACKET_WORDS && TS_LIKELY(!x->ignore && f->start >= x->o.base_ns && dt < FAST_DT &&
				      x->hot[h].key == f->key && x->hot[h].gen == x->gen &&
				      x->hot[h].iid < 0x80 && x->pos + PACKET_MAX <= x->lim)) {
		uint64_t te = TAG_VARINT(EVENT_TYPE) | TYPE_SLICE_BEGIN << 8 |
			      TAG_VARINT(EVENT_NAME_IID) << 16 | (uint64_t)x->hot[h].iid << 24;
		unsigned char *p = x->buf + x->pos;

		x->last = t;
		x->pos = (size_t)(fast_packet(x, p, dt, te, 4) - x->buf);
		return;
	}
	open_slow(x, f);
}

/* A slice closes: END, all but on_close()'s case. */
static __attribute__((noinline)) void close_slow(struct perfetto *x, uint64_t end)
{
	unsigned char *pkt, *p;

	if (TS_UNLIKELY(x->ignore))
		return;
	pkt = room(x, PACKET_MAX);
	if (TS_UNLIKELY(!pkt))
		return;
	pkt[0] = TAG_LEN(TRACE_PACKET);
	p = put_time(x, pkt + 2, event_time(x, end));
	*p++ = TAG_LEN(PACKET_TRACK_EVENT);
	*p++ = 2;
	*p++ = TAG_VARINT(EVENT_TYPE);
	*p++ = TYPE_SLICE_END;
	done(x, end_packet(x, pkt, p));
}

static void on_close(void *ctx, const struct spans_frame *stack, size_t depth, uint64_t end)
{
	struct perfetto *x = ctx;
	uint64_t t = end - x->o.base_ns, dt = t - x->last;

	(void)stack;
	(void)depth;
	if (PACKET_WORDS && TS_LIKELY(!x->ignore && end >= x->o.base_ns && dt < FAST_DT &&
				      x->pos + PACKET_MAX <= x->lim)) {
		unsigned char *p = x->buf + x->pos;

		x->last = t;
		x->pos = (size_t)(fast_packet(x, p, dt,
					      TAG_VARINT(EVENT_TYPE) | TYPE_SLICE_END << 8, 2) -
				  x->buf);
		return;
	}
	close_slow(x, end);
}

static void on_instant(void *ctx, uint64_t ns, uint32_t id)
{
	struct perfetto *x = ctx;

	if (!x->ignore)
		named_id(x, TYPE_INSTANT, event_time(x, ns), id);
}

static void on_counter(void *ctx, uint64_t ns, uint32_t id, int64_t value)
{
	struct perfetto *x = ctx;
	struct track *t;
	unsigned char *pkt, *p, *te;

	if (x->ignore)
		return;
	t = counter_track(x, id);
	if (!t)
		return;
	pkt = room(x, PACKET_MAX);
	if (!pkt)
		return;
	pkt[0] = TAG_LEN(TRACE_PACKET);
	p = put_time(x, pkt + 2, event_time(x, ns));
	*p++ = TAG_LEN(PACKET_TRACK_EVENT);
	te = p++;
	*p++ = TAG_VARINT(EVENT_TYPE);
	*p++ = TYPE_COUNTER;
	p = put_vfield(p, TAG_VARINT(EVENT_TRACK_UUID), t->uuid);
	p = put_vfield(p, TAG_VARINT(EVENT_COUNTER_VALUE), (uint64_t)value);
	*te = (unsigned char)(p - te - 1);
	done(x, end_packet(x, pkt, p));
}

/* Start the thread again: what was written of it is taken back (see the top). */
static int on_reset(void *ctx)
{
	struct perfetto *x = ctx;

	if (x->failed || x->err)
		return x->err;
	if (x->seekable && pfout_runs(x->pf) > x->thread_runs) {
		int64_t start, off = pfout_drain(x->pf, &start);

		check(x);
		if (x->failed || x->err)
			return x->err;
		if (pfout_seek(x->pf, start) != 0) {
			x->ignore = 1; /* the first reading stays, whole */
			x->kept = 1;
			return 0;
		}
		if (x->pad_to < off)
			x->pad_to = off;
		pfout_mark(x->pf); /* where the thread starts still */
		x->thread_runs = pfout_runs(x->pf);
		x->pos = 0;
	} else if (x->seekable) {
		x->pos = 0; /* the thread's output is all in the buffer */
	} else if (x->staging) {
		pfout_drop(x->pf); /* what was held, and what the buffer has */
		x->held = 0;
		x->pos = 0;
	} else {
		x->ignore = 1; /* too large to hold: the first reading stays */
		x->kept = 1;
		return 0;
	}
	x->split = 0; /* it was in what is taken back */
	set_lim(x);
	unpend(x);
	x->clamped = 0;
	thread_head(x);
	return x->err;
}

/* A debug annotation name = v, at p (NULL: only its size). */
static size_t annotation(unsigned char *p, const char *name, int64_t v)
{
	size_t n = strlen(name);
	size_t body =
	    field_len(TAG_LEN(ANN_NAME), n) + vfield_len(TAG_VARINT(ANN_INT), (uint64_t)v);

	if (p) {
		p = put_head(p, TAG_LEN(EVENT_ANNOTATIONS), body);
		p = put_head(p, TAG_LEN(ANN_NAME), n);
		memcpy(p, name, n);
		put_vfield(p + n, TAG_VARINT(ANN_INT), (uint64_t)v);
	}
	return field_len(TAG_LEN(EVENT_ANNOTATIONS), body);
}

/*
 * An I/O or wait call: a slice of its own in its caller (BEGIN, END), named by the call
 * (not interned: there are few), its category "io" or "wait", its arguments as debug
 * annotations.  It comes at its end, after everything before its start.
 */
static void on_io(void *ctx, struct spans_frame *stack, size_t depth, const struct spans_io *e)
{
	struct perfetto *x = ctx;
	const char *op = iomap_op_name(e->op), *cat = e->sub == TSF_EXT_IO ? "io" : "wait";
	size_t on = strlen(op), cn = strlen(cat), pn = 0, pc = 0, ann = 0, te, pkt;
	unsigned char buf[6 * 48], *p, *a;
	uint64_t t;

	(void)stack;
	(void)depth;
	if (x->ignore)
		return;
	a = buf;
	a += annotation(a, "result", e->result);
	a += annotation(a, "wait_ns", (int64_t)e->wait);
	if (e->sub == TSF_EXT_IO) {
		a += annotation(a, "fd", e->fd);
		a += annotation(a, "bytes", (int64_t)e->bytes);
	}
	ann = (size_t)(a - buf);
	if (e->path) {
		pn = strnlen(e->path, TSF_COPY_MAX);
		pc = clean_len(e->path, pn);
		/* name "path", string_value */
		ann +=
		    field_len(TAG_LEN(EVENT_ANNOTATIONS),
			      field_len(TAG_LEN(ANN_NAME), 4) + field_len(TAG_LEN(ANN_STRING), pc));
	}
	te = vfield_len(TAG_VARINT(EVENT_TYPE), TYPE_SLICE_BEGIN) +
	     field_len(TAG_LEN(EVENT_NAME), on) + field_len(TAG_LEN(EVENT_CATEGORIES), cn) + ann;
	t = event_time(x, e->start);
	pkt = vfield_len(TAG_VARINT(PACKET_TIMESTAMP), t - x->last) +
	      field_len(TAG_LEN(PACKET_TRACK_EVENT), te) + x->tail_len;
	p = room(x, field_len(TAG_LEN(TRACE_PACKET), pkt));
	if (!p)
		return;
	p = put_head(p, TAG_LEN(TRACE_PACKET), pkt);
	p = put_time(x, p, t);
	p = put_head(p, TAG_LEN(PACKET_TRACK_EVENT), te);
	p = put_vfield(p, TAG_VARINT(EVENT_TYPE), TYPE_SLICE_BEGIN);
	p = put_head(p, TAG_LEN(EVENT_NAME), on);
	memcpy(p, op, on);
	p = put_head(p + on, TAG_LEN(EVENT_CATEGORIES), cn);
	memcpy(p, cat, cn);
	p += cn;
	memcpy(p, buf, (size_t)(a - buf));
	p += a - buf;
	if (e->path) {
		p = put_head(p, TAG_LEN(EVENT_ANNOTATIONS),
			     field_len(TAG_LEN(ANN_NAME), 4) + field_len(TAG_LEN(ANN_STRING), pc));
		p = put_head(p, TAG_LEN(ANN_NAME), 4);
		memcpy(p, "path", 4);
		p = put_head(p + 4, TAG_LEN(ANN_STRING), pc);
		p = put_clean(p, e->path, pn);
	}
	memcpy(p, x->tail, x->tail_len);
	done(x, p + x->tail_len);
	on_close(x, NULL, 0, e->end);
}

static const struct spans_ops perfetto_ops = { on_open, on_close, on_instant, on_counter,
					       on_reset };

/* ---- traces ------------------------------------------------------------------------ */

/* Thread i of the trace, as one packet sequence. */
static int add_thread(struct perfetto *x, size_t i)
{
	const struct reader *r = spans_reader(x->sp);
	const struct reader_thread *th = reader_thread(r, i);
	struct track *t;
	unsigned char *p = x->tail;
	int rc;

	x->pid = th->pid ? th->pid : x->trace_pid;
	x->tid = th->tid;
	x->tname = th->name;
	t = track_get(x, TRACK_KIND_THREAD, x->pid, x->tid);
	if (!t)
		return x->err;
	x->uuid = t->uuid;
	x->seq = ++x->next_seq;
	*p++ = TAG_VARINT(PACKET_SEQUENCE_ID);
	p = put_v(p, x->seq);
	x->tail_len = (size_t)(p - x->tail);
	x->ignore = 0;
	x->clamped = 0;
	x->pad_to = -1;
	flush(x); /* (nothing is left: a thread's output ends with a flush) */
	pfout_mark(x->pf);
	x->thread_runs = pfout_runs(x->pf);
	x->staging = !x->seekable;
	x->held = 0;
	if (x->staging)
		pfout_hold(x->pf);
	set_lim(x);
	thread_head(x);
	spans_set_io(x->sp, on_io);
	rc = spans_run(x->sp, i, &perfetto_ops, x);
	spans_set_io(x->sp, NULL);
	flush(x);
	if (x->staging) {
		x->staging = 0;
		pfout_release(x->pf);
		check(x);
	}
	set_lim(x);
	if (x->pad_to >= 0) {
		/* the second reading is shorter: empty packets, not compressed, up to the
		 * first one's end (one byte more when the gap is odd) */
		int64_t off = pfout_drain(x->pf, NULL);
		size_t gap = x->pad_to > off ? (size_t)(x->pad_to - off) : 0;
		unsigned char *q = gap ? room(x, gap + 1) : NULL;

		if (q) {
			for (size_t k = 0; k < gap; k += 2) {
				*q++ = TAG_LEN(TRACE_PACKET);
				*q++ = 0;
			}
			if (pfout_put(x->pf, &x->buf, &x->cap, (size_t)(q - x->buf), 0, 0, 1) != 0)
				nomem(x);
			check(x);
		}
	}
	x->npend = 0;
	x->trace_clamped += x->clamped;
	return rc;
}

static int perfetto_add(struct perfetto *x, struct spans *sp)
{
	struct reader *r = spans_reader(sp);
	const struct reader_info *in = reader_info(r);
	const char *base = strrchr(in->exe, '/');
	int rc = 0;

	base = base ? base + 1 : in->exe;
	x->sp = sp;
	x->trace_pid = in->pid;
	x->pname = *base ? base : NULL;
	x->first = 1;
	x->trace_clamped = 0;
	x->kept = 0;
	memset(x->hot, 0, sizeof(x->hot)); /* keys are addresses of this process */
	for (size_t i = 0; i < reader_thread_count(r); i++) {
		int e;

		if (x->o.has_tid && reader_thread(r, i)->tid != x->o.tid)
			continue;
		e = add_thread(x, i);
		x->first = 0;
		if (e < 0 && !rc)
			rc = e;
		x->threads++;
		if (x->err || x->failed)
			break;
	}
	flush(x);
	pfout_drain(x->pf, NULL); /* so that ferror(out) tells all (export.h) */
	check(x);
	x->sp = NULL;
	return rc ? rc : x->err;
}

static int perfetto_open(struct perfetto **xp, FILE *out, const struct perfetto_opts *o,
			 struct names *names)
{
	struct perfetto *x = calloc(1, sizeof(*x));
	struct stat st;
	int64_t off;
	int fl;

	*xp = NULL;
	if (!x)
		return TSCOPE_ENOMEM;
	x->cap = BUF_SIZE;
	x->lim = BUF_SIZE;
	x->out = out;
	x->o = *o;
	if (!x->o.stage_max)
		x->o.stage_max = STAGE_MAX;
	x->names = names;
	/* a regular file, not appended to, whose position is known: it can go back */
	fl = fcntl(fileno(out), F_GETFL);
	off = ftello(out);
	x->seekable = fstat(fileno(out), &st) == 0 && S_ISREG(st.st_mode) && fl >= 0 &&
		      !(fl & O_APPEND) && off >= 0;
	x->pf = pfout_open(out, x->seekable ? off : 0, BUF_SIZE, &x->buf);
	if (!x->pf) {
		free(x);
		return TSCOPE_ENOMEM;
	}
	*xp = x;
	return 0;
}

static int perfetto_finish(struct perfetto *x)
{
	int rc, e;

	flush(x);
	pfout_drain(x->pf, NULL);
	check(x);
	rc = x->err;
	e = errno; /* the failed write's (check) */
	pfout_close(x->pf);
	free(x->buf);
	free(x->tracks);
	free(x->pend);
	free(x->iids);
	free(x);
	errno = e;
	return rc;
}

/* ---- as an exporter ---------------------------------------------------------------------- */

/* One timeline: time 0 is the earliest recording start of all the processes, as in
 * the Chrome JSON. */
static void x_prepare(void *opts, struct spans *const *sp, size_t n)
{
	struct perfetto_opts *o = opts;
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
	struct perfetto *p;
	int rc = perfetto_open(&p, out, opts, names);

	*x = p;
	return rc;
}

static int x_add(void *x, struct spans *sp)
{
	return perfetto_add(x, sp);
}

static int x_finish(void *x)
{
	return perfetto_finish(x);
}

static uint64_t x_threads(const void *x)
{
	return ((const struct perfetto *)x)->threads;
}

static size_t x_warning(void *x, char *buf, size_t size)
{
	const struct perfetto *p = x;
	uint64_t n = p->trace_clamped;
	int len;

	if (!n)
		return 0;
	len = snprintf(buf, size,
		       "%llu call%s begun before %s thread's first event start%s where the output "
		       "had got to, not at that event%s",
		       (unsigned long long)n, n == 1 ? "" : "s", n == 1 ? "its" : "their",
		       n == 1 ? "s" : "",
		       p->kept ? " (the thread's output was too large to hold and write again: "
				 "write to a file with -o)"
			       : "");
	return len < 0 ? 0 : (size_t)len < size ? (size_t)len : size - 1;
}

const struct exporter perfetto_exporter = {
	.name = "perfetto",
	.prepare = x_prepare,
	.open = x_open,
	.add = x_add,
	.finish = x_finish,
	.threads = x_threads,
	.warning = x_warning,
};
