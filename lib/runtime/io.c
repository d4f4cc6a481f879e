/* SPDX-License-Identifier: MIT */
/*
 * io.c - libtscope-io: I/O calls and calls that wait, passed through to libc and
 * recorded as I/O and wait events (tscope_io(), tscope_wait()).
 *
 * Its own library, like libtscope-malloc, so that a program recorded without `tscope
 * record --io` pays nothing: record preloads it before libtscope.so and sets
 * TSCOPE_IO=1; a program may instead link it (-ltscope-io before -ltscope) and run
 * with TSCOPE_IO=1.  Without TSCOPE_IO=1 every wrapper only passes the call on.
 *
 * The real functions are found with dlsym(RTLD_NEXT) on first use (dlsym() allocates,
 * it does not read or wait).  Only calls through the dynamic symbols are seen: libc's
 * own (stdio's writes, sleep()'s nanosleep) go to its internal names.
 *
 * An I/O call is measured in wall time and in the thread's CPU time
 * (CLOCK_THREAD_CPUTIME_ID: two more system calls per I/O call), read just outside the
 * wall time's span so that a call that never left the CPU shows no time off it; the
 * reader counts the difference, the time off the CPU, as waiting (a read that blocked).  A waiting call
 * is waiting for its whole time.  The CPU time read before and after each call, and
 * before and after each call that waits, is recorded as a sample too (tscope_io_cpu()):
 * the reader tells from the samples the time off the CPU outside the calls wrapped.
 * pthread_mutex_lock() first tries the lock: only a
 * lock that was taken, and waited for, is an event.  _FORTIFY_SOURCE's variants of
 * these calls are in io-chk.c, the steps all share in io.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "io.h"

int tscope__io_on; /* TSCOPE_IO=1 */

static TS_NOINSTR __attribute__((constructor)) void io_init(void)
{
	const char *v = getenv("TSCOPE_IO");

	__atomic_store_n(&tscope__io_on, v && strcmp(v, "1") == 0, __ATOMIC_RELEASE);
}

/* The next definition of name, found once.  Without one (a libc without it) nothing can
 * be passed on: abort() rather than pretend. */
TS_NOINSTR void *tscope__io_real(const char *name, void **slot)
{
	void *f = __atomic_load_n(slot, __ATOMIC_RELAXED);

	if (TS_UNLIKELY(!f)) {
		f = dlsym(RTLD_NEXT, name);
		if (!f)
			abort();
		__atomic_store_n(slot, f, __ATOMIC_RELAXED);
	}
	return f;
}

WRAP ssize_t read(int fd, void *buf, size_t n)
{
	IO_CALL(ssize_t, TSCOPE_IO_READ, fd, NULL, REAL(read)(fd, buf, n));
}

WRAP ssize_t write(int fd, const void *buf, size_t n)
{
	IO_CALL(ssize_t, TSCOPE_IO_WRITE, fd, NULL, REAL(write)(fd, buf, n));
}

WRAP ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	IO_CALL(ssize_t, TSCOPE_IO_PREAD, fd, NULL, REAL(pread)(fd, buf, n, off));
}

WRAP ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	IO_CALL(ssize_t, TSCOPE_IO_PWRITE, fd, NULL, REAL(pwrite)(fd, buf, n, off));
}

/* What a program built with _FILE_OFFSET_BITS=64 calls: the same functions on LP64. */
extern __typeof__(pread) pread64 __attribute__((alias("pread"), visibility("default")));
extern __typeof__(pwrite) pwrite64 __attribute__((alias("pwrite"), visibility("default")));

WRAP ssize_t readv(int fd, const struct iovec *iov, int n)
{
	IO_CALL(ssize_t, TSCOPE_IO_READV, fd, NULL, REAL(readv)(fd, iov, n));
}

WRAP ssize_t writev(int fd, const struct iovec *iov, int n)
{
	IO_CALL(ssize_t, TSCOPE_IO_WRITEV, fd, NULL, REAL(writev)(fd, iov, n));
}

WRAP ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	IO_CALL(ssize_t, TSCOPE_IO_SEND, fd, NULL, REAL(send)(fd, buf, n, flags));
}

WRAP ssize_t recv(int fd, void *buf, size_t n, int flags)
{
	IO_CALL(ssize_t, TSCOPE_IO_RECV, fd, NULL, REAL(recv)(fd, buf, n, flags));
}

WRAP ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *to,
		    socklen_t tolen)
{
	IO_CALL(ssize_t, TSCOPE_IO_SENDTO, fd, NULL, REAL(sendto)(fd, buf, n, flags, to, tolen));
}

WRAP ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *from,
		      socklen_t *fromlen)
{
	IO_CALL(ssize_t, TSCOPE_IO_RECVFROM, fd, NULL,
		REAL(recvfrom)(fd, buf, n, flags, from, fromlen));
}

WRAP ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	IO_CALL(ssize_t, TSCOPE_IO_SENDMSG, fd, NULL, REAL(sendmsg)(fd, msg, flags));
}

WRAP ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	IO_CALL(ssize_t, TSCOPE_IO_RECVMSG, fd, NULL, REAL(recvmsg)(fd, msg, flags));
}

WRAP int fsync(int fd)
{
	IO_CALL(int, TSCOPE_IO_FSYNC, fd, NULL, REAL(fsync)(fd));
}

WRAP int fdatasync(int fd)
{
	IO_CALL(int, TSCOPE_IO_FDATASYNC, fd, NULL, REAL(fdatasync)(fd));
}

WRAP int close(int fd)
{
	IO_CALL(int, TSCOPE_IO_CLOSE, fd, NULL, REAL(close)(fd));
}

/* open()'s third argument, there only when the flags create a file. */
#define MODE_ARG(flags, mode)                                                                      \
	do {                                                                                       \
		if ((flags)&O_CREAT || ((flags)&O_TMPFILE) == O_TMPFILE) {                         \
			va_list ap_;                                                               \
                                                                                                   \
			va_start(ap_, flags);                                                      \
			mode = va_arg(ap_, mode_t);                                                \
			va_end(ap_);                                                               \
		}                                                                                  \
	} while (0)

WRAP int open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	MODE_ARG(flags, mode);
	OPEN_CALL(TSCOPE_IO_OPEN, path, REAL(open)(path, flags, mode));
}

/* What a program built with _FILE_OFFSET_BITS=64 calls: open() itself on LP64. */
extern __typeof__(open) open64 __attribute__((alias("open"), visibility("default")));

WRAP int openat(int dir, const char *path, int flags, ...)
{
	mode_t mode = 0;

	MODE_ARG(flags, mode);
	OPEN_CALL(TSCOPE_IO_OPENAT, path, REAL(openat)(dir, path, flags, mode));
}

/* And openat64(): openat() itself on LP64. */
extern __typeof__(openat) openat64 __attribute__((alias("openat"), visibility("default")));

/* ---- waiting ---------------------------------------------------------------------------- */

WRAP int pthread_mutex_lock(pthread_mutex_t *m)
{
	int rc = REAL(pthread_mutex_trylock)(m);
	uint64_t s;

	/* taken, or an answer of its own (EOWNERDEAD, EINVAL): no wait */
	if (TS_LIKELY(rc != EBUSY))
		return rc;
	s = start();
	if (s) {
		cpu_mark();
		s = tscope_io_start();
	}
	rc = REAL(pthread_mutex_lock)(m);
	if (s) {
		tscope_wait(TSCOPE_IO_MUTEX_LOCK, s, rc);
		cpu_mark();
	}
	return rc;
}

WRAP int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	WAIT_CALL(int, TSCOPE_IO_COND_WAIT, REAL(pthread_cond_wait)(c, m));
}

WRAP int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t)
{
	WAIT_CALL(int, TSCOPE_IO_COND_TIMEDWAIT, REAL(pthread_cond_timedwait)(c, m, t));
}

WRAP int sem_wait(sem_t *s)
{
	WAIT_CALL(int, TSCOPE_IO_SEM_WAIT, REAL(sem_wait)(s));
}

WRAP int sem_timedwait(sem_t *s, const struct timespec *t)
{
	WAIT_CALL(int, TSCOPE_IO_SEM_TIMEDWAIT, REAL(sem_timedwait)(s, t));
}

WRAP int poll(struct pollfd *fds, nfds_t n, int ms)
{
	WAIT_CALL(int, TSCOPE_IO_POLL, REAL(poll)(fds, n, ms));
}

WRAP int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *t, const sigset_t *mask)
{
	WAIT_CALL(int, TSCOPE_IO_PPOLL, REAL(ppoll)(fds, n, t, mask));
}

WRAP int select(int n, fd_set *r, fd_set *w, fd_set *x, struct timeval *t)
{
	WAIT_CALL(int, TSCOPE_IO_SELECT, REAL(select)(n, r, w, x, t));
}

WRAP int pselect(int n, fd_set *r, fd_set *w, fd_set *x, const struct timespec *t,
		 const sigset_t *mask)
{
	WAIT_CALL(int, TSCOPE_IO_PSELECT, REAL(pselect)(n, r, w, x, t, mask));
}

WRAP int epoll_wait(int ep, struct epoll_event *ev, int n, int ms)
{
	WAIT_CALL(int, TSCOPE_IO_EPOLL_WAIT, REAL(epoll_wait)(ep, ev, n, ms));
}

WRAP int nanosleep(const struct timespec *t, struct timespec *left)
{
	WAIT_CALL(int, TSCOPE_IO_NANOSLEEP, REAL(nanosleep)(t, left));
}

WRAP int clock_nanosleep(clockid_t clk, int flags, const struct timespec *t, struct timespec *left)
{
	WAIT_CALL(int, TSCOPE_IO_CLOCK_NANOSLEEP, REAL(clock_nanosleep)(clk, flags, t, left));
}

WRAP unsigned sleep(unsigned sec)
{
	uint64_t s = start();
	unsigned left;
	int e;

	if (TS_LIKELY(!s))
		return REAL(sleep)(sec);
	cpu_mark();
	s = tscope_io_start();
	left = REAL(sleep)(sec);
	e = errno;
	tscope_wait(TSCOPE_IO_SLEEP, s, left); /* the seconds left when interrupted */
	cpu_mark();
	errno = e;
	return left;
}

WRAP int usleep(useconds_t us)
{
	WAIT_CALL(int, TSCOPE_IO_USLEEP, REAL(usleep)(us));
}

WRAP pid_t waitpid(pid_t pid, int *status, int flags)
{
	WAIT_CALL(pid_t, TSCOPE_IO_WAITPID, REAL(waitpid)(pid, status, flags));
}

WRAP pid_t wait(int *status)
{
	WAIT_CALL(pid_t, TSCOPE_IO_WAIT, REAL(wait)(status));
}

WRAP int pthread_join(pthread_t t, void **ret)
{
	WAIT_CALL(int, TSCOPE_IO_JOIN, REAL(pthread_join)(t, ret));
}
