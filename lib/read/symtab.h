/* SPDX-License-Identifier: MIT */
/*
 * symtab.h - the offline symbolizer: ELF function symbols by address, per file and per
 * traced process.
 *
 * struct symtab holds the function symbols of one ELF file (symtab.c, over elf.c's
 * parsing); struct symbolizer maps the runtime addresses of one traced process to
 * names through the modules the runtime recorded (symbolizer.c), opening each file
 * lazily (symbolizer-file.c).  Files are untrusted input: a malformed one is
 * refused or yields no name, never a crash or a wrong name.  Nothing here prints.
 * Neither object is thread-safe; use one per thread or lock around it.
 */
#ifndef TSCOPE_SYMTAB_H
#define TSCOPE_SYMTAB_H

#include <stddef.h>
#include <stdint.h>

struct symtab;	   /* the function symbols of one ELF file */
struct symbolizer; /* maps runtime addresses of one process to names */

/*
 * Open the ELF64 little-endian file at path (ET_EXEC or ET_DYN) and index its function
 * symbols: .symtab, or .dynsym when .symtab is absent or has none.  The file is mapped
 * read-only and stays mapped until symtab_close().
 * Returns 0 and sets *out; TSCOPE_EIO if the file cannot be opened or read (errno tells
 * why), TSCOPE_EFORMAT if it is not a regular file or not a well-formed ELF64 LE file,
 * TSCOPE_ENOMEM, or TSCOPE_EINVAL for NULL arguments.  On failure *out is NULL.
 */
int symtab_open(const char *path, struct symtab **out);

/*
 * As symtab_open(), from the size bytes at data (for tests and fuzzing).  The bytes are
 * copied: nothing points into data after the call returns.
 */
int symtab_open_mem(const void *data, size_t size, struct symtab **out);

/*
 * The name of the function whose [st_value, st_value + st_size) contains vaddr, an ELF
 * virtual address (runtime address minus load bias), or NULL if none.  When functions
 * nest or overlap, the one that starts last wins.  Aliases at one address answer with
 * one name, chosen by a GLOBAL symbol over a LOCAL or WEAK one, then the shortest name,
 * then the first in strcmp() order (a longer alias still answers past the chosen one's
 * end).  If off is not NULL, *off is set to vaddr minus the function's start (and left
 * alone on NULL).  The string lives as long as st.  O(log n).
 */
const char *symtab_lookup(const struct symtab *st, uint64_t vaddr, uint64_t *off);

/*
 * As symtab_lookup(), the name to show: demangled if it is a C++ name and a demangler
 * is available (see demangle.h), once per symbol and kept in st; the symbol's own name
 * otherwise.  NULL if none, or st is NULL.
 */
const char *symtab_lookup_shown(struct symtab *st, uint64_t vaddr);

/*
 * The file's GNU build id (the NT_GNU_BUILD_ID note of a PT_NOTE segment, else of a
 * SHT_NOTE section).  Sets *len to its size in bytes, 0 (and returns NULL) if it has
 * none.  The bytes live as long as st.
 */
const uint8_t *symtab_build_id(const struct symtab *st, size_t *len);

/*
 * The NUL-terminated string at ELF virtual address vaddr, read from the file bytes of a
 * PT_LOAD segment; at most max bytes are examined, the NUL included.  Returns NULL if
 * vaddr is not file-backed or the string does not end in time.  Lives as long as st.
 */
const char *symtab_string_at(const struct symtab *st, uint64_t vaddr, size_t max);

/* Unmap and free st.  NULL is a no-op. */
void symtab_close(struct symtab *st);

/* A new, empty symbolizer, or NULL when out of memory. */
struct symbolizer *symbolizer_new(void);

/*
 * Register a loaded module as the runtime recorded it: runtime addresses [lo, hi) belong
 * to it, and ELF vaddr = addr - bias.  path is the file; build_id (build_id_len bytes,
 * possibly 0) is the id the runtime saw in memory.  Both are copied.  When modules
 * overlap (a library unloaded and another loaded in its place), the one registered last
 * wins.  The file is opened at the first lookup that lands in the module; if it is
 * missing, unreadable, malformed, or its build id differs from a non-empty recorded one,
 * lookups there give NULL and the warning callback is called once for that file.
 * Modules with the same path and build id share one open file.
 * Returns 0, TSCOPE_EINVAL (NULL s or path, lo >= hi, NULL build_id with a length) or
 * TSCOPE_ENOMEM.
 */
int symbolizer_add_module(struct symbolizer *s, const char *path, uint64_t bias, uint64_t lo,
			  uint64_t hi, const uint8_t *build_id, size_t build_id_len);

/*
 * The name of the function containing runtime address addr: demangled if it is a C++
 * name and a demangler is available (see demangle.h), the symbol's own name otherwise;
 * NULL if unknown.  The string lives as long as s.  O(log modules + log symbols) once
 * the module's file is open.
 */
const char *symbolizer_lookup(struct symbolizer *s, uint64_t addr);

/* The same, in the module of the given index (the order of successful
 * symbolizer_add_module() calls, from 0), whatever else is registered at addr. */
const char *symbolizer_lookup_in(struct symbolizer *s, size_t module, uint64_t addr);

/*
 * The same two, but the name as the symbol table has it: a C++ name mangled
 * ("_ZN3foo3barEi"), for formats that keep both (pprof's system_name).
 */
const char *symbolizer_symbol(struct symbolizer *s, uint64_t addr);
const char *symbolizer_symbol_in(struct symbolizer *s, size_t module, uint64_t addr);

/*
 * The NUL-terminated string at runtime address addr (a string literal, say), read from
 * the module's file with at most max bytes examined; NULL if unknown.  Lives as long as s.
 */
const char *symbolizer_string(struct symbolizer *s, uint64_t addr, size_t max);

/*
 * Set the callback for problems with a module's file: warn(ctx, path, what), where what
 * is a short lowercase description ("build id differs from the recorded one").  The
 * strings are valid only during the call.  Without a callback problems are silent.
 */
void symbolizer_set_warn(struct symbolizer *s,
			 void (*warn)(void *ctx, const char *path, const char *what), void *ctx);

/*
 * Where to look for the recorded files, for traces whose binaries moved or were rebuilt
 * since (a kept copy).  For a file recorded at path: with a binary map entry whose old
 * path equals path (or its base name), that file alone; else under each symfs directory,
 * DIR/.build-id/xx/rest.debug (its recorded build id), DIR/path and DIR/basename(path);
 * then path itself.  The first candidate that opens and has the recorded build id (when
 * one was recorded) is used: a copy of another build is never used, so names are never
 * wrong.  The strings must outlive s.
 */
struct sym_paths {
	const char *const *symfs; /* directories, nsymfs of them */
	size_t nsymfs;
	const char *const *bin_old, *const *bin_new; /* the binary map, nbin pairs */
	size_t nbin;
};

/* Use p (which must outlive s; NULL for none) to find the files. */
void symbolizer_set_paths(struct symbolizer *s, const struct sym_paths *p);

/*
 * The file and ELF virtual address of runtime address addr (in the module of the given
 * index, or SIZE_MAX for the one registered at addr): for naming an address with no
 * symbol as file+offset, usable with addr2line.  NULL when addr is in no module.
 */
const char *symbolizer_where(struct symbolizer *s, size_t module, uint64_t addr, uint64_t *vaddr);

/* Close every file and free s.  NULL is a no-op. */
void symbolizer_free(struct symbolizer *s);

#endif /* TSCOPE_SYMTAB_H */
