/* SPDX-License-Identifier: MIT */
/*
 * maps.c - the loaded objects, for naming functions offline.
 *
 * For every object dl_iterate_phdr() reports (executable, shared libraries, dlopen'd
 * ones) one MODULE chunk: load bias, address range, path and GNU build id, the id read
 * from the object's notes in memory.  Called by the writer when a file is opened and
 * on each of its wake-ups; objects already written are skipped, so a library loaded
 * later is written then.  Runs in the writer thread or at stop, never per event.
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

#define MAPS_MAX 4096 /* objects remembered as written; past that, rewritten each time */

typedef int (*emit_fn)(void *ctx, uint32_t type, const void *a, size_t alen, const void *b,
		       size_t blen, const void *c, size_t clen);

static struct {
	uint64_t bias[MAPS_MAX], lo[MAPS_MAX];
	size_t n;
	unsigned long long adds; /* dlpi_adds when last scanned */
	emit_fn emit;
	void *ctx;
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

static TS_NOINSTR int one(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct tsf_module mod = { 0 };
	const uint8_t *id = NULL;
	const char *path = info->dlpi_name;
	char exe[PATH_MAX];
	size_t i;
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
	for (i = 0; i < m.n; i++)
		if (m.bias[i] == mod.bias && m.lo[i] == mod.lo)
			return 0;
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
	mod.build_id_len = (uint16_t)build_id(info, &id);
	mod.path_len = (uint16_t)strnlen(path, PATH_MAX);
	m.emit(m.ctx, TSF_CHUNK_MODULE, &mod, sizeof(mod), path, mod.path_len, id,
	       mod.build_id_len);
	if (m.n < MAPS_MAX) {
		m.bias[m.n] = mod.bias;
		m.lo[m.n] = mod.lo;
		m.n++;
	}
	return 0;
}

static TS_NOINSTR int adds_of(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	*(unsigned long long *)arg = info->dlpi_adds;
	return 1;
}

/* Write a MODULE chunk for each object not written yet; reset: a new file, write all. */
TS_NOINSTR int tscope__maps_write(emit_fn emit, void *ctx, int reset)
{
	unsigned long long adds = 0;

	dl_iterate_phdr(adds_of, &adds);
	if (reset)
		m.n = 0;
	else if (adds == m.adds)
		return 0;
	m.adds = adds;
	m.emit = emit;
	m.ctx = ctx;
	dl_iterate_phdr(one, NULL);
	return 0;
}
