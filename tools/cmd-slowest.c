/* SPDX-License-Identifier: MIT */
/*
 * cmd-slowest.c - `tscope slowest FUNC FILE...`: the slowest calls of one function.
 * Options here; the calls are found in lib/read/export-func.c.
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
    "Usage: tscope slowest [OPTIONS] FUNC FILE...\n"
    "\n"
    "List the slowest calls of the function FUNC in the traces, slowest first: how long\n"
    "each took (inclusive time: entry to exit), when it started (seconds from the start\n"
    "of the recording, the same time 0 as tscope chrome), the process and thread, and the\n"
    "call path that led to it, outermost first (its innermost 64 frames).  The first line\n"
    "says how many calls FUNC made in all.\n"
    "\n"
    "FUNC is a name as tscope report shows it (C++ names demangled); a C++ name also\n"
    "matches without its parameters: 'ns::parse' matches 'ns::parse(char const*)'.\n"
    "\n"
    "Options:\n"
    "  -n, --count N         list N calls (default 10)\n"
    "      --thread TID      only the thread TID\n" CONVERT_CUT_HELP CONVERT_SYMBOL_HELP
    "  -o, --output FILE     write to FILE instead of stdout ('-' is stdout)\n"
    "  -h, --help            show this help and exit\n"
    "  -V, --version         show the version and exit\n"
    "\n"
    "Example:  tscope slowest -n 5 parse_request server.trace\n"
    "\n"
    "Exit status: 0 success; 1 when a FILE cannot be read or is damaged (what can be read\n"
    "is used, and stderr says what is wrong), or the output cannot be written; 2 for bad\n"
    "usage.\n";

/* slowest's own option (convert_options() takes the others). */
static int own(void *ctx, int opt, const char *arg)
{
	struct func_opts *o = ctx;
	uint32_t n;

	if (opt != 'n')
		return 0;
	if (convert_parse_u32(arg, &n) < 0 || n == 0 || n > 1000000)
		return util_usage_error("slowest", "-n needs a count from 1 to 1000000, not '%s'",
					arg);
	o->n = n;
	return 0;
}

int cmd_slowest(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		CONVERT_THREAD_OPTION,
		CONVERT_CUT_OPTIONS,
		CONVERT_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	static const struct convert_cmd cmd = { ":n:o:hV", opts, help_text, own };
	struct func_opts o;
	struct convert_job job = { "slowest", &o, NULL, 0, 0 };
	int st;

	memset(&o, 0, sizeof(o));
	o.n = 10;
	st = convert_options(&job, &cmd, &o, argc, argv);
	if (st >= 0)
		return st;
	if (optind >= argc)
		return util_usage_error("slowest", "no function given");
	o.func = argv[optind++];
	if (!*o.func)
		return util_usage_error("slowest", "the function name is empty");
	o.has_tid = job.has_tid;
	o.tid = job.tid;
	return convert_files(&job, argc, argv);
}
