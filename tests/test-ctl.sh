#!/bin/sh
# test-ctl.sh - `tscope ctl` on running traced programs, and `tscope record --trigger`,
# end to end with exact call counts.
#
#   - tests/prog-ctl phases: phase p calls phase<p>() K times when the test says so
#     through a FIFO, and answers when done, so that every ctl request falls between
#     two phases.  Recorded --start-paused, ctl start before phase 2, flush after it
#     (the file then holds exactly K phase2, the program still running), stop before
#     phase 3, start before phase 4: the trace has 0 phase1, K phase2, 0 phase3, K
#     phase4, in one file whose chunk after the stop is flagged resumed; the converters
#     say nothing was repaired.
#   - ring mode: ctl snapshot after phase 1 writes exactly K phase1; stream mode: ctl
#     snapshot is a flush.
#   - tests/prog-ctl trigger 5 calls work(1) five times (work(1) calls work(0); each
#     calls leaf() 1000 times and inner() once, which calls leaf() twice; main calls
#     leaf() 10 times between two): --trigger work --count 2 records exactly two
#     subtrees: work 2 + 2 nested, inner 4, leaf 4008, and nothing between them;
#     --count 7 records the five; an unknown function is said, and nothing recorded.
#   - ctl on a process not traced, on no process, and bad usage.
# Needs top_builddir and top_srcdir (set by `make check`).  Works in
# tests/tmp-ctl.PID, removed when everything passed.
: "${top_builddir:?}" "${top_srcdir:?}"
LC_ALL=C
export LC_ALL
tscope=$top_builddir/tools/tscope
prog=$top_builddir/tests/prog-ctl
K=1000

. "$top_srcdir/tests/tap.sh"
tap_init ctl
unset TSCOPE_OUTPUT TSCOPE_ENABLE TSCOPE_MODE TSCOPE_BUFFER TSCOPE_COMPRESS TSCOPE_SNAPSHOT_SIGNAL
unset TSCOPE_CONTROL_SIGNAL TSCOPE_START_PAUSED TSCOPE_TRIGGER

# calls TRACE: "name=calls" per function, sorted, on one line (report --flat)
calls() {
	"$tscope" report --flat --ns "$1" 2> "$tmp/calls.err" |
		awk 'NR > 1 && $3 ~ /^[0-9]+$/ { print $NF "=" $3 }' | sort | tr '\n' ' '
}

# expect WHAT GOT WANT: a problem unless equal
expect() {
	[ "$2" = "$3" ] || problem "$1: got '$2', want '$3'"
}

# start_prog TRACE RECORD-OPTIONS...: prog-ctl phases under record in the background,
# its FIFOs on fds 3 (requests) and 4 (answers), its pid in $pid
start_prog() {
	trace=$1
	shift
	rm -f "$tmp/fifo.in" "$tmp/fifo.out"
	mkfifo "$tmp/fifo.in" "$tmp/fifo.out" || exit 1
	"$tscope" record -o "$trace" "$@" -- "$prog" phases "$tmp/fifo.in" "$tmp/fifo.out" $K 4 \
		> "$tmp/rec.out" 2>&1 &
	rec=$!
	# a watchdog: a program that never opens its FIFOs must not hang the test
	(sleep 120; kill "$rec" 2> /dev/null) > /dev/null 2>&1 &
	watchdog=$!
	exec 4< "$tmp/fifo.out"
	read -r pid <&4
	exec 3> "$tmp/fifo.in"
}

# phase: let the program run its next phase, and wait until it has
phase() {
	echo go >&3
	read -r done <&4 || problem "the program did not answer"
}

# end_prog: the program ends; record's status in $rec_status
end_prog() {
	exec 3>&- 4<&-
	wait "$rec"
	rec_status=$?
	kill "$watchdog" 2> /dev/null
}

# ---- stream mode: start-paused, start, flush, stop, start --------------------------------
start_prog "$tmp/s.trace" --start-paused
phase
"$tscope" ctl "$pid" start > "$tmp/out" 2>&1
ok $? "ctl start on a process recorded --start-paused"
phase
"$tscope" ctl "$pid" flush > "$tmp/out" 2>&1
ok $? "ctl flush"
expect "while running, after the flush" "$(calls "$tmp/s.trace")" "phase2=$K "
point "after flush the file holds exactly the $K phase2 calls, the program still running"
"$tscope" ctl "$pid" stop > "$tmp/out" 2>&1
ok $? "ctl stop"
phase
"$tscope" ctl "$pid" start > "$tmp/out" 2>&1
ok $? "ctl start after stop"
phase
end_prog
expect "record's status" "$rec_status" 0
expect "calls" "$(calls "$tmp/s.trace")" "phase2=$K phase4=$K "
point "one trace: 0 phase1 (paused), $K phase2, 0 phase3 (stopped), $K phase4"
grep -v "begun before the recorded events" "$tmp/calls.err" > "$tmp/err2"
[ -s "$tmp/err2" ] && problem "report said: $(cat "$tmp/err2")"
"$tscope" dump "$tmp/s.trace" | grep -c ' EVENTS .* resumed$' > "$tmp/n"
expect "chunks flagged resumed" "$(cat "$tmp/n")" 1
point "the window after the stop is flagged, and nothing else is repaired"

# ---- ring mode: snapshot; stream mode: snapshot is a flush -------------------------------
start_prog "$tmp/r.trace" --ring=1M
phase
"$tscope" ctl "$pid" snapshot > "$tmp/out" 2>&1
ok $? "ctl snapshot in ring mode"
expect "after the snapshot" "$(calls "$tmp/r.trace")" "phase1=$K "
point "the snapshot holds exactly the $K phase1 calls"
phase
phase
phase
end_prog
expect "at the end" "$(calls "$tmp/r.trace")" "phase1=$K phase2=$K phase3=$K phase4=$K "
point "ring mode: the rest at exit, nothing twice"

start_prog "$tmp/f.trace"
phase
"$tscope" ctl "$pid" snapshot > "$tmp/out" 2>&1
ok $? "ctl snapshot in stream mode"
expect "after it" "$(calls "$tmp/f.trace")" "phase1=$K "
phase
"$tscope" ctl "$pid" flush > "$tmp/out" 2>&1
phase
phase
end_prog
expect "at the end" "$(calls "$tmp/f.trace")" "phase1=$K phase2=$K phase3=$K phase4=$K "
point "stream mode: snapshot flushes; after two flushes every call once"

# ---- --trigger ------------------------------------------------------------------------
"$tscope" record -o "$tmp/t.trace" --trigger work --count 2 -- "$prog" trigger 5 > "$tmp/out" 2>&1
ok $? "record --trigger work --count 2"
expect "calls" "$(calls "$tmp/t.trace")" "inner=4 leaf=4008 work=4 "
"$tscope" report -t 0 --ns -s name "$tmp/t.trace" 2> /dev/null |
	awk 'NR > 4 { print $3, substr($0, index($0, "%  ") + 3) }' \
	> "$tmp/tree"
cat > "$tmp/want" << EOF
2 work
2   inner
4     leaf
2000   leaf
2   work
2     inner
4       leaf
2000     leaf
EOF
cmp -s "$tmp/tree" "$tmp/want" || problem "tree: $(cat "$tmp/tree")"
point "exactly two work subtrees, each complete: leaf 1000 + 1000, inner 1 + 1, nothing else"

"$tscope" record -o "$tmp/t7.trace" --trigger work --count 7 -- "$prog" trigger 5 > "$tmp/out" 2>&1
expect "calls" "$(calls "$tmp/t7.trace")" "inner=10 leaf=10020 work=10 "
point "--count 7 on five calls: the five, and nothing between them"

"$tscope" record -o "$tmp/tn.trace" --trigger no_such_function -- "$prog" trigger 5 > "$tmp/out" 2>&1
grep -q "^tscope: TSCOPE_TRIGGER: no function 'no_such_function' in the program or its libraries" \
	"$tmp/out" || problem "not said: $(cat "$tmp/out")"
expect "calls" "$(calls "$tmp/tn.trace")" ""
point "an unknown trigger function is said, and nothing is recorded"

# ---- errors ---------------------------------------------------------------------------
"$tscope" ctl $$ stop > "$tmp/out" 2>&1
st=$?
expect "status" $st 1
grep -q "^tscope: $$: not traced by \`tscope record\`" "$tmp/out" || problem "$(cat "$tmp/out")"
point "ctl on a process not traced: a clear error, status 1"
sleep 1000 &
sl=$!
"$tscope" ctl $sl stop > "$tmp/out" 2>&1
expect "status" $? 1
kill $sl
"$tscope" ctl 2147483 start > "$tmp/out" 2>&1
st=$?
expect "status" $st 1
grep -q "^tscope: 2147483: no such process" "$tmp/out" || problem "$(cat "$tmp/out")"
point "ctl on no process, or on one that is not traced: status 1"
"$tscope" ctl 1 pause > /dev/null 2>&1
expect "unknown request" $? 2
"$tscope" ctl start > /dev/null 2>&1
expect "no pid" $? 2
"$tscope" record --count 2 -- true > /dev/null 2>&1
expect "--count alone" $? 2
"$tscope" record --control-signal USR1 -- true > /dev/null 2>&1
expect "--control-signal not real-time" $? 2
"$tscope" ctl --help | grep -q "^Usage: tscope ctl" || problem "ctl --help"
point "bad usage: status 2"

finish
