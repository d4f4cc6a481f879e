/* SPDX-License-Identifier: MIT */
/*
 * record-filter.h - `tscope record`'s filters and window: --exclude, --include,
 * --max-depth, --min-duration, --throttle, --delay, --duration, turned into the
 * TSCOPE_* variables the runtime reads (format.h).
 */
#ifndef TSCOPE_RECORD_FILTER_H
#define TSCOPE_RECORD_FILTER_H

#include <getopt.h>

/* Option codes, past any character getopt_long() returns. */
enum {
	RF_EXCLUDE = 0x1000,
	RF_INCLUDE,
	RF_MAX_DEPTH,
	RF_MIN_DURATION,
	RF_THROTTLE,
	RF_DELAY,
	RF_DURATION,
};

#define RECORD_FILTER_OPTIONS                                                                      \
	{ "exclude", required_argument, NULL, RF_EXCLUDE },                                        \
	    { "include", required_argument, NULL, RF_INCLUDE },                                    \
	    { "max-depth", required_argument, NULL, RF_MAX_DEPTH },                                \
	    { "min-duration", required_argument, NULL, RF_MIN_DURATION },                          \
	    { "throttle", optional_argument, NULL, RF_THROTTLE },                                  \
	    { "delay", required_argument, NULL, RF_DELAY },                                        \
	{                                                                                          \
		"duration", required_argument, NULL, RF_DURATION                                   \
	}

#define RECORD_FILTER_HELP                                                                         \
	"Filters (applied while recording; the calls they drop are still counted, per\n"           \
	"function, and `tscope report --flat` and `tscope info` add them up, but for\n"            \
	"--exclude without --max-depth):\n"                                                        \
	"      --exclude PAT    drop the calls of functions whose name matches the glob\n"         \
	"                       PAT (* ? [...]; the mangled or the demangled C++ name);\n"         \
	"                       their callees stay.  Repeatable.  The hooks drop them\n"           \
	"                       (libtscope-exclude.so): a few ns a call, not counted,\n"           \
	"                       their time in their callers' self time\n"                          \
	"      --include PAT    record only the calls of functions matching PAT and\n"             \
	"                       everything they call.  Repeatable\n"                               \
	"      --max-depth N    drop calls deeper than N (main is at depth 1 or 2)\n"              \
	"      --min-duration TIME  drop calls shorter than TIME (e.g. 1us) inside which\n"        \
	"                       nothing was recorded\n"                                            \
	"      --throttle[=N,TIME]  a function called more than N times averaging under\n"         \
	"                       TIME is counted only, from then on (default 10000,100ns);\n"       \
	"                       the functions throttled are named at exit\n"                       \
	"      --delay TIME     start recording TIME after the program starts\n"                   \
	"      --duration TIME  stop recording TIME after it started (as `tscope ctl stop`)\n"     \
	"Times take ns, us, ms or s.  Scopes, instants, counters and memory events are\n"          \
	"always kept.\n"

struct record_filter {
	char *exclude, *include; /* ';'-separated, as TSCOPE_EXCLUDE / TSCOPE_INCLUDE */
	const char *max_depth, *min_duration, *throttle, *delay, *duration;
	int throttle_set;
};

/* Take option opt (an RF_* code) with its argument; 0, or EXIT_USAGE after saying why. */
int record_filter_option(struct record_filter *f, int opt, const char *arg);

/* Set the TSCOPE_* variables of f, and unset those f does not set. */
void record_filter_env(const struct record_filter *f);

/* Free what f holds. */
void record_filter_free(struct record_filter *f);

#endif
