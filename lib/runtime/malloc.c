/* SPDX-License-Identifier: MIT */
/*
 * malloc.c - libtscope-malloc: malloc() and the like, passed through to glibc and
 * recorded as memory events (tscope_memory()).
 *
 * Its own library, so that a program recorded without `tscope record --malloc` pays
 * nothing: libtscope.so defines no allocation function at all.  record preloads this
 * library before libtscope.so and sets TSCOPE_MALLOC=1; a program may instead link it
 * statically (-ltscope-malloc before -ltscope: the executable's malloc then takes
 * every call of the process, libc's own included) and run with TSCOPE_MALLOC=1.
 * Without TSCOPE_MALLOC=1 every wrapper only passes the call on.
 *
 * The wrappers call glibc's allocator by its other names (__libc_malloc, ...), which
 * never come back here.  posix_memalign(), aligned_alloc(), mmap() and munmap() have
 * no such names (or, for aligned_alloc(), checks that differ between versions): they
 * are found with dlsym(RTLD_NEXT) on first use, and dlsym() allocates only through
 * malloc() and calloc(), which do not need it.  The runtime's own allocations (its
 * writer thread, its cold path) are not recorded: tscope_memory() tells them apart.
 *
 * Order: a FREE is recorded before the block goes back to glibc, an ALLOC after it came
 * out, so that one address is never in use twice in the trace.  realloc() is a FREE of
 * the old block and an ALLOC of the new one (an UNFREE when it fails and the old block
 * stays).  mmap() counts only anonymous private mappings, in whole pages; munmap() is
 * recorded for any range, and the reader subtracts what it knows was mapped there.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

#include "tscope.h"
#include "compiler.h"

#define WRAP __attribute__((visibility("default"), no_instrument_function))

/* glibc's allocator under its own names */
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t k, size_t n);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t n);
extern void *__libc_valloc(size_t n);
extern void *__libc_pvalloc(size_t n);

static int on; /* TSCOPE_MALLOC=1 */
static uintptr_t page = 4096;
static int (*next_posix_memalign)(void **, size_t, size_t);
static void *(*next_aligned_alloc)(size_t, size_t);
static void *(*next_mmap)(void *, size_t, int, int, int, off_t);
static int (*next_munmap)(void *, size_t);

static TS_NOINSTR void *next(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

static TS_NOINSTR __attribute__((constructor)) void malloc_init(void)
{
	const char *v = getenv("TSCOPE_MALLOC");
	long pg = sysconf(_SC_PAGESIZE);

	if (pg > 0)
		page = (uintptr_t)pg;
	__atomic_store_n(&on, v && strcmp(v, "1") == 0, __ATOMIC_RELEASE);
}

static inline TS_NOINSTR void alloc_event(void *p, size_t n, int origin)
{
	if (TS_UNLIKELY(__atomic_load_n(&on, __ATOMIC_RELAXED)) && p)
		tscope_memory(TSCOPE_MEM_ALLOC, origin, p, n);
}

static inline TS_NOINSTR void free_event(void *p, int origin)
{
	if (TS_UNLIKELY(__atomic_load_n(&on, __ATOMIC_RELAXED)) && p)
		tscope_memory(TSCOPE_MEM_FREE, origin, p, 0);
}

WRAP void *malloc(size_t n)
{
	void *p = __libc_malloc(n);

	alloc_event(p, n, TSCOPE_MEM_MALLOC);
	return p;
}

WRAP void free(void *p)
{
	free_event(p, TSCOPE_MEM_FREE_CALL);
	__libc_free(p);
}

WRAP void *calloc(size_t k, size_t n)
{
	void *p = __libc_calloc(k, n);

	alloc_event(p, k * n, TSCOPE_MEM_CALLOC); /* a product that overflows failed */
	return p;
}

WRAP void *realloc(void *old, size_t n)
{
	void *p;
	int saved;

	free_event(old, TSCOPE_MEM_REALLOC);
	p = __libc_realloc(old, n);
	if (p) {
		alloc_event(p, n, TSCOPE_MEM_REALLOC);
	} else if (old && n && __atomic_load_n(&on, __ATOMIC_RELAXED)) {
		saved = errno;
		tscope_memory(TSCOPE_MEM_UNFREE, TSCOPE_MEM_REALLOC, old, 0);
		errno = saved;
	}
	return p;
}

WRAP void *reallocarray(void *old, size_t k, size_t n)
{
	size_t bytes;

	if (__builtin_mul_overflow(k, n, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(old, bytes);
}

WRAP int posix_memalign(void **out, size_t align, size_t n)
{
	int (*f)(void **, size_t, size_t) = __atomic_load_n(&next_posix_memalign, __ATOMIC_RELAXED);
	int rc;

	if (!f) {
		f = (int (*)(void **, size_t, size_t))next("posix_memalign");
		if (!f)
			return ENOMEM;
		__atomic_store_n(&next_posix_memalign, f, __ATOMIC_RELAXED);
	}
	rc = f(out, align, n);
	if (rc == 0)
		alloc_event(*out, n, TSCOPE_MEM_POSIX_MEMALIGN);
	return rc;
}

WRAP void *aligned_alloc(size_t align, size_t n)
{
	void *(*f)(size_t, size_t) = __atomic_load_n(&next_aligned_alloc, __ATOMIC_RELAXED);
	void *p;

	if (!f) {
		f = (void *(*)(size_t, size_t))next("aligned_alloc");
		if (!f) {
			errno = ENOMEM;
			return NULL;
		}
		__atomic_store_n(&next_aligned_alloc, f, __ATOMIC_RELAXED);
	}
	p = f(align, n);
	alloc_event(p, n, TSCOPE_MEM_ALIGNED_ALLOC);
	return p;
}

WRAP void *memalign(size_t align, size_t n)
{
	void *p = __libc_memalign(align, n);

	alloc_event(p, n, TSCOPE_MEM_MEMALIGN);
	return p;
}

WRAP void *valloc(size_t n)
{
	void *p = __libc_valloc(n);

	alloc_event(p, n, TSCOPE_MEM_VALLOC);
	return p;
}

WRAP void *pvalloc(size_t n)
{
	void *p = __libc_pvalloc(n);

	alloc_event(p, n, TSCOPE_MEM_PVALLOC);
	return p;
}

/* The bytes of the pages that n bytes from p touch. */
static inline TS_NOINSTR size_t pages(const void *p, size_t n)
{
	uintptr_t lo = (uintptr_t)p & ~(page - 1), hi = ((uintptr_t)p + n + page - 1) & ~(page - 1);

	return (size_t)(hi - lo);
}

WRAP void *mmap(void *addr, size_t n, int prot, int flags, int fd, off_t off)
{
	void *(*f)(void *, size_t, int, int, int, off_t) =
	    __atomic_load_n(&next_mmap, __ATOMIC_RELAXED);
	void *p;

	if (!f) {
		f = (void *(*)(void *, size_t, int, int, int, off_t))next("mmap");
		if (!f) {
			errno = ENOSYS;
			return MAP_FAILED;
		}
		__atomic_store_n(&next_mmap, f, __ATOMIC_RELAXED);
	}
	p = f(addr, n, prot, flags, fd, off);
	if (p != MAP_FAILED && (flags & MAP_ANONYMOUS) && (flags & MAP_TYPE) == MAP_PRIVATE) {
		int saved = errno;

		alloc_event(p, pages(p, n), TSCOPE_MEM_MMAP);
		errno = saved;
	}
	return p;
}

WRAP int munmap(void *addr, size_t n)
{
	int (*f)(void *, size_t) = __atomic_load_n(&next_munmap, __ATOMIC_RELAXED);

	if (!f) {
		f = (int (*)(void *, size_t))next("munmap");
		if (!f) {
			errno = ENOSYS;
			return -1;
		}
		__atomic_store_n(&next_munmap, f, __ATOMIC_RELAXED);
	}
	/* before the pages can be mapped again: see the top of this file */
	if (__atomic_load_n(&on, __ATOMIC_RELAXED) && addr && n)
		tscope_memory(TSCOPE_MEM_UNMAP, TSCOPE_MEM_MUNMAP, addr, pages(addr, n));
	return f(addr, n);
}
