/* SPDX-License-Identifier: MIT */
/*
 * symbol.c - a function's address by its name, for the trigger (TSCOPE_TRIGGER): the
 * symbol tables (.symtab, else .dynsym) of the program and of the libraries loaded at
 * start, read from their files.  dlsym() would see only exported symbols, and a
 * program's own functions are not exported.
 *
 * The files are mapped read-only and every offset is checked against the mapping: a
 * damaged file gives no address, never a crash.  Called once, at start.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tscope-int.h"

struct lookup {
	const char *name;
	uintptr_t addr;
};

/* Is [off, off + len) inside a file of size bytes? */
static TS_NOINSTR int inside(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

/* name's value among the function symbols of the table sh (of the image p, size bytes),
 * or 0. */
static TS_NOINSTR uint64_t find_in(const unsigned char *p, uint64_t size, const Elf64_Ehdr *eh,
				   const Elf64_Shdr *sh, const char *name)
{
	const Elf64_Shdr *str;
	size_t len = strlen(name);

	if (sh->sh_link >= eh->e_shnum || sh->sh_entsize != sizeof(Elf64_Sym) ||
	    !inside(sh->sh_offset, sh->sh_size, size))
		return 0;
	str = (const Elf64_Shdr *)(p + eh->e_shoff) + sh->sh_link;
	if (!inside(str->sh_offset, str->sh_size, size))
		return 0;
	for (uint64_t i = 0; i < sh->sh_size / sizeof(Elf64_Sym); i++) {
		const Elf64_Sym *s = (const Elf64_Sym *)(p + sh->sh_offset) + i;
		const char *sn = (const char *)p + str->sh_offset + s->st_name;

		if (ELF64_ST_TYPE(s->st_info) != STT_FUNC || s->st_shndx == SHN_UNDEF ||
		    !s->st_value || s->st_name >= str->sh_size ||
		    str->sh_size - s->st_name <= len || sn[len] || memcmp(sn, name, len) != 0)
			continue;
		return s->st_value;
	}
	return 0;
}

/* name's value in the ELF file path, or 0. */
static TS_NOINSTR uint64_t find_in_file(const char *path, const char *name)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	const unsigned char *p;
	const Elf64_Ehdr *eh;
	uint64_t v = 0, size;

	if (fd < 0)
		return 0;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(*eh)) {
		close(fd);
		return 0;
	}
	size = (uint64_t)st.st_size;
	p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return 0;
	eh = (const Elf64_Ehdr *)p;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_ident[EI_CLASS] == ELFCLASS64 &&
	    eh->e_shentsize == sizeof(Elf64_Shdr) &&
	    inside(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr), size)) {
		/* .symtab has every function; .dynsym (all a stripped file keeps) the
		 * exported ones */
		for (int want = SHT_SYMTAB; !v && want; want = want == SHT_SYMTAB ? SHT_DYNSYM : 0)
			for (unsigned i = 0; i < eh->e_shnum && !v; i++) {
				const Elf64_Shdr *sh = (const Elf64_Shdr *)(p + eh->e_shoff) + i;

				if (sh->sh_type == (unsigned)want)
					v = find_in(p, size, eh, sh, name);
			}
	}
	munmap((void *)(uintptr_t)p, size);
	return v;
}

static TS_NOINSTR int each_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct lookup *l = arg;
	const char *path = info->dlpi_name;
	uint64_t v;

	(void)size;
	if (!path || !*path)
		path = "/proc/self/exe"; /* the program itself comes first, unnamed */
	v = find_in_file(path, l->name);
	if (!v)
		return 0;
	l->addr = (uintptr_t)(info->dlpi_addr + v);
	return 1;
}

/* The address of the function name in the program or a library loaded now, or 0. */
TS_NOINSTR uintptr_t tscope__symbol_lookup(const char *name)
{
	struct lookup l = { name, 0 };

	dl_iterate_phdr(each_object, &l);
	return l.addr;
}
