/* SPDX-License-Identifier: MIT */
/*
 * record-hint.c - after `tscope record`: say when the trace is mostly the calls of
 * tiny functions, whose tracing costs more than they do.  It reads only the first
 * HINT_MAX_EVENTS events (a few MB of a packed trace, read in a fraction of a second),
 * so that a trace of gigabytes does not keep the user waiting after the program ended.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "hot.h"
#include "names.h"
#include "record-hint.h"
#include "util.h"

#define HINT_NAMES    3	 /* functions named */
#define HINT_NAME_MAX 60 /* bytes of each name shown */

/* Append to buf (at *len) the name s of n bytes, control bytes as '?', cut if long. */
static void put_name(char *buf, size_t size, size_t *len, const char *s, size_t n)
{
	size_t k = n > HINT_NAME_MAX ? HINT_NAME_MAX : n;

	for (size_t i = 0; i < k && *len + 4 < size; i++)
		buf[(*len)++] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	if (k < n && *len + 4 < size) {
		memcpy(buf + *len, "...", 3);
		*len += 3;
	}
	buf[*len] = 0;
}

void record_hint(const char *path)
{
	struct names *names = names_new();
	struct hot_set h;
	uint64_t events;
	int whole, k;
	char list[HINT_NAMES * (HINT_NAME_MAX + 24) + 16], first[64] = "";
	size_t len = 0;

	memset(&h, 0, sizeof(h));
	list[0] = 0;
	if (!names || hot_scan(path, HINT_MAX_EVENTS, names, &h, &events, &whole) < 0 ||
	    h.calls < HINT_MIN_CALLS || h.hot_calls * 2 <= h.calls)
		goto out;
	for (size_t i = 0; i < h.n && i < HINT_NAMES; i++) {
		size_t n;
		const char *s = names_str(names, h.fn[i].name, &n);

		if (i && len + 2 < sizeof(list)) {
			memcpy(list + len, ", ", 3);
			len += 2;
		}
		put_name(list, sizeof(list), &len, s, n);
		k = snprintf(list + len, sizeof(list) - len, " %.0f%%",
			     100.0 * (double)h.fn[i].calls / (double)h.calls);
		if (k > 0 && (size_t)k < sizeof(list) - len)
			len += (size_t)k;
	}
	if (!whole)
		snprintf(first, sizeof(first), " (in the first %" PRIu64 " events)", events);
	util_error(path,
		   "%.0f%% of the calls%s are to functions shorter than %u ns a call (%s%s), "
		   "which cost less than their tracing: 'tscope exclude-list %s' prints the "
		   "compiler flags that leave them out (record --exclude drops them for a few "
		   "ns a call)",
		   100.0 * (double)h.hot_calls / (double)h.calls, first, HOT_MAX_MEAN, list,
		   h.n > HINT_NAMES ? ", ..." : "", path);
out:
	hot_free(&h);
	names_free(names);
}
