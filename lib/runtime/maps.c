/* SPDX-License-Identifier: MIT */
/*
 * maps.c - the loaded objects, for naming functions offline.
 *
 * For every object dl_iterate_phdr() reports (executable, shared libraries, dlopen'd
 * ones) one MODULE chunk: load bias, address range, path and GNU build id, the id read
 * from the object's notes in memory.  Called by the writer when a file is opened and
 * on each of its wake-ups; objects already written are skipped, so a library loaded
 * later is written then.  An object written before and no longer loaded gets an UNLOAD
 * chunk.  dlclose() (session.c) calls it too, before the object goes, so that even a
 * short-lived library is written, and after, so that its end is timed exactly: the
 * converter then names the functions of two libraries mapped at the same addresses
 * one after the other.  Runs in the writer thread, in dlclose() or at stop, never per
 * event.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <elf.h>
#include <link.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "tscope-int.h"
#include "clock.h"

#define MAPS_MAX 4096 /* objects remembered as written; past that, rewritten each time */

static struct {
	struct known {
		uint64_t bias, lo;
		uint64_t id; /* identity(): another object at the same place differs */
		int seen;    /* found loaded by the current scan */
	} obj[MAPS_MAX];
	size_t n;
	unsigned long long adds, subs; /* dlpi_adds and dlpi_subs when last scanned */
	tscope__emit_fn emit;
	void *ctx;
	int snapshot; /* tscope__maps_snapshot(): every object, nothing remembered */
} m;

/* The GNU build id in an object's PT_NOTE segments, or 0. */
static TS_NOINSTR size_t build_id(const struct dl_phdr_info *info, const uint8_t **id)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
		const uint8_t *end = p + ph->p_memsz;

		if (ph->p_type != PT_NOTE)
			continue;
		while ((size_t)(end - p) >= sizeof(ElfW(Nhdr))) {
			const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)(const void *)p;
			size_t name = (nh->n_namesz + 3) & ~3u, desc = (nh->n_descsz + 3) & ~3u;

			p += sizeof(*nh);
			if (name > (size_t)(end - p) || desc > (size_t)(end - p) - name)
				break;
			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
			    memcmp(p, "GNU", 4) == 0 && nh->n_descsz <= 64) {
				*id = p + name;
				return nh->n_descsz;
			}
			p += name + desc;
		}
	}
	return 0;
}

/* A hash of an object's name and build id. */
static TS_NOINSTR uint64_t identity(const char *name, const uint8_t *id, size_t n)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (; name && *name; name++)
		h = (h ^ (uint8_t)*name) * UINT64_C(0x100000001b3);
	for (size_t i = 0; i < n; i++)
		h = (h ^ id[i]) * UINT64_C(0x100000001b3);
	return h;
}

static TS_NOINSTR int one(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct tsf_module mod = { 0 };
	const uint8_t *id = NULL;
	const char *path = info->dlpi_name;
	char exe[PATH_MAX];
	size_t i;
	uint64_t h;
	int first = 1;

	(void)size;
	(void)arg;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uint64_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;

		if (ph->p_type != PT_LOAD)
			continue;
		if (first || lo < mod.lo)
			mod.lo = lo;
		if (first || hi > mod.hi)
			mod.hi = hi;
		first = 0;
	}
	if (first)
		return 0;
	mod.bias = info->dlpi_addr;
	mod.build_id_len = (uint16_t)build_id(info, &id);
	h = identity(path, id, mod.build_id_len);
	for (i = 0; i < m.n && !m.snapshot; i++) {
		if (m.obj[i].bias == mod.bias && m.obj[i].lo == mod.lo && m.obj[i].id == h) {
			m.obj[i].seen = 1;
			return 0;
		}
	}
	if (!path || !*path) {
		/* The main program reports no name; the vDSO reports one without a file. */
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

		if (n <= 0)
			return 0;
		exe[n] = 0;
		path = exe;
	}
	if (strncmp(path, "linux-vdso", 10) == 0 || strncmp(path, "linux-gate", 10) == 0)
		return 0;
	mod.path_len = (uint16_t)strnlen(path, PATH_MAX);
	m.emit(m.ctx, TSF_CHUNK_MODULE, &mod, sizeof(mod), path, mod.path_len, id,
	       mod.build_id_len);
	if (m.n < MAPS_MAX && !m.snapshot) {
		m.obj[m.n].bias = mod.bias;
		m.obj[m.n].lo = mod.lo;
		m.obj[m.n].id = h;
		m.obj[m.n].seen = 1;
		m.n++;
	}
	return 0;
}

static TS_NOINSTR int counts_of(struct dl_phdr_info *info, size_t size, void *arg)
{
	unsigned long long *c = arg;

	(void)size;
	c[0] = info->dlpi_adds;
	c[1] = info->dlpi_subs;
	return 1;
}

/* How many objects were unloaded so far (dlpi_subs): dlclose() compares. */
TS_NOINSTR unsigned long long tscope__maps_unloads(void)
{
	unsigned long long c[2] = { 0, 0 };

	dl_iterate_phdr(counts_of, c);
	return c[1];
}

/* Write a MODULE chunk for each object not written yet, an UNLOAD chunk for each one
 * written and gone since; how: TS_MAPS_RESET, TS_MAPS_EXACT. */
TS_NOINSTR int tscope__maps_write(tscope__emit_fn emit, void *ctx, int how)
{
	unsigned long long c[2] = { 0, 0 };
	size_t i, old;

	dl_iterate_phdr(counts_of, c);
	if (how & TS_MAPS_RESET)
		m.n = 0;
	else if (c[0] == m.adds && c[1] == m.subs)
		return 0;
	m.adds = c[0];
	m.emit = emit;
	m.ctx = ctx;
	old = m.n;
	for (i = 0; i < old; i++)
		m.obj[i].seen = 0;
	dl_iterate_phdr(one, NULL);
	if (how & TS_MAPS_ADDS)
		return 0; /* and m.subs stays behind, for the next scan to look */
	m.subs = c[1];
	for (i = 0; i < old;) {
		struct tsf_unload u = { m.obj[i].bias, m.obj[i].lo, 0, 0, 0 };

		if (m.obj[i].seen) {
			i++;
			continue;
		}
		u.ticks = tscope__clock_read();
		u.flags = how & TS_MAPS_EXACT ? TSF_UNLOAD_EXACT : 0;
		emit(ctx, TSF_CHUNK_UNLOAD, &u, sizeof(u), NULL, 0, NULL, 0);
		/* forget it: what is mapped there next is another object */
		m.n--;
		old--;
		m.obj[i] = m.obj[old];
		m.obj[old] = m.obj[m.n];
	}
	return 0;
}

/* A MODULE chunk for every object loaded now, to emit; what the file has is untouched.
 * Not with a scan under way (the callers hold the file's lock or run alone). */
TS_NOINSTR void tscope__maps_snapshot(tscope__emit_fn emit, void *ctx)
{
	tscope__emit_fn e = m.emit;
	void *c = m.ctx;

	m.emit = emit;
	m.ctx = ctx;
	m.snapshot = 1;
	dl_iterate_phdr(one, NULL);
	m.snapshot = 0;
	m.emit = e;
	m.ctx = c;
}
