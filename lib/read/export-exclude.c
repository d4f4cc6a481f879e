/* SPDX-License-Identifier: MIT */
/*
 * export-exclude.c - `tscope exclude-list`: the hot functions of the traces (hot.h),
 * as a table in comments and as the gcc flag that leaves them out of the next build.
 *
 * Every line but the flag starts with '#', so the output can be pasted or read by a
 * build script as it is.  gcc matches the entries by substring: an entry that matches
 * a recorded function that is not hot is said in a note, since that function would
 * lose its instrumentation too; an entry that contains another is left out (the other
 * one matches everything it would).  The functions a trace never saw called cannot be
 * checked: the help says so.
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
#include "hot.h"
#include "units.h"

#define NOTE_MAX 3 /* functions named in each note about an entry that matches more */

struct exclude {
	FILE *out;
	struct exclude_opts o;
	struct names *names;
	struct profile prof;
	uint64_t events; /* read from every trace */
	uint64_t threads;
	struct hot_set hot;
	char **entry; /* by hot function: its entry, or NULL (left out, or redundant) */
};

static int exclude_open(void **x, FILE *out, const void *opts, struct names *names)
{
	struct exclude *e = calloc(1, sizeof(*e));

	*x = NULL;
	if (!e || profile_reset(&e->prof) < 0) {
		free(e);
		return TSCOPE_ENOMEM;
	}
	e->out = out;
	e->o = *(const struct exclude_opts *)opts;
	e->names = names;
	*x = e;
	return 0;
}

static int exclude_add(void *x, struct spans *sp)
{
	struct exclude *e = x;
	struct reader *r = spans_reader(sp);
	int rc = 0;

	for (size_t i = 0; i < reader_thread_count(r); i++) {
		int k = profile_thread(&e->prof, sp, i);

		if (k == TSCOPE_ENOMEM)
			return k;
		if (k < 0 && !rc)
			rc = k;
		e->events += spans_last_stats(sp)->events;
		e->threads++;
	}
	return rc;
}

/* The entry as gcc will read it, its "\," back to ",": what it matches. */
static void unescape(char *dst, const char *src)
{
	for (; *src; src++)
		if (!(src[0] == '\\' && src[1] == ','))
			*dst++ = *src;
	*dst = 0;
}

/* A note for each entry that also matches recorded functions that are not hot. */
static int note_overlaps(struct exclude *e, size_t k)
{
	size_t nnames = names_count(e->names), shown = 0, more = 0, size = 1;
	char *pat = malloc(strlen(e->entry[k]) + 1), *subject;

	for (size_t i = 0; i < nnames; i++) {
		size_t len;

		names_str(e->names, (uint32_t)i, &len);
		if (len + 1 > size)
			size = len + 1;
	}
	subject = malloc(size);
	if (!pat || !subject) {
		free(pat);
		free(subject);
		return TSCOPE_ENOMEM;
	}
	unescape(pat, e->entry[k]);
	for (size_t i = 0; i < nnames && i < e->prof.rows_n; i++) {
		const struct profile_row *row = &e->prof.rows[i];
		size_t len, j;
		const char *s;
		char avg[32];

		if (!row->calls || !profile_is_func(&e->prof, (uint32_t)i))
			continue;
		for (j = 0; j < e->hot.n && e->hot.fn[j].name != i; j++)
			;
		if (j < e->hot.n)
			continue; /* hot: meant to go */
		s = names_str(e->names, (uint32_t)i, &len);
		hot_gcc_subject(s, len, subject, size);
		if (!strstr(subject, pat))
			continue;
		if (shown == NOTE_MAX) {
			more++;
			continue;
		}
		if (!shown)
			fprintf(e->out, "# note: '%s' also matches, and leaves uninstrumented:\n",
				e->entry[k]);
		units_ns(avg, sizeof(avg), profile_mean(&e->prof, (uint32_t)i));
		fprintf(e->out, "#   %s (%" PRIu64 " call%s, %s a call)\n", subject, row->calls,
			row->calls == 1 ? "" : "s", avg);
		shown++;
	}
	if (more)
		fprintf(e->out, "#   and %zu more\n", more);
	free(pat);
	free(subject);
	return 0;
}

/* Make each hot function's entry; NULL where there is none, or another one covers it. */
static int make_entries(struct exclude *e)
{
	e->entry = calloc(e->hot.n ? e->hot.n : 1, sizeof(*e->entry));
	if (!e->entry)
		return TSCOPE_ENOMEM;
	for (size_t k = 0; k < e->hot.n; k++) {
		size_t len;
		const char *s = names_str(e->names, e->hot.fn[k].name, &len), *why;
		char *ent = malloc(2 * len + 8);

		if (!ent)
			return TSCOPE_ENOMEM;
		if (!hot_gcc_entry(s, len, ent, 2 * len + 8, &why)) {
			fputs("# left out: ", e->out);
			units_name(e->out, s, len);
			fprintf(e->out, " (%s)\n", why);
			free(ent);
			continue;
		}
		e->entry[k] = ent;
	}
	for (size_t k = 0; k < e->hot.n; k++)
		for (size_t j = 0; j < e->hot.n && e->entry[k]; j++)
			if (j != k && e->entry[j] && strstr(e->entry[k], e->entry[j]) &&
			    (strcmp(e->entry[k], e->entry[j]) != 0 || j < k)) {
				free(e->entry[k]); /* e->entry[j] matches all it would */
				e->entry[k] = NULL;
			}
	return 0;
}

/* The share of the events that calls make: an enter and an exit each. */
static double share(const struct exclude *e, uint64_t calls)
{
	return e->events ? 200.0 * (double)calls / (double)e->events : 0.0;
}

static void print_table(struct exclude *e)
{
	char avg[32], lim[32];
	size_t funcs = 0;

	for (size_t i = 0; i < e->prof.rows_n; i++)
		funcs += e->prof.rows[i].calls && profile_is_func(&e->prof, (uint32_t)i);
	units_ns(lim, sizeof(lim), e->o.max_mean);
	fprintf(e->out,
		"# tscope exclude-list: %zu of %zu functions were called at least %" PRIu64
		" times,\n# taking under %s a call on average (callees and tracing included, the\n"
		"# slowest 1%% of calls left out): tracing them costs more than they do.  Their\n"
		"# calls make %.1f%% of the %" PRIu64 " events.\n#\n",
		e->hot.n, funcs, e->o.min_calls, lim, share(e, e->hot.hot_calls), e->events);
	fprintf(e->out, "#%11s  %9s  %6s  %s\n", "calls", "avg", "events", "function");
	for (size_t k = 0; k < e->hot.n; k++) {
		size_t len;
		const char *s = names_str(e->names, e->hot.fn[k].name, &len);

		units_ns(avg, sizeof(avg), e->hot.fn[k].mean);
		fprintf(e->out, "#%11" PRIu64 "  %9s  %5.1f%%  ", e->hot.fn[k].calls, avg,
			share(e, e->hot.fn[k].calls));
		units_name(e->out, s, len);
		fputc('\n', e->out);
	}
	fputs("#\n", e->out);
}

static int exclude_finish(void *x)
{
	struct exclude *e = x;
	int rc = profile_rows(&e->prof, names_count(e->names));
	size_t n = 0;

	if (!rc)
		rc = hot_find(&e->hot, &e->prof, e->names, e->o.min_calls, e->o.max_mean);
	if (rc < 0)
		goto out;
	if (!e->hot.n) {
		char lim[32];

		units_ns(lim, sizeof(lim), e->o.max_mean);
		fprintf(e->out,
			"# tscope exclude-list: no function was called at least %" PRIu64
			" times with calls\n# under %s on average: nothing to leave out.\n",
			e->o.min_calls, lim);
		goto out;
	}
	print_table(e);
	rc = make_entries(e);
	for (size_t k = 0; k < e->hot.n && !rc; k++)
		if (e->entry[k])
			rc = note_overlaps(e, k);
	if (rc < 0)
		goto out;
	fputs("# gcc (an entry matches every function whose name contains it):\n", e->out);
	for (size_t k = 0; k < e->hot.n; k++)
		if (e->entry[k])
			fprintf(e->out, "%s%s",
				n++ ? "," : "-finstrument-functions-exclude-function-list=",
				e->entry[k]);
	fputs(n ? "\n" : "# (none of them can be named in gcc's list)\n", e->out);
	fputs("# clang: -finstrument-functions-after-inlining\n", e->out);
out:
	if (e->entry)
		for (size_t k = 0; k < e->hot.n; k++)
			free(e->entry[k]);
	free(e->entry);
	hot_free(&e->hot);
	profile_fini(&e->prof);
	free(e);
	return rc;
}

static uint64_t exclude_threads(const void *x)
{
	return ((const struct exclude *)x)->threads;
}

const struct exporter exclude_exporter = {
	.name = "exclude-list",
	.open = exclude_open,
	.add = exclude_add,
	.finish = exclude_finish,
	.threads = exclude_threads,
};
