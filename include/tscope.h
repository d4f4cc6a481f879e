/* SPDX-License-Identifier: MIT */
/*
 * tscope.h - public interface of libtscope, the tscope recording runtime.
 *
 * If a function, type or macro is not declared here, it is not API.
 *
 * Two ways in, freely mixed:
 *   - build with -finstrument-functions and link -ltscope (or run the program under
 *     `tscope record`): every function entry and exit is recorded;
 *   - mark code up with the scope macros below.
 *
 * Recording starts by itself when the library is loaded, writing to $TSCOPE_OUTPUT
 * (default "tscope.trace"), unless TSCOPE_ENABLE=0.  See tscope(3) for the environment.
 * Define TSCOPE_DISABLE before including this header to compile every macro to nothing.
 */
#ifndef TSCOPE_H
#define TSCOPE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TSCOPE_VERSION_MAJOR  0
#define TSCOPE_VERSION_MINOR  1
#define TSCOPE_VERSION_PATCH  0
#define TSCOPE_VERSION_STRING "0.1.0"
#define TSCOPE_VERSION_NUMBER \
	(TSCOPE_VERSION_MAJOR * 10000 + TSCOPE_VERSION_MINOR * 100 + TSCOPE_VERSION_PATCH)

#if defined(__GNUC__) && __GNUC__ >= 4
#define TSCOPE_API     __attribute__((visibility("default")))
#define TSCOPE_NOINSTR __attribute__((no_instrument_function))
#define TSCOPE_WUR     __attribute__((warn_unused_result))
#else
#define TSCOPE_API
#define TSCOPE_NOINSTR
#define TSCOPE_WUR
#endif

/*
 * Status codes: 0 is success, failures are negative and never renumbered.
 * tscope_strerror() turns any of them into text.
 */
#define TSCOPE_ERRNO_MAP(X)                                            \
	X(EINVAL, -1, "invalid argument")                              \
	X(ENOMEM, -2, "out of memory")                                 \
	X(EIO, -3, "input/output error")                               \
	X(EFORMAT, -4, "not a tscope trace, or a corrupt one")         \
	X(EVERSION, -5, "unsupported trace format version")            \
	X(ENOLZ4, -6, "built without LZ4 support")                     \
	X(EBUSY, -7, "tracing is already started")                     \
	X(EDISABLED, -8, "tracing is disabled by TSCOPE_ENABLE=0")      \
	X(ESTATE, -9, "not possible in the current state")             \
	X(ETRUNC, -10, "trace is truncated")

enum tscope_status {
	TSCOPE_OK = 0,
#define TSCOPE__X(name, val, msg) TSCOPE_##name = (val),
	TSCOPE_ERRNO_MAP(TSCOPE__X)
#undef TSCOPE__X
};

/* Recording modes for struct tscope_config.mode. */
#define TSCOPE_MODE_DEFAULT 0 /* $TSCOPE_MODE, else stream */
#define TSCOPE_MODE_STREAM  1 /* lossless: full buffers are written out as they fill */
#define TSCOPE_MODE_RING    2 /* flight recorder: keep each thread's newest events */

/*
 * Options for tscope_start().  Start from TSCOPE_CONFIG_INIT: a zero field means "take
 * the environment's value, else the default".
 */
struct tscope_config {
	unsigned size;       /* sizeof(struct tscope_config): lets the struct grow */
	const char *path;    /* output file, "%p" becomes the pid; NULL: $TSCOPE_OUTPUT */
	size_t buffer_bytes; /* per-thread buffer; 0: $TSCOPE_BUFFER, else 1 MiB */
	int mode;            /* TSCOPE_MODE_* */
	int compress;	     /* 1: packed and LZ4 (TSCOPE_ENOLZ4 if not built in); -1: 16-byte
				events, not packed; 0: $TSCOPE_COMPRESS, else packed */
};
#define TSCOPE_CONFIG_INIT { sizeof(struct tscope_config), NULL, 0, 0, 0 }

/* The library's version: compare with TSCOPE_VERSION_NUMBER / _STRING. */
TSCOPE_API int tscope_version_number(void);
TSCOPE_API const char *tscope_version_string(void);

/* Text for a status code.  Never NULL; any int is accepted. */
TSCOPE_API const char *tscope_strerror(int status);

/*
 * Start recording into cfg->path (NULL cfg: all defaults).  If the automatic session
 * started at load time has not written anything yet, it is taken over: the events
 * recorded so far go to the new file.  Otherwise the running session is stopped and
 * its file completed first.
 * Returns 0, TSCOPE_EINVAL (bad config), TSCOPE_EIO (cannot create the file),
 * TSCOPE_ENOLZ4, TSCOPE_EBUSY (a session started by tscope_start() is running) or
 * TSCOPE_EDISABLED.  Thread-safe.
 */
TSCOPE_API TSCOPE_WUR int tscope_start(const struct tscope_config *cfg);

/*
 * Stop recording: every thread's events so far are written and the file is completed.
 * Returns 0, or TSCOPE_EIO if some data could not be written.  Calling it again, or
 * when nothing runs, is a harmless no-op that returns 0.
 */
TSCOPE_API int tscope_stop(void);

/* Stop / restart recording in every thread without closing the file.  Idempotent. */
TSCOPE_API void tscope_pause(void);
TSCOPE_API void tscope_resume(void);

/*
 * Hand the calling thread's buffer to the writer and wait until everything handed
 * over so far is in the file.  Returns 0, TSCOPE_EIO or TSCOPE_ESTATE (not recording).
 */
TSCOPE_API int tscope_flush(void);

/*
 * Ring mode: write the newest events of every thread now, as a snapshot of the
 * recent past.  Returns 0, TSCOPE_ESTATE when not in ring mode, or TSCOPE_EIO.
 */
TSCOPE_API int tscope_snapshot(void);

/*
 * Open a scope named by a string with static storage (a literal): only its address is
 * recorded.  tscope_end() closes the innermost open scope of the calling thread.
 */
TSCOPE_API void tscope_begin(const char *name);
TSCOPE_API void tscope_end(void);

/* Like tscope_begin(), for a name that may change or go away: up to 255 bytes are copied. */
TSCOPE_API void tscope_begin_copy(const char *name);

/* A point in time, named by a static string. */
TSCOPE_API void tscope_instant(const char *name);

/* A counter sample, named by a static string. */
TSCOPE_API void tscope_counter(const char *name, int64_t value);

/* Name the calling thread in the trace (the name is copied).  Returns 0 or TSCOPE_EINVAL. */
TSCOPE_API int tscope_thread_name(const char *name);

/*
 * Memory events: a block of size bytes at p came into use (tscope_alloc), or goes out
 * of use (tscope_free: call it before the block can be used again, e.g. before handing
 * it back to the allocator beneath, so that the order of events across threads stays
 * true).  A program's own allocator reports its blocks with them; `tscope record
 * --malloc` (libtscope-malloc) reports malloc(), free() and the like through
 * tscope_memory().  They are events of the calling thread, inside the function running;
 * `tscope leaks` and `tscope report` add them up.  A NULL p records nothing.
 */
TSCOPE_API void tscope_alloc(const void *p, size_t size);
TSCOPE_API void tscope_free(const void *p);

/* What tscope_memory() records (event) and which function did it (origin). */
enum {
	TSCOPE_MEM_ALLOC = 1, /* p, size: a block came into use */
	TSCOPE_MEM_FREE,      /* p: a block goes out of use */
	TSCOPE_MEM_UNMAP,     /* p, size: anonymous pages unmapped */
	TSCOPE_MEM_UNFREE     /* p: the thread's last FREE did not happen after all */
};
enum {
	TSCOPE_MEM_API = 0, /* tscope_alloc(), tscope_free() */
	TSCOPE_MEM_MALLOC,
	TSCOPE_MEM_CALLOC,
	TSCOPE_MEM_REALLOC,
	TSCOPE_MEM_POSIX_MEMALIGN,
	TSCOPE_MEM_ALIGNED_ALLOC,
	TSCOPE_MEM_MEMALIGN,
	TSCOPE_MEM_VALLOC,
	TSCOPE_MEM_PVALLOC,
	TSCOPE_MEM_MMAP,
	TSCOPE_MEM_FREE_CALL, /* free() */
	TSCOPE_MEM_MUNMAP
};
TSCOPE_API void tscope_memory(int event, int origin, const void *p, size_t size);

/*
 * I/O and waiting: what libtscope-io (`tscope record --io`) records, through these.
 * tscope_io_start() returns the counter now, or 0 when the calling thread records
 * nothing (a thread of the runtime, the runtime's own work, before it is initialized):
 * the call need then not be measured.  tscope_io() records a call of op (TSCOPE_IO_*)
 * on fd that ran from start to end (tscope_io_start() values) and returned result
 * (bytes, an fd, 0, or -errno), with cpu_ns of the thread's CPU time, read just outside
 * [start, end] (UINT64_MAX: not measured), and for an open the path (else NULL).  tscope_wait() records a call of op that waited.  They
 * are events of the calling thread, inside the function running.
 */
enum {
	TSCOPE_IO_READ = 1,
	TSCOPE_IO_WRITE,
	TSCOPE_IO_PREAD,
	TSCOPE_IO_PWRITE,
	TSCOPE_IO_READV,
	TSCOPE_IO_WRITEV,
	TSCOPE_IO_SEND,
	TSCOPE_IO_RECV,
	TSCOPE_IO_SENDTO,
	TSCOPE_IO_RECVFROM,
	TSCOPE_IO_SENDMSG,
	TSCOPE_IO_RECVMSG,
	TSCOPE_IO_FSYNC,
	TSCOPE_IO_FDATASYNC,
	TSCOPE_IO_OPEN,
	TSCOPE_IO_OPENAT,
	TSCOPE_IO_CLOSE,
	TSCOPE_IO_MUTEX_LOCK = 32,
	TSCOPE_IO_COND_WAIT,
	TSCOPE_IO_COND_TIMEDWAIT,
	TSCOPE_IO_SEM_WAIT,
	TSCOPE_IO_SEM_TIMEDWAIT,
	TSCOPE_IO_POLL,
	TSCOPE_IO_PPOLL,
	TSCOPE_IO_SELECT,
	TSCOPE_IO_PSELECT,
	TSCOPE_IO_EPOLL_WAIT,
	TSCOPE_IO_NANOSLEEP,
	TSCOPE_IO_CLOCK_NANOSLEEP,
	TSCOPE_IO_SLEEP,
	TSCOPE_IO_USLEEP,
	TSCOPE_IO_WAITPID,
	TSCOPE_IO_WAIT,
	TSCOPE_IO_JOIN
};
TSCOPE_API uint64_t tscope_io_start(void);
TSCOPE_API void tscope_io(int op, int fd, uint64_t start, uint64_t end, int64_t result,
			  uint64_t cpu_ns, const char *path);
TSCOPE_API void tscope_wait(int op, uint64_t start, int64_t result);
/* A sample of the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID, in ns, read just
 * before), which libtscope-io records before and after each call it wraps, so that the
 * time off the CPU outside those calls can be told apart (tscope report). */
TSCOPE_API void tscope_io_cpu(uint64_t cpu_ns);

#define TSCOPE__CAT2(a, b) a##b
#define TSCOPE__CAT(a, b)  TSCOPE__CAT2(a, b)

#if defined(TSCOPE_DISABLE)
#define TSCOPE_ALLOC(p, size) ((void)0)
#define TSCOPE_FREE(p)	      ((void)0)
#else
#define TSCOPE_ALLOC(p, size) tscope_alloc((p), (size))
#define TSCOPE_FREE(p)	      tscope_free(p)
#endif

#if defined(TSCOPE_DISABLE)
#define TSCOPE_SCOPE(name) ((void)0)
#define TSCOPE_FUNC()      ((void)0)
#elif defined(__cplusplus)
} /* extern "C" */
/* RAII scope: ends when the enclosing block exits, by return or by exception. */
class tscope__scope_guard {
public:
	TSCOPE_NOINSTR explicit tscope__scope_guard(const char *name)
	{
		tscope_begin(name);
	}
	TSCOPE_NOINSTR ~tscope__scope_guard()
	{
		tscope_end();
	}
	tscope__scope_guard(const tscope__scope_guard &) = delete;
	tscope__scope_guard &operator=(const tscope__scope_guard &) = delete;
};
extern "C" {
#define TSCOPE_SCOPE(name) tscope__scope_guard TSCOPE__CAT(tscope__scope_, __LINE__)(name)
#define TSCOPE_FUNC()      TSCOPE_SCOPE(__func__)
#elif defined(__GNUC__)
/* C: the cleanup attribute ends the scope when the enclosing block exits. */
static inline TSCOPE_NOINSTR void tscope__scope_cleanup(int *unused)
{
	(void)unused;
	tscope_end();
}
#define TSCOPE_SCOPE(name)                                                          \
	__attribute__((cleanup(tscope__scope_cleanup), unused)) int TSCOPE__CAT(   \
		tscope__scope_, __LINE__) = (tscope_begin(name), 0)
#define TSCOPE_FUNC() TSCOPE_SCOPE(__func__)
#else
#error "TSCOPE_SCOPE needs GCC/Clang (cleanup attribute) or C++; define TSCOPE_DISABLE"
#endif

#ifdef __cplusplus
}
#endif

#endif /* TSCOPE_H */
