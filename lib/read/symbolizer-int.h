/* SPDX-License-Identifier: MIT */
/*
 * symbolizer-int.h - the inside of struct symbolizer (see symtab.h), shared by
 * symbolizer.c (modules, their address ranges, the lookups) and symbolizer-file.c
 * (finding, opening and checking each module's file).  Private to those two files.
 *
 * A file is known by its recorded path and build id; modules with the same pair share
 * it.  A file is opened once, at the first lookup in one of its modules, and then
 * stays open (FILE_OPEN) or unusable (FILE_BAD).
 */
#ifndef TSCOPE_SYMBOLIZER_INT_H
#define TSCOPE_SYMBOLIZER_INT_H

#include <stddef.h>
#include <stdint.h>

#include "symtab.h"

enum { FILE_NEW, FILE_OPEN, FILE_BAD };

/* One file, identified by path and recorded build id, shared by its modules. */
struct sym_file {
	char *path;
	uint8_t *build_id; /* as recorded; NULL when build_id_len is 0 */
	size_t build_id_len;
	uint64_t hash;	   /* of path and build id */
	struct symtab *st; /* when state is FILE_OPEN */
	int state;
};

struct sym_module {
	uint64_t bias, lo, hi; /* ELF vaddr = addr - bias, for addr in [lo, hi) */
	size_t file;	       /* index into files */
};

/* A piece of the address space owned by one module. */
struct sym_range {
	uint64_t lo, hi;
	size_t module; /* index into mods */
};

struct symbolizer {
	struct sym_file *files;
	size_t nfiles, files_cap;
	size_t *slots; /* open addressing over files: index + 1, 0 = empty */
	size_t slots_cap;
	struct sym_module *mods; /* in registration order */
	size_t nmods, mods_cap;
	struct sym_range *ranges; /* sorted, disjoint; rebuilt when stale */
	size_t nranges;
	int stale;
	void (*warn)(void *ctx, const char *path, const char *what);
	void *warn_ctx;
	const struct sym_paths *paths;
};

/*
 * The symtab of file i, opened and checked against the recorded build id on first use
 * (a kept copy first, see symbolizer_set_paths()); NULL when the file is unusable.  A
 * file that fails is reported once, through the warning callback, and stays unusable.
 */
struct symtab *symbolizer_file_symtab(struct symbolizer *s, size_t i);

#endif /* TSCOPE_SYMBOLIZER_INT_H */
