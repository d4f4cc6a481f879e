#!/bin/sh
# test-fdnumbers.sh - while the program runs, the runtime opens no file: an open() of
# its would take the lowest free descriptor number for a moment, the one the program's
# own open(), pipe() or socket() of that moment expects (a daemon's close(0) then
# open("/dev/null") relies on it).  Under `tscope record` with 1 KiB buffers the pool
# maps buffers again and again from its /dev/shm file: strace shows that file opened
# once, at the start, and never again.
#
# Needs top_builddir and top_srcdir (set by `make check`), and strace (skipped
# without it).  Works in tests/tmp-fdnumbers.PID, removed when everything passed.
: "${top_builddir:?}" "${top_srcdir:?}"
LC_ALL=C
export LC_ALL
tscope=$top_builddir/tools/tscope
fib=$top_builddir/examples/fib

. "$top_srcdir/tests/tap.sh"
tap_init fdnumbers
unset TSCOPE_OUTPUT TSCOPE_ENABLE TSCOPE_MODE TSCOPE_BUFFER TSCOPE_COMPRESS TSCOPE_SALVAGE

if ! command -v strace > /dev/null 2>&1; then
	skip "the buffers' file is opened once" "no strace"
	finish
fi
# the process's own openat calls, with their results, in one file per process
strace -ff -e trace=openat -o "$tmp/st" "$tscope" record --buffer 1k -o "$tmp/fib.trace" \
	-- "$fib" 27 > "$tmp/out" 2> "$tmp/err" || problem "record: $(cat "$tmp/err")"
"$tscope" info "$tmp/fib.trace" > "$tmp/info" 2>&1 || problem "info: $(cat "$tmp/info")"
grep -q '^lost        0$' "$tmp/info" || problem "events lost: $(cat "$tmp/info")"
grep -q '^events      [0-9]\{7\} ' "$tmp/info" || problem "under a million events: $(cat "$tmp/info")"
# fib's process: the one that created its buffers' file
f=$(grep -l 'openat(.*"/dev/shm/[^"]*", O_RDWR|O_CREAT' "$tmp"/st.* | head -n 1)
if [ -z "$f" ]; then
	problem "no process made a file in /dev/shm: $(cat "$tmp"/st.* | head -n 20)"
else
	opens=$(grep -c 'openat(.*"/dev/shm/[^"]*", O_RDWR' "$f")
	[ "$opens" = 1 ] || problem "fib opened its buffers' file $opens times: $(grep /dev/shm "$f" | head)"
fi
point "record --buffer 1k, fib(27): the buffers' file opened once, while more than a million events came"
finish
