/* SPDX-License-Identifier: MIT */
/*
 * convert.h - what the converter commands (report, chrome, folded) share: opening every
 * trace named on the command line, the diagnostics each one deserves (binaries that
 * cannot name its functions, the repairs of its call stacks, truncation and damage),
 * the exit status, and a progress indicator on a terminal.  CLI only: prints.
 */
#ifndef TSCOPE_CONVERT_H
#define TSCOPE_CONVERT_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "spans.h"

struct convert {
	const char *cmd;
	int n; /* files */
	char **paths;
	struct reader **r; /* NULL where a file could not be opened */
	struct spans **sp;
	struct names *names; /* shared by every file: one id per name */
	int status;	     /* EXIT_OK, or EXIT_BAD once something went wrong */
	FILE *out;	     /* from convert_output() */
	const char *output;

	/* progress */
	int tty;
	uint64_t total, done; /* events */
	struct timespec start, shown_at;
	int shown;
};

/*
 * Open the n traces at paths.  One that cannot be opened gets its error line and
 * makes the final status EXIT_BAD; the others are converted all the same.  Returns
 * EXIT_OK, or EXIT_BAD when memory runs out (cv is then closed).
 */
int convert_open(struct convert *cv, const char *cmd, char **paths, int n);

/*
 * After file i was converted with result rc (0 or a TSCOPE_E* code from the exporter):
 * say what went wrong, what was repaired and what is wrong with the trace.
 */
void convert_done(struct convert *cv, int i, int rc);

/*
 * Open the output for the traces of cv: output as util_open_output() takes it (NULL
 * or "-": stdout).  NULL on failure, said, with cv closed.
 */
FILE *convert_output(struct convert *cv, const char *output);

/* --thread tid matched no thread: say so; the status becomes EXIT_BAD. */
void convert_no_thread(struct convert *cv, uint32_t tid);

/* Clear the progress line, free everything, close the output; returns the exit
 * status (EXIT_BAD too if the output could not be written). */
int convert_close(struct convert *cv);

/*
 * The options every converter command shares, for getopt_long() with ":" first in its
 * option string: -h prints help, -V the version; a missing argument or an unknown
 * option is a usage error.  Returns the exit status.
 */
int convert_usage(const char *cmd, int opt, char **argv, const char *help);

/*
 * Parse a thread id for --thread, a count for --depth, a percentage for --threshold.
 * Return 0, or -1 if s is not one.
 */
int convert_parse_u32(const char *s, uint32_t *out);
int convert_parse_pct(const char *s, double *out);

#endif /* TSCOPE_CONVERT_H */
