/* SPDX-License-Identifier: MIT */
/*
 * cmd-diff.c - `tscope diff BASE... -- NEW...`: two sets of runs compared.  Options
 * and the exit status here; the comparison in lib/read/export-diff.c.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "cmds.h"
#include "convert.h"
#include "util.h"

#define EXIT_SLOWER 3 /* --fail-above found a significant slowdown */

static const char help_text[] =
    "Usage: tscope diff [OPTIONS] BASE... -- NEW...\n"
    "\n"
    "Compare the traces NEW with the traces BASE: each side is one or more runs of a\n"
    "program (one trace file per run), the base before a change and the new after it.\n"
    "For each function: its self time, inclusive time and calls, means per run on each\n"
    "side, the median (p50) and p99 of its calls' durations, and the change of self\n"
    "time in time and in %; functions come by the size of that change, largest first.\n"
    "Functions are matched by name, so the two sides may be different builds.\n"
    "\n"
    "A change is 'slower' or 'faster' when it is significant: Welch's t-test on the\n"
    "per-run times gives p < 0.01 and the two sides' runs do not overlap (every new run\n"
    "above every base run, or below).  Otherwise it is 'noise'.  With one run on a side\n"
    "there is nothing to measure the noise with: 'slower?' and 'faster?' say that the\n"
    "significance is unknown (record 3 or more runs a side).  'new' and 'gone' mark\n"
    "functions called on one side only.\n"
    "\n"
    "Options:\n"
    "      --tree            compare call paths (a call tree, by change of inclusive time)\n"
    "                        instead of functions\n"
    "  -t, --threshold PCT   hide functions (paths) whose change is under PCT % of the\n"
    "                        base's total time (default 0.5; 0 shows all)\n"
    "      --fail-above PCT  the CI gate: exit 3 when the total, or a function with at\n"
    "                        least --min-share of a side's time, is significantly slower\n"
    "                        by more than PCT % (with one run a side: by the change alone)\n"
    "      --min-share PCT   (default 1) see --fail-above\n"
    "      --json            write the result as JSON\n"
    "      --markdown        write a table for a pull-request comment\n"
    "      --folded          write 'stack BEFORE AFTER' lines (self ns per run, each\n"
    "                        side's mean), for differential flame graphs\n"
    "      --flamegraph      draw a differential flame graph (SVG): the call paths of\n"
    "                        the new runs, widths their mean time, red where a path's\n"
    "                        self time grew, blue where it shrank (the largest change\n"
    "                        deepest), grey where it did not change\n" CONVERT_CUT_HELP
	CONVERT_SYMBOL_HELP
    "  -o, --output FILE     write to FILE instead of stdout ('-' is stdout)\n"
    "  -h, --help            show this help and exit\n"
    "  -V, --version         show the version and exit\n"
    "\n"
    "Example:  tscope diff --fail-above 10 before-*.trace -- after-*.trace\n"
    "\n"
    "Exit status: 0 success; 1 when a trace cannot be read or is damaged, or the output\n"
    "cannot be written; 2 for bad usage; 3 when --fail-above found a slowdown (the\n"
    "verdict is also said on stderr).\n";

/* A percentage for --fail-above or --min-share: 0 or more, '%' allowed after it. */
static int parse_pct(const char *s, double *out)
{
	return convert_parse_number(s, "%", 1e9, out);
}

enum { OPT_TREE = 256, OPT_FAIL, OPT_SHARE, OPT_JSON, OPT_MD, OPT_FOLDED, OPT_FLAME };

/* What diff's own options set: the exporter's options, and how many formats were asked. */
struct diff_args {
	struct diff_opts *o;
	int formats;
};

/* diff's own options (convert_options() takes the others). */
static int own(void *ctx, int opt, const char *arg)
{
	struct diff_args *a = ctx;
	struct diff_opts *o = a->o;

	switch (opt) {
	case OPT_TREE:
		o->tree = 1;
		break;
	case 't':
		if (parse_pct(arg, &o->threshold) < 0 || o->threshold > 100)
			return util_usage_error(
			    "diff", "--threshold needs a percentage from 0 to 100, not '%s'", arg);
		break;
	case OPT_FAIL:
		if (parse_pct(arg, &o->fail_above) < 0)
			return util_usage_error(
			    "diff", "--fail-above needs a percentage (0 or more), not '%s'", arg);
		break;
	case OPT_SHARE:
		if (parse_pct(arg, &o->min_share) < 0 || o->min_share > 100)
			return util_usage_error(
			    "diff", "--min-share needs a percentage from 0 to 100, not '%s'", arg);
		break;
	case OPT_JSON:
		o->format = DIFF_JSON;
		a->formats++;
		break;
	case OPT_MD:
		o->format = DIFF_MARKDOWN;
		a->formats++;
		break;
	case OPT_FOLDED:
		o->format = DIFF_FOLDED;
		a->formats++;
		break;
	case OPT_FLAME:
		o->format = DIFF_FLAMEGRAPH;
		a->formats++;
		break;
	}
	return 0;
}

int cmd_diff(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tree", no_argument, NULL, OPT_TREE },
		{ "threshold", required_argument, NULL, 't' },
		{ "fail-above", required_argument, NULL, OPT_FAIL },
		{ "min-share", required_argument, NULL, OPT_SHARE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "markdown", no_argument, NULL, OPT_MD },
		{ "folded", no_argument, NULL, OPT_FOLDED },
		{ "flamegraph", no_argument, NULL, OPT_FLAME },
		CONVERT_CUT_OPTIONS,
		CONVERT_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	static const struct convert_cmd cmd = { ":t:o:hV", opts, help_text, own };
	struct diff_opts o;
	struct diff_args args = { &o, 0 };
	struct convert_job job = { "diff", &o, NULL, 0, 0 };
	char verdict[1024] = "";
	int failed = 0, sep, status;

	memset(&o, 0, sizeof(o));
	o.threshold = 0.5;
	o.fail_above = -1;
	o.min_share = 1;
	o.failed = &failed;
	o.verdict = verdict;
	o.verdict_size = sizeof(verdict);
	/* options come before "--"; what follows it is the new side's files */
	for (sep = 1; sep < argc && strcmp(argv[sep], "--") != 0; sep++)
		;
	status = convert_options(&job, &cmd, &args, sep, argv);
	if (status >= 0)
		return status;
	if (args.formats > 1)
		return util_usage_error(
		    "diff", "--json, --markdown, --folded and --flamegraph exclude each other");
	if (sep >= argc)
		return util_usage_error("diff", "no '--' between the base traces and the new ones");
	if (optind >= sep)
		return util_usage_error("diff", "no base trace given before '--'");
	if (sep + 1 >= argc)
		return util_usage_error("diff", "no new trace given after '--'");
	/* the files of both sides, side by side: base ones, then new ones */
	o.nbase = (size_t)(sep - optind);
	memmove(argv + sep, argv + sep + 1, (size_t)(argc - sep - 1) * sizeof(*argv));
	status = convert_run(&job, argv + optind, argc - 1 - optind);
	if (failed && *verdict)
		fprintf(stderr, "tscope: diff: %s", verdict);
	if (status == EXIT_OK && failed)
		return EXIT_SLOWER;
	return status;
}
