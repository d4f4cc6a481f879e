/* SPDX-License-Identifier: MIT */
/*
 * convert.c - the common part of the converter commands (see convert.h): the loop that
 * feeds an exporter of lib/read/export.h, and everything around it.  Their option loop
 * is convert-opts.c's; --symfs, --binary and the cut options are kept here, for the
 * conversion.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tscope.h"
#include "reader.h"
#include "symtab.h"
#include "export.h"
#include "convert.h"
#include "util.h"

#define SYMBOL_PATHS_MAX 64 /* --symfs and --binary options, each */

/* Where to find the recorded binaries (--symfs, --binary), for every trace. */
static const char *symfs[SYMBOL_PATHS_MAX], *bin_old[SYMBOL_PATHS_MAX], *bin_new[SYMBOL_PATHS_MAX];
static struct sym_paths sym_paths = { symfs, 0, bin_old, bin_new, 0 };

int convert_symbols(const char *cmd, int opt, const char *arg)
{
	const char *eq;

	if (opt != CONVERT_OPT_SYMFS && opt != CONVERT_OPT_BINARY)
		return -1;
	if (sym_paths.nsymfs == SYMBOL_PATHS_MAX || sym_paths.nbin == SYMBOL_PATHS_MAX)
		return util_usage_error(cmd, "more than %d --symfs or --binary options",
					SYMBOL_PATHS_MAX);
	if (opt == CONVERT_OPT_SYMFS) {
		if (!*arg)
			return util_usage_error(cmd, "--symfs needs a directory");
		symfs[sym_paths.nsymfs++] = arg;
		return 0;
	}
	eq = strchr(arg, '=');
	if (!eq || eq == arg || !eq[1])
		return util_usage_error(cmd, "--binary needs OLD=PATH, not '%s'", arg);
	while (arg[0] == '.' && arg[1] == '/')
		arg += 2;
	if (arg[0] != '/' && memchr(arg, '/', (size_t)(eq - arg))) {
		/* a relative path: the trace records absolute ones */
		char cwd[4096];
		size_t n = getcwd(cwd, sizeof(cwd)) ? strlen(cwd) : 0;
		char *abs = n ? malloc(n + 1 + (size_t)(eq - arg) + 1) : NULL;

		if (abs)
			sprintf(abs, "%s/%.*s", cwd, (int)(eq - arg), arg);
		bin_old[sym_paths.nbin] = abs;
	} else {
		bin_old[sym_paths.nbin] = strndup(arg, (size_t)(eq - arg));
	}
	if (!bin_old[sym_paths.nbin])
		return util_usage_error(cmd, "cannot take --binary '%s': out of memory", arg);
	bin_new[sym_paths.nbin++] = eq + 1;
	return 0;
}

/* What to keep of each thread (--from, --to, --min-duration, --depth, --focus). */
static struct spans_cut cut = { 0, UINT64_MAX, 0, 0, NULL };
static int cut_set;

int convert_cut(const char *cmd, int opt, const char *arg)
{
	uint64_t *t = opt == CONVERT_OPT_FROM	  ? &cut.from
		      : opt == CONVERT_OPT_TO	  ? &cut.to
		      : opt == CONVERT_OPT_MINDUR ? &cut.min_dur
						  : NULL;
	uint32_t n;

	switch (opt) {
	case CONVERT_OPT_FROM:
	case CONVERT_OPT_TO:
	case CONVERT_OPT_MINDUR:
		if (convert_parse_time(arg, t) < 0)
			return util_usage_error(cmd,
						"%s needs a time with its unit (1.5s, 200ms, 10us,"
						" 500ns), not '%s'",
						opt == CONVERT_OPT_FROM ? "--from"
						: opt == CONVERT_OPT_TO ? "--to"
									: "--min-duration",
						arg);
		break;
	case CONVERT_OPT_DEPTH:
		if (convert_parse_u32(arg, &n) < 0 || n == 0)
			return util_usage_error(cmd, "--depth needs a count of 1 or more, not '%s'",
						arg);
		cut.depth = n;
		break;
	case CONVERT_OPT_FOCUS:
		if (!*arg)
			return util_usage_error(cmd, "--focus needs a function name");
		cut.focus = arg;
		break;
	default:
		return -1;
	}
	if (cut.to < cut.from)
		return util_usage_error(cmd, "--to comes before --from");
	cut_set = 1;
	return 0;
}

/* A conversion under way. */
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
	int werr; /* why writing to out failed, 0 if it did not */

	/* progress */
	int tty;
	uint64_t total, done; /* events */
	struct timespec start, shown_at;
	int shown;
};

#define PROGRESS_AFTER_NS 1000000000u /* say nothing for conversions shorter than this */
#define PROGRESS_EVERY_NS 250000000u

static uint64_t elapsed_ns(const struct timespec *a, const struct timespec *b)
{
	int64_t d = (int64_t)(b->tv_sec - a->tv_sec) * 1000000000 + (b->tv_nsec - a->tv_nsec);

	return d > 0 ? (uint64_t)d : 0;
}

static void progress(void *ctx, uint64_t n)
{
	struct convert *cv = ctx;
	struct timespec now;
	unsigned pct;

	cv->done += n;
	if (!cv->tty || !cv->total)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (elapsed_ns(&cv->start, &now) < PROGRESS_AFTER_NS ||
	    (cv->shown && elapsed_ns(&cv->shown_at, &now) < PROGRESS_EVERY_NS))
		return;
	pct = cv->done >= cv->total ? 99 : (unsigned)(cv->done * 100 / cv->total);
	fprintf(stderr, "\rtscope: %s: %u%% ", cv->cmd, pct);
	cv->shown = 1;
	cv->shown_at = now;
}

static void clear_progress(struct convert *cv)
{
	if (cv->shown)
		fputs("\r\033[K", stderr);
	cv->shown = 0;
}

static int convert_close(struct convert *cv);

/* A binary named by the trace cannot name its functions. */
static void sym_warn(void *ctx, const char *path, const char *what)
{
	struct convert *cv = ctx;

	clear_progress(cv);
	util_warn(path, "%s; its functions are shown as addresses", what);
}

/*
 * Open the n traces at paths.  One that cannot be opened gets its error line and
 * makes the final status EXIT_BAD; the others are converted all the same.  Returns
 * EXIT_OK, or EXIT_BAD when memory runs out (cv is then closed).
 */
static int convert_open(struct convert *cv, const char *cmd, char **paths, int n)
{
	memset(cv, 0, sizeof(*cv));
	cv->cmd = cmd;
	cv->n = n;
	cv->paths = paths;
	cv->tty = isatty(STDERR_FILENO);
	clock_gettime(CLOCK_MONOTONIC, &cv->start);
	cv->r = xcalloc((size_t)n, sizeof(*cv->r));
	cv->sp = xcalloc((size_t)n, sizeof(*cv->sp));
	cv->names = names_new();
	if (!cv->names) {
		util_error(NULL, "out of memory");
		convert_close(cv);
		return EXIT_BAD;
	}
	for (int i = 0; i < n; i++) {
		if (util_open_trace(paths[i], &cv->r[i]) != EXIT_OK) {
			cv->status = EXIT_BAD;
			continue;
		}
		if (spans_open(&cv->sp[i], cv->r[i], cv->names) < 0) {
			util_error(paths[i], "out of memory");
			convert_close(cv);
			return EXIT_BAD;
		}
		spans_set_warn(cv->sp[i], sym_warn, cv);
		spans_set_paths(cv->sp[i], &sym_paths);
		if (cut_set)
			spans_set_cut(cv->sp[i], &cut);
		spans_set_progress(cv->sp[i], progress, cv);
		cv->total += reader_info(cv->r[i])->slots;
	}
	return EXIT_OK;
}

/* "N things" into buf at *len, comma-separated. */
static void part(char *buf, size_t size, size_t *len, uint64_t n, const char *what)
{
	int k;

	if (!n || *len >= size)
		return;
	k = snprintf(buf + *len, size - *len, "%s%" PRIu64 " %s", *len ? ", " : "", n, what);
	if (k > 0)
		*len += (size_t)k;
}

static void say_repairs(const char *path, const struct spans_repairs *rep)
{
	uint64_t total = spans_repairs_total(rep);
	char buf[768];
	size_t len = 0;

	if (total) {
		buf[0] = 0;
		part(buf, sizeof(buf), &len, rep->unwound,
		     "left by longjmp or an exception, closed where a caller returned");
		part(buf, sizeof(buf), &len, rep->exit_early,
		     "begun before the recorded events, timed from the first");
		part(buf, sizeof(buf), &len, rep->exit_dropped, "returns without a call, ignored");
		part(buf, sizeof(buf), &len, rep->open_at_end,
		     "still open at the end of their thread, closed at its last event");
		part(buf, sizeof(buf), &len, rep->open_at_gap,
		     "open where events are missing, closed there");
		part(buf, sizeof(buf), &len, rep->end_dropped,
		     "scope ends without a scope, ignored");
		part(buf, sizeof(buf), &len, rep->end_deferred,
		     "scopes ended inside a call, closed when it returned");
		part(buf, sizeof(buf), &len, rep->too_deep, "calls too deep to follow, ignored");
		util_error(path, "repaired %" PRIu64 " unbalanced call%s (%s)", total,
			   total == 1 ? "" : "s", buf);
	}
	if (rep->time_back)
		util_warn(path,
			  "%" PRIu64 " event%s earlier than the event before, moved up to its time",
			  rep->time_back, rep->time_back == 1 ? "" : "s");
}

/*
 * After file i was converted with result rc (0 or a TSCOPE_E* code from the exporter):
 * say what went wrong, what was repaired and what is wrong with the trace.
 */
static void convert_done(struct convert *cv, int i, int rc)
{
	const char *path = cv->paths[i];

	clear_progress(cv);
	if (!cv->r[i])
		return;
	if (rc < 0) {
		util_error(path, "%s", rc == TSCOPE_EIO ? strerror(errno) : tscope_strerror(rc));
		cv->status = EXIT_BAD;
	}
	say_repairs(path, spans_repairs(cv->sp[i]));
	if (util_trace_problems(path, cv->r[i]) != EXIT_OK)
		cv->status = EXIT_BAD;
}

/* Clear the progress line, free everything, close the output; returns the exit
 * status (EXIT_BAD too if the output could not be written). */
static int convert_close(struct convert *cv)
{
	clear_progress(cv);
	for (int i = 0; i < cv->n; i++) {
		if (cv->sp)
			spans_close(cv->sp[i]);
		if (cv->r)
			reader_close(cv->r[i]);
	}
	free(cv->sp);
	free(cv->r);
	names_free(cv->names);
	cv->sp = NULL;
	cv->r = NULL;
	cv->names = NULL;
	cv->n = 0;
	if (cv->out && util_close_output(cv->out, cv->output, cv->werr) != EXIT_OK)
		cv->status = EXIT_BAD;
	cv->out = NULL;
	return cv->status;
}

/*
 * Open the output for the traces of cv: output as util_open_output() takes it (NULL
 * or "-": stdout).  NULL on failure, said, with cv closed.
 */
static FILE *convert_output(struct convert *cv, const char *output)
{
	cv->out = util_open_output(output, cv->paths, cv->n);
	cv->output = output;
	if (!cv->out)
		convert_close(cv);
	return cv->out;
}

/* --thread tid matched no thread: say so; the status becomes EXIT_BAD. */
static void convert_no_thread(struct convert *cv, uint32_t tid)
{
	util_error(NULL, "no thread %" PRIu32 " in the trace%s", tid, cv->n > 1 ? "s" : "");
	cv->status = EXIT_BAD;
}

int convert_run(const struct convert_job *job, char **paths, int n)
{
	const struct exporter *ex = export_find(job->cmd);
	struct convert cv;
	char msg[512];
	void *x;
	FILE *out;
	int rc;

	if (!ex) {
		util_error(job->cmd, "no such exporter");
		return EXIT_BAD;
	}
	if (convert_open(&cv, job->cmd, paths, n) != EXIT_OK)
		return EXIT_BAD;
	if (ex->prepare)
		ex->prepare(job->opts, cv.sp, (size_t)cv.n);
	out = convert_output(&cv, job->output);
	if (!out)
		return EXIT_BAD;
	if (ex->open(&x, out, job->opts, cv.names) < 0) {
		util_error(NULL, "out of memory");
		cv.status = EXIT_BAD;
		return convert_close(&cv);
	}
	/* a failed write ends the conversion: it is said once, when the output is closed */
	for (int i = 0; i < cv.n && !cv.werr; i++) {
		if (!cv.sp[i])
			continue;
		errno = 0;
		rc = ex->add(x, cv.sp[i]);
		cv.werr = util_output_error(out, 1); /* the output first, then what is wrong */
		if (cv.werr)
			break;
		convert_done(&cv, i, rc);
		if (ex->warning && ex->warning(x, msg, sizeof(msg)))
			util_warn(paths[i], "%s", msg);
	}
	if (!cv.werr && job->has_tid && ex->threads && !ex->threads(x))
		convert_no_thread(&cv, job->tid);
	errno = 0;
	rc = ex->finish(x);
	if (!cv.werr)
		cv.werr = util_output_error(out, 0);
	if (rc < 0 && !cv.werr) {
		util_error(NULL, "out of memory");
		cv.status = EXIT_BAD;
	}
	return convert_close(&cv);
}
