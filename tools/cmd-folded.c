/* SPDX-License-Identifier: MIT */
/*
 * cmd-folded.c - `tscope folded FILE...`: folded stacks for flame graphs.  Thin:
 * options here, the conversion in tools/convert.c, the stacks in
 * lib/read/export-folded.c.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "tscope.h"
#include "export.h"
#include "calltree.h"
#include "cmds.h"
#include "convert.h"
#include "util.h"

static const char help_text[] =
    "Usage: tscope folded [OPTIONS] FILE...\n"
    "\n"
    "Print folded stacks, the input of flamegraph.pl, speedscope and inferno: one line\n"
    "per distinct call stack, outermost frame first, frames joined by ';', then a space\n"
    "and the stack's self time in nanoseconds (time in its last frame, callees\n"
    "excluded):\n"
    "\n"
    "  main;parse;lex 12345\n"
    "\n"
    "Equal stacks of all threads and FILEs add up, unless --pid or --tid put the process\n"
    "or the thread first in each stack.  Lines are sorted frame by frame (bytewise), and\n"
    "stacks with a value of 0 are left out.  In frame names, ';' is written ':' and\n"
    "control characters '?'.\n"
    "\n"
    "A stack deeper than 1024 frames (a deep recursion) keeps its outermost 511 and\n"
    "innermost 512 frames, joined by a frame \"[frames cut]\", and adds up with the\n"
    "stacks equal to it once cut, so that the output stays small; stderr says so.\n"
    "\n"
    "Options:\n"
    "      --pid             start each stack with a frame EXECUTABLE-PID\n"
    "      --tid             start each stack with a frame THREADNAME-TID\n"
    "      --calls           the value is the number of calls instead of the self time\n"
    "      --thread TID      only the thread TID\n"
    "      --max-frames N    keep N frames of a deeper stack instead of 1024 (at least 8;\n"
    "                        0: no limit)\n" CONVERT_CUT_HELP CONVERT_SYMBOL_HELP
    "  -o, --output FILE     write to FILE instead of stdout ('-' is stdout)\n"
    "  -h, --help            show this help and exit\n"
    "  -V, --version         show the version and exit\n"
    "\n"
    "Example:  tscope folded tscope.trace | flamegraph.pl > calls.svg\n"
    "\n"
    "Exit status: 0 success; 1 when a FILE cannot be read or is damaged (what can be read\n"
    "is converted, and stderr says what is wrong), or the output cannot be written; 2\n"
    "for bad usage.\n";

int cmd_folded(int argc, char **argv)
{
	enum { OPT_PID = 256, OPT_TID, OPT_CALLS, OPT_THREAD, OPT_MAX_FRAMES };
	static const struct option opts[] = {
		{ "pid", no_argument, NULL, OPT_PID },
		{ "tid", no_argument, NULL, OPT_TID },
		{ "calls", no_argument, NULL, OPT_CALLS },
		{ "thread", required_argument, NULL, OPT_THREAD },
		{ "max-frames", required_argument, NULL, OPT_MAX_FRAMES },
		{ "output", required_argument, NULL, 'o' },
		CONVERT_SYMBOL_OPTIONS,
		CONVERT_CUT_OPTIONS,
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct folded_opts o;
	struct convert_job job = { "folded", &o, NULL, 0, 0 };
	uint32_t frames;
	int opt;

	memset(&o, 0, sizeof(o));
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":o:hV", opts, NULL)) != -1) {
		int sym = convert_symbols("folded", opt, optarg);

		if (sym < 0)
			sym = convert_cut("folded", opt, optarg);

		if (sym >= 0) {
			if (sym)
				return sym;
			continue;
		}
		switch (opt) {
		case OPT_PID:
			o.pid = 1;
			break;
		case OPT_TID:
			o.tid = 1;
			break;
		case OPT_CALLS:
			o.calls = 1;
			break;
		case OPT_THREAD:
			if (convert_parse_u32(optarg, &o.tid_only) < 0)
				return util_usage_error(
				    "folded", "--thread needs a thread id, not '%s'", optarg);
			o.has_tid = 1;
			break;
		case OPT_MAX_FRAMES:
			if (convert_parse_u32(optarg, &frames) < 0 ||
			    (frames && frames < CALLTREE_CUT_MIN))
				return util_usage_error(
				    "folded", "--max-frames needs 0 or a number from %u, not '%s'",
				    CALLTREE_CUT_MIN, optarg);
			o.max_frames = frames ? frames : UINT_MAX;
			break;
		case 'o':
			job.output = optarg;
			break;
		default:
			return convert_usage("folded", opt, argv, help_text);
		}
	}
	if (optind >= argc)
		return util_usage_error("folded", "no trace file given");
	job.has_tid = o.has_tid;
	job.tid = o.tid_only;
	return convert_run(&job, argv + optind, argc - optind);
}
