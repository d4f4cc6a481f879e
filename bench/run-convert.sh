#!/bin/sh
# SPDX-License-Identifier: MIT
#
# run-convert.sh - how fast the converters read a large trace, and in how much memory.
#
# Records recursive fib(N) (default N = 36: 48,315,633 calls, 96,631,266 events, about
# 1.55 GB raw: SPEC asks for memory bounds on a trace of 1 GB or more) with the build tree's libtscope preloaded, into a temporary directory,
# then times, R times each, on one core (taskset when available):
#
#   cat FILE > /dev/null          the floor: reading the file from the page cache
#   tscope info                   the reader alone (one pass over every event)
#   tscope report                 call trees
#   tscope report --flat
#   tscope chrome -o /dev/null    JSON, written and thrown away
#   tscope perfetto -o /dev/null  Perfetto protobuf, written and thrown away
#   tscope speedscope -o /dev/null  speedscope's evented JSON, written and thrown away
#   tscope folded
#   tscope pprof -o /dev/null     the pprof profile (call paths merged as folded's)
#   tscope flamegraph -o /dev/null   the SVG flame graph of the same stacks
#   uftrace report                the peer, on its own recording of the same program
#                                 (if uftrace is installed)
#
# and prints, per tool, the best elapsed time, events per second, MB of trace per
# second and the peak resident memory (GNU time's %M, the largest of the runs); then
# the sizes of the JSON and of the protobuf, and their ratio.  The
# page cache is warmed first, so that every tool reads from memory: the table compares
# the converters' own work, not the disk's.
#
# SPEC.md section 5 sets the targets: report at least 50 M events/s, chrome at least 15 M
# events/s, memory bounded by threads x stack depth (a 1 GB trace in under 64 MiB).
# This is a benchmark, not a test: it prints figures and never judges them.  It exits 1
# when it cannot produce figures it can trust (a build, a run or a recording failed, or
# the trace does not hold the events fib(N) makes), 2 on bad usage.
#
# Environment:
#   CC               compiler for the workload (default: gcc)
#   TSCOPE_BUILDDIR  build directory holding tools/tscope and lib/.libs/libtscope.so
#                    (default: .)
#   UFTRACE          uftrace command (default: uftrace; "no" skips it)
#   TMPDIR           where the program and the traces go (default: /tmp); it needs
#                    about 2 GB free for N = 35 with uftrace

set -u

me=run-convert.sh

usage() {
	cat <<EOF
usage: $me [options]
  --fib N        workload fib(N) (default 36, 1.55 GB; 35 gives 60 M events, 955 MB)
  --reps R       runs per tool, the best one counts (default 3)
  --lz4          record with LZ4 compression (the converters then decompress)
  --no-uftrace   skip uftrace even if installed
  --keep         keep the temporary directory
  -h, --help     this text
Environment: CC, TSCOPE_BUILDDIR, UFTRACE, TMPDIR (see the top of this script).
EOF
}

die() {
	echo "$me: $*" >&2
	exit 1
}

bad_usage() {
	echo "$me: $*" >&2
	usage >&2
	exit 2
}

is_count() {
	case $1 in
	'' | *[!0-9]*) return 1 ;;
	*) test "$1" -gt 0 ;;
	esac
}

fib=36
reps=3
compress=none
keep=0
use_uftrace=1
while [ $# -gt 0 ]; do
	case $1 in
	--fib)
		[ $# -ge 2 ] || bad_usage "--fib needs a number"
		is_count "$2" && [ "$2" -le 45 ] || bad_usage "--fib takes 1 to 45, not '$2'"
		fib=$2
		shift
		;;
	--reps)
		[ $# -ge 2 ] || bad_usage "--reps needs a number"
		is_count "$2" || bad_usage "--reps takes a positive number, not '$2'"
		reps=$2
		shift
		;;
	--lz4) compress=lz4 ;;
	--no-uftrace) use_uftrace=0 ;;
	--keep) keep=1 ;;
	-h | --help)
		usage
		exit 0
		;;
	*) bad_usage "unknown option '$1'" ;;
	esac
	shift
done

CC=${CC:-gcc}
build=${TSCOPE_BUILDDIR:-.}
tscope=$build/tools/tscope
lib=$build/lib/.libs/libtscope.so
uftrace=${UFTRACE:-uftrace}
[ -x "$tscope" ] || die "no $tscope: run from the build directory after make, or set TSCOPE_BUILDDIR"
[ -f "$lib" ] || die "no $lib: the shared library is needed to record"
[ "$uftrace" = no ] && use_uftrace=0
command -v "$uftrace" >/dev/null 2>&1 || use_uftrace=0
gnu_time=
if /usr/bin/time -f %M true >/dev/null 2>&1; then
	gnu_time=/usr/bin/time
fi
pin=
if command -v taskset >/dev/null 2>&1 && taskset -c 0 true 2>/dev/null; then
	pin="taskset -c 0"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tscope-conv.XXXXXX") || die "cannot make a temporary directory"
cleanup() {
	if [ "$keep" = 1 ]; then
		echo "$me: kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# The workload: only fib() is instrumented, so the trace holds exactly 2 x calls events.
cat >"$tmp/fib.c" <<'EOF'
#include <stdlib.h>
static volatile int sink;
__attribute__((noinline)) static int fib(int n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
__attribute__((no_instrument_function)) int main(int argc, char **argv)
{
	sink = fib(argc > 1 ? atoi(argv[1]) : 30);
	return 0;
}
EOF
$CC -O2 -finstrument-functions -o "$tmp/fib" "$tmp/fib.c" || die "cannot build the workload"

# fib(N) makes 2 F(N + 1) - 1 calls
calls=$(awk -v n="$fib" 'BEGIN { a = 0; b = 1; for (i = 0; i < n + 1; i++) { t = a + b; a = b; b = t } printf "%.0f", 2 * a - 1 }')
events=$((calls * 2))

trace=$tmp/fib.trace
echo "$me: recording fib($fib): $calls calls, $events events ..." >&2
LD_PRELOAD=$lib TSCOPE_OUTPUT=$trace TSCOPE_COMPRESS=$compress "$tmp/fib" "$fib" ||
	die "the traced workload failed"
[ -s "$trace" ] || die "no trace written"
got=$("$tscope" info "$trace" | awk '$1 == "events" { print $2 }')
[ "$got" = "$events" ] || die "the trace holds $got events, fib($fib) makes $events"
bytes=$(wc -c <"$trace" | tr -d ' ')

# now_ns: a monotonic clock in ns (date +%s%N is wall time, fine at this scale)
now_ns() {
	date +%s%N
}

# measure NAME COMMAND...: run R times, keep the best time and the largest RSS
results=
measure() {
	name=$1
	shift
	best=
	rss=0
	r=0
	while [ "$r" -lt "$reps" ]; do
		t0=$(now_ns)
		if [ -n "$gnu_time" ]; then
			$gnu_time -o "$tmp/time" -f %M $pin "$@" >/dev/null 2>"$tmp/err" ||
				{ cat "$tmp/err" >&2; die "$name failed"; }
			m=$(tail -1 "$tmp/time")
		else
			$pin "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; die "$name failed"; }
			m=0
		fi
		t1=$(now_ns)
		dt=$((t1 - t0))
		if [ -z "$best" ] || [ "$dt" -lt "$best" ]; then
			best=$dt
		fi
		[ "$m" -gt "$rss" ] && rss=$m
		r=$((r + 1))
	done
	results="$results$name|$best|$rss
"
}

row() { # name ns rss_kb events bytes
	awk -v name="$1" -v ns="$2" -v rss="$3" -v ev="$4" -v by="$5" -v o="$overhead" 'BEGIN {
		s = (ns - o > 1000) ? (ns - o) / 1e9 : 1e-6
		mib = (rss > 0) ? sprintf("%.1f", rss / 1024) : "-"
		printf "%-32s %9.3f %12.1f %10.0f %10s\n", name, s, ev / s / 1e6, by / s / 1e6, mib
	}'
}

# The cost of starting a command the way measure() does (date, time, taskset, exec):
# subtracted from every figure, so that small traces are not dominated by it.
measure "start-up" true
overhead=$(printf '%s' "$results" | awk -F'|' '{ print $2 }')
results=

cat "$trace" >/dev/null # warm the page cache
measure "cat FILE > /dev/null" cat "$trace"
measure "tscope info" "$tscope" info "$trace"
measure "tscope report" "$tscope" report "$trace"
measure "tscope report --flat" "$tscope" report --flat "$trace"
measure "tscope chrome -o /dev/null" "$tscope" chrome -o /dev/null "$trace"
measure "tscope perfetto -o /dev/null" "$tscope" perfetto -o /dev/null "$trace"
measure "tscope speedscope -o /dev/null" "$tscope" speedscope -o /dev/null "$trace"
measure "tscope folded" "$tscope" folded "$trace"
measure "tscope pprof -o /dev/null" "$tscope" pprof -o /dev/null "$trace"
measure "tscope flamegraph" "$tscope" flamegraph -o /dev/null "$trace"
"$tscope" flamegraph -o "$tmp/fib.svg" "$trace" || die "tscope flamegraph failed"
svg_bytes=$(wc -c <"$tmp/fib.svg" | tr -d ' ')
svg_frames=$(grep -c '^<g><title>' "$tmp/fib.svg")
rm -f "$tmp/fib.svg"

uft_line=
if [ "$use_uftrace" = 1 ]; then
	echo "$me: recording fib($fib) with uftrace ..." >&2
	if "$uftrace" record --no-libcall --no-sched --no-event -d "$tmp/uftrace.data" \
		"$tmp/fib" "$fib" >/dev/null 2>"$tmp/err"; then
		du=$(du -sb "$tmp/uftrace.data" | awk '{ print $1 }')
		cat "$tmp/uftrace.data"/* >/dev/null 2>&1
		results_saved=$results
		results=
		measure "uftrace report" "$uftrace" report -d "$tmp/uftrace.data"
		uft_line=$results
		results=$results_saved
		rm -rf "$tmp/uftrace.data"
	else
		echo "$me: uftrace record failed, left out:" >&2
		cat "$tmp/err" >&2
	fi
fi

echo "tscope converters: fib($fib), $events events, $bytes bytes of trace ($compress)"
echo "machine: $(uname -srm), $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //'), $(nproc) CPUs${pin:+, pinned to CPU 0}"
echo "best of $reps runs, page cache warm, $((overhead / 1000000)) ms of command start-up subtracted;"
echo "RSS is the peak resident set"
echo
printf "%-32s %9s %12s %10s %10s\n" "tool" "seconds" "M events/s" "MB/s" "RSS MiB"
printf '%s' "$results" | while IFS='|' read -r name ns rss; do
	[ -n "$name" ] || continue
	row "$name" "$ns" "$rss" "$events" "$bytes"
done
if [ -n "$uft_line" ]; then
	printf '%s' "$uft_line" | while IFS='|' read -r name ns rss; do
		[ -n "$name" ] || continue
		row "$name" "$ns" "$rss" "$events" "$du"
	done
fi
json_bytes=$("$tscope" chrome "$trace" 2>/dev/null | wc -c | tr -d ' ')
pf_bytes=$("$tscope" perfetto "$trace" 2>/dev/null | wc -c | tr -d ' ')
ss_bytes=$("$tscope" speedscope "$trace" 2>/dev/null | wc -c | tr -d ' ')
echo
awk -v j="$json_bytes" -v p="$pf_bytes" -v s="$ss_bytes" 'BEGIN {
	printf "output: Chrome JSON %.0f bytes, Perfetto protobuf %.0f bytes (%.3f of the JSON),\n",
		j, p, (j > 0) ? p / j : 0
	printf "        speedscope JSON %.0f bytes (%.3f of the Chrome JSON)\n", s, (j > 0) ? s / j : 0 }'
echo
echo "tscope flamegraph: $svg_bytes bytes of SVG, $svg_frames frames"
echo "targets (SPEC.md 5): report >= 50 M events/s, chrome >= 15 M events/s, RSS < 64 MiB"
echo "targets (issue 15): perfetto >= 50 M events/s, at most 1/4 of the JSON's size"
