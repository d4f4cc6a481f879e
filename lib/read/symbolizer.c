/* SPDX-License-Identifier: MIT */
/*
 * symbolizer.c - runtime addresses of one traced process to function names (struct
 * symbolizer, see symtab.h): the modules the runtime recorded, their address ranges
 * flattened into disjoint pieces (the newest registration wins) so that finding a
 * module is one binary search, and the lookups in the module's file.
 *
 * The files themselves are found, opened and checked by symbolizer-file.c, lazily at
 * the first lookup that needs one.  Nothing here prints.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include "symbolizer-int.h"
#include "symtab.h"
#include "tscope.h"

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

struct symbolizer *symbolizer_new(void)
{
	return calloc(1, sizeof(struct symbolizer));
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

/* The name of the function at addr in module m: as shown (demangled), or with raw as
 * the symbol table has it. */
static const char *lookup_in(struct symbolizer *s, const struct sym_module *m, uint64_t addr,
			     int raw)
{
	struct symtab *st;

	if (!m || addr < m->lo || addr >= m->hi)
		return NULL;
	st = symbolizer_file_symtab(s, m->file);
	if (!st)
		return NULL;
	if (raw)
		return symtab_lookup(st, addr - m->bias, NULL);
	return symtab_lookup_shown(st, addr - m->bias);
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
	st = symbolizer_file_symtab(s, m->file);
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
