/* SPDX-License-Identifier: MIT */
/*
 * exec.c - the exec() family, passed through by the shared library.
 *
 * A new image starts with nothing of the old one: the events still in its buffers
 * would be lost, and a file it claimed under `tscope record` (a wrapper such as
 * sh -c, env or taskset, which records nothing) would stay without its END chunk.
 * So before the real call the session stops (tscope__exec_prepare(): the file is
 * completed, or given back if it holds no event), and resumes if the call fails; errno
 * is the call's.  glibc's execvp() and the others do not go through execve()'s PLT
 * entry, so each one is passed through; the variadic execl*() gather their arguments
 * on the stack and call the v-variant.  Nothing here allocates, and a vfork() child
 * touches nothing of the session (see tscope__exec_prepare()).
 *
 * Only the shared library has these: a program that links libtscope.a keeps the C
 * library's, and an exec() loses its last buffers.  posix_spawn(), system() and
 * popen() start a new process, whose image claims a file of its own.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <alloca.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <unistd.h>

#include "tscope-int.h"

#ifdef PIC
typedef int (*execve_fn)(const char *, char *const[], char *const[]);
typedef int (*execv_fn)(const char *, char *const[]);
typedef int (*fexecve_fn)(int, char *const[], char *const[]);

enum { R_EXECVE, R_EXECV, R_EXECVP, R_EXECVPE, R_FEXECVE, R_N };

static const char *const real_name[R_N] = { "execve", "execv", "execvp", "execvpe", "fexecve" };
static void *real[R_N];

/* The C library's function i; found at load time (below), or at the first call if an
 * exec() comes before this library's constructor. */
static TS_NOINSTR void *real_fn(int i)
{
	void *f = __atomic_load_n(&real[i], __ATOMIC_ACQUIRE);

	if (!f) {
		f = dlsym(RTLD_NEXT, real_name[i]);
		__atomic_store_n(&real[i], f, __ATOMIC_RELEASE);
	}
	return f;
}

__attribute__((constructor)) static TS_NOINSTR void exec_resolve(void)
{
	for (int i = 0; i < R_N; i++)
		real_fn(i);
}

/* After the real call returned (it failed): recording resumes, errno is the call's. */
static TS_NOINSTR int failed(int stopped, int rc)
{
	int e = errno;

	tscope__exec_failed(stopped);
	errno = e;
	return rc;
}

TSCOPE_API TS_NOINSTR int execve(const char *path, char *const argv[], char *const envp[])
{
	execve_fn f = (execve_fn)real_fn(R_EXECVE);
	int stopped;

	if (!f)
		return errno = ENOSYS, -1;
	stopped = tscope__exec_prepare();
	return failed(stopped, f(path, argv, envp));
}

TSCOPE_API TS_NOINSTR int execv(const char *path, char *const argv[])
{
	execv_fn f = (execv_fn)real_fn(R_EXECV);
	int stopped;

	if (!f)
		return errno = ENOSYS, -1;
	stopped = tscope__exec_prepare();
	return failed(stopped, f(path, argv));
}

TSCOPE_API TS_NOINSTR int execvp(const char *file, char *const argv[])
{
	execv_fn f = (execv_fn)real_fn(R_EXECVP);
	int stopped;

	if (!f)
		return errno = ENOSYS, -1;
	stopped = tscope__exec_prepare();
	return failed(stopped, f(file, argv));
}

TSCOPE_API TS_NOINSTR int execvpe(const char *file, char *const argv[], char *const envp[])
{
	execve_fn f = (execve_fn)real_fn(R_EXECVPE);
	int stopped;

	if (!f)
		return errno = ENOSYS, -1;
	stopped = tscope__exec_prepare();
	return failed(stopped, f(file, argv, envp));
}

TSCOPE_API TS_NOINSTR int fexecve(int fd, char *const argv[], char *const envp[])
{
	fexecve_fn f = (fexecve_fn)real_fn(R_FEXECVE);
	int stopped;

	if (!f)
		return errno = ENOSYS, -1;
	stopped = tscope__exec_prepare();
	return failed(stopped, f(fd, argv, envp));
}

/* The arguments of execl(), execlp() and execle() after arg0, up to the NULL, as an
 * argv on the caller's stack (a macro: alloca() must be in the caller's frame); with
 * with_env, the pointer after the NULL goes to envp. */
#define GATHER_ARGS(argv, arg0, with_env, envp)                                 \
	do {                                                                    \
		va_list ap_;                                                    \
		size_t n_ = 1;                                                  \
                                                                                \
		va_start(ap_, arg0);                                            \
		while (va_arg(ap_, char *))                                     \
			n_++;                                                   \
		va_end(ap_);                                                    \
		(argv) = alloca((n_ + 1) * sizeof(char *));                     \
		(argv)[0] = (char *)(uintptr_t)(arg0);                          \
		va_start(ap_, arg0);                                            \
		for (size_t i_ = 1; i_ <= n_; i_++)                             \
			(argv)[i_] = va_arg(ap_, char *); /* the last is NULL */ \
		if (with_env)                                                   \
			(envp) = va_arg(ap_, char *const *);                    \
		va_end(ap_);                                                    \
	} while (0)

TSCOPE_API TS_NOINSTR int execl(const char *path, const char *arg, ...)
{
	char **argv;
	char *const *envp = NULL;

	GATHER_ARGS(argv, arg, 0, envp);
	(void)envp;
	return execv(path, argv);
}

TSCOPE_API TS_NOINSTR int execlp(const char *file, const char *arg, ...)
{
	char **argv;
	char *const *envp = NULL;

	GATHER_ARGS(argv, arg, 0, envp);
	(void)envp;
	return execvp(file, argv);
}

TSCOPE_API TS_NOINSTR int execle(const char *path, const char *arg, ...)
{
	char **argv;
	char *const *envp = NULL;

	GATHER_ARGS(argv, arg, 1, envp);
	return execve(path, argv, envp);
}
#else
typedef int tscope__exec_static; /* libtscope.a: the C library's exec() family */
#endif
