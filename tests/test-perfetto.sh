#!/bin/sh
# test-perfetto.sh - `tscope perfetto` against the real consumer's parser: real traced
# programs (threads; scopes, instants and counters; a process tree; a ring-mode trace
# that starts mid-stack, which makes the converter write a thread again) converted
# to Perfetto protobuf and to Chrome JSON; protoc must decode the protobuf, raw and
# with tests/perfetto-subset.proto (Perfetto's field numbers), and so must it the
# packets inflated from its compressed_packets (check-perfetto.py --inflate: zlib
# checks each stream); tests/check-perfetto.py must find in those, per thread, the
# JSON's slices to the nanosecond (timestamps summed from the deltas), its instants,
# counters and names, with the format's rules kept (every sequence starts by clearing
# its state, every interned name is defined before use, every BEGIN has its END on its
# track) and the size bounds met.  The ring-mode trace is written to a file (the output
# goes back) and through a pipe (held in memory).  Last, the real demo program,
# examples/fib with fib(30): the protobuf is at most 1/4 of the JSON's size.
#
# Needs top_builddir and top_srcdir (set by `make check`), TSCOPE_LIB, tools/tscope,
# tests/prog-calls and examples/fib.  Skips with a reason without protoc (Debian:
# protobuf-compiler) or python3.  Works in tests/tmp-perfetto.PID, removed when
# everything passed.
: "${top_builddir:?}" "${top_srcdir:?}"
LC_ALL=C
export LC_ALL
tscope=$top_builddir/tools/tscope
prog=$top_builddir/tests/prog-calls
fib=$top_builddir/examples/fib
proto=perfetto-subset.proto
check=$top_srcdir/tests/check-perfetto.py

. "$top_srcdir/tests/tap.sh"
tap_init perfetto
unset TSCOPE_OUTPUT TSCOPE_ENABLE TSCOPE_MODE TSCOPE_BUFFER TSCOPE_COMPRESS TSCOPE_SNAPSHOT_SIGNAL

# The size bounds (see the summary of check-perfetto.py).  Before compression an event
# costs 10 bytes (SLICE_END) to 12 (SLICE_BEGIN) when the time since the event before
# fits in one byte (under 128 ns), a byte more when it fits in two: the packet's own
# field and length, a timestamp, the track event's field, type and name, the sequence
# id.  The Chrome JSON spends 70 to 80 bytes on a call with a short name and small ids:
# about 0.27 of it, and the compression takes that several times lower.  The bounds
# leave room for slow builds (sanitizers: longer times between events), and still fail
# an encoding that wastes bytes (flags on every packet, absolute timestamps, names not
# interned, no compression).
max_event_bytes=12.5
max_ratio=0.25

why=
command -v protoc > /dev/null 2>&1 || why="no protoc (Debian package protobuf-compiler)"
command -v python3 > /dev/null 2>&1 || why=${why:-"no python3"}

# convert NAME TRACE...: NAME.json, NAME.pftrace and NAME.txt (decoded), or problems
convert() {
	name=$1
	shift
	"$tscope" chrome "$@" -o "$tmp/$name.json" 2> "$tmp/$name.chrome.err" ||
		problem "$name: chrome failed: $(cat "$tmp/$name.chrome.err")"
	"$tscope" perfetto "$@" -o "$tmp/$name.pftrace" 2> "$tmp/$name.err" ||
		problem "$name: perfetto failed: $(cat "$tmp/$name.err")"
	cmp -s "$tmp/$name.chrome.err" "$tmp/$name.err" ||
		problem "$name: not what chrome says on stderr: $(cat "$tmp/$name.err")"
	decode "$name" "$tmp/$name.pftrace"
}

# decode NAME FILE: protoc decodes FILE, raw and as a Trace, then the packets inflated
# from it (NAME.flat), as a Trace too (NAME.txt), or problems
decode() {
	for f in "$2" "$tmp/$1.flat"; do
		protoc --decode_raw < "$f" > /dev/null 2> "$tmp/$1.raw.err" ||
			problem "$1: protoc --decode_raw $f: $(head -n 3 "$tmp/$1.raw.err")"
		(cd "$top_srcdir/tests" && protoc --decode=perfetto.protos.Trace "$proto") \
			< "$f" > "$tmp/$1.txt" 2> "$tmp/$1.dec.err" ||
			problem "$1: protoc --decode $f: $(head -n 3 "$tmp/$1.dec.err")"
		[ -s "$tmp/$1.dec.err" ] && problem "$1: protoc says: $(head -n 3 "$tmp/$1.dec.err")"
		[ "$f" = "$2" ] || break
		grep -q "compressed_packets" "$tmp/$1.txt" || problem "$1: no compressed_packets"
		python3 "$check" --inflate "$2" "$tmp/$1.flat" 2> "$tmp/$1.inf.err" ||
			problem "$1: $(cat "$tmp/$1.inf.err")"
	done
}

# verify NAME [PFTRACE] [BOUNDS...]: check-perfetto.py on NAME's files; its line shown
verify() {
	name=$1
	pf=${2:-$tmp/$name.pftrace}
	shift
	[ $# -gt 0 ] && shift
	if python3 "$check" "$tmp/$name.txt" "$tmp/$name.json" "$pf" "$@" > "$tmp/$name.check" \
		2> "$tmp/$name.check.err"; then
		sed "s/^/# $name: /" "$tmp/$name.check"
	else
		problem "$name: $(cat "$tmp/$name.check.err")"
	fi
}

if [ -n "$why" ]; then
	for what in "threads: the JSON's slices, per thread" "scopes, instants, counters" \
		"a process tree" "ring mode: written to a file" "ring mode: through a pipe" \
		"ring mode: the same bytes compressed on a thread of its own (TSCOPE_THREADS=2)" \
		"the checker fails on a mismatch" "fib(30): the protobuf is at most 1/4 of the JSON" \
		"fib(30): the same bytes compressed on a thread of its own (TSCOPE_THREADS=2)"; do
		skip "$what" "$why"
	done
	finish
fi

# Four threads of 5000 calls.
TSCOPE_OUTPUT=$tmp/threads.trace "$prog" threads 4 5000 > /dev/null 2> "$tmp/err" ||
	problem "prog-calls threads: $(cat "$tmp/err")"
convert threads "$tmp/threads.trace"
verify threads "" --max-ratio $max_ratio --max-event-bytes $max_event_bytes
point "threads: the JSON's slices, per thread"

# Scopes (fixed and copied names), instants, counters (negative too).
TSCOPE_OUTPUT=$tmp/api.trace "$prog" api > /dev/null 2> "$tmp/err" ||
	problem "prog-calls api: $(cat "$tmp/err")"
convert api "$tmp/api.trace"
verify api
grep -q 'counter_value: -5' "$tmp/api.txt" || problem "api: no counter value -5"
grep -q 'type: TYPE_INSTANT' "$tmp/api.txt" || problem "api: no instant"
point "scopes, instants, counters"

# A parent and its forked child: two files, one timeline.
TSCOPE_OUTPUT=$tmp/fork.trace "$prog" fork > /dev/null 2> "$tmp/err" ||
	problem "prog-calls fork: $(cat "$tmp/err")"
set -- "$tmp"/fork.trace*
[ $# -eq 2 ] || problem "fork: $# trace files, want 2"
convert fork "$@"
verify fork
[ "$(grep -c '^      pid: ' "$tmp/fork.txt")" -ge 2 ] ||
	problem "fork: fewer than two processes described"
point "a process tree"

# Ring mode: the trace starts inside calls, which return with nothing open: the
# converter reads the thread again with them open from the start.  Its output is larger
# than the converter's buffer, so in a file it goes back to the thread's start; through
# a pipe it is held in memory.
"$tscope" record --ring=2M -o "$tmp/ring.trace" "$fib" 28 > /dev/null 2> "$tmp/err" ||
	problem "record --ring: $(cat "$tmp/err")"
convert ring "$tmp/ring.trace"
grep -q "begun before the recorded events" "$tmp/ring.err" ||
	problem "ring: no call begun before the events: $(cat "$tmp/ring.err")"
[ "$(wc -c < "$tmp/ring.flat")" -gt 300000 ] || problem "ring: output smaller than a buffer"
verify ring "" --max-ratio $max_ratio --max-event-bytes $max_event_bytes
point "ring mode: written to a file"
"$tscope" perfetto "$tmp/ring.trace" 2> /dev/null | cat > "$tmp/pipe.pftrace"
decode ring "$tmp/pipe.pftrace"
verify ring "$tmp/pipe.pftrace" --max-ratio $max_ratio
point "ring mode: through a pipe"
# The runs are compressed on a thread of their own when there are CPUs for it: in
# place, one at a time, the bytes are the same, also those written again in the file.
TSCOPE_THREADS=2 "$tscope" perfetto "$tmp/ring.trace" -o "$tmp/ring1.pftrace" 2> /dev/null
cmp -s "$tmp/ring.pftrace" "$tmp/ring1.pftrace" ||
	problem "ring: TSCOPE_THREADS=2 writes other bytes to a file"
TSCOPE_THREADS=2 "$tscope" perfetto "$tmp/ring.trace" 2> /dev/null | cat > "$tmp/pipe1.pftrace"
cmp -s "$tmp/pipe.pftrace" "$tmp/pipe1.pftrace" ||
	problem "ring: TSCOPE_THREADS=2 writes other bytes to a pipe"
point "ring mode: the same bytes compressed on a thread of its own (TSCOPE_THREADS=2)"

# The checker can fail: another trace's JSON, and a size bound not met.
if python3 "$check" "$tmp/api.txt" "$tmp/threads.json" "$tmp/api.pftrace" > /dev/null \
	2> "$tmp/err"; then
	problem "the api slices pass against the threads JSON"
fi
grep -q "differ" "$tmp/err" || problem "no difference said: $(cat "$tmp/err")"
if python3 "$check" "$tmp/api.txt" "$tmp/api.json" "$tmp/api.pftrace" --max-ratio 0.1 \
	> /dev/null 2>&1; then
	problem "a ratio of 0.1 passes"
fi
point "the checker fails on a mismatch"

# The demo program: fib(22) checked in full, fib(30) (2,692,537 calls of fib_naive:
# 5,385,202 events) for the size: the JSON goes through a pipe, not to the disk.
"$tscope" record -o "$tmp/fib22.trace" "$fib" 22 > /dev/null 2> "$tmp/err" ||
	problem "record fib 22: $(cat "$tmp/err")"
convert fib22 "$tmp/fib22.trace"
verify fib22 "" --max-ratio $max_ratio --max-event-bytes $max_event_bytes
"$tscope" record -o "$tmp/fib30.trace" "$fib" 30 > /dev/null 2> "$tmp/err" ||
	problem "record fib 30: $(cat "$tmp/err")"
"$tscope" perfetto "$tmp/fib30.trace" -o "$tmp/fib30.pftrace" 2> "$tmp/err" ||
	problem "perfetto fib 30: $(cat "$tmp/err")"
json=$("$tscope" chrome "$tmp/fib30.trace" 2> "$tmp/err" | wc -c | tr -d ' ')
[ -s "$tmp/err" ] && problem "chrome fib 30: $(cat "$tmp/err")"
pf=$(wc -c < "$tmp/fib30.pftrace" | tr -d ' ')
events=$("$tscope" info "$tmp/fib30.trace" | awk '$1 == "events" { print $2 }')
echo "# fib(30): $events events; perfetto $pf bytes, chrome $json bytes: ratio" \
	"$(awk -v p="$pf" -v j="$json" 'BEGIN { printf "%.4f", p / j }')," \
	"$(awk -v p="$pf" -v e="$events" 'BEGIN { printf "%.2f", p / e }') bytes per event"
awk -v p="$pf" -v j="$json" 'BEGIN { exit !(j > 0 && 4 * p <= j) }' ||
	problem "fib 30: perfetto $pf bytes, more than 1/4 of the JSON's $json"
point "fib(30): the protobuf is at most 1/4 of the JSON"
TSCOPE_THREADS=2 "$tscope" perfetto "$tmp/fib30.trace" -o "$tmp/fib30-1.pftrace" 2> /dev/null
cmp -s "$tmp/fib30.pftrace" "$tmp/fib30-1.pftrace" ||
	problem "fib 30: TSCOPE_THREADS=2 writes other bytes"
"$tscope" perfetto "$tmp/fib30.trace" 2> /dev/null | cat > "$tmp/fib30p.pftrace"
TSCOPE_THREADS=2 "$tscope" perfetto "$tmp/fib30.trace" 2> /dev/null | cmp -s - "$tmp/fib30p.pftrace" ||
	problem "fib 30: TSCOPE_THREADS=2 writes other bytes to a pipe"
point "fib(30): the same bytes compressed on a thread of its own (TSCOPE_THREADS=2)"

finish
