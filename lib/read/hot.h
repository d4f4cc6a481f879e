/* SPDX-License-Identifier: MIT */
/*
 * hot.h - the functions that cost less than their own tracing: called often, and
 * short on average.  gcc's -finstrument-functions instruments every function before
 * inlining, so a tiny static inline helper (a memory read, a hash) becomes a call of
 * the hooks at every use: it can make most of a trace's events and slow the program
 * several times.  `tscope exclude-list` turns them into compiler flags that leave
 * them out; `tscope record` says at exit when they make most of the events.
 * Private to the offline side; nothing here prints.
 */
#ifndef TSCOPE_HOT_H
#define TSCOPE_HOT_H

#include <stddef.h>
#include <stdint.h>

#include "profile.h"

#define HOT_MIN_CALLS 1000 /* default: calls a function needs to count as hot */
#define HOT_MAX_MEAN  50   /* default: ns; a hot function's calls are shorter on average */

/* One hot function. */
struct hot_fn {
	uint32_t name;	      /* name id */
	uint64_t calls, mean; /* mean: ns per call, callees included (profile_mean()) */
};

/* The hot functions of a profile, and what they weigh. */
struct hot_set {
	struct hot_fn *fn; /* most calls first, then by name */
	size_t n, cap;
	uint64_t calls;	    /* calls of every function (scopes are not counted) */
	uint64_t hot_calls; /* of the n hot ones */
};

/*
 * Fill h from p (profile_rows() done for names 0 .. names_count(names) - 1): the
 * functions (not scopes) called at least min_calls times whose calls last less than
 * max_mean ns on average.  Returns 0 or TSCOPE_ENOMEM.  h must be zeroed before its
 * first use; hot_free() releases it.
 */
int hot_find(struct hot_set *h, const struct profile *p, const struct names *names,
	     uint64_t min_calls, uint64_t max_mean);
void hot_free(struct hot_set *h);

/*
 * The entry of gcc's -finstrument-functions-exclude-function-list that names the
 * function called name (len bytes, as the reports show it: C++ demangled), in out
 * (size bytes; 2 * len + 8 are always enough).  gcc compares each entry with the
 * function's name as gcc prints it, by substring (strstr); for C that is the
 * identifier, for C++ the qualified name without return type and parameters, with
 * template arguments as gcc writes them ("std::vector<int>::size", where the demangler
 * says "std::vector<int, std::allocator<int> >::size() const").  So the entry is the
 * part of the name that reads the same in both: "MEM_read64" (a clone suffix such as
 * ".constprop.0" dropped), "ns::K::get", ">::size", "ns::twice<"; a comma is written
 * "\,", as gcc reads it.  Returns the entry's length, or 0 with *why set when the
 * function cannot be named there (an address, a lambda, a mangled name).
 */
size_t hot_gcc_entry(const char *name, size_t len, char *out, size_t size, const char **why);

/*
 * The function part of a name as hot_gcc_entry() sees it, to check which recorded
 * functions an entry matches: the name without clone suffix, return type and
 * parameters ("std::vector<int, std::allocator<int> >::size").  Returns its length in
 * out (size bytes; len + 1 are enough).
 */
size_t hot_gcc_subject(const char *name, size_t len, char *out, size_t size);

/*
 * The quick look `tscope record` takes at a trace after the run: read at most
 * max_events of its events (the threads in order; the rest is not read), find the hot
 * functions among them, into h, with their names in names.  *events is set to the
 * events read, *whole to whether that was all of them.  Returns 0 or a TSCOPE_E* code
 * (the trace cannot be read, no memory).
 */
int hot_scan(const char *path, uint64_t max_events, struct names *names, struct hot_set *h,
	     uint64_t *events, int *whole);

#endif /* TSCOPE_HOT_H */
