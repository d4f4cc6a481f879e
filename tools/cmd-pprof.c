/* SPDX-License-Identifier: MIT */
/*
 * cmd-pprof.c - `tscope pprof FILE... -o OUT.pb`: a profile for `go tool pprof`.  Thin:
 * options here, the conversion in tools/convert.c, the profile in
 * lib/read/export-pprof.c.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tscope.h"
#include "export.h"
#include "calltree.h"
#include "cmds.h"
#include "convert.h"
#include "util.h"

static const char help_text[] =
    "Usage: tscope pprof [OPTIONS] FILE... -o OUT.pb\n"
    "\n"
    "Write a pprof profile (google/pprof's profile.proto, uncompressed), for go tool\n"
    "pprof and the viewers that read the format.  Each distinct call path of all threads\n"
    "and FILEs is one sample with three values:\n"
    "\n"
    "  calls   calls of the path's last function (unit count)\n"
    "  self    their time in it, callees excluded (nanoseconds; the default)\n"
    "  total   their time, callees included (nanoseconds)\n"
    "\n"
    "So pprof's flat column is each function's calls or self time, and its cum column of\n"
    "self the time in the function and its callees (a recursion counted once).  Functions\n"
    "have their names as tscope report shows them, and their symbols (C++ names\n"
    "mangled) as system names; there are no file names or line numbers.\n"
    "\n"
    "A call path deeper than 1024 frames (a deep recursion) keeps its outermost 511 and\n"
    "innermost 512 frames, joined by a frame \"[frames cut]\", and adds up with the\n"
    "paths equal to it once cut, so that the profile stays small; stderr says so.\n"
    "\n"
    "Options:\n"
    "      --thread TID      only the thread TID\n"
    "      --max-frames N    keep N frames of a deeper path instead of 1024 (at\n"
    "                        least 8; 0: no limit)\n" CONVERT_CUT_HELP CONVERT_SYMBOL_HELP
    "  -o, --output FILE     write to FILE ('-' is stdout, which must not be a\n"
    "                        terminal)\n"
    "  -h, --help            show this help and exit\n"
    "  -V, --version         show the version and exit\n"
    "\n"
    "Examples:\n"
    "  tscope pprof app.trace -o app.pb\n"
    "  go tool pprof -top -sample_index=calls app.pb\n"
    "  go tool pprof -http=: app.pb\n"
    "\n"
    "Exit status: 0 success; 1 when a FILE cannot be read or is damaged (what can be read\n"
    "is converted, and stderr says what is wrong), or the output cannot be written; 2\n"
    "for bad usage.\n";

int cmd_pprof(int argc, char **argv)
{
	enum { OPT_THREAD = 256, OPT_MAX_FRAMES };
	static const struct option opts[] = {
		{ "thread", required_argument, NULL, OPT_THREAD },
		{ "max-frames", required_argument, NULL, OPT_MAX_FRAMES },
		{ "output", required_argument, NULL, 'o' },
		CONVERT_SYMBOL_OPTIONS,
		CONVERT_CUT_OPTIONS,
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct pprof_opts o;
	struct convert_job job = { "pprof", &o, NULL, 0, 0 };
	uint32_t frames;
	int opt;

	memset(&o, 0, sizeof(o));
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":o:hV", opts, NULL)) != -1) {
		int sym = convert_symbols("pprof", opt, optarg);

		if (sym < 0)
			sym = convert_cut("pprof", opt, optarg);
		if (sym >= 0) {
			if (sym)
				return sym;
			continue;
		}
		switch (opt) {
		case OPT_THREAD:
			if (convert_parse_u32(optarg, &o.tid) < 0)
				return util_usage_error(
				    "pprof", "--thread needs a thread id, not '%s'", optarg);
			o.has_tid = 1;
			break;
		case OPT_MAX_FRAMES:
			if (convert_parse_u32(optarg, &frames) < 0 ||
			    (frames && frames < CALLTREE_CUT_MIN))
				return util_usage_error(
				    "pprof", "--max-frames needs 0 or a number from %u, not '%s'",
				    CALLTREE_CUT_MIN, optarg);
			o.max_frames = frames ? frames : UINT_MAX;
			break;
		case 'o':
			job.output = optarg;
			break;
		default:
			return convert_usage("pprof", opt, argv, help_text);
		}
	}
	if (optind >= argc)
		return util_usage_error("pprof", "no trace file given");
	if ((!job.output || strcmp(job.output, "-") == 0) && isatty(STDOUT_FILENO))
		return util_usage_error("pprof",
					"the profile is binary: give -o FILE, or redirect stdout");
	job.has_tid = o.has_tid;
	job.tid = o.tid;
	return convert_run(&job, argv + optind, argc - optind);
}
