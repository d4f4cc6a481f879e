/* SPDX-License-Identifier: MIT */
/*
 * util.c - helpers shared by the tscope commands (see util.h).  CLI only: the
 * functions here may print and exit.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tscope.h"
#include "reader.h"
#include "util.h"

/* ---- memory ------------------------------------------------------------------------ */

static void out_of_memory(void)
{
	fputs("tscope: out of memory\n", stderr);
	exit(EXIT_BAD);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		out_of_memory();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		out_of_memory();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		out_of_memory();
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		out_of_memory();
	return p;
}

/* ---- messages ---------------------------------------------------------------------- */

TS_PRINTF(3, 0) static void vmessage(const char *what, const char *kind, const char *fmt, va_list ap)
{
	/* stderr is unbuffered: build the line, then write it with one call, so that lines
	 * of processes sharing the terminal do not interleave */
	char line[1024];
	int n = 0;

	if (what)
		n = snprintf(line, sizeof(line), "tscope: %s: %s", what, kind);
	else
		n = snprintf(line, sizeof(line), "tscope: %s", kind);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = (int)strlen(line);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	fprintf(stderr, "%s\n", line);
}

void util_error(const char *what, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(what, "", fmt, ap);
	va_end(ap);
}

void util_warn(const char *what, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(what, "warning: ", fmt, ap);
	va_end(ap);
}

int util_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(cmd, "", fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try 'tscope%s%s --help'.\n", cmd ? " " : "", cmd ? cmd : "");
	return EXIT_USAGE;
}

int util_version(const char *cmd)
{
	printf("tscope%s%s %s (trace format %d, LZ4 %s)\n", cmd ? " " : "", cmd ? cmd : "",
	       tscope_version_string(), TSF_VERSION,
#ifdef HAVE_LZ4
	       "yes"
#else
	       "no"
#endif
	);
	return EXIT_OK;
}

/* ---- sizes ------------------------------------------------------------------------- */

int util_parse_size(const char *s, uint64_t *out)
{
	static const char *const suffixes[] = { "", "k", "m", "g", "t" };
	uint64_t v = 0, mult = 1;
	const char *p = s;
	size_t i;

	if (!s || *s < '0' || *s > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	for (i = 1; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		if (*p == suffixes[i][0] || *p == suffixes[i][0] - 'a' + 'A') {
			mult = (uint64_t)1 << (10 * i);
			p++;
			break;
		}
	}
	/* "k", "kB", "KiB", "kib", plain "B" on a plain number */
	if (mult > 1 && (*p == 'i' || *p == 'I'))
		p++;
	if (*p == 'b' || *p == 'B')
		p++;
	if (*p)
		return -1;
	if (v > UINT64_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

/* ---- traces ------------------------------------------------------------------------ */

int util_open_trace(const char *path, struct reader **rp)
{
	struct stat st;
	int rc = reader_open(path, rp);
	int e = errno;

	switch (rc) {
	case TSCOPE_OK:
		return EXIT_OK;
	case TSCOPE_EIO:
		if (e == ESPIPE)
			util_error(path, "not a regular file (a trace must be seekable)");
		else
			util_error(path, "%s", strerror(e));
		break;
	case TSCOPE_EFORMAT:
		if (stat(path, &st) == 0 && st.st_size == 0)
			util_error(path, "empty file, not a tscope trace");
		else
			util_error(path, "not a tscope trace, or its header is corrupt");
		break;
	case TSCOPE_EVERSION:
		util_error(path,
			   "trace format is newer than this tscope reads (version %d); "
			   "a newer tscope is needed",
			   TSF_VERSION);
		break;
	case TSCOPE_ETRUNC:
		if (stat(path, &st) == 0)
			util_error(path,
				   "trace is truncated at byte %" PRIu64 ", inside its header: "
				   "nothing to read",
				   (uint64_t)st.st_size);
		else
			util_error(path, "trace is truncated inside its header: nothing to read");
		break;
	case TSCOPE_ENOLZ4:
		util_error(path, "trace is LZ4-compressed, and this tscope was built without LZ4");
		break;
	default:
		util_error(path, "%s", tscope_strerror(rc));
		break;
	}
	return EXIT_BAD;
}

int util_trace_problems(const char *path, const struct reader *r)
{
	const struct reader_info *in = reader_info(r);
	const struct reader_clock *c = reader_clock(r);
	int status = EXIT_OK;

	if (in->truncated) {
		util_error(path,
			   "trace is truncated at byte %" PRIu64 " (events up to there were read)",
			   in->trunc_offset);
		status = EXIT_BAD;
	}
	if (in->bad_chunks) {
		util_error(path,
			   "%" PRIu64 " malformed chunk%s skipped, the first at byte %" PRIu64,
			   in->bad_chunks, in->bad_chunks == 1 ? "" : "s", in->first_bad);
		status = EXIT_BAD;
	}
	if (in->missing) {
		util_error(path, "%" PRIu64 " EVENTS chunk%s missing (gaps in their numbering)",
			   in->missing, in->missing == 1 ? " is" : "s are");
		status = EXIT_BAD;
	}
	if (in->complete && !in->end_matches) {
		util_error(path,
			   "the END chunk's totals (%" PRIu64 " chunks, %" PRIu64
			   " event slots) differ from the data (%" PRIu64 ", %" PRIu64 ")",
			   in->end.chunks, in->end.events, in->chunks, in->slots);
		status = EXIT_BAD;
	}
	if (in->lost)
		util_warn(path, "%" PRIu64 " event%s lost while recording", in->lost,
			  in->lost == 1 ? " was" : "s were");
	if (c->estimated && in->clock_source != TSF_CLOCK_MONOTONIC)
		util_warn(path,
			  "tick rate unknown (%u clock sync point%s): times assume 1 tick per ns",
			  c->points, c->points == 1 ? "" : "s");
	if (in->trailing)
		util_warn(path, "%" PRIu64 " byte%s after the END chunk ignored", in->trailing,
			  in->trailing == 1 ? "" : "s");
	return status;
}

/* ---- output files ------------------------------------------------------------------ */

/* Is the open file fd one of the inputs?  Then it names that input. */
static const char *same_as_input(int fd, char *const *inputs, int n)
{
	struct stat out, in;

	if (fstat(fd, &out) < 0)
		return NULL;
	for (int i = 0; i < n; i++)
		if (stat(inputs[i], &in) == 0 && in.st_dev == out.st_dev && in.st_ino == out.st_ino)
			return inputs[i];
	return NULL;
}

FILE *util_open_output(const char *path, char *const *inputs, int n)
{
	const char *input;
	struct stat st;
	FILE *f;
	int fd;

	if (!path || strcmp(path, "-") == 0) {
		/* `>> input` from the shell would grow the file being read */
		input = same_as_input(STDOUT_FILENO, inputs, n);
		if (input && fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode)) {
			util_error("stdout", "is the input file %s; refusing to write into it",
				   input);
			return NULL;
		}
		return stdout;
	}
	/* not O_TRUNC: an input must be recognized before anything is destroyed */
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0666);
	if (fd < 0) {
		if (errno == ELOOP)
			util_error(path, "is a symbolic link; refusing to write through it");
		else
			util_error(path, "cannot create: %s", strerror(errno));
		return NULL;
	}
	input = same_as_input(fd, inputs, n);
	if (input) {
		if (strcmp(input, path) == 0)
			util_error(path, "is an input file; refusing to overwrite it");
		else
			util_error(path,
				   "is the same file as the input %s; refusing to overwrite it",
				   input);
		close(fd);
		return NULL;
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ftruncate(fd, 0) < 0) {
		util_error(path, "cannot truncate: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	f = fdopen(fd, "w");
	if (!f) {
		util_error(path, "%s", strerror(errno));
		close(fd);
	}
	return f;
}

int util_output_error(FILE *f, int flush)
{
	int e = errno;

	if (ferror(f))
		return e ? e : EIO;
	errno = 0;
	if (flush && fflush(f) != 0)
		return errno ? errno : EIO;
	errno = e;
	return 0;
}

int util_close_output(FILE *f, const char *path, int err)
{
	int e = err;

	if (!f)
		return EXIT_BAD;
	if (!e && fflush(f) != 0)
		e = errno ? errno : EIO;
	if (!e && ferror(f))
		e = EIO;
	if (f != stdout && fclose(f) != 0 && !e)
		e = errno ? errno : EIO;
	if (e) {
		util_error(path && strcmp(path, "-") ? path : "stdout", "write error: %s",
			   strerror(e));
		return EXIT_BAD;
	}
	return EXIT_OK;
}
