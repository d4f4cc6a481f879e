/* SPDX-License-Identifier: MIT */
/*
 * harness.h - running traced programs and summing up their traces, for the tests.
 *
 * run() starts a program with extra environment and captures its stdout; printed()
 * finds the "fn NAME 0xADDR" and "val NAME N" lines tests/prog-calls prints;
 * tally_trace() reads a trace with the reader and counts what the tests check.
 */
#ifndef TSCOPE_HARNESS_H
#define TSCOPE_HARNESS_H

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reader.h"

static char dir[4096]; /* where traces go */

struct run {
	int status; /* exit status, or 128 + signal */
	char out[1 << 16];
};

/* A program started by start(): its pid and the read end of its stdout. */
struct child {
	pid_t pid;
	int out;
	size_t n; /* bytes of stdout read so far into run.out */
};

/* Start argv with extra environment "NAME=value" strings, stdout to a pipe. */
static int start(const char *const *argv, const char *const *env, struct child *c)
{
	int fd[2];

	memset(c, 0, sizeof(*c));
	if (pipe(fd) < 0)
		return -1;
	c->pid = fork();
	if (c->pid < 0)
		return -1;
	if (c->pid == 0) {
		for (; env && *env; env++)
			putenv((char *)(uintptr_t)*env);
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		/* as from an interactive shell, whatever started make: signal tests rely on
		 * the default actions */
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		alarm(120);
		execv(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	close(fd[1]);
	c->out = fd[0];
	return 0;
}

/* Read the child's stdout into r->out until it holds line (or the output ends). */
static int wait_for(struct child *c, struct run *r, const char *line)
{
	for (;;) {
		ssize_t k;

		r->out[c->n] = 0;
		if (line && strstr(r->out, line))
			return 0;
		k = read(c->out, r->out + c->n, sizeof(r->out) - 1 - c->n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return line ? -1 : 0;
		c->n += (size_t)k;
	}
}

/* Read the rest of the child's stdout and reap it: r->status is its exit status, or
 * 128 + the signal that ended it. */
static int finish(struct child *c, struct run *r)
{
	int st;

	wait_for(c, r, NULL);
	close(c->out);
	while (waitpid(c->pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return 0;
}

/* Run argv to its end; see start(). */
static int run(const char *const *argv, const char *const *env, struct run *r)
{
	struct child c;

	if (start(argv, env, &c) < 0)
		return -1;
	return finish(&c, r);
}

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
