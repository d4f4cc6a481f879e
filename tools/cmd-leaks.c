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

enum { OPT_THREAD = 256 };

/* leaks' own --thread, with its own message (convert_options() takes the others). */
static int own(void *ctx, int opt, const char *arg)
{
	struct leaks_opts *o = ctx;

	if (opt != OPT_THREAD)
		return 0;
	if (convert_parse_u32(arg, &o->tid) < 0)
		return util_usage_error("leaks", "bad thread id '%s'", arg);
	o->has_tid = 1;
	return 0;
}

int cmd_leaks(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "thread", required_argument, NULL, OPT_THREAD },
		CONVERT_CUT_OPTIONS,
		CONVERT_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	static const struct convert_cmd cmd = { ":o:hV", opts, help_text, own };
	struct leaks_opts o;
	struct convert_job job = { "leaks", &o, NULL, 0, 0 };
	int st;

	memset(&o, 0, sizeof(o));
	st = convert_options(&job, &cmd, &o, argc, argv);
	if (st >= 0)
		return st;
	job.has_tid = o.has_tid;
	job.tid = o.tid;
	return convert_files(&job, argc, argv);
}
