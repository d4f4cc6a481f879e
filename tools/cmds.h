/* SPDX-License-Identifier: MIT */
/*
 * cmds.h - the tscope commands.
 *
 * TSCOPE_COMMANDS is the command table: one line per command, in the order `tscope
 * --help` lists them.  A line X(name, help) means tools/cmd-<name>.c defines
 *
 *	int cmd_<name>(int argc, char **argv);
 *
 * which receives argv[0] == "<name>", parses its own options (getopt_long; --help and
 * --version included), and returns the exit status: 0 success, 1 bad input or failure,
 * 2 bad usage.  So adding a command is this one line plus its file (and the file in
 * Makefile.am).  An '_' in a name is a '-' on the command line: exclude_list is
 * `tscope exclude-list`.  tools/tscope.c builds its dispatch table and usage from this list.
 */
#ifndef TSCOPE_CMDS_H
#define TSCOPE_CMDS_H

#define TSCOPE_COMMANDS(X)                                                                         \
	X(record, "run a program built with -finstrument-functions, recording its calls")          \
	X(ctl, "start, stop, flush or snapshot the recording of a process run by record")          \
	X(report, "show the call tree of each thread, or one row per function (--flat)")           \
	X(chrome, "convert to Chrome Trace Event JSON for Perfetto UI or chrome://tracing")        \
	X(perfetto, "convert to Perfetto's native protobuf trace, for Perfetto UI")                \
	X(speedscope, "convert to speedscope's file format: a profile per thread, calls in time")  \
	X(folded, "print folded stacks with self times, for flame graphs")                         \
	X(flamegraph, "draw a flame graph as an SVG file: zoom, search, times in tooltips")        \
	X(pprof,                                                                                   \
	  "write a pprof profile (calls, self and total time by call path) for go tool pprof")     \
	X(slowest, "list the slowest calls of one function, with when, where and from where")      \
	X(callers, "show every call path into one function, and what it calls")                    \
	X(exclude_list,                                                                            \
	  "print the gcc flags that stop instrumenting tiny, often called functions")              \
	X(leaks, "list the allocations never freed, by call path, and the peak of memory in use")  \
	X(diff,                                                                                    \
	  "compare runs before and after a change: what got slower, and whether it is noise")      \
	X(info, "show a trace's header, clock, duration, threads, events and size")                \
	X(dump, "print every chunk and every event as stored, one per line (debugging)")

#define TSCOPE__CMD_DECLARE(name, help) int cmd_##name(int argc, char **argv);
TSCOPE_COMMANDS(TSCOPE__CMD_DECLARE)
#undef TSCOPE__CMD_DECLARE

#endif /* TSCOPE_CMDS_H */
