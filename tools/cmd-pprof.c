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
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tscope.h"
#include "export.h"
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

enum { OPT_MAX_FRAMES = 256 };

/* pprof's own option (convert_options() takes the others). */
static int own(void *ctx, int opt, const char *arg)
{
	struct pprof_opts *o = ctx;

	return opt == OPT_MAX_FRAMES ? convert_max_frames("pprof", arg, &o->max_frames) : 0;
}

int cmd_pprof(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "max-frames", required_argument, NULL, OPT_MAX_FRAMES },
		CONVERT_THREAD_OPTION,
		CONVERT_CUT_OPTIONS,
		CONVERT_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	static const struct convert_cmd cmd = { ":o:hV", opts, help_text, own };
	struct pprof_opts o;
	struct convert_job job = { "pprof", &o, NULL, 0, 0 };
	int st;

	memset(&o, 0, sizeof(o));
	st = convert_options(&job, &cmd, &o, argc, argv);
	if (st >= 0)
		return st;
	if (optind >= argc)
		return util_usage_error("pprof", "no trace file given");
	if ((!job.output || strcmp(job.output, "-") == 0) && isatty(STDOUT_FILENO))
		return util_usage_error("pprof",
					"the profile is binary: give -o FILE, or redirect stdout");
	o.has_tid = job.has_tid;
	o.tid = job.tid;
	return convert_run(&job, argv + optind, argc - optind);
}
