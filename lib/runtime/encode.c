/* SPDX-License-Identifier: MIT */
/*
 * encode.c - an EVENTS chunk made smaller before it is written.
 *
 * The slots are packed (pack.h: about 2 bytes an event on call-heavy code), and with
 * TS_ENC_LZ4 header and packed slots are then LZ4-compressed.  Packing first makes
 * LZ4's input about 8 times smaller, so the writer keeps up with the recording
 * threads.  The output lives in scratch buffers owned here, valid until the next call;
 * used by the writer only, with the file's lock held.
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
	char *packed; /* header + packed slots */
	size_t packed_size;
	size_t used; /* bytes of packed */
} enc;

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

/*
 * Pack the n slots of b into the scratch buffer, after room for b's EVENTS head.
 * scan->t0 and scan->from say which slots may be unfinished; scan->stop says how many
 * were packed.  Returns 0, or -1 to have the chunk written plain (no memory, or
 * nothing gained).
 */
TS_NOINSTR int tscope__encode_pack(const struct tscope__buf *b, size_t n, struct pack_scan *scan)
{
	size_t head = sizeof(b->head), cap = head + n * PACK_MAX_SLOT;

	if (scratch_grow(&enc.packed, &enc.packed_size, cap) < 0)
		return -1;
	enc.used = tscope__pack_encode(b->ev, n, (uint8_t *)enc.packed + head, cap - head, scan);
	if (!enc.used || head + enc.used >= head + scan->stop * sizeof(struct tsf_event))
		return -1;
	enc.used += head;
	return 0;
}

/*
 * The chunk of what tscope__encode_pack() packed, headed by b's head as it is now:
 * ch becomes the chunk's header and *data its bytes (ch->size of them), LZ4-compressed
 * with TS_ENC_LZ4 where that makes them smaller.  Valid until the next call.
 */
TS_NOINSTR void tscope__encode_finish(const struct tscope__buf *b, int encoding,
				      struct tsf_chunk *ch, const void **data)
{
	memcpy(enc.packed, &b->head, sizeof(b->head));
	*ch = b->chunk;
	ch->flags = TSF_CF_PACK2;
	ch->size = (uint32_t)enc.used;
	*data = enc.packed;
#ifdef HAVE_LZ4
	if (encoding == TS_ENC_LZ4) {
		int bound = LZ4_compressBound((int)enc.used), csize;

		if (scratch_grow(&enc.out, &enc.out_size, (size_t)bound) < 0)
			return; /* packed, at least */
		csize = LZ4_compress_default(enc.packed, enc.out, (int)enc.used, bound);
		if (csize > 0 && (size_t)csize < enc.used) {
			ch->flags |= TSF_CF_LZ4;
			ch->size = (uint32_t)csize;
			*data = enc.out;
		}
	}
#else
	(void)encoding;
#endif
}

/* In a forked child: the scratch buffers are left to the parent's copy of the heap. */
TS_NOINSTR void tscope__encode_atfork_child(void)
{
	memset(&enc, 0, sizeof(enc));
}
