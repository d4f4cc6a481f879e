#!/bin/sh
# test-speedscope.sh - `tscope speedscope` on real recorded programs, checked against the
# format's rules and loaded by the real speedscope in headless Chromium:
#
#   - examples/fib 20: tests/check-speedscope.py finds the format's rules kept (every
#     "O" closed by its "C" in order, times that never go back, within startValue and
#     endValue, frames interned) and the "O" events of each function equal to its
#     calls in `tscope report --flat`: fib_naive 21891 (2 fib(21) - 1), fib_memo 39;
#   - tests/prog-calls early: four threads, four profiles named "NAME (tid T, pid P)"
#     with the tids and names of `tscope info`, and the calls of each thread (main 5000,
#     each worker 1000); --thread keeps one; --focus, --depth, --from and --to cut as
#     they say;
#   - a parent and its forked child: two files, two processes, 15 and 20 calls;
#   - a ring-mode trace that starts inside calls, which makes the converter write the
#     thread again: the same bytes to a file and through a pipe, nested;
#   - speedscope (the npm package's built site, served on a free localhost port) opens
#     the files in Chromium: the thread selector says "(1/4)" and names every thread;
#     the sandwich view lists each function of fib with the total and self times of
#     `tscope report --flat --ns`, formatted as speedscope formats them; a file whose
#     frames do not nest gets speedscope's error page, and the check says so.
#
# The points that need python3, Chromium (Debian chromium) or speedscope (npm install -g
# speedscope; or SPEEDSCOPE_DIR, the directory of its index.html) are skipped, saying
# so, without them.  Needs top_builddir and top_srcdir (set by `make check`).  Works in
# tests/tmp-speedscope.PID, removed when everything passed.
: "${top_builddir:?}" "${top_srcdir:?}"
LC_ALL=C
PYTHONIOENCODING=utf-8 # speedscope writes microseconds with a micro sign
export LC_ALL PYTHONIOENCODING
tscope=$top_builddir/tools/tscope
fib=$top_builddir/examples/fib
prog=$top_builddir/tests/prog-calls
check=$top_srcdir/tests/check-speedscope.py

. "$top_srcdir/tests/tap.sh"
tap_init speedscope
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
site=${SPEEDSCOPE_DIR:-}
if [ -z "$site" ] && command -v npm > /dev/null 2>&1; then
	site=$(npm root -g 2> /dev/null)/speedscope/dist/release
fi
[ -n "$site" ] && [ -f "$site/index.html" ] || site=

# convert NAME ARGS...: tscope speedscope ARGS... -o NAME.json, then NAME.sum, what
# check-speedscope.py found in it; problems if either fails
convert() {
	name=$1
	shift
	"$tscope" speedscope "$@" -o "$tmp/$name.json" 2> "$tmp/$name.err" ||
		problem "$name: tscope speedscope failed: $(cat "$tmp/$name.err")"
	summary "$name"
}

# summary NAME: check-speedscope.py on NAME.json into NAME.sum
summary() {
	: > "$tmp/$1.sum"
	[ $have_python = 1 ] || return 0
	python3 "$check" "$tmp/$1.json" > "$tmp/$1.sum" 2> "$tmp/$1.check" ||
		problem "$1: $(cat "$tmp/$1.check")"
}

# want NAME LINE: NAME.sum has the line LINE
want() {
	grep -qxF "$2" "$tmp/$1.sum" || problem "$1: no line '$2' in: $(head -c 600 "$tmp/$1.sum")"
}

# calls_of TRACE: "calls NAME|COUNT" per function of tscope report --flat, sorted
calls_of() {
	"$tscope" report --flat --ns "$1" 2> /dev/null |
		awk 'NR > 1 { print "calls " $NF "|" $3 }' | sort
}

no_python="no python3 to read the JSON"

# ---- examples/fib: the rules, and the calls of each function -------------------------
"$tscope" record -o "$tmp/fib.trace" "$fib" 20 > /dev/null 2> "$tmp/err" ||
	problem "record fib: $(cat "$tmp/err")"
convert fib "$tmp/fib.trace"
[ -s "$tmp/fib.err" ] && problem "fib: stderr: $(cat "$tmp/fib.err")"
if [ $have_python = 0 ]; then
	skip "fib: the format's rules; each function's calls are report --flat's" "$no_python"
else
	# clang makes fib_naive's second recursive call a loop (a tail call): F(21) calls
	case ${CC:-gcc} in
	*clang*) want fib "calls fib_naive|10946" ;;
	*) want fib "calls fib_naive|21891" ;;
	esac
	want fib "calls fib_memo|39"
	want fib "calls main|1"
	calls_of "$tmp/fib.trace" > "$tmp/fib.want"
	grep '^calls ' "$tmp/fib.sum" > "$tmp/fib.got"
	cmp -s "$tmp/fib.want" "$tmp/fib.got" ||
		problem "fib: calls differ from report --flat: $(diff "$tmp/fib.want" "$tmp/fib.got")"
	pid=$("$tscope" info "$tmp/fib.trace" | awk '$1 == "process" { print $3 }' | tr -d ,)
	want fib "profiles 1"
	grep -q "^profile fib (tid $pid, pid $pid)|" "$tmp/fib.sum" ||
		problem "fib: not one profile 'fib (tid $pid, pid $pid)': $(grep '^profile' "$tmp/fib.sum")"
	point "fib: the format's rules; each function's calls are report --flat's"
fi

# ---- threads ---------------------------------------------------------------------------
TSCOPE_OUTPUT=$tmp/threads.trace "$prog" early > /dev/null 2> "$tmp/err" ||
	problem "prog-calls early: $(cat "$tmp/err")"
convert threads "$tmp/threads.trace"
# "NAME (tid T, pid P)|CALLS" per thread of tscope info, in its order
"$tscope" info "$tmp/threads.trace" > "$tmp/info"
pid=$(awk '$1 == "process" { print $3 }' "$tmp/info" | tr -d ,)
awk -v pid="$pid" '$1 == "tid" { t = 1; next } t && $1 ~ /^[0-9]+$/ {
	print $4 " (tid " $1 ", pid " pid ")|" ($4 == "prog-calls" ? 5000 : 1000) }
	t && $1 !~ /^[0-9]+$/ { t = 0 }' "$tmp/info" > "$tmp/threads.want"
if [ $have_python = 0 ]; then
	skip "threads: a profile per thread, named, with its calls" "$no_python"
	skip "--thread, --focus, --depth, --from and --to" "$no_python"
else
	want threads "profiles 4"
	[ "$(wc -l < "$tmp/threads.want")" -eq 4 ] ||
		problem "tscope info lists not 4 threads: $(cat "$tmp/info")"
	while IFS='|' read -r name calls; do
		want threads "thread-calls $name|leaf|$calls"
	done < "$tmp/threads.want"
	want threads "calls leaf|8000"
	point "threads: a profile per thread, named, with its calls"

	tid=$(sed -n '2s/.*(tid \([0-9]*\),.*/\1/p' "$tmp/threads.want")
	convert one --thread "$tid" "$tmp/threads.trace"
	want one "profiles 1"
	want one "thread-calls $(sed -n 2p "$tmp/threads.want" | sed 's/|.*//')|leaf|1000"
	convert focus --focus run_memo "$tmp/fib.trace"
	want focus "calls run_memo|1"
	want focus "calls fib_memo|39"
	[ "$(grep -c '^calls ' "$tmp/focus.sum")" -eq 2 ] ||
		problem "focus: more than run_memo and fib_memo: $(grep '^calls' "$tmp/focus.sum")"
	convert depth --depth 2 "$tmp/fib.trace"
	grep '^calls ' "$tmp/depth.sum" | tr '\n' ' ' > "$tmp/depth.got"
	[ "$(cat "$tmp/depth.got")" = "calls main|1 calls run_loop|1 calls run_memo|1 calls run_naive|1 " ] ||
		problem "depth 2: $(cat "$tmp/depth.got")"
	# a window in the middle of main: its events inside, startValue and endValue its
	# edges (times count from the recording's start, as --from and --to do)
	win=$(python3 -c '
import json, sys
ev = json.load(open(sys.argv[1]))["profiles"][0]["events"]
a, b = ev[0]["at"], ev[-1]["at"]
print(a + (b - a) // 4, a + (b - a) // 2)' "$tmp/fib.json")
	from=${win% *}
	to=${win#* }
	convert window --from "${from}ns" --to "${to}ns" "$tmp/fib.trace"
	python3 -c '
import json, sys
lo, hi = int(sys.argv[2]), int(sys.argv[3])
p = json.load(open(sys.argv[1]))["profiles"][0]
at = [e["at"] for e in p["events"]]
if not at or min(at) < lo or max(at) > hi or (p["startValue"], p["endValue"]) != (lo, hi):
    print("window %d..%d: events %s..%s, startValue %d, endValue %d" % (lo, hi,
          min(at, default=None), max(at, default=None), p["startValue"], p["endValue"]))' \
		"$tmp/window.json" "$from" "$to" > "$tmp/why"
	[ -s "$tmp/why" ] && problem "$(cat "$tmp/why")"
	point "--thread, --focus, --depth, --from and --to"
fi

# ---- a process tree ----------------------------------------------------------------------
TSCOPE_OUTPUT=$tmp/fork.trace "$prog" fork > /dev/null 2> "$tmp/err" ||
	problem "prog-calls fork: $(cat "$tmp/err")"
set -- "$tmp"/fork.trace*
[ $# -eq 2 ] || problem "fork: $# trace files, want 2"
convert fork "$@"
if [ $have_python = 0 ]; then
	skip "a process tree: a profile per process, with its calls" "$no_python"
else
	want fork "profiles 2"
	for f in "$@"; do
		p=$("$tscope" info "$f" | awk '$1 == "process" { print $3 }' | tr -d ,)
		c=$(calls_of "$f" | sed -n 's/^calls leaf|//p')
		want fork "thread-calls prog-calls (tid $p, pid $p)|leaf|$c"
	done
	want fork "calls leaf|35"
	point "a process tree: a profile per process, with its calls"
fi

# ---- ring mode: the thread written again ------------------------------------------------
"$tscope" record --ring=2M -o "$tmp/ring.trace" "$fib" 28 > /dev/null 2> "$tmp/err" ||
	problem "record --ring: $(cat "$tmp/err")"
convert ring "$tmp/ring.trace"
grep -q "begun before the recorded events" "$tmp/ring.err" ||
	problem "ring: no call begun before the events: $(cat "$tmp/ring.err")"
[ "$(wc -c < "$tmp/ring.json")" -gt 300000 ] || problem "ring: output smaller than a buffer"
"$tscope" speedscope "$tmp/ring.trace" 2> /dev/null | cat > "$tmp/pipe.json"
cmp -s "$tmp/ring.json" "$tmp/pipe.json" || problem "ring: a file and a pipe differ"
if [ $have_python = 1 ]; then
	grep -q '^calls fib_naive|' "$tmp/ring.sum" || problem "ring: no fib_naive"
	point "ring mode: written again from the thread's start, in a file and through a pipe"
else
	skip "ring mode: written again from the thread's start, in a file and through a pipe" \
		"$no_python"
fi

# ---- speedscope itself ------------------------------------------------------------------
why=
[ $have_python = 1 ] || why=$no_python
[ -n "$chrome" ] || why=${why:-"no chromium (Debian chromium)"}
[ -n "$site" ] || why=${why:-"no speedscope (npm install -g speedscope, or SPEEDSCOPE_DIR)"}
if [ -n "$why" ]; then
	skip "speedscope: the thread selector names every thread" "$why"
	skip "speedscope: each function's total and self times are report --flat's" "$why"
	skip "speedscope: a broken file gets its error page, and the check fails" "$why"
	finish
fi

mkdir -p "$tmp/site"
cp -R "$site/." "$tmp/site/" || problem "cannot copy $site"
cp "$tmp/threads.json" "$tmp/fib.json" "$tmp/site/"
# a broken file: the first "C" closes main, which is not on top
python3 - "$tmp/fib.json" "$tmp/site/broken.json" << 'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
ev = d["profiles"][0]["events"]
main = [f["name"] for f in d["shared"]["frames"]].index("main")
next(e for e in ev if e["type"] == "C")["frame"] = main
json.dump(d, open(sys.argv[2], "w"))
EOF

# A server of the site on a free port, stopped when the test ends.
cat > "$tmp/serve.py" << 'EOF'
import functools, http.server, sys
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
handler.log_message = lambda *a: None
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write("%d\n" % srv.server_address[1])
import os
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
srv.serve_forever()
EOF
python3 "$tmp/serve.py" "$tmp/site" "$tmp/port" > /dev/null 2>&1 &
server=$!
trap 'kill $server 2> /dev/null' EXIT
i=0
while [ ! -s "$tmp/port" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
port=$(cat "$tmp/port" 2> /dev/null)
[ -n "$port" ] || problem "the server did not start"

# show FILE [VIEW] > TEXT: what speedscope shows of FILE, as the page's text, a line
# per text node
show() {
	url="http://127.0.0.1:$port/index.html#profileURL=http://127.0.0.1:$port/$1"
	[ -n "${2:-}" ] && url="$url&view=$2"
	timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --no-first-run \
		--user-data-dir="$tmp/chrome" --window-size=1400,1000 --virtual-time-budget=15000 \
		--dump-dom "$url" > "$tmp/dom.html" 2> "$tmp/chrome.err" ||
		problem "chromium failed on $1: $(tail -n 3 "$tmp/chrome.err")"
	python3 -c '
import html.parser, sys
class P(html.parser.HTMLParser):
    skip = 0
    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("script", "style")
    def handle_endtag(self, tag):
        self.skip -= tag in ("script", "style") and self.skip > 0
    def handle_data(self, d):
        if not self.skip and d.strip():
            print(d.strip())
P().feed(open(sys.argv[1], encoding="utf-8").read())' "$tmp/dom.html"
}

# loaded TEXT: did speedscope show a profile, not its error page?  loaded_ok says,
# loaded makes a problem of it.
loaded_ok() {
	grep -q "Symbol Name\|Time Order" "$1" && ! grep -q "Something went wrong" "$1"
}
loaded() {
	loaded_ok "$1" ||
		problem "speedscope did not load it: $(tr '\n' ' ' < "$1" | head -c 300)"
}

show threads.json > "$tmp/threads.text"
loaded "$tmp/threads.text"
grep -qxF "(1/4)" "$tmp/threads.text" || problem "no '(1/4)': $(tr '\n' ' ' < "$tmp/threads.text")"
while IFS='|' read -r name calls; do
	grep -qxF "$name" "$tmp/threads.text" || problem "no thread '$name' shown"
done < "$tmp/threads.want"
point "speedscope: the thread selector names every thread"

# Speedscope's times: nanoseconds * 1e-9 seconds, in the largest unit (s, ms, us, ns)
# that keeps the number at least 1, with toFixed(2) (half up on the exact double).
"$tscope" report --flat --ns "$tmp/fib.trace" > "$tmp/flat" 2> "$tmp/err"
python3 - "$tmp/flat" > "$tmp/fib.want" << 'EOF'
import sys
from decimal import Decimal, ROUND_HALF_UP
def fmt(ns):
    n = ns * 1e-9
    for div, unit in ((1, "s"), (0.001, "ms"), (1e-6, "\u00b5s")):
        if n / div >= 1:
            v = n / div
            break
    else:
        v, unit = n / 1e-9, "ns"
    return str(Decimal(v).quantize(Decimal("0.01"), ROUND_HALF_UP)) + unit
for line in list(open(sys.argv[1]))[1:]:
    f = line.split()
    print("%s|%s|%s" % (f[-1], fmt(int(f[3])), fmt(int(f[0]))))
EOF
show fib.json sandwich > "$tmp/fib.text"
loaded "$tmp/fib.text"
# the table: after "Symbol Name", "TOTAL (PCT)", "SELF (PCT)", NAME per row
awk 'f == 1 { t = $1; f = 2; next } f == 2 { s = $1; f = 3; next }
     f == 3 { print $0 "|" t "|" s; f = 1; next }
     $0 == "Symbol Name" { f = 1 }' "$tmp/fib.text" | sort > "$tmp/fib.shown"
sort "$tmp/fib.want" > "$tmp/fib.want.sorted"
[ "$(wc -l < "$tmp/fib.want.sorted")" -eq 7 ] || problem "report --flat: not 7 functions"
cmp -s "$tmp/fib.shown" "$tmp/fib.want.sorted" ||
	problem "shown (name|total|self) differs from report --flat --ns:" \
		"$(diff "$tmp/fib.want.sorted" "$tmp/fib.shown" | tr '\n' ' ')"
point "speedscope: each function's total and self times are report --flat's"

show broken.json > "$tmp/broken.text"
if loaded_ok "$tmp/broken.text"; then
	problem "the broken file loads: $(tr '\n' ' ' < "$tmp/broken.text" | head -c 300)"
fi
grep -q "Something went wrong" "$tmp/broken.text" ||
	problem "no error page for the broken file: $(tr '\n' ' ' < "$tmp/broken.text" | head -c 300)"
point "speedscope: a broken file gets its error page, and the check fails"

kill $server 2> /dev/null
trap - EXIT
finish
