/* SPDX-License-Identifier: MIT */
/*
 * export-folded.c - folded stacks, the input of flamegraph.pl, speedscope, inferno and
 * friends: one line per distinct stack, its frames from the outermost, joined by ';',
 * then a space and a value (self time in ns, or calls):
 *
 *	main;parse;lex 12345
 *
 * Each thread's call tree is merged by frame name (calltree_merge()) into one tree
 * for the whole output, so equal stacks of several threads and processes add up
 * (unless --pid or --tid put the process and thread first in each stack).  Lines come
 * out depth first with siblings in bytewise name order: sorted frame by frame,
 * byte-stable for tests.  A frame name cannot hold ';' or a line break: ';' becomes
 * ':' and control characters '?', so that every line parses back into the same frames.
 *
 * Size: a stack has a line of its own for each depth it reaches, so a recursion N
 * deep would write N lines of up to N frames, N * N frames (a million-deep recursion
 * filled a disk).  Stacks deeper than max_frames (FOLDED_MAX_FRAMES) are therefore cut
 * in the middle as they are merged (see struct calltree_cut), and the cut ones add
 * up: the output is at most max_frames frames per line and per node of the call tree,
 * whatever the depth, and the sum of the values stays exact.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tscope.h"
#include "export.h"
#include "calltree.h"

struct folded {
	FILE *out;
	struct folded_opts o;
	struct names *names;
	struct calltree thread;	 /* the thread being read, by frame */
	struct calltree merged;	 /* everything, by name */
	struct calltree_cut cut; /* stacks too deep, in the last trace added */
	uint64_t threads;
	int err;

	/* printing: the line so far, and its length up to each depth */
	char *path;
	size_t path_cap;
	size_t *plen;
	size_t plen_cap;
};

int folded_open(struct folded **fp, FILE *out, const struct folded_opts *o, struct names *names)
{
	struct folded *f = calloc(1, sizeof(*f));

	*fp = NULL;
	if (!f || calltree_reset(&f->merged) < 0) {
		free(f);
		return TSCOPE_ENOMEM;
	}
	f->out = out;
	f->o = *o;
	f->names = names;
	f->cut.max = o->max_frames ? o->max_frames : FOLDED_MAX_FRAMES;
	if (f->cut.max == UINT_MAX)
		f->cut.max = 0; /* no limit */
	else if (f->cut.max < CALLTREE_CUT_MIN)
		f->cut.max = CALLTREE_CUT_MIN;
	if (f->cut.max &&
	    names_intern(names, FOLDED_CUT_FRAME, strlen(FOLDED_CUT_FRAME), &f->cut.marker) < 0) {
		calltree_fini(&f->merged);
		free(f);
		return TSCOPE_ENOMEM;
	}
	*fp = f;
	return 0;
}

uint64_t folded_threads(const struct folded *f)
{
	return f->threads;
}

uint64_t folded_cut(const struct folded *f, uint64_t *deepest)
{
	if (deepest)
		*deepest = f->cut.deepest;
	return f->cut.paths;
}

/* The merged node of a prefix frame "<name>-<id>" under parent. */
static uint32_t prefix_frame(struct folded *f, uint32_t parent, const char *name, uint32_t id)
{
	char buf[600];
	uint32_t nid;
	int n = snprintf(buf, sizeof(buf), "%.512s-%" PRIu32, name, id);

	if (names_intern(f->names, buf, (size_t)n, &nid) < 0) {
		f->err = TSCOPE_ENOMEM;
		return parent;
	}
	return calltree_child(&f->merged, parent, nid);
}

int folded_add(struct folded *f, struct spans *sp)
{
	struct reader *r = spans_reader(sp);
	const struct reader_info *in = reader_info(r);
	const char *exe = strrchr(in->exe, '/');
	int rc = 0;

	exe = exe ? exe + 1 : in->exe;
	if (!*exe)
		exe = "process";
	f->cut.paths = 0;
	f->cut.deepest = 0;
	for (size_t i = 0; i < reader_thread_count(r); i++) {
		const struct reader_thread *th = reader_thread(r, i);
		uint32_t root = 0;
		int e;

		if (f->o.has_tid && th->tid != f->o.tid_only)
			continue;
		if (calltree_reset(&f->thread) < 0)
			return TSCOPE_ENOMEM;
		e = spans_run(sp, i, &calltree_ops, &f->thread);
		if (e < 0 && !rc)
			rc = e;
		if (f->thread.err && !rc)
			rc = f->thread.err;
		if (f->o.pid)
			root = prefix_frame(f, root, exe, th->pid ? th->pid : in->pid);
		if (f->o.tid)
			root = prefix_frame(f, root, th->name ? th->name : exe, th->tid);
		if (calltree_merge(&f->merged, root, &f->thread, sp, &f->cut) < 0)
			f->err = TSCOPE_ENOMEM;
		f->threads++;
		if (f->err)
			return f->err;
	}
	return rc;
}

size_t folded_warning(const struct folded *f, char *buf, size_t size)
{
	uint64_t deepest, n = folded_cut(f, &deepest);
	unsigned inner = f->cut.max / 2;
	int len;

	if (!n)
		return 0;
	len = snprintf(buf, size,
		       "%" PRIu64 " stack%s deeper than %u frames (up to %" PRIu64
		       "): each keeps its outermost %u and innermost %u frames, joined by "
		       "a frame \"%s\"",
		       n, n == 1 ? " is" : "s are", f->cut.max, deepest, f->cut.max - 1 - inner,
		       inner, FOLDED_CUT_FRAME);
	return len < 0 ? 0 : (size_t)len < size ? (size_t)len : size - 1;
}

/* ---- output ----------------------------------------------------------------------------- */

/* Siblings by name, bytewise, then by key: a marker before a frame of the same name. */
static int by_name(void *ctx, uint32_t a, uint32_t b)
{
	const struct folded *f = ctx;
	const struct calltree_node *na = &f->merged.nodes[a], *nb = &f->merged.nodes[b];
	size_t la, lb;
	const char *sa = names_str(f->names, (uint32_t)na->key, &la);
	const char *sb = names_str(f->names, (uint32_t)nb->key, &lb);
	int c = memcmp(sa, sb, la < lb ? la : lb);

	if (c)
		return c;
	if (la != lb)
		return la < lb ? -1 : 1;
	return na->key < nb->key ? -1 : na->key > nb->key;
}

void folded_frame(char *dst, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		dst[i] = c == ';' ? ':' : (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
}

/* A node of the walk: extend the path to it, print its line if it has a value. */
static int print_node(void *ctx, uint32_t node, uint32_t depth)
{
	struct folded *f = ctx;
	const struct calltree_node *nd = &f->merged.nodes[node];
	size_t len, at = depth ? f->plen[depth - 1] : 0;
	const char *name = names_str(f->names, (uint32_t)nd->key, &len);
	uint64_t value = f->o.calls ? nd->calls : nd->self;

	if (ferror(f->out))
		return TSCOPE_EIO; /* stop: nothing more can be written */
	if (calltree_grow((void **)&f->path, &f->path_cap, at + len + 2, 1, 0) < 0 ||
	    calltree_grow((void **)&f->plen, &f->plen_cap, (size_t)depth + 1, sizeof(*f->plen), 0) <
		0)
		return TSCOPE_ENOMEM;
	if (depth)
		f->path[at++] = ';';
	folded_frame(f->path + at, name, len);
	f->plen[depth] = at + len;
	if (value) {
		fwrite(f->path, 1, f->plen[depth], f->out);
		fprintf(f->out, " %" PRIu64 "\n", value);
	}
	return 1;
}

const struct calltree *folded_tree(const struct folded *f)
{
	return &f->merged;
}

void folded_free(struct folded *f)
{
	if (!f)
		return;
	calltree_fini(&f->thread);
	calltree_fini(&f->merged);
	free(f->path);
	free(f->plen);
	free(f);
}

int folded_finish(struct folded *f)
{
	int rc = f->err;

	if (!rc)
		rc = calltree_walk(&f->merged, by_name, print_node, f);
	if (rc == TSCOPE_EIO)
		rc = 0; /* the caller sees ferror(out) */
	folded_free(f);
	return rc;
}

/* ---- as an exporter ---------------------------------------------------------------------- */

static int x_open(void **x, FILE *out, const void *opts, struct names *names)
{
	struct folded *f;
	int rc = folded_open(&f, out, opts, names);

	*x = f;
	return rc;
}

static int x_add(void *x, struct spans *sp)
{
	return folded_add(x, sp);
}

static int x_finish(void *x)
{
	return folded_finish(x);
}

static uint64_t x_threads(const void *x)
{
	return folded_threads(x);
}

static size_t x_warning(void *x, char *buf, size_t size)
{
	return folded_warning(x, buf, size);
}

const struct exporter folded_exporter = {
	.name = "folded",
	.open = x_open,
	.add = x_add,
	.finish = x_finish,
	.threads = x_threads,
	.warning = x_warning,
};
