/* SPDX-License-Identifier: MIT */
/*
 * iomap.h - the I/O and wait events of a trace (EXT IO, WAIT, PATH: see format.h): the
 * names of the calls, and which file each fd of the process was, over all its threads.
 * Private to the offline side.
 *
 * An fd is named by the newest open() that returned it before the event, on any thread,
 * unless a close() of it came in between; an fd opened before the recording, or by
 * something not recorded (pipe(), socket(), dup()), has no path.  iomap_build() reads
 * the threads once to collect the opens and closes: memory grows with their number.
 * Nothing here prints or exits.
 */
#ifndef TSCOPE_IOMAP_H
#define TSCOPE_IOMAP_H

#include <stdint.h>

#include "reader.h"

struct iomap;

/* Collect the opens and closes of r.  Returns 0 and sets *mp (NULL when the trace has
 * no EXT events), or a negative TSCOPE_E* code. */
int iomap_build(struct iomap **mp, struct reader *r);
void iomap_free(struct iomap *m);

/* How many I/O and wait events the trace holds. */
uint64_t iomap_events(const struct iomap *m);

/* The path of fd at ticks (an open at ticks itself included, a close excluded), or
 * NULL. */
const char *iomap_path(const struct iomap *m, int32_t fd, uint64_t ticks);

/* The path pieces of one thread, put together (PATH events before an open). */
struct iomap_piece {
	char path[TSF_COPY_MAX + 1];
	uint32_t len, have;
	int32_t fd;
};
/* Add a PATH event; 1 when the path is whole. */
int iomap_piece_add(struct iomap_piece *p, uint64_t arg, const uint64_t v[3]);

/* Is this EXT subtype an I/O or wait event (PATH excluded)? */
int iomap_is_io(uint32_t sub);

/* The name of call op ("read", "pthread_cond_wait", ...); "?" when unknown. */
const char *iomap_op_name(uint32_t op);

/* What op's bytes are: 1 read, 2 written, 0 neither. */
int iomap_op_dir(uint32_t op);

#endif /* TSCOPE_IOMAP_H */
