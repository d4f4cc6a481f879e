/* SPDX-License-Identifier: MIT */
/*
 * flame.c - flame graphs as SVG (see flame.h): a call tree laid out as rectangles and
 * written as one self-contained document, with a short script of its own.
 *
 * Two walks over the tree in the same order (siblings by name): the first finds the
 * deepest level drawn, which sets the image's height (a flame graph has its root at
 * the bottom), and the largest change of a differential graph; the second writes the
 * frames.  A node's width is the sum of its own value and its subtree's, computed
 * once from the leaves up (a node's index is larger than its parent's).  A frame
 * narrower than min_width px is not drawn, nor anything below it: each level then
 * holds at most width / min_width frames, whatever the number of call paths.
 *
 * Names are untrusted bytes: see flame_xml().  Nothing here prints but the document.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tscope.h"
#include "flame.h"
#include "units.h"

#define PAD	  10   /* px left and right of the frames */
#define LEVEL_PX  16   /* px per level: a frame's rectangle and a 1 px gap */
#define TOP_PX	  56   /* px above the frames: title, subtitle, buttons */
#define BOTTOM_PX 34   /* px below them: the details line */
#define CHAR_PX	  7.08 /* the mean width of a character of the 12 px font (0.59 em) */
#define UNCHANGED 224  /* grey of a frame that did not change (differential) */

/* The script: zoom, search, details.  Its first line, written before it, gives PAD,
 * FULL (the root's width) and CHAR_PX; fit() must cut labels as label_chars() does. */
static const char script[] =
    "var frames = [], found = false;\n"
    "\n"
    "function byId(id) { return document.getElementById(id); }\n"
    "\n"
    "/* Remember each frame's place and name; listen to clicks, the mouse and keys. */\n"
    "function flameInit() {\n"
    "\tvar gs = document.querySelectorAll('#frames > g'), box = byId('frames');\n"
    "\tfor (var i = 0; i < gs.length; i++) {\n"
    "\t\tvar g = gs[i], r = g.querySelector('rect');\n"
    "\t\tg.frame = { g: g, r: r, t: g.querySelector('text'), fill: r.getAttribute('fill'),\n"
    "\t\t\tname: g.querySelector('title').textContent.split('\\n')[0],\n"
    "\t\t\tx: +r.getAttribute('x'), w: +r.getAttribute('width') };\n"
    "\t\tframes.push(g.frame);\n"
    "\t}\n"
    "\tbox.addEventListener('click', function (e) {\n"
    "\t\tvar g = e.target.closest('#frames > g');\n"
    "\t\tif (g) zoom(g.frame);\n"
    "\t});\n"
    "\tbox.addEventListener('mouseover', function (e) {\n"
    "\t\tvar g = e.target.closest('#frames > g');\n"
    "\t\tif (g) byId('details').textContent =\n"
    "\t\t\tg.querySelector('title').textContent.replace(/\\n/g, ', ');\n"
    "\t});\n"
    "\tbox.addEventListener('mouseout', function () { byId('details').textContent = ' '; });\n"
    "\tbyId('unzoom').addEventListener('click', unzoom);\n"
    "\tbyId('search').addEventListener('click', search);\n"
    "\tdocument.addEventListener('keydown', function (e) {\n"
    "\t\tif (e.key === 'Escape') unzoom();\n"
    "\t\tif ((e.ctrlKey || e.metaKey) && e.key === 'f') { e.preventDefault(); search(); }\n"
    "\t});\n"
    "}\n"
    "\n"
    "/* The label of a frame w px wide: as many characters as fit, '..' when cut. */\n"
    "function fit(name, w) {\n"
    "\tvar n = Math.floor((w - 6) / CHAR_PX);\n"
    "\tif (n < 3) return '';\n"
    "\treturn name.length <= n ? name : name.slice(0, n - 2) + '..';\n"
    "}\n"
    "\n"
    "function place(f, x, w) {\n"
    "\tf.r.setAttribute('x', x.toFixed(3));\n"
    "\tf.r.setAttribute('width', w.toFixed(3));\n"
    "\tf.t.setAttribute('x', (x + 3).toFixed(3));\n"
    "\tf.t.textContent = fit(f.name, w);\n"
    "}\n"
    "\n"
    "/* Widen frame z to the whole width: what lies under it scales with it, its callers\n"
    "   span the width (dimmed), the rest is hidden.  EPS absorbs the rounding of x. */\n"
    "function zoom(z) {\n"
    "\tvar lo = z.x, hi = z.x + z.w, k = FULL / z.w, EPS = 0.002;\n"
    "\tframes.forEach(function (f) {\n"
    "\t\tvar a = Math.max(f.x, lo), b = Math.min(f.x + f.w, hi), show = b - a > EPS;\n"
    "\t\tf.g.style.display = show ? '' : 'none';\n"
    "\t\tif (!show) return;\n"
    "\t\tf.g.classList.toggle('up', f.x < lo - EPS || f.x + f.w > hi + EPS);\n"
    "\t\tplace(f, PAD + (a - lo) * k, (b - a) * k);\n"
    "\t});\n"
    "\tbyId('unzoom').classList.add('on');\n"
    "}\n"
    "\n"
    "function unzoom() {\n"
    "\tframes.forEach(function (f) {\n"
    "\t\tf.g.style.display = '';\n"
    "\t\tf.g.classList.remove('up');\n"
    "\t\tplace(f, f.x, f.w);\n"
    "\t});\n"
    "\tbyId('unzoom').classList.remove('on');\n"
    "}\n"
    "\n"
    "/* Highlight the frames whose name matches; the share of the width they cover,\n"
    "   nested matches counted once.  A second click clears it. */\n"
    "function search() {\n"
    "\tvar s, re, hits = [], sum = 0, end = -1;\n"
    "\tif (found) {\n"
    "\t\tframes.forEach(function (f) { f.r.setAttribute('fill', f.fill); });\n"
    "\t\tbyId('matched').textContent = ' ';\n"
    "\t\tbyId('search').textContent = 'Search';\n"
    "\t\tfound = false;\n"
    "\t\treturn;\n"
    "\t}\n"
    "\ts = prompt('Search for (a regular expression)', '');\n"
    "\tif (!s) return;\n"
    "\ttry { re = new RegExp(s); } catch (e) { alert('Not a regular expression: ' + s); return; }\n"
    "\tframes.forEach(function (f) {\n"
    "\t\tif (!re.test(f.name)) return;\n"
    "\t\tf.r.setAttribute('fill', 'rgb(230,0,230)');\n"
    "\t\thits.push(f);\n"
    "\t});\n"
    "\thits.sort(function (a, b) { return a.x - b.x; });\n"
    "\thits.forEach(function (f) {\n"
    "\t\tif (f.x + f.w > end) {\n"
    "\t\t\tsum += f.x + f.w - Math.max(f.x, end);\n"
    "\t\t\tend = f.x + f.w;\n"
    "\t\t}\n"
    "\t});\n"
    "\tbyId('matched').textContent = 'Matched: ' + (100 * sum / FULL).toFixed(1) + '%';\n"
    "\tbyId('search').textContent = 'Reset Search';\n"
    "\tfound = true;\n"
    "}\n";

static const char style[] =
    "text { font-family: Verdana, 'DejaVu Sans', sans-serif; font-size: 12px; "
    "fill: rgb(0,0,0); }\n"
    "#title { font-size: 17px; text-anchor: middle; }\n"
    "#subtitle { text-anchor: middle; fill: rgb(100,100,100); }\n"
    "#search, #matched { text-anchor: end; }\n"
    "#search, #unzoom, #frames > g { cursor: pointer; }\n"
    "#unzoom { display: none; }\n"
    "#unzoom.on { display: inline; }\n"
    "#frames > g:hover > rect { stroke: rgb(0,0,0); stroke-width: 0.5; }\n"
    ".up { opacity: 0.5; }\n";

struct flame {
	FILE *out;
	const struct flame_opts *o;
	const struct flame_tree *ft;
	double *sum, *sum0; /* by node: its own value and its subtree's (after, before) */
	double scale;	    /* px per unit of value */
	double usable;	    /* px: the root's width */
	double max_change;  /* differential: the largest change of a drawn frame's own value */
	double *at;	    /* by walk depth: where the next frame goes, in units of value */
	size_t at_cap;
	unsigned width;	 /* px of the image */
	unsigned levels; /* levels drawn, the root's included */
	int draw;	 /* 0: the first walk (measure), 1: the second (write) */
};

/* ---- XML text ------------------------------------------------------------------------- */

/* The length of the valid UTF-8 character at s (n > 0 bytes), its code point in *cp;
 * 0 when s does not start one (a stray byte, an overlong form, a surrogate, too
 * large, cut short). */
static size_t utf8_char(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	uint32_t v, min;
	size_t len;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		v = c & 0x1fu;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		v = c & 0x0fu;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		v = c & 0x07u;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3fu);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

/* Can XML 1.0 hold the character cp? */
static int xml_char_ok(uint32_t cp)
{
	return cp >= 0x20 && cp != 0x7f && cp != 0xfffe && cp != 0xffff;
}

void flame_xml(FILE *out, const char *s, size_t n, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	for (size_t k = 0; i < n && k < max; k++) {
		uint32_t cp = 0;
		size_t len = utf8_char(p + i, n - i, &cp);

		if (!len || !xml_char_ok(cp)) {
			fputs("\xef\xbf\xbd", out);
			i += len ? len : 1;
			continue;
		}
		switch (cp) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		default:
			fwrite(p + i, 1, len, out);
			break;
		}
		i += len;
	}
}

/* The characters flame_xml() writes for the n bytes at s, with no limit. */
static size_t xml_chars(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k = 0;

	for (; i < n; k++) {
		uint32_t cp;
		size_t len = utf8_char(p + i, n - i, &cp);

		i += len ? len : 1;
	}
	return k;
}

/* The label of a frame w px wide: the characters of its name that fit, the last two
 * of them ".." when the name is cut, none when fewer than 3 fit (as the script's fit()
 * does). */
static void put_label(FILE *out, const char *name, size_t len, double w)
{
	double fits = floor((w - 6) / CHAR_PX);
	size_t n;

	if (!(fits >= 3))
		return;
	n = xml_chars(name, len);
	if ((double)n <= fits) {
		flame_xml(out, name, len, n);
		return;
	}
	flame_xml(out, name, len, (size_t)fits - 2);
	fputs("..", out);
}

/* ---- values in tooltips ----------------------------------------------------------------- */

/* A value of unit u: "12.35 ms (12345678 ns)" with exact, else "12.35 ms"; "40 calls". */
static void put_amount(FILE *out, enum flame_unit u, double v, int exact)
{
	char buf[32];

	if (u == FLAME_CALLS) {
		fprintf(out, v == floor(v) ? "%.0f call%s" : "%.1f call%s", v, v == 1 ? "" : "s");
		return;
	}
	units_ns(buf, sizeof(buf), !(v > 0) ? 0 : v < 0x1p64 ? (uint64_t)(v + 0.5) : UINT64_MAX);
	fputs(buf, out);
	if (exact)
		fprintf(out, " (%.0f ns)", v);
}

static void put_count(FILE *out, double v)
{
	fprintf(out, v == floor(v) ? "%.0f" : "%.1f", v);
}

/* "A -> B (+C, +P%)": a value before and after, and its change. */
static void put_change(FILE *out, enum flame_unit u, double before, double after)
{
	double d = after - before;

	put_amount(out, u, before, 0);
	fputs(" -> ", out);
	put_amount(out, u, after, 0);
	fputs(d > 0 ? " (+" : d < 0 ? " (-" : " (", out);
	put_amount(out, u, fabs(d), 0);
	if (before > 0)
		fprintf(out, ", %+.1f%%)", 100 * d / before);
	else
		fputs(after > 0 ? ", new)" : ")", out);
}

/* The tooltip of node (its name written): one line per value. */
static void put_title(struct flame *f, uint32_t node)
{
	const struct flame_tree *ft = f->ft;
	enum flame_unit u = f->o->unit;
	double all = f->sum[0] > 0 ? f->sum[0] : 1;

	if (ft->self0) {
		fputs("\nincl ", f->out);
		put_change(f->out, u, f->sum0[node], f->sum[node]);
		fprintf(f->out, ", %.2f%% of the new total", 100 * f->sum[node] / all);
		if (!node)
			return;
		fputs("\nself ", f->out);
		put_change(f->out, u, ft->self0[node], ft->self[node]);
		fputs("\ncalls ", f->out);
		put_count(f->out, ft->calls0[node]);
		fputs(" -> ", f->out);
		put_count(f->out, ft->calls[node]);
		return;
	}
	fputs(u == FLAME_CALLS ? "\n" : "\nincl ", f->out);
	put_amount(f->out, u, f->sum[node], 1);
	if (u == FLAME_CALLS && node)
		fputs(" with its callees", f->out);
	fprintf(f->out, ", %.2f%%", 100 * f->sum[node] / all);
	if (!node)
		return;
	if (u == FLAME_NS) {
		fputs("\nself ", f->out);
		put_amount(f->out, u, ft->self[node], 1);
	}
	fputs(u == FLAME_NS ? ", " : "\n", f->out);
	put_amount(f->out, FLAME_CALLS, ft->calls[node], 0);
}

/* ---- colours --------------------------------------------------------------------------- */

/* A frame's fill: warm and from a hash of its name (FNV-1a), or for a differential
 * graph from the change of its own value. */
static void colour(const struct flame *f, uint32_t node, const char *name, size_t len, int rgb[3])
{
	const struct flame_tree *ft = f->ft;
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	if (ft->self0) {
		double d = node ? ft->self[node] - ft->self0[node] : 0;
		double t = f->max_change > 0 ? fabs(d) / f->max_change : 0;
		int deep = (int)lround(170 * t), up = (int)lround(31 * t);

		rgb[0] = rgb[1] = rgb[2] = UNCHANGED - deep;
		if (d > 0)
			rgb[0] = UNCHANGED + up; /* red: more */
		else if (d < 0)
			rgb[2] = UNCHANGED + up; /* blue: less */
		else
			rgb[0] = rgb[1] = rgb[2] = UNCHANGED;
		return;
	}
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * UINT64_C(0x100000001b3);
	rgb[0] = 205 + (int)(h % 51);
	rgb[1] = 40 + (int)((h >> 16) % 180);
	rgb[2] = (int)((h >> 32) % 56);
}

/* ---- frames ----------------------------------------------------------------------------- */

/* Write node's frame at level (0: the root), x units from the left, v units wide. */
static void frame(struct flame *f, uint32_t node, unsigned level, double x, double v)
{
	const struct calltree_node *nd = &f->ft->t->nodes[node];
	size_t len = 3;
	const char *name = node ? names_str(f->ft->names, (uint32_t)nd->key, &len) : "all";
	double px = PAD + x * f->scale, pw = node ? v * f->scale : f->usable;
	unsigned y =
	    f->o->icicle ? TOP_PX + level * LEVEL_PX : TOP_PX + (f->levels - 1 - level) * LEVEL_PX;
	int rgb[3];

	/* what the file says, to 1/1000 px: the label fits that width, as in the script */
	px = round(px * 1000) / 1000;
	pw = round(pw * 1000) / 1000;
	colour(f, node, name, len, rgb);
	fputs("<g><title>", f->out);
	flame_xml(f->out, name, len, SIZE_MAX);
	put_title(f, node);
	fprintf(f->out,
		"</title><rect x=\"%.3f\" y=\"%u\" width=\"%.3f\" height=\"%d\" "
		"fill=\"rgb(%d,%d,%d)\" rx=\"2\" ry=\"2\"/><text x=\"%.3f\" y=\"%u\">",
		px, y, pw, LEVEL_PX - 1, rgb[0], rgb[1], rgb[2], px + 3, y + 11);
	put_label(f->out, name, len, pw);
	fputs("</text></g>\n", f->out);
}

/* Siblings by name, bytewise, then by key (a marker before a frame of its name). */
static int by_name(void *ctx, uint32_t a, uint32_t b)
{
	const struct flame *f = ctx;
	const struct calltree_node *na = &f->ft->t->nodes[a], *nb = &f->ft->t->nodes[b];
	size_t la, lb;
	const char *sa = names_str(f->ft->names, (uint32_t)na->key, &la);
	const char *sb = names_str(f->ft->names, (uint32_t)nb->key, &lb);
	int c = memcmp(sa, sb, la < lb ? la : lb);

	if (c)
		return c;
	if (la != lb)
		return la < lb ? -1 : 1;
	return na->key < nb->key ? -1 : na->key > nb->key;
}

/* A node of the walk: place it after its previous siblings; measure or draw it, and
 * go below it, unless it is too narrow (or too deep) to draw. */
static int visit(void *ctx, uint32_t node, uint32_t depth)
{
	struct flame *f = ctx;
	const struct flame_tree *ft = f->ft;
	double v = f->sum[node], x;

	if (calltree_grow((void **)&f->at, &f->at_cap, (size_t)depth + 2, sizeof(*f->at), 0) < 0)
		return TSCOPE_ENOMEM;
	x = f->at[depth];
	f->at[depth] = x + v;
	if (depth >= FLAME_MAX_DEPTH || !(v > 0) || v * f->scale < f->o->min_width)
		return 0;
	f->at[depth + 1] = x;
	if (f->draw) {
		if (ferror(f->out))
			return TSCOPE_EIO;
		frame(f, node, depth + 1, x, v);
		return 1;
	}
	if (depth + 2 > f->levels)
		f->levels = depth + 2;
	if (ft->self0 && fabs(ft->self[node] - ft->self0[node]) > f->max_change)
		f->max_change = fabs(ft->self[node] - ft->self0[node]);
	return 1;
}

/* ---- the document ----------------------------------------------------------------------- */

static void head(struct flame *f)
{
	FILE *out = f->out;
	unsigned w = f->width, h = TOP_PX + f->levels * LEVEL_PX + BOTTOM_PX;
	const char *title = f->o->title	   ? f->o->title
			    : f->o->icicle ? "Icicle Graph"
					   : "Flame Graph";

	fprintf(out,
		"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		"<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" "
		"height=\"%u\" viewBox=\"0 0 %u %u\" onload=\"flameInit()\">\n"
		"<style type=\"text/css\">\n%s</style>\n"
		"<script type=\"text/ecmascript\"><![CDATA[\n"
		"var PAD = %d, FULL = %.3f, CHAR_PX = %.2f;\n%s]]></script>\n"
		"<rect x=\"0\" y=\"0\" width=\"%u\" height=\"%u\" fill=\"rgb(248,248,240)\"/>\n"
		"<text id=\"title\" x=\"%u\" y=\"24\">",
		w, h, w, h, style, PAD, f->usable, CHAR_PX, script, w, h, w / 2);
	flame_xml(out, title, strlen(title), SIZE_MAX);
	fputs("</text>\n", out);
	if (f->o->subtitle) {
		fprintf(out, "<text id=\"subtitle\" x=\"%u\" y=\"42\">", w / 2);
		flame_xml(out, f->o->subtitle, strlen(f->o->subtitle), SIZE_MAX);
		fputs("</text>\n", out);
	}
	fprintf(out,
		"<text id=\"unzoom\" x=\"%d\" y=\"24\">Reset Zoom</text>\n"
		"<text id=\"search\" x=\"%u\" y=\"24\">Search</text>\n"
		"<text id=\"details\" x=\"%d\" y=\"%u\"> </text>\n"
		"<text id=\"matched\" x=\"%u\" y=\"%u\"> </text>\n"
		"<g id=\"frames\">\n",
		PAD, w - PAD, PAD, h - 12, w - PAD, h - 12);
}

int flame_write(FILE *out, const struct flame_opts *o, const struct flame_tree *ft)
{
	const struct calltree *t = ft->t;
	size_t n = t->n ? t->n : 1;
	struct flame f;
	int rc = TSCOPE_ENOMEM;

	memset(&f, 0, sizeof(f));
	f.out = out;
	f.o = o;
	f.ft = ft;
	f.width = o->width >= 100 ? o->width : FLAME_WIDTH;
	f.usable = f.width - 2 * PAD;
	f.levels = 1;
	f.sum = calloc(n, sizeof(*f.sum));
	f.sum0 = calloc(n, sizeof(*f.sum0));
	if (!f.sum || !f.sum0 || calltree_grow((void **)&f.at, &f.at_cap, 2, sizeof(*f.at), 0) < 0)
		goto out;
	/* from the leaves up: a node's index is larger than its parent's */
	for (size_t i = 1; i < t->n; i++) {
		f.sum[i] = ft->self[i] > 0 ? ft->self[i] : 0; /* NaN too */
		if (ft->self0)
			f.sum0[i] = ft->self0[i] > 0 ? ft->self0[i] : 0;
	}
	for (size_t i = t->n; i-- > 1;) {
		f.sum[t->nodes[i].parent] += f.sum[i];
		f.sum0[t->nodes[i].parent] += f.sum0[i];
	}
	f.scale = f.sum[0] > 0 ? f.usable / f.sum[0] : 0;
	f.at[0] = 0;
	rc = calltree_walk(t, by_name, visit, &f);
	if (rc < 0)
		goto out;
	head(&f);
	frame(&f, 0, 0, 0, f.sum[0]);
	f.draw = 1;
	f.at[0] = 0;
	rc = calltree_walk(t, by_name, visit, &f);
	if (rc == TSCOPE_EIO)
		rc = 0; /* the caller sees ferror(out) */
	if (!rc)
		fputs("</g>\n</svg>\n", out);
out:
	free(f.sum);
	free(f.sum0);
	free(f.at);
	return rc;
}
