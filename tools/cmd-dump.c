/* SPDX-License-Identifier: MIT */
/*
 * cmd-dump.c - `tscope dump FILE...`: every chunk and event of a trace as text, for
 * debugging the runtime, the format or a damaged file.  Thin: options here, the text in
 * lib/read/dump.c (dump_records).
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
    "Usage: tscope dump [OPTIONS] FILE...\n"
    "\n"
    "Print every record of each trace FILE as text, in file order: the header, then one\n"
    "line per chunk (offset, type, sizes, decoded fields), each EVENTS chunk followed by\n"
    "its events, one per line:\n"
    "\n"
    "  chunk @OFFSET EVENTS size=N tid=T seq=S lost=L flags=F n=SLOTS\n"
    "    TICKS NS ENTER|EXIT 0xADDRESS\n"
    "    TICKS NS BEGIN|INSTANT 0xNAMEPTR \"name\"\n"
    "    TICKS NS COUNTER 0xNAMEPTR \"name\" = VALUE\n"
    "    TICKS NS COPY \"name\"    and    TICKS NS END\n"
    "\n"
    "TICKS is the raw counter, NS its CLOCK_MONOTONIC time.  Malformed or cut records\n"
    "are shown and marked, not hidden.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE  write to FILE instead of stdout ('-' is stdout)\n"
    "  -h, --help         show this help and exit\n"
    "  -V, --version      show the version and exit\n"
    "\n"
    "Exit status: 0 when every FILE was read completely; 1 when one cannot be read or is\n"
    "damaged (it is still dumped up to the damage, and stderr says what is wrong), or the\n"
    "output cannot be written; 2 for bad usage.\n";

int cmd_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *output = NULL;
	int status = EXIT_OK, opt, werr = 0;
	FILE *out;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":o:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			output = optarg;
			break;
		case 'h':
			fputs(help_text, stdout);
			return EXIT_OK;
		case 'V':
			return util_version("dump");
		case ':':
			return util_usage_error("dump", "option '%s' needs an argument",
						argv[optind - 1]);
		default:
			return util_usage_error("dump", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return util_usage_error("dump", "no trace file given");

	out = util_open_output(output, argv + optind, argc - optind);
	if (!out)
		return EXIT_BAD;
	for (int i = optind; i < argc; i++) {
		const char *path = argv[i];
		struct reader *r;
		int rc;

		if (util_open_trace(path, &r) != EXIT_OK) {
			status = EXIT_BAD;
			continue;
		}
		errno = 0;
		rc = dump_records(r, path, out);
		werr = util_output_error(out, 1); /* the dump first, then what is wrong */
		if (werr) {
			reader_close(r);
			break;
		}
		if (rc == 0)
			rc = reader_scan(r); /* counts what the dump marked, for the status */
		if (rc < 0) {
			util_error(path, "%s",
				   rc == TSCOPE_EIO ? strerror(errno) : tscope_strerror(rc));
			status = EXIT_BAD;
		} else if (util_trace_problems(path, r) != EXIT_OK) {
			status = EXIT_BAD;
		}
		reader_close(r);
	}
	if (util_close_output(out, output, werr) != EXIT_OK)
		status = EXIT_BAD;
	return status;
}
