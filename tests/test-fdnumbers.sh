#!/bin/sh
# test-fdnumbers.sh - while the program runs, the runtime opens no file: an open() of
# its would take the lowest free descriptor number for a moment, the one the program's
# own open(), pipe() or socket() of that moment expects (a daemon's close(0) then
# open("/dev/null") relies on it).  Under `tscope record --exclude` with 1 KiB buffers
# the pool maps buffers again and again from its /dev/shm file, and the writer names
# the functions it meets from the objects' symbol tables: strace shows that file
# opened once, at the start, and no file opened by any thread but the first of each
# process (the writer thread opens none).
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
# every thread's openat and execve calls, one file per thread (LeakSanitizer cannot
# run under ptrace: in a sanitizer build it is turned off for this run)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -ff -e trace=openat,execve \
	-o "$tmp/st" "$tscope" record --buffer 1k --exclude no_such_function -o "$tmp/fib.trace" \
	-- "$fib" 27 > "$tmp/out" 2> "$tmp/err" || problem "record: $(cat "$tmp/err")"
"$tscope" info "$tmp/fib.trace" > "$tmp/info" 2>&1 || problem "info: $(cat "$tmp/info")"
grep -q '^lost        0$' "$tmp/info" || problem "events lost: $(cat "$tmp/info")"
# a thousand buffers at least (gcc's fib(27) makes 1.27 million events, clang's 0.64)
grep -q '^chunks      [0-9]* ([0-9]\{4,\} EVENTS)$' "$tmp/info" ||
	problem "under 1000 buffers written: $(cat "$tmp/info")"
# fib's process: the one that created its buffers' file
f=$(grep -l 'openat(.*"/dev/shm/[^"]*", O_RDWR|O_CREAT' "$tmp"/st.* | head -n 1)
if [ -z "$f" ]; then
	problem "no process made a file in /dev/shm: $(cat "$tmp"/st.* | head -n 20)"
else
	opens=$(grep -c 'openat(.*"/dev/shm/[^"]*", O_RDWR' "$f")
	[ "$opens" = 1 ] || problem "fib opened its buffers' file $opens times: $(grep /dev/shm "$f" | head)"
fi
# a thread that is not a process's first (no execve in its file): no open at all
threads=0
for f in "$tmp"/st.*; do
	grep -q 'execve(' "$f" && continue
	threads=$((threads + 1))
	grep -q 'openat(' "$f" && problem "a thread opened: $(grep 'openat(' "$f" | head -n 5)"
done
[ $threads -ge 1 ] || problem "no writer thread seen: $(ls "$tmp")"
point "record --buffer 1k --exclude, fib(27), over 1000 buffers: the buffers' file opened once, and no open by the writer thread"
finish
