#!/bin/sh
# test-malloc.sh - memory events (tscope record --malloc) in every output, to the byte.
#
# tests/prog-malloc makes known allocations in named functions of two threads (see the
# numbers below): `report` shows them in its memory columns, `leaks` the blocks never
# freed by call path and the peak, chrome's "heap in use" counter ends at the bytes
# leaked and peaks at the peak; a block allocated by one thread and freed by the
# other is freed.  The same in raw and LZ4-compressed traces, and with the wrappers
# linked statically with libtscope.a.  heaptrack (Debian package heaptrack) run on the
# same program finds the same allocations, per function, and the same peak.  Without
# --malloc: no memory event, and libtscope.so defines no allocation function.
#
# One allocation is glibc's, not the program's: pthread_create() callocs the new
# thread's DTV, outside any recorded function, of a size that depends on how many
# libraries with TLS are loaded (heaptrack's own libraries make it larger); the test
# takes its size from the trace.  Under AddressSanitizer, which owns malloc, the
# --malloc points are skipped.  Needs top_builddir and top_srcdir (make check).
: "${top_builddir:?}" "${top_srcdir:?}"
LC_ALL=C
export LC_ALL
tscope=$top_builddir/tools/tscope
prog=$top_builddir/tests/prog-malloc
libdir=$top_builddir/lib/.libs

. "$top_srcdir/tests/tap.sh"
tap_init malloc
unset TSCOPE_OUTPUT TSCOPE_ENABLE TSCOPE_MODE TSCOPE_BUFFER TSCOPE_COMPRESS TSCOPE_SNAPSHOT_SIGNAL \
	TSCOPE_MALLOC
page=$(getconf PAGESIZE)

# ---- without --malloc: nothing, at no cost --------------------------------------------------
got=$(nm -D --defined-only "$libdir/libtscope.so" | awk '{print $3}' |
	grep -x -E 'malloc|free|calloc|realloc|posix_memalign|aligned_alloc|memalign|valloc|pvalloc|mmap|munmap')
[ -z "$got" ] || problem "libtscope.so defines: $got"
point "libtscope.so defines no allocation function"

"$tscope" record -o "$tmp/plain.trace" "$prog" > "$tmp/out" 2>&1 || problem "record: $(cat "$tmp/out")"
"$tscope" dump "$tmp/plain.trace" > "$tmp/plain.dump" || problem "dump failed"
grep -c -E ' (ALLOC|FREE|UNMAP|UNFREE|EXT) ' "$tmp/plain.dump" > "$tmp/n"
[ "$(cat "$tmp/n")" = 0 ] || problem "$(cat "$tmp/n") memory events without --malloc"
grep -q ' ext ' "$tmp/plain.dump" && problem "a chunk is flagged ext"
"$tscope" report --flat "$tmp/plain.trace" > "$tmp/plain.rep" 2>&1
grep -q 'allocs' "$tmp/plain.rep" && problem "report shows memory columns"
"$tscope" leaks "$tmp/plain.trace" > "$tmp/plain.leaks" 2>&1
grep -q 'no memory events' "$tmp/plain.leaks" || problem "leaks: $(cat "$tmp/plain.leaks")"
point "without --malloc: no memory event, no memory column, leaks says so"

if nm "$tscope" 2> /dev/null | grep -q -E '__(asan|msan)_init'; then
	for what in report leaks chrome encodings heaptrack static; do
		skip "--malloc: $what" "built with AddressSanitizer, which owns malloc"
	done
	finish
fi

# ---- the program's allocations -------------------------------------------------------------
# function: allocs bytes net, inclusive then self
cat > "$tmp/want.rep" << EOF
aligned 4 1406 0 4 1406 0
big 1 10000 0 1 10000 0
consume 0 0 -320 0 0 -320
free_list 0 0 -384 0 0 -384
grow 3 4300 0 3 4300 0
leaker 3 3000 +3000 3 3000 +3000
make_list 8 384 +384 8 384 +384
mapper 1 $((3 * page)) +$((2 * page)) 1 $((3 * page)) +$((2 * page))
produce 6 1097 +1097 6 1097 +1097
setup 11 4684 +384 0 0 0
zeroed 1 320 0 1 320 0
EOF

# rep TRACE: "function" and the six memory columns per row of report --flat --ns; the
# call tree says the same of setup and of make_list below it
rep() {
	"$tscope" report --flat --ns "$1" 2> "$tmp/rep.err" |
		awk 'NR > 1 { print $NF, $(NF-6), $(NF-5), $(NF-4), $(NF-3), $(NF-2), $(NF-1) }' |
		sort
	"$tscope" report --ns -t 0 "$1" 2> "$tmp/rep.err" |
		awk '$NF == "setup" { s = $0 } $NF == "make_list" && s { print s, "/", $0 }' |
		grep -q -E ' 11 +4684 +\+384 +0 +0 +0 +setup / .* 8 +384 +\+384 +8 +384 +\+384 +make_list$' ||
		echo "the tree's setup and make_list: $("$tscope" report --ns -t 0 "$1" 2>&1)"
}

"$tscope" record --malloc -o "$tmp/m.trace" "$prog" mmap > "$tmp/out" 2>&1 ||
	problem "record --malloc: $(cat "$tmp/out")"
rep "$tmp/m.trace" > "$tmp/got.rep"
diff "$tmp/want.rep" "$tmp/got.rep" > "$tmp/d" || problem "report: $(cat "$tmp/d")"
point "--malloc: report's memory columns, every function to the byte"

# the DTV of the thread: the one allocation outside any function
"$tscope" leaks "$tmp/m.trace" > "$tmp/leaks" 2> "$tmp/leaks.err" || problem "leaks failed"
dtv=$(awk '/outside any recorded function/ && $2 == 1 { print $1 }' "$tmp/leaks")
[ -n "$dtv" ] || { problem "no allocation outside the functions: $(cat "$tmp/leaks")"; dtv=0; }
leaked=$((3000 + 777 + 2 * page + dtv))
peak=$((3000 + 777 + 3 * page + dtv))
total=$((20507 + 3 * page + dtv))
sed 1d "$tmp/leaks" | grep -v '^peak: ' > "$tmp/got.leaks"
{
	echo "allocations: 28, $total bytes (of them by mmap: 1, $((3 * page)) bytes); frees: 22 (and 0 of blocks allocated unseen)"
	echo "never freed: 6 blocks, $leaked bytes, from 4 call paths"
	echo
	printf '%12s  %7s  %s\n' bytes blocks 'call path (outermost first)'
	printf '%12d  %7d  %s\n' $((2 * page)) 1 mapper 3000 3 leaker 777 1 produce "$dtv" 1 \
		'(outside any recorded function)'
} > "$tmp/want.leaks"
diff "$tmp/want.leaks" "$tmp/got.leaks" > "$tmp/d" || problem "leaks: $(cat "$tmp/d")"
grep -q "^peak: $peak bytes in use, at .*, in: mapper\$" "$tmp/leaks" ||
	problem "peak: $(grep '^peak' "$tmp/leaks"), want $peak in mapper"
"$tscope" report --ns "$tmp/m.trace" 2>&1 | grep '^memory: ' > "$tmp/memline"
grep -q -x -F "memory: 28 allocs of $total, peak $peak in use, 6 never freed ($leaked): tscope leaks shows where" "$tmp/memline" ||
	problem "report's memory line: $(cat "$tmp/memline")"
point "--malloc: leaks by call path, totals and peak, exact (DTV: $dtv bytes)"

# chrome: the heap-in-use counter, 51 samples (28 allocs, 22 frees, 1 unmap)
"$tscope" chrome "$tmp/m.trace" -o "$tmp/m.json" 2> "$tmp/err" || problem "chrome failed"
python3 - "$tmp/m.json" > "$tmp/counter" << 'PY'
import json, sys
ev = [e for e in json.load(open(sys.argv[1]))["traceEvents"]
      if e.get("ph") == "C" and e.get("name") == "heap in use"]
ev.sort(key=lambda e: e["ts"])
v = [e["args"]["value"] for e in ev]
print(len(v), v[-1] if v else "-", max(v) if v else "-")
PY
[ "$(cat "$tmp/counter")" = "51 $leaked $peak" ] ||
	problem "counter: samples, last, max: $(cat "$tmp/counter"), want 51 $leaked $peak"
point "--malloc: chrome's heap-in-use counter ends at the leaks and peaks at the peak"

# raw slots, LZ4, and buffers of 64 slots (events of 2 and 3 slots meet their ends
# often): the same numbers
for enc in raw lz4 buffer; do
	opt=--$enc
	[ $enc = buffer ] && opt="--buffer 1k"
	"$tscope" record --malloc $opt -o "$tmp/$enc.trace" "$prog" mmap > "$tmp/out" 2>&1 ||
		problem "record --$enc: $(cat "$tmp/out")"
	[ -s "$tmp/$enc.trace" ] || continue
	rep "$tmp/$enc.trace" > "$tmp/got.$enc"
	diff "$tmp/want.rep" "$tmp/got.$enc" > "$tmp/d" || problem "$enc: $(cat "$tmp/d")"
	"$tscope" leaks "$tmp/$enc.trace" 2> /dev/null | sed 1d | grep -v '^peak: ' > "$tmp/l.$enc"
	diff "$tmp/want.leaks" "$tmp/l.$enc" > "$tmp/d" || problem "$enc leaks: $(cat "$tmp/d")"
done
point "--malloc: raw, LZ4-compressed and small-buffer traces hold the same memory events"

# ---- heaptrack on the same program (without mmap: heaptrack does not follow it) --------------
"$tscope" record --malloc -o "$tmp/h.trace" "$prog" > "$tmp/out" 2>&1 || problem "record failed"
"$tscope" leaks "$tmp/h.trace" > "$tmp/hl" 2>&1
if ! command -v heaptrack > /dev/null 2>&1 || ! command -v heaptrack_print > /dev/null 2>&1; then
	skip "heaptrack finds the same allocations, leaks and peak" \
		"heaptrack is not installed (Debian package heaptrack)"
else
	heaptrack -o "$tmp/ht" "$prog" > "$tmp/ht.out" 2>&1 || problem "heaptrack: $(cat "$tmp/ht.out")"
	ht=$(ls "$tmp"/ht.* 2> /dev/null | grep -v '\.out$' | head -n 1)
	# by the innermost function of prog-malloc on each stack
	for cost in allocations leaked peak; do
		heaptrack_print -f "$ht" --flamegraph-cost-type $cost -F "$tmp/fg.$cost" > /dev/null 2>&1
		awk -v cost=$cost '{ v = $NF; f = "(other)"
			n = split($0, fr, ";")
			for (i = 1; i <= n; i++) { split(fr[i], w, " ")
				if (w[1] ~ /^(make_list|grow|zeroed|aligned|leaker|big|produce)$/) f = w[1]
				if (w[1] ~ /allocate_dtv|_dl_allocate_tls/) f = "(dtv)"
				if (w[1] ~ /^(_dl_init|call_init)$/ && f == "(other)") f = "(init)" }
			s[f] += v }
			END { for (f in s) print cost, f, s[f] }' "$tmp/fg.$cost"
	done | sort > "$tmp/ht.got"
	# tscope's counts by function (report above), less memalign(), which heaptrack does
	# not wrap; plus libstdc++'s pool, allocated as heaptrack's own library loads it
	printf 'allocations %s\n' '(dtv) 1' '(init) 1' 'aligned 3' 'big 1' 'grow 3' 'leaker 3' \
		'make_list 8' 'produce 6' 'zeroed 1' > "$tmp/ht.want"
	grep '^allocations' "$tmp/ht.got" > "$tmp/ht.alloc"
	diff "$tmp/ht.want" "$tmp/ht.alloc" > "$tmp/d" || problem "heaptrack allocations: $(cat "$tmp/d")"
	lk=$(awk '$1 == "leaked" && ($2 == "leaker" || $2 == "produce") { s += $3 } END { print s }' "$tmp/ht.got")
	[ "$lk" = 3777 ] || problem "heaptrack: the program's leaks are $lk bytes, tscope's 3777"
	# the peak without that pool: the program's, in big()
	hp=$(awk '$1 == "peak" && $2 != "(init)" { s += $3 } END { print s }' "$tmp/ht.got")
	tp=$(awk '/^peak: / { print $2 }' "$tmp/hl")
	[ "$hp" = 13384 ] && [ "$tp" = 13384 ] || problem "peak: heaptrack $hp, tscope $tp, want 13384"
	grep -q 'in: big$' "$tmp/hl" || problem "tscope's peak is not in big: $(grep '^peak' "$tmp/hl")"
	[ -s "$tmp/problems" ] && sed 's/^/heaptrack: /' "$tmp/ht.got" >> "$tmp/problems"
	point "heaptrack finds the same allocations, leaks and peak"
fi

# ---- linked statically: libtscope-malloc.a with libtscope.a -----------------------------------
if [ -f "$libdir/libtscope-malloc.a" ] && [ -f "$libdir/libtscope.a" ]; then
	lz4=""
	nm "$libdir/libtscope.a" 2> /dev/null | grep -q ' U LZ4_' && lz4=-llz4
	${CC:-cc} -O1 -fno-builtin -finstrument-functions -pthread -o "$tmp/prog-static" \
		"$top_srcdir/tests/prog-malloc.c" "$libdir/libtscope-malloc.a" "$libdir/libtscope.a" \
		$lz4 -ldl > "$tmp/out" 2>&1 || problem "link: $(cat "$tmp/out")"
	TSCOPE_MALLOC=1 TSCOPE_OUTPUT=$tmp/s.trace "$tmp/prog-static" mmap || problem "static run failed"
	rep "$tmp/s.trace" > "$tmp/got.s"
	diff "$tmp/want.rep" "$tmp/got.s" > "$tmp/d" || problem "static: $(cat "$tmp/d")"
	"$tscope" leaks "$tmp/s.trace" 2> /dev/null | grep -c ' leaker$' > "$tmp/n"
	[ "$(cat "$tmp/n")" = 1 ] || problem "static: leaks: $("$tscope" leaks "$tmp/s.trace")"
	TSCOPE_OUTPUT=$tmp/s0.trace "$tmp/prog-static" mmap || problem "static run without TSCOPE_MALLOC failed"
	"$tscope" dump "$tmp/s0.trace" | grep -c -E ' (ALLOC|FREE|UNMAP) ' > "$tmp/n"
	[ "$(cat "$tmp/n")" = 0 ] || problem "static without TSCOPE_MALLOC=1: $(cat "$tmp/n") memory events"
	point "static: libtscope-malloc.a and libtscope.a, TSCOPE_MALLOC=1: the same numbers"
else
	skip "static: libtscope-malloc.a and libtscope.a" "built without static libraries"
fi
finish
