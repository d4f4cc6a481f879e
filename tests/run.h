/* SPDX-License-Identifier: MIT */
/*
 * run.h - running programs from the tests.
 *
 * A program is started with extra environment ("NAME=value" strings) and its stdout
 * and stderr each sent to a file, to /dev/null (NULL), to the test's own (RUN_SAME),
 * or, for stdout, to a pipe the test reads (RUN_PIPE).  run() runs one to its end;
 * run_start(), run_until() and run_finish() let a test act while it runs (wait for
 * "ready", send a signal); run_capture() runs one to its end with its stdout read into
 * a struct run.  A status is the exit status, or 128 + the signal that ended the
 * program.  Every program gets SIGALRM after RUN_ALARM seconds, so a hung one ends.
 */
#ifndef TSCOPE_TEST_RUN_H
#define TSCOPE_TEST_RUN_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compiler.h"

#define RUN_PIPE  ((const char *)1) /* stdout: a pipe, read with run_until() */
#define RUN_SAME  ((const char *)2) /* stdout or stderr: the test's own */
#define RUN_ALARM 300

/* A program started by run_start(). */
struct child {
	pid_t pid;
	int out;  /* the read end of its stdout with RUN_PIPE, else -1 */
	size_t n; /* bytes of it read so far into run.out */
};

/* What run_capture() and run_finish() saw of a program. */
struct run {
	int status; /* exit status, or 128 + signal */
	char out[1 << 16];
};

/* In a new child: fd 1 or 2 as asked (see above).  0, or -1 if a file cannot be opened. */
static int run_redirect(int fd, const char *to)
{
	int f;

	if (to == RUN_SAME || to == RUN_PIPE)
		return 0;
	f = open(to ? to : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (f < 0 || dup2(f, fd) < 0)
		return -1;
	close(f);
	return 0;
}

/*
 * Start argv with extra environment env (NULL: none), stdout to out and stderr to err:
 * a path, NULL for /dev/null, RUN_SAME, or (stdout only) RUN_PIPE.  0 or -1.
 */
static TS_UNUSED int run_start(const char *const *argv, const char *const *env, const char *out,
			       const char *err, struct child *c)
{
	int fd[2] = { -1, -1 };

	memset(c, 0, sizeof(*c));
	c->out = -1;
	if (out == RUN_PIPE && pipe2(fd, O_CLOEXEC) < 0)
		return -1;
	fflush(stdout);
	c->pid = fork();
	if (c->pid < 0) {
		if (fd[0] >= 0) {
			close(fd[0]);
			close(fd[1]);
		}
		return -1;
	}
	if (c->pid == 0) {
		if (fd[1] >= 0 && dup2(fd[1], 1) < 0)
			_exit(126);
		if (run_redirect(1, out) < 0 || run_redirect(2, err) < 0)
			_exit(126);
		for (; env && *env; env++)
			putenv((char *)(uintptr_t)*env);
		/* as from an interactive shell, whatever started make: signal tests rely on
		 * the default actions */
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		alarm(RUN_ALARM);
		execv(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	if (fd[1] >= 0)
		close(fd[1]);
	c->out = fd[0];
	return 0;
}

/* Read the child's piped stdout into r->out until it holds line, or, with line NULL,
 * to its end.  0, or -1 if the output ended without the line. */
static TS_UNUSED int run_until(struct child *c, struct run *r, const char *line)
{
	for (;;) {
		ssize_t k;

		r->out[c->n] = 0;
		if (line && strstr(r->out, line))
			return 0;
		if (c->out < 0)
			return line ? -1 : 0;
		k = read(c->out, r->out + c->n, sizeof(r->out) - 1 - c->n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return line ? -1 : 0;
		c->n += (size_t)k;
	}
}

/* Reap the child: its status (exit status or 128 + signal), or -1.  Closes its pipe
 * unread: run_finish() reads it first. */
static int run_wait(struct child *c)
{
	int st;

	if (c->out >= 0)
		close(c->out);
	c->out = -1;
	while (waitpid(c->pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Read the rest of the child's stdout and reap it into r->status.  0 or -1. */
static TS_UNUSED int run_finish(struct child *c, struct run *r)
{
	run_until(c, r, NULL);
	r->status = run_wait(c);
	return r->status < 0 ? -1 : 0;
}

/* Run argv to its end, stdout and stderr as for run_start(); its status, or -1. */
static TS_UNUSED int run(const char *const *argv, const char *const *env, const char *out,
			 const char *err)
{
	struct child c;

	if (out == RUN_PIPE || run_start(argv, env, out, err, &c) < 0)
		return -1;
	return run_wait(&c);
}

/* Run argv to its end with its stdout in r->out and its stderr the test's.  0 or -1. */
static TS_UNUSED int run_capture(const char *const *argv, const char *const *env, struct run *r)
{
	struct child c;

	if (run_start(argv, env, RUN_PIPE, RUN_SAME, &c) < 0)
		return -1;
	return run_finish(&c, r);
}

#endif /* TSCOPE_TEST_RUN_H */
