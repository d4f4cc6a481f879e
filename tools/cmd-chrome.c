/* SPDX-License-Identifier: MIT */
/*
 * cmd-chrome.c - `tscope chrome FILE... [-o OUT]`: Chrome Trace Event JSON for Perfetto
 * UI and chrome://tracing.  Thin: options here, the conversion in tools/convert.c, the
 * JSON in lib/read/export-chrome.c.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tscope.h"
#include "export.h"
#include "cmds.h"
#include "convert.h"
#include "util.h"

static const char help_text[] =
    "Usage: tscope chrome [OPTIONS] FILE...\n"
    "\n"
    "Convert traces to Chrome Trace Event JSON, which Perfetto UI (ui.perfetto.dev) and\n"
    "chrome://tracing open.  Several FILEs (a traced process and the children it forked or\n"
    "exec'd: FILE, FILE.<pid>...) make one timeline, each process with its real pid.\n"
    "\n"
    "Each call and each scope is a complete event (\"ph\":\"X\") named after the function\n"
    "(C++ names demangled) or the scope; times are in microseconds with nanosecond\n"
    "decimals, from the start of the earliest recording.  Process and thread names are\n"
    "\"M\" metadata, instants \"i\" events, counters \"C\" events.  Calls left open by\n"
    "longjmp, exceptions, exit() or a crash are closed so that every thread's spans nest;\n"
    "stderr says how many were repaired.\n"
    "\n"
    "Options:\n" CONVERT_CUT_HELP CONVERT_SYMBOL_HELP
    "      --split SIZE      write parts of at most SIZE bytes (1M or more; k, M, G),\n"
    "                        each a complete JSON trace: OUT-1.json, OUT-2.json ...\n"
    "  -o, --output OUT      write to OUT instead of stdout ('-' is stdout); never\n"
    "                        through a symbolic link, never over an input\n"
    "      --thread TID      only the thread TID\n"
    "  -h, --help            show this help and exit\n"
    "  -V, --version         show the version and exit\n"
    "\n"
    "Exit status: 0 success; 1 when a FILE cannot be read or is damaged (truncated,\n"
    "malformed or missing chunks: everything readable is converted, and the JSON is\n"
    "complete), or the output cannot be written; 2 for bad usage.\n";

/* --split: the parts' names, OUT-1.json, OUT-2.json ..., and the part open now. */
struct parts {
	const char *out; /* as given */
	char **inputs;
	int ninputs;
	char *name; /* the part open now */
	FILE *f;    /* NULL: the first part (convert.c's) */
	int failed;
};

/* OUT with -k before its last extension (.json), or after it when it has none. */
static char *part_name(const char *out, unsigned k)
{
	const char *slash = strrchr(out, '/'), *dot = strrchr(out, '.');
	size_t at = dot && (!slash || dot > slash + 1) ? (size_t)(dot - out) : strlen(out);
	char *s = xmalloc(strlen(out) + 16);

	sprintf(s, "%.*s-%u%s", (int)at, out, k, out + at);
	return s;
}

static FILE *next_part(void *ctx, unsigned k)
{
	struct parts *p = ctx;

	if (p->f && util_close_output(p->f, p->name, util_output_error(p->f, 0)) != EXIT_OK)
		p->failed = 1;
	p->f = NULL;
	free(p->name);
	p->name = NULL;
	if (!k)
		return NULL;
	p->name = part_name(p->out, k);
	p->f = util_open_output(p->name, p->inputs, p->ninputs);
	if (!p->f)
		p->failed = 1;
	return p->f;
}

/* chrome's own option (convert_options() takes the others). */
static int own(void *ctx, int opt, const char *arg)
{
	struct chrome_opts *o = ctx;

	if (opt == 's' &&
	    (util_parse_size(arg, &o->split_bytes) < 0 || o->split_bytes < CHROME_SPLIT_MIN))
		return util_usage_error("chrome", "--split needs a size of 1M or more, not '%s'",
					arg);
	return 0;
}

int cmd_chrome(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "split", required_argument, NULL, 's' },
		CONVERT_THREAD_OPTION,
		CONVERT_CUT_OPTIONS,
		CONVERT_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	static const struct convert_cmd cmd = { ":o:s:hV", opts, help_text, own };
	struct chrome_opts o;
	struct convert_job job = { "chrome", &o, NULL, 0, 0 };
	struct parts parts = { 0 };
	char *first = NULL;
	int st;

	memset(&o, 0, sizeof(o));
	st = convert_options(&job, &cmd, &o, argc, argv);
	if (st >= 0)
		return st;
	if (optind >= argc)
		return util_usage_error("chrome", "no trace file given");
	o.has_tid = job.has_tid;
	o.tid = job.tid;
	if (o.split_bytes) {
		if (!job.output || strcmp(job.output, "-") == 0)
			return util_usage_error("chrome", "--split needs -o OUT (the parts are"
							  " OUT-1.json, OUT-2.json ...)");
		parts.out = job.output;
		parts.inputs = argv + optind;
		parts.ninputs = argc - optind;
		o.next_part = next_part;
		o.part_ctx = &parts;
		job.output = first = part_name(parts.out, 1);
	}
	st = convert_run(&job, argv + optind, argc - optind);
	free(first);
	return st == EXIT_OK && parts.failed ? EXIT_BAD : st;
}
