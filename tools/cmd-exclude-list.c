/* SPDX-License-Identifier: MIT */
/*
 * cmd-exclude-list.c - `tscope exclude-list FILE...`: the compiler flags that leave the
 * hot functions (called often, short on average) out of the next build's
 * instrumentation.  Options here; the choice and the text in lib/read/export-exclude.c.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <getopt.h>
#include <string.h>

#include "export.h"
#include "hot.h"
#include "cmds.h"
#include "convert.h"
#include "util.h"

#define STR_(x)	  #x
#define STR(x)	  STR_(x)
#define MIN_CALLS STR(HOT_MIN_CALLS)
#define MAX_MEAN  STR(HOT_MAX_MEAN)

static const char help_text[] =
    "Usage: tscope exclude-list [OPTIONS] FILE...\n"
    "\n"
    "Print the compiler flags that leave out of the instrumentation the functions that\n"
    "cost less than their tracing: those called at least N times (--min-calls) whose\n"
    "calls took under TIME on average (--max-avg; each call counted whole, callees\n"
    "included, as measured under tracing; the slowest 1% of the calls, those the system\n"
    "interrupted, left out).  gcc instruments every function before it\n"
    "inlines it, so a tiny static inline helper called in a loop becomes two events per\n"
    "use: it can make most of a trace and slow the program several times.\n"
    "\n"
    "The output is ready to paste: comment lines (#) with a table of those functions\n"
    "(calls, average time a call, their share of all the events), then the gcc flag\n"
    "\n"
    "  -finstrument-functions-exclude-function-list=NAME,NAME,...\n"
    "\n"
    "and the clang advice: clang has no such list, but -finstrument-functions-after-\n"
    "inlining instruments only the functions left after inlining.  Rebuild with the\n"
    "flag, record again, and run exclude-list again: a function that called the\n"
    "helpers may turn out short itself.\n"
    "\n"
    "gcc compares each NAME with the function's name by substring.  For C that is the\n"
    "identifier (a clone suffix such as .constprop.0 is dropped).  For C++ it is the\n"
    "qualified name without return type and parameters, with template arguments spelled\n"
    "gcc's way, which the trace cannot reproduce: a NAME stops at them ('>::size' for\n"
    "std::vector<int, ...>::size() const, 'ns::twice<' for every ns::twice<T>).  A NAME\n"
    "can match more than the function it is for: a note lists the recorded functions\n"
    "that are not hot and would lose their instrumentation too (functions the trace\n"
    "never saw called cannot be checked).  Functions gcc's list cannot name (lambdas,\n"
    "addresses without a symbol) are left out, with a comment saying so.\n"
    "\n"
    "No -finstrument-functions-exclude-file-list is printed: it needs the source file\n"
    "that defines each function (for an inline helper, its header), which only the\n"
    "debug information says, and tscope reads symbol tables, not DWARF.\n"
    "\n"
    "Options:\n"
    "      --min-calls N     a function needs at least N calls (default " MIN_CALLS ")\n"
    "      --max-avg TIME    and calls shorter than TIME on average (default " MAX_MEAN "ns;\n"
    "                        200ns, 1.5us, ...)\n" CONVERT_SYMBOL_HELP
    "  -o, --output FILE     write to FILE instead of stdout ('-' is stdout)\n"
    "  -h, --help            show this help and exit\n"
    "  -V, --version         show the version and exit\n"
    "\n"
    "Example:\n"
    "  tscope record -o app.trace ./app\n"
    "  tscope exclude-list app.trace\n"
    "  flags=$(tscope exclude-list app.trace | grep -v '^#')\n"
    "  make CFLAGS=\"-O2 -g -finstrument-functions $flags\"\n"
    "\n"
    "Exit status: 0 success; 1 when a FILE cannot be read or is damaged (what can be read\n"
    "is used, and stderr says what is wrong), or the output cannot be written; 2 for bad\n"
    "usage.\n";

enum { OPT_MIN_CALLS = 256, OPT_MAX_AVG };

/* exclude-list's own options (convert_options() takes the others). */
static int own(void *ctx, int opt, const char *arg)
{
	struct exclude_opts *o = ctx;
	uint32_t n;

	switch (opt) {
	case OPT_MIN_CALLS:
		if (convert_parse_u32(arg, &n) < 0 || n == 0)
			return util_usage_error("exclude-list",
						"--min-calls needs a count of 1 or more, not '%s'",
						arg);
		o->min_calls = n;
		break;
	case OPT_MAX_AVG:
		if (convert_parse_time(arg, &o->max_mean) < 0 || o->max_mean == 0)
			return util_usage_error("exclude-list",
						"--max-avg needs a time with its unit (200ns, "
						"1.5us), not '%s'",
						arg);
		break;
	}
	return 0;
}

int cmd_exclude_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "min-calls", required_argument, NULL, OPT_MIN_CALLS },
		{ "max-avg", required_argument, NULL, OPT_MAX_AVG },
		CONVERT_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	static const struct convert_cmd cmd = { ":o:hV", opts, help_text, own };
	struct exclude_opts o = { HOT_MIN_CALLS, HOT_MAX_MEAN };
	struct convert_job job = { "exclude-list", &o, NULL, 0, 0 };
	int st;

	st = convert_options(&job, &cmd, &o, argc, argv);
	if (st >= 0)
		return st;
	return convert_files(&job, argc, argv);
}
