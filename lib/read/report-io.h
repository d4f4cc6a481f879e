/* SPDX-License-Identifier: MIT */
/*
 * report-io.h - `tscope report --io`: the I/O and waiting of traces recorded with
 * `tscope record --io`, by function and by file, over all threads and traces.  Private
 * to the offline side.  Nothing here exits; write errors stay in ferror().
 */
#ifndef TSCOPE_REPORT_IO_H
#define TSCOPE_REPORT_IO_H

#include <stdint.h>
#include <stdio.h>

#include "spans.h"

struct report_io;

/* An empty report; names is the set the traces' spans use.  0 or TSCOPE_ENOMEM. */
int report_io_open(struct report_io **rp, struct names *names);

/* Add the threads of one trace (only tid when has_tid).  Returns 0, or the first error
 * of spans_run(); *threads grows by the threads read. */
int report_io_add(struct report_io *rep, struct spans *sp, int has_tid, uint32_t tid,
		  uint64_t *threads);

/* Print the tables (ns: times in ns and sizes in bytes, as integers) and free rep.
 * Returns 0 or TSCOPE_ENOMEM. */
int report_io_finish(struct report_io *rep, FILE *out, int ns);

#endif /* TSCOPE_REPORT_IO_H */
