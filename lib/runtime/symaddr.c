/* SPDX-License-Identifier: MIT */
/*
 * symaddr.c - the name of the function at a runtime address, for the record-time
 * filters (filter.c): the symbol tables (.symtab, else .dynsym) of the loaded object
 * that holds the address, read from its file.  dladdr() would see exported symbols
 * only, and a program's own functions are not exported.
 *
 * An object is read once, when one of its addresses is first asked for: its file is
 * mapped read-only (the names point into the mapping) and its function symbols are
 * sorted by address.  So an object loaded later by dlopen() is covered as soon as one
 * of its functions runs.  At a session's start every object loaded then is read
 * (tscope__symaddr_read_all).  Every offset is checked against the mapping: a damaged
 * file gives no names, never a crash.  Used by the writer only, with the file's lock
 * held.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tscope-int.h"

#define OBJS_MAX 256 /* objects read; past that, addresses go unnamed */

struct sym {
	uint64_t value, size; /* ELF virtual address and size */
	const char *name;
};

struct obj {
	uintptr_t bias, lo, hi; /* runtime addresses [lo, hi) */
	const unsigned char *map;
	uint64_t map_size;
	struct sym *syms; /* by value */
	size_t n;
};

static struct {
	struct obj objs[OBJS_MAX];
	unsigned n;
} sa;

/* Is [off, off + len) inside a file of size bytes? */
static TS_NOINSTR int inside(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

static TS_NOINSTR int sym_cmp(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	return x->value < y->value ? -1 : x->value > y->value;
}

/* The function symbols of the table sh into o->syms. */
static TS_NOINSTR void read_table(struct obj *o, const Elf64_Ehdr *eh, const Elf64_Shdr *sh)
{
	const unsigned char *p = o->map;
	const Elf64_Shdr *str;
	uint64_t count;

	if (sh->sh_link >= eh->e_shnum || sh->sh_entsize != sizeof(Elf64_Sym) ||
	    !inside(sh->sh_offset, sh->sh_size, o->map_size))
		return;
	str = (const Elf64_Shdr *)(p + eh->e_shoff) + sh->sh_link;
	if (!inside(str->sh_offset, str->sh_size, o->map_size) || !str->sh_size ||
	    p[str->sh_offset + str->sh_size - 1] != 0)
		return; /* names must end inside the table */
	count = sh->sh_size / sizeof(Elf64_Sym);
	o->syms = malloc(count * sizeof(*o->syms) + 1);
	if (!o->syms)
		return;
	for (uint64_t i = 0; i < count; i++) {
		const Elf64_Sym *s = (const Elf64_Sym *)(p + sh->sh_offset) + i;

		if (ELF64_ST_TYPE(s->st_info) != STT_FUNC || s->st_shndx == SHN_UNDEF ||
		    !s->st_value || s->st_name >= str->sh_size)
			continue;
		o->syms[o->n].value = s->st_value;
		o->syms[o->n].size = s->st_size;
		o->syms[o->n].name = (const char *)p + str->sh_offset + s->st_name;
		o->n++;
	}
	qsort(o->syms, o->n, sizeof(*o->syms), sym_cmp);
}

/* Map the file path of o and read its symbols; o stays without any on failure. */
static TS_NOINSTR void read_obj(struct obj *o, const char *path)
{
	int fd = tscope__open(path, O_RDONLY | O_CLOEXEC, 0);
	struct stat st;
	const Elf64_Ehdr *eh;
	void *p;

	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(*eh)) {
		tscope__close(fd);
		return;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	tscope__close(fd);
	if (p == MAP_FAILED)
		return;
	o->map = p;
	o->map_size = (uint64_t)st.st_size;
	eh = p;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    !inside(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr), o->map_size))
		return;
	/* .symtab has every function; .dynsym (all a stripped file keeps) the exported ones */
	for (int want = SHT_SYMTAB; !o->n && want; want = want == SHT_SYMTAB ? SHT_DYNSYM : 0)
		for (unsigned i = 0; i < eh->e_shnum && !o->n; i++) {
			const Elf64_Shdr *sh = (const Elf64_Shdr *)(o->map + eh->e_shoff) + i;

			if (sh->sh_type == (unsigned)want) {
				free(o->syms);
				o->syms = NULL;
				read_table(o, eh, sh);
			}
		}
}

struct find {
	uintptr_t addr; /* 0: every object not read yet */
	struct obj *o;
};

/* dl_iterate_phdr(): the object whose PT_LOAD segments hold f->addr is read. */
static TS_NOINSTR int each_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct find *f = arg;
	uintptr_t lo = UINTPTR_MAX, hi = 0;
	int hit = 0;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t a = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type != PT_LOAD)
			continue;
		if (a < lo)
			lo = a;
		if (a + ph->p_memsz > hi)
			hi = a + ph->p_memsz;
		hit |= f->addr >= a && f->addr - a < ph->p_memsz;
	}
	if (!f->addr) { /* read them all: this one unless it is already */
		for (unsigned i = 0; i < sa.n; i++)
			if (sa.objs[i].lo == lo && sa.objs[i].bias == info->dlpi_addr)
				return 0;
		hit = 1;
	}
	if (!hit || sa.n == OBJS_MAX)
		return f->addr && hit;
	f->o = &sa.objs[sa.n++];
	memset(f->o, 0, sizeof(*f->o));
	f->o->bias = info->dlpi_addr;
	f->o->lo = lo;
	f->o->hi = hi;
	/* the program itself comes first, unnamed */
	read_obj(f->o, info->dlpi_name && *info->dlpi_name ? info->dlpi_name : "/proc/self/exe");
	return 1;
}

/* The name of the function symbol that holds addr, or NULL. */
TS_NOINSTR const char *tscope__symaddr(uintptr_t addr)
{
	struct find f = { addr, NULL };
	uint64_t v;
	size_t lo = 0, hi;

	for (unsigned i = 0; i < sa.n && !f.o; i++)
		if (addr >= sa.objs[i].lo && addr < sa.objs[i].hi)
			f.o = &sa.objs[i];
	if (!f.o)
		dl_iterate_phdr(each_object, &f);
	if (!f.o || !f.o->n)
		return NULL;
	v = addr - f.o->bias;
	hi = f.o->n;
	while (hi - lo > 1) { /* the last symbol at or below v */
		size_t mid = lo + (hi - lo) / 2;

		if (f.o->syms[mid].value <= v)
			lo = mid;
		else
			hi = mid;
	}
	if (f.o->syms[lo].value > v ||
	    (v - f.o->syms[lo].value >= f.o->syms[lo].size && v != f.o->syms[lo].value))
		return NULL;
	return f.o->syms[lo].name;
}

/* Read every object loaded now: at a session's start, so that the writer opens no file
 * while the program runs (an open takes the lowest free descriptor number for a
 * moment, which the program may be about to get).  Objects loaded later are read
 * when first asked for. */
TS_NOINSTR void tscope__symaddr_read_all(void)
{
	struct find f = { 0, NULL };

	dl_iterate_phdr(each_object, &f);
}

/* Objects were unloaded (dlclose): what was read of every object goes, names too. */
TS_NOINSTR void tscope__symaddr_forget(void)
{
	for (unsigned i = 0; i < sa.n; i++) {
		free(sa.objs[i].syms);
		if (sa.objs[i].map)
			munmap((void *)(uintptr_t)sa.objs[i].map, sa.objs[i].map_size);
	}
	sa.n = 0;
}
