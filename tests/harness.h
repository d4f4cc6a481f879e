/* SPDX-License-Identifier: MIT */
/*
 * harness.h - running traced programs and summing up their traces, for the tests.
 *
 * printed() finds the "fn NAME 0xADDR" and "val NAME N" lines tests/prog-calls prints
 * (run with run_capture() of tests/run.h); tally_trace() reads a trace with the reader
 * and counts what the tests check.
 */
#ifndef TSCOPE_HARNESS_H
#define TSCOPE_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reader.h"
#include "run.h"

static char dir[4096]; /* where traces go */

/* The value printed as "fn NAME 0x..." or "val NAME N" by prog-calls. */
static uint64_t printed(const struct run *r, const char *kind, const char *name)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "%s %s ", kind, name);
	p = strstr(r->out, key);
	if (!p)
		return 0;
	return strtoull(p + strlen(key), NULL, 0);
}

/* What a trace holds, summed the way the tests need. */
struct tally {
	int rc; /* of reader_open */
	int complete;
	uint64_t lost, threads;
	uint64_t enters[4], exits[4]; /* for the addresses asked for */
	uint64_t thread_events[64];   /* events per thread, in reader order */
	const char *thread_names[64];
	uint64_t begins, ends, copies, instants, counters;
	int64_t counter_sum;
	char names[512]; /* names of BEGIN, COPY, INSTANT and COUNTER events, in order */
	uint64_t first_instant[2];    /* ticks of instants "t0" and "t1" */
	struct reader *r;
};

static void tally_name(struct tally *t, const char *s)
{
	size_t n = strlen(t->names);

	snprintf(t->names + n, sizeof(t->names) - n, "%s%s", n ? "," : "", s ? s : "?");
}

static void tally_trace(const char *path, const uint64_t *addr, int naddr, struct tally *t)
{
	memset(t, 0, sizeof(*t));
	t->rc = reader_open(path, &t->r);
	if (t->rc)
		return;
	t->complete = reader_info(t->r)->complete;
	t->lost = reader_info(t->r)->lost;
	t->threads = reader_thread_count(t->r);
	for (size_t i = 0; i < t->threads; i++) {
		struct reader_cursor c;
		struct reader_event ev;
		uint64_t events = 0;

		reader_cursor_init(&c, t->r, i, 0);
		while (reader_next(&c, &ev) > 0) {
			const char *name = NULL;

			events += READER_IS_EVENT(ev.kind);
			for (int k = 0; k < naddr; k++) {
				if (ev.addr != addr[k])
					continue;
				t->enters[k] += ev.kind == READER_EV_ENTER;
				t->exits[k] += ev.kind == READER_EV_EXIT;
			}
			switch (ev.kind) {
			case READER_EV_BEGIN:
				t->begins++;
				tally_name(t, reader_name(t->r, ev.addr));
				break;
			case READER_EV_COPY:
				t->copies++;
				tally_name(t, ev.text);
				break;
			case READER_EV_END:
				t->ends++;
				break;
			case READER_EV_INSTANT:
				t->instants++;
				name = reader_name(t->r, ev.addr);
				tally_name(t, name);
				if (name && strcmp(name, "t0") == 0)
					t->first_instant[0] = ev.ticks;
				if (name && strcmp(name, "t1") == 0)
					t->first_instant[1] = ev.ticks;
				break;
			case READER_EV_COUNTER:
				t->counters++;
				t->counter_sum += ev.value;
				tally_name(t, reader_name(t->r, ev.addr));
				break;
			}
		}
		reader_cursor_fini(&c);
		if (i < 64) {
			t->thread_names[i] = reader_thread(t->r, i)->name;
			t->thread_events[i] = events;
		}
	}
}

static void tally_free(struct tally *t)
{
	reader_close(t->r);
	t->r = NULL;
}

static void trace_path(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s.trace", dir, name);
	unlink(out);
}

#endif /* TSCOPE_HARNESS_H */
