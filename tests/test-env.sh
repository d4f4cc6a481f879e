#!/bin/sh
# test-env.sh - bad TSCOPE_* values: each is reported once, on one stderr line that
# starts with "tscope: " and names the variable, and the default is used; the traced
# program runs as it would untraced.  Good values are silent.  Also the options of
# `tscope record` that become these variables.
#
# Needs top_builddir and top_srcdir (set by `make check`): tests/prog-calls (libtscope
# linked in) and tools/tscope.  Works in tests/tmp-env.PID, removed when everything
# passed.
: "${top_builddir:?}" "${top_srcdir:?}"
LC_ALL=C
export LC_ALL
prog=$top_builddir/tests/prog-calls
plain=$top_builddir/tests/prog-plain
tscope=$top_builddir/tools/tscope

. "$top_srcdir/tests/tap.sh"
tap_init env
unset TSCOPE_OUTPUT TSCOPE_ENABLE TSCOPE_MODE TSCOPE_BUFFER TSCOPE_COMPRESS TSCOPE_SNAPSHOT_SIGNAL

# start NAME: a fresh working directory $dir for one case
start() {
	dir=$tmp/$1
	mkdir -p "$dir"
}

# traced MODE VAR=value...: run prog-calls MODE in $dir with the variables; the
# default output file is $dir/tscope.trace.  Checks that it exits 0 and prints what
# it prints untraced; stderr in $dir/err.
traced() {
	mode=$1
	shift
	case $mode in
	threads) set -- "$@" "$prog" threads 1 70000 ;;
	*) set -- "$@" "$prog" "$mode" ;;
	esac
	(cd "$dir" && env "$@" > out 2> err)
	st=$?
	[ $st -eq 0 ] || problem "exit status $st, want 0: $(head -c 300 "$dir/err")"
	grep -q '^fn ' "$dir/out" || problem "the program's output is missing: $(head -c 200 "$dir/out")"
	if grep -q tscope "$dir/out"; then
		problem "tscope wrote to the program's stdout"
	fi
}

# one_line VAR: exactly one stderr line, "tscope: VAR...", printable characters only
one_line() {
	lines=$(wc -l < "$dir/err")
	[ "$lines" -eq 1 ] || problem "$lines lines on stderr, want 1: $(head -c 300 "$dir/err" | tr '\n' '|')"
	[ "$(tail -c 1 "$dir/err" | od -An -c | tr -d ' ')" = '\n' ] ||
		problem "stderr does not end with a newline"
	grep -q "^tscope: $1" "$dir/err" ||
		problem "stderr does not start 'tscope: $1': $(head -c 200 "$dir/err")"
	if tr -d '\n' < "$dir/err" | grep -q '[^[:print:]]'; then
		problem "control characters on stderr: $(od -An -c "$dir/err" | head -n 3 | tr -s ' ')"
	fi
}

silent() {
	[ ! -s "$dir/err" ] || problem "stderr is not empty: $(head -c 300 "$dir/err")"
}

# trace_info FILE: tscope info, which must read it completely
trace_info() {
	"$tscope" info "$1" > "$dir/info" 2> "$dir/info.err" ||
		problem "tscope info $1: $(cat "$dir/info.err")"
	grep -q '^status *complete' "$dir/info" || problem "$1 is not complete"
}

# the number of EVENTS chunks in $dir/info
events_chunks() {
	sed -n 's/^chunks.*(\([0-9]*\) EVENTS).*/\1/p' "$dir/info"
}

# ---- TSCOPE_BUFFER: 140000 events in one thread fill a 1 MiB buffer 3 times ----------
for v in abc 0 -1 12q 5G 99999999999 18446744073709551617 18014398509481985k ''; do
	start "buffer-$v"
	traced threads TSCOPE_BUFFER="$v"
	one_line TSCOPE_BUFFER
	trace_info "$dir/tscope.trace"
	k=$(events_chunks)
	[ "${k:-0}" -ge 3 ] && [ "${k:-0}" -le 4 ] ||
		problem "$k EVENTS chunks: not the default 1 MiB buffer"
	point "TSCOPE_BUFFER='$v': one line, the default 1M is used"
done
start buffer-good
traced threads TSCOPE_BUFFER=64k
silent
trace_info "$dir/tscope.trace"
k=$(events_chunks)
[ "${k:-0}" -ge 30 ] || problem "$k EVENTS chunks with 64k buffers"
point "TSCOPE_BUFFER=64k is silent and used"

# ---- TSCOPE_MODE -------------------------------------------------------------------------
for v in bogus RING streamx ''; do
	start "mode-$v"
	traced abc TSCOPE_MODE="$v"
	one_line TSCOPE_MODE
	trace_info "$dir/tscope.trace"
	grep -q '^mode *stream' "$dir/info" || problem "not in stream mode: $(grep '^mode' "$dir/info")"
	point "TSCOPE_MODE='$v': one line, stream mode"
done
for v in stream ring; do
	start "mode-$v"
	traced abc TSCOPE_MODE=$v
	silent
	trace_info "$dir/tscope.trace"
	grep -q "^mode *$v" "$dir/info" || problem "not in $v mode: $(grep '^mode' "$dir/info")"
	point "TSCOPE_MODE=$v is silent and used"
done

# ---- TSCOPE_ENABLE -----------------------------------------------------------------------
for v in maybe yes 2 ''; do
	start "enable-$v"
	traced abc TSCOPE_ENABLE="$v"
	one_line TSCOPE_ENABLE
	trace_info "$dir/tscope.trace"
	point "TSCOPE_ENABLE='$v': one line, recording stays on"
done
start enable-0
traced abc TSCOPE_ENABLE=0
silent
[ ! -e "$dir/tscope.trace" ] || problem "a trace was written"
point "TSCOPE_ENABLE=0 is silent and records nothing"

# ---- TSCOPE_OUTPUT -----------------------------------------------------------------------
long=$(head -c 5000 /dev/zero | tr '\0' x)
start output-long
traced abc TSCOPE_OUTPUT="$long"
one_line TSCOPE_OUTPUT
trace_info "$dir/tscope.trace"
point "TSCOPE_OUTPUT of 5000 characters: one line, tscope.trace is written"
start output-deep
traced abc TSCOPE_OUTPUT="$dir/no/such/dir/x.trace"
one_line "$dir/no/such/dir/x.trace"
point "TSCOPE_OUTPUT in a missing directory: one line naming it, the program runs"
start output-long-name
traced abc TSCOPE_OUTPUT="$dir/$(head -c 3000 /dev/zero | tr '\0' y)"
one_line "$dir/"
point "TSCOPE_OUTPUT too long a name for the system: one whole line, the program runs"
start output-pid
traced abc TSCOPE_OUTPUT="$dir/t-%p.trace"
silent
ls "$dir"/t-[0-9]*.trace > /dev/null 2>&1 || problem "no t-<pid>.trace: $(ls "$dir")"
point "TSCOPE_OUTPUT with %p: the pid is in the name"

# ---- TSCOPE_COMPRESS ---------------------------------------------------------------------
for v in zstd gzip LZ4x; do
	start "compress-$v"
	traced abc TSCOPE_COMPRESS=$v
	one_line TSCOPE_COMPRESS
	trace_info "$dir/tscope.trace"
	if "$tscope" dump "$dir/tscope.trace" | grep -q '^chunk.* lz4 '; then
		problem "compressed chunks"
	fi
	point "TSCOPE_COMPRESS=$v: one line, no compression"
done
start compress-lz4
traced abc TSCOPE_COMPRESS=lz4
if [ -s "$dir/err" ]; then
	one_line TSCOPE_COMPRESS # built without LZ4: says so
	grep -q -i lz4 "$dir/err" || problem "the line does not mention LZ4"
fi
trace_info "$dir/tscope.trace"
point "TSCOPE_COMPRESS=lz4: used, or one line saying LZ4 is not built in"

# ---- TSCOPE_SNAPSHOT_SIGNAL --------------------------------------------------------------
for v in BOGUS KILL SIGSEGV 9 0 99; do
	start "snapsig-$v"
	traced abc TSCOPE_MODE=ring TSCOPE_SNAPSHOT_SIGNAL=$v
	one_line TSCOPE_SNAPSHOT_SIGNAL
	trace_info "$dir/tscope.trace"
	point "TSCOPE_SNAPSHOT_SIGNAL=$v: one line, no snapshot signal"
done
start snapsig-good
traced abc TSCOPE_MODE=ring TSCOPE_SNAPSHOT_SIGNAL=USR2
silent
point "TSCOPE_SNAPSHOT_SIGNAL=USR2 in ring mode is silent"

# ---- the messages themselves -------------------------------------------------------------
start newline
traced abc TSCOPE_MODE="$(printf 'a\nb')"
one_line TSCOPE_MODE
point "a value with a newline is still reported on one line"
start escape
traced abc TSCOPE_MODE="$(printf '\033[2J\033[31mred')"
one_line TSCOPE_MODE
point "a value with terminal escapes reaches stderr without them"
start huge-value
traced abc TSCOPE_MODE="$long"
one_line TSCOPE_MODE
[ "$(wc -c < "$dir/err")" -le 1024 ] || problem "a $(wc -c < "$dir/err")-byte line"
point "a 5000-character value is reported on one short line"
start several
traced abc TSCOPE_MODE=bogus TSCOPE_BUFFER=abc TSCOPE_ENABLE=maybe
[ "$(wc -l < "$dir/err")" -eq 3 ] || problem "$(wc -l < "$dir/err") lines, want 3: $(tr '\n' '|' < "$dir/err")"
for v in TSCOPE_MODE TSCOPE_BUFFER TSCOPE_ENABLE; do
	[ "$(grep -c "^tscope: $v" "$dir/err")" -eq 1 ] || problem "$v is not reported once"
done
point "three bad values: three lines, one each"
start once
traced fork TSCOPE_BUFFER=abc
[ "$(wc -l < "$dir/err")" -eq 1 ] || problem "$(wc -l < "$dir/err") lines, want 1 (parent and child)"
point "a bad value is reported once, not again by a forked child"
start preload
(cd "$dir" && env TSCOPE_BUFFER=abc LD_PRELOAD="${TSCOPE_LIB:-$top_builddir/lib/.libs/libtscope.so}" \
	"$plain" abc > out 2> err)
[ $? -eq 0 ] || problem "exit status $?"
one_line TSCOPE_BUFFER
point "preloaded: a bad value is reported on one line"

# ---- tscope record's options -------------------------------------------------------------
# record_usage DESCRIPTION ARGS...: a usage error (status 2), the program not run
record_usage() {
	d=$1
	shift
	start "record-$n"
	(cd "$dir" && "$tscope" record "$@" -- "$prog" abc > out 2> err)
	st=$?
	[ $st -eq 2 ] || problem "exit status $st, want 2"
	[ ! -s "$dir/out" ] || problem "the program ran"
	grep -q '^tscope: ' "$dir/err" || problem "no 'tscope: ' message: $(head -c 200 "$dir/err")"
	point "tscope record $d: usage error, exit 2, nothing run"
}
record_usage "--buffer abc" --buffer abc
record_usage "--buffer 0" --buffer 0
record_usage "--buffer 99999999999999999999" --buffer 99999999999999999999
record_usage "--ring=12q" --ring=12q
record_usage "--snapshot-signal without --ring" --snapshot-signal USR2

finish
