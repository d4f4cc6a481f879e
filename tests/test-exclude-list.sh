#!/bin/sh
# test-exclude-list.sh - tscope exclude-list and record's hint, end to end with gcc:
# tests/prog-hot.c built with -finstrument-functions makes most of its calls to two
# static inline helpers.  record says so in one line (the program's output and status
# untouched); exclude-list prints the flag that leaves them out, and a note that the
# entry for mem_read64 also takes mem_read64_checked; the program rebuilt with that flag
# records without them (and without mem_read64_checked, as the note said), the other
# call counts unchanged, and record says nothing.  A program of many calls that are not
# tiny gets no line.  The exact tables are checked on synthetic traces in test-exclude.
#
# Needs top_builddir and top_srcdir (set by `make check`), TSCOPE_LIB and gcc (clang
# has no exclude list).  Works in tests/tmp-exclude-list.PID, removed when everything
# passed.
: "${top_builddir:?}" "${top_srcdir:?}"
LC_ALL=C
export LC_ALL
tscope=$top_builddir/tools/tscope
src=$top_srcdir/tests/prog-hot.c
gcc=${GCC:-gcc}

. "$top_srcdir/tests/tap.sh"
tap_init exclude-list
unset TSCOPE_OUTPUT TSCOPE_ENABLE TSCOPE_MODE TSCOPE_BUFFER TSCOPE_COMPRESS TSCOPE_SNAPSHOT_SIGNAL

if ! command -v "$gcc" > /dev/null 2>&1; then
	skip "exclude-list with gcc" "no gcc to build the program with"
	finish
fi
if [ -z "${TSCOPE_LIB:-}" ] || [ ! -r "$TSCOPE_LIB" ]; then
	skip "exclude-list with gcc" "no TSCOPE_LIB (shared libtscope) to preload"
	finish
fi
dir=$(cd "$tmp" && pwd -P) # record names the trace by its real path

# calls TRACE: "function calls" for each function of TRACE, by name
calls() {
	"$tscope" report --flat --ns "$1" | awk 'NR > 1 { print $NF, $3 }' | sort
}

# same WHAT GOT WANT: a problem unless the two texts are equal
same() {
	[ "$2" = "$3" ] || problem "$1: got '$2', want '$3'"
}

try "gcc -O2 -g -finstrument-functions builds prog-hot" \
	"$gcc" -O2 -g -finstrument-functions -o "$tmp/hot1" "$src"

"$tmp/hot1" hot > "$tmp/plain.out" 2>&1
plain_st=$?
"$tscope" record -o "$tmp/a.trace" "$tmp/hot1" hot > "$tmp/a.out" 2> "$tmp/a.err"
st=$?
same "status" "$st" "$plain_st"
same "status of prog-hot" "$plain_st" 3
cmp -s "$tmp/plain.out" "$tmp/a.out" || problem "the output changed: $(cat "$tmp/a.out")"
point "record: the program's output and exit status are its own"

same "stderr" "$(cat "$tmp/a.err")" "tscope: $dir/a.trace: 100% of the calls are to functions\
 shorter than 50 ns a call (mem_read64 50%, hash8_ptr 50%), which cost less than their\
 tracing: 'tscope exclude-list $dir/a.trace' prints the compiler flags that leave them out\
 (record --exclude drops them for a few ns a call)"
point "record: one line names the tiny functions and tscope exclude-list"

same "calls" "$(calls "$tmp/a.trace" | tr '\n' ' ')" \
	"compress_block 20 hash8_ptr 200000 main 1 mem_read64 200003 mem_read64_checked 3 "
point "the first trace has every call"

"$tscope" exclude-list "$tmp/a.trace" > "$tmp/flags" 2> "$tmp/err"
same "status" "$?" 0
same "stderr" "$(cat "$tmp/err")" ""
same "flags" "$(grep -v '^#' "$tmp/flags")" \
	"-finstrument-functions-exclude-function-list=mem_read64,hash8_ptr"
same "rows" "$(awk '/%  / { print $2, $NF }' "$tmp/flags" | tr '\n' ' ')" \
	"200003 mem_read64 200000 hash8_ptr "
same "note" "$(grep -A1 '^# note' "$tmp/flags" | sed 's/ (3 calls, .*//')" \
	"# note: 'mem_read64' also matches, and leaves uninstrumented:
#   mem_read64_checked"
same "clang" "$(grep clang "$tmp/flags")" "# clang: -finstrument-functions-after-inlining"
point "exclude-list: the two helpers as gcc's exclude list, a note on mem_read64_checked"

# shellcheck disable=SC2046 # the flags are one word, as a build would take them
try "gcc builds prog-hot again with the printed flags" \
	"$gcc" -O2 -g -finstrument-functions $(grep -v '^#' "$tmp/flags") -o "$tmp/hot2" "$src"

"$tscope" record -o "$tmp/b.trace" "$tmp/hot2" hot > "$tmp/b.out" 2> "$tmp/b.err"
same "status" "$?" 3
cmp -s "$tmp/plain.out" "$tmp/b.out" || problem "the output changed: $(cat "$tmp/b.out")"
same "stderr" "$(cat "$tmp/b.err")" ""
point "rebuilt: the same output and status, and record says nothing"

same "calls" "$(calls "$tmp/b.trace" | tr '\n' ' ')" "compress_block 20 main 1 "
point "rebuilt: the helpers are gone (and mem_read64_checked), the other calls unchanged"

"$tmp/hot1" cold > "$tmp/plain.out" 2>&1
"$tscope" record -o "$tmp/c.trace" "$tmp/hot1" cold > "$tmp/c.out" 2> "$tmp/c.err"
same "status" "$?" 3
cmp -s "$tmp/plain.out" "$tmp/c.out" || problem "the output changed: $(cat "$tmp/c.out")"
same "stderr" "$(cat "$tmp/c.err")" ""
same "calls" "$(calls "$tmp/c.trace" | tr '\n' ' ')" "main 1 medium_work 150000 "
point "150000 calls of a few hundred ns: record says nothing"

"$tscope" exclude-list "$tmp/c.trace" > "$tmp/out" 2>&1
same "status" "$?" 0
same "output" "$(cat "$tmp/out")" "# tscope exclude-list: no function was called at least\
 1000 times with calls
# under 50 ns on average: nothing to leave out."
point "exclude-list: nothing to leave out, said"

"$tscope" record --no-hint -o "$tmp/a.trace" "$tmp/hot1" hot > /dev/null 2> "$tmp/err"
same "status" "$?" 3
same "stderr" "$(cat "$tmp/err")" ""
point "record --no-hint: nothing said"

# 220 blocks: 8.8 million events, more than record reads after the run
"$tscope" record -o "$tmp/d.trace" "$tmp/hot1" hot 220 > /dev/null 2> "$tmp/d.err"
same "status" "$?" 3
case $(cat "$tmp/d.err") in
"tscope: $dir/d.trace: 100% of the calls (in the first 4194304 events) are to functions"*) ;;
*) problem "stderr: $(cat "$tmp/d.err")" ;;
esac
point "a long trace: record reads its first 4194304 events (4 x 2^20), and says so"

"$tscope" exclude-list --min-calls 0 "$tmp/a.trace" > /dev/null 2>&1
same "--min-calls 0" "$?" 2
"$tscope" exclude-list --max-avg 50 "$tmp/a.trace" > /dev/null 2>&1
same "--max-avg without a unit" "$?" 2
"$tscope" exclude-list > /dev/null 2>&1
same "no file" "$?" 2
"$tscope" exclude-list "$tmp/none.trace" > /dev/null 2> "$tmp/err"
same "a missing file" "$?" 1
same "its error" "$(wc -l < "$tmp/err" | tr -d ' ')" 1
"$tscope" exclude-list --min-calls 300000 --max-avg 1us "$tmp/a.trace" > "$tmp/out" 2>&1
same "--min-calls 300000" "$(head -n 1 "$tmp/out")" \
	"# tscope exclude-list: no function was called at least 300000 times with calls"
point "exclude-list: bad usage exits 2, a missing trace 1, --min-calls is taken"

"$tscope" help exclude-list > "$tmp/out" 2>&1
same "status" "$?" 0
grep -q 'exclude-file-list is printed: it needs the source file' "$tmp/out" ||
	problem "--help does not say why there is no file list"
"$tscope" --help | grep -q '^  exclude-list  ' || problem "tscope --help does not list it"
point "help: the command is listed, and says why there is no file list"

finish
