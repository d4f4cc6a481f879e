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
		{ "output", required_argument, NULL, 'o' },
		{ "thread", required_argument, NULL, 't' },
		CONVERT_SYMBOL_OPTIONS,
		CONVERT_CUT_OPTIONS,
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct speedscope_opts o;
	struct convert_job job = { "speedscope", &o, NULL, 0, 0 };
	int opt;

	memset(&o, 0, sizeof(o));
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":o:hV", opts, NULL)) != -1) {
		int sym = convert_symbols("speedscope", opt, optarg);

		if (sym < 0)
			sym = convert_cut("speedscope", opt, optarg);
		if (sym >= 0) {
			if (sym)
				return sym;
			continue;
		}
		switch (opt) {
		case 'o':
			job.output = optarg;
			break;
		case 't':
			if (convert_parse_u32(optarg, &o.tid) < 0)
				return util_usage_error(
				    "speedscope", "--thread needs a thread id, not '%s'", optarg);
			o.has_tid = 1;
			break;
		default:
			return convert_usage("speedscope", opt, argv, help_text);
		}
	}
	if (optind >= argc)
		return util_usage_error("speedscope", "no trace file given");
	job.has_tid = o.has_tid;
	job.tid = o.tid;
	return convert_run(&job, argv + optind, argc - optind);
}
