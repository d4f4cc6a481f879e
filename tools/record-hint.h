/* SPDX-License-Identifier: MIT */
/*
 * record-hint.h - what `tscope record` says about the trace after the program exited.
 */
#ifndef TSCOPE_RECORD_HINT_H
#define TSCOPE_RECORD_HINT_H

/* Events read of the trace, its first: the reading stops at the first of spans.h's
 * progress points (every 2^20 events) past this many. */
#define HINT_MAX_EVENTS 4000000u
#define HINT_MIN_CALLS	100000u /* fewer calls than this read: nothing to say */

/*
 * One "tscope:" line on stderr when most of the calls in the first HINT_MAX_EVENTS
 * events of the trace at path go to hot functions (lib/read/hot.h: called at least
 * HOT_MIN_CALLS times, under HOT_MAX_MEAN ns a call): it names the first three and
 * points to `tscope exclude-list`.  Silent otherwise, and when the trace cannot be
 * read (the runtime or the converters say why).
 */
void record_hint(const char *path);

#endif /* TSCOPE_RECORD_HINT_H */
