/* SPDX-License-Identifier: MIT */
/*
 * pack.h - the packed encoding of event slots (EVENTS chunks with TSF_CF_PACK).
 *
 * Each 16-byte slot {time, word} becomes a tag byte and a varint:
 *
 *	tag < PACK_TABLE     the word is table[tag]
 *	tag == PACK_LITERAL  the word follows, 8 bytes little-endian, and is stored in
 *	                     table[pack_slot(word)]
 *	then                 time - previous time (the first slot: - 0), zig-zag encoded,
 *	                     as a little-endian base-128 varint
 *
 * The table starts zeroed for every chunk (so a zero word hits slot 0 at once).  Any slot round-trips, so the payload
 * slots of COPY and COUNTER events need no special case; a function's enter and exit
 * words hit the table, and consecutive times differ by little, so a call costs about
 * 4 bytes instead of 32, and compresses further with LZ4.  Shared by the runtime
 * (encoder) and the reader (decoder); neither allocates.
 */
#ifndef TSCOPE_PACK_H
#define TSCOPE_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "format.h"

#define PACK_TABLE   128
#define PACK_LITERAL 128
#define PACK_MAX_SLOT (1 + 8 + 10) /* bytes one slot may take */

/* The table slot of a word. */
static inline unsigned pack_slot(uint64_t word)
{
	return (unsigned)((word * UINT64_C(0x9e3779b97f4a7c15)) >> 57);
}

/*
 * Encode n slots into out (cap bytes).  Returns the bytes written, or 0 if they do not
 * fit in cap (the caller then stores the slots plain).
 */
size_t tscope__pack_encode(const struct tsf_event *ev, size_t n, uint8_t *out, size_t cap);

/*
 * Decode len bytes into at most max slots.  Returns the slots decoded, or -1 if the
 * input is malformed (a truncated literal or varint, a varint over 64 bits, an unknown
 * tag, more slots than max).  Input is untrusted.
 */
long tscope__pack_decode(const uint8_t *in, size_t len, struct tsf_event *out, size_t max);

#endif /* TSCOPE_PACK_H */
