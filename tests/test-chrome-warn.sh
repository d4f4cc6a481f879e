#!/bin/sh
# test-chrome-warn.sh - `tscope chrome` warns once when its JSON passes 256 MB, what
# chrome://tracing can load, and names the ways to cut it.  The real demo program,
# examples/fib with fib(30), makes a JSON of some 216 MB: alone it is not warned about;
# given twice (two processes on one timeline, some 432 MB) it is, once, with the exact
# line.  The JSON goes to /dev/null: nothing large is written (under a second).
#
# Needs top_builddir and top_srcdir (set by `make check`), tools/tscope and
# examples/fib.  Works in tests/tmp-chrome-warn.PID, removed when everything passed.
: "${top_builddir:?}" "${top_srcdir:?}"
LC_ALL=C
export LC_ALL
tscope=$top_builddir/tools/tscope
fib=$top_builddir/examples/fib

. "$top_srcdir/tests/tap.sh"
tap_init chrome-warn
unset TSCOPE_OUTPUT TSCOPE_ENABLE TSCOPE_MODE TSCOPE_BUFFER TSCOPE_COMPRESS TSCOPE_SNAPSHOT_SIGNAL

trace=$tmp/fib.trace
"$tscope" record -o "$trace" "$fib" 30 > /dev/null 2> "$tmp/err" ||
	problem "record fib 30: $(cat "$tmp/err")"

# One trace: under 256 MB (the size is that of the same JSON through a pipe).
"$tscope" chrome "$trace" -o /dev/null 2> "$tmp/one.err" ||
	problem "chrome: $(cat "$tmp/one.err")"
[ -s "$tmp/one.err" ] && problem "warned under 256 MB: $(cat "$tmp/one.err")"
size=$("$tscope" chrome "$trace" 2> /dev/null | wc -c | tr -d ' ')
[ "$size" -gt $((50 << 20)) ] && [ "$size" -le $((256 << 20)) ] ||
	problem "fib(30)'s JSON is $size bytes, not between 50 and 256 MB"
echo "# fib(30): $size bytes of JSON"
point "under 256 MB: no warning"

# Enough copies to pass 256 MB (two of gcc's fib(30), three of clang's): warned once,
# by the line that names the fix.
copies="$trace"
total=$size
while [ "$total" -le $((256 << 20)) ] && [ "$size" -gt 0 ]; do
	copies="$copies $trace"
	total=$((total + size))
done
# shellcheck disable=SC2086
"$tscope" chrome $copies -o /dev/null 2> "$tmp/two.err" ||
	problem "chrome on copies: $(cat "$tmp/two.err")"
want="tscope: $trace: warning: the JSON passed 256 MB, more than chrome://tracing can load: cut it with --split 200M, --from/--to, --min-duration or --focus"
printf '%s\n' "$want" > "$tmp/want"
cmp -s "$tmp/want" "$tmp/two.err" || problem "warning: $(cat "$tmp/two.err")"
point "past 256 MB: warned once, naming --split and the cuts"

finish
