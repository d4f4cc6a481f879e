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
#include <stdio.h>
#include <string.h>

#include "tscope.h"
#include "export.h"
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

enum { OPT_PID = 256, OPT_TID, OPT_CALLS, OPT_MAX_FRAMES };

/* folded's own options (convert_options() takes the others). */
static int own(void *ctx, int opt, const char *arg)
{
	struct folded_opts *o = ctx;

	switch (opt) {
	case OPT_PID:
		o->pid = 1;
		break;
	case OPT_TID:
		o->tid = 1;
		break;
	case OPT_CALLS:
		o->calls = 1;
		break;
	case OPT_MAX_FRAMES:
		return convert_max_frames("folded", arg, &o->max_frames);
	}
	return 0;
}

int cmd_folded(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", no_argument, NULL, OPT_PID },
		{ "tid", no_argument, NULL, OPT_TID },
		{ "calls", no_argument, NULL, OPT_CALLS },
		CONVERT_THREAD_OPTION,
		{ "max-frames", required_argument, NULL, OPT_MAX_FRAMES },
		CONVERT_CUT_OPTIONS,
		CONVERT_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	static const struct convert_cmd cmd = { ":o:hV", opts, help_text, own };
	struct folded_opts o;
	struct convert_job job = { "folded", &o, NULL, 0, 0 };
	int st;

	memset(&o, 0, sizeof(o));
	st = convert_options(&job, &cmd, &o, argc, argv);
	if (st >= 0)
		return st;
	o.has_tid = job.has_tid;
	o.tid_only = job.tid;
	return convert_files(&job, argc, argv);
}
