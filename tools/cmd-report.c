/* SPDX-License-Identifier: MIT */
/*
 * cmd-report.c - `tscope report FILE...`: the call tree of every thread, or with --flat
 * one row per function.  Thin: options here, the conversion in tools/convert.c, the
 * text in lib/read/report.c.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tscope.h"
#include "report.h"
#include "cmds.h"
#include "convert.h"
#include "util.h"

static const char help_text[] =
    "Usage: tscope report [OPTIONS] FILE...\n"
    "\n"
    "Show where the time went.  By default, for each process and each of its threads, the\n"
    "call tree: one line per call path, with\n"
    "\n"
    "  incl      time in the calls, their callees included\n"
    "  self      time in the calls, their callees excluded\n"
    "  calls     how many calls took this path\n"
    "  avg       incl / calls\n"
    "  thread    incl as a share of the thread's time (first to last event)\n"
    "\n"
    "and the function (C++ names demangled) or scope name, indented by depth; siblings\n"
    "are sorted by incl.  With --flat, one table of every function over all threads and\n"
    "files, sorted by self time, with calls, incl, avg, min and max per call; a recursive\n"
    "function's incl counts only its outermost calls.  Times are in ns, us, ms or s.\n"
    "A trace recorded with --malloc adds memory columns, inclusive then self (s.): allocs\n"
    "(allocations), bytes (their bytes) and net (what the heap in use changed by: a free\n"
    "counts minus its block's size, wherever it was allocated), and a line of the\n"
    "process's heap: allocations, peak in use, never freed.\n"
    "A trace recorded with --io adds a wait column: the time the function's own I/O and\n"
    "wait calls spent off the CPU (an I/O call: its wall time minus the thread's CPU\n"
    "time in it; a wait call: all of it), which self then leaves out, and an off-cpu~\n"
    "column: the time off the CPU outside those calls (preempted, stopped, page faults),\n"
    "measured per thread between samples of its CPU time and split among the functions\n"
    "that ran by their self time, an estimate; self leaves it out too.\n"
    "Calls left open by longjmp, exceptions, exit() or a crash are closed (stderr says\n"
    "how many were repaired).\n"
    "\n"
    "Options:\n"
    "      --flat            one row per function instead of call trees\n"
    "  -d, --depth N         show N levels of each call tree (0: all)\n"
    "  -t, --threshold PCT   hide call-tree lines (and what is below them) whose incl is\n"
    "                        under PCT percent of their thread's time (default 0.5; the\n"
    "                        report says how many lines it hid; -t 0 shows them all)\n"
    "      --thread TID      only the thread TID\n"
    "  -s, --sort KEY        incl, self, calls, bytes or name (default: incl; self with\n"
    "                        --flat); numbers sort largest first, ties by name; bytes:\n"
    "                        bytes allocated (inclusive; self with --flat)\n"
    "      --ns              times as integer nanoseconds, sizes as bytes, for scripts\n"
    "      --io              instead, for a trace recorded with --io: per function and\n"
    "                        per file (the path its open was given, else \"fd N\"), the\n"
    "                        I/O calls, their time, bytes read and written, time\n"
    "                        waiting, and wait calls\n"
    "      --compensate      subtract the recorder's own cost, measured when the program\n"
    "                        started and stored in the trace: per call, its enter and\n"
    "                        exit from self, and every enter and exit of its subtree from\n"
    "                        incl; never below 0 (the header says it is compensated, and\n"
    "                        by how much; --flat's min, percentiles and max are "
    "not)\n" CONVERT_CUT_HELP_NO_DEPTH CONVERT_SYMBOL_HELP
    "  -o, --output FILE     write to FILE instead of stdout ('-' is stdout)\n"
    "  -h, --help            show this help and exit\n"
    "  -V, --version         show the version and exit\n"
    "\n"
    "Exit status: 0 success; 1 when a FILE cannot be read or is damaged (what can be read\n"
    "is reported, and stderr says what is wrong), or the output cannot be written; 2 for\n"
    "bad usage.\n";

int cmd_report(int argc, char **argv)
{
	enum { OPT_FLAT = 256, OPT_THREAD, OPT_NS, OPT_COMPENSATE, OPT_IO };
	static const struct option opts[] = {
		{ "flat", no_argument, NULL, OPT_FLAT },
		{ "depth", required_argument, NULL, 'd' },
		{ "threshold", required_argument, NULL, 't' },
		{ "thread", required_argument, NULL, OPT_THREAD },
		{ "sort", required_argument, NULL, 's' },
		{ "ns", no_argument, NULL, OPT_NS },
		{ "compensate", no_argument, NULL, OPT_COMPENSATE },
		{ "io", no_argument, NULL, OPT_IO },
		{ "output", required_argument, NULL, 'o' },
		CONVERT_SYMBOL_OPTIONS,
		CONVERT_CUT_OPTIONS_NO_DEPTH,
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const sorts[] = { "incl", "self", "calls", "name", "bytes" };
	static const enum report_sort sort_vals[] = { REPORT_SORT_INCL, REPORT_SORT_SELF,
						      REPORT_SORT_CALLS, REPORT_SORT_NAME,
						      REPORT_SORT_BYTES };
	struct report_opts o;
	struct convert_job job = { "report", &o, NULL, 0, 0 };
	uint32_t depth;
	size_t k;
	int opt;

	memset(&o, 0, sizeof(o));
	o.threshold = REPORT_THRESHOLD_DEFAULT;
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":d:t:s:o:hV", opts, NULL)) != -1) {
		int sym = convert_symbols("report", opt, optarg);

		if (sym < 0)
			sym = convert_cut("report", opt, optarg);

		if (sym >= 0) {
			if (sym)
				return sym;
			continue;
		}
		switch (opt) {
		case OPT_FLAT:
			o.flat = 1;
			break;
		case 'd':
			if (convert_parse_u32(optarg, &depth) < 0)
				return util_usage_error("report",
							"--depth needs a number, not '%s'", optarg);
			o.max_depth = depth;
			break;
		case 't':
			if (convert_parse_pct(optarg, &o.threshold) < 0)
				return util_usage_error(
				    "report",
				    "--threshold needs a percentage from 0 to 100, not '%s'",
				    optarg);
			break;
		case OPT_THREAD:
			if (convert_parse_u32(optarg, &o.tid) < 0)
				return util_usage_error(
				    "report", "--thread needs a thread id, not '%s'", optarg);
			o.has_tid = 1;
			break;
		case 's':
			for (k = 0; k < TS_ARRAY_SIZE(sorts); k++)
				if (strcmp(optarg, sorts[k]) == 0)
					break;
			if (k == TS_ARRAY_SIZE(sorts))
				return util_usage_error(
				    "report",
				    "--sort takes incl, self, calls, bytes or name, not '%s'",
				    optarg);
			o.sort = sort_vals[k];
			break;
		case OPT_NS:
			o.ns = 1;
			break;
		case OPT_COMPENSATE:
			o.compensate = 1;
			break;
		case OPT_IO:
			o.io = 1;
			break;
		case 'o':
			job.output = optarg;
			break;
		default:
			return convert_usage("report", opt, argv, help_text);
		}
	}
	if (optind >= argc)
		return util_usage_error("report", "no trace file given");

	job.has_tid = o.has_tid;
	job.tid = o.tid;
	return convert_run(&job, argv + optind, argc - optind);
}
