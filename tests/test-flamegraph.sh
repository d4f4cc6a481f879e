#!/bin/sh
# test-flamegraph.sh - tscope flamegraph on real recorded programs (examples/fib,
# tests/prog-calls with threads, tests/prog-diff): the SVG parses as XML; its frames
# hold exactly the stacks of `tscope folded` (each frame's call path, rebuilt from
# where it is drawn, with its self time, the exact nanoseconds of its tooltip), the
# root holds their total, every width is its share of the image; --calls, --thread,
# --per-thread and --icicle likewise; rsvg-convert renders it and headless Chromium
# shows it (screenshots not blank, a frame's colour where it is drawn) and runs its
# script (zoom, Escape, search); tscope diff --flamegraph colours the function made
# slower red.  A check whose tool is missing (python3, rsvg-convert, chromium) is
# skipped, saying which.
#
# Needs top_builddir and top_srcdir (set by `make check`), and TSCOPE_LIB to record
# examples/fib.  Works in tests/tmp-flamegraph.PID, removed when everything passed.
: "${top_builddir:?}" "${top_srcdir:?}"
LC_ALL=C
export LC_ALL
tscope=$top_builddir/tools/tscope

. "$top_srcdir/tests/tap.sh"
tap_init flamegraph
unset TSCOPE_OUTPUT TSCOPE_ENABLE TSCOPE_MODE TSCOPE_BUFFER TSCOPE_COMPRESS TSCOPE_SNAPSHOT_SIGNAL

have_python=0
command -v python3 > /dev/null 2>&1 && have_python=1
chrome=
for c in chromium chromium-browser google-chrome; do
	if command -v "$c" > /dev/null 2>&1; then
		chrome=$c
		break
	fi
done

# ---- the checks in python: one script, a mode per check ------------------------------
cat > "$tmp/check.py" << 'EOF'
import re, struct, sys, xml.etree.ElementTree as ET, zlib

SVG = '{http://www.w3.org/2000/svg}'
EPS = 0.0015  # x and widths are written to 1/1000 px

def frames(path):
    """The frames of a flame graph: name, tooltip, x, y, width, fill."""
    root = ET.parse(path).getroot()
    box = [g for g in root.iter(SVG + 'g') if g.get('id') == 'frames']
    if len(box) != 1:
        sys.exit('no <g id="frames">')
    out = []
    for g in box[0].findall(SVG + 'g'):
        title, r = g.find(SVG + 'title').text, g.find(SVG + 'rect')
        out.append({'name': title.split('\n')[0], 'title': title,
                    'x': float(r.get('x')), 'y': int(r.get('y')),
                    'w': float(r.get('width')), 'fill': r.get('fill')})
    return out

def paths(fs):
    """Each frame's call path: its caller is the frame before it, in the document's
    depth-first order, one level nearer the root; and it must be drawn inside it,
    after its previous sibling."""
    root = fs[0]
    if root['name'] != 'all':
        sys.exit('the first frame is %s, not all' % root['name'])
    step = -16 if root['y'] == max(f['y'] for f in fs) else 16
    stack, root['path'], root['end'] = [root], '', root['x']
    for f in fs:
        f['level'] = (f['y'] - root['y']) // step
        f['end'] = f['x']  # where its next callee may start
        if f is root:
            continue
        del stack[f['level']:]
        up = stack[-1]
        f['path'] = up['path'] + ';' + f['name'] if up['path'] else f['name']
        if f['x'] < up['end'] - EPS or f['x'] + f['w'] > up['x'] + up['w'] + EPS:
            print('%s: drawn at %.3f + %.3f, outside its caller (%.3f + %.3f, free from %.3f)'
                  % (f['path'], f['x'], f['w'], up['x'], up['w'], up['end']))
        up['end'] = f['x'] + f['w']
        stack.append(f)
    return root

def folded(path):
    out = {}
    for line in open(path):
        stack, value = line.rstrip('\n').rsplit(' ', 1)
        out[stack] = int(value)
    return out

def num(pattern, text):
    m = re.search(pattern, text)
    return int(m.group(1)) if m else 0

def exact(svg, fold, calls):
    """The frames against the folded stacks: the same paths, the same values."""
    fs, want = frames(svg), folded(fold)
    root = paths(fs)
    total = sum(want.values())
    if calls:
        got_total = num(r'\n(\d+) calls?,', root['title'])
        own = lambda f: num(r'\n(\d+) calls?$', f['title'])
        sub = lambda f: num(r'\n(\d+) calls?', f['title'])
    else:
        got_total = num(r'incl [^(]*\((\d+) ns\)', root['title'])
        own = lambda f: num(r'self [^(]*\((\d+) ns\)', f['title'])
        sub = lambda f: num(r'incl [^(]*\((\d+) ns\)', f['title'])
    got = {f['path']: own(f) for f in fs if f is not root and own(f)}
    bad = 0
    if got != want:
        for p in sorted(set(got) | set(want)):
            if got.get(p) != want.get(p):
                print('path %s: svg %s, folded %s' % (p, got.get(p), want.get(p)))
                bad += 1
                if bad > 10:
                    break
    if got_total != total or sum(got.values()) != total:
        print('total: root %d, frames %d, folded %d' % (got_total, sum(got.values()), total))
    full = root['w']
    for f in fs:
        if abs(f['w'] - sub(f) * full / total) > EPS:
            print('%s: width %.3f, want %.4f' % (f['path'], f['w'], sub(f) * full / total))
    print('# %d frames, %d stacks, total %d' % (len(fs), len(want), total))

def png(path, rows):
    """The first rows of an 8-bit RGB or RGBA PNG, as lists of pixels."""
    data = open(path, 'rb').read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        sys.exit('%s: not a PNG' % path)
    pos, idat = 8, b''
    while pos < len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b'IHDR':
            w, h, depth, ctype, _, _, inter = struct.unpack('>IIBBBBB', body)
        elif kind == b'IDAT':
            idat += body
    if depth != 8 or ctype not in (2, 6) or inter:
        sys.exit('%s: depth %d, colour type %d, interlace %d' % (path, depth, ctype, inter))
    bpp = 3 if ctype == 2 else 4
    raw, stride, out, i = zlib.decompress(idat), w * bpp, [], 0
    prev = bytearray(stride)  # the row above the first is zeros
    for y in range(min(h, rows)):
        kind, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if kind == 1:
                line[x] = (line[x] + a) & 255
            elif kind == 2:
                line[x] = (line[x] + b) & 255
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out.append([tuple(line[x:x + 3]) for x in range(0, stride, bpp)])
        prev = line
    return out

def shown(pngpath, svg):
    """The image is not blank, and the root frame has its colour where it is drawn."""
    root = [f for f in frames(svg) if f['name'] == 'all'][0]
    want = tuple(int(v) for v in re.findall(r'\d+', root['fill']))
    px = png(pngpath, root['y'] + 16)
    colours = set(p for row in px for p in row)
    if len(colours) < 10:
        print('%d colours only' % len(colours))
    got = px[root['y'] + 7][600]
    if max(abs(g - w) for g, w in zip(got, want)) > 6:
        print('pixel (600, %d): %s, the root frame is %s' % (root['y'] + 7, got, want))
    print('# %d colours in the first %d rows' % (len(colours), len(px)))

mode = sys.argv[1]
if mode == 'exact':
    exact(sys.argv[2], sys.argv[3], len(sys.argv) > 4)
elif mode == 'level1':
    fs = frames(sys.argv[2])
    paths(fs)
    print('\n'.join(sorted(f['name'] for f in fs if f['level'] == 1)))
elif mode == 'rooty':
    print([f for f in frames(sys.argv[2]) if f['name'] == 'all'][0]['y'])
elif mode == 'shown':
    shown(sys.argv[2], sys.argv[3])
elif mode == 'fill':
    f = [f for f in frames(sys.argv[2]) if f['name'] == sys.argv[3]]
    print(' '.join(re.findall(r'\d+', f[0]['fill'])) if len(f) == 1 else 'none')
elif mode == 'script':
    # a copy that drives the script once loaded and writes what it did in the title
    svg = open(sys.argv[2]).read()
    probe = '''<script type="text/ecmascript"><![CDATA[
window.addEventListener('load', function () { setTimeout(function () {
	var r = [], pick = function (n) { return frames.filter(function (f) { return f.name === n; })[0]; };
	var mk = pick('make_report'), ld = pick('load_data');
	mk.t.dispatchEvent(new MouseEvent('click', { bubbles: true }));
	r.push('zoom ' + mk.r.getAttribute('width') + ' ' + ld.g.style.display + ' ' + byId('unzoom').getAttribute('class'));
	document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
	r.push('back ' + mk.r.getAttribute('width') + ' ' + (ld.g.style.display || 'shown'));
	window.prompt = function () { return '^make_'; };
	byId('search').dispatchEvent(new MouseEvent('click', { bubbles: true }));
	r.push('search ' + mk.r.getAttribute('fill') + ' ' + byId('matched').textContent);
	byId('title').textContent = 'RESULT ' + r.join(', ') + ' END';
}, 0); });
]]></script>
</svg>
'''
    open(sys.argv[3], 'w').write(svg.replace('</svg>\n', probe))
    mk = [f for f in frames(sys.argv[2]) if f['name'] == 'make_report'][0]
    print('RESULT zoom 1180.000 none on, back %.3f shown, search rgb(230,0,230) Matched: %.1f%% END'
          % (mk['w'], 100 * mk['w'] / 1180))
EOF

# py MODE ARGS...: the check script (its findings on stdout are problems)
py() {
	python3 "$tmp/check.py" "$@"
}

# problems_from FILE: its lines that are not comments are problems; comments are shown
problems_from() {
	grep -v '^#' "$1" >> "$tmp/problems"
	grep '^#' "$1"
}

# ---- recordings --------------------------------------------------------------------------
TSCOPE_OUTPUT=$tmp/d0.trace "$top_builddir/tests/prog-diff" 0 || problem "prog-diff 0 failed"
TSCOPE_OUTPUT=$tmp/calls.trace "$top_builddir/tests/prog-calls" threads 3 2000 > /dev/null ||
	problem "prog-calls threads failed"
"$tscope" record -o "$tmp/fib.trace" "$top_builddir/examples/fib" > /dev/null 2> "$tmp/err" ||
	problem "recording examples/fib failed: $(cat "$tmp/err")"
point "three programs recorded"

for t in d0 calls fib; do
	"$tscope" flamegraph "$tmp/$t.trace" -o "$tmp/$t.svg" 2> "$tmp/err" ||
		problem "$t: status $?: $(cat "$tmp/err")"
	[ -s "$tmp/err" ] && problem "$t: stderr: $(cat "$tmp/err")"
	head -n 1 "$tmp/$t.svg" | grep -q '^<?xml version="1.0"' || problem "$t: not an XML file"
	tail -n 1 "$tmp/$t.svg" | grep -q '^</svg>$' || problem "$t: no </svg> at the end"
	"$tscope" folded "$tmp/$t.trace" > "$tmp/$t.folded" || problem "$t: folded failed"
	"$tscope" folded --calls "$tmp/$t.trace" > "$tmp/$t.calls" || problem "$t: folded failed"
done
point "flamegraph writes an SVG file for each, silently"

# ---- the frames are the folded stacks ---------------------------------------------------
if [ $have_python = 1 ]; then
	# --min-width 0: every frame, so that the stacks can all be compared
	for t in d0 calls fib; do
		"$tscope" flamegraph --min-width 0 "$tmp/$t.trace" -o "$tmp/$t-all.svg" ||
			problem "$t: --min-width 0 failed"
		py exact "$tmp/$t-all.svg" "$tmp/$t.folded" > "$tmp/out" 2>&1 ||
			problem "$t: python failed"
		problems_from "$tmp/out"
	done
	point "XML; each frame's path and self ns are a folded stack's, widths their share"

	for t in d0 calls fib; do
		"$tscope" flamegraph --calls --min-width 0 "$tmp/$t.trace" -o "$tmp/$t-calls.svg" ||
			problem "$t: --calls failed"
		py exact "$tmp/$t-calls.svg" "$tmp/$t.calls" calls > "$tmp/out" 2>&1 ||
			problem "$t: python failed"
		problems_from "$tmp/out"
	done
	point "--calls: each frame's calls are folded --calls', widths their share"

	# one thread: the one that made the most calls
	tid=$("$tscope" folded --tid "$tmp/calls.trace" | sed -n 's/^[^;]*-\([0-9]*\);leaf .*/\1/p' |
		head -n 1)
	"$tscope" flamegraph --min-width 0 --thread "$tid" "$tmp/calls.trace" -o "$tmp/one.svg" ||
		problem "--thread $tid failed"
	"$tscope" folded --thread "$tid" "$tmp/calls.trace" > "$tmp/one.folded"
	py exact "$tmp/one.svg" "$tmp/one.folded" > "$tmp/out" 2>&1 || problem "python failed"
	problems_from "$tmp/out"
	"$tscope" flamegraph --min-width 0 --per-thread "$tmp/calls.trace" -o "$tmp/per.svg" ||
		problem "--per-thread failed"
	"$tscope" folded --tid "$tmp/calls.trace" > "$tmp/per.folded"
	py exact "$tmp/per.svg" "$tmp/per.folded" > "$tmp/out" 2>&1 || problem "python failed"
	problems_from "$tmp/out"
	py level1 "$tmp/per.svg" > "$tmp/roots"
	cut -d';' -f1 "$tmp/per.folded" | sort -u > "$tmp/want-roots"
	[ "$(wc -l < "$tmp/roots")" -eq 3 ] && cmp -s "$tmp/roots" "$tmp/want-roots" ||
		problem "root frames: $(cat "$tmp/roots"), want $(cat "$tmp/want-roots")"
	point "--thread TID: that thread's stacks; --per-thread: a root frame per thread (3)"

	"$tscope" flamegraph --icicle --min-width 0 "$tmp/fib.trace" -o "$tmp/icicle.svg" ||
		problem "--icicle failed"
	py exact "$tmp/icicle.svg" "$tmp/fib.folded" > "$tmp/out" 2>&1 || problem "python failed"
	problems_from "$tmp/out"
	[ "$(py rooty "$tmp/icicle.svg")" -lt "$(py rooty "$tmp/fib.svg")" ] ||
		problem "the icicle's root is not above the flame graph's"
	point "--icicle: the same frames, the root at the top"
else
	for what in "frames are folded stacks" "--calls" "--thread, --per-thread" "--icicle"; do
		skip "$what" "no python3 to read the SVG"
	done
fi

# ---- rendered ----------------------------------------------------------------------------
if ! command -v rsvg-convert > /dev/null 2>&1; then
	skip "rsvg-convert renders it" "no rsvg-convert (Debian librsvg2-bin)"
elif [ $have_python = 0 ]; then
	skip "rsvg-convert renders it" "no python3 to read the PNG"
else
	for t in d0 fib; do
		rsvg-convert "$tmp/$t.svg" -o "$tmp/$t-rsvg.png" 2> "$tmp/err" ||
			problem "$t: rsvg-convert: $(cat "$tmp/err")"
		py shown "$tmp/$t-rsvg.png" "$tmp/$t.svg" > "$tmp/out" 2>&1 || problem "python failed"
		problems_from "$tmp/out"
	done
	point "rsvg-convert renders it: not blank, the root frame's colour where it is"
fi

if [ -z "$chrome" ]; then
	skip "Chromium shows it" "no chromium (Debian chromium)"
	skip "Chromium runs its script" "no chromium (Debian chromium)"
elif [ $have_python = 0 ]; then
	skip "Chromium shows it" "no python3 to read the PNG"
	skip "Chromium runs its script" "no python3"
else
	# chrome URL ARGS...: headless, in a profile of its own, at most 120 s
	chrome() {
		url=$1
		shift
		timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --no-first-run \
			--user-data-dir="$tmp/chrome" --window-size=1200,800 "$@" "$url"
	}
	abs=$(cd "$tmp" && pwd)
	chrome "file://$abs/d0.svg" --screenshot="$abs/d0-chrome.png" > "$tmp/err" 2>&1 ||
		problem "chromium failed: $(tail -n 5 "$tmp/err")"
	py shown "$tmp/d0-chrome.png" "$tmp/d0.svg" > "$tmp/out" 2>&1 || problem "python failed"
	problems_from "$tmp/out"
	point "Chromium shows it: a screenshot not blank, the root frame's colour where it is"

	py script "$tmp/d0.svg" "$tmp/probe.svg" > "$tmp/want" || problem "python failed"
	chrome "file://$abs/probe.svg" --virtual-time-budget=5000 --dump-dom > "$tmp/dom" 2> "$tmp/err" ||
		problem "chromium failed: $(tail -n 5 "$tmp/err")"
	grep -o 'RESULT zoom[^<]*END' "$tmp/dom" > "$tmp/got"
	cmp -s "$tmp/got" "$tmp/want" || problem "got: $(cat "$tmp/got"); want: $(cat "$tmp/want")"
	point "Chromium runs its script: a click zooms, Escape comes back, search highlights"
fi

# ---- differential ---------------------------------------------------------------------
# make_report runs twice as long in prog-diff 1: the largest change of self time, red.
# Wall-clock times on a machine busy with other tests can blur that: up to 5 attempts.
if [ $have_python = 1 ]; then
	attempt=0
	while [ $attempt -lt 5 ]; do
		attempt=$((attempt + 1))
		: > "$tmp/problems"
		TSCOPE_OUTPUT=$tmp/a.trace "$top_builddir/tests/prog-diff" 0 || problem "prog-diff 0 failed"
		TSCOPE_OUTPUT=$tmp/b.trace "$top_builddir/tests/prog-diff" 1 || problem "prog-diff 1 failed"
		"$tscope" diff --flamegraph -o "$tmp/diff.svg" "$tmp/a.trace" -- "$tmp/b.trace" 2> "$tmp/err" ||
			problem "diff --flamegraph: status $?: $(cat "$tmp/err")"
		rgb=$(py fill "$tmp/diff.svg" make_report)
		set -- $rgb
		if [ $# -ne 3 ] || [ "$1" -lt $(($2 + 60)) ] || [ "$2" -ne "$3" ]; then
			problem "attempt $attempt: make_report is rgb($rgb), not red"
		fi
		grep -q '^self [0-9.]* ms -> [0-9.]* ms (+' "$tmp/diff.svg" ||
			problem "no tooltip 'self BEFORE -> AFTER (+CHANGE'"
		[ -s "$tmp/problems" ] || break
		sed 's/^/# /' "$tmp/problems"
	done
	echo "# attempts: $attempt, make_report rgb($rgb)"
	point "diff --flamegraph: make_report, made slower, is red"
else
	skip "diff --flamegraph: make_report is red" "no python3 to read the SVG"
fi

# ---- usage -------------------------------------------------------------------------------
for args in "" "--min-width x $tmp/d0.trace" "--min-width -1 $tmp/d0.trace" \
	"--width 50 $tmp/d0.trace" "--thread x $tmp/d0.trace" "--nope $tmp/d0.trace"; do
	"$tscope" flamegraph $args > /dev/null 2> "$tmp/err"
	st=$?
	[ $st -eq 2 ] && grep -q '^tscope: flamegraph: ' "$tmp/err" ||
		problem "flamegraph $args: status $st: $(cat "$tmp/err")"
done
"$tscope" flamegraph "$tmp/missing.trace" -o "$tmp/x.svg" > /dev/null 2>&1
st=$?
[ $st -eq 1 ] || problem "a missing trace: status $st"
"$tscope" diff --flamegraph --folded "$tmp/d0.trace" -- "$tmp/d0.trace" > /dev/null 2> "$tmp/err"
st=$?
[ $st -eq 2 ] || problem "diff --flamegraph --folded: status $st"
point "bad usage exits 2 with a message; a missing trace 1"

finish
