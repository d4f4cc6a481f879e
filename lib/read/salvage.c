/* SPDX-License-Identifier: MIT */
/*
 * salvage.c - finish the traces of processes that died under `tscope record` before
 * finishing them (SIGKILL, the OOM killer, an _exit() inside libc), from the recording
 * memory they left in shared memory (lib/salvage.h, lib/runtime/shm.c).
 *
 * For each file PREFIX-PID whose lock is free (its process is gone) and whose trace is
 * not done: the trace is cut back to its whole chunks (or made anew: header, the first
 * sync point, and the parent's objects for a forked child that never wrote), then every
 * buffer not in it yet is added as an EVENTS chunk after its THREAD chunk (a thread's
 * current one up to its first unwritten slot, named as at its install), then a sync point
 * read now (the same counter: the machine is the same) and the END chunk.  The file
 * is removed.  A live process's file is left alone: it finishes its own trace.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "salvage.h"
#include "salvager.h"

struct out {
	int fd; /* -1: count only */
	int failed;
	uint64_t chunks, events, lost;
};

static void put(struct out *o, const void *p, size_t n)
{
	const char *c = p;

	while (n && !o->failed && o->fd >= 0) {
		ssize_t w = write(o->fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			o->failed = 1;
			return;
		}
		c += w;
		n -= (size_t)w;
	}
}

static void chunk(struct out *o, uint32_t type, const void *a, size_t alen, const void *b,
		  size_t blen)
{
	static const uint64_t zero;
	size_t size = alen + blen;
	struct tsf_chunk ch = { type, 0, (uint32_t)size, (uint32_t)size };

	put(o, &ch, sizeof(ch));
	put(o, a, alen);
	put(o, b, blen);
	put(o, &zero, TSF_ALIGN8(size) - size);
	o->chunks++;
}

static uint64_t ns_of(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A sync point now, in the dead process's clock; 0 when this machine cannot read it. */
static int sync_now(uint32_t source, struct tsf_clock *c)
{
	memset(c, 0, sizeof(*c));
	c->mono_ns = ns_of(CLOCK_MONOTONIC);
	c->real_ns = ns_of(CLOCK_REALTIME);
	switch (source) {
	case TSF_CLOCK_MONOTONIC:
		c->ticks = c->mono_ns;
		return 1;
#if defined(__x86_64__)
	case TSF_CLOCK_TSC:
		c->ticks = __builtin_ia32_rdtsc();
		return 1;
#elif defined(__aarch64__)
	case TSF_CLOCK_CNTVCT:
		__asm__ __volatile__("isb; mrs %0, cntvct_el0" : "=r"(c->ticks));
		return 1;
#endif
	default:
		return 0;
	}
}

/* What a trace begins with, for one its process never opened: the header, PROCESS, the
 * objects loaded at the start, the first sync point. */
static void begin(struct out *o, const struct tsf_salvage *h, uint64_t size)
{
	struct tsf_header fh = { .version = TSF_VERSION, .header_size = sizeof(fh) };
	struct tsf_process p = { h->pid, h->ppid, 0 };
	uint32_t len = h->objects_len;

	memcpy(fh.magic, TSF_MAGIC, TSF_MAGIC_SIZE);
	fh.pid = h->pid;
	fh.ppid = h->ppid;
	fh.clock_source = h->clock_source;
	fh.start_ticks = h->start.ticks;
	put(o, &fh, sizeof(fh));
	o->chunks = o->events = o->lost = 0;
	chunk(o, TSF_CHUNK_PROCESS, &p, sizeof(p), h->exe, strnlen(h->exe, sizeof(h->exe)));
	if (len <= TSF_SALVAGE_HEAD - TSF_SALVAGE_PAGE && TSF_SALVAGE_HEAD <= size) {
		put(o, (const char *)h + TSF_SALVAGE_PAGE, len);
		o->chunks += h->objects_chunks;
	}
	chunk(o, TSF_CHUNK_CLOCK, &h->start, sizeof(h->start), NULL, 0);
}

/* The slots of a buffer's n that were written: up to the first one whose time is
 * older than the buffer (see lib/runtime/hook.c), events of several slots whole. */
static size_t written_slots(const struct tsf_event *ev, size_t n, uint64_t t0,
			    uint64_t trusted)
{
	size_t i = 0;

	while (i < n) {
		size_t len = tsf_slots(ev[i].word);

		if (i >= trusted && ev[i].time < t0)
			break;
		if (len > n - i)
			break;
		i += len;
	}
	return i;
}

static uint64_t u64_at(const char *b, uint32_t off)
{
	uint64_t v;

	memcpy(&v, b + off, sizeof(v));
	return v;
}

static uint32_t u32_at(const char *b, uint32_t off)
{
	uint32_t v;

	memcpy(&v, b + off, sizeof(v));
	return v;
}

/* One buffer b (one bytes), if its events are not in the trace yet. */
static void add_buffer(struct out *o, const struct tsf_salvage *h, const char *b, uint64_t one)
{
	uint32_t state = u32_at(b, h->off_state);
	struct tsf_chunk ch;
	struct tsf_events head;
	const struct tsf_event *ev;
	uint64_t cap = u32_at(b, h->off_cap), n, k, skip = 0, trusted;

	if (h->off_chunk + sizeof(ch) + sizeof(head) > one ||
	    cap > (one - h->off_chunk - sizeof(ch) - sizeof(head)) / sizeof(*ev))
		return;
	memcpy(&ch, b + h->off_chunk, sizeof(ch));
	memcpy(&head, b + h->off_chunk + sizeof(ch), sizeof(head));
	ev = (const struct tsf_event *)(const void *)(b + h->off_chunk + sizeof(ch) + sizeof(head));
	if (state == TSF_SB_WRITING && u64_at(b, h->off_at) < h->written)
		return; /* in the trace */
	if (state == TSF_SB_QUEUED || state == TSF_SB_WRITING) {
		n = ch.size >= sizeof(head) ? (ch.size - sizeof(head)) / sizeof(*ev) : 0;
		if (n > cap)
			n = cap;
	} else if (state == TSF_SB_FILLING) {
		uint32_t first = u32_at(b, h->off_first); /* went out with a flush */

		skip = first < cap ? first : cap;
		n = cap - skip;
		ev += skip;
		head.tid = u32_at(b, h->off_tid);
		head.seq = u64_at(b, h->off_seq);
		head.flags = TSF_EF_FINAL;
		head.waited_ns = 0;
	} else {
		return;
	}
	trusted = u64_at(b, h->off_trusted);
	k = written_slots(ev, n, u64_at(b, h->off_t0), trusted > skip ? trusted - skip : 0);
	if (state == TSF_SB_FILLING && !k && !head.lost)
		return; /* nothing: and no later chunk of the thread to leave a gap before */
	if (state != TSF_SB_FILLING)
		head.lost += n - k;
	for (uint64_t i = 0; i < k; i += tsf_slots(ev[i].word)) /* memory events: say so */
		if ((unsigned)(ev[i].word >> TSF_KIND_SHIFT) == TSF_KIND_EXT)
			head.flags |= TSF_EF_EXT;
	if (h->name_max <= 256 && b[h->off_name_changed] && b[h->off_name]) {
		struct tsf_thread th = { head.tid, h->pid, u64_at(b, h->off_t0) };
		const char *name = b + h->off_name;

		chunk(o, TSF_CHUNK_THREAD, &th, sizeof(th), name, strnlen(name, h->name_max - 1));
	}
	chunk(o, TSF_CHUNK_EVENTS, &head, sizeof(head), ev, k * sizeof(*ev));
	o->events += k;
	o->lost += head.lost;
}

/* The trace of the dead process whose recording memory is map (size bytes). */
/* Every buffer whose events are not in the trace, to o. */
static void add_buffers(struct out *o, const struct tsf_salvage *h, const char *map,
			uint64_t size)
{
	for (uint32_t r = 0; r < h->regions_n && r < TSF_SALVAGE_REGIONS; r++) {
		const struct tsf_salvage_region *g = &h->regions[r];

		for (uint64_t i = 0; i < g->n; i++) {
			uint64_t at = g->offset + i * g->one;

			if (g->one > size || at > size - g->one)
				break;
			add_buffer(o, h, map + at, g->one);
		}
	}
}

/* The trace of the dead process whose recording memory is map (size bytes): 1, 0 when
 * it never opened its trace and recorded nothing (no file, as it would have left), or
 * -1 (errno). */
static int finish(const char *map, uint64_t size, const char *base, char *path, size_t psize)
{
	const struct tsf_salvage *h = (const void *)map;
	struct out o = { -1, 0, h->chunks, h->events, h->lost };
	struct tsf_clock c;
	struct tsf_end end;
	struct stat st;
	uint64_t keep = h->written >= sizeof(struct tsf_header) ? h->written : 0;

	if (!h->trace_ino) {
		add_buffers(&o, h, map, size);
		if (!o.events && !o.lost)
			return 0;
		o = (struct out){ -1, 0, h->chunks, h->events, h->lost };
	}

	if (h->path[0])
		snprintf(path, psize, "%.*s", (int)sizeof(h->path), h->path);
	else
		snprintf(path, psize, "%s.%u", base, h->pid);
	/* the file it opened, and no other; or, never opened, a new one */
	if (h->trace_ino) {
		o.fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
		if (o.fd < 0)
			return -1;
		if (fstat(o.fd, &st) < 0 || (uint64_t)st.st_dev != h->trace_dev ||
		    (uint64_t)st.st_ino != h->trace_ino || ftruncate(o.fd, (off_t)keep) < 0 ||
		    lseek(o.fd, (off_t)keep, SEEK_SET) < 0) {
			close(o.fd);
			errno = ESTALE;
			return -1;
		}
	} else {
		o.fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (o.fd < 0)
			return -1;
	}
	if (!keep)
		begin(&o, h, size);
	add_buffers(&o, h, map, size);
	if (sync_now(h->clock_source, &c))
		chunk(&o, TSF_CHUNK_CLOCK, &c, sizeof(c), NULL, 0);
	end = (struct tsf_end){ o.chunks, o.events, o.lost, 0 };
	chunk(&o, TSF_CHUNK_END, &end, sizeof(end), NULL, 0);
	if (close(o.fd) < 0)
		o.failed = 1;
	return o.failed ? -1 : 1;
}

/* The last part of path, with its slash ("/x" for "x"). */
static const char *target_base(const char *path)
{
	static char one[PATH_MAX + 1];
	const char *slash = strrchr(path, '/');

	if (slash)
		return slash;
	snprintf(one, sizeof(one), "/%s", path);
	return one;
}

/* The real path of path's directory, in out (PATH_MAX). */
static int dir_of(const char *path, char *out)
{
	char d[PATH_MAX];
	const char *slash = strrchr(path, '/');

	if (!slash)
		return realpath(".", out) != NULL;
	snprintf(d, sizeof(d), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	return realpath(d, out) != NULL;
}

/* Is the file at path the one dev and ino say? */
static int same_file(const char *path, uint64_t dev, uint64_t ino)
{
	struct stat st;

	return stat(path, &st) == 0 && (uint64_t)st.st_dev == dev && (uint64_t)st.st_ino == ino;
}

/* Does the head name the trace target (a path; st: its file, when it exists)? */
static int names_trace(const struct tsf_salvage *h, const char *target, const struct stat *st)
{
	char a[PATH_MAX], b[PATH_MAX];

	if (h->trace_ino)
		return st && h->trace_dev == (uint64_t)st->st_dev &&
		       h->trace_ino == (uint64_t)st->st_ino;
	/* never opened: the same directory, the same name */
	if (st || !strrchr(h->path, '/') || strcmp(strrchr(h->path, '/'), target_base(target)))
		return 0;
	return dir_of(h->path, a) && dir_of(target, b) && strcmp(a, b) == 0;
}

/*
 * The recording memory at name: 1 the trace finished, 0 nothing done, -1 a failure
 * (errno).  Memory of a live process is left alone; of a finished trace, or of one
 * that can no longer be finished (its file removed or replaced), removed.  target
 * NULL (record): every other is finished; else only the trace at target (stat: st),
 * the others left for their own readers.
 */
static int salvage_one(const char *name, const char *base, const char *target,
		       const struct stat *st_target, char *path, size_t psize)
{
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	const struct tsf_salvage *h;
	struct stat st;
	char *map;
	int fd = open(name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK), rc = 0, gone;

	path[0] = 0;
	if (fd < 0)
		return -1;
	if (fcntl(fd, F_OFD_GETLK, &lk) < 0 || fstat(fd, &st) < 0) {
		close(fd);
		return -1;
	}
	/* /dev/shm is everyone's: only memory this user's own process left is trusted
	 * (another user's file could name any of ours as its trace) */
	if (lk.l_type != F_UNLCK || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) || (uint64_t)st.st_size < TSF_SALVAGE_HEAD) {
		close(fd);
		return 0; /* alive, or not ours */
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return -1;
	h = (const struct tsf_salvage *)(const void *)map;
	if (memcmp(h->magic, TSF_SALVAGE_MAGIC, sizeof(TSF_SALVAGE_MAGIC))) {
		munmap(map, (size_t)st.st_size);
		return 0;
	}
	gone = h->done || (h->trace_ino ? !same_file(h->path, h->trace_dev, h->trace_ino)
					: h->path[0] && access(h->path, F_OK) == 0);
	if (gone)
		rc = 2;
	else if (!target || names_trace(h, target, st_target))
		rc = finish(map, (uint64_t)st.st_size, base, path, psize);
	else
		rc = -2; /* another trace's, finished by its reader */
	munmap(map, (size_t)st.st_size);
	if (rc == -2)
		return 0;
	if (rc >= 0) /* after a failure it stays, for another try */
		unlink(name);
	return rc == 2 ? 0 : rc;
}

int salvage_run(const char *prefix, const char *base, salvage_said_fn said, void *ctx)
{
	char dir[1024], stem[256], name[1400], path[1200];
	const char *slash = strrchr(prefix, '/');
	struct dirent *d;
	DIR *dp;
	int n = 0;

	if (!slash || (size_t)(slash - prefix) >= sizeof(dir) || strlen(slash + 1) + 2 > sizeof(stem))
		return 0;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - prefix), prefix);
	snprintf(stem, sizeof(stem), "%s-", slash + 1);
	dp = opendir(dir[0] ? dir : "/");
	if (!dp)
		return 0;
	while ((d = readdir(dp))) {
		size_t len = strlen(stem);
		int rc;

		if (strncmp(d->d_name, stem, len) || !d->d_name[len] ||
		    strspn(d->d_name + len, "0123456789") != strlen(d->d_name + len))
			continue;
		snprintf(name, sizeof(name), "%s/%s", dir, d->d_name);
		rc = salvage_one(name, base, NULL, NULL, path, sizeof(path));
		if (rc && said)
			said(ctx, rc > 0 ? path : name, rc > 0 ? 0 : errno);
		n += rc > 0;
	}
	closedir(dp);
	return n;
}

int salvage_trace(const char *trace)
{
	struct stat st;
	struct dirent *d;
	char name[1400], path[1200];
	int exists = stat(trace, &st) == 0, n = 0;
	DIR *dp;

	if (exists && !S_ISREG(st.st_mode))
		return 0;
	dp = opendir("/dev/shm");
	if (!dp)
		return 0;
	while ((d = readdir(dp))) {
		if (strncmp(d->d_name, "tscope-", 7) ||
		    strspn(d->d_name + 7, "0123456789-") != strlen(d->d_name + 7))
			continue;
		snprintf(name, sizeof(name), "/dev/shm/%s", d->d_name);
		n += salvage_one(name, trace, trace, exists ? &st : NULL, path, sizeof(path)) > 0;
	}
	closedir(dp);
	return n > 0;
}
