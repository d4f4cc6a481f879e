/* SPDX-License-Identifier: MIT */
/*
 * names.c - the interned strings of names.h.
 *
 * Strings are copied into large blocks that never move (so the pointers names_str()
 * returns stay valid), and found again through an open-addressing table of ids keyed
 * by an FNV-1a hash, kept at most half full.  Nothing is freed before names_free().
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include "tscope.h"
#include "names.h"

#define BLOCK_SIZE (64u << 10) /* string storage comes in blocks of this size (or larger) */

struct names_ent {
	const char *s;
	uint32_t len;
	uint32_t hash;
};

struct names {
	struct names_ent *ents;
	size_t n, cap;
	uint32_t *slots; /* open addressing: id + 1, 0 empty */
	size_t slots_cap;
	char **blocks;
	size_t nblocks, blocks_cap;
	size_t used, avail; /* in the newest block */
};

/* FNV-1a over the n bytes at s, folded to 32 bits. */
static uint32_t str_hash(const char *s, size_t n)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= UINT64_C(0x100000001b3);
	}
	return (uint32_t)(h ^ (h >> 32));
}

/* Room for n more bytes of string storage; NULL when out of memory. */
static char *names_room(struct names *nm, size_t n)
{
	char *b;

	if (n <= nm->avail)
		return nm->blocks[nm->nblocks - 1] + nm->used;
	if (nm->nblocks == nm->blocks_cap) {
		size_t c = nm->blocks_cap ? nm->blocks_cap * 2 : 16;
		char **p = realloc(nm->blocks, c * sizeof(*p));

		if (!p)
			return NULL;
		nm->blocks = p;
		nm->blocks_cap = c;
	}
	b = malloc(n > BLOCK_SIZE ? n : BLOCK_SIZE);
	if (!b)
		return NULL;
	nm->blocks[nm->nblocks++] = b;
	nm->used = 0;
	nm->avail = n > BLOCK_SIZE ? n : BLOCK_SIZE;
	return b;
}

/* Double the table (1024 slots at first) and place every id again.  0 or TSCOPE_ENOMEM. */
static int names_rehash(struct names *nm)
{
	size_t cap = nm->slots_cap ? nm->slots_cap * 2 : 1024;
	uint32_t *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return TSCOPE_ENOMEM;
	for (size_t i = 0; i < nm->n; i++) {
		size_t k = nm->ents[i].hash & (cap - 1);

		while (slots[k])
			k = (k + 1) & (cap - 1);
		slots[k] = (uint32_t)i + 1;
	}
	free(nm->slots);
	nm->slots = slots;
	nm->slots_cap = cap;
	return 0;
}

int names_intern(struct names *nm, const char *s, size_t len, uint32_t *id)
{
	uint32_t h = str_hash(s, len);
	size_t k;
	char *p;

	if (len > UINT32_MAX - 1 || nm->n >= UINT32_MAX - 1)
		return TSCOPE_ENOMEM;
	if (nm->slots_cap) {
		for (k = h & (nm->slots_cap - 1); nm->slots[k]; k = (k + 1) & (nm->slots_cap - 1)) {
			const struct names_ent *e = &nm->ents[nm->slots[k] - 1];

			if (e->hash == h && e->len == len && memcmp(e->s, s, len) == 0) {
				*id = nm->slots[k] - 1;
				return 0;
			}
		}
	}
	if ((nm->n + 1) * 2 > nm->slots_cap && names_rehash(nm) < 0)
		return TSCOPE_ENOMEM;
	if (nm->n == nm->cap) {
		size_t c = nm->cap ? nm->cap * 2 : 256;
		struct names_ent *e = realloc(nm->ents, c * sizeof(*e));

		if (!e)
			return TSCOPE_ENOMEM;
		nm->ents = e;
		nm->cap = c;
	}
	p = names_room(nm, len + 1);
	if (!p)
		return TSCOPE_ENOMEM;
	memcpy(p, s, len);
	p[len] = 0;
	nm->used += len + 1;
	nm->avail -= len + 1;
	nm->ents[nm->n].s = p;
	nm->ents[nm->n].len = (uint32_t)len;
	nm->ents[nm->n].hash = h;
	for (k = h & (nm->slots_cap - 1); nm->slots[k]; k = (k + 1) & (nm->slots_cap - 1))
		;
	nm->slots[k] = (uint32_t)nm->n + 1;
	*id = (uint32_t)nm->n++;
	return 0;
}

struct names *names_new(void)
{
	struct names *nm = calloc(1, sizeof(*nm));
	uint32_t id;

	if (nm && names_intern(nm, "?", 1, &id) < 0) {
		names_free(nm);
		nm = NULL;
	}
	return nm;
}

void names_free(struct names *nm)
{
	if (!nm)
		return;
	for (size_t i = 0; i < nm->nblocks; i++)
		free(nm->blocks[i]);
	free(nm->blocks);
	free(nm->ents);
	free(nm->slots);
	free(nm);
}

const char *names_str(const struct names *nm, uint32_t id, size_t *len)
{
	if (id >= nm->n)
		id = 0;
	if (len)
		*len = nm->ents[id].len;
	return nm->ents[id].s;
}

size_t names_count(const struct names *nm)
{
	return nm->n;
}
