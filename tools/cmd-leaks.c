/* SPDX-License-Identifier: MIT */
/*
 * cmd-leaks.c - `tscope leaks FILE...`: the allocations never freed, by call path, and
 * the peak of memory in use.  Options here; the work is in lib/read/export-leaks.c.
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
    "Usage: tscope leaks [OPTIONS] FILE...\n"
    "\n"
    "For each process of a trace recorded with `tscope record --malloc` (or whose\n"
    "program calls tscope_alloc() and tscope_free()), show:\n"
    "\n"
    "  - allocations: how many, and their bytes (those of mmap() apart), and frees;\n"
    "  - peak: the most bytes in use at once, when, and the call path of the\n"
    "    allocation that reached it;\n"
    "  - never freed: the blocks still in use when the process ended, grouped by the\n"
    "    call path that allocated them (outermost function first), with their bytes\n"
    "    and count, the largest first.\n"
    "\n"
    "The heap is followed over all the threads of a process in time order: a block\n"
    "freed by another thread than the one that allocated it is freed.  Sizes are those\n"
    "asked for (mmap: whole pages), in bytes.  A free of a block allocated before the\n"
    "recording began is counted apart, and frees nothing.\n"
    "\n"
    "Options:\n"
    "      --thread TID      only the leaks of thread TID\n" CONVERT_CUT_HELP CONVERT_SYMBOL_HELP
    "  -o, --output FILE     write to FILE instead of stdout ('-' is stdout)\n"
    "  -h, --help            show this help and exit\n"
    "  -V, --version         show the version and exit\n"
    "\n"
    "Example:  tscope record --malloc -o app.trace ./app && tscope leaks app.trace\n";

int cmd_leaks(int argc, char **argv)
{
	enum { OPT_THREAD = 256 };
	static const struct option opts[] = {
		{ "thread", required_argument, NULL, OPT_THREAD },
		{ "output", required_argument, NULL, 'o' },
		CONVERT_SYMBOL_OPTIONS,
		CONVERT_CUT_OPTIONS,
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct leaks_opts o;
	struct convert_job job = { "leaks", &o, NULL, 0, 0 };
	int opt;

	memset(&o, 0, sizeof(o));
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":o:hV", opts, NULL)) != -1) {
		int sym = convert_symbols("leaks", opt, optarg);

		if (sym < 0)
			sym = convert_cut("leaks", opt, optarg);
		if (sym >= 0) {
			if (sym)
				return sym;
			continue;
		}
		switch (opt) {
		case OPT_THREAD:
			if (convert_parse_u32(optarg, &o.tid) < 0)
				return util_usage_error("leaks", "bad thread id '%s'", optarg);
			o.has_tid = 1;
			break;
		case 'o':
			job.output = optarg;
			break;
		default:
			return convert_usage("leaks", opt, argv, help_text);
		}
	}
	if (optind >= argc)
		return util_usage_error("leaks", "no trace file given");
	job.has_tid = o.has_tid;
	job.tid = o.tid;
	return convert_run(&job, argv + optind, argc - optind);
}
