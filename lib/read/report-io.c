/* SPDX-License-Identifier: MIT */
/*
 * report-io.c - `tscope report --io` (see report-io.h).
 *
 * Each I/O or wait event goes to the innermost function open when it was called (its
 * caller: the wrappers are not instrumented), and an I/O event also to its file.  Rows
 * are kept by name id (functions) and by an id of a set of names of their own (files:
 * the path, or "fd N" when no recorded open named it), so that the memory follows the
 * number of functions and files, not of events.
 *
 * With samples of the threads' CPU time (offcpu.h), the title says how long they were
 * off the CPU outside the calls, in all; `tscope report` splits it among functions.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "tscope.h"
#include "calltree.h"
#include "iomap.h"
#include "offcpu.h"
#include "report-io.h"
#include "units.h"

struct row {
	uint64_t calls;	 /* I/O calls */
	uint64_t ns;	 /* their time */
	uint64_t rd, wr; /* bytes read, written */
	uint64_t waits;	 /* wait calls */
	uint64_t wait;	 /* ns off the CPU: wait calls, and I/O calls blocked */
};

struct report_io {
	struct names *names; /* the traces' */
	struct names *files; /* paths, "fd N" */
	struct row *func, *file;
	size_t func_cap, file_cap;
	struct spans *sp; /* the trace being read */
	uint32_t none;	  /* name id of "(no function)" */
	int err;
	struct offcpu *off;	      /* the threads' time off the CPU outside the calls */
	uint64_t off_ns, off_threads; /* in all, and the threads with CPU samples */
};

int report_io_open(struct report_io **rp, struct names *names)
{
	struct report_io *rep = calloc(1, sizeof(*rep));

	*rp = NULL;
	if (!rep || !(rep->files = names_new())) {
		free(rep);
		return TSCOPE_ENOMEM;
	}
	rep->names = names;
	*rp = rep;
	return 0;
}

/* Row id of *rows, grown as needed; NULL when out of memory (rep->err set). */
static struct row *row(struct report_io *rep, struct row **rows, size_t *cap, uint32_t id)
{
	if (calltree_grow((void **)rows, cap, (size_t)id + 1, sizeof(**rows), 1) < 0) {
		rep->err = TSCOPE_ENOMEM;
		return NULL;
	}
	return &(*rows)[id];
}

static void add(struct row *r, const struct spans_io *e)
{
	if (e->sub == TSF_EXT_IO) {
		r->calls++;
		r->ns += e->end - e->start;
		if (iomap_op_dir(e->op) == 1)
			r->rd += e->bytes;
		else
			r->wr += e->bytes;
	} else {
		r->waits++;
	}
	r->wait += e->wait;
}

static void io(void *ctx, struct spans_frame *stack, size_t depth, const struct spans_io *e)
{
	struct report_io *rep = ctx;
	struct row *r;
	uint32_t id;

	if (depth)
		id = spans_name(rep->sp, stack[depth - 1].key);
	else if (names_intern(rep->names, "(no function)", 13, &rep->none) == 0)
		id = rep->none;
	else {
		rep->err = TSCOPE_ENOMEM;
		return;
	}
	if ((r = row(rep, &rep->func, &rep->func_cap, id)) != NULL)
		add(r, e);
	if (e->sub == TSF_EXT_IO && (e->fd >= 0 || e->path)) {
		char buf[32];
		const char *f = e->path;

		if (!f) {
			snprintf(buf, sizeof(buf), "fd %" PRId32, e->fd);
			f = buf;
		}
		if (names_intern(rep->files, f, strlen(f), &id) < 0) {
			rep->err = TSCOPE_ENOMEM;
			return;
		}
		if ((r = row(rep, &rep->file, &rep->file_cap, id)) != NULL)
			add(r, e);
	}
}

int report_io_add(struct report_io *rep, struct spans *sp, int has_tid, uint32_t tid,
		  uint64_t *threads)
{
	static const struct spans_ops ops = { NULL, NULL, NULL, NULL, NULL };
	struct reader *r = spans_reader(sp);
	spans_io_fn old = spans_get_io(sp);
	int rc = 0;

	rep->sp = sp;
	spans_set_io(sp, io);
	for (size_t i = 0; i < reader_thread_count(r) && !rep->err; i++) {
		int e;

		if (has_tid && reader_thread(r, i)->tid != tid)
			continue;
		e = spans_run(sp, i, &ops, rep);
		if (e < 0 && !rc)
			rc = e;
		++*threads;
		if (!rep->off && offcpu_new(&rep->off) < 0)
			rep->err = TSCOPE_ENOMEM;
		else if ((e = offcpu_thread(rep->off, r, i)) < 0)
			rep->err = e;
		else if (e > 0) {
			rep->off_ns += offcpu_total(rep->off);
			rep->off_threads++;
		}
	}
	spans_set_io(sp, old);
	return rep->err ? rep->err : rc;
}

/* One table: the rows with something, by time (I/O and waiting) then name. */
struct item {
	const struct row *r;
	const char *name;
	size_t len;
};

static int item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	uint64_t tx = x->r->ns + x->r->wait, ty = y->r->ns + y->r->wait;
	int c;

	if (tx != ty)
		return tx > ty ? -1 : 1;
	c = memcmp(x->name, y->name, x->len < y->len ? x->len : y->len);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

static void put_time(FILE *out, int ns, uint64_t v)
{
	char buf[32];

	if (ns) {
		fprintf(out, "%12" PRIu64 "  ", v);
		return;
	}
	units_ns(buf, sizeof(buf), v);
	fprintf(out, "%8s  ", buf);
}

static void put_bytes(FILE *out, int ns, uint64_t v)
{
	char buf[40];

	if (ns) {
		fprintf(out, "%12" PRIu64 "  ", v);
		return;
	}
	units_bytes(buf, sizeof(buf), v);
	fprintf(out, "%10s  ", buf);
}

static int table(FILE *out, int ns, const struct row *rows, size_t n, const struct names *names,
		 int files)
{
	struct item *it = calloc(n ? n : 1, sizeof(*it));
	size_t k = 0;
	int wt = ns ? 12 : 8, wb = ns ? 12 : 10;

	if (!it)
		return TSCOPE_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (!rows[i].calls && !rows[i].waits)
			continue;
		it[k].r = &rows[i];
		it[k].name = names_str(names, (uint32_t)i, &it[k].len);
		k++;
	}
	if (k > 1)
		qsort(it, k, sizeof(*it), item_cmp);
	fprintf(out, "%7s  %*s  %*s  %*s  %*s  ", "calls", wt, "time", wb, "read", wb, "written",
		wt, "wait");
	if (!files)
		fprintf(out, "%6s  ", "waits");
	fputs(files ? "file\n" : "function\n", out);
	for (size_t i = 0; i < k; i++) {
		const struct row *r = it[i].r;

		fprintf(out, "%7" PRIu64 "  ", r->calls);
		put_time(out, ns, r->ns);
		put_bytes(out, ns, r->rd);
		put_bytes(out, ns, r->wr);
		put_time(out, ns, r->wait);
		if (!files)
			fprintf(out, "%6" PRIu64 "  ", r->waits);
		units_name(out, it[i].name, it[i].len);
		fputc('\n', out);
	}
	free(it);
	return 0;
}

int report_io_finish(struct report_io *rep, FILE *out, int ns)
{
	int rc = rep->err;

	if (!rc) {
		fputs("I/O and waiting by function (time: in I/O calls; wait: off the CPU, in "
		      "wait calls and blocked I/O calls",
		      out);
		if (rep->off_threads) {
			char buf[32];

			units_ns(buf, sizeof(buf), rep->off_ns);
			fprintf(out,
				"; off the CPU outside them: %s in %" PRIu64 " thread%s, measured "
				"with CPU samples, split among functions by `tscope report` in its "
				"column off-cpu~, an estimate",
				buf, rep->off_threads, rep->off_threads == 1 ? "" : "s");
		}
		fputs(")\n", out);
		rc = table(out, ns, rep->func, rep->func_cap, rep->names, 0);
	}
	if (!rc) {
		fputs("\nI/O by file\n", out);
		rc = table(out, ns, rep->file, rep->file_cap, rep->files, 1);
	}
	names_free(rep->files);
	offcpu_free(rep->off);
	free(rep->func);
	free(rep->file);
	free(rep);
	return rc;
}
