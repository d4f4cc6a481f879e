/* SPDX-License-Identifier: MIT */
/*
 * record-filter.c - `tscope record`'s filter and window options (record-filter.h).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "convert.h"
#include "record-filter.h"
#include "util.h"

/* Append pat to the ';'-separated list *list. */
static int add_pattern(char **list, const char *opt, const char *pat)
{
	size_t old = *list ? strlen(*list) : 0;

	if (!*pat || strchr(pat, ';'))
		return util_usage_error("record", "bad %s pattern '%s' (empty, or holds ';')", opt,
					pat);
	if (old + strlen(pat) + 2 > 1023)
		return util_usage_error("record", "too many %s patterns (1 KiB in all)", opt);
	*list = realloc(*list, old + strlen(pat) + 2);
	if (!*list) {
		util_error("record", "out of memory");
		exit(EXIT_BAD);
	}
	if (old)
		(*list)[old++] = ';';
	strcpy(*list + old, pat);
	return 0;
}

/* A time option's argument, checked. */
static int check_time(const char *opt, const char *arg, int zero_ok)
{
	uint64_t ns;

	if (convert_parse_time(arg, &ns) < 0 || (!ns && !zero_ok))
		return util_usage_error("record", "bad %s time '%s' (e.g. 20us, 1.5ms, 2s)", opt,
					arg);
	return 0;
}

int record_filter_option(struct record_filter *f, int opt, const char *arg)
{
	switch (opt) {
	case RF_EXCLUDE:
		return add_pattern(&f->exclude, "--exclude", arg);
	case RF_INCLUDE:
		return add_pattern(&f->include, "--include", arg);
	case RF_MAX_DEPTH:
		if (strspn(arg, "0123456789") != strlen(arg) || !*arg || strlen(arg) > 6 ||
		    atoi(arg) < 1 || atoi(arg) > 100000)
			return util_usage_error("record",
						"--max-depth needs a number from 1, not '%s'", arg);
		f->max_depth = arg;
		return 0;
	case RF_MIN_DURATION:
		f->min_duration = arg;
		return check_time("--min-duration", arg, 0);
	case RF_DELAY:
		f->delay = arg;
		return check_time("--delay", arg, 0);
	case RF_DURATION:
		f->duration = arg;
		return check_time("--duration", arg, 0);
	case RF_THROTTLE: {
		const char *comma = arg ? strchr(arg, ',') : NULL;

		f->throttle_set = 1;
		f->throttle = arg;
		if (!arg)
			return 0;
		if (!comma || comma == arg || strspn(arg, "0123456789") != (size_t)(comma - arg) ||
		    comma - arg > 12)
			return util_usage_error(
			    "record", "bad --throttle '%s' (N,TIME: e.g. 10000,100ns)", arg);
		return check_time("--throttle", comma + 1, 0);
	}
	default:
		return util_usage_error("record", "unknown option");
	}
}

/* var set to a time option's value in ns (the runtime takes no fractions), or unset. */
static void set_time(const char *var, const char *arg)
{
	char v[32];
	uint64_t ns;

	if (!arg || convert_parse_time(arg, &ns) < 0) {
		unsetenv(var);
		return;
	}
	snprintf(v, sizeof(v), "%" PRIu64 "ns", ns);
	setenv(var, v, 1);
}

void record_filter_env(const struct record_filter *f)
{
	if (f->exclude)
		setenv(TSF_ENV_EXCLUDE, f->exclude, 1);
	else
		unsetenv(TSF_ENV_EXCLUDE);
	if (f->include)
		setenv(TSF_ENV_INCLUDE, f->include, 1);
	else
		unsetenv(TSF_ENV_INCLUDE);
	if (f->max_depth)
		setenv(TSF_ENV_MAX_DEPTH, f->max_depth, 1);
	else
		unsetenv(TSF_ENV_MAX_DEPTH);
	set_time(TSF_ENV_MIN_DUR, f->min_duration);
	set_time(TSF_ENV_DELAY, f->delay);
	set_time(TSF_ENV_DURATION, f->duration);
	if (f->throttle) {
		char v[64];
		uint64_t ns = 0;
		const char *comma = strchr(f->throttle, ',');

		convert_parse_time(comma + 1, &ns);
		snprintf(v, sizeof(v), "%.*s,%" PRIu64 "ns", (int)(comma - f->throttle),
			 f->throttle, ns);
		setenv(TSF_ENV_THROTTLE, v, 1);
	} else if (f->throttle_set) {
		setenv(TSF_ENV_THROTTLE, "1", 1);
	} else {
		unsetenv(TSF_ENV_THROTTLE);
	}
}

void record_filter_free(struct record_filter *f)
{
	free(f->exclude);
	free(f->include);
}
