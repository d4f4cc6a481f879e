#!/bin/sh
# test-io.sh - I/O and waiting (tscope record --io) in report, chrome and perfetto.
#
# tests/prog-io does known I/O in named functions (see its top): `report --io` shows
# per function and per file the calls and bytes read and written, exactly; the chrome
# JSON holds each call as a slice with its arguments (fd, bytes, result, path), inside
# the function that made it, and the perfetto file the same slices with the same
# arguments; the thread blocked 200 ms on a condition variable shows 200 ms (+-5%) of
# waiting in its function and under 20 ms of self time (the CPU it used, and the time
# it was preempted on a loaded machine).  The same in raw, LZ4 and small-buffer
# traces, and with libtscope-io.a linked statically.
# Without --io: no I/O event, no wait column, and libtscope.so defines no I/O
# function.  Times are not compared but for the waits.  Needs top_builddir and
# top_srcdir (make check).
: "${top_builddir:?}" "${top_srcdir:?}"
LC_ALL=C
export LC_ALL
tscope=$top_builddir/tools/tscope
prog=$top_builddir/tests/prog-io
libdir=$top_builddir/lib/.libs

. "$top_srcdir/tests/tap.sh"
tap_init io
unset TSCOPE_OUTPUT TSCOPE_ENABLE TSCOPE_MODE TSCOPE_BUFFER TSCOPE_COMPRESS TSCOPE_SNAPSHOT_SIGNAL \
	TSCOPE_MALLOC TSCOPE_IO
mkdir -p "$tmp/dir"
data=$tmp/dir/data

# ---- without --io: nothing, at no cost -----------------------------------------------------
got=$(nm -D --defined-only "$libdir/libtscope.so" | awk '{print $3}' |
	grep -x -E 'read|write|open|close|pthread_mutex_lock|pthread_cond_wait|nanosleep')
[ -z "$got" ] || problem "libtscope.so defines: $got"
"$tscope" record -o "$tmp/plain.trace" "$prog" "$tmp/dir" > "$tmp/out" 2>&1 ||
	problem "record: $(cat "$tmp/out")"
"$tscope" dump "$tmp/plain.trace" > "$tmp/plain.dump" || problem "dump failed"
grep -q ' ext ' "$tmp/plain.dump" && problem "a chunk is flagged ext"
"$tscope" report "$tmp/plain.trace" > "$tmp/plain.rep" 2>&1
grep -q ' wait ' "$tmp/plain.rep" && problem "report shows a wait column: $(cat "$tmp/plain.rep")"
"$tscope" report --io --ns "$tmp/plain.trace" > "$tmp/plain.io" 2>&1
[ "$(grep -c . "$tmp/plain.io")" = 4 ] || problem "report --io: $(cat "$tmp/plain.io")"
point "without --io: no I/O event, no wait column, empty --io tables"

# ---- report --io ------------------------------------------------------------------------------
# function: calls, bytes read, bytes written (times vary; waits below)
cat > "$tmp/want.func" << EOF
pipe_io 5 128 128
read_file 10 3600 0
socket_io 4 10 10
write_file 7 0 3500
EOF
# file: calls, read, written.  pipe() and socketpair() are not opens: "fd N".  The fds
# are the lowest free ones, which depend on what the test harness left open: B, the
# fd of the first open, the data file; then the pipe's read end and the first socket
# are B, its write end and the second socket B + 1.
want_file() { # B
	echo "$data 17 3600 3500"
	echo "fd $1 4 128 10"
	echo "fd $(($1 + 1)) 5 10 128"
}
# base TRACE: the fd the program's first open returned
base() {
	"$tscope" chrome "$1" -o "$tmp/base.json" 2> /dev/null
	python3 -c 'import json, sys
ev = [e for e in json.load(open(sys.argv[1]))["traceEvents"] if e.get("cat") == "io"]
print(min(ev, key=lambda e: e["ts"])["args"]["result"] if ev else -1)' "$tmp/base.json"
}

# io TRACE SUFFIX: the two tables of report --io --ns, as above
io() {
	"$tscope" report --io --ns "$1" > "$tmp/io$2" 2> "$tmp/io.err" || problem "report --io: $(cat "$tmp/io.err")"
	awk '/^I\/O by file/ { exit } NR > 2 && NF == 7 && $1 > 0 { print $7, $1, $3, $4 }' "$tmp/io$2" |
		sort > "$tmp/func$2"
	awk 'f && NF >= 6 && $1 != "calls" { name = $6; for (i = 7; i <= NF; i++) name = name " " $i
		print name, $1, $3, $4 } /^I\/O by file/ { f = 1 }' "$tmp/io$2" | sort > "$tmp/file$2"
	diff "$tmp/want.func" "$tmp/func$2" > "$tmp/d" || problem "by function$2: $(cat "$tmp/d")"
	want_file "$(base "$1")" | sort > "$tmp/want.file"
	diff "$tmp/want.file" "$tmp/file$2" > "$tmp/d" || problem "by file$2: $(cat "$tmp/d")"
	grep -q 'no function' "$tmp/io$2" && problem "I/O outside the program's functions (the runtime's own?): $(cat "$tmp/io$2")"
}

"$tscope" record --io -o "$tmp/io.trace" "$prog" "$tmp/dir" > "$tmp/out" 2>&1 ||
	problem "record --io: $(cat "$tmp/out")"
io "$tmp/io.trace" ""
point "--io: report --io per function and per file, calls and bytes exact"

# waits: wait_for_go 200 ms (+-5%) of waiting and little self time, in the tree and
# the flat report; nap's nanosleep is waiting too
"$tscope" report --ns -t 0 "$tmp/io.trace" > "$tmp/tree" 2>&1
awk '$NF == "wait_for_go" || $NF == "nap" { print $NF, $2, $3 }' "$tmp/tree" | sort > "$tmp/w"
awk '$1 == "wait_for_go" || $1 == "nap" {
	if ($3 < 190000000 || $3 > 210000000) print "wait", $0
	if ($2 > 20000000) print "self", $0 }' "$tmp/w" > "$tmp/bad"
[ "$(wc -l < "$tmp/w")" = 2 ] && [ ! -s "$tmp/bad" ] ||
	problem "tree (function self wait): $(cat "$tmp/w") -- $(cat "$tmp/tree")"
grep -q -E '^ +incl +self +wait +calls' "$tmp/tree" || problem "no wait column: $(cat "$tmp/tree")"
"$tscope" report --flat --ns "$tmp/io.trace" > "$tmp/flat" 2>&1
awk '$NF == "wait_for_go" { if ($3 < 190000000 || $3 > 210000000 || $1 > 20000000) print }' \
	"$tmp/flat" > "$tmp/bad"
grep -q 'wait_for_go$' "$tmp/flat" && [ ! -s "$tmp/bad" ] || problem "flat: $(cat "$tmp/flat")"
awk '$NF == "wait_for_go" { if ($5 < 190000000 || $5 > 210000000 || $6 < 1) print }' \
	"$tmp/io" > "$tmp/bad"
grep -q 'wait_for_go$' "$tmp/io" && [ ! -s "$tmp/bad" ] || problem "report --io: $(cat "$tmp/io")"
point "--io: 200 ms on a condition variable is waiting (+-5%), not self time"

# ---- chrome: the slices and their arguments ---------------------------------------------------
"$tscope" chrome "$tmp/io.trace" -o "$tmp/io.json" 2> "$tmp/err" || problem "chrome: $(cat "$tmp/err")"
python3 - "$tmp/io.json" "$data" > "$tmp/slices" << 'PY'
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
path = sys.argv[2]
io = sorted((e for e in ev if e.get("cat") == "io"), key=lambda e: e["ts"])
b = io[0]["args"]["result"] if io else 0  # the first open's fd: see want_file
funcs = [e for e in ev if e.get("ph") == "X" and "cat" not in e]
def caller(s):  # the innermost function slice of its thread around s
    best = None
    for f in funcs:
        if f["tid"] == s["tid"] and f["ts"] <= s["ts"] and s["ts"] + s["dur"] <= f["ts"] + f["dur"]:
            if best is None or f["dur"] < best["dur"]:
                best = f
    return best["name"] if best else "-"
for e in ev:
    if e.get("cat") == "io":
        a = e["args"]
        p = "data" if a.get("path") == path else a.get("path", "-")
        r = a["result"] - b if e["name"] == "open" else a["result"]
        print(caller(e), e["name"], a["fd"] - b, a["bytes"], r, p)
    elif e.get("cat") == "wait" and (e["name"] == "nanosleep" or
                                     (e["name"] == "pthread_cond_wait" and caller(e) == "wait_for_go")):
        ok = 190000 <= e["dur"] <= 210000 and e["args"]["wait_us"] == e["dur"]
        print(caller(e), e["name"], "ok" if ok else e)
PY
cat > "$tmp/want.slices" << 'EOF'
nap nanosleep ok
pipe_io close 0 0 0 -
pipe_io close 1 0 0 -
pipe_io read 0 128 128 -
pipe_io write 1 64 64 -
pipe_io write 1 64 64 -
read_file close 0 0 0 data
read_file open 0 0 0 data
read_file pread 0 100 100 data
read_file read 0 0 0 data
read_file read 0 1000 1000 data
read_file read 0 500 500 data
read_file read 0 500 500 data
read_file read 0 500 500 data
read_file read 0 500 500 data
read_file readv 0 500 500 data
socket_io close 0 0 0 -
socket_io close 1 0 0 -
socket_io recv 1 10 10 -
socket_io send 0 10 10 -
wait_for_go pthread_cond_wait ok
write_file close 0 0 0 data
write_file fsync 0 0 0 data
write_file open 0 0 0 data
write_file write 0 1000 1000 data
write_file write 0 1000 1000 data
write_file write 0 1000 1000 data
write_file writev 0 500 500 data
EOF
sort "$tmp/slices" > "$tmp/got.slices"
diff "$tmp/want.slices" "$tmp/got.slices" > "$tmp/d" || problem "chrome slices: $(cat "$tmp/d")"
point "--io: chrome has every call as a slice in its function, with fd, bytes, result, path"

# perfetto: the same slices as the JSON (check-perfetto.py), each with its category and
# its arguments as debug annotations
"$tscope" perfetto "$tmp/io.trace" -o "$tmp/io.pftrace" 2> "$tmp/err" || problem "perfetto: $(cat "$tmp/err")"
if ! command -v protoc > /dev/null 2>&1; then
	skip "--io: perfetto has the calls as slices with their arguments" \
		"protoc is not installed (Debian package protobuf-compiler)"
else
	python3 "$top_srcdir/tests/check-perfetto.py" --inflate "$tmp/io.pftrace" "$tmp/io.flat" &&
		protoc --proto_path="$top_srcdir/tests" --decode=perfetto.protos.Trace \
			"$top_srcdir/tests/perfetto-subset.proto" < "$tmp/io.flat" > "$tmp/io.txt" &&
		python3 "$top_srcdir/tests/check-perfetto.py" "$tmp/io.txt" "$tmp/io.json" \
			"$tmp/io.pftrace" > "$tmp/out" 2>&1 || problem "check-perfetto: $(cat "$tmp/out")"
	got="$(grep -c 'categories: "io"' "$tmp/io.txt") $(grep -c "string_value: \"$data\"" "$tmp/io.txt")"
	[ "$got" = "26 17" ] || problem "io slices, with the data file's path: $got, want 26 17"
	point "--io: perfetto has the calls as slices with their arguments"
fi

# raw slots, LZ4, and buffers of 64 slots (events of 4 slots meet their ends often)
for enc in raw lz4 buffer; do
	opt=--$enc
	[ $enc = buffer ] && opt="--buffer 1k"
	rm -f "$data"
	"$tscope" record --io $opt -o "$tmp/$enc.trace" "$prog" "$tmp/dir" > "$tmp/out" 2>&1 ||
		problem "record --$enc: $(cat "$tmp/out")"
	[ -s "$tmp/$enc.trace" ] && io "$tmp/$enc.trace" ".$enc"
done
point "--io: raw, LZ4-compressed and small-buffer traces hold the same I/O events"

# ---- _FORTIFY_SOURCE: libc's checking variants, recorded as the calls they check ----------------
fort=$top_builddir/tests/prog-io-fortify
chk=$(nm -D --undefined-only "$fort" | awk '{print $2}' |
	sed -n 's/^\(__\(read\|pread\|recv\)_chk\).*/\1/p' | sort | tr '\n' ' ')
if [ -n "$chk" ]; then
	rm -f "$data"
	"$tscope" record --io -o "$tmp/fort.trace" "$fort" "$tmp/dir" > "$tmp/out" 2>&1 ||
		problem "record --io prog-io-fortify: $(cat "$tmp/out")"
	io "$tmp/fort.trace" ".fortify"
	point "--io, _FORTIFY_SOURCE=2 (${chk% }): the same numbers"
else
	skip "--io, _FORTIFY_SOURCE=2" "the compiler made no call to a _chk function"
fi

# ---- linked statically: libtscope-io.a with libtscope.a ---------------------------------------
if [ -f "$libdir/libtscope-io.a" ] && [ -f "$libdir/libtscope.a" ]; then
	lz4="" san=""
	nm "$libdir/libtscope.a" 2> /dev/null | grep -q ' U LZ4_' && lz4=-llz4
	# a sanitizer build's libraries need its run-time
	nm "$libdir/libtscope.a" 2> /dev/null | grep -q ' U __asan_' && san="-fsanitize=address,undefined"
	nm "$libdir/libtscope.a" 2> /dev/null | grep -q ' U __tsan_' && san="-fsanitize=thread"
	${CC:-cc} -O1 -fno-builtin -finstrument-functions -pthread $san -o "$tmp/prog-static" \
		"$top_srcdir/tests/prog-io.c" "$libdir/libtscope-io.a" "$libdir/libtscope.a" \
		$lz4 -ldl > "$tmp/out" 2>&1 || problem "link: $(cat "$tmp/out")"
	TSCOPE_IO=1 TSCOPE_OUTPUT=$tmp/s.trace "$tmp/prog-static" "$tmp/dir" || problem "static run failed"
	io "$tmp/s.trace" ".static"
	TSCOPE_OUTPUT=$tmp/s0.trace "$tmp/prog-static" "$tmp/dir" || problem "static run without TSCOPE_IO failed"
	"$tscope" dump "$tmp/s0.trace" | grep -q ' ext ' && problem "static without TSCOPE_IO=1: EXT events"
	point "static: libtscope-io.a and libtscope.a, TSCOPE_IO=1: the same numbers"
else
	skip "static: libtscope-io.a and libtscope.a" "built without static libraries"
fi
finish
