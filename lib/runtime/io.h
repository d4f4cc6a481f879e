/* SPDX-License-Identifier: MIT */
/*
 * io.h - what the wrappers of libtscope-io (io.c, io-chk.c) share: the next definition
 * of a wrapped function, the switch (TSCOPE_IO=1), the CPU-time samples, and the
 * steps of an I/O call and of a call that waits.  See io.c.
 */
#ifndef TSCOPE_IO_H
#define TSCOPE_IO_H

#include <errno.h>
#include <stdint.h>
#include <time.h>

#include "tscope.h"
#include "compiler.h"

#define WRAP __attribute__((visibility("default"), no_instrument_function))

extern int tscope__io_on; /* TSCOPE_IO=1 */
void *tscope__io_real(const char *name, void **slot);

/* name's next definition (libc's), found on first use */
#define REAL(name)                                                                                 \
	({                                                                                         \
		static void *next_;                                                                \
		(__typeof__(&name))tscope__io_real(#name, &next_);                                            \
	})

/* The counter at the start, 0 when not recording (then the call is only passed on). */
static inline TS_NOINSTR uint64_t start(void)
{
	return TS_UNLIKELY(__atomic_load_n(&tscope__io_on, __ATOMIC_RELAXED)) ? tscope_io_start() : 0;
}

static inline TS_NOINSTR uint64_t cpu_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return UINT64_MAX;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A CPU time recorded as a sample (tscope_io_cpu()): with the samples around every
 * wrapped call, the time off the CPU between two calls is told apart.  The sample
 * after a call comes after its event, whose time it was read after. */
static inline TS_NOINSTR uint64_t cpu_mark_at(uint64_t c)
{
	if (c != UINT64_MAX)
		tscope_io_cpu(c);
	return c;
}

static inline TS_NOINSTR uint64_t cpu_mark(void)
{
	return cpu_mark_at(cpu_now());
}

/* The CPU time since c0, the time now in *c (UINT64_MAX: not measured). */
static inline TS_NOINSTR uint64_t cpu_since(uint64_t c0, uint64_t *c)
{
	uint64_t c1 = *c = cpu_now();

	return c0 == UINT64_MAX || c1 == UINT64_MAX || c1 < c0 ? UINT64_MAX : c1 - c0;
}

/* Pass the call on; when recording, as an I/O event of op on fd (path: an open's). */
#define IO_CALL(type, op, fd, path, call)                                                          \
	do {                                                                                       \
		uint64_t s_, t_, c_, d_;                                                           \
		type r_;                                                                           \
		int e_;                                                                            \
                                                                                                   \
		if (TS_LIKELY(!start()))                                                           \
			return call;                                                               \
		c_ = cpu_mark();                                                                   \
		s_ = tscope_io_start();                                                            \
		r_ = call;                                                                         \
		e_ = errno;                                                                        \
		t_ = tscope_io_start();                                                            \
		d_ = cpu_since(c_, &c_);                                                           \
		tscope_io(op, (fd), s_, t_, r_ < 0 ? -(int64_t)e_ : (int64_t)r_, d_, (path));      \
		cpu_mark_at(c_);                                                                   \
		errno = e_;                                                                        \
		return r_;                                                                         \
	} while (0)

/* The same for a call that waits: its result, or -errno for -1. */
#define WAIT_CALL(type, op, call)                                                                  \
	do {                                                                                       \
		uint64_t s_ = start();                                                             \
		type r_;                                                                           \
		int e_;                                                                            \
                                                                                                   \
		if (TS_LIKELY(!s_))                                                                \
			return call;                                                               \
		cpu_mark();                                                                        \
		s_ = tscope_io_start();                                                            \
		r_ = call;                                                                         \
		e_ = errno;                                                                        \
		tscope_wait(op, s_, (int64_t)r_ == -1 ? -(int64_t)e_ : (int64_t)r_);               \
		cpu_mark();                                                                        \
		errno = e_;                                                                        \
		return r_;                                                                         \
	} while (0)

/* The fd of an open is its result. */
static inline TS_NOINSTR int open_done(int op, uint64_t s, const char *path, int fd, uint64_t c)
{
	int e = errno;
	uint64_t t = tscope_io_start(), d = cpu_since(c, &c);

	tscope_io(op, fd, s, t, fd < 0 ? -(int64_t)e : fd, d, path);
	cpu_mark_at(c);
	errno = e;
	return fd;
}

/* Pass an open of path on; when recording, as an I/O event of op with the path. */
#define OPEN_CALL(op, path, call)                                                                  \
	do {                                                                                       \
		uint64_t s_ = start(), c_;                                                         \
                                                                                                   \
		if (TS_LIKELY(!s_))                                                                \
			return call;                                                               \
		c_ = cpu_mark();                                                                   \
		s_ = tscope_io_start();                                                            \
		return open_done(op, s_, (path), call, c_);                                        \
	} while (0)

#endif
