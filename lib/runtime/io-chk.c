/* SPDX-License-Identifier: MIT */
/*
 * io-chk.c - libtscope-io's wrappers of _FORTIFY_SOURCE's checking variants.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io.h"

/*
 * A program built with _FORTIFY_SOURCE calls these where it knows the size of the
 * buffer: libc's checks first (a buffer too small ends the program), then the call.
 * Passed on to libc's, and recorded as the call they check.  libc declares them only
 * for such a program: here they are declared as libc defines them.
 */
ssize_t __read_chk(int fd, void *buf, size_t n, size_t size);
ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t size);
ssize_t __recv_chk(int fd, void *buf, size_t n, size_t size, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t size, int flags, struct sockaddr *from,
		       socklen_t *fromlen);
int __poll_chk(struct pollfd *fds, nfds_t n, int ms, size_t size);
int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *t, const sigset_t *mask,
		size_t size);
int __open_2(const char *path, int flags);
int __openat_2(int dir, const char *path, int flags);

WRAP ssize_t __read_chk(int fd, void *buf, size_t n, size_t size)
{
	IO_CALL(ssize_t, TSCOPE_IO_READ, fd, NULL, REAL(__read_chk)(fd, buf, n, size));
}

WRAP ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t size)
{
	IO_CALL(ssize_t, TSCOPE_IO_PREAD, fd, NULL, REAL(__pread_chk)(fd, buf, n, off, size));
}

extern __typeof__(__pread_chk) __pread64_chk
    __attribute__((alias("__pread_chk"), visibility("default")));

WRAP ssize_t __recv_chk(int fd, void *buf, size_t n, size_t size, int flags)
{
	IO_CALL(ssize_t, TSCOPE_IO_RECV, fd, NULL, REAL(__recv_chk)(fd, buf, n, size, flags));
}

WRAP ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t size, int flags,
			    struct sockaddr *from, socklen_t *fromlen)
{
	IO_CALL(ssize_t, TSCOPE_IO_RECVFROM, fd, NULL,
		REAL(__recvfrom_chk)(fd, buf, n, size, flags, from, fromlen));
}

WRAP int __poll_chk(struct pollfd *fds, nfds_t n, int ms, size_t size)
{
	WAIT_CALL(int, TSCOPE_IO_POLL, REAL(__poll_chk)(fds, n, ms, size));
}

WRAP int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *t, const sigset_t *mask,
		     size_t size)
{
	WAIT_CALL(int, TSCOPE_IO_PPOLL, REAL(__ppoll_chk)(fds, n, t, mask, size));
}

/* open() with flags the compiler could not see, so checked for a missing mode */
WRAP int __open_2(const char *path, int flags)
{
	OPEN_CALL(TSCOPE_IO_OPEN, path, REAL(__open_2)(path, flags));
}

extern __typeof__(__open_2) __open64_2 __attribute__((alias("__open_2"), visibility("default")));

WRAP int __openat_2(int dir, const char *path, int flags)
{
	OPEN_CALL(TSCOPE_IO_OPENAT, path, REAL(__openat_2)(dir, path, flags));
}

extern __typeof__(__openat_2) __openat64_2
    __attribute__((alias("__openat_2"), visibility("default")));
