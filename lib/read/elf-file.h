/* SPDX-License-Identifier: MIT */
/*
 * elf-file.h - a bounds-checked view of an ELF64 little-endian file held in memory.
 *
 * The bytes are untrusted.  Every accessor validates offsets and sizes against the image
 * with overflow-safe arithmetic and copies headers into aligned locals, so a malformed
 * file gives an error or "not found", never an out-of-bounds read.  Only what the
 * symbolizer needs is here: function symbols, the GNU build id, and the file bytes
 * behind a virtual address.  Nothing here allocates, prints or keeps state.
 */

#ifndef TSCOPE_ELF_H
#define TSCOPE_ELF_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>

/* A validated ELF image: the header tables are known to lie inside data[0, size). */
struct elf {
	const uint8_t *data; /* the whole file, owned by the caller */
	size_t size;	     /* bytes */
	uint64_t shoff;	     /* section header table */
	uint64_t shnum;	     /* real count (extended numbering resolved) */
	uint64_t shentsize;  /* stride, >= sizeof(Elf64_Shdr) when shnum > 0 */
	uint64_t phoff;	     /* program header table */
	uint64_t phnum;	     /* real count (PN_XNUM resolved) */
	uint64_t phentsize;  /* stride, >= sizeof(Elf64_Phdr) when phnum > 0 */
};

/* One symbol table and its string table, as found by elf_symbols(). */
struct elf_symtab {
	const uint8_t *syms; /* first entry */
	uint64_t count;	     /* entries */
	uint64_t entsize;    /* stride, >= sizeof(Elf64_Sym) */
	const char *str;     /* string table */
	uint64_t strsize;    /* bytes */
};

/*
 * Check the ELF header of data[0, size) and locate its section and program header
 * tables.  Accepts ELF64 little-endian ET_EXEC and ET_DYN files of any machine.  Every
 * section that occupies file bytes must lie inside the file.  Fills *e (which refers to
 * data, so data must outlive it).
 * Returns 0, or TSCOPE_EFORMAT for anything malformed or unsupported.
 */
int elf_init(struct elf *e, const void *data, size_t size);

/* Copy section header i (i < e->shnum) into *sh. */
void elf_section(const struct elf *e, uint64_t i, Elf64_Shdr *sh);

/* Copy program header i (i < e->phnum) into *ph. */
void elf_segment(const struct elf *e, uint64_t i, Elf64_Phdr *ph);

/*
 * Find the first section of type (SHT_SYMTAB or SHT_DYNSYM) with a usable layout and a
 * string table (sh_link) of type SHT_STRTAB.  Returns 1 and fills *t, or 0 if there is
 * none.
 */
int elf_symbols(const struct elf *e, uint32_t type, struct elf_symtab *t);

/*
 * Read entry i (i < t->count) into *sym.  Returns 1 and sets *name if it is a defined
 * function (STT_FUNC or STT_GNU_IFUNC, st_size > 0, st_shndx != SHN_UNDEF, value + size
 * not wrapping) with a non-empty name terminated inside the string table; 0 otherwise.
 */
int elf_function(const struct elf_symtab *t, uint64_t i, Elf64_Sym *sym, const char **name);

/*
 * The GNU build id: the first NT_GNU_BUILD_ID note of owner "GNU" in a PT_NOTE segment,
 * else in a SHT_NOTE section.  Returns a pointer into the image and sets *len, or
 * returns NULL with *len = 0.
 */
const uint8_t *elf_build_id(const struct elf *e, size_t *len);

/*
 * The NUL-terminated string at virtual address vaddr, in the file-backed part of a
 * PT_LOAD segment; at most max bytes are examined, the NUL included.  Returns a pointer
 * into the image, or NULL if vaddr is not file-backed or no NUL comes in time.
 */
const char *elf_string_at(const struct elf *e, uint64_t vaddr, size_t max);

#endif /* TSCOPE_ELF_H */
