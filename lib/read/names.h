/* SPDX-License-Identifier: MIT */
/*
 * names.h - interned strings: every distinct name (a function, a scope, a frame of a
 * folded stack) stored once and known by a small dense id, so that the layers above
 * compare, hash and index names as integers.  Private to the offline side.
 *
 * One set may serve several traces (a process tree), so that one name has one id
 * across all of them.  Ids are never reused nor moved: an id and the string it gives
 * stay valid until the set is freed.  Id 0 is always "?", the name of what could not
 * be named for want of memory.  Nothing here prints or exits.
 */
#ifndef TSCOPE_NAMES_H
#define TSCOPE_NAMES_H

#include <stddef.h>
#include <stdint.h>

struct names; /* a set of strings, each with a small dense id */

/* A new set holding only id 0, "?" (what a name is when memory ran out).  NULL: no memory. */
struct names *names_new(void);

/* Free the set and its strings.  NULL is a harmless no-op. */
void names_free(struct names *n);

/*
 * The id of the len bytes at s (any bytes, NULs included), added if new.  Returns 0 and
 * sets *id, or TSCOPE_ENOMEM.
 */
int names_intern(struct names *n, const char *s, size_t len, uint32_t *id);

/*
 * The string of id (NUL-terminated, *len bytes when len is not NULL).  An id that is
 * not below names_count() gives "?", id 0.
 */
const char *names_str(const struct names *n, uint32_t id, size_t *len);

/* How many ids there are: they are 0 .. count - 1. */
size_t names_count(const struct names *n);

#endif /* TSCOPE_NAMES_H */
