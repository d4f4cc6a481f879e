#!/bin/sh
# test-offcpu.sh - time off the CPU outside the wrapped calls (record --io samples each
# thread's CPU time; report estimates each function's share: the off-cpu~ column).
#
# tests/prog-offcpu spins in functions and prints what each really got, its wall and
# CPU time, so the time it was off the CPU (wall - CPU) is known even on a loaded
# machine; the report's estimate must match it:
#   - stopped: the test stops the process for 400 ms (SIGSTOP, SIGCONT) while the
#     function spins: its off-cpu~ is its real off-CPU time (+-5%, or 10 ms), at least
#     360 ms, and its self time (on the CPU) its CPU time (+-10%);
#   - compute: nothing but computing: its off-cpu~ is its real one (+-10%, or 10 ms),
#     0 on an idle machine;
#   - pinned_spin: two threads pinned to one CPU, each preempted by the other: each
#     one's off-cpu~ is its real one (+-10%, or 10 ms), and at least 80 ms.
# The 200 ms wait of tests/prog-io on a condition variable stays wait, not off-cpu~.
# chrome draws a counter of each thread's share of time on the CPU.
# Without --io: no CPU samples, no off-cpu~ column, tscope info says nothing of them;
# nor with --trigger.
# Needs top_builddir and top_srcdir (make check).
: "${top_builddir:?}" "${top_srcdir:?}"
LC_ALL=C
export LC_ALL
tscope=$top_builddir/tools/tscope
prog=$top_builddir/tests/prog-offcpu

. "$top_srcdir/tests/tap.sh"
tap_init offcpu
unset TSCOPE_OUTPUT TSCOPE_ENABLE TSCOPE_MODE TSCOPE_BUFFER TSCOPE_COMPRESS TSCOPE_SNAPSHOT_SIGNAL \
	TSCOPE_MALLOC TSCOPE_IO

# ---- record, stopping the program for 400 ms in `stopped` -------------------------------------
go=$tmp/go
"$tscope" record --io -o "$tmp/off.trace" "$prog" "$go" > "$tmp/truth" 2> "$tmp/err" &
rec=$!
i=0
while [ ! -s "$go" ] && [ $i -lt 3000 ]; do
	sleep 0.01
	i=$((i + 1))
done
pid=$(cat "$go" 2> /dev/null)
if [ -n "$pid" ]; then
	kill -STOP "$pid"
	sleep 0.4
	kill -CONT "$pid"
else
	problem "the program never said it was spinning"
fi
wait $rec || problem "record --io: $(cat "$tmp/err")"
"$tscope" report -t 0 --ns "$tmp/off.trace" > "$tmp/tree" 2>&1 || problem "report: $(cat "$tmp/tree")"
"$tscope" report --flat --ns "$tmp/off.trace" > "$tmp/flat" 2>&1 || problem "report --flat: $(cat "$tmp/flat")"
grep -q -E '^ +incl +self +wait +calls +avg +thread +off-cpu~ +function$' "$tmp/tree" ||
	problem "tree: no off-cpu~ column: $(cat "$tmp/tree")"
grep -q -E '^ +self +self% +wait +off-cpu~ +calls' "$tmp/flat" ||
	problem "flat: no off-cpu~ column: $(cat "$tmp/flat")"
grep -q 'an estimate' "$tmp/tree" || problem "tree: the estimate is not said"
point "record --io: the tree and the flat report have an off-cpu~ column, said to be estimated"

# row FUNC: "self off" of FUNC in the main thread's tree (the first thread)
row() {
	awk -v f="$1" '/^thread / { t++ } t == 1 && $NF == f { print $2, $(NF - 1); exit }' "$tmp/tree"
}
# truth FUNC: "wall cpu" as the program measured them
truth() {
	awk -v f="$1" '$1 == f { print $2, $3; exit }' "$tmp/truth"
}
# near GOT WANT PERCENT: GOT within PERCENT of WANT, or within 10 ms
near() {
	awk -v g="$1" -v w="$2" -v p="$3" 'BEGIN { d = g - w; if (d < 0) d = -d
		exit !(d <= w * p / 100 || d <= 10000000) }'
}

set -- $(row stopped) $(truth stopped)
echo "# stopped: self $1 ns, off-cpu~ $2 ns; really: wall $3 ns, cpu $4 ns"
if [ $# -ne 4 ]; then
	problem "stopped: no row or no truth: $(cat "$tmp/tree") -- $(cat "$tmp/truth")"
else
	real=$(($3 - $4))
	[ "$real" -ge 400000000 ] || problem "the stop missed the function: really off the CPU $real ns"
	near "$2" "$real" 5 || problem "stopped: off-cpu~ $2 ns, really $real ns"
	[ "$2" -ge 360000000 ] || problem "stopped: off-cpu~ $2 ns, under 360 ms"
	near "$1" "$4" 10 || problem "stopped: self $1 ns, its CPU time $4 ns"
	flat=$(awk '$NF == "stopped" { print $4 }' "$tmp/flat")
	[ "$flat" = "$2" ] || problem "stopped: flat off-cpu~ $flat, tree $2"
fi
point "stopped 400 ms while spinning: off-cpu~ is the time stopped (+-5%), self the CPU time"

set -- $(row compute) $(truth compute)
echo "# compute: self $1 ns, off-cpu~ $2 ns; really: wall $3 ns, cpu $4 ns"
if [ $# -ne 4 ]; then
	problem "compute: no row or no truth"
else
	near "$2" $(($3 - $4)) 10 || problem "compute: off-cpu~ $2 ns, really $(($3 - $4)) ns"
	near "$1" "$4" 10 || problem "compute: self $1 ns, its CPU time $4 ns"
fi
point "computing only: off-cpu~ is the time it was preempted (+-10%), 0 on an idle machine"

if grep -q '^pinned none' "$tmp/truth"; then
	skip "two threads pinned to one CPU" "no CPU to pin them to"
else
	# compute under pinned_spin, in the second and third threads
	awk '/^thread / { t++ } t > 1 && $NF == "compute" { print $(NF - 1) }' "$tmp/tree" |
		sort -n > "$tmp/pin.got"
	awk '$1 == "pinned" { print $2 - $3 }' "$tmp/truth" | sort -n > "$tmp/pin.want"
	echo "# pinned: off-cpu~ $(echo $(cat "$tmp/pin.got")); really $(echo $(cat "$tmp/pin.want"))"
	[ "$(wc -l < "$tmp/pin.got")" = 2 ] || problem "pinned: $(cat "$tmp/tree")"
	paste "$tmp/pin.got" "$tmp/pin.want" > "$tmp/pin"
	while read -r got want; do
		near "$got" "$want" 10 || problem "pinned: off-cpu~ $got ns, really $want ns"
		[ "$got" -ge 80000000 ] || problem "pinned: off-cpu~ $got ns, under 80 ms"
	done < "$tmp/pin"
	point "two threads pinned to one CPU: each one's off-cpu~ is its time preempted (+-10%)"
fi

"$tscope" info "$tmp/off.trace" > "$tmp/info" 2>&1
grep -q -E '^cpu samples [0-9]+ in 3 threads: ' "$tmp/info" || problem "info: $(cat "$tmp/info")"
"$tscope" dump "$tmp/off.trace" > "$tmp/dump"
# two around each wrapped call: at least 13 of them (main's open of /dev/null, its 3
# marks and 2 joins, the open, write and close of the pid file, the 2 marks of each
# pinned thread), more when a lock was contended (the runtime's own at a thread's exit)
set -- $(grep -c ' CPU call ' "$tmp/dump") $(grep -c -E ' (IO|WAIT) ' "$tmp/dump")
[ "$1" = $(($2 * 2)) ] && [ "$2" -ge 13 ] || problem "dump: $1 CPU samples around $2 calls"
"$tscope" report --io "$tmp/off.trace" 2>&1 | head -n 1 |
	grep -q 'off the CPU outside them: .* in 3 threads, .* an estimate)$' ||
	problem "report --io: no off-CPU total: $("$tscope" report --io "$tmp/off.trace" 2>&1)"
point "info says the trace has CPU samples, dump shows two around each wrapped call, report --io the total"

# chrome: a counter of the share of time on the CPU per thread; the main thread's
# dips to the stop's interval (250 ms of CPU in at least 650 ms: under 40%)
"$tscope" chrome "$tmp/off.trace" -o "$tmp/off.json" 2> "$tmp/err" || problem "chrome: $(cat "$tmp/err")"
python3 - "$tmp/off.json" "$pid" > "$tmp/pct" << 'PY' || problem "chrome counter: $(cat "$tmp/pct")"
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
stop = [e for e in ev if e.get("ph") == "X" and e["name"] == "stopped"]
a, b = (stop[0]["ts"], stop[0]["ts"] + stop[0]["dur"]) if stop else (0, 0)
c = [e for e in ev if e.get("ph") == "C" and e["name"] == "cpu % thread " + sys.argv[2]]
v = [e["args"]["value"] for e in c if a <= e["ts"] < b]  # samples in stopped
names = {e["name"] for e in ev if e.get("ph") == "C" and e["name"].startswith("cpu % thread ")}
print(len(names), min(v) if v else -1, max(v) if v else -1)
sys.exit(not (len(names) == 3 and v and 0 <= min(v) <= 40 and max(v) <= 100))
PY
echo "# chrome: cpu % counters, the main thread's lowest and highest in stopped: $(cat "$tmp/pct")"
point "chrome: a cpu % counter per thread, the main thread's under 40% where it was stopped"

# ---- a wait stays a wait ------------------------------------------------------------------------
mkdir -p "$tmp/dir"
"$tscope" record --io -o "$tmp/io.trace" "$top_builddir/tests/prog-io" "$tmp/dir" > "$tmp/out" 2>&1 ||
	problem "record --io prog-io: $(cat "$tmp/out")"
"$tscope" report -t 0 --ns "$tmp/io.trace" > "$tmp/iotree" 2>&1
awk '$NF == "wait_for_go" { print $3, $(NF - 1) }' "$tmp/iotree" > "$tmp/w"
set -- $(cat "$tmp/w")
echo "# wait_for_go: wait $1 ns, off-cpu~ $2 ns"
if [ $# -ne 2 ]; then
	problem "wait_for_go: $(cat "$tmp/iotree")"
else
	[ "$1" -ge 190000000 ] && [ "$1" -le 210000000 ] || problem "wait_for_go: wait $1 ns"
	[ "$2" -le 10000000 ] || problem "wait_for_go: off-cpu~ $2 ns: the wait counted twice"
fi
point "200 ms on a condition variable: wait, not off-cpu~ (no double count)"

# ---- without --io: nothing ----------------------------------------------------------------------
"$tscope" record -o "$tmp/plain.trace" "$prog" - > /dev/null 2> "$tmp/err" ||
	problem "record: $(cat "$tmp/err")"
"$tscope" dump "$tmp/plain.trace" | grep -q ' CPU ' && problem "CPU samples without --io"
"$tscope" report "$tmp/plain.trace" 2>&1 | grep -q 'off-cpu' && problem "an off-cpu~ column without --io"
"$tscope" report --flat "$tmp/plain.trace" 2>&1 | grep -q 'off-cpu' && problem "flat: an off-cpu~ column without --io"
"$tscope" info "$tmp/plain.trace" 2>&1 | grep -q 'cpu samples' && problem "info: CPU samples without --io"
point "without --io: no CPU sample, no off-cpu~ column"

# ---- --trigger: what runs between the triggered calls is not recorded: no samples ---------
"$tscope" record --io --trigger compute -o "$tmp/trig.trace" "$prog" - > /dev/null 2> "$tmp/err" ||
	problem "record --trigger: $(cat "$tmp/err")"
"$tscope" dump "$tmp/trig.trace" | grep -q ' CPU ' && problem "CPU samples with --trigger"
"$tscope" report "$tmp/trig.trace" 2>&1 | grep -q 'off-cpu' && problem "an off-cpu~ column with --trigger"
point "--io --trigger: no CPU sample (what runs between triggered calls is not recorded)"
finish
