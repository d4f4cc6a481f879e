/* SPDX-License-Identifier: MIT */
/*
 * symtab.c - address to function name, per ELF file (struct symtab) and per traced
 * process (struct symbolizer).
 *
 * Input is untrusted: ELF files are parsed by elf.c, which bounds-checks everything;
 * here symbols are sorted, aliases merged, and overlapping symbols flattened into
 * disjoint spans so that a lookup is one binary search.  Module address ranges are
 * flattened the same way (the newest registration wins).  Problems with a module's file
 * are reported through the warning callback, never printed, and never turn into a
 * wrong name: an unusable file simply has no names.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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
 * Make room for element n of an array of *cap elements of sz bytes.  Returns the
 * (possibly moved) array, or NULL when out of memory (arr is then unchanged).
 */
static void *grow(void *arr, size_t *cap, size_t n, size_t sz)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return arr;
	ncap = *cap ? *cap * 2 : 16;
	if (ncap < *cap || ncap > SIZE_MAX / sz)
		return NULL;
	p = realloc(arr, ncap * sz);
	if (p)
		*cap = ncap;
	return p;
}

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

/* ------------------------------------------------------------------------------------ */

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

struct symbolizer *symbolizer_new(void)
{
	return calloc(1, sizeof(struct symbolizer));
}

void symbolizer_set_warn(struct symbolizer *s,
			 void (*warn)(void *ctx, const char *path, const char *what), void *ctx)
{
	if (!s)
		return;
	s->warn = warn;
	s->warn_ctx = ctx;
}

/* FNV-1a over the path, a separator, and the build id. */
static uint64_t file_hash(const char *path, const uint8_t *id, size_t len)
{
	uint64_t h = UINT64_C(14695981039346656037);
	size_t i;

	for (; *path; path++)
		h = (h ^ (unsigned char)*path) * UINT64_C(1099511628211);
	h = (h ^ 0x100) * UINT64_C(1099511628211);
	for (i = 0; i < len; i++)
		h = (h ^ id[i]) * UINT64_C(1099511628211);
	return h;
}

/* Double the slot table (keeping it at most half full) and re-insert every file. */
static int rehash(struct symbolizer *s)
{
	size_t cap = s->slots_cap ? s->slots_cap * 2 : 64, i, j;
	size_t *slots;

	if (cap < s->slots_cap || cap > SIZE_MAX / sizeof(*slots))
		return TSCOPE_ENOMEM;
	slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return TSCOPE_ENOMEM;
	for (i = 0; i < s->nfiles; i++) {
		for (j = s->files[i].hash & (cap - 1); slots[j]; j = (j + 1) & (cap - 1))
			;
		slots[j] = i + 1;
	}
	free(s->slots);
	s->slots = slots;
	s->slots_cap = cap;
	return 0;
}

/* Find or add the file for (path, build id); sets *idx.  0 or TSCOPE_ENOMEM. */
static int file_index(struct symbolizer *s, const char *path, const uint8_t *id, size_t len,
		      size_t *idx)
{
	uint64_t h = file_hash(path, id, len);
	struct sym_file *f;
	size_t j;
	void *p;

	if (s->nfiles >= s->slots_cap / 2 && rehash(s) != 0)
		return TSCOPE_ENOMEM;
	for (j = h & (s->slots_cap - 1); s->slots[j]; j = (j + 1) & (s->slots_cap - 1)) {
		f = &s->files[s->slots[j] - 1];
		if (f->hash == h && f->build_id_len == len && strcmp(f->path, path) == 0 &&
		    (len == 0 || memcmp(f->build_id, id, len) == 0)) {
			*idx = s->slots[j] - 1;
			return 0;
		}
	}
	p = grow(s->files, &s->files_cap, s->nfiles, sizeof(*s->files));
	if (!p)
		return TSCOPE_ENOMEM;
	s->files = p;
	f = &s->files[s->nfiles];
	memset(f, 0, sizeof(*f));
	f->path = strdup(path);
	f->build_id = len ? malloc(len) : NULL;
	if (!f->path || (len && !f->build_id)) {
		free(f->path);
		free(f->build_id);
		return TSCOPE_ENOMEM;
	}
	if (len)
		memcpy(f->build_id, id, len);
	f->build_id_len = len;
	f->hash = h;
	f->state = FILE_NEW;
	s->slots[j] = ++s->nfiles;
	*idx = s->nfiles - 1;
	return 0;
}

int symbolizer_add_module(struct symbolizer *s, const char *path, uint64_t bias, uint64_t lo,
			  uint64_t hi, const uint8_t *build_id, size_t build_id_len)
{
	struct sym_module *m;
	size_t file;
	void *p;
	int rc;

	if (!s || !path || lo >= hi || (build_id_len > 0 && !build_id))
		return TSCOPE_EINVAL;
	p = grow(s->mods, &s->mods_cap, s->nmods, sizeof(*s->mods));
	if (!p)
		return TSCOPE_ENOMEM;
	s->mods = p;
	rc = file_index(s, path, build_id, build_id_len, &file);
	if (rc != 0)
		return rc;
	m = &s->mods[s->nmods++];
	m->bias = bias;
	m->lo = lo;
	m->hi = hi;
	m->file = file;
	s->stale = 1;
	return 0;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Index of v in the sorted, distinct pts[0, n), where v is known to be. */
static size_t point_index(const uint64_t *pts, size_t n, uint64_t v)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (pts[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Follow next[] to the first unpainted piece at or after k, halving paths as it goes. */
static size_t unpainted(size_t *next, size_t k)
{
	while (next[k] != k) {
		next[k] = next[next[k]];
		k = next[k];
	}
	return k;
}

/*
 * Rebuild s->ranges from the modules.  The distinct bounds cut the address space into
 * pieces; modules paint the pieces they cover from the newest to the oldest, and a
 * painted piece is skipped through next[] (union-find), so each piece is painted once.
 * Adjacent pieces of one module are merged.  Needs at least one module.
 * Returns 0 or TSCOPE_ENOMEM (s unchanged).
 */
static int rebuild(struct symbolizer *s)
{
	size_t n = s->nmods, npts = 0, m, k, end, nr = 0;
	size_t *owner = NULL, *next = NULL;
	struct sym_range *r = NULL;
	uint64_t *pts;
	int rc = TSCOPE_ENOMEM;

	if (n > SIZE_MAX / 2 / sizeof(*r))
		return TSCOPE_ENOMEM;
	pts = malloc(2 * n * sizeof(*pts));
	owner = malloc(2 * n * sizeof(*owner));
	next = malloc(2 * n * sizeof(*next));
	r = malloc(2 * n * sizeof(*r));
	if (!pts || !owner || !next || !r)
		goto out;
	for (m = 0; m < n; m++) {
		pts[2 * m] = s->mods[m].lo;
		pts[2 * m + 1] = s->mods[m].hi;
	}
	qsort(pts, 2 * n, sizeof(*pts), u64_cmp);
	for (k = 0; k < 2 * n; k++) {
		if (npts == 0 || pts[npts - 1] != pts[k])
			pts[npts++] = pts[k];
	}
	/* Piece k is [pts[k], pts[k + 1]); next[npts - 1] is a sentinel, never painted. */
	for (k = 0; k < npts; k++) {
		owner[k] = SIZE_MAX;
		next[k] = k;
	}
	for (m = n; m-- > 0;) {
		end = point_index(pts, npts, s->mods[m].hi);
		k = unpainted(next, point_index(pts, npts, s->mods[m].lo));
		while (k < end) {
			owner[k] = m;
			next[k] = k + 1;
			k = unpainted(next, k + 1);
		}
	}
	for (k = 0; k + 1 < npts; k++) {
		if (owner[k] == SIZE_MAX)
			continue;
		if (nr > 0 && r[nr - 1].module == owner[k] && r[nr - 1].hi == pts[k]) {
			r[nr - 1].hi = pts[k + 1];
			continue;
		}
		r[nr].lo = pts[k];
		r[nr].hi = pts[k + 1];
		r[nr].module = owner[k];
		nr++;
	}
	free(s->ranges);
	s->ranges = r;
	s->nranges = nr;
	s->stale = 0;
	r = NULL;
	rc = 0;
out:
	free(r);
	free(next);
	free(owner);
	free(pts);
	return rc;
}

/* The module owning runtime address addr, or NULL. */
static const struct sym_module *module_at(struct symbolizer *s, uint64_t addr)
{
	size_t lo = 0, hi, mid;

	if (s->stale && rebuild(s) != 0)
		return NULL;
	hi = s->nranges;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->ranges[mid].lo <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || addr >= s->ranges[lo - 1].hi)
		return NULL;
	return &s->mods[s->ranges[lo - 1].module];
}

static void warn(const struct symbolizer *s, const char *path, const char *what)
{
	if (s->warn)
		s->warn(s->warn_ctx, path, what);
}

void symbolizer_set_paths(struct symbolizer *s, const struct sym_paths *p)
{
	if (s)
		s->paths = p;
}

/* Does the file at path open, with f's recorded build id if it has one?  0 and *st,
 * or -1. */
static int try_copy(const struct sym_file *f, const char *path, struct symtab **st)
{
	const uint8_t *id;
	size_t len;

	if (symtab_open(path, st) != 0)
		return -1;
	id = symtab_build_id(*st, &len);
	if (f->build_id_len && (len != f->build_id_len || memcmp(id, f->build_id, len) != 0)) {
		symtab_close(*st);
		*st = NULL;
		return -1;
	}
	return 0;
}

/*
 * Look for f where s->paths says (see symtab.h), before its recorded path.  Returns
 * the path tried last: a mapped binary's (it alone counts), else f's own.
 */
static const char *find_copy(struct symbolizer *s, struct sym_file *f)
{
	const struct sym_paths *p = s->paths;
	const char *base = strrchr(f->path, '/');
	char buf[4096];

	base = base ? base + 1 : f->path;
	if (!p)
		return f->path;
	for (size_t i = 0; i < p->nbin; i++) {
		const char *old = p->bin_old[i];

		if (strcmp(old, f->path) == 0 || (!strchr(old, '/') && strcmp(old, base) == 0))
			return p->bin_new[i];
	}
	for (size_t i = 0; i < p->nsymfs; i++) {
		const char *dir = p->symfs[i];
		int n;

		if (f->build_id_len >= 2) {
			n = snprintf(buf, sizeof(buf), "%s/.build-id/%02x/", dir, f->build_id[0]);
			for (size_t k = 1; k < f->build_id_len && n > 0 && (size_t)n < sizeof(buf);
			     k++)
				n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%02x",
					      f->build_id[k]);
			if (n > 0 && (size_t)n < sizeof(buf) - 6) {
				strcpy(buf + n, ".debug");
				if (try_copy(f, buf, &f->st) == 0)
					return NULL;
			}
		}
		n = snprintf(buf, sizeof(buf), "%s/%s", dir, f->path);
		if (n > 0 && (size_t)n < sizeof(buf) && try_copy(f, buf, &f->st) == 0)
			return NULL;
		n = snprintf(buf, sizeof(buf), "%s/%s", dir, base);
		if (n > 0 && (size_t)n < sizeof(buf) && try_copy(f, buf, &f->st) == 0)
			return NULL;
	}
	return f->path;
}

/*
 * The symtab of file i, opened and checked against the recorded build id on first use
 * (a kept copy first, see symbolizer_set_paths()).  A file that fails is reported once
 * and stays unusable.
 */
static struct symtab *file_symtab(struct symbolizer *s, size_t i)
{
	struct sym_file *f = &s->files[i];
	const char *path;
	const uint8_t *id;
	char msg[128];
	size_t len;
	int rc;

	if (f->state != FILE_NEW)
		return f->st;
	f->state = FILE_BAD;
	path = find_copy(s, f);
	if (!path) {
		f->state = FILE_OPEN;
		return f->st;
	}
	rc = symtab_open(path, &f->st);
	if (rc == TSCOPE_EIO) {
		snprintf(msg, sizeof(msg), "cannot read: %s", strerror(errno));
		warn(s, path, msg);
		return NULL;
	}
	if (rc != 0) {
		warn(s, path,
		     rc == TSCOPE_ENOMEM ? "out of memory"
					 : "not a usable ELF64 little-endian file");
		return NULL;
	}
	id = symtab_build_id(f->st, &len);
	if (f->build_id_len > 0 && (len != f->build_id_len || memcmp(id, f->build_id, len) != 0)) {
		warn(s, path,
		     len ? "build id differs from the recorded one" : "file has no build id");
		symtab_close(f->st);
		f->st = NULL;
		return NULL;
	}
	f->state = FILE_OPEN;
	return f->st;
}

/* The name of the function at addr in module m: as shown (demangled), or with raw as
 * the symbol table has it. */
static const char *lookup_in(struct symbolizer *s, const struct sym_module *m, uint64_t addr,
			     int raw)
{
	const struct symtab_span *sp;
	struct symtab *st;

	if (!m || addr < m->lo || addr >= m->hi)
		return NULL;
	st = file_symtab(s, m->file);
	if (!st)
		return NULL;
	sp = span_at(st, addr - m->bias);
	if (!sp)
		return NULL;
	return raw ? st->syms[sp->sym].name : shown_name(st, sp->sym);
}

const char *symbolizer_where(struct symbolizer *s, size_t module, uint64_t addr, uint64_t *vaddr)
{
	const struct sym_module *m;

	if (!s)
		return NULL;
	m = module == SIZE_MAX ? module_at(s, addr) : module < s->nmods ? &s->mods[module] : NULL;
	if (!m || addr < m->lo || addr >= m->hi)
		return NULL;
	*vaddr = addr - m->bias;
	return s->files[m->file].path;
}

const char *symbolizer_lookup(struct symbolizer *s, uint64_t addr)
{
	return s ? lookup_in(s, module_at(s, addr), addr, 0) : NULL;
}

const char *symbolizer_lookup_in(struct symbolizer *s, size_t module, uint64_t addr)
{
	return s && module < s->nmods ? lookup_in(s, &s->mods[module], addr, 0) : NULL;
}

const char *symbolizer_symbol(struct symbolizer *s, uint64_t addr)
{
	return s ? lookup_in(s, module_at(s, addr), addr, 1) : NULL;
}

const char *symbolizer_symbol_in(struct symbolizer *s, size_t module, uint64_t addr)
{
	return s && module < s->nmods ? lookup_in(s, &s->mods[module], addr, 1) : NULL;
}

const char *symbolizer_string(struct symbolizer *s, uint64_t addr, size_t max)
{
	const struct sym_module *m;
	struct symtab *st;

	if (!s)
		return NULL;
	m = module_at(s, addr);
	if (!m)
		return NULL;
	st = file_symtab(s, m->file);
	return st ? symtab_string_at(st, addr - m->bias, max) : NULL;
}

void symbolizer_free(struct symbolizer *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nfiles; i++) {
		symtab_close(s->files[i].st);
		free(s->files[i].path);
		free(s->files[i].build_id);
	}
	free(s->files);
	free(s->slots);
	free(s->mods);
	free(s->ranges);
	free(s);
}
