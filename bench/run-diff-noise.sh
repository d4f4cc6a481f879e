#!/bin/sh
# SPDX-License-Identifier: MIT
#
# run-diff-noise.sh - how often `tscope diff` calls noise a slowdown: identical runs on
# both sides (tests/prog-diff 0, the same build), RUNS runs a side, REPS comparisons,
# each gated with --fail-above GATE.  A false alarm is a gate that fails (exit 3).
# Then the same with the new side really slower (prog-diff 1: one function twice as
# slow), where every comparison should fail the gate.  Prints the two rates.
#
# The runs are made in a temporary directory on the disk (TMPDIR), one after the
# other, so that they share the machine's noise as a CI job's would.  A benchmark, not
# a test: it prints figures and judges nothing.
#
# Environment: TSCOPE_BUILDDIR (the build tree, default .), RUNS (default 5), REPS
# (default 20), GATE (default 20).
b=${TSCOPE_BUILDDIR:-.}
runs=${RUNS:-5}
reps=${REPS:-20}
gate=${GATE:-20}
prog=$b/tests/prog-diff
tscope=$b/tools/tscope
if [ ! -x "$prog" ]; then
	echo "run-diff-noise.sh: $prog is missing: run 'make check' (or make tests/prog-diff) first" >&2
	exit 1
fi
dir=$(mktemp -d "${TMPDIR:-/var/tmp}/tscope-diff-noise.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT

# rate MODE: comparisons of RUNS base runs (prog-diff 0) with RUNS new runs (prog-diff
# MODE) whose gate failed, as "F of REPS"
rate() {
	failed=0 r=0
	while [ $r -lt "$reps" ]; do
		i=0
		while [ $i -lt "$runs" ]; do
			TSCOPE_OUTPUT=$dir/b$i.trace "$prog" 0 || exit 1
			TSCOPE_OUTPUT=$dir/n$i.trace "$prog" "$1" || exit 1
			i=$((i + 1))
		done
		"$tscope" diff --fail-above "$gate" "$dir"/b*.trace -- "$dir"/n*.trace \
			> /dev/null 2>&1
		st=$?
		[ $st -eq 3 ] && failed=$((failed + 1))
		[ $st -eq 0 ] || [ $st -eq 3 ] || { echo "tscope diff: status $st" >&2; exit 1; }
		rm -f "$dir"/*.trace
		r=$((r + 1))
	done
	echo "$failed of $reps"
}

echo "tscope diff --fail-above $gate, $runs runs a side, $reps comparisons ($(uname -m), $(nproc) cpus)"
echo "  identical builds (false alarms):      $(rate 0)"
echo "  one function 2x slower (alarms):      $(rate 1)"
