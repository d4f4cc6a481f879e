/* SPDX-License-Identifier: MIT */
/*
 * cmd-info.c - `tscope info FILE...`: what a trace holds, in a screenful.
 * Thin: options here, the text in lib/read/dump.c (dump_info).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "tscope.h"
#include "reader.h"
#include "dump.h"
#include "cmds.h"
#include "util.h"

static const char help_text[] =
    "Usage: tscope info [OPTIONS] FILE...\n"
    "\n"
    "Show what each trace FILE holds: the header (pid, parent, executable, recording\n"
    "mode), the clock and its measured tick rate, the time from the first to the last\n"
    "event, each thread with its tid, name, events and lost events, the totals, the\n"
    "samples of the threads' CPU time (record --io: tscope report estimates the time\n"
    "off the CPU from them), the chunks, and the file's size per event.\n"
    "\n"
    "Options:\n"
    "  -h, --help     show this help and exit\n"
    "  -V, --version  show the version and exit\n"
    "\n"
    "Exit status: 0 when every FILE was read completely; 1 when one cannot be read or is\n"
    "damaged (truncated, malformed or missing chunks): what can be read is still shown,\n"
    "and stderr says what is wrong, one line per problem; 2 for bad usage.\n";

int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int status = EXIT_OK, opt, werr = 0;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			fputs(help_text, stdout);
			return EXIT_OK;
		case 'V':
			return util_version("info");
		default:
			return util_usage_error("info", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return util_usage_error("info", "no trace file given");

	for (int i = optind; i < argc; i++) {
		const char *path = argv[i];
		struct reader *r;
		int rc;

		if (i > optind)
			putchar('\n');
		if (util_open_trace(path, &r) != EXIT_OK) {
			status = EXIT_BAD;
			continue;
		}
		errno = 0;
		rc = dump_info(r, path, stdout);
		werr = util_output_error(stdout, 1); /* the report first, then what is wrong */
		if (werr) {
			reader_close(r);
			break;
		}
		if (rc < 0) {
			util_error(path, "%s",
				   rc == TSCOPE_EIO ? strerror(errno) : tscope_strerror(rc));
			status = EXIT_BAD;
		} else if (util_trace_problems(path, r) != EXIT_OK) {
			status = EXIT_BAD;
		}
		reader_close(r);
	}
	if (util_close_output(stdout, "-", werr) != EXIT_OK)
		status = EXIT_BAD;
	return status;
}
