/* SPDX-License-Identifier: MIT */
/*
 * tracefd.c - the trace's file descriptor: tscope's, never the program's.
 *
 * The descriptor is moved high, above the program's usual range (a floor derived from
 * RLIMIT_NOFILE), and is close-on-exec, so that the program's own open() calls get the
 * numbers they would get untraced.  A program may still close it (close_range(3, ~0U),
 * a loop over every descriptor) or dup2() its own file over it: before each write the
 * descriptor is checked against the device and inode remembered at open, and when it
 * no longer is the trace, the trace is reopened by its path (never created or
 * truncated: it must be the same file) at its end.  A program's file is never written
 * and never closed by tscope.  If the file itself is gone (unlinked or replaced, even
 * while the descriptor is intact), the events are lost and file.c says so.  Before an
 * exec(), a file this process created and wrote no event into is given back: removed,
 * so that the next image claims its name.
 *
 * Called by file.c with its lock held.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "tscope-int.h"

#define FD_CAP    4096 /* the floor stays below this: a huge fd table costs the kernel */
#define FD_MARGIN 32   /* descriptors left free above the floor */

static struct {
	int fd; /* -1: not open */
	dev_t dev;
	ino_t ino;
	int gone; /* the file was unlinked or replaced: no more reopening */
	int created; /* this process created the file (not an existing one truncated) */
	char path[sizeof(((struct tscope__config *)0)->path) + 32];
} t = { .fd = -1 };

/* The lowest number the descriptor may have: near the top of the soft limit (at most
 * FD_CAP), at least 256 when the limit allows. */
static TS_NOINSTR int fd_floor(void)
{
	struct rlimit rl;
	rlim_t lim = 1024;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		lim = rl.rlim_cur;
	if (lim == RLIM_INFINITY || lim > FD_CAP)
		lim = FD_CAP;
	if (lim >= 256 + FD_MARGIN)
		return (int)(lim - FD_MARGIN);
	return lim > 8 ? (int)(lim - lim / 8) : 3;
}

/* Move fd above the floor, close-on-exec, closing the low one.  Where no high number
 * is free the low one is kept.  shm.c's file is kept there too. */
TS_NOINSTR int tscope__fd_high(int fd)
{
	int high = fcntl(fd, F_DUPFD_CLOEXEC, fd_floor());

	if (high < 0)
		return fd;
	tscope__close(fd);
	return high;
}

/* The file's name: the configured path with %p replaced by the pid; a forked child
 * whose path has no %p writes PATH.<pid>. */
static TS_NOINSTR void resolve_path(const char *s, int fork_child, char *out, size_t size)
{
	size_t o = 0;
	int has_pid = 0;

	while (*s && o + 24 < size) {
		if (s[0] == '%' && s[1] == 'p') {
			o += (size_t)snprintf(out + o, size - o, "%d", (int)getpid());
			s += 2;
			has_pid = 1;
		} else {
			out[o++] = *s++;
		}
	}
	out[o] = 0;
	if (fork_child && !has_pid)
		snprintf(out + o, size - o, ".%d", (int)getpid());
}

/* The name the trace of a session on path gets (before any claim: see below). */
TS_NOINSTR void tscope__fd_resolve(const char *path, int fork_child, char *out, size_t size)
{
	resolve_path(path, fork_child, out, size);
}

/*
 * Create the trace for cfg.  Under `tscope record` (cfg->claim, not in a forked child;
 * TS_CLAIM_ALWAYS: even there) the first process of the tree takes PATH; an image
 * exec()'d later (same pid) finds it taken and writes PATH.<pid>, or PATH.<pid>.<n> if
 * that is taken too.  Otherwise PATH is created, or an existing file truncated.
 * Returns the descriptor, or -1 with errno set; tscope__fd_path() is the name either
 * way.
 */
TS_NOINSTR int tscope__fd_open(const struct tscope__config *cfg, int fork_child)
{
	struct stat st;
	int fd = -1;

	tscope__fd_close();
	t.gone = t.created = 0;
	resolve_path(cfg->path, fork_child, t.path, sizeof(t.path));
	if (cfg->claim == TS_CLAIM_ALWAYS || (cfg->claim && !fork_child)) {
		size_t len = strlen(t.path);

		for (int k = 0; k < 100; k++) {
			if (k == 1)
				snprintf(t.path + len, sizeof(t.path) - len, ".%d", (int)getpid());
			else if (k > 1)
				snprintf(t.path + len, sizeof(t.path) - len, ".%d.%d",
					 (int)getpid(), k - 1);
			fd = open(t.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
				  0666);
			if (fd >= 0 || errno != EEXIST)
				break;
		}
		t.created = fd >= 0;
	} else {
		fd = open(t.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
		t.created = fd >= 0;
		if (fd < 0 && errno == EEXIST)
			fd = open(t.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
				  0666);
	}
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	t.dev = st.st_dev;
	t.ino = st.st_ino;
	t.fd = tscope__fd_high(fd);
	return t.fd;
}

/* Open the trace again by its path, at its end.  Returns the descriptor, or -1 with
 * errno set (ENOENT: the file was unlinked; ESTALE: another file has its name). */
static TS_NOINSTR int reopen(void)
{
	struct stat st;
	int fd;

	if (t.gone) {
		errno = ENOENT;
		return -1;
	}
	fd = open(t.path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT || errno == ELOOP)
			t.gone = 1;
		return -1;
	}
	if (fstat(fd, &st) < 0 || st.st_dev != t.dev || st.st_ino != t.ino) {
		close(fd);
		t.gone = 1;
		errno = ESTALE;
		return -1;
	}
	if (lseek(fd, 0, SEEK_END) < 0 && errno != ESPIPE) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	/* the old number is the program's now (closed, or one of its files): forget it */
	t.fd = tscope__fd_high(fd);
	return t.fd;
}

/*
 * The descriptor to write with, checked: still the trace, or reopened.  Returns -1
 * with errno set when the trace cannot be reached.  again: a write with the
 * descriptor has just failed with EBADF: reopen without checking.
 */
TS_NOINSTR int tscope__fd_get(int again)
{
	struct stat st;

	if (t.fd < 0 && !t.path[0]) {
		errno = EBADF;
		return -1;
	}
	if (!again && t.fd >= 0 && fstat(t.fd, &st) == 0 && st.st_dev == t.dev &&
	    st.st_ino == t.ino) {
		if (st.st_nlink > 0 || !S_ISREG(st.st_mode))
			return t.fd;
		t.gone = 1; /* unlinked, or renamed over: what goes there is lost */
		errno = ENOENT;
		return -1;
	}
	t.fd = -1;
	return reopen();
}

/* Write everything to the trace or fail with errno set; retries short writes and
 * EINTR, and reopens the trace when the program has closed its descriptor. */
TS_NOINSTR int tscope__fd_write(struct iovec *iov, int n)
{
	int fd = tscope__fd_get(0);

	while (n > 0) {
		ssize_t r = fd < 0 ? -1 : writev(fd, iov, n);

		if (r < 0) {
			if (fd >= 0 && errno == EINTR)
				continue;
			if (fd >= 0 && errno == EBADF) {
				fd = tscope__fd_get(1);
				if (fd >= 0)
					continue;
			}
			return -1;
		}
		while (n > 0 && (size_t)r >= iov->iov_len) {
			r -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + r;
			iov->iov_len -= (size_t)r;
		}
	}
	return 0;
}

/* Cut the trace back to size bytes, the next write going there.  0, or -1 with errno
 * set. */
TS_NOINSTR int tscope__fd_cut(uint64_t size)
{
	int fd = tscope__fd_get(0);

	if (fd < 0 || ftruncate(fd, (off_t)size) < 0 || lseek(fd, (off_t)size, SEEK_SET) < 0)
		return -1;
	return 0;
}

/*
 * Before exec(): close the trace and remove it, if this process created it (not an
 * existing file it truncated) and it is still the file at its path, so that the next
 * image claims the name.  0, or -1 if it is not to be given back (nothing done).
 */
TS_NOINSTR int tscope__fd_give_back(void)
{
	struct stat st;

	if (!t.created || t.gone || stat(t.path, &st) < 0 || st.st_dev != t.dev ||
	    st.st_ino != t.ino)
		return -1;
	tscope__fd_close();
	unlink(t.path);
	t.created = 0;
	return 0;
}

/* Whether the file was found unlinked or replaced. */
TS_NOINSTR int tscope__fd_gone(void)
{
	return t.gone;
}

TS_NOINSTR const char *tscope__fd_path(void)
{
	return t.path;
}

/* Close the descriptor, if it is still the trace's (never one of the program's). */
TS_NOINSTR void tscope__fd_close(void)
{
	struct stat st;

	if (t.fd >= 0 && fstat(t.fd, &st) == 0 && st.st_dev == t.dev && st.st_ino == t.ino)
		close(t.fd);
	t.fd = -1;
}

/* In a forked child: the descriptor is the parent's trace, shared; the child's writes
 * go to a file of its own.  Closed here (the child's copy only). */
TS_NOINSTR void tscope__fd_atfork_child(void)
{
	tscope__fd_close();
	t.path[0] = 0;
	t.created = 0;
}
