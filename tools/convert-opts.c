/* SPDX-License-Identifier: MIT */
/*
 * convert-opts.c - the command lines of the converter commands (see convert.h): the
 * option loop they share, with the options every converter takes, the trace files
 * after them, and the parsers of option values (thread ids, counts, times,
 * percentages).  --symfs, --binary and the cut
 * options are convert.c's, which keeps what they ask for until the conversion.
 *
 * Each message is the command's own usage error (util_usage_error()), said once, and
 * the loop stops at the first: the command returns its status at once.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calltree.h"
#include "convert.h"
#include "util.h"

int convert_options(struct convert_job *job, const struct convert_cmd *c, void *ctx, int argc,
		    char **argv)
{
	int opt, st;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, c->shortopts, c->opts, NULL)) != -1) {
		st = convert_symbols(job->cmd, opt, optarg);
		if (st < 0)
			st = convert_cut(job->cmd, opt, optarg);
		if (st > 0)
			return st;
		if (st == 0)
			continue;
		switch (opt) {
		case 'o':
			job->output = optarg;
			break;
		case CONVERT_OPT_THREAD:
			if (convert_parse_u32(optarg, &job->tid) < 0)
				return util_usage_error(
				    job->cmd, "--thread needs a thread id, not '%s'", optarg);
			job->has_tid = 1;
			break;
		case 'h':
		case 'V':
		case ':':
		case '?':
			return convert_usage(job->cmd, opt, argv, c->help);
		default:
			st = c->own ? c->own(ctx, opt, optarg)
				    : convert_usage(job->cmd, opt, argv, c->help);
			if (st)
				return st;
		}
	}
	return -1;
}

int convert_usage(const char *cmd, int opt, char **argv, const char *help)
{
	switch (opt) {
	case 'h':
		fputs(help, stdout);
		return EXIT_OK;
	case 'V':
		return util_version(cmd);
	case ':':
		return util_usage_error(cmd, "option '%s' needs an argument", argv[optind - 1]);
	default:
		return util_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
	}
}

int convert_files(const struct convert_job *job, int argc, char **argv)
{
	if (optind >= argc)
		return util_usage_error(job->cmd, "no trace file given");
	return convert_run(job, argv + optind, argc - optind);
}

int convert_max_frames(const char *cmd, const char *arg, unsigned *out)
{
	uint32_t n;

	if (convert_parse_u32(arg, &n) < 0 || (n && n < CALLTREE_CUT_MIN))
		return util_usage_error(cmd, "--max-frames needs 0 or a number from %u, not '%s'",
					CALLTREE_CUT_MIN, arg);
	*out = n ? n : UINT_MAX;
	return 0;
}

int convert_parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int convert_parse_time(const char *s, uint64_t *ns)
{
	static const struct {
		const char *unit;
		double mul;
	} units[] = { { "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 } };
	char *end;
	double v;

	if (!s || !((*s >= '0' && *s <= '9') || *s == '.'))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !(v >= 0))
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(end, units[i].unit) == 0) {
			v *= units[i].mul;
			if (v >= 1.8e19)
				return -1;
			*ns = (uint64_t)(v + 0.5);
			return 0;
		}
	if (*end || v != 0)
		return -1;
	*ns = 0;
	return 0;
}

int convert_parse_number(const char *s, const char *suffix, double max, double *out)
{
	char *end;
	double v;

	if (!s || !((*s >= '0' && *s <= '9') || *s == '.'))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || (*end && (!suffix || strcmp(end, suffix) != 0)) ||
	    !(v >= 0 && v <= max))
		return -1;
	*out = v;
	return 0;
}

int convert_parse_pct(const char *s, double *out)
{
	return convert_parse_number(s, "%", 100, out);
}
