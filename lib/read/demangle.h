/* SPDX-License-Identifier: MIT */
/*
 * demangle.h - C++ (Itanium ABI) name demangling without a link dependency on a C++
 * runtime: the demangler is looked up at run time.
 */
#ifndef TSCOPE_DEMANGLE_H
#define TSCOPE_DEMANGLE_H

/*
 * Demangle name, a C++ symbol in the Itanium ABI ("_ZN3foo3barEi" gives
 * "foo::bar(int)"), with __cxa_demangle: the process's own if it has one, else the one
 * in libstdc++.so.6 (or libc++abi.so.1) loaded with dlopen on first use.
 * Returns a malloc'd string the caller frees, or NULL if name is NULL, is not a mangled
 * C++ symbol (it must start with "_Z"), is invalid, or no demangler is available.
 * Thread-safe.
 */
char *demangle(const char *name);

#endif /* TSCOPE_DEMANGLE_H */
