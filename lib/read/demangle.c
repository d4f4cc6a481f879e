/* SPDX-License-Identifier: MIT */
/*
 * demangle.c - C++ demangling through a __cxa_demangle found at run time.
 *
 * The offline tools are C programs and must not depend on a C++ runtime, so the
 * demangler is looked up once with dlsym, loading libstdc++ with dlopen if the process
 * has none.  The library is never unloaded.  Names come from untrusted files; only
 * symbols that start with "_Z" are passed on, because __cxa_demangle also accepts bare
 * type encodings and would turn a C function named "f" into "float".
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "demangle.h"

typedef char *(*cxa_demangle_fn)(const char *name, char *buf, size_t *len, int *status);

static pthread_once_t demangle_once = PTHREAD_ONCE_INIT;
static cxa_demangle_fn demangler;

static void demangle_init(void)
{
	static const char *const libs[] = { "libstdc++.so.6", "libc++abi.so.1" };
	void *sym, *lib;
	size_t i;

	sym = dlsym(RTLD_DEFAULT, "__cxa_demangle");
	for (i = 0; !sym && i < sizeof(libs) / sizeof(libs[0]); i++) {
		lib = dlopen(libs[i], RTLD_LAZY | RTLD_LOCAL);
		if (lib)
			sym = dlsym(lib, "__cxa_demangle");
	}
	demangler = (cxa_demangle_fn)sym;
}

char *demangle(const char *name)
{
	char *out;
	int status = -1;

	if (!name || strncmp(name, "_Z", 2) != 0)
		return NULL;
	if (pthread_once(&demangle_once, demangle_init) != 0 || !demangler)
		return NULL;
	out = demangler(name, NULL, NULL, &status);
	if (status != 0) {
		free(out);
		return NULL;
	}
	return out;
}
