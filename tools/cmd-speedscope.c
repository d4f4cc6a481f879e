/* SPDX-License-Identifier: MIT */
/*
 * cmd-speedscope.c - `tscope speedscope FILE... [-o OUT.json]`: speedscope's file
 * format, one evented profile per thread.  Thin: options here, the conversion in
 * tools/convert.c, the JSON in lib/read/export-speedscope.c.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "export.h"
#include "cmds.h"
#include "convert.h"
#include "util.h"

static const char help_text[] =
    "Usage: tscope speedscope [OPTIONS] FILE... [-o OUT.json]\n"
    "\n"
    "Convert traces to speedscope's file format, which speedscope (www.speedscope.app,\n"
    "or `npm install -g speedscope` and `speedscope OUT.json`) opens: one profile per\n"
    "thread, named \"NAME (tid T, pid P)\", whose calls and scopes open and close at their\n"
    "times in nanoseconds, named as tscope report names them (C++ names demangled).\n"
    "speedscope shows each thread's calls in time order, merged (left heavy) and as a\n"
    "table of self and total times; its thread selector goes through the profiles.\n"
    "Several FILEs (a traced process and the children it forked or exec'd: FILE,\n"
    "FILE.<pid>...) share one timeline, as in `tscope chrome`.  Instants and counters\n"
    "have no place in the format and are left out.  Calls left open by longjmp,\n"
    "exceptions, exit() or a crash are closed so that every profile nests; stderr says\n"
    "how many were repaired.\n"
    "\n"
    "Options:\n"
    "  -o, --output OUT      write to OUT instead of stdout ('-' is stdout); never\n"
    "                        through a symbolic link, never over an input\n"
    "      --thread TID      only the thread TID\n" CONVERT_CUT_HELP CONVERT_SYMBOL_HELP
    "  -h, --help            show this help and exit\n"
    "  -V, --version         show the version and exit\n"
    "\n"
    "Examples:\n"
    "  tscope speedscope app.trace -o app.speedscope.json\n"
    "  tscope speedscope --from 2s --to 3s --min-duration 10us app.trace -o part.json\n"
    "\n"
    "Exit status: 0 success; 1 when a FILE cannot be read or is damaged (truncated,\n"
    "malformed or missing chunks: everything readable is converted, and the output is\n"
    "complete), or the output cannot be written; 2 for bad usage.\n";

int cmd_speedscope(int argc, char **argv)
{
	static const struct option opts[] = {
		CONVERT_THREAD_OPTION,
		CONVERT_CUT_OPTIONS,
		CONVERT_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	static const struct convert_cmd cmd = { ":o:hV", opts, help_text, NULL };
	struct speedscope_opts o;
	struct convert_job job = { "speedscope", &o, NULL, 0, 0 };
	int st;

	memset(&o, 0, sizeof(o));
	st = convert_options(&job, &cmd, &o, argc, argv);
	if (st >= 0)
		return st;
	o.has_tid = job.has_tid;
	o.tid = job.tid;
	return convert_files(&job, argc, argv);
}
