/* SPDX-License-Identifier: MIT */
/*
 * pack.h - the packed encoding of event slots (EVENTS chunks with TSF_CF_PACK2).
 *
 * Call-heavy code makes runs of enters and exits a few dozen counter ticks apart, and
 * an exit is nearly always the exit of the innermost open enter.  Encoder and decoder
 * keep the same state, from zero at each chunk: prev (the time of the last slot coded
 * by delta), a table of 64 words (slot: pack_slot()), a stack of the last 64 open enter
 * words, and again (the enter word of the last exit).  Each slot starts with a tag:
 *
 *	0x00..0x3f  word = table[tag]; then the time delta, a base-128 varint
 *	0x40        the word, 8 bytes little-endian, stored in table[pack_slot(word)];
 *	            then the delta
 *	0x41        the word, then the time, 8 bytes each: a time before prev (a
 *	            handler's events, a copied name's payload slots); prev stays
 *	0x42..0x7f  word = again, delta = tag - 0x42 (a call of the function that just
 *	            returned: a loop, or recursion)
 *	0x80..0xff  word = the innermost open enter's word | TSF_EXIT_BIT,
 *	            delta = tag - 0x80
 *
 * After every slot, whatever its tag: an ENTER word (kind 0) is pushed; an EXIT word
 * pops (when the stack is not empty) and becomes again, without its exit bit.  The
 * stack keeps its last 64 entries, deeper ones are overwritten, in both coders alike.
 * A call in a loop or in recursion costs 2 bytes; the 16-byte slots of COPY, COUNTER
 * and EXT payloads round-trip like any others (EXT payload words have kind EXT, so
 * that they leave the stack alone).  TSF_CF_PACK chunks (earlier writers)
 * hold the first packed form: every slot a table tag or a literal, then a zig-zag
 * varint delta.  Shared by the runtime (encoder) and the reader (decoders); neither
 * allocates.
 */
#ifndef TSCOPE_PACK_H
#define TSCOPE_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "format.h"

#define PACK_MAX_SLOT (1 + 8 + 10) /* bytes one slot may take */
#define PACK_MAX_RATIO 16	    /* raw bytes per packed byte, at most */

/* What the encoder learns of the slots as it goes (the runtime's writer needs both, and
 * reads the buffer once). */
struct pack_scan {
	uint64_t t0; /* in: an event at or after slot from whose time is below t0 ... */
	size_t from; /* ... is not written yet: encoding stops before it */
	size_t stop; /* out: the slots encoded (n, or the first event not written yet) */
	int names;   /* out: a BEGIN, COPY, INSTANT or COUNTER event is among them */
	int ext;     /* out: an EXT event is among them */
};

/*
 * Encode n slots into out (cap bytes); scan may be NULL.  Returns the bytes written, or
 * 0 if they do not fit in cap (the caller then stores the slots plain).
 */
size_t tscope__pack_encode(const struct tsf_event *ev, size_t n, uint8_t *out, size_t cap,
			   struct pack_scan *scan);

#define PACK_OLD 0x1 /* decode: TSF_CF_PACK, the first packed form */
#define PACK_CUT 0x2 /* decode: the input may end inside a slot: stop before it */

/*
 * Decode len bytes (TSF_CF_PACK2, or as flags say) into at most max slots.  Returns the
 * slots decoded, or -1 if the input is malformed (a truncated field unless PACK_CUT, a
 * varint over 64 bits, an unknown tag, an exit with no open enter, more slots than
 * max).  Input is untrusted.
 */
long tscope__pack_decode(const uint8_t *in, size_t len, struct tsf_event *out, size_t max,
			 unsigned flags);

#endif /* TSCOPE_PACK_H */
