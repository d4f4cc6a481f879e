/* SPDX-License-Identifier: MIT */
/*
 * compiler.h - the GNU C extensions the project uses, behind one set of names.
 * Included by the runtime and the offline code alike; never by include/tscope.h.
 */
#ifndef TSCOPE_COMPILER_H
#define TSCOPE_COMPILER_H

#define TS_LIKELY(x)   __builtin_expect(!!(x), 1)
#define TS_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define TS_COLD        __attribute__((cold, noinline))
#define TS_NOINSTR     __attribute__((no_instrument_function))
#define TS_HIDDEN      __attribute__((visibility("hidden")))
#define TS_TLS_IE      __attribute__((tls_model("initial-exec")))
#define TS_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define TS_UNUSED      __attribute__((unused))

/* Relaxed atomics: plain loads and stores on x86-64 and aarch64, but race-free C11. */
#define TS_LOAD(x)     __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define TS_STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define TS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* *v += n, returning the old value: one instruction on x86-64, so that a signal handler
 * of the same thread sees it done or not done (not atomic between threads). */
static inline __attribute__((no_instrument_function)) unsigned long
ts_xadd(unsigned long *v, unsigned long n)
{
#if defined(__x86_64__)
	__asm__ __volatile__("xaddq %0, %1" : "+r"(n), "+m"(*v));
	return n;
#else
	return __atomic_fetch_add(v, n, __ATOMIC_RELAXED);
#endif
}

#endif /* TSCOPE_COMPILER_H */
