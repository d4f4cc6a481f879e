#!/bin/sh
# SPDX-License-Identifier: MIT
#
# run-malloc.sh - what recording one malloc+free pair costs: the same program untraced,
# under `tscope record` (calls only), under `tscope record --malloc`, and under heaptrack
# where installed, side by side.
#
# bench/malloc.c, built with -finstrument-functions, makes N pairs in a function of its
# own (so each pair is also one recorded call) and times them itself; every variant runs
# R times, round-robin, and the table gives the fastest run's ns per pair, what that
# adds to the untraced run, and the ratio to it.  A benchmark, not a test: it prints
# figures and never judges them; it exits 1 when something could not be built or run.
#
# Environment: CC (default gcc), TSCOPE_BUILDDIR (default .), TSCOPE_SRCDIR (default:
# this script's parent), HEAPTRACK (default heaptrack; "no" skips it), TMPDIR.
# Usage: run-malloc.sh [-n PAIRS] [-r RUNS]
set -u
pairs=2000000
runs=5
while [ $# -gt 0 ]; do
	case $1 in
	-n) pairs=$2; shift 2 ;;
	-r) runs=$2; shift 2 ;;
	*) echo "usage: run-malloc.sh [-n PAIRS] [-r RUNS]" >&2; exit 2 ;;
	esac
done
build=${TSCOPE_BUILDDIR:-.}
src=${TSCOPE_SRCDIR:-$(dirname "$0")/..}
heaptrack=${HEAPTRACK:-heaptrack}
tscope=$build/tools/tscope
dir=$(mktemp -d "${TMPDIR:-/tmp}/tscope-malloc.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
${CC:-gcc} -O2 -finstrument-functions -o "$dir/malloc" "$src/bench/malloc.c" || exit 1
export TSCOPE_LIB="$build/lib/.libs/libtscope.so"

variants="untraced calls malloc"
command -v "$heaptrack" > /dev/null 2>&1 && [ "$heaptrack" != no ] && variants="$variants heaptrack"

# run VARIANT: ns per pair of one run
run() {
	case $1 in
	untraced) "$dir/malloc" "$pairs" ;;
	calls) "$tscope" record -o "$dir/c.trace" "$dir/malloc" "$pairs" ;;
	malloc) "$tscope" record --malloc -o "$dir/m.trace" "$dir/malloc" "$pairs" ;;
	heaptrack) "$heaptrack" -o "$dir/ht" "$dir/malloc" "$pairs" 2> /dev/null |
		grep -E '^[0-9.]+ [0-9]+ [0-9]+$' ;;
	esac 2> /dev/null | awk '{ print $1 }'
}

for r in $(seq "$runs"); do
	for v in $variants; do
		t=$(run "$v")
		[ -n "$t" ] || { echo "run-malloc: $v did not run" >&2; exit 1; }
		echo "$v $t" >> "$dir/times"
	done
	rm -f "$dir"/ht.*
done

echo "malloc+free pairs: $pairs per run, fastest of $runs runs, $(uname -m), $(nproc) cpus,"
echo "$(grep -m1 'model name' /proc/cpuinfo 2> /dev/null | sed 's/.*: //')"
awk -v order="$variants" 'BEGIN { n = split(order, o, " ") }
	{ if (!($1 in best) || $2 < best[$1]) best[$1] = $2 }
	END {
		printf "%-28s %12s %12s %8s\n", "variant", "ns/pair", "added ns", "x base"
		names["untraced"] = "untraced"
		names["calls"] = "tscope record (calls)"
		names["malloc"] = "tscope record --malloc"
		names["heaptrack"] = "heaptrack"
		for (i = 1; i <= n; i++) {
			v = o[i]
			printf "%-28s %12.2f %12.2f %8.2f\n", names[v], best[v],
				best[v] - best["untraced"], best[v] / best["untraced"]
		}
	}' "$dir/times"
