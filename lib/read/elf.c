/* SPDX-License-Identifier: MIT */
/*
 * elf.c - raw ELF64 little-endian parsing for the offline symbolizer.
 *
 * The input is untrusted: it may be truncated, corrupted or crafted.  Every offset and
 * size is checked against the image before use, in the overflow-safe form
 * "len <= size - off" (never "off + len <= size"), and headers are memcpy'd into locals
 * because the image need not be aligned.  This file only reads; it never allocates,
 * prints or keeps state.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "elf-file.h"
#include "tscope.h"

/* Fields are read by memcpy into host structs, which only matches the file on LE hosts. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ELF_HOST_LE 1
#else
#define ELF_HOST_LE 0
#endif

/* 1 if [off, off + len) lies inside the image. */
static int in_file(const struct elf *e, uint64_t off, uint64_t len)
{
	return off <= e->size && len <= e->size - off;
}

int elf_init(struct elf *e, const void *data, size_t size)
{
	Elf64_Ehdr eh;
	Elf64_Shdr sh;
	uint64_t i;

	memset(e, 0, sizeof(*e));
	if (!ELF_HOST_LE || !data || size < sizeof(eh))
		return TSCOPE_EFORMAT;
	memcpy(&eh, data, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_ident[EI_VERSION] != EV_CURRENT)
		return TSCOPE_EFORMAT;
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
		return TSCOPE_EFORMAT;
	e->data = data;
	e->size = size;

	/*
	 * With more than SHN_LORESERVE sections e_shnum is 0 and the count is in section 0's
	 * sh_size; with PN_XNUM program headers their count is in section 0's sh_info.
	 */
	memset(&sh, 0, sizeof(sh));
	if (eh.e_shoff != 0) {
		e->shoff = eh.e_shoff;
		e->shentsize = eh.e_shentsize;
		if (e->shentsize < sizeof(Elf64_Shdr) || !in_file(e, e->shoff, e->shentsize))
			return TSCOPE_EFORMAT;
		elf_section(e, 0, &sh);
		e->shnum = eh.e_shnum ? eh.e_shnum : sh.sh_size;
		if (e->shnum > (e->size - e->shoff) / e->shentsize)
			return TSCOPE_EFORMAT;
	}
	e->phnum = eh.e_phnum;
	if (eh.e_phnum == PN_XNUM) {
		if (e->shnum == 0)
			return TSCOPE_EFORMAT;
		e->phnum = sh.sh_info;
	}
	if (e->phnum > 0) {
		e->phoff = eh.e_phoff;
		e->phentsize = eh.e_phentsize;
		if (e->phentsize < sizeof(Elf64_Phdr) || e->phoff > e->size ||
		    e->phnum > (e->size - e->phoff) / e->phentsize)
			return TSCOPE_EFORMAT;
	}

	/*
	 * A section that runs off the end means a truncated or damaged file: refuse it as a
	 * whole rather than trust any of its tables.
	 */
	for (i = 1; i < e->shnum; i++) {
		elf_section(e, i, &sh);
		if (sh.sh_type == SHT_NOBITS || sh.sh_type == SHT_NULL)
			continue;
		if (!in_file(e, sh.sh_offset, sh.sh_size))
			return TSCOPE_EFORMAT;
	}
	return 0;
}

void elf_section(const struct elf *e, uint64_t i, Elf64_Shdr *sh)
{
	memcpy(sh, e->data + e->shoff + i * e->shentsize, sizeof(*sh));
}

void elf_segment(const struct elf *e, uint64_t i, Elf64_Phdr *ph)
{
	memcpy(ph, e->data + e->phoff + i * e->phentsize, sizeof(*ph));
}

int elf_symbols(const struct elf *e, uint32_t type, struct elf_symtab *t)
{
	Elf64_Shdr sh, str;
	const char *last;
	uint64_t i, entsize;

	for (i = 1; i < e->shnum; i++) {
		elf_section(e, i, &sh);
		if (sh.sh_type != type)
			continue;
		entsize = sh.sh_entsize ? sh.sh_entsize : sizeof(Elf64_Sym);
		if (entsize < sizeof(Elf64_Sym) || sh.sh_link == 0 || sh.sh_link >= e->shnum)
			continue;
		elf_section(e, sh.sh_link, &str);
		if (str.sh_type != SHT_STRTAB || str.sh_size == 0)
			continue;
		t->syms = e->data + sh.sh_offset;
		t->count = sh.sh_size / entsize;
		t->entsize = entsize;
		t->str = (const char *)e->data + str.sh_offset;
		/*
		 * Names may only start before the table's last NUL; then each one ends inside
		 * the table, checked once here instead of scanning per symbol.
		 */
		last = memrchr(t->str, 0, str.sh_size);
		t->strsize = last ? (uint64_t)(last - t->str) + 1 : 0;
		return 1;
	}
	return 0;
}

int elf_function(const struct elf_symtab *t, uint64_t i, Elf64_Sym *sym, const char **name)
{
	unsigned type;

	memcpy(sym, t->syms + i * t->entsize, sizeof(*sym));
	type = ELF64_ST_TYPE(sym->st_info);
	if (type != STT_FUNC && type != STT_GNU_IFUNC)
		return 0;
	if (sym->st_size == 0 || sym->st_shndx == SHN_UNDEF ||
	    sym->st_size > UINT64_MAX - sym->st_value)
		return 0;
	if (sym->st_name == 0 || sym->st_name >= t->strsize || t->str[sym->st_name] == '\0')
		return 0;
	*name = t->str + sym->st_name;
	return 1;
}

/*
 * Scan the notes in p[0, len), padded to align (4 or 8), for the GNU build id.
 * Returns its descriptor and sets *idlen, or NULL.
 */
static const uint8_t *note_build_id(const uint8_t *p, uint64_t len, uint64_t align, size_t *idlen)
{
	Elf64_Nhdr nh;
	const uint8_t *name, *desc;
	uint64_t namesz, descsz;

	while (len >= sizeof(nh)) {
		memcpy(&nh, p, sizeof(nh));
		p += sizeof(nh);
		len -= sizeof(nh);
		namesz = ((uint64_t)nh.n_namesz + align - 1) & ~(align - 1);
		descsz = ((uint64_t)nh.n_descsz + align - 1) & ~(align - 1);
		if (namesz > len)
			break;
		name = p;
		p += namesz;
		len -= namesz;
		if (nh.n_descsz > len)
			break;
		desc = p;
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    memcmp(name, "GNU", 4) == 0 && nh.n_descsz > 0) {
			*idlen = nh.n_descsz;
			return desc;
		}
		if (descsz > len)
			break;
		p += descsz;
		len -= descsz;
	}
	return NULL;
}

const uint8_t *elf_build_id(const struct elf *e, size_t *len)
{
	const uint8_t *id;
	Elf64_Phdr ph;
	Elf64_Shdr sh;
	uint64_t i;

	*len = 0;
	for (i = 0; i < e->phnum; i++) {
		elf_segment(e, i, &ph);
		if (ph.p_type != PT_NOTE || !in_file(e, ph.p_offset, ph.p_filesz))
			continue;
		id =
		    note_build_id(e->data + ph.p_offset, ph.p_filesz, ph.p_align == 8 ? 8 : 4, len);
		if (id)
			return id;
	}
	for (i = 1; i < e->shnum; i++) {
		elf_section(e, i, &sh);
		if (sh.sh_type != SHT_NOTE)
			continue;
		id = note_build_id(e->data + sh.sh_offset, sh.sh_size, sh.sh_addralign == 8 ? 8 : 4,
				   len);
		if (id)
			return id;
	}
	*len = 0;
	return NULL;
}

const char *elf_string_at(const struct elf *e, uint64_t vaddr, size_t max)
{
	const uint8_t *p;
	Elf64_Phdr ph;
	uint64_t i, rel, avail;

	for (i = 0; i < e->phnum; i++) {
		elf_segment(e, i, &ph);
		if (ph.p_type != PT_LOAD || vaddr < ph.p_vaddr)
			continue;
		rel = vaddr - ph.p_vaddr;
		if (rel >= ph.p_filesz || !in_file(e, ph.p_offset, 0) ||
		    rel >= e->size - ph.p_offset)
			continue;
		/* The segment may claim more than the file holds; read only what is there. */
		avail = ph.p_filesz - rel;
		if (avail > e->size - ph.p_offset - rel)
			avail = e->size - ph.p_offset - rel;
		if (avail > max)
			avail = max;
		p = e->data + ph.p_offset + rel;
		return memchr(p, 0, avail) ? (const char *)p : NULL;
	}
	return NULL;
}
