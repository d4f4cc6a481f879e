/* SPDX-License-Identifier: MIT */
/*
 * cmd-perfetto.c - `tscope perfetto FILE... [-o OUT.pftrace]`: the native Perfetto
 * trace format (protobuf) for Perfetto UI and trace_processor.  Thin: options here, the
 * conversion in tools/convert.c, the protobuf in lib/read/export-perfetto.c.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "export.h"
#include "cmds.h"
#include "convert.h"
#include "util.h"

static const char help_text[] =
    "Usage: tscope perfetto [OPTIONS] FILE... [-o OUT.pftrace]\n"
    "\n"
    "Convert traces to Perfetto's native trace format (protobuf), which Perfetto UI\n"
    "(ui.perfetto.dev) and trace_processor open: the spans, names, threads, instants and\n"
    "counters of `tscope chrome`, with the same times (ns from the start of the earliest\n"
    "recording), in a file many times smaller that loads faster (its packets\n"
    "compressed: zlib streams in compressed_packets, which Perfetto inflates).  Several\n"
    "FILEs (a traced process and the children it forked or exec'd: FILE, FILE.<pid>...)\n"
    "make one timeline, each process with its real pid.\n"
    "\n"
    "Each process has a track, each thread a track with its calls and scopes as slices\n"
    "(begin and end events, named after the function, C++ names demangled, or the scope)\n"
    "and its instants; each counter has a track in its process.  Calls left open by\n"
    "longjmp, exceptions, exit() or a crash are closed so that every thread's slices\n"
    "nest; stderr says how many were repaired.\n"
    "\n"
    "With TSCOPE_THREADS=2 (and more than one CPU) the compression runs on a thread of\n"
    "its own beside the conversion; by default in the same thread.  The output is the\n"
    "same bytes either way.\n"
    "\n"
    "Options:\n"
    "  -o, --output OUT      write to OUT instead of stdout ('-' is stdout); never\n"
    "                        through a symbolic link, never over an input\n"
    "      --thread TID      only the thread TID\n" CONVERT_CUT_HELP CONVERT_SYMBOL_HELP
    "  -h, --help            show this help and exit\n"
    "  -V, --version         show the version and exit\n"
    "\n"
    "Exit status: 0 success; 1 when a FILE cannot be read or is damaged (truncated,\n"
    "malformed or missing chunks: everything readable is converted, and the output is\n"
    "complete), or the output cannot be written; 2 for bad usage.\n";

int cmd_perfetto(int argc, char **argv)
{
	static const struct option opts[] = {
		CONVERT_THREAD_OPTION,
		CONVERT_CUT_OPTIONS,
		CONVERT_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	static const struct convert_cmd cmd = { ":o:hV", opts, help_text, NULL };
	struct perfetto_opts o;
	struct convert_job job = { "perfetto", &o, NULL, 0, 0 };
	int st;

	memset(&o, 0, sizeof(o));
	st = convert_options(&job, &cmd, &o, argc, argv);
	if (st >= 0)
		return st;
	o.has_tid = job.has_tid;
	o.tid = job.tid;
	return convert_files(&job, argc, argv);
}
