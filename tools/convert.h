/* SPDX-License-Identifier: MIT */
/*
 * convert.h - what the converter commands (report, chrome, folded, and every exporter
 * of lib/read/export.h) share: the whole conversion once the options are parsed.
 * convert_run() opens every trace named on the command line and the output, drives
 * the exporter (open, add each trace, finish), says what each trace deserves
 * (binaries that cannot name its functions, the repairs of its call stacks,
 * truncation and damage), shows a progress indicator on a terminal, closes the output
 * and returns the exit status.  So a converter command is its options and one call.
 * CLI only: prints.
 */
#ifndef TSCOPE_CONVERT_H
#define TSCOPE_CONVERT_H

#include <stdint.h>

struct option;

/* One conversion, as the command's options asked for it. */
struct convert_job {
	const char *cmd;    /* the command, and the exporter's name in export_table[] */
	void *opts;	    /* that exporter's options (struct chrome_opts, ...) */
	const char *output; /* -o: a file, or NULL or "-" for stdout */
	int has_tid;	    /* --thread was given: say so when it matched no thread */
	uint32_t tid;
};

/*
 * Convert the n traces at paths as job says.  A trace that cannot be opened gets its
 * error line and makes the status EXIT_BAD; the others are converted all the same.
 * Returns the exit status: EXIT_OK, or EXIT_BAD when anything went wrong (bad input,
 * no memory, the output could not be written).
 */
int convert_run(const struct convert_job *job, char **paths, int n);

/*
 * The options every converter command shares, for getopt_long() with ":" first in its
 * option string: -h prints help, -V the version; a missing argument or an unknown
 * option is a usage error.  Returns the exit status.
 */
int convert_usage(const char *cmd, int opt, char **argv, const char *help);

/*
 * --symfs DIR and --binary OLD=PATH, which every converter takes: where to find the
 * recorded binaries when they moved or were rebuilt (a kept copy; see symtab.h).  A
 * command lists CONVERT_SYMBOL_OPTIONS in its options and CONVERT_SYMBOL_HELP in its
 * help, and hands each option to convert_symbols() first: -1 when it is not one of
 * these, 0 when it was taken, EXIT_USAGE (said) when its argument is bad.
 */
#define CONVERT_OPT_SYMFS  0x4000
#define CONVERT_OPT_BINARY 0x4001
#define CONVERT_SYMBOL_OPTIONS                                                                     \
	{ "symfs", required_argument, NULL, CONVERT_OPT_SYMFS },                                   \
	{                                                                                          \
		"binary", required_argument, NULL, CONVERT_OPT_BINARY                              \
	}
#define CONVERT_SYMBOL_HELP                                                                        \
	"      --symfs DIR       look for the recorded binaries in DIR first (DIR/PATH,\n"      \
	"                        DIR/NAME, DIR/.build-id/..): a copy kept from the build\n"        \
	"      --binary OLD=PATH read the binary recorded as OLD (a path or a file name)\n"        \
	"                        from PATH; a copy of another build is never used\n"
int convert_symbols(const char *cmd, int opt, const char *arg);

/*
 * --from, --to, --min-duration, --depth and --focus: what a converter keeps of each
 * thread (struct spans_cut, spans.h), the same way: CONVERT_CUT_OPTIONS in the
 * options (CONVERT_CUT_OPTIONS_NO_DEPTH for report, whose --depth is its own),
 * CONVERT_CUT_HELP in the help, convert_cut() first in the option loop (as
 * convert_symbols()).
 */
#define CONVERT_OPT_FROM   0x4010
#define CONVERT_OPT_TO	   0x4011
#define CONVERT_OPT_MINDUR 0x4012
#define CONVERT_OPT_DEPTH  0x4013
#define CONVERT_OPT_FOCUS  0x4014
#define CONVERT_CUT_OPTIONS_NO_DEPTH                                                               \
	{ "from", required_argument, NULL, CONVERT_OPT_FROM },                                     \
	    { "to", required_argument, NULL, CONVERT_OPT_TO },                                     \
	    { "min-duration", required_argument, NULL, CONVERT_OPT_MINDUR },                       \
	{                                                                                          \
		"focus", required_argument, NULL, CONVERT_OPT_FOCUS                                \
	}
#define CONVERT_CUT_OPTIONS                                                                        \
	CONVERT_CUT_OPTIONS_NO_DEPTH,                                                              \
	{                                                                                          \
		"depth", required_argument, NULL, CONVERT_OPT_DEPTH                                \
	}
#define CONVERT_CUT_HELP_NO_DEPTH                                                                  \
	"      --from TIME       keep what runs after TIME from the trace's start (1.5s,\n"        \
	"                        200ms, 10us, 500ns); calls are clipped to the window\n"           \
	"      --to TIME         keep what runs before TIME from the trace's start\n"              \
	"      --min-duration TIME  leave out calls shorter than TIME (their time counts\n"        \
	"                        as their caller's own)\n"                                         \
	"      --focus FUNC      keep only the calls of FUNC and what they call\n"
#define CONVERT_CUT_HELP                                                                           \
	CONVERT_CUT_HELP_NO_DEPTH                                                                  \
	"      --depth N         keep N levels of calls (from the root, or from FUNC)\n"
int convert_cut(const char *cmd, int opt, const char *arg);

/*
 * A converter command's options, for convert_options(): its getopt_long() option
 * string (":o:hV" and its own short options) and table (its own options, the shared
 * ones it takes: CONVERT_THREAD_OPTION, CONVERT_CUT_OPTIONS..., then CONVERT_OPTIONS),
 * its help text, and own(), which takes each of its own options: own(ctx, opt, arg)
 * returns 0, or the exit status of the usage error it said.  own is NULL for a command
 * with no options of its own.
 */
struct convert_cmd {
	const char *shortopts;
	const struct option *opts;
	const char *help;
	int (*own)(void *ctx, int opt, const char *arg);
};

/* -o, --symfs, --binary, -h and -V: the options of every converter, for the end of its
 * table (before the zeros that end it). */
#define CONVERT_OPTIONS                                                                            \
	{ "output", required_argument, NULL, 'o' }, CONVERT_SYMBOL_OPTIONS,                        \
	    { "help", no_argument, NULL, 'h' },                                                    \
	{                                                                                          \
		"version", no_argument, NULL, 'V'                                                  \
	}

/* --thread TID, taken into job->has_tid and job->tid. */
#define CONVERT_OPT_THREAD 0x4020
#define CONVERT_THREAD_OPTION                                                                      \
	{                                                                                          \
		"thread", required_argument, NULL, CONVERT_OPT_THREAD                              \
	}

/*
 * The option loop of a converter command (job->cmd): getopt_long() over argv[0, argc)
 * as c says.  The shared options are taken here: -o into job->output, --thread into
 * job->has_tid and job->tid, --symfs and --binary (convert_symbols()), the cut options
 * (convert_cut()), -h, -V and the usage errors (convert_usage()); every other one goes
 * to c->own with ctx.  Returns -1 when the options are over (optind is then the first
 * operand), else the exit status the command returns at once.
 */
int convert_options(struct convert_job *job, const struct convert_cmd *c, void *ctx, int argc,
		    char **argv);

/*
 * The end of a converter command: the operands left in argv from optind on are the
 * traces.  Returns the exit status of convert_run() over them, or EXIT_USAGE (said:
 * "no trace file given") when there are none.
 */
int convert_files(const struct convert_job *job, int argc, char **argv);

/*
 * --max-frames N of folded and pprof: 0 (no limit, UINT_MAX in *out) or a number from
 * CALLTREE_CUT_MIN.  Returns 0, or EXIT_USAGE (said) when arg is neither.
 */
int convert_max_frames(const char *cmd, const char *arg, unsigned *out);

/* A duration with its unit: "1.5s", "200ms", "10us", "500ns" (or "0").  0 or -1. */
int convert_parse_time(const char *s, uint64_t *ns);

/*
 * Parse a thread id for --thread, a count for --depth, a percentage for --threshold
 * (0 to 100, '%' allowed after it), a decimal number from 0 to max (suffix allowed
 * after it, when not NULL).  Return 0, or -1 if s is not one.
 */
int convert_parse_u32(const char *s, uint32_t *out);
int convert_parse_pct(const char *s, double *out);
int convert_parse_number(const char *s, const char *suffix, double max, double *out);

#endif /* TSCOPE_CONVERT_H */
