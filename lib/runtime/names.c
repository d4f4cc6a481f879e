/* SPDX-License-Identifier: MIT */
/*
 * names.c - the scope names' NAME chunks, and which pointers the file has one for.
 *
 * tscope_begin() and friends record a name by its pointer; the writer reads the string
 * once, writes it, and remembers the pointer here: a set of 64-bit values, open
 * addressing, grown to stay at most half full.  Used with the file's lock held.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include "tscope-int.h"

#define NAME_MAX_LEN 1024 /* longest scope name read from the program */

static struct {
	uint64_t *slot; /* 0: empty */
	size_t cap, n;
} names;

static TS_NOINSTR size_t hash(uint64_t v, size_t cap)
{
	return (size_t)(v * 0x9e3779b97f4a7c15u >> 20) & (cap - 1);
}

/* Has this name pointer been written to the file?  Remembers it if not. */
static TS_NOINSTR int seen(uint64_t ptr)
{
	size_t i;

	if (names.n * 2 >= names.cap) {
		size_t cap = names.cap ? names.cap * 2 : 256;
		uint64_t *t = calloc(cap, sizeof(*t));

		if (!t)
			return 1; /* no memory: the name shows as an address */
		for (i = 0; i < names.cap; i++) {
			uint64_t v = names.slot[i];
			size_t j = hash(v, cap);

			if (!v)
				continue;
			while (t[j])
				j = (j + 1) & (cap - 1);
			t[j] = v;
		}
		free(names.slot);
		names.slot = t;
		names.cap = cap;
	}
	i = hash(ptr, names.cap);
	while (names.slot[i]) {
		if (names.slot[i] == ptr)
			return 1;
		i = (i + 1) & (names.cap - 1);
	}
	names.slot[i] = ptr;
	names.n++;
	return 0;
}

/* Write a NAME chunk for every scope-name pointer of b's n events not written before.  The
 * strings are the program's (static storage, by the API's contract). */
TS_NOINSTR void tscope__names_write(const struct tscope__buf *b, size_t n, tscope__emit_fn emit,
				 void *ctx)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t word = b->ev[i].word;
		unsigned kind = (unsigned)(word >> TSF_KIND_SHIFT);
		uint64_t ptr = word & TSF_ADDR_MASK;

		if (kind != TSF_KIND_BEGIN && kind != TSF_KIND_INSTANT &&
		    kind != TSF_KIND_COUNTER) {
			i += tsf_slots(word) - 1;
			continue;
		}
		if (kind == TSF_KIND_COUNTER)
			i++;
		if (ptr && !seen(ptr)) {
			const char *s = (const char *)(uintptr_t)ptr;
			struct tsf_name nm = { ptr };

			emit(ctx, TSF_CHUNK_NAME, &nm, sizeof(nm), s, strnlen(s, NAME_MAX_LEN),
			     NULL, 0);
		}
	}
}

/* A new file: every name is to be written again. */
TS_NOINSTR void tscope__names_reset(void)
{
	names.n = 0;
	if (names.slot)
		memset(names.slot, 0, names.cap * sizeof(*names.slot));
}

/* In a forked child: the table may be half-updated; the parent's copy is left. */
TS_NOINSTR void tscope__names_atfork_child(void)
{
	names.slot = NULL;
	names.cap = names.n = 0;
}
