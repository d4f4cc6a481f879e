/* SPDX-License-Identifier: MIT */
/*
 * test-convert-progs.c - `tscope chrome`, `report` and `folded` on real traced programs,
 * with exact expected answers.
 *
 * Runs tests/prog-conv and tests/prog-cxx (built with -finstrument-functions) in every
 * scenario, converts each trace three ways with tools/tscope, checks the JSON with
 * tests/check-json.py (strict parse, spans nest in every thread) and checks that the
 * names and call counts are exactly the program's, and that report and folded agree
 * with the JSON to the nanosecond.  Each case runs in a child of its own
 * (tests/runner.h): `tests/test-convert-progs --list` lists them.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "convert.h"
#include "runner.h"

/* How many times needle occurs in s. */
static int count_matches(const char *s, const char *needle)
{
	int n = 0;

	for (s = strstr(s, needle); s; s = strstr(s + 1, needle))
		n++;
	return n;
}

/* The "span COUNT SELF INCL NAME" line of name (a JSON string); 0 if absent. */
static int span_of(const struct summary *s, const char *name, uint64_t *count, uint64_t *self,
		   uint64_t *incl)
{
	const char *p = s->text, *line;
	long n;

	while ((n = next_line(&p, &line)) >= 0) {
		unsigned long long c, sf, in;
		int at = 0;

		if (sscanf(line, "span %llu %llu %llu %n", &c, &sf, &in, &at) != 3 || !at)
			continue;
		if ((long)strlen(name) == n - at &&
		    strncmp(line + at, name, (size_t)(n - at)) == 0) {
			*count = c;
			*self = sf;
			*incl = in;
			return 1;
		}
	}
	return 0;
}

static int summary_lines(const struct summary *s, const char *prefix)
{
	const char *p = s->text, *line;
	int k = 0;

	while (next_line(&p, &line) >= 0)
		k += strncmp(line, prefix, strlen(prefix)) == 0;
	return k;
}

/* One expected function or scope: its name as check-json.py prints it, and its spans. */
struct want {
	const char *json; /* "\"fib\"" */
	const char *text; /* the name as report and folded print it */
	uint64_t count;
};

/* Sums over lines of `tscope folded` whose last frame is name. */
static uint64_t folded_sum(const char *text, const char *name)
{
	const char *p = text, *line;
	uint64_t sum = 0;
	long n;

	while ((n = next_line(&p, &line)) >= 0) {
		const char *sp = NULL, *leaf = line;

		for (const char *q = line; q < line + n; q++)
			if (*q == ' ')
				sp = q;
		if (!sp)
			continue;
		for (const char *q = line; q < sp; q++)
			if (*q == ';')
				leaf = q + 1;
		if ((size_t)(sp - leaf) == strlen(name) && strncmp(leaf, name, strlen(name)) == 0)
			sum += strtoull(sp + 1, NULL, 10);
	}
	return sum;
}

/* The row of `tscope report --flat --ns` for name: calls, self, incl; 0 if absent. */
static int flat_row(const char *text, const char *name, uint64_t *calls, uint64_t *self,
		    uint64_t *incl)
{
	const char *p = text, *line;
	long n;

	while ((n = next_line(&p, &line)) >= 0) {
		unsigned long long sf, c, in;
		int at = 0;

		/* self self% calls incl avg min p50 p90 p99 max function */
		if (sscanf(line, "%llu %*s %llu %llu %*s %*s %*s %*s %*s %*s %n", &sf, &c, &in,
			   &at) != 3 ||
		    !at)
			continue;
		if ((long)strlen(name) == n - at &&
		    strncmp(line + at, name, (size_t)(n - at)) == 0) {
			*calls = c;
			*self = sf;
			*incl = in;
			return 1;
		}
	}
	return 0;
}

/* Calls of name summed over the lines of a `tscope report --ns` call tree. */
static uint64_t tree_calls(const char *text, const char *name)
{
	const char *p = text, *line;
	uint64_t sum = 0;
	long n;

	while ((n = next_line(&p, &line)) >= 0) {
		unsigned long long in, sf, c;
		int at = 0;
		const char *s;

		if (sscanf(line, "%llu %llu %llu %*s %*s %n", &in, &sf, &c, &at) != 3 || !at)
			continue;
		s = line + at;
		if (*s == '[') { /* "[depth] name" past the indentation limit */
			s = memchr(s, ' ', (size_t)(line + n - s));
			if (!s)
				continue;
			s++;
		}
		if ((long)strlen(name) == line + n - s && strncmp(s, name, strlen(name)) == 0)
			sum += c;
	}
	return sum;
}

/* The outputs of the three commands on one trace. */
struct outputs {
	int st_chrome, st_report, st_flat, st_folded, st_calls;
	char *err_chrome, *report, *flat, *folded, *calls;
	struct summary sum;
	char json[4200];
};

static void convert_cli(const char *name, const char *const *traces, int ntraces, struct outputs *o)
{
	char out[4200], err[4200];
	const char *argv[16];
	int k;

	memset(o, 0, sizeof(*o));
	path_of(o->json, sizeof(o->json), name);
	strcat(o->json, ".json");
	path_of(err, sizeof(err), name);
	strcat(err, ".chrome.err");
	k = 0;
	argv[k++] = tscope;
	argv[k++] = "chrome";
	argv[k++] = "-o";
	argv[k++] = o->json;
	for (int i = 0; i < ntraces; i++)
		argv[k++] = traces[i];
	argv[k] = NULL;
	o->st_chrome = run(argv, NULL, NULL, err);
	o->err_chrome = slurp(err);

#define RUN_TO(field, status, suffix, ...)                                                         \
	do {                                                                                       \
		const char *head[] = { tscope, __VA_ARGS__ };                                      \
		int j = 0;                                                                         \
		for (size_t h = 0; h < TS_ARRAY_SIZE(head); h++)                                   \
			argv[j++] = head[h];                                                       \
		for (int i = 0; i < ntraces; i++)                                                  \
			argv[j++] = traces[i];                                                     \
		argv[j] = NULL;                                                                    \
		path_of(out, sizeof(out), name);                                                   \
		strcat(out, suffix);                                                               \
		o->status = run(argv, NULL, out, NULL);                                            \
		o->field = slurp(out);                                                             \
	} while (0)

	RUN_TO(report, st_report, ".report", "report", "--ns", "-t", "0");
	RUN_TO(flat, st_flat, ".flat", "report", "--flat", "--ns");
	RUN_TO(folded, st_folded, ".folded", "folded");
	RUN_TO(calls, st_calls, ".calls", "folded", "--calls");
#undef RUN_TO
	if (have_python)
		check_json(o->json, &o->sum);
	else
		o->sum.text = calloc(1, 1);
}

static void outputs_free(struct outputs *o)
{
	free(o->err_chrome);
	free(o->report);
	free(o->flat);
	free(o->folded);
	free(o->calls);
	free(o->sum.text);
	unlink(o->json);
}

/*
 * Everything the three outputs must agree on for a program whose spans are exactly
 * want[0 .. n): names, counts, self and inclusive times, nesting.
 */
static void check_outputs(const char *what, struct outputs *o, const struct want *want, int n,
			  int status)
{
	int names_ok = 1, counts_ok = 1, flat_ok = 1, folded_ok = 1, self_ok = 1;

	is_int(o->st_chrome, status, "%s: chrome exit status", what);
	is_int(o->st_report, status, "%s: report exit status", what);
	is_int(o->st_flat, status, "%s: report --flat exit status", what);
	is_int(o->st_folded, status, "%s: folded exit status", what);
	is_int(o->st_calls, status, "%s: folded --calls exit status", what);
	if (!have_python) {
		tap_skip("no python3: JSON not checked");
	} else {
		ok(o->sum.ok, "%s: JSON is strict JSON and spans nest in every thread", what);
		is_int(summary_lines(&o->sum, "span "), n, "%s: %d distinct span names", what, n);
	}
	for (int i = 0; i < n; i++) {
		uint64_t c = 0, self = 0, incl = 0, fc = 0, fs = 0, fi = 0;

		if (have_python) {
			if (!span_of(&o->sum, want[i].json, &c, &self, &incl)) {
				printf("#   no span named %s in the JSON\n", want[i].json);
				names_ok = 0;
				continue;
			}
			if (c != want[i].count) {
				printf("#   %s: %" PRIu64 " spans, want %" PRIu64 "\n",
				       want[i].json, c, want[i].count);
				counts_ok = 0;
			}
		} else {
			c = want[i].count;
		}
		if (!flat_row(o->flat, want[i].text, &fc, &fs, &fi) || fc != want[i].count ||
		    (have_python && (fs != self || fi != incl))) {
			printf("#   report --flat %s: calls %" PRIu64 " self %" PRIu64
			       " incl %" PRIu64 "; JSON %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
			       want[i].text, fc, fs, fi, c, self, incl);
			flat_ok = 0;
		}
		if (folded_sum(o->calls, want[i].text) != want[i].count) {
			printf("#   folded --calls %s: %" PRIu64 "\n", want[i].text,
			       folded_sum(o->calls, want[i].text));
			folded_ok = 0;
		}
		if (have_python && folded_sum(o->folded, want[i].text) != self) {
			printf("#   folded %s: self %" PRIu64 ", JSON %" PRIu64 "\n", want[i].text,
			       folded_sum(o->folded, want[i].text), self);
			self_ok = 0;
		}
		if (tree_calls(o->report, want[i].text) != want[i].count) {
			printf("#   report tree %s: %" PRIu64 " calls\n", want[i].text,
			       tree_calls(o->report, want[i].text));
			counts_ok = 0;
		}
	}
	ok(names_ok, "%s: every span named as in the program", what);
	ok(counts_ok, "%s: span counts exact in the JSON and the call trees", what);
	ok(flat_ok, "%s: report --flat calls, self and incl equal the JSON's", what);
	ok(folded_ok, "%s: folded --calls adds up to the calls", what);
	ok(self_ok, "%s: folded self times equal the JSON's", what);
}

/* Copy a file, executable; 0 or -1. */
static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY), out;
	ssize_t n;

	unlink(to);
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (in < 0 || out < 0) {
		if (in >= 0)
			close(in);
		if (out >= 0)
			close(out);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			n = -1;
	close(in);
	return close(out) == 0 && n == 0 ? 0 : -1;
}

static void test_fib(void)
{
	static const struct want want[] = {
		{ "\"fib_top\"", "fib_top", 1 },
		{ "\"fib\"", "fib", 1664079 },
	};
	const char *argv[] = { prog, "fib", "29", NULL };
	char trace[4200];
	const char *traces[1] = { trace };
	struct outputs o;

	is_int(trace_run("fib", argv, trace, sizeof(trace)), 0, "fib(29): program runs");
	convert_cli("fib", traces, 1, &o);
	check_outputs("fib(29)", &o, want, 2, 0);
	is_str(o.err_chrome, "", "fib(29): nothing to repair, nothing said");
	is_int(folded_sum(o.calls, "fib"), 1664079, "fib(29): folded --calls: 1,664,079 calls");

	/* the call tree: --depth and --threshold */
	{
		char out[4200];
		const char *a1[] = { tscope, "report", "--depth", "3", trace, NULL };
		const char *a3[] = { tscope, "report", "--thread", "1", trace, NULL };
		char *text;

		path_of(out, sizeof(out), "fib.depth");
		is_int(run(a1, NULL, out, NULL), 0, "fib: report --depth 3 runs");
		text = slurp(out);
		/* process, blank, thread, header, then fib_top, fib, fib: one node per level */
		is_int(count_lines(text), 7, "fib: --depth 3 shows three levels");
		free(text);
		path_of(out, sizeof(out), "fib.thread");
		is_int(run(a3, NULL, NULL, out), 1, "fib: --thread with an unknown tid fails");
		text = slurp(out);
		is_str(text, "tscope: no thread 1 in the trace\n", "fib: ... and says so");
		free(text);
	}
	outputs_free(&o);
}

static void test_lib(void)
{
	static const struct want want[] = {
		{ "\"lib_top\"", "lib_top", 1 },	  { "\"shlib_outer\"", "shlib_outer", 10 },
		{ "\"shlib_inner\"", "shlib_inner", 30 }, { "\"dlmod_entry\"", "dlmod_entry", 5 },
		{ "\"dlmod_leaf\"", "dlmod_leaf", 20 },
	};
	const char *argv[] = { prog, "lib", dlmod, NULL };
	char trace[4200];
	const char *traces[1] = { trace };
	struct outputs o;

	is_int(trace_run("lib", argv, trace, sizeof(trace)), 0, "libraries: program runs");
	convert_cli("lib", traces, 1, &o);
	check_outputs("shared and dlopen'd libraries", &o, want, 5, 0);
	ok(strstr(o.folded, "lib_top;dlmod_entry;dlmod_leaf ") != NULL,
	   "libraries: the dlopen'd module's stack");
	outputs_free(&o);
}

/* A library unloaded, another mapped at its addresses, the first again: every call
 * keeps its own library's name. */
static void test_reload(void)
{
	static const struct want want[] = {
		{ "\"reload_top\"", "reload_top", 1 },	 { "\"dlmod_entry\"", "dlmod_entry", 6 },
		{ "\"dlmod_leaf\"", "dlmod_leaf", 24 },	 { "\"dlmod2_entry\"", "dlmod2_entry", 2 },
		{ "\"dlmod2_leaf\"", "dlmod2_leaf", 6 },
	};
	const char *argv[] = { prog, "reload", dlmod, dlmod2, NULL };
	char trace[4200], out[4200];
	const char *traces[1] = { trace };
	const char *dump[] = { tscope, "dump", trace, NULL };
	char late[4200], *text;
	const char *lates[1] = { late }, *at;
	struct outputs o;
	long off;
	FILE *f;

	path_of(out, sizeof(out), "reload.out");
	is_int(trace_run_out("reload", argv, trace, sizeof(trace), out), 0, "reload: program runs");
	text = slurp(out);
	is_str(text, "same 1\n", "reload: the loader put the three libraries at one address");
	free(text);
	convert_cli("reload", traces, 1, &o);
	check_outputs("reload", &o, want, 5, 0);
	ok(strstr(o.folded, "reload_top;dlmod2_entry;dlmod2_leaf ") != NULL,
	   "reload: the second library's stack");
	is_str(o.err_chrome, "", "reload: nothing to repair or warn about");
	outputs_free(&o);
	path_of(out, sizeof(out), "reload.dump");
	is_int(run(dump, NULL, out, NULL), 0, "reload: dump runs");
	text = slurp(out);
	is_int(count_matches(text, " exact"), 2, "reload: two UNLOAD chunks timed by dlclose()");
	/* The same trace as if the first unload had been noticed late (by a scan): the
	 * first library's calls cannot be told from the second's then, and show as
	 * addresses; the others keep their names. */
	at = strstr(text, " UNLOAD ");
	while (at && at > text && at[-1] != '@')
		at--;
	off = at ? strtol(at, NULL, 10) : -1;
	free(text);
	path_of(late, sizeof(late), "reload-late.trace");
	f = off > 0 && copy_file(trace, late) == 0 ? fopen(late, "r+b") : NULL;
	/* the flags of struct tsf_unload, after the chunk header and three u64 */
	ok(f && fseek(f, off + 16 + 24, SEEK_SET) == 0 && fputc(0, f) == 0 && fclose(f) == 0,
	   "reload: a copy with the first unload untimed");
	convert_cli("reload-late", lates, 1, &o);
	ok(strstr(o.calls, "reload_top;dlmod2_entry;dlmod2_leaf 6\n") &&
	       strstr(o.calls, "reload_top;dlmod_entry;dlmod_leaf 4\n") &&
	       strstr(o.calls, "reload_top;libprog-dlmod.so+0x") &&
	       count_matches(o.calls, "dlmod_leaf") == 1,
	   "reload, first unload untimed: its calls show as addresses, the others named");
	is_int(count_lines(o.err_chrome), 1, "reload, first unload untimed: one warning");
	ok(strstr(o.err_chrome, "libprog-dlmod.so: warning: another object was mapped at its "
				"addresses at a time not recorded") != NULL,
	   "reload, first unload untimed: the warning names the library");
	outputs_free(&o);
}

/* 1000 loads of two libraries in turn at one address: every call named, exactly. */
static void test_reloads(void)
{
	static const struct want want[] = {
		{ "\"reloads_top\"", "reloads_top", 1 },
		{ "\"dlmod_entry\"", "dlmod_entry", 500 },
		{ "\"dlmod_leaf\"", "dlmod_leaf", 1500 },
		{ "\"dlmod2_entry\"", "dlmod2_entry", 500 },
		{ "\"dlmod2_leaf\"", "dlmod2_leaf", 1500 },
	};
	const char *argv[] = { prog, "reloads", "1000", dlmod, dlmod2, NULL };
	char trace[4200];
	const char *traces[1] = { trace };
	struct outputs o;

	is_int(trace_run("reloads", argv, trace, sizeof(trace)), 0, "1000 reloads: program runs");
	convert_cli("reloads", traces, 1, &o);
	check_outputs("1000 reloads", &o, want, 5, 0);
	is_str(o.err_chrome, "", "1000 reloads: nothing to repair or warn about");
	outputs_free(&o);
}

static void test_longjmp(void)
{
	static const struct want want[] = {
		{ "\"jmp_top\"", "jmp_top", 1 },     { "\"jmp_a\"", "jmp_a", 5 },
		{ "\"jmp_b\"", "jmp_b", 5 },	     { "\"jmp_c\"", "jmp_c", 5 },
		{ "\"jmp_after\"", "jmp_after", 2 },
	};
	const char *argv[] = { prog, "longjmp", NULL };
	char trace[4200];
	const char *traces[1] = { trace };
	struct outputs o;

	is_int(trace_run("longjmp", argv, trace, sizeof(trace)), 0, "longjmp: program runs");
	convert_cli("longjmp", traces, 1, &o);
	check_outputs("longjmp", &o, want, 5, 0);
	ok(strstr(o.err_chrome, "trace: repaired 15 unbalanced calls (15 left by longjmp") != NULL,
	   "longjmp: the 15 calls left by longjmp are repaired, and stderr says so");
	is_int(count_lines(o.err_chrome), 1, "longjmp: in one line");
	outputs_free(&o);
}

static void test_threads(void)
{
	static const struct want want[] = {
		{ "\"main_work\"", "main_work", 1 },
		{ "\"work\"", "work", 4 },
		{ "\"leaf\"", "leaf", 7 + 1000 + 2000 + 3000 + 4000 },
	};
	const char *argv[] = { prog, "threads", NULL };
	char trace[4200];
	const char *traces[1] = { trace };
	struct outputs o;
	int named = 0, sized = 0;

	is_int(trace_run("threads", argv, trace, sizeof(trace)), 0, "threads: program runs");
	convert_cli("threads", traces, 1, &o);
	check_outputs("4 threads", &o, want, 3, 0);
	if (!have_python) {
		tap_skip("no python3");
		tap_skip("no python3");
	} else {
		/* each worker-K has work + 1000 (K + 1) leaf spans */
		const char *p = o.sum.text, *line;

		while (next_line(&p, &line) >= 0) {
			unsigned pid, tid, k;
			unsigned long long n;
			const char *q;
			char key[64];

			if (sscanf(line, "thread %u %u \"worker-%u\"", &pid, &tid, &k) != 3)
				continue;
			named++;
			snprintf(key, sizeof(key), "threadspans %u %u ", pid, tid);
			q = strstr(o.sum.text, key);
			if (q && sscanf(q + strlen(key), "%llu", &n) == 1 &&
			    n == 1 + 1000 * (k + 1))
				sized++;
		}
		is_int(named, 4, "threads: 4 threads named worker-0..3 in the JSON");
		is_int(sized, 4, "threads: each worker's spans are its own");
	}
	is_int(summary_lines(&o.sum, "thread ") - 1, have_python ? 4 : -1,
	       "threads: and the main thread");
	outputs_free(&o);
}

static void test_exit_deep(void)
{
	static const struct want want[] = {
		{ "\"leaf\"", "leaf", 5 },
		{ "\"deep\"", "deep", 11 },
	};
	const char *argv[] = { prog, "exit-deep", NULL };
	char trace[4200];
	const char *traces[1] = { trace };
	struct outputs o;

	is_int(trace_run("exit-deep", argv, trace, sizeof(trace)), 0, "exit-deep: program runs");
	convert_cli("exit-deep", traces, 1, &o);
	check_outputs("exit() deep in the stack", &o, want, 2, 0);
	ok(strstr(o.err_chrome, "repaired 11 unbalanced calls (11 still open at the end") != NULL,
	   "exit-deep: the 11 open calls are closed, and stderr says so");
	outputs_free(&o);
}

static void test_names(void)
{
	static const struct want want[] = {
		{ "\"names_fn\"", "names_fn", 1 },
		{ "\"quote\\\"back\\\\slash\"", "quote\"back\\slash", 1 },
		{ "\"ctl\\u0001\\ttab\\nnl\"", "ctl\\x01\\x09tab\\x0anl", 1 },
		{ "\"bad\\ufffd\\ufffdutf8\"", "bad\xff\xfeutf8", 1 },
		{ "\"semi;colon\"", "semi;colon", 1 },
		{ "\"\\u00e9\\u20ac\\ud83d\\ude00\"", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 1 },
	};
	const char *argv[] = { prog, "names", NULL };
	char trace[4200];
	const char *traces[1] = { trace };
	struct outputs o;

	is_int(trace_run("names", argv, trace, sizeof(trace)), 0, "names: program runs");
	convert_cli("names", traces, 1, &o);
	/* report escapes control characters; folded writes ';' as ':' and them as '?' */
	{
		int n = 0;

		is_int(o.st_chrome, 0, "names: chrome exit status");
		if (have_python) {
			ok(o.sum.ok, "names: JSON is strict JSON, every name escaped");
			for (size_t i = 0; i < TS_ARRAY_SIZE(want); i++) {
				uint64_t c = 0, s, in;

				n += span_of(&o.sum, want[i].json, &c, &s, &in) && c == 1;
			}
			is_int(n, 6, "names: every name comes back from the JSON intact");
			ok(strstr(o.sum.text, "instant 1 \"inst\\\"ant\"\n") != NULL,
			   "names: the instant");
			ok(strstr(o.sum.text, "counter 2 42 \"cnt\\\\\"\n") != NULL,
			   "names: the counter's two samples");
		} else {
			tap_skip("no python3");
		}
		n = 0;
		for (size_t i = 0; i < 3; i++) {
			uint64_t c = 0, s, in;

			n += flat_row(o.flat, want[i].text, &c, &s, &in) && c == 1;
		}
		is_int(n, 3, "names: report shows names, control characters escaped");
		ok(strstr(o.calls, "names_fn;quote\"back\\slash;semi:colon 1\n") != NULL,
		   "names: folded writes ';' in a name as ':'");
		ok(strstr(o.calls, "names_fn;quote\"back\\slash;ctl??tab?nl 1\n") != NULL,
		   "names: folded writes control characters as '?'");
	}
	outputs_free(&o);
}

static void test_cxx(void)
{
	static const struct want want[] = {
		{ "\"geo::run()\"", "geo::run()", 1 },
		{ "\"geo::Box<int>::area() const\"", "geo::Box<int>::area() const", 3 },
		{ "\"geo::Box<double>::area() const\"", "geo::Box<double>::area() const", 2 },
		{ "\"geo::Box<int>::operator+(geo::Box<int> const&) const\"",
		  "geo::Box<int>::operator+(geo::Box<int> const&) const", 1 },
		{ "\"geo::thrower(int)\"", "geo::thrower(int)", 12 },
		{ "\"geo::catcher()\"", "geo::catcher()", 3 },
		{ "\"geo::(anonymous namespace)::hidden(int)\"",
		  "geo::(anonymous namespace)::hidden(int)", 2 },
	};
	const char *argv[] = { cxx, NULL };
	char trace[4200];
	const char *traces[1] = { trace };
	struct outputs o;

	is_int(trace_run("cxx", argv, trace, sizeof(trace)), 0, "C++: program runs");
	convert_cli("cxx", traces, 1, &o);
	check_outputs("C++ (demangled, exceptions)", &o, want, 7, 0);
	ok(strstr(o.folded, "geo::run();geo::catcher();geo::thrower(int);geo::thrower(int);"
			    "geo::thrower(int);geo::thrower(int) ") != NULL,
	   "C++: the exception's frames nest under catcher()");
	outputs_free(&o);
}

/* A process and the child it forked: two files, one timeline, their real pids. */
static void test_fork(void)
{
	char calls[4200], trace[4200], child[4300], out[4200], *text;
	const char *argv[] = { calls, "fork", NULL };
	const char *traces[2] = { trace, child };
	struct outputs o;
	pid_t kid = 0;
	const char *p;

	snprintf(calls, sizeof(calls), "%s/tests/prog-calls", top);
	{
		char env_out[4300];
		const char *env[] = { env_out, NULL };

		path_of(trace, sizeof(trace), "fork.trace");
		snprintf(env_out, sizeof(env_out), "TSCOPE_OUTPUT=%s", trace);
		path_of(out, sizeof(out), "fork.out");
		is_int(run(argv, env, out, NULL), 0, "fork: program runs");
	}
	text = slurp(out);
	p = strstr(text, "val child ");
	if (p)
		kid = (pid_t)atoi(p + 10);
	free(text);
	snprintf(child, sizeof(child), "%s.%d", trace, (int)kid);
	convert_cli("fork", traces, 2, &o);
	is_int(o.st_chrome, 0, "fork: two files convert");
	if (have_python) {
		char key[64];

		ok(o.sum.ok, "fork: JSON is valid, spans nest");
		is_int(summary_lines(&o.sum, "process "), 2, "fork: two processes");
		snprintf(key, sizeof(key), "process %d \"prog-calls\"", (int)kid);
		ok(strstr(o.sum.text, key) != NULL, "fork: the child with its real pid");
		ok(strstr(o.sum.text, "span 35 ") != NULL, "fork: 15 + 20 calls of leaf");
	} else {
		tap_skip("no python3");
	}
	is_int(folded_sum(o.calls, "leaf"), 35, "fork: folded adds both processes up");
	ok(strstr(o.report, "\nprocess ") != NULL && strstr(o.report, "process ") == o.report,
	   "fork: report shows both processes");
	outputs_free(&o);
	unlink(child);
}

/*
 * The traced binary (copy, now gone) found again from a kept copy: --binary OLD=PATH
 * by path and by file name, --symfs DIR; a kept copy of another build is refused; the
 * file+offset of a function is what addr2line takes.
 */
static void binary_kept(const char *copy, const char *trace, const char *out, const char *err)
{
	char map[8400], sdir[4200], kept[4300], *text, *warn;
	const char *base = strrchr(copy, '/') + 1;
	const char *by_path[] = { tscope, "folded", "--binary", map, trace, NULL };
	const char *by_dir[] = { tscope, "folded", "--symfs", sdir, trace, NULL };
	int named;

	snprintf(map, sizeof(map), "%s=%s", copy, prog);
	is_int(run(by_path, NULL, out, err), 0, "kept binary: --binary OLD=PATH runs");
	text = slurp(out);
	warn = slurp(err);
	named = strstr(text, ";fib;fib") != NULL && !strstr(text, "+0x");
	ok(named && !*warn, "kept binary: --binary by path names every function, no warning");
	if (!named || *warn)
		printf("# %s: %.200s / %s\n", map, text, warn);
	free(text);
	free(warn);

	snprintf(map, sizeof(map), "%s=%s", base, cxx);
	run(by_path, NULL, out, err);
	text = slurp(out);
	warn = slurp(err);
	ok(strncmp(text, "prog-copy+0x", 12) == 0 && strstr(text, "fib") == NULL &&
	       strstr(warn, "build id differs from the recorded one"),
	   "kept binary: --binary by name to another build: refused, said, no wrong name");
	free(text);
	free(warn);

	path_of(sdir, sizeof(sdir), "symfs");
	snprintf(kept, sizeof(kept), "%s/%s", sdir, base);
	mkdir(sdir, 0755);
	ok(copy_file(prog, kept) == 0, "kept binary: a copy under a --symfs directory");
	is_int(run(by_dir, NULL, out, err), 0, "kept binary: --symfs runs");
	text = slurp(out);
	warn = slurp(err);
	ok(strstr(text, ";fib;fib") && !strstr(text, "+0x") && !*warn,
	   "kept binary: --symfs DIR finds DIR/NAME: every function named");
	free(text);
	free(warn);
	unlink(kept);
	rmdir(sdir);
}

/* The traced binary replaced or removed before conversion: addresses, a warning. */
static void test_binary_gone(void)
{
	char copy[4200], trace[4200], out[4200], err[4200], *text, *warn;
	const char *argv[] = { copy, "fib", "10", NULL };
	const char *fo[] = { tscope, "folded", trace, NULL };

	path_of(copy, sizeof(copy), "prog-copy");
	path_of(out, sizeof(out), "gone.out");
	path_of(err, sizeof(err), "gone.err");
	if (copy_file(prog, copy) < 0) {
		tap_skip("cannot copy the test program");
		return;
	}
	is_int(trace_run("gone", argv, trace, sizeof(trace)), 0, "changed binary: program runs");

	/* another program in its place: another build id */
	ok(copy_file(cxx, copy) == 0, "changed binary: replaced");
	is_int(run(fo, NULL, out, err), 0, "changed binary: folded exit 0 (a warning)");
	text = slurp(out);
	warn = slurp(err);
	ok(strstr(text, "fib") == NULL && strstr(text, "geo::") == NULL &&
	       strncmp(text, "prog-copy+0x", 12) == 0 && strstr(text, ";prog-copy+0x"),
	   "changed binary: file+offset instead of names, never wrong names");
	ok(strstr(warn, "prog-copy: warning: build id differs from the recorded one; its "
			"functions are shown as addresses\n") != NULL,
	   "changed binary: a warning names the file");
	free(text);
	free(warn);

	/* gone */
	unlink(copy);
	is_int(run(fo, NULL, out, err), 0, "missing binary: folded exit 0 (a warning)");
	text = slurp(out);
	warn = slurp(err);
	ok(strncmp(text, "prog-copy+0x", 12) == 0 && strstr(text, "fib") == NULL,
	   "missing binary: file+offset instead of names");
	ok(strstr(warn, "prog-copy: warning: cannot read: No such file or directory; its") != NULL,
	   "missing binary: a warning names the file");
	is_int(count_lines(warn), 1, "missing binary: one warning for the file");
	free(text);
	free(warn);
	binary_kept(copy, trace, out, err);
}

static const struct test_case cases[] = {
	{ "fib", test_fib, 600 },
	{ "lib", test_lib, 0 },
	{ "reload", test_reload, 0 },
	{ "reloads", test_reloads, 0 },
	{ "longjmp", test_longjmp, 0 },
	{ "threads", test_threads, 0 },
	{ "exit-deep", test_exit_deep, 0 },
	{ "names", test_names, 0 },
	{ "cxx", test_cxx, 0 },
	{ "fork", test_fork, 0 },
	{ "binary-gone", test_binary_gone, 0 },
	{ NULL, NULL, 0 },
};

int main(int argc, char **argv)
{
	convert_setup("progs");
	return run_tests(argc, argv, cases);
}
