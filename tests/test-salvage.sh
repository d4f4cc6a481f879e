#!/bin/sh
# test-salvage.sh - a process killed with SIGKILL loses no event: its buffers live in
# /dev/shm (lib/salvage.h), and the next reader of its trace, or `tscope record`,
# finishes the trace from there; memory whose trace was since replaced is removed.
# tests/prog-adverse (libtscope.a) and tests/prog-adverse-plain (under record) run
# busy() once and leaf() 2000 times, print "ready" and wait to be killed.  Checked,
# with exact counts: a trace never opened (its events all in one buffer, its thread
# named), one opened
# and half written (1 KiB buffers), record with its program killed, a live process's
# trace left alone, memory readable by others not trusted, TSCOPE_SALVAGE=0 (nothing
# in /dev/shm), a /dev/shm too small for the buffers (anonymous memory: the program
# runs as ever), and no file left in /dev/shm by a process that ends normally.
#
# Needs top_builddir and top_srcdir (set by `make check`).  Works in
# tests/tmp-salvage.PID, removed when everything passed.
: "${top_builddir:?}" "${top_srcdir:?}"
LC_ALL=C
export LC_ALL
top_builddir=$(cd "$top_builddir" && pwd)
tscope=$top_builddir/tools/tscope
prog=$top_builddir/tests/prog-adverse
plain=$top_builddir/tests/prog-adverse-plain

. "$top_srcdir/tests/tap.sh"
tap_init salvage
unset TSCOPE_OUTPUT TSCOPE_ENABLE TSCOPE_MODE TSCOPE_BUFFER TSCOPE_COMPRESS TSCOPE_SNAPSHOT_SIGNAL \
	TSCOPE_SALVAGE
tmp=$(cd "$tmp" && pwd)

if [ ! -d /dev/shm ] || [ ! -w /dev/shm ]; then
	skip "salvage" "no writable /dev/shm here"
	finish
fi

# wait_ready OUT: until the program said "ready" (10 s at most)
wait_ready() {
	i=0
	while ! grep -q '^ready' "$1" 2> /dev/null && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	grep -q '^ready' "$1"
}

# calls TRACE FUNCTION: the calls column of FUNCTION in the flat report
calls() {
	"$tscope" report --flat --ns -t 0 "$1" 2> /dev/null | awk -v f="$2" '$NF == f { print $3 }'
}

# check_counts TRACE WHAT: busy() once, leaf() 2000 times, complete, nothing lost
check_counts() {
	b=$(calls "$1" busy)
	l=$(calls "$1" leaf)
	[ "$b" = 1 ] || problem "busy: '$b' calls, want 1"
	[ "$l" = 2000 ] || problem "leaf: '$l' calls, want 2000"
	"$tscope" info "$1" > "$tmp/info" 2>&1
	grep -q '^status *complete' "$tmp/info" || problem "$(grep '^status' "$tmp/info")"
	grep -q '^lost *0$' "$tmp/info" || problem "$(grep '^lost' "$tmp/info")"
	point "$2"
}

# killed_static NAME BUFFER: prog-adverse with BUFFER-byte buffers, killed when ready
killed_static() {
	rm -f "$tmp/$1.trace"
	(cd "$tmp" && TSCOPE_OUTPUT=$1.trace TSCOPE_BUFFER=$2 exec "$prog" busy 1 wait) \
		> "$tmp/$1.out" 2>&1 &
	pid=$!
	wait_ready "$tmp/$1.out" || problem "the program never said ready"
	[ -f "/dev/shm/tscope-$pid" ] || problem "no /dev/shm/tscope-$pid while it runs"
}

# ---- a trace never opened: everything was in the thread's buffer ----------------------
killed_static never 256k
kill -9 "$pid"
wait "$pid" 2> /dev/null
[ -e "$tmp/never.trace" ] && problem "never.trace exists before it is read"
point "SIGKILL, 256 KiB buffer: no trace yet, its memory in /dev/shm"
check_counts "$tmp/never.trace" "SIGKILL, 256 KiB buffer: the reader makes the trace, every call in it"
[ -e "/dev/shm/tscope-$pid" ] && problem "/dev/shm/tscope-$pid is still there"
"$tscope" folded "$tmp/never.trace" > "$tmp/never.folded" 2>&1 || problem "folded failed"
grep -q '^[^ ]*;leaf 2000$\|leaf' "$tmp/never.folded" || problem "folded names no leaf"
point "SIGKILL, 256 KiB buffer: the memory removed, the functions named"
"$tscope" info "$tmp/never.trace" > "$tmp/info" 2>&1
awk -v p="$pid" '$1 == p && $4 == "prog-adverse"' "$tmp/info" | grep -q . ||
	problem "thread $pid not named prog-adverse: $(awk -v p="$pid" '$1 == p' "$tmp/info")"
point "SIGKILL, 256 KiB buffer: the thread named, from the buffer it was filling"

# ---- memory another user could have written: not trusted ---------------------------------
killed_static foreign 256k
kill -9 "$pid"
wait "$pid" 2> /dev/null
chmod 644 "/dev/shm/tscope-$pid"
"$tscope" info "$tmp/foreign.trace" > /dev/null 2>&1 && problem "foreign.trace was made"
[ -e "/dev/shm/tscope-$pid" ] || problem "/dev/shm/tscope-$pid was removed"
chmod 600 "/dev/shm/tscope-$pid"
check_counts "$tmp/foreign.trace" "memory readable by others is left alone; once private, read as ever"

# ---- a trace opened and half written ------------------------------------------------
killed_static half 1k
"$tscope" info "$tmp/half.trace" > "$tmp/info" 2>&1
grep -q '^status *truncated' "$tmp/info" || problem "live: $(grep '^status' "$tmp/info")"
[ -f "/dev/shm/tscope-$pid" ] || problem "reading a live process's trace removed its memory"
point "a live process's trace is read as it is, its memory left alone"
kill -9 "$pid"
wait "$pid" 2> /dev/null
check_counts "$tmp/half.trace" "SIGKILL, 1 KiB buffers: the trace finished, every call in it"
[ -e "/dev/shm/tscope-$pid" ] && problem "/dev/shm/tscope-$pid is still there"
point "SIGKILL, 1 KiB buffers: the memory removed"

# ---- memory that can no longer be used: removed by the next reader -----------------------
killed_static stale 1k
kill -9 "$pid"
wait "$pid" 2> /dev/null
(cd "$tmp" && TSCOPE_OUTPUT=stale.trace exec "$prog" busy 1 exit) > /dev/null 2>&1 ||
	problem "the second run failed"
[ -e "/dev/shm/tscope-$pid" ] || problem "/dev/shm/tscope-$pid went before any reader ran"
check_counts "$tmp/stale.trace" "a killed run's trace replaced by a new run: the new one read as it is"
[ -e "/dev/shm/tscope-$pid" ] && problem "/dev/shm/tscope-$pid is still there"
point "and the killed run's memory, whose trace is gone, removed"

# ---- under record ----------------------------------------------------------------------
"$tscope" record -o "$tmp/rec.trace" -- "$plain" busy 1 wait > "$tmp/rec.out" 2> "$tmp/rec.err" &
rpid=$!
wait_ready "$tmp/rec.out" || problem "the program never said ready"
ppid=$(awk '$1 == "val" && $2 == "pid" { print $3 }' "$tmp/rec.out")
ls /dev/shm | grep -q "^tscope-$rpid-$ppid\$" || problem "no /dev/shm/tscope-$rpid-$ppid"
kill -9 "$ppid"
wait "$rpid"
st=$?
[ "$st" = 137 ] || problem "record exited $st, want 137 (the program's SIGKILL)"
[ -s "$tmp/rec.err" ] && problem "record said: $(cat "$tmp/rec.err")"
ls /dev/shm | grep -q "^tscope-$rpid-" && problem "record left $(ls /dev/shm | grep "^tscope-$rpid-")"
point "record, its program killed: status 137, nothing said, the memory removed"
check_counts "$tmp/rec.trace" "record, its program killed: every call in the trace"

# ---- TSCOPE_SALVAGE=0 --------------------------------------------------------------------
(cd "$tmp" && TSCOPE_SALVAGE=0 TSCOPE_OUTPUT=off.trace TSCOPE_BUFFER=256k exec "$prog" busy 1 wait) \
	> "$tmp/off.out" 2>&1 &
pid=$!
wait_ready "$tmp/off.out" || problem "the program never said ready"
[ -e "/dev/shm/tscope-$pid" ] && problem "/dev/shm/tscope-$pid with TSCOPE_SALVAGE=0"
kill -9 "$pid"
wait "$pid" 2> /dev/null
"$tscope" info "$tmp/off.trace" > /dev/null 2>&1 && problem "a trace appeared: off.trace"
point "TSCOPE_SALVAGE=0: anonymous memory, nothing in /dev/shm"

# ---- a normal end leaves nothing ----------------------------------------------------------
(cd "$tmp" && TSCOPE_OUTPUT=norm.trace TSCOPE_BUFFER=1k exec "$prog" busy 1 exit) > "$tmp/norm.out" 2>&1
st=$?
pid=$(awk '$1 == "val" && $2 == "pid" { print $3 }' "$tmp/norm.out")
[ "$st" = 0 ] || problem "exit status $st"
[ -n "$pid" ] && [ -e "/dev/shm/tscope-$pid" ] && problem "/dev/shm/tscope-$pid left behind"
point "a normal exit: no file left in /dev/shm"
check_counts "$tmp/norm.trace" "a normal exit: every call in the trace"

# ---- a /dev/shm too small: anonymous memory ---------------------------------------------
small=$tmp/small
mkdir -p "$small"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=96k tscope-test "$small" 2> /dev/null; then
	(cd "$tmp" && TSCOPE_SALVAGE=$small/tscope TSCOPE_OUTPUT=small.trace TSCOPE_BUFFER=1M \
		exec "$prog" busy 1 exit) > "$tmp/small.out" 2> "$tmp/small.err"
	st=$?
	[ "$st" = 0 ] || problem "exit status $st"
	[ -s "$tmp/small.err" ] && problem "said: $(cat "$tmp/small.err")"
	left=$(ls "$small")
	[ -n "$left" ] && problem "left in the small tmpfs: $left"
	umount "$small"
	point "a tmpfs too small for the buffers: the program runs as ever, nothing left"
	check_counts "$tmp/small.trace" "a tmpfs too small for the buffers: every call in the trace"
else
	skip "a tmpfs too small for the buffers" "cannot mount a tmpfs here (needs root)"
	skip "a tmpfs too small for the buffers: every call" "cannot mount a tmpfs here"
fi

finish
