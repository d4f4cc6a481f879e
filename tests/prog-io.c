/* SPDX-License-Identifier: MIT */
/*
 * prog-io.c - a traced program with known I/O and waiting, for test-io.sh.
 *
 * Built with -finstrument-functions.  In named functions: a file written (3 writes of
 * 1000 bytes, a writev of 300 + 200, an fsync) and read back (4 reads of 500 bytes, a
 * pread of 100, a readv of 250 + 250, a read of 1000, a read at the end that returns
 * 0); a pipe
 * written (2 writes of 64 bytes) and read (one read of 128); a socket pair (a send of
 * 10, a recv of 10); a thread blocked on a condition variable while the main thread
 * sleeps 200 ms.  Argument: the directory for the file.  It prints nothing (stdio's
 * writes would not be recorded anyway): its exit status says whether the calls worked.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

/* A byte count for read, pread and recv (prog-io-fortify.c hides it from the compiler) */
#ifndef LEN
#define LEN(n) (n)
#endif

static char buf[4096];
static int bad;

NOINLINE static void write_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	struct iovec iov[2] = { { buf, 300 }, { buf, 200 } };

	bad |= fd < 0;
	for (int i = 0; i < 3; i++)
		bad |= write(fd, buf, 1000) != 1000;
	bad |= writev(fd, iov, 2) != 500;
	bad |= fsync(fd) != 0;
	bad |= close(fd) != 0;
}

NOINLINE static void read_file(const char *path)
{
	int fd = open(path, O_RDONLY);
	struct iovec iov[2] = { { buf, 250 }, { buf + 250, 250 } };

	bad |= fd < 0;
	for (int i = 0; i < 4; i++)
		bad |= read(fd, buf, LEN(500)) != 500;
	bad |= pread(fd, buf, LEN(100), 0) != 100;
	bad |= readv(fd, iov, 2) != 500;
	bad |= read(fd, buf, LEN(1000)) != 1000;
	bad |= read(fd, buf, LEN(500)) != 0; /* 3500 bytes in all: the end */
	bad |= close(fd) != 0;
}

NOINLINE static void pipe_io(void)
{
	int p[2];

	bad |= pipe(p) != 0;
	bad |= write(p[1], buf, 64) != 64;
	bad |= write(p[1], buf, 64) != 64;
	bad |= read(p[0], buf, LEN(128)) != 128;
	bad |= close(p[0]) != 0;
	bad |= close(p[1]) != 0;
}

NOINLINE static void socket_io(void)
{
	int s[2];

	bad |= socketpair(AF_UNIX, SOCK_STREAM, 0, s) != 0;
	bad |= send(s[0], buf, 10, 0) != 10;
	bad |= recv(s[1], buf, LEN(10), 0) != 10;
	bad |= close(s[0]) != 0;
	bad |= close(s[1]) != 0;
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready_cv = PTHREAD_COND_INITIALIZER, go_cv = PTHREAD_COND_INITIALIZER;
static int ready, go;

/* Blocked on go_cv until main has slept 200 ms. */
NOINLINE static void wait_for_go(void)
{
	pthread_mutex_lock(&lock);
	ready = 1;
	pthread_cond_signal(&ready_cv);
	while (!go)
		pthread_cond_wait(&go_cv, &lock);
	pthread_mutex_unlock(&lock);
}

NOINLINE static void *waiter(void *arg)
{
	wait_for_go();
	return arg;
}

NOINLINE static void nap(void)
{
	struct timespec ts = { 0, 200 * 1000 * 1000 };

	bad |= nanosleep(&ts, NULL) != 0;
}

NOINLINE static void release(void)
{
	pthread_mutex_lock(&lock);
	go = 1;
	pthread_cond_signal(&go_cv);
	pthread_mutex_unlock(&lock);
}

int main(int argc, char **argv)
{
	char path[4096];
	pthread_t t;

	if (argc < 2)
		return 2;
	snprintf(path, sizeof(path), "%s/data", argv[1]);
	memset(buf, 'x', sizeof(buf));
	write_file(path);
	read_file(path);
	pipe_io();
	socket_io();
	bad |= pthread_create(&t, NULL, waiter, NULL) != 0;
	pthread_mutex_lock(&lock);
	while (!ready)
		pthread_cond_wait(&ready_cv, &lock);
	pthread_mutex_unlock(&lock);
	nap();
	release();
	bad |= pthread_join(t, NULL) != 0;
	return bad;
}
