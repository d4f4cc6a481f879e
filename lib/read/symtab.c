/* SPDX-License-Identifier: MIT */
/*
 * symtab.c - the function symbols of one ELF file (struct symtab, see symtab.h): the
 * file mapped (or read), its symbols sorted, aliases merged, overlapping symbols
 * flattened into disjoint spans so that a lookup is one binary search, and the
 * demangled names kept once asked for.
 *
 * Input is untrusted: ELF files are parsed by elf.c, which bounds-checks everything;
 * a malformed file is refused, never a crash or a wrong name.  The per-process side,
 * modules and their files, is symbolizer.c's.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "demangle.h"
#include "elf-file.h"
#include "symtab.h"
#include "tscope.h"

struct symtab_sym {
	uint64_t addr;	  /* st_value: ELF vaddr */
	uint64_t end;	  /* st_value + st_size */
	const char *name; /* in the image */
	int global;	  /* STB_GLOBAL: preferred among aliases */
};

/* A piece of the address space where one symbol is the answer. */
struct symtab_span {
	uint64_t lo, hi; /* [lo, hi), ELF vaddrs */
	size_t sym;	 /* index into syms */
};

struct symtab {
	void *img;	 /* the file: mmap'd, or malloc'd */
	size_t img_size; /* bytes */
	int mapped;	 /* img came from mmap */
	struct elf elf;
	struct symtab_sym *syms; /* sorted by addr, one per address */
	size_t nsyms;
	struct symtab_span *spans; /* sorted, disjoint */
	size_t nspans;
	const uint8_t *build_id; /* in the image, or NULL */
	size_t build_id_len;
	char **shown; /* per symbol, for the symbolizer: NULL (not asked yet), the
		       * demangled name, or &not_mangled */
};

static char not_mangled;

/*
 * Order by address; among symbols at one address the preferred name comes last, so
 * that build_spans() makes it the innermost: a GLOBAL over a LOCAL or WEAK one, then
 * the shortest, then the first in strcmp() order, then the longest.  The order is
 * total, so the answers do not depend on qsort().
 */
static int sym_cmp(const void *a, const void *b)
{
	const struct symtab_sym *x = a, *y = b;
	size_t lx, ly;
	int c;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->global != y->global)
		return x->global ? 1 : -1;
	lx = strlen(x->name);
	ly = strlen(y->name);
	if (lx != ly)
		return lx < ly ? 1 : -1;
	c = strcmp(x->name, y->name);
	if (c != 0)
		return -c;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return 0;
}

/*
 * Fill st->syms from .symtab, or from .dynsym when .symtab is missing or has no
 * functions, and sort them.
 */
static int collect(struct symtab *st)
{
	static const uint32_t types[] = { SHT_SYMTAB, SHT_DYNSYM };
	struct elf_symtab t;
	const char *name;
	Elf64_Sym sym;
	uint64_t i, n = 0;
	size_t k;

	for (k = 0; n == 0 && k < sizeof(types) / sizeof(types[0]); k++) {
		if (!elf_symbols(&st->elf, types[k], &t))
			continue;
		for (i = 0; i < t.count; i++)
			n += elf_function(&t, i, &sym, &name);
	}
	if (n == 0)
		return 0;
	if (n > SIZE_MAX / sizeof(*st->syms))
		return TSCOPE_ENOMEM;
	st->syms = malloc(n * sizeof(*st->syms));
	if (!st->syms)
		return TSCOPE_ENOMEM;
	for (i = 0; i < t.count; i++) {
		if (!elf_function(&t, i, &sym, &name))
			continue;
		st->syms[st->nsyms].addr = sym.st_value;
		st->syms[st->nsyms].end = sym.st_value + sym.st_size;
		st->syms[st->nsyms].name = name;
		st->syms[st->nsyms].global = ELF64_ST_BIND(sym.st_info) == STB_GLOBAL;
		st->nsyms++;
	}
	qsort(st->syms, st->nsyms, sizeof(*st->syms), sym_cmp);
	return 0;
}

/*
 * Flatten the sorted symbols into disjoint spans, each answered by the innermost symbol:
 * the one that comes last in sym_cmp() order among those covering it.  A sweep over the
 * start addresses with a stack of open symbols; one that ended below the top is dropped
 * when it surfaces.  Every span ends either in a pop or where a new symbol starts, so
 * there are at most 2 * nsyms of them.
 */
static int build_spans(struct symtab *st)
{
	const struct symtab_sym *sy = st->syms;
	size_t n = st->nsyms, sp = 0, i, top;
	uint64_t cur = 0, next, hi;
	size_t *stack;
	void *shrunk;

	if (n == 0)
		return 0;
	if (n > SIZE_MAX / 2 / sizeof(*st->spans))
		return TSCOPE_ENOMEM;
	st->spans = malloc(2 * n * sizeof(*st->spans));
	stack = malloc(n * sizeof(*stack));
	if (!st->spans || !stack) {
		free(stack);
		return TSCOPE_ENOMEM;
	}
	for (i = 0; i <= n; i++) {
		next = i < n ? sy[i].addr : UINT64_MAX;
		while (sp > 0) {
			top = stack[sp - 1];
			if (sy[top].end <= cur) {
				sp--;
				continue;
			}
			hi = sy[top].end < next ? sy[top].end : next;
			if (hi > cur) {
				assert(st->nspans < 2 * n);
				st->spans[st->nspans].lo = cur;
				st->spans[st->nspans].hi = hi;
				st->spans[st->nspans].sym = top;
				st->nspans++;
			}
			cur = hi;
			if (sy[top].end > next)
				break;
			sp--;
		}
		if (i < n) {
			stack[sp++] = i;
			cur = next;
		}
	}
	free(stack);
	/* Usually one span per symbol: give the spare half back. */
	shrunk = realloc(st->spans, st->nspans * sizeof(*st->spans));
	if (shrunk)
		st->spans = shrunk;
	return 0;
}

/* The span containing vaddr, or NULL. */
static const struct symtab_span *span_at(const struct symtab *st, uint64_t vaddr)
{
	size_t lo = 0, hi = st->nspans, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (st->spans[mid].lo <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || vaddr >= st->spans[lo - 1].hi)
		return NULL;
	return &st->spans[lo - 1];
}

/* Build a symtab over img, which it takes over (and releases on failure). */
static int symtab_build(void *img, size_t size, int mapped, struct symtab **out)
{
	struct symtab *st;
	int rc;

	st = calloc(1, sizeof(*st));
	if (!st) {
		if (mapped)
			munmap(img, size);
		else
			free(img);
		return TSCOPE_ENOMEM;
	}
	st->img = img;
	st->img_size = size;
	st->mapped = mapped;
	rc = elf_init(&st->elf, img, size);
	if (rc == 0)
		rc = collect(st);
	if (rc == 0)
		rc = build_spans(st);
	if (rc != 0) {
		symtab_close(st);
		return rc;
	}
	st->build_id = elf_build_id(&st->elf, &st->build_id_len);
	*out = st;
	return 0;
}

/*
 * Read size bytes of fd into a new buffer (for files that cannot be mapped).
 * Returns 0, TSCOPE_ENOMEM, or TSCOPE_EIO with errno set (EIO if the file shrank).
 */
static int read_image(int fd, size_t size, void **out)
{
	uint8_t *buf;
	size_t done = 0;
	ssize_t got;

	buf = malloc(size);
	if (!buf)
		return TSCOPE_ENOMEM;
	while (done < size) {
		got = pread(fd, buf + done, size - done, (off_t)done);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			if (got == 0)
				errno = EIO;
			free(buf);
			return TSCOPE_EIO;
		}
		done += (size_t)got;
	}
	*out = buf;
	return 0;
}

int symtab_open(const char *path, struct symtab **out)
{
	struct stat sb;
	void *img;
	size_t size;
	int fd, rc, err;

	if (!out)
		return TSCOPE_EINVAL;
	*out = NULL;
	if (!path)
		return TSCOPE_EINVAL;
	/* O_NONBLOCK: a FIFO planted at the path must not hang the converter. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return TSCOPE_EIO;
	if (fstat(fd, &sb) != 0) {
		rc = TSCOPE_EIO;
		goto out;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size < (off_t)sizeof(Elf64_Ehdr) ||
	    (uint64_t)sb.st_size > SIZE_MAX) {
		rc = TSCOPE_EFORMAT;
		goto out;
	}
	size = (size_t)sb.st_size;
	img = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (img != MAP_FAILED) {
		rc = symtab_build(img, size, 1, out);
		goto out;
	}
	rc = read_image(fd, size, &img);
	if (rc == 0)
		rc = symtab_build(img, size, 0, out);
out:
	err = errno;
	close(fd);
	errno = err;
	return rc;
}

int symtab_open_mem(const void *data, size_t size, struct symtab **out)
{
	void *copy;

	if (!out)
		return TSCOPE_EINVAL;
	*out = NULL;
	if (!data && size > 0)
		return TSCOPE_EINVAL;
	if (size < sizeof(Elf64_Ehdr))
		return TSCOPE_EFORMAT;
	copy = malloc(size);
	if (!copy)
		return TSCOPE_ENOMEM;
	memcpy(copy, data, size);
	return symtab_build(copy, size, 0, out);
}

const char *symtab_lookup(const struct symtab *st, uint64_t vaddr, uint64_t *off)
{
	const struct symtab_span *sp;

	if (!st)
		return NULL;
	sp = span_at(st, vaddr);
	if (!sp)
		return NULL;
	if (off)
		*off = vaddr - st->syms[sp->sym].addr;
	return st->syms[sp->sym].name;
}

const uint8_t *symtab_build_id(const struct symtab *st, size_t *len)
{
	*len = st ? st->build_id_len : 0;
	return st ? st->build_id : NULL;
}

const char *symtab_string_at(const struct symtab *st, uint64_t vaddr, size_t max)
{
	return st ? elf_string_at(&st->elf, vaddr, max) : NULL;
}

void symtab_close(struct symtab *st)
{
	size_t i;

	if (!st)
		return;
	if (st->shown) {
		for (i = 0; i < st->nsyms; i++) {
			if (st->shown[i] != &not_mangled)
				free(st->shown[i]);
		}
		free(st->shown);
	}
	free(st->spans);
	free(st->syms);
	if (st->mapped)
		munmap(st->img, st->img_size);
	else
		free(st->img);
	free(st);
}

/* The name to show for symbol i: demangled once and kept, else the raw name. */
static const char *shown_name(struct symtab *st, size_t i)
{
	const char *name = st->syms[i].name;
	char *d;

	if (strncmp(name, "_Z", 2) != 0)
		return name;
	if (!st->shown) {
		st->shown = calloc(st->nsyms, sizeof(*st->shown));
		if (!st->shown)
			return name;
	}
	if (!st->shown[i]) {
		d = demangle(name);
		st->shown[i] = d ? d : &not_mangled;
	}
	return st->shown[i] == &not_mangled ? name : st->shown[i];
}

const char *symtab_lookup_shown(struct symtab *st, uint64_t vaddr)
{
	const struct symtab_span *sp;

	if (!st)
		return NULL;
	sp = span_at(st, vaddr);
	return sp ? shown_name(st, sp->sym) : NULL;
}
