/* SPDX-License-Identifier: MIT */
/*
 * export-folded.c - folded stacks, the input of flamegraph.pl, speedscope, inferno and
 * friends: one line per distinct stack, its frames from the outermost, joined by ';',
 * then a space and a value (self time in ns, or calls):
 *
 *	main;parse;lex 12345
 *
 * Each thread's call tree is merged, by frame name, into one tree for the whole
 * output, so equal stacks of several threads and processes add up (unless --pid or
 * --tid put the process and thread first in each stack).  Lines come out depth first
 * with siblings in bytewise name order: sorted frame by frame, byte-stable for tests.
 * A frame name cannot hold ';' or a line break: ';' becomes ':' and control
 * characters '?', so that every line parses back into the same frames.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tscope.h"
#include "export.h"
#include "report.h"

struct folded {
	FILE *out;
	struct folded_opts o;
	struct names *names;
	struct calltree thread; /* the thread being read, by key */
	struct calltree merged; /* everything, by name id */
	uint32_t *map;		/* thread node -> merged node */
	size_t map_cap;
	uint64_t threads;
	int err;
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
	*fp = f;
	return 0;
}

uint64_t folded_threads(const struct folded *f)
{
	return f->threads;
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

/* Merge the thread just read into the merged tree, under root. */
static void merge(struct folded *f, struct spans *sp, uint32_t root)
{
	struct calltree *t = &f->thread;

	if (t->n > f->map_cap) {
		uint32_t *m = realloc(f->map, t->n * sizeof(*m));

		if (!m) {
			f->err = TSCOPE_ENOMEM;
			return;
		}
		f->map = m;
		f->map_cap = t->n;
	}
	/* a node comes after its parent: one pass in index order */
	f->map[0] = root;
	for (size_t i = 1; i < t->n; i++) {
		const struct calltree_node *nd = &t->nodes[i];
		uint32_t m =
		    calltree_child(&f->merged, f->map[nd->parent], spans_name(sp, nd->key));
		struct calltree_node *mn = &f->merged.nodes[m];

		f->map[i] = m;
		mn->calls += nd->calls;
		mn->self += nd->self;
	}
	if (f->merged.err)
		f->err = f->merged.err;
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
		merge(f, sp, root);
		f->threads++;
		if (f->err)
			return f->err;
	}
	return rc;
}

/* ---- output ----------------------------------------------------------------------------- */

struct child {
	const char *name;
	size_t len;
	uint32_t idx;
	uint32_t depth;
};

static int child_cmp(const void *pa, const void *pb)
{
	const struct child *a = pa, *b = pb;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->name, b->name, n);

	if (c)
		return c;
	return a->len < b->len ? -1 : a->len > b->len;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t c = *cap ? *cap : 64;
	void *q;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	q = realloc(*p, c * elem);
	if (!q)
		return TSCOPE_ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

/* Append a frame name to the path, made safe for the format. */
static void append_frame(char *dst, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		dst[i] = c == ';' ? ':' : (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
}

static int print(struct folded *f)
{
	const struct calltree *t = &f->merged;
	struct child *stack = NULL, *kids = NULL;
	size_t sp = 0, stack_cap = 0, kids_cap = 0, path_cap = 0, plen_cap = 0;
	size_t *plen = NULL; /* path length up to each depth */
	char *path = NULL;
	uint32_t parent = 0, depth = 0;
	int rc = 0;

	for (;;) {
		size_t nk = 0;

		/* push the children of parent, sorted, reversed: the first is popped first */
		for (uint32_t c = t->nodes[parent].child; c; c = t->nodes[c].next) {
			if (grow((void **)&kids, &kids_cap, nk + 1, sizeof(*kids)) < 0)
				goto nomem;
			kids[nk].name =
			    names_str(f->names, (uint32_t)t->nodes[c].key, &kids[nk].len);
			kids[nk].idx = c;
			kids[nk].depth = depth;
			nk++;
		}
		if (nk > 1)
			qsort(kids, nk, sizeof(*kids), child_cmp);
		if (grow((void **)&stack, &stack_cap, sp + nk, sizeof(*stack)) < 0)
			goto nomem;
		while (nk)
			stack[sp++] = kids[--nk];
		if (!sp)
			break;

		/* the next node: extend the path to it, print its line */
		{
			struct child it = stack[--sp];
			const struct calltree_node *nd = &t->nodes[it.idx];
			size_t at = it.depth ? plen[it.depth - 1] : 0;
			uint64_t value = f->o.calls ? nd->calls : nd->self;

			if (grow((void **)&path, &path_cap, at + it.len + 2, 1) < 0 ||
			    grow((void **)&plen, &plen_cap, (size_t)it.depth + 1, sizeof(*plen)) <
				0)
				goto nomem;
			if (it.depth)
				path[at++] = ';';
			append_frame(path + at, it.name, it.len);
			plen[it.depth] = at + it.len;
			if (value) {
				fwrite(path, 1, plen[it.depth], f->out);
				fprintf(f->out, " %" PRIu64 "\n", value);
			}
			parent = it.idx;
			depth = it.depth + 1;
		}
	}
	goto out;
nomem:
	rc = TSCOPE_ENOMEM;
out:
	free(stack);
	free(kids);
	free(path);
	free(plen);
	return rc;
}

int folded_finish(struct folded *f)
{
	int rc = f->err;

	if (!rc)
		rc = print(f);
	calltree_fini(&f->thread);
	calltree_fini(&f->merged);
	free(f->map);
	free(f);
	return rc;
}
