/* SPDX-License-Identifier: MIT */
/*
 * symbolizer-file.c - a module's file for the symbolizer (see symtab.h): where to look
 * for it (a binary map entry, the symfs directories, then the recorded path), opening
 * it, and checking it against the build id the runtime recorded.
 *
 * A copy whose build id differs from a recorded one is never used, so names are never
 * wrong; a file that cannot be used is reported once through the warning callback
 * (never printed) and then simply has no names.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "symbolizer-int.h"
#include "symtab.h"
#include "tscope.h"

void symbolizer_set_warn(struct symbolizer *s,
			 void (*warn)(void *ctx, const char *path, const char *what), void *ctx)
{
	if (!s)
		return;
	s->warn = warn;
	s->warn_ctx = ctx;
}

static void warn(const struct symbolizer *s, const char *path, const char *what)
{
	if (s->warn)
		s->warn(s->warn_ctx, path, what);
}

void symbolizer_set_paths(struct symbolizer *s, const struct sym_paths *p)
{
	if (s)
		s->paths = p;
}

/* Does the file at path open, with f's recorded build id if it has one?  0 and *st,
 * or -1. */
static int try_copy(const struct sym_file *f, const char *path, struct symtab **st)
{
	const uint8_t *id;
	size_t len;

	if (symtab_open(path, st) != 0)
		return -1;
	id = symtab_build_id(*st, &len);
	if (f->build_id_len && (len != f->build_id_len || memcmp(id, f->build_id, len) != 0)) {
		symtab_close(*st);
		*st = NULL;
		return -1;
	}
	return 0;
}

/*
 * Look for f where s->paths says (see symtab.h), before its recorded path.  Returns
 * the path tried last: a mapped binary's (it alone counts), else f's own.
 */
static const char *find_copy(struct symbolizer *s, struct sym_file *f)
{
	const struct sym_paths *p = s->paths;
	const char *base = strrchr(f->path, '/');
	char buf[4096];

	base = base ? base + 1 : f->path;
	if (!p)
		return f->path;
	for (size_t i = 0; i < p->nbin; i++) {
		const char *old = p->bin_old[i];

		if (strcmp(old, f->path) == 0 || (!strchr(old, '/') && strcmp(old, base) == 0))
			return p->bin_new[i];
	}
	for (size_t i = 0; i < p->nsymfs; i++) {
		const char *dir = p->symfs[i];
		int n;

		if (f->build_id_len >= 2) {
			n = snprintf(buf, sizeof(buf), "%s/.build-id/%02x/", dir, f->build_id[0]);
			for (size_t k = 1; k < f->build_id_len && n > 0 && (size_t)n < sizeof(buf);
			     k++)
				n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%02x",
					      f->build_id[k]);
			if (n > 0 && (size_t)n < sizeof(buf) - 6) {
				strcpy(buf + n, ".debug");
				if (try_copy(f, buf, &f->st) == 0)
					return NULL;
			}
		}
		n = snprintf(buf, sizeof(buf), "%s/%s", dir, f->path);
		if (n > 0 && (size_t)n < sizeof(buf) && try_copy(f, buf, &f->st) == 0)
			return NULL;
		n = snprintf(buf, sizeof(buf), "%s/%s", dir, base);
		if (n > 0 && (size_t)n < sizeof(buf) && try_copy(f, buf, &f->st) == 0)
			return NULL;
	}
	return f->path;
}

struct symtab *symbolizer_file_symtab(struct symbolizer *s, size_t i)
{
	struct sym_file *f = &s->files[i];
	const char *path;
	const uint8_t *id;
	char msg[128];
	size_t len;
	int rc;

	if (f->state != FILE_NEW)
		return f->st;
	f->state = FILE_BAD;
	path = find_copy(s, f);
	if (!path) {
		f->state = FILE_OPEN;
		return f->st;
	}
	rc = symtab_open(path, &f->st);
	if (rc == TSCOPE_EIO) {
		snprintf(msg, sizeof(msg), "cannot read: %s", strerror(errno));
		warn(s, path, msg);
		return NULL;
	}
	if (rc != 0) {
		warn(s, path,
		     rc == TSCOPE_ENOMEM ? "out of memory"
					 : "not a usable ELF64 little-endian file");
		return NULL;
	}
	id = symtab_build_id(f->st, &len);
	if (f->build_id_len > 0 && (len != f->build_id_len || memcmp(id, f->build_id, len) != 0)) {
		warn(s, path,
		     len ? "build id differs from the recorded one" : "file has no build id");
		symtab_close(f->st);
		f->st = NULL;
		return NULL;
	}
	f->state = FILE_OPEN;
	return f->st;
}
