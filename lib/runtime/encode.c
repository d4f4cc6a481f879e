/* SPDX-License-Identifier: MIT */
/*
 * encode.c - an EVENTS chunk made smaller before it is written.
 *
 * The slots are packed (pack.h: table-coded words, varint time deltas), then header and
 * packed slots are LZ4-compressed.  Packing first makes LZ4's input about 8 times
 * smaller, so the writer keeps up with the recording threads.  The output lives in
 * scratch buffers owned here, valid until the next call; used with the file's lock
 * held.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>
#ifdef HAVE_LZ4
#include <lz4.h>
#endif

#include "tscope-int.h"
#include "pack.h"

static struct {
	char *out; /* LZ4 output */
	size_t out_size;
	char *packed; /* packed slots, LZ4's input */
	size_t packed_size;
} enc;

#ifdef HAVE_LZ4
/* Grow a scratch buffer to size bytes; 0 on success. */
static TS_NOINSTR int scratch_grow(char **buf, size_t *have, size_t size)
{
	if (size <= *have)
		return 0;
	free(*buf);
	*buf = malloc(size);
	*have = *buf ? size : 0;
	return *buf ? 0 : -1;
}
#endif

/*
 * Encode the n events of b: ch becomes the chunk's header and *data its bytes
 * (ch->size of them).  Returns 0, or -1 to have the chunk written plain (no LZ4 in
 * this build, no memory, or nothing gained).
 */
TS_NOINSTR int tscope__encode(const struct tscope__buf *b, size_t n, struct tsf_chunk *ch,
			      const void **data)
{
#ifdef HAVE_LZ4
	size_t packed = sizeof(b->head) + n * PACK_MAX_SLOT, psize;
	int bound = LZ4_compressBound((int)packed), csize;

	if (scratch_grow(&enc.packed, &enc.packed_size, packed) < 0 ||
	    scratch_grow(&enc.out, &enc.out_size, (size_t)bound) < 0)
		return -1;
	*ch = b->chunk;
	memcpy(enc.packed, &b->head, sizeof(b->head));
	psize = tscope__pack_encode(b->ev, n, (uint8_t *)enc.packed + sizeof(b->head),
				    packed - sizeof(b->head));
	ch->flags = TSF_CF_LZ4;
	if (psize && sizeof(b->head) + psize < b->chunk.size) {
		ch->flags |= TSF_CF_PACK;
		psize += sizeof(b->head);
		csize = LZ4_compress_default(enc.packed, enc.out, (int)psize, bound);
	} else {
		csize = LZ4_compress_default((const char *)&b->head, enc.out,
					     (int)b->chunk.size, bound);
	}
	if (csize <= 0 || (uint32_t)csize >= b->chunk.size)
		return -1;
	ch->size = (uint32_t)csize;
	*data = enc.out;
	return 0;
#else
	(void)b, (void)n, (void)ch, (void)data;
	return -1;
#endif
}

/* In a forked child: the scratch buffers are left to the parent's copy of the heap. */
TS_NOINSTR void tscope__encode_atfork_child(void)
{
	memset(&enc, 0, sizeof(enc));
}
