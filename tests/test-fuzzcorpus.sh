#!/bin/sh
# test-fuzzcorpus.sh - the inputs of tests/corpus/pipeline (the seeds of
# tests/fuzz-pipeline.c, those of fixed bugs among them: fix-*.trace) through every
# converter command: report, report --flat, chrome, perfetto, speedscope, folded,
# pprof and diff (tree, JSON, folded; every path shown).  Each must end with status 0 or 1 (bad input said on stderr), never crash (128
# or more) or hang.  Runs from the top of the source tree, as the fuzzer does, so that the seeds
# that name tests/corpus/elf/*.elf are symbolized with them.
#
# Needs top_builddir and top_srcdir (set by `make check`).
: "${top_builddir:?}" "${top_srcdir:?}"
tscope=$top_builddir/tools/tscope
n=0
failed=0

# A command that loops forever is killed by SIGXCPU (status 152: counted as a crash).
# Each of these inputs of a few KB converts in well under a second.
ulimit -t 10 2> /dev/null
cd "$top_srcdir" || exit 1

for f in tests/corpus/pipeline/*.trace; do
	for cmd in report "report --flat" chrome perfetto speedscope folded "pprof -o /dev/null"; do
		n=$((n + 1))
		# shellcheck disable=SC2086
		"$tscope" $cmd "$f" > /dev/null 2>&1
		st=$?
		if [ "$st" -le 1 ]; then
			echo "ok $n - tscope $cmd ${f##*/}"
		else
			echo "not ok $n - tscope $cmd ${f##*/}: status $st"
			failed=1
		fi
	done
	for how in "--tree" "--tree --json" "--folded" "--json"; do
		n=$((n + 1))
		# shellcheck disable=SC2086
		"$tscope" diff -t 0 $how "$f" -- "$f" > /dev/null 2>&1
		st=$?
		if [ "$st" -le 1 ]; then
			echo "ok $n - tscope diff -t 0 $how ${f##*/}"
		else
			echo "not ok $n - tscope diff -t 0 $how ${f##*/}: status $st"
			failed=1
		fi
	done
done
echo "1..$n"
exit $failed
