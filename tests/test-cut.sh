#!/bin/sh
# test-cut.sh - the converters' cuts (--from, --to, --min-duration, --depth, --focus)
# on a real program, tests/prog-diff (main 1 call, load_data 40, make_report 40): each
# output keeps exactly the spans asked for, and chrome's stays valid JSON whose spans
# nest (tests/check-json.py).  The cuts' exact arithmetic is checked on synthetic
# traces in test-convert-synth.
#
# Needs top_builddir and top_srcdir (set by `make check`).  Works in tests/tmp-cut.PID.
: "${top_builddir:?}" "${top_srcdir:?}"
LC_ALL=C
export LC_ALL
tscope=$top_builddir/tools/tscope
prog=$top_builddir/tests/prog-diff

. "$top_srcdir/tests/tap.sh"
tap_init cut
unset TSCOPE_OUTPUT TSCOPE_ENABLE TSCOPE_MODE TSCOPE_BUFFER TSCOPE_COMPRESS TSCOPE_SNAPSHOT_SIGNAL

TSCOPE_OUTPUT=$tmp/t.trace "$prog" 0 2> "$tmp/err" || problem "prog-diff: $(cat "$tmp/err")"
point "a trace of prog-diff"

# spans NAME FILE: the spans of that name in a check-json.py summary
spans() {
	awk -v n="\"$1\"" '$1 == "span" && $NF == n { print $2 }' "$2"
}

if command -v python3 > /dev/null 2>&1; then
	"$tscope" chrome --focus make_report -o "$tmp/focus.json" "$tmp/t.trace" 2>> "$tmp/problems"
	python3 "$top_srcdir/tests/check-json.py" "$tmp/focus.json" > "$tmp/sum" 2>> "$tmp/problems"
	[ "$(spans make_report "$tmp/sum")" = 40 ] || problem "make_report: $(spans make_report "$tmp/sum")"
	[ -z "$(spans main "$tmp/sum")$(spans load_data "$tmp/sum")" ] || problem "$(cat "$tmp/sum")"
	point "chrome --focus make_report: its 40 calls alone, valid and nested"

	"$tscope" chrome --depth 1 -o "$tmp/depth.json" "$tmp/t.trace" 2>> "$tmp/problems"
	python3 "$top_srcdir/tests/check-json.py" "$tmp/depth.json" > "$tmp/sum" 2>> "$tmp/problems"
	[ "$(spans main "$tmp/sum")" = 1 ] && [ -z "$(spans make_report "$tmp/sum")" ] ||
		problem "$(cat "$tmp/sum")"
	point "chrome --depth 1: main alone"

	# the window: from the 21st make_report call's start to the end, then an empty one
	"$tscope" chrome -o "$tmp/all.json" "$tmp/t.trace" 2>> "$tmp/problems"
	from=$(python3 -c 'import json, sys
ts = sorted(e["ts"] for e in json.load(open(sys.argv[1]))["traceEvents"]
            if e.get("name") == "make_report")
print("%dns" % round(float(ts[20]) * 1000))' "$tmp/all.json")
	"$tscope" chrome --from "$from" -o "$tmp/from.json" "$tmp/t.trace" 2>> "$tmp/problems"
	python3 "$top_srcdir/tests/check-json.py" "$tmp/from.json" > "$tmp/sum" 2>> "$tmp/problems"
	calls=$(spans make_report "$tmp/sum")
	[ "$(spans main "$tmp/sum")" = 1 ] && [ -n "$calls" ] && [ "$calls" -lt 40 ] ||
		problem "--from $from: main $(spans main "$tmp/sum"), make_report '$calls'"
	"$tscope" chrome --to 0ns -o "$tmp/none.json" "$tmp/t.trace" 2>> "$tmp/problems"
	python3 "$top_srcdir/tests/check-json.py" "$tmp/none.json" > "$tmp/sum" 2>> "$tmp/problems"
	grep -q '^span ' "$tmp/sum" && problem "--to 0ns kept spans: $(grep '^span' "$tmp/sum")"
	point "chrome --from the 21st call keeps main and fewer calls; --to 0ns none; both valid"
else
	skip "chrome --focus" "no python3"
	skip "chrome --depth" "no python3"
	skip "chrome --from, --to" "no python3"
fi

# folded: --min-duration longer than any call keeps main alone, with all the time
"$tscope" folded --min-duration 1s "$tmp/t.trace" > "$tmp/f" 2>> "$tmp/problems"
[ -s "$tmp/f" ] && problem "--min-duration 1s: $(cat "$tmp/f")"
"$tscope" folded --min-duration 1ns "$tmp/t.trace" > "$tmp/f1" 2>> "$tmp/problems"
"$tscope" folded "$tmp/t.trace" > "$tmp/f0" 2>> "$tmp/problems"
cmp -s "$tmp/f0" "$tmp/f1" || problem "--min-duration 1ns changed the output"
point "folded --min-duration: 1s keeps nothing, 1ns everything"

"$tscope" report --flat --ns --focus load_data "$tmp/t.trace" > "$tmp/r" 2>> "$tmp/problems"
awk '$NF == "load_data" { print $3 }' "$tmp/r" | grep -qx 40 || problem "$(cat "$tmp/r")"
grep -q ' main$' "$tmp/r" && problem "main in a report focused on load_data"
point "report --flat --focus load_data: its 40 calls, no main"

# chrome --split: fib(25) is about 20 MB of JSON; parts of 1M hold every span once
fib=$top_builddir/examples/fib
if command -v python3 > /dev/null 2>&1 &&
	"$tscope" record -o "$tmp/fib.trace" "$fib" 25 > /dev/null 2> "$tmp/err"; then
	"$tscope" chrome -o "$tmp/whole.json" "$tmp/fib.trace" 2>> "$tmp/problems"
	"$tscope" chrome --split 1M -o "$tmp/part.json" "$tmp/fib.trace" 2>> "$tmp/problems" ||
		problem "chrome --split failed"
	python3 "$top_srcdir/tests/check-json.py" "$tmp/whole.json" > "$tmp/whole.sum" ||
		problem "whole.json invalid"
	parts=0
	: > "$tmp/parts.sum"
	for f in "$tmp"/part-*.json; do
		[ -f "$f" ] || continue
		parts=$((parts + 1))
		size=$(wc -c < "$f")
		[ "$size" -le 1048576 ] || problem "$f: $size bytes"
		python3 "$top_srcdir/tests/check-json.py" "$f" >> "$tmp/parts.sum" ||
			problem "$f: invalid"
		grep -q '^thread ' "$tmp/parts.sum" || problem "$f: no thread name"
	done
	[ $parts -ge 5 ] || problem "$parts parts"
	# spans per name: the parts add up to the whole
	awk '$1 == "span" { n[$NF] += $2 } END { for (k in n) print k, n[k] }' "$tmp/parts.sum" |
		sort > "$tmp/a"
	awk '$1 == "span" { print $NF, $2 }' "$tmp/whole.sum" | sort > "$tmp/b"
	cmp -s "$tmp/a" "$tmp/b" || problem "spans: parts $(cat "$tmp/a") whole $(cat "$tmp/b")"
	[ -s "$tmp/b" ] || problem "no span in the whole"
	point "chrome --split 1M: $parts complete parts under 1 MiB, every span once"
else
	skip "chrome --split" "no python3, or examples/fib cannot be recorded"
fi
"$tscope" chrome --split 1M "$tmp/t.trace" > /dev/null 2> "$tmp/err"
[ $? -eq 2 ] && grep -q -- '--split needs -o OUT' "$tmp/err" || problem "$(cat "$tmp/err")"
"$tscope" chrome --split 100k -o "$tmp/x.json" "$tmp/t.trace" > /dev/null 2> "$tmp/err"
[ $? -eq 2 ] || problem "--split 100k accepted"
point "chrome --split without -o, or under 1M: exit 2"

for args in "--from x" "--to 5" "--min-duration 1h" "--depth 0" "--focus ''" \
	"--from 2s --to 1s"; do
	eval "\"\$tscope\" chrome $args \"\$tmp/t.trace\"" > /dev/null 2> "$tmp/err"
	st=$?
	[ $st -eq 2 ] && grep -q '^tscope: chrome: ' "$tmp/err" ||
		problem "chrome $args: status $st: $(cat "$tmp/err")"
done
point "bad cuts: exit 2 with a message"

finish
