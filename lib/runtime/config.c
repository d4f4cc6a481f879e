/* SPDX-License-Identifier: MIT */
/*
 * config.c - what a session is asked to do: the TSCOPE_* environment, read once, and
 * the API's struct tscope_config merged over it.  Also tscope__say(), the runtime's
 * only output.
 *
 * A bad value is reported once, with the variable's name, and the default is used:
 * the program runs as it would have, only traced with defaults.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tscope-int.h"

/*
 * One "tscope: ..." line on stderr, written with one write(): the runtime's only
 * output.  Control characters (a newline or a terminal escape in a bad environment
 * value) become '?', and a line too long is cut but still ends with its newline.
 */
TS_NOINSTR void tscope__say(const char *a, const char *b, const char *c)
{
	char line[512];
	int n = snprintf(line, sizeof(line) - 1, "tscope: %s%s%s", a, b, c);

	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line) - 1)
		n = (int)sizeof(line) - 2;
	for (int i = 0; i < n; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	line[n++] = '\n';
	if (write(2, line, (size_t)n) < 0)
		return;
}

static TS_NOINSTR void bad_env(const char *var, const char *val, const char *fallback)
{
	char msg[300];

	snprintf(msg, sizeof(msg), ": invalid value '%.200s%s', using %s", val,
		 strlen(val) > 200 ? "..." : "", fallback);
	tscope__say(var, msg, "");
}

/* "64k", "4M", "1G", "4096": bytes, or 0 if malformed. */
static TS_NOINSTR size_t parse_size(const char *s)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!s || *s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return 0;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	}
	if (shift)
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || v > (1ull << 32) >> shift)
		return 0;
	return (size_t)(v << shift);
}

/* "USR2", "SIGUSR2" or a number: a signal a program may use for snapshots, or 0. */
static TS_NOINSTR int parse_signal(const char *s)
{
	static const struct {
		const char *name;
		int sig;
	} names[] = { { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "HUP", SIGHUP },
		      { "PROF", SIGPROF }, { "WINCH", SIGWINCH }, { "URG", SIGURG } };
	char *end;
	long n;

	if (strncmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < TS_ARRAY_SIZE(names); i++)
		if (strcmp(s, names[i].name) == 0)
			return names[i].sig;
	n = strtol(s, &end, 10);
	if (*end || n <= 0 || n >= 65 || n == SIGKILL || n == SIGSTOP || n == SIGSEGV ||
	    n == SIGBUS || n == SIGFPE || n == SIGILL || n == SIGABRT)
		return 0;
	return (int)n;
}

/* "20us", "1.5ms", "2s", "100ns", "100" (ns): ns, or -1 if malformed. */
static TS_NOINSTR int64_t parse_time(const char *s)
{
	static const struct {
		const char *unit;
		double ns;
	} units[] = { { "", 1 }, { "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 } };
	char *end;
	double v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	v = strtod(s, &end);
	for (size_t i = 0; i < TS_ARRAY_SIZE(units); i++)
		if (strcmp(end, units[i].unit) == 0 && v * units[i].ns < 9e18)
			return (int64_t)(v * units[i].ns + 0.5);
	return -1;
}

/* A time variable into *out (ns); a bad value is said and leaves *out 0. */
static TS_NOINSTR void env_time(const char *var, uint64_t *out)
{
	const char *v = getenv(var);
	int64_t ns = v && *v ? parse_time(v) : 0;

	if (ns < 0)
		bad_env(var, v, "none");
	*out = ns > 0 ? (uint64_t)ns : 0;
}

/* The record-time filters and the window (filter.c, control.c). */
static TS_NOINSTR void filters_from_env(struct tscope__config *c)
{
	const char *v;

	v = getenv(TSF_ENV_EXCLUDE);
	if (v && strlen(v) >= sizeof(c->exclude))
		bad_env(TSF_ENV_EXCLUDE, "(too long)", "no exclusion");
	else if (v)
		strcpy(c->exclude, v);
	v = getenv(TSF_ENV_INCLUDE);
	if (v && strlen(v) >= sizeof(c->include))
		bad_env(TSF_ENV_INCLUDE, "(too long)", "every function");
	else if (v)
		strcpy(c->include, v);
	v = getenv(TSF_ENV_MAX_DEPTH);
	if (v && *v) {
		char *end;
		unsigned long n = strtoul(v, &end, 10);

		if (*end || *v < '0' || *v > '9' || !n || n > 100000)
			bad_env(TSF_ENV_MAX_DEPTH, v, "no limit");
		else
			c->max_depth = (unsigned)n;
	}
	env_time(TSF_ENV_MIN_DUR, &c->min_ns);
	env_time(TSF_ENV_DELAY, &c->delay_ns);
	env_time(TSF_ENV_DURATION, &c->duration_ns);
	v = getenv(TSF_ENV_THROTTLE);
	if (v && *v && strcmp(v, "0") != 0) {
		const char *comma = strchr(v, ',');
		char *end;
		unsigned long long n = strtoull(v, &end, 10);
		int64_t ns = comma ? parse_time(comma + 1) : 0;

		if (strcmp(v, "1") == 0) {
			c->throttle_calls = 10000;
			c->throttle_ns = 100;
		} else if (!comma || end != comma || *v < '0' || *v > '9' || !n || ns <= 0) {
			bad_env(TSF_ENV_THROTTLE, v, "no throttle (1, or CALLS,TIME)");
		} else {
			c->throttle_calls = n;
			c->throttle_ns = (uint64_t)ns;
		}
	}
}

#define BUF_MIN     1024u
#define BUF_DEFAULT (1u << 20)

/* The largest buffer_bytes for a mode: a stream buffer, or a ring block (a ring has
 * TS_RING_BLOCKS of them), is written as one EVENTS chunk, which a reader accepts up to
 * TSF_CHUNK_MAX bytes. */
static TS_NOINSTR size_t buffer_max(int mode)
{
	return mode == TSCOPE_MODE_RING ? (size_t)TS_RING_BLOCKS * TS_BUF_MAX : TS_BUF_MAX;
}

static TS_NOINSTR int valid_buffer(size_t n, int mode)
{
	return n >= BUF_MIN && n <= buffer_max(mode);
}

/* Read the TSCOPE_* environment once; bad values are reported and replaced. */
TS_NOINSTR void tscope__config_from_env(struct tscope__config *c, int *disabled)
{
	const char *v;

	memset(c, 0, sizeof(*c));
	v = getenv(TSF_ENV_OUTPUT);
	if (v && *v && strlen(v) < sizeof(c->path) - 32) {
		strcpy(c->path, v);
	} else {
		if (v && *v)
			bad_env(TSF_ENV_OUTPUT, "(too long)", TSF_DEFAULT_PATH);
		strcpy(c->path, TSF_DEFAULT_PATH);
	}
	c->mode = TSCOPE_MODE_STREAM;
	v = getenv(TSF_ENV_MODE);
	if (v && strcmp(v, "stream") != 0) {
		if (strcmp(v, "ring") == 0)
			c->mode = TSCOPE_MODE_RING;
		else
			bad_env(TSF_ENV_MODE, v, "stream");
	}
	c->buffer_bytes = BUF_DEFAULT;
	v = getenv(TSF_ENV_BUFFER);
	if (v) {
		size_t n = parse_size(v);

		if (valid_buffer(n, c->mode)) {
			c->buffer_bytes = n;
		} else if (n > buffer_max(c->mode)) {
			c->buffer_bytes = buffer_max(c->mode);
			bad_env(TSF_ENV_BUFFER, v, c->mode == TSCOPE_MODE_RING ?
				"the largest ring, 1G" : "the largest buffer, 128M");
		} else {
			bad_env(TSF_ENV_BUFFER, v, "1M (sizes from 1k to 128M; 1G in ring mode)");
		}
	}
	v = getenv(TSF_ENV_IO); /* libtscope-io records: the CPU time is sampled too */
	c->cpu_samples = v && strcmp(v, "1") == 0;
	v = getenv(TSF_ENV_SNAPSIG);
	if (v && *v) {
		c->snapshot_signal = parse_signal(v);
		if (!c->snapshot_signal)
			bad_env(TSF_ENV_SNAPSIG, v, "none");
		else if (c->snapshot_signal && c->mode != TSCOPE_MODE_RING) {
			tscope__say(TSF_ENV_SNAPSIG, ": only for TSCOPE_MODE=ring, ignored", "");
			c->snapshot_signal = 0;
		}
	}
	v = getenv(TSF_ENV_CONTROL);
	if (v && *v) {
		char *end;
		long n = strtol(v, &end, 10);

		if (*end || n < SIGRTMIN || n > SIGRTMAX)
			bad_env(TSF_ENV_CONTROL, v, "none (a real-time signal number is needed)");
		else
			c->control_signal = (int)n;
	}
	v = getenv(TSF_ENV_PAUSED);
	if (v && *v && strcmp(v, "0") != 0) {
		if (strcmp(v, "1") == 0)
			c->start_paused = 1;
		else
			bad_env(TSF_ENV_PAUSED, v, "0");
	}
	v = getenv(TSF_ENV_TRIGGER);
	if (v && *v) {
		const char *colon = strrchr(v, ':');
		size_t len = colon ? (size_t)(colon - v) : strlen(v);
		char *end = NULL;
		unsigned long n = colon ? strtoul(colon + 1, &end, 10) : 1;

		/* C++ names hold "::": a count is only digits after the last colon */
		if (colon && (colon == v || colon[-1] == ':' || !colon[1] || *end)) {
			len = strlen(v);
			n = 1;
		}
		if (!len || len >= sizeof(c->trigger) || !n || n > 1000000000ul) {
			bad_env(TSF_ENV_TRIGGER, v, "no trigger");
		} else {
			memcpy(c->trigger, v, len);
			c->trigger[len] = 0;
			c->trigger_count = (unsigned)n;
		}
	}
	filters_from_env(c);
	if (c->delay_ns)
		c->start_paused = 1; /* control.c starts it when the delay is over */
	v = getenv(TSF_ENV_COMPRESS);
	if (v && *v && strcmp(v, "pack") != 0) {
		if (strcmp(v, "none") == 0 || strcmp(v, "0") == 0)
			c->encoding = TS_ENC_RAW;
		else if (strcmp(v, "lz4") != 0 && strcmp(v, "1") != 0)
			bad_env(TSF_ENV_COMPRESS, v, "pack");
#ifdef HAVE_LZ4
		else
			c->encoding = TS_ENC_LZ4;
#else
		else
			tscope__say(TSF_ENV_COMPRESS, ": this libtscope is built without LZ4, ",
				    "writing packed events");
#endif
	}
	v = getenv(TSF_ENV_RECORD);
	c->claim = v && *v;
	v = getenv(TSF_ENV_ENABLE);
	if (v && strcmp(v, "1") != 0) {
		if (strcmp(v, "0") == 0)
			*disabled = 1;
		else
			bad_env(TSF_ENV_ENABLE, v, "1");
	}
}

/* Merge an API configuration over the environment's. */
TS_NOINSTR int tscope__config_merge(const struct tscope_config *cfg, const struct tscope__config *env,
				 struct tscope__config *c)
{
	struct tscope_config in = TSCOPE_CONFIG_INIT;

	*c = *env;
	if (!cfg)
		return 0;
	if (cfg->size < offsetof(struct tscope_config, compress) + sizeof(int) ||
	    cfg->size > 4096)
		return TSCOPE_EINVAL;
	memcpy(&in, cfg, cfg->size < sizeof(in) ? cfg->size : sizeof(in));
	if (in.path) {
		if (!*in.path || strlen(in.path) >= sizeof(c->path) - 32)
			return TSCOPE_EINVAL;
		strcpy(c->path, in.path);
	}
	if (in.buffer_bytes) {
		if (!valid_buffer(in.buffer_bytes, in.mode ? in.mode : c->mode))
			return TSCOPE_EINVAL;
		c->buffer_bytes = in.buffer_bytes;
	}
	if (in.mode) {
		if (in.mode != TSCOPE_MODE_STREAM && in.mode != TSCOPE_MODE_RING)
			return TSCOPE_EINVAL;
		c->mode = in.mode;
	}
	if (in.compress == -1) {
		c->encoding = TS_ENC_RAW;
	} else if (in.compress == 1) {
#ifdef HAVE_LZ4
		c->encoding = TS_ENC_LZ4;
#else
		return TSCOPE_ENOLZ4;
#endif
	} else if (in.compress) {
		return TSCOPE_EINVAL;
	}
	if (c->buffer_bytes > buffer_max(c->mode)) /* the environment's ring, in stream mode */
		c->buffer_bytes = buffer_max(c->mode);
	return 0;
}
