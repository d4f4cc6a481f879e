/* SPDX-License-Identifier: MIT */
/*
 * dump.h - the text views of a trace (dump.c): `tscope info`, a summary, and `tscope
 * dump`, every chunk and event as stored.  Private to the offline side.
 *
 * They read through the reader alone (no spans, no symbols), so they show a damaged
 * trace as it is.  Text from the trace is escaped (dump_text()); nothing here exits or
 * prints anything but the view, and write errors are left in ferror(out).
 */
#ifndef TSCOPE_DUMP_H
#define TSCOPE_DUMP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "reader.h"

/*
 * `tscope info`: a summary of the trace read by r, titled with name (the file's path),
 * on out.  Runs reader_scan() first.  Returns 0, or the scan's TSCOPE_EIO /
 * TSCOPE_ENOMEM (whatever was printed stays); write errors are left in ferror(out).
 */
int dump_info(struct reader *r, const char *name, FILE *out);

/*
 * `tscope dump`: the header, then every chunk in file order, one line each, every
 * EVENTS chunk followed by its events, one line each, as stored.  Returns 0, or
 * TSCOPE_EIO / TSCOPE_ENOMEM; write errors are left in ferror(out), and stop the dump
 * at the next chunk.
 */
int dump_records(struct reader *r, const char *name, FILE *out);

/*
 * Write n bytes of untrusted text (a name, a path): printable ASCII and bytes >= 0x80
 * (UTF-8) as they are, backslash, double quote and control characters escaped as \\,
 * \" and \xHH, so no recorded string can forge a line or drive the terminal.
 */
void dump_text(FILE *out, const char *s, size_t n);

#endif /* TSCOPE_DUMP_H */
