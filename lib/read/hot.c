/* SPDX-License-Identifier: MIT */
/*
 * hot.c - the functions that cost less than their tracing (see hot.h): which they are,
 * how gcc's exclude list names them, and the quick look `tscope record` takes.
 *
 * What gcc 12 matches, checked by compiling with the option and looking for the calls
 * of __cyg_profile_func_enter that remain: each entry of the list is searched (strstr)
 * in the function's printable name.  For C that is the identifier.  For C++ it is the
 * qualified name with no return type and no parameters, and with the template
 * arguments in gcc's own spelling: default arguments left out and "const int*" for the
 * demangler's "int const*".  So "ns::K::get" excludes ns::K::get(int) const, and
 * "std::vector<int>::size" the size() of that vector, but "vector<int, std::allocator"
 * nothing.  The demangled name cannot give gcc's spelling of template arguments, so an
 * entry stops at them: ">::size" (a member of a class template), "ns::twice<" (every
 * instance of a function template).  A lambda or an unnamed type is printed
 * differently by gcc ("<lambda(int)>"): such a function is left out.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include "tscope.h"
#include "hot.h"
#include "reader.h"
#include "spans.h"

/* ---- the hot functions of a profile ---------------------------------------------------- */

static const struct names *sort_names;

static int fn_cmp(const void *pa, const void *pb)
{
	const struct hot_fn *a = pa, *b = pb;
	const char *sa, *sb;
	size_t la, lb;
	int c;

	if (a->calls != b->calls)
		return a->calls < b->calls ? 1 : -1;
	sa = names_str(sort_names, a->name, &la);
	sb = names_str(sort_names, b->name, &lb);
	c = memcmp(sa, sb, la < lb ? la : lb);
	if (c || la == lb)
		return c ? c : (a->name > b->name) - (a->name < b->name);
	return la < lb ? -1 : 1;
}

int hot_find(struct hot_set *h, const struct profile *p, const struct names *names,
	     uint64_t min_calls, uint64_t max_mean)
{
	size_t nnames = names_count(names);

	h->n = 0;
	h->calls = h->hot_calls = 0;
	for (size_t i = 0; i < nnames && i < p->rows_n; i++) {
		const struct profile_row *row = &p->rows[i];
		uint64_t mean;

		if (!row->calls || !profile_is_func(p, (uint32_t)i))
			continue;
		h->calls += row->calls;
		mean = profile_mean(p, (uint32_t)i);
		if (row->calls < min_calls || mean >= max_mean)
			continue;
		if (calltree_grow((void **)&h->fn, &h->cap, h->n + 1, sizeof(*h->fn), 0) < 0)
			return TSCOPE_ENOMEM;
		h->fn[h->n++] = (struct hot_fn){ (uint32_t)i, row->calls, mean };
		h->hot_calls += row->calls;
	}
	sort_names = names;
	if (h->n > 1)
		qsort(h->fn, h->n, sizeof(*h->fn), fn_cmp);
	return 0;
}

void hot_free(struct hot_set *h)
{
	free(h->fn);
	memset(h, 0, sizeof(*h));
}

/* ---- gcc's names ----------------------------------------------------------------------- */

/* What a name is made of, for gcc: the subject s[q0, q1) (the qualified name) and the
 * entry s[e0, e1), with '>' before it (gt) or '<' after it (lt). */
struct parsed {
	const char *why; /* NULL, or why gcc's list cannot name the function */
	size_t q0, q1, e0, e1;
	int gt, lt;
};

static int ident(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '$';
}

/* The end of the operator whose name starts at s[i], just after "operator"; 0 if
 * there is none: "()", "[]", "<<", ",", " new", " new[]", " bool" (a conversion). */
static size_t op_end(const char *s, size_t n, size_t i)
{
	static const char ops[] = "+-*/%^&|~!=<>,[]";
	size_t j = i;

	if (n - i >= 2 && s[i] == '(' && s[i + 1] == ')')
		return i + 2;
	if (i < n && s[i] == ' ') {
		for (j = i + 1; j < n && ident(s[j]); j++)
			;
		if (j == i + 1)
			return 0;
		if (n - j >= 2 && s[j] == '[' && s[j + 1] == ']')
			j += 2;
		return j;
	}
	while (j < n && s[j] && strchr(ops, s[j]))
		j++;
	return j > i ? j : 0;
}

/* A C name: an identifier, and maybe a clone suffix of gcc's (".constprop.0"). */
static void parse_c(const char *s, size_t n, struct parsed *p)
{
	size_t i = 0;

	while (i < n && ident(s[i]))
		i++;
	if (!i || (s[0] >= '0' && s[0] <= '9') || (i < n && s[i] != '.'))
		p->why = "no name: its binary could not be read";
	else if (n >= 2 && s[0] == '_' && s[1] == 'Z')
		p->why = "a C++ name that could not be demangled";
	p->q1 = p->e1 = i;
}

static void parse(const char *s, size_t n, struct parsed *p)
{
	const char *clone = memmem(s, n, " [clone ", 8);
	size_t start = 0, lt_start = 0, lt_end = 0, params = 0, sp = 0;
	int angle = 0, gt = 0, lt_gt = 0, has_sp = 0;

	memset(p, 0, sizeof(*p));
	if (clone)
		n = (size_t)(clone - s);
	if (!memchr(s, '(', n)) {
		parse_c(s, n, p);
		return;
	}
	for (size_t i = 0; i < n && !params; i++) {
		size_t e, depth;

		if (angle) { /* template arguments: skipped */
			if (s[i] == '<')
				angle++;
			else if (s[i] == '>' && !--angle) {
				start = i + 1;
				gt = 1;
			}
			continue;
		}
		switch (s[i]) {
		case '{':
			p->why = "a lambda or an unnamed type, which gcc names differently";
			return;
		case '<':
			angle = 1;
			lt_start = start;
			lt_end = i;
			lt_gt = gt;
			break;
		case ' ':
			sp = i;
			has_sp = 1;
			break;
		case '(':
			for (e = i, depth = 0; e < n; e++)
				if (s[e] == '(')
					depth++;
				else if (s[e] == ')' && !--depth)
					break;
			if (e == n)
				break;
			if (n - e > 2 && s[e + 1] == ':' && s[e + 2] == ':') {
				/* (anonymous namespace):: or a function's local scope */
				start = e + 1;
				gt = 0;
				i = e;
				break;
			}
			params = i;
			break;
		case 'o':
			if (n - i < 8 || memcmp(s + i, "operator", 8) != 0 ||
			    (i && ident(s[i - 1])) || (n - i > 8 && ident(s[i + 8])))
				break;
			e = op_end(s, n, i + 8);
			if (!e) {
				p->why = "an operator gcc names differently";
				return;
			}
			i = e - 1;
			break;
		}
	}
	if (!params) {
		p->why = "not a function name";
		return;
	}
	p->q0 = has_sp ? sp + 1 : 0;
	p->q1 = params;
	p->e0 = start;
	p->e1 = params;
	p->gt = gt;
	if (start == params && lt_end > lt_start) { /* ns::twice<int>(int) */
		p->e0 = lt_start;
		p->e1 = lt_end;
		p->gt = lt_gt;
		p->lt = 1;
	}
	if (has_sp && sp >= p->e0 && sp < p->e1) { /* a return type before the name */
		p->e0 = sp + 1;
		p->gt = 0;
	}
	if (p->e0 >= p->e1)
		p->why = "not a function name";
}

size_t hot_gcc_entry(const char *name, size_t len, char *out, size_t size, const char **why)
{
	struct parsed p;
	size_t k = 0, idents = 0;

	parse(name, len, &p);
	*why = p.why;
	if (p.why)
		return 0;
	if (size < 2 * (p.e1 - p.e0) + 3) {
		*why = "a name too long";
		return 0;
	}
	if (p.gt)
		out[k++] = '>';
	for (size_t i = p.e0; i < p.e1; i++) {
		if (name[i] == ',')
			out[k++] = '\\';
		else if (name[i] == ' ' && !(i > p.e0 && ident(name[i - 1])))
			continue; /* "operator new" keeps its space; no other survives */
		idents += ident(name[i]) != 0;
		out[k++] = name[i];
	}
	if (p.lt)
		out[k++] = '<';
	out[k] = 0;
	if (!idents) {
		*why = "not a function name";
		return 0;
	}
	return k;
}

size_t hot_gcc_subject(const char *name, size_t len, char *out, size_t size)
{
	struct parsed p;
	size_t k;

	parse(name, len, &p);
	k = p.q1 > p.q0 ? p.q1 - p.q0 : 0;
	if (!size)
		return 0;
	if (k >= size)
		k = size - 1;
	memcpy(out, name + p.q0, k);
	out[k] = 0;
	return k;
}

/* ---- the quick look after a recording -------------------------------------------------- */

struct budget {
	struct spans *sp;
	uint64_t max, read;
	int stopped;
};

static void spend(void *ctx, uint64_t n)
{
	struct budget *b = ctx;

	b->read += n;
	if (b->read >= b->max && !b->stopped) {
		spans_stop(b->sp);
		b->stopped = 1;
	}
}

int hot_scan(const char *path, uint64_t max_events, struct names *names, struct hot_set *h,
	     uint64_t *events, int *whole)
{
	struct reader *r = NULL;
	struct spans *sp = NULL;
	struct profile prof;
	struct budget b = { NULL, max_events, 0, 0 };
	int rc;

	*events = 0;
	*whole = 1;
	memset(&prof, 0, sizeof(prof));
	rc = reader_open(path, &r);
	if (rc < 0)
		return rc;
	rc = spans_open(&sp, r, names);
	if (rc < 0 || (rc = profile_reset(&prof)) < 0)
		goto out;
	b.sp = sp;
	spans_set_progress(sp, spend, &b);
	for (size_t i = 0; i < reader_thread_count(r) && !b.stopped; i++) {
		rc = profile_thread(&prof, sp, i);
		*events += spans_last_stats(sp)->events;
		if (rc == TSCOPE_ENOMEM)
			goto out;
	}
	*whole = !b.stopped;
	rc = profile_rows(&prof, names_count(names));
	if (!rc)
		rc = hot_find(h, &prof, names, HOT_MIN_CALLS, HOT_MAX_MEAN);
out:
	profile_fini(&prof);
	spans_close(sp);
	reader_close(r);
	return rc;
}
