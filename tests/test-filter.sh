#!/bin/sh
# test-filter.sh - record-time filters and the recording window, end to end with exact
# call counts (tests/prog-filter.c says what the program calls):
#
#   - `tscope record` of prog-filter-plain tree, with a dlopen'd library: unfiltered,
#     then --exclude (a function of the program, one of the library by glob;
#     dropped by libtscope-exclude's hooks, and by the writer with --max-depth),
#     --include (subtrees kept), --max-depth, --min-duration (only the 200 us calls
#     stay; the others are counted as dropped, with exact counts, in report --flat and
#     info), in ring mode too;
#   - the linked prog-filter with TSCOPE_* set: --min-duration keeps a short call that
#     recorded an instant (XRay's rule), TSCOPE_EXCLUDE drops by name;
#   - --delay 250ms --duration 500ms on phases 500 ms apart: the middle phase only;
#   - --throttle on a million tiny calls: a trace at least 10 times smaller, exact
#     counts still, and the line that names the throttled function (how many calls
#     are recorded before the average is under the limit depends on the machine);
#   - bad options and values, and a DROP chunk whose count lies.
# Needs top_builddir and top_srcdir (set by `make check`).  Works in
# tests/tmp-filter.PID, removed when everything passed.
: "${top_builddir:?}" "${top_srcdir:?}"
LC_ALL=C
export LC_ALL
tscope=$top_builddir/tools/tscope
plain=$top_builddir/tests/prog-filter-plain
linked=$top_builddir/tests/prog-filter
dlmod=$top_builddir/tests/.libs/libprog-dlmod.so

. "$top_srcdir/tests/tap.sh"
tap_init filter
unset TSCOPE_OUTPUT TSCOPE_ENABLE TSCOPE_MODE TSCOPE_BUFFER TSCOPE_COMPRESS TSCOPE_SNAPSHOT_SIGNAL
unset TSCOPE_CONTROL_SIGNAL TSCOPE_START_PAUSED TSCOPE_TRIGGER TSCOPE_EXCLUDE TSCOPE_INCLUDE
unset TSCOPE_MAX_DEPTH TSCOPE_MIN_DURATION TSCOPE_THROTTLE TSCOPE_DELAY TSCOPE_DURATION

# calls TRACE: "name=calls" per function (report --flat), or "name=calls/dropped" when
# the trace has a DROP chunk, sorted, on one line
calls() {
	"$tscope" report --flat --ns "$1" 2> "$tmp/calls.err" |
		awk '$3 ~ /^[0-9]+$/ { if (d) print $NF "=" $3 "/" $4; else print $NF "=" $3 }
		     $4 == "dropped" { d = 1 }' | sort | tr '\n' ' '
}

# expect WHAT GOT WANT: a problem unless equal
expect() {
	[ "$2" = "$3" ] || problem "$1: got '$2', want '$3'"
}

# rec NAME OPTIONS... -- ARGS: record prog-filter-plain into $tmp/NAME.trace
rec() {
	name=$1
	shift
	"$tscope" record -o "$tmp/$name.trace" "$@" > "$tmp/$name.out" 2> "$tmp/$name.err"
	st=$?
	[ "$st" -eq 0 ] || problem "record $*: status $st: $(cat "$tmp/$name.err")"
}

rec all -- "$plain" tree "$dlmod"
expect calls "$(calls "$tmp/all.trace")" \
	"a=3 b=6 c=18 dlmod_entry=1 dlmod_leaf=5 fast=7 main=1 marked=2 slow=5 "
point "unfiltered: every call"

rec exc --exclude c --exclude 'dlmod_l*' -- "$plain" tree "$dlmod"
expect calls "$(calls "$tmp/exc.trace")" \
	"a=3/0 b=6/0 dlmod_entry=1/0 fast=7/0 main=1/0 marked=2/0 slow=5/0 "
"$tscope" dump "$tmp/exc.trace" > "$tmp/exc.dump"
expect "events of c or dlmod_leaf" "$(grep -c 'c$\|dlmod_leaf' "$tmp/exc.dump")" 0
grep -q 'DROP.* count=0 reasons=0x21$' "$tmp/exc.dump" || problem "no DROP chunk saying: by the hooks"
"$tscope" info "$tmp/exc.trace" | grep -q "^            and the excluded functions' calls, dropped by the hooks: not counted" ||
	problem "info does not say the hooks dropped calls"
point "--exclude c --exclude 'dlmod_l*': their calls dropped, the dlopen'd one too, uncounted"

# with --max-depth (which counts every call) the writer drops them, and counts them
rec exc2 --exclude c --exclude 'dlmod_l*' --max-depth 100 -- "$plain" tree "$dlmod"
expect calls "$(calls "$tmp/exc2.trace")" \
	"a=3/0 b=6/0 c=18/18 dlmod_entry=1/0 dlmod_leaf=5/5 fast=7/0 main=1/0 marked=2/0 slow=5/0 "
"$tscope" dump "$tmp/exc2.trace" > "$tmp/exc2.dump"
grep -q 'DROP.* count=4 reasons=0x5$' "$tmp/exc2.dump" || problem "no DROP chunk of 4: c, dlmod_leaf and their callers"
point "--exclude c --exclude 'dlmod_l*' --max-depth 100: their calls dropped and counted"

# the hooks drop tiny once the writer decided it: work's 1,000,000 calls of it after
# that leave nothing, and cost a few ns each
rec hooks --exclude tiny -- "$plain" hooks
expect said "$(sed 's/ after .*//' "$tmp/hooks.out")" "tiny dropped by the hooks"
rounds=$(sed -n 's/.* after \([0-9]*\) rounds$/\1/p' "$tmp/hooks.out")
expect calls "$(calls "$tmp/hooks.trace")" "main=1/0 work=$((rounds * 10 + 1000))/0 "
point "--exclude tiny: the hooks drop it ($rounds rounds of 10000 calls before)"

rec inc --include b --include slow -- "$plain" tree "$dlmod"
expect calls "$(calls "$tmp/inc.trace")" \
	"a=3/3 b=6/0 c=18/0 dlmod_entry=1/1 dlmod_leaf=5/5 fast=7/7 main=1/1 marked=2/2 slow=5/0 "
point "--include b --include slow: their subtrees only"

rec depth --max-depth 2 -- "$plain" tree "$dlmod"
expect calls "$(calls "$tmp/depth.trace")" \
	"a=3/0 b=6/6 c=18/18 dlmod_entry=1/0 dlmod_leaf=5/5 fast=7/0 main=1/0 marked=2/0 slow=5/0 "
point "--max-depth 2: main and what it calls"

rec min --min-duration 50us -- "$plain" tree "$dlmod"
expect calls "$(calls "$tmp/min.trace")" \
	"a=3/3 b=6/6 c=18/18 dlmod_entry=1/1 dlmod_leaf=5/5 fast=7/7 main=1/0 marked=2/2 slow=5/0 "
"$tscope" report --flat --ns "$tmp/min.trace" > "$tmp/min.flat"
awk '$NF == "slow" && ($7 < 200000 || $1 < 1000000) { bad = 1 } END { exit bad }' \
	"$tmp/min.flat" || problem "slow: $(grep slow "$tmp/min.flat")"
"$tscope" info "$tmp/min.trace" > "$tmp/min.info"
grep -q '^dropped     42 calls by the record filters (min-duration), ' "$tmp/min.info" ||
	problem "info: $(grep dropped "$tmp/min.info")"
expect "events left" "$(grep '^events ' "$tmp/min.info")" "events      12 in 12 slots"
point "--min-duration 50us: the 5 calls of 200 us and main kept, 42 calls dropped and counted"

rec ring --ring --exclude c -- "$plain" tree "$dlmod"
expect calls "$(calls "$tmp/ring.trace")" \
	"a=3/0 b=6/0 dlmod_entry=1/0 dlmod_leaf=5/0 fast=7/0 main=1/0 marked=2/0 slow=5/0 "
point "--ring --exclude c"

TSCOPE_OUTPUT=$tmp/env.trace TSCOPE_MIN_DURATION=50us "$linked" tree > "$tmp/env.err" 2>&1 ||
	problem "linked program failed: $(cat "$tmp/env.err")"
expect calls "$(calls "$tmp/env.trace")" \
	"a=3/3 b=6/6 c=18/18 fast=7/7 main=1/0 marked=2/0 slow=5/0 "
point "linked, TSCOPE_MIN_DURATION=50us: a short call that recorded an instant is kept"

TSCOPE_OUTPUT=$tmp/env2.trace TSCOPE_EXCLUDE='c;fa*' TSCOPE_MAX_DEPTH=3 "$linked" tree \
	> "$tmp/env2.err" 2>&1 || problem "linked program failed: $(cat "$tmp/env2.err")"
expect calls "$(calls "$tmp/env2.trace")" \
	"a=3/0 b=6/0 c=18/18 fast=7/7 main=1/0 marked=2/0 slow=5/0 "
point "linked, TSCOPE_EXCLUDE='c;fa*' TSCOPE_MAX_DEPTH=3"

TSCOPE_OUTPUT=$tmp/bad.trace TSCOPE_MIN_DURATION=soon "$linked" tree > "$tmp/bad.err" 2>&1
expect "said" "$(cat "$tmp/bad.err")" \
	"tscope: TSCOPE_MIN_DURATION: invalid value 'soon', using none"
expect calls "$(calls "$tmp/bad.trace")" \
	"a=3 b=6 c=18 fast=7 main=1 marked=2 slow=5 "
point "a bad TSCOPE_MIN_DURATION is said, and everything recorded"

rec win --delay 250ms --duration 500ms -- "$plain" phases
expect calls "$(calls "$tmp/win.trace")" "p2=1000 "
point "--delay 250ms --duration 500ms: the middle phase of three, 500 ms apart"

rec heavy -- "$plain" heavy
rec thr --throttle -- "$plain" heavy
# the first 10000 calls at least are recorded; more when early calls were slow (the
# average must be under 100 ns), so the count dropped is only bounded
got=$(calls "$tmp/thr.trace")
case $got in
"main=1/0 tiny=1000000/"9[0-9][0-9][0-9][0-9][0-9]" work=1000/0 ") ;;
*) problem "calls: got '$got', want tiny=1000000 with 900000 to 989999 dropped" ;;
esac
big=$(wc -c < "$tmp/heavy.trace")
small=$(wc -c < "$tmp/thr.trace")
[ $((small * 10)) -le "$big" ] || problem "trace of $small bytes, unthrottled $big"
grep -q '^tscope: throttled, kept as counts only: tiny (9[0-9]* calls); `tscope exclude-list' \
	"$tmp/thr.err" || problem "said: $(cat "$tmp/thr.err")"
point "--throttle: 1000000 tiny calls counted, a trace 10 times smaller ($small of $big bytes)"

rec thr2 --throttle=100,1us -- "$plain" heavy
got=$(calls "$tmp/thr2.trace")
case $got in
"main=1/0 tiny=1000000/"99[0-9][0-9][0-9][0-9]" work=1000/0 ") ;;
*) problem "calls: got '$got', want tiny=1000000 with 990000 to 999899 dropped" ;;
esac
point "--throttle=100,1us: tiny from its 101st call on or soon after, work never"

for bad in "--max-depth 0" "--min-duration soon" "--exclude a;b" "--throttle=5" \
	"--delay 1s --start-paused"; do
	# shellcheck disable=SC2086
	"$tscope" record $bad -- true > "$tmp/out" 2>&1
	st=$?
	[ "$st" -eq 2 ] || problem "record $bad: status $st"
	grep -q "^tscope: record: " "$tmp/out" || problem "record $bad said: $(cat "$tmp/out")"
done
point "bad filter options are usage errors"

# the DROP chunk's count made one more than its entries
off=$("$tscope" dump "$tmp/exc.trace" | sed -n 's/^chunk @\([0-9]*\) DROP.*/\1/p')
cp "$tmp/exc.trace" "$tmp/lie.trace"
printf '\003' | dd of="$tmp/lie.trace" bs=1 seek=$((off + 24)) conv=notrunc 2> /dev/null
"$tscope" info "$tmp/lie.trace" > "$tmp/lie.info" 2> "$tmp/lie.err"
grep -q "^malformed   1 chunk skipped, the first at byte $off" "$tmp/lie.info" ||
	problem "info: $(cat "$tmp/lie.info" "$tmp/lie.err")"
"$tscope" dump "$tmp/lie.trace" 2>&1 | grep -q "DROP entry count does not match its payload" ||
	problem "dump does not say why"
point "a DROP chunk whose count lies is skipped as malformed, and said"

finish
