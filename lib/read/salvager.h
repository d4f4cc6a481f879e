/* SPDX-License-Identifier: MIT */
/*
 * salvager.h - finishing the traces of processes that died under `tscope record`
 * (salvage.c; the memory's layout is lib/salvage.h).
 */
#ifndef TSCOPE_SALVAGER_H
#define TSCOPE_SALVAGER_H

/* Told of each file: path, the trace finished (err 0), or the recording memory that
 * could not be read or the trace not written (err an errno). */
typedef void (*salvage_said_fn)(void *ctx, const char *path, int err);

/*
 * Finish the traces of the dead processes whose recording memory is in PREFIX-PID
 * files (prefix: the value of TSCOPE_SALVAGE), and remove those files.  base: the
 * trace's path, for a process that never opened its own (base.PID).  Returns how many
 * traces were finished.
 */
int salvage_run(const char *prefix, const char *base, salvage_said_fn said, void *ctx);

/*
 * The trace at path, if its process died without finishing it and left its recording
 * memory in /dev/shm: finished from there, that memory removed.  Returns 1 when it was
 * (0 when there was nothing to do or it could not be done: the trace is as it was).
 */
int salvage_trace(const char *path);

#endif
