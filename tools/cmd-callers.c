/* SPDX-License-Identifier: MIT */
/*
 * cmd-callers.c - `tscope callers FUNC FILE...`: the call paths into one function and
 * what it calls.  Options here; the paths are found in lib/read/export-func.c.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <getopt.h>
#include <string.h>

#include "export.h"
#include "cmds.h"
#include "convert.h"
#include "util.h"

static const char help_text[] =
    "Usage: tscope callers [OPTIONS] FUNC FILE...\n"
    "\n"
    "Show how the function FUNC is reached and what it does, over every thread of the\n"
    "traces:\n"
    "\n"
    "  - the first line: its calls and inclusive time in all (a recursive call inside\n"
    "    FUNC is counted once, in its outermost call), and the number of call paths;\n"
    "  - callers: each distinct call path that ends in FUNC, outermost frame first, with\n"
    "    its calls, inclusive and self time, the largest first;\n"
    "  - callees: the functions FUNC calls directly, over all those paths together.\n"
    "\n"
    "FUNC is a name as tscope report shows it (C++ names demangled); a C++ name also\n"
    "matches without its parameters: 'ns::parse' matches 'ns::parse(char const*)'.\n"
    "\n"
    "Options:\n"
    "      --thread TID      only the thread TID\n" CONVERT_CUT_HELP CONVERT_SYMBOL_HELP
    "  -o, --output FILE     write to FILE instead of stdout ('-' is stdout)\n"
    "  -h, --help            show this help and exit\n"
    "  -V, --version         show the version and exit\n"
    "\n"
    "Example:  tscope callers malloc_wrapper app.trace*\n"
    "\n"
    "Exit status: 0 success; 1 when a FILE cannot be read or is damaged (what can be read\n"
    "is used, and stderr says what is wrong), or the output cannot be written; 2 for bad\n"
    "usage.\n";

int cmd_callers(int argc, char **argv)
{
	static const struct option opts[] = {
		CONVERT_THREAD_OPTION,
		CONVERT_CUT_OPTIONS,
		CONVERT_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	static const struct convert_cmd cmd = { ":o:hV", opts, help_text, NULL };
	struct func_opts o;
	struct convert_job job = { "callers", &o, NULL, 0, 0 };
	int st;

	memset(&o, 0, sizeof(o));
	st = convert_options(&job, &cmd, &o, argc, argv);
	if (st >= 0)
		return st;
	if (optind >= argc)
		return util_usage_error("callers", "no function given");
	o.func = argv[optind++];
	if (!*o.func)
		return util_usage_error("callers", "the function name is empty");
	o.has_tid = job.has_tid;
	o.tid = job.tid;
	return convert_files(&job, argc, argv);
}
