/* SPDX-License-Identifier: MIT */
/*
 * dump.c - the text views of a trace: `tscope info` (a summary) and `tscope dump`
 * (every chunk and event as stored, for debugging).
 *
 * Everything printed from the trace that is text (paths, names) goes through
 * dump_text(), which escapes control characters: the trace is untrusted.  Like the rest
 * of lib/, this file never exits; it returns TSCOPE_E* codes and leaves write errors in
 * ferror(out) for the caller.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tscope.h"
#include "dump.h"
#include "heap.h"
#include "iomap.h"
#include "offcpu.h"
#include "units.h"

/* ---- formatting helpers ------------------------------------------------------------- */

void dump_text(FILE *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '\\' || ch == '"')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(out, "\\x%02x", ch);
		else
			putc(ch, out);
	}
}

static void put_str(FILE *out, const char *s)
{
	dump_text(out, s, strlen(s));
}

static void put_quoted(FILE *out, const char *s, size_t n)
{
	putc('"', out);
	dump_text(out, s, n);
	putc('"', out);
}

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* ---- info ---------------------------------------------------------------------------- */

static void info_clock(struct reader *r, FILE *out)
{
	const struct reader_info *in = reader_info(r);
	const struct reader_clock *c = reader_clock(r);
	const char *name = reader_clock_name(in->clock_source);
	char span[32];

	if (name)
		fprintf(out, "%s", name);
	else
		fprintf(out, "unknown (%" PRIu32 ")", in->clock_source);
	if (in->clock_source == TSF_CLOCK_MONOTONIC) {
		fprintf(out, ", ticks are ns");
	} else if (c->estimated) {
		fprintf(out, ", rate unknown (%u sync point%s): times assume 1 tick per ns",
			c->points, plural(c->points));
	} else {
		units_ns(span, sizeof(span), c->ns1 - c->ns0);
		fprintf(out, ", %.4f ticks/ns (%.4f GHz), %u sync points over %s", c->ticks_per_ns,
			c->ticks_per_ns, c->points, span);
	}
	putc('\n', out);
	if (c->read_cost && in->clock_source != TSF_CLOCK_MONOTONIC && !c->estimated)
		fprintf(out, "read cost   %" PRIu64 " ticks (%.1f ns)\n", c->read_cost,
			(double)c->read_cost / c->ticks_per_ns);
	else if (c->read_cost)
		fprintf(out, "read cost   %" PRIu64 " ticks\n", c->read_cost);
	if (in->cost.events)
		fprintf(out,
			"event cost  %.1f ns (measured at start: %" PRIu64 " events in %" PRIu64
			" ticks)\n",
			reader_event_cost_ns(r), in->cost.events, in->cost.ticks);
}

static void info_start(struct reader *r, FILE *out)
{
	const struct reader_clock *c = reader_clock(r);
	time_t secs = (time_t)(c->real0 / 1000000000u);
	struct tm tm;
	char when[64];

	if (!c->points || !c->real0 || !gmtime_r(&secs, &tm) ||
	    !strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm))
		return;
	fprintf(out, "started     %s.%03u UTC\n", when,
		(unsigned)(c->real0 % 1000000000u / 1000000u));
}

/* The samples of the threads' CPU time (record --io), said only when there are some. */
static void info_cpu(struct reader *r, FILE *out)
{
	uint64_t all = 0, n;
	size_t threads = 0;

	for (size_t i = 0; i < reader_thread_count(r); i++) {
		if (offcpu_count(r, i, &n) == 0 && n) {
			all += n;
			threads++;
		}
	}
	if (all)
		fprintf(out,
			"cpu samples %" PRIu64 " in %zu thread%s: report estimates the time off "
			"the CPU (off-cpu~)\n",
			all, threads, plural(threads));
}

static void info_threads(struct reader *r, FILE *out)
{
	size_t n = reader_thread_count(r);
	int wtid = 3, wev = 6, wlost = 4;
	char buf[32];

	for (size_t i = 0; i < n; i++) {
		const struct reader_thread *t = reader_thread(r, i);
		int l;

		l = snprintf(buf, sizeof(buf), "%" PRIu32, t->tid);
		wtid = l > wtid ? l : wtid;
		l = snprintf(buf, sizeof(buf), "%" PRIu64, t->events);
		wev = l > wev ? l : wev;
		l = snprintf(buf, sizeof(buf), "%" PRIu64, t->lost);
		wlost = l > wlost ? l : wlost;
	}
	fprintf(out, "threads     %zu\n", n);
	if (!n)
		return;
	fprintf(out, "            %*s  %*s  %*s  name\n", wtid, "tid", wev, "events", wlost,
		"lost");
	for (size_t i = 0; i < n; i++) {
		const struct reader_thread *t = reader_thread(r, i);

		fprintf(out, "            %*" PRIu32 "  %*" PRIu64 "  %*" PRIu64 "  ", wtid, t->tid,
			wev, t->events, wlost, t->lost);
		if (t->name)
			put_str(out, t->name);
		else
			fputs("-", out);
		if (t->missing)
			fprintf(out, "  (%" PRIu64 " chunk%s missing)", t->missing,
				plural(t->missing));
		if (t->bad)
			fprintf(out, "  (%" PRIu64 " malformed chunk%s)", t->bad, plural(t->bad));
		if (t->waited_ns) {
			units_ns(buf, sizeof(buf), t->waited_ns);
			fprintf(out, "  (waited %s for the writer)", buf);
		}
		putc('\n', out);
	}
}

/* What the record-time filters dropped (DROP chunks): calls and time, in all. */
static void info_dropped(struct reader *r, FILE *out)
{
	static const char *const why[] = { "exclude", "include", "max-depth", "min-duration",
					   "throttle" };
	const struct reader_info *in = reader_info(r);
	uint64_t ticks = 0;
	char a[32];
	const char *sep = "";

	for (size_t i = 0; i < reader_drop_count(r); i++) {
		const struct tsf_drop_fn *d = reader_drop(r, i);

		ticks += d->self;
	}
	units_ns(a, sizeof(a), reader_span_ns(r, ticks));
	fprintf(out, "dropped     %" PRIu64 " call%s by the record filters (", in->dropped,
		plural(in->dropped));
	for (unsigned k = 0; k < sizeof(why) / sizeof(why[0]); k++)
		if (in->drop_reasons & (1u << k)) {
			fprintf(out, "%s%s", sep, why[k]);
			sep = ", ";
		}
	fprintf(out, "), %s of self time; `tscope report --flat` counts them by function\n",
		in->dropped ? a : "0");
	if (in->drop_reasons & TSF_DROP_HOOKS)
		fputs("            and the excluded functions' calls, dropped by the hooks: not "
		      "counted, their time in their callers' self time\n",
		      out);
}

int dump_info(struct reader *r, const char *name, FILE *out)
{
	const struct reader_info *in = reader_info(r);
	char a[32], b[32];
	int rc = reader_scan(r);

	if (rc < 0)
		return rc;
	fputs("trace       ", out);
	put_str(out, name);
	fprintf(out, "\nformat      version %u, %u-byte header\n", in->version, in->header_size);
	fputs("status      ", out);
	if (in->truncated)
		fprintf(out, "truncated at byte %" PRIu64 " (no END chunk)\n", in->trunc_offset);
	else if (in->end_matches && in->salvaged)
		fputs("complete (finished just now from the memory its process left in /dev/shm)\n",
		      out);
	else if (in->end_matches)
		fputs("complete\n", out);
	else
		fprintf(out,
			"complete, but END totals differ: END says %" PRIu64 " chunks, %" PRIu64
			" event slots; read %" PRIu64 ", %" PRIu64 "\n",
			in->end.chunks, in->end.events, in->chunks, in->slots);
	fprintf(out, "process     pid %" PRIu32 ", parent %" PRIu32 "\n", in->pid, in->ppid);
	fputs("executable  ", out);
	put_str(out, in->has_process ? in->exe : "(not recorded)");
	fprintf(out, "\nmode        %s", in->flags & TSF_HF_RING ? "ring" : "stream");
	if (in->wrapped)
		fprintf(out, ", older events overwritten in %" PRIu64 " place%s", in->wrapped,
			plural(in->wrapped));
	putc('\n', out);
	fputs("clock       ", out);
	info_clock(r, out);
	info_start(r, out);
	if (in->events) {
		units_ns(a, sizeof(a), reader_ns(r, in->last_ticks) - reader_ns(r, in->first_ticks));
		fprintf(out, "duration    %s (first to last event)\n", a);
	} else {
		fputs("duration    - (no events)\n", out);
	}
	info_threads(r, out);
	fprintf(out, "events      %" PRIu64 " in %" PRIu64 " slot%s\n", in->events, in->slots,
		plural(in->slots));
	fprintf(out, "lost        %" PRIu64 "\n", in->lost);
	info_cpu(r, out);
	if (in->drop_reasons)
		info_dropped(r, out);
	units_ns(a, sizeof(a), in->waited_ns);
	fprintf(out, "waited      %s%s\n", in->waited_ns ? a : "0",
		in->waited_ns ? ": recording threads, for the trace to be written (in all)" : "");
	fprintf(out, "chunks      %" PRIu64 " (%" PRIu64 " EVENTS)\n", in->chunks + in->complete,
		in->event_chunks);
	if (in->missing)
		fprintf(out, "missing     %" PRIu64 " EVENTS chunk%s (seq gaps)\n", in->missing,
			plural(in->missing));
	if (in->bad_chunks)
		fprintf(out,
			"malformed   %" PRIu64 " chunk%s skipped, the first at byte %" PRIu64 "\n",
			in->bad_chunks, plural(in->bad_chunks), in->first_bad);
	if (in->unknown_chunks)
		fprintf(out, "unknown     %" PRIu64 " chunk%s of newer types skipped\n",
			in->unknown_chunks, plural(in->unknown_chunks));
	if (in->trailing)
		fprintf(out, "trailing    %" PRIu64 " byte%s after END, ignored\n", in->trailing,
			plural(in->trailing));
	fprintf(out, "modules     %zu\n", reader_module_count(r));
	units_bytes(a, sizeof(a), in->file_size);
	if (in->events)
		snprintf(b, sizeof(b), "%.2f", (double)in->file_size / (double)in->events);
	else
		snprintf(b, sizeof(b), "-");
	fprintf(out, "size        %s (%" PRIu64 " bytes), %s bytes/event\n", a, in->file_size, b);
	return 0;
}

/* ---- dump ------------------------------------------------------------------------------ */

static void dump_name_ptr(struct reader *r, FILE *out, uint64_t ptr)
{
	const char *s = reader_name(r, ptr);

	fprintf(out, " 0x%" PRIx64, ptr);
	if (s) {
		putc(' ', out);
		put_quoted(out, s, strlen(s));
	}
}

/* EXT: memory, I/O and wait events by name, others by number. */
static void dump_ext(const struct reader_event *ev, FILE *out)
{
	switch (ev->len) {
	case TSF_EXT_ALLOC:
		fprintf(out, "ALLOC %s 0x%" PRIx64 " %" PRIu64, heap_origin(ev->arg), ev->addr,
			(uint64_t)ev->value);
		break;
	case TSF_EXT_FREE:
		fprintf(out, "FREE %s 0x%" PRIx64, heap_origin(ev->arg), ev->addr);
		break;
	case TSF_EXT_UNMAP:
		fprintf(out, "UNMAP %s 0x%" PRIx64 " %" PRIu64, heap_origin(ev->arg), ev->addr,
			(uint64_t)ev->value);
		break;
	case TSF_EXT_UNFREE:
		fprintf(out, "UNFREE %s 0x%" PRIx64, heap_origin(ev->arg), ev->addr);
		break;
	case TSF_EXT_IO:
		fprintf(out, "IO %s fd=%" PRId32 " ticks=%" PRIu64 " result=%" PRId64,
			iomap_op_name((uint32_t)ev->arg & 0xff), (int32_t)(uint32_t)(ev->arg >> 8),
			ev->addr, (int64_t)((uint64_t)ev->value << 4) >> 4);
		if (ev->more < TSF_IO_NO_CPU)
			fprintf(out, " cpu=%" PRIu64 "ns", ev->more);
		break;
	case TSF_EXT_WAIT:
		fprintf(out, "WAIT %s ticks=%" PRIu64 " result=%" PRId64,
			iomap_op_name((uint32_t)ev->arg & 0xff), ev->addr,
			(int64_t)((uint64_t)ev->value << 4) >> 4);
		break;
	case TSF_EXT_CPU:
		fprintf(out, "CPU %s cpu=%" PRIu64 "ns",
			ev->arg == TSF_CPU_BUFFER  ? "buffer"
			: ev->arg == TSF_CPU_FLUSH ? "flush"
			: ev->arg == TSF_CPU_CALL  ? "call"
						   : "?",
			ev->addr);
		break;
	case TSF_EXT_PATH:
		fprintf(out, "PATH fd=%" PRId32 " piece=%" PRIu64 " len=%" PRIu64,
			(int32_t)(uint32_t)ev->arg, (ev->arg >> 32) & 0xff, (ev->arg >> 40) & 0xff);
		break;
	default:
		fprintf(out, "EXT 0x%02" PRIx32 " arg=0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64,
			ev->len, ev->arg, ev->addr, (uint64_t)ev->value);
		break;
	}
}

static void dump_event(struct reader *r, const struct reader_cursor *c,
		       const struct reader_event *ev, FILE *out)
{
	if (ev->kind == READER_EV_BAD) {
		uint64_t n = (uint64_t)ev->value;

		if (n && n <= c->chunk.slots)
			fprintf(out,
				"  BAD slots %" PRIu64 "..%" PRIu64 " skipped: not a valid event\n",
				c->chunk.slots - n, c->chunk.slots - 1);
		else
			fprintf(out, "  BAD chunk cannot be decoded: %" PRIu64 " slot%s skipped\n",
				n, plural(n));
		return;
	}
	if (!READER_IS_EVENT(ev->kind))
		return; /* a one-chunk cursor yields no other note */
	fprintf(out, "  %" PRIu64 " %" PRIu64 " ", ev->ticks, reader_ns(r, ev->ticks));
	switch (ev->kind) {
	case READER_EV_ENTER:
		fprintf(out, "ENTER 0x%" PRIx64, ev->addr);
		break;
	case READER_EV_EXIT:
		fprintf(out, "EXIT 0x%" PRIx64, ev->addr);
		break;
	case READER_EV_BEGIN:
		fputs("BEGIN", out);
		dump_name_ptr(r, out, ev->addr);
		break;
	case READER_EV_END:
		fputs("END", out);
		if (ev->addr)
			fprintf(out, " (payload 0x%" PRIx64 ")", ev->addr);
		break;
	case READER_EV_COPY:
		fputs("COPY ", out);
		put_quoted(out, ev->text, ev->len);
		break;
	case READER_EV_INSTANT:
		fputs("INSTANT", out);
		dump_name_ptr(r, out, ev->addr);
		break;
	case READER_EV_COUNTER:
		fputs("COUNTER", out);
		dump_name_ptr(r, out, ev->addr);
		fprintf(out, " = %" PRId64, ev->value);
		break;
	case READER_EV_EXT:
		dump_ext(ev, out);
		break;
	default:
		break;
	}
	putc('\n', out);
}

static int dump_events(struct reader *r, const struct reader_chunk *ck, FILE *out)
{
	struct reader_cursor c;
	struct reader_event ev;
	int rc;

	reader_cursor_init_chunk(&c, r, ck->offset);
	while ((rc = reader_next(&c, &ev)) > 0)
		dump_event(r, &c, &ev, out);
	if (rc == 0 && c.chunk.zero_tail)
		fprintf(out, "  end mark: %" PRIu64 " slot%s from slot %" PRIu64 " ignored\n",
			c.chunk.zero_tail, plural(c.chunk.zero_tail),
			c.chunk.slots - c.chunk.zero_tail);
	reader_cursor_fini(&c);
	return rc;
}

static void dump_chunk_fields(const struct reader_chunk *ck, FILE *out)
{
	const struct tsf_module *m;

	switch (ck->hdr.type) {
	case TSF_CHUNK_CLOCK:
		fprintf(out,
			" ticks=%" PRIu64 " mono_ns=%" PRIu64 " real_ns=%" PRIu64
			" read_cost=%" PRIu64,
			ck->u.clock.ticks, ck->u.clock.mono_ns, ck->u.clock.real_ns,
			ck->u.clock.read_cost_ticks);
		break;
	case TSF_CHUNK_MODULE:
		m = &ck->u.module.m;
		fprintf(out,
			" bias=0x%" PRIx64 " lo=0x%" PRIx64 " hi=0x%" PRIx64 " build_id=", m->bias,
			m->lo, m->hi);
		for (unsigned i = 0; i < m->build_id_len; i++)
			fprintf(out, "%02x", ck->u.module.build_id[i]);
		if (!m->build_id_len)
			putc('-', out);
		fputs(" path=", out);
		put_quoted(out, ck->u.module.path, m->path_len);
		break;
	case TSF_CHUNK_THREAD:
		fprintf(out, " tid=%" PRIu32 " pid=%" PRIu32 " ticks=%" PRIu64 " name=",
			ck->u.thread.t.tid, ck->u.thread.t.pid, ck->u.thread.t.ticks);
		put_quoted(out, ck->u.thread.name, ck->u.thread.name_len);
		break;
	case TSF_CHUNK_EVENTS:
		fprintf(out,
			" tid=%" PRIu32 " seq=%" PRIu64 " lost=%" PRIu64 " flags=0x%" PRIx32
			"%s%s%s n=%" PRIu64,
			ck->u.events.h.tid, ck->u.events.h.seq, ck->u.events.h.lost,
			ck->u.events.h.flags, ck->u.events.h.flags & TSF_EF_FINAL ? " final" : "",
			ck->u.events.h.flags & TSF_EF_RING_WRAPPED ? " wrapped" : "",
			ck->u.events.h.flags & TSF_EF_EXT ? " ext" : "", ck->u.events.slots);
		if (ck->u.events.h.flags & TSF_EF_RESUMED)
			fputs(" resumed", out);
		if (ck->u.events.h.waited_ns)
			fprintf(out, " waited_ns=%" PRIu64, ck->u.events.h.waited_ns);
		break;
	case TSF_CHUNK_NAME:
		fprintf(out, " ptr=0x%" PRIx64 " text=", ck->u.name.ptr);
		put_quoted(out, ck->u.name.text, ck->u.name.text_len);
		break;
	case TSF_CHUNK_PROCESS:
		fprintf(out, " pid=%" PRIu32 " ppid=%" PRIu32 " exe=", ck->u.process.p.pid,
			ck->u.process.p.ppid);
		put_quoted(out, ck->u.process.exe, ck->u.process.exe_len);
		break;
	case TSF_CHUNK_END:
		fprintf(out, " chunks=%" PRIu64 " events=%" PRIu64 " lost=%" PRIu64,
			ck->u.end.chunks, ck->u.end.events, ck->u.end.lost);
		if (ck->u.end.waited_ns)
			fprintf(out, " waited_ns=%" PRIu64, ck->u.end.waited_ns);
		break;
	case TSF_CHUNK_UNLOAD:
		fprintf(out, " bias=0x%" PRIx64 " lo=0x%" PRIx64 " ticks=%" PRIu64 "%s",
			ck->u.unload.bias, ck->u.unload.lo, ck->u.unload.ticks,
			ck->u.unload.flags & TSF_UNLOAD_EXACT ? " exact" : "");
		break;
	case TSF_CHUNK_DROP:
		fprintf(out, " count=%" PRIu32 " reasons=0x%" PRIx32, ck->u.drop.d.count,
			ck->u.drop.d.reasons);
		for (uint32_t i = 0; i < ck->u.drop.d.count; i++) {
			struct tsf_drop_fn d;

			reader_drop_fn(ck, i, &d);
			fprintf(out,
				"\n    fn 0x%" PRIx64 " calls=%" PRIu64 " incl=%" PRIu64
				" self=%" PRIu64 " hidden=%" PRIu64 " reasons=0x%" PRIx32,
				d.addr, d.calls, d.incl, d.self, d.hidden, d.reasons);
		}
		break;
	case TSF_CHUNK_COST:
		fprintf(out,
			" ticks=%" PRIu64 " events=%" PRIu64 " median=%" PRIu64 " rounds=%" PRIu64,
			ck->u.cost.ticks, ck->u.cost.events, ck->u.cost.median, ck->u.cost.rounds);
		break;
	default:
		break;
	}
}

int dump_records(struct reader *r, const char *name, FILE *out)
{
	const struct reader_info *in = reader_info(r);
	const char *clock = reader_clock_name(in->clock_source);
	struct reader_chunk ck;
	uint64_t off;
	int rc;

	fputs("file ", out);
	put_str(out, name);
	fprintf(out, " size=%" PRIu64 "\n", in->file_size);
	fprintf(out,
		"header @0 version=%u header_size=%u flags=0x%" PRIx32 "%s pid=%" PRIu32
		" ppid=%" PRIu32 " clock=%s(%" PRIu32 ") start_ticks=%" PRIu64 "\n",
		in->version, in->header_size, in->flags, in->flags & TSF_HF_RING ? " ring" : "",
		in->pid, in->ppid, clock ? clock : "unknown", in->clock_source, in->start_ticks);
	for (off = reader_first_chunk(r); (rc = reader_chunk_read(r, off, &ck)) > 0;
	     off = ck.next) {
		const char *type = reader_chunk_type_name(ck.hdr.type);

		if (ferror(out))
			return 0; /* writing failed: the caller sees it, nothing more to do */
		fprintf(out, "chunk @%" PRIu64 " ", ck.offset);
		if (in->file_size - ck.offset < sizeof(struct tsf_chunk)) {
			fprintf(out, "cut: %s\n", ck.problem);
			break;
		}
		if (type)
			fputs(type, out);
		else
			fprintf(out, "type=%" PRIu32, ck.hdr.type);
		fprintf(out, " size=%" PRIu32, ck.hdr.size);
		if (ck.hdr.flags & TSF_CF_LZ4)
			fprintf(out, " lz4 raw_size=%" PRIu32, ck.hdr.raw_size);
		else if (ck.hdr.raw_size != ck.hdr.size)
			fprintf(out, " raw_size=%" PRIu32, ck.hdr.raw_size);
		if (ck.hdr.flags & ~TSF_CF_LZ4)
			fprintf(out, " flags=0x%" PRIx32, ck.hdr.flags);
		if (ck.decoded)
			dump_chunk_fields(&ck, out);
		if (!type)
			fputs(" (unknown type, skipped)", out);
		if (ck.status)
			fprintf(out, " %s: %s", ck.status == TSCOPE_ETRUNC ? "CUT" : "MALFORMED",
				ck.problem);
		putc('\n', out);
		if (ck.hdr.type == TSF_CHUNK_EVENTS && ck.decoded &&
		    (ck.status == 0 || ck.status == TSCOPE_ETRUNC)) {
			rc = dump_events(r, &ck, out);
			if (rc < 0)
				return rc;
		}
		if (ck.status == TSCOPE_ETRUNC)
			break;
		if (ck.hdr.type == TSF_CHUNK_END && ck.status == 0) {
			if (in->trailing)
				fprintf(out, "trailing %" PRIu64 " byte%s after END, ignored\n",
					in->trailing, plural(in->trailing));
			return 0;
		}
	}
	if (rc < 0)
		return rc;
	fprintf(out, "truncated at byte %" PRIu64 ": no END chunk\n", in->trunc_offset);
	return 0;
}
