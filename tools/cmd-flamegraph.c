/* SPDX-License-Identifier: MIT */
/*
 * cmd-flamegraph.c - `tscope flamegraph FILE... -o OUT.svg`: a flame graph as SVG.
 * Thin: options here, the conversion in tools/convert.c, the stacks in
 * lib/read/export-folded.c, the drawing in lib/read/flame.c.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tscope.h"
#include "export.h"
#include "cmds.h"
#include "convert.h"
#include "util.h"

static const char help_text[] =
    "Usage: tscope flamegraph [OPTIONS] FILE... -o OUT.svg\n"
    "\n"
    "Draw a flame graph of the traces as one SVG file that any browser opens: one\n"
    "frame per call path, callees stacked on their caller, a frame's width in\n"
    "proportion to the time spent in it and in its callees (its self time is the width\n"
    "left above it).  Equal call paths of all threads and FILEs are merged, as in\n"
    "`tscope folded`; siblings are in name order, colours come from the names.\n"
    "\n"
    "In a browser: the mouse over a frame shows its name, inclusive and self time,\n"
    "share of the whole and calls; a click zooms on a frame (Escape or 'Reset Zoom'\n"
    "to come back); 'Search' or Ctrl-F highlights the frames whose name matches a\n"
    "regular expression and says what share of the whole they cover.\n"
    "\n"
    "Frames narrower than --min-width are not drawn (their time stays in their\n"
    "caller's width), so that the file stays small whatever the number of call paths.\n"
    "A stack deeper than 1024 frames is cut as `tscope folded` cuts it.\n"
    "\n"
    "Options:\n"
    "      --calls           widths are calls (of a function and its callees), not time\n"
    "      --icicle          draw top-down: the root at the top, callees below\n"
    "      --thread TID      only the thread TID\n"
    "      --per-thread      one root frame per thread, THREADNAME-TID, instead of\n"
    "                        merging the threads\n"
    "      --min-width PX    leave out frames narrower than PX pixels (default 0.1;\n"
    "                        0 draws them all)\n"
    "      --width PX        the image's width in pixels (default 1200)\n"
    "      --title TEXT      the title (default 'Flame Graph', or 'Icicle "
    "Graph')\n" CONVERT_SYMBOL_HELP CONVERT_CUT_HELP
    "  -o, --output FILE     write to FILE instead of stdout ('-' is stdout)\n"
    "  -h, --help            show this help and exit\n"
    "  -V, --version         show the version and exit\n"
    "\n"
    "Example:  tscope flamegraph app.trace -o app.svg && firefox app.svg\n"
    "\n"
    "Exit status: 0 success; 1 when a FILE cannot be read or is damaged (what can be read\n"
    "is drawn, and stderr says what is wrong), or the output cannot be written; 2 for\n"
    "bad usage.\n";

enum { OPT_CALLS = 256, OPT_ICICLE, OPT_PER_THREAD, OPT_MIN, OPT_WIDTH, OPT_TITLE };

/* flamegraph's own options (convert_options() takes the others). */
static int own(void *ctx, int opt, const char *arg)
{
	struct flamegraph_opts *o = ctx;
	double width;

	switch (opt) {
	case OPT_CALLS:
		o->stacks.calls = 1;
		break;
	case OPT_ICICLE:
		o->flame.icicle = 1;
		break;
	case OPT_PER_THREAD:
		o->stacks.tid = 1;
		break;
	case OPT_MIN:
		if (convert_parse_number(arg, NULL, 1000, &o->flame.min_width) < 0)
			return util_usage_error(
			    "flamegraph",
			    "--min-width needs a number of pixels from 0 to 1000, not '%s'", arg);
		break;
	case OPT_WIDTH:
		if (convert_parse_number(arg, NULL, 100000, &width) < 0 || width < 100 ||
		    width != (unsigned)width)
			return util_usage_error(
			    "flamegraph",
			    "--width needs a whole number of pixels from 100 to 100000, not '%s'",
			    arg);
		o->flame.width = (unsigned)width;
		break;
	case OPT_TITLE:
		o->flame.title = arg;
		break;
	}
	return 0;
}

int cmd_flamegraph(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "calls", no_argument, NULL, OPT_CALLS },
		{ "icicle", no_argument, NULL, OPT_ICICLE },
		CONVERT_THREAD_OPTION,
		{ "per-thread", no_argument, NULL, OPT_PER_THREAD },
		{ "min-width", required_argument, NULL, OPT_MIN },
		{ "width", required_argument, NULL, OPT_WIDTH },
		{ "title", required_argument, NULL, OPT_TITLE },
		CONVERT_CUT_OPTIONS,
		CONVERT_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	static const struct convert_cmd cmd = { ":o:hV", opts, help_text, own };
	struct flamegraph_opts o;
	struct convert_job job = { "flamegraph", &o, NULL, 0, 0 };
	int st;

	memset(&o, 0, sizeof(o));
	o.flame.width = FLAME_WIDTH;
	o.flame.min_width = FLAME_MIN_WIDTH;
	st = convert_options(&job, &cmd, &o, argc, argv);
	if (st >= 0)
		return st;
	o.stacks.has_tid = job.has_tid;
	o.stacks.tid_only = job.tid;
	return convert_files(&job, argc, argv);
}
