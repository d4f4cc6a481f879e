#!/bin/sh
# test-badinput.sh - every reading command of the CLI against damaged input: traces cut
# at every chunk boundary and inside records, bytes overwritten, empty files, wrong
# magic, a future version, huge length fields, a directory, a missing file, and
# binaries that are corrupt or not the ones that ran.
#
# The rules, from the specification: bad input gets one line "tscope: FILE: what is
# wrong" on stderr and exit status 1; a cut trace converts what precedes the cut, says
# so on stderr (warnings and notes may follow) and exits 1; nothing ever crashes (a
# status of 128 or more) or hangs.  When valgrind is installed, a sample runs under it.
#
# The many damaged copies of a trace are given to each command in batches (every
# command takes several files); a batch that crashes is rerun file by file to name
# the culprit.
#
# Needs top_builddir and top_srcdir (set by `make check`): tools/tscope,
# tests/prog-calls and tests/prog-plain.  Works in tests/tmp-badinput.PID, removed when
# everything passed (and KEEP is unset).
: "${top_builddir:?}" "${top_srcdir:?}"
LC_ALL=C
export LC_ALL
tscope=$top_builddir/tools/tscope
prog=$top_builddir/tests/prog-calls
plain=$top_builddir/tests/prog-plain

. "$top_srcdir/tests/tap.sh"
tap_init badinput
unset TSCOPE_OUTPUT TSCOPE_ENABLE TSCOPE_MODE TSCOPE_BUFFER TSCOPE_COMPRESS TSCOPE_SNAPSHOT_SIGNAL

# A command that loops forever is killed by SIGXCPU (status 152: counted as a crash).
ulimit -t 120 2> /dev/null

# ---- running commands ----------------------------------------------------------------
# tscope_run CMD FILE...: tscope CMD FILE... with stdout in $tmp/out and stderr in
# $tmp/err; sets st.
tscope_run() {
	c=$1
	shift
	case $c in
	chrome) "$tscope" chrome "$@" -o - > "$tmp/out" 2> "$tmp/err" ;;
	*) "$tscope" "$c" "$@" > "$tmp/out" 2> "$tmp/err" ;;
	esac
	st=$?
}

# check_lines KIND FILE...: check $tmp/err against the inputs.  Every line is
# "tscope: ...".  A line naming an input is an error, or after "warning: " a warning,
# or a note on repaired calls.  KIND cut: each input has exactly one error, and it says
# the trace is truncated (or empty); KIND error: each input has exactly one line, an
# error; KIND survive: anything goes.  Lines naming no input must be warnings (about
# binaries a trace refers to).  Prints what is wrong, if anything.
check_lines() {
	kind=$1
	shift
	printf '%s\n' "$@" > "$tmp/inputs"
	awk -v kind="$kind" '
	FNR == NR { order[++n] = $0; errs[$0] = 0; next }
	{
		if (index($0, "tscope: ") != 1) {
			print "not from tscope: " $0
			bad = 1
			next
		}
		for (i = 1; i <= n; i++) {
			p = "tscope: " order[i] ": "
			if (index($0, p) != 1)
				continue
			rest = substr($0, length(p) + 1)
			if (rest ~ /^warning: / || rest ~ /^repaired /) {
				notes[order[i]]++
			} else {
				errs[order[i]]++
				if (tolower(rest) ~ /truncat|empty/)
					cut[order[i]]++
			}
			next
		}
		if ($0 !~ /: warning: /) {
			print "an error naming no input: " $0
			bad = 1
		}
	}
	END {
		for (i = 1; i <= n; i++) {
			f = order[i]
			if (kind == "cut" && (errs[f] != 1 || !cut[f])) {
				print f ": " errs[f] " error lines, " (cut[f] ? "" : "none ") "saying truncated"
				bad = 1
			}
			if (kind == "error" && (errs[f] != 1 || notes[f])) {
				print f ": " errs[f] " error and " notes[f] + 0 " other lines, want 1 error"
				bad = 1
			}
		}
		exit bad
	}' "$tmp/inputs" "$tmp/err" > "$tmp/why" 2>&1 || {
		sed "s|$tmp/||g" "$tmp/why" | head -n 10 >> "$tmp/problems"
		return 1
	}
}

# The chrome output must be well-formed JSON, whatever the input; the speedscope output
# a document speedscope loads (tests/check-speedscope.py: its frames nest).
check_json() {
	if [ "$1" = chrome ] && [ -n "$python" ] && ! "$python" -c '
import json, sys
json.load(sys.stdin)' < "$tmp/out" > "$tmp/why" 2>&1; then
		problem "chrome: output is not JSON: $(tail -n 1 "$tmp/why")"
	fi
	if [ "$1" = speedscope ] && [ -n "$python" ] &&
		! "$python" "$top_srcdir/tests/check-speedscope.py" "$tmp/out" > /dev/null 2> "$tmp/why"; then
		problem "speedscope: $(tail -n 1 "$tmp/why")"
	fi
}
python=
command -v python3 > /dev/null 2>&1 && python=python3

# batch KIND CMD FILE...: run CMD on the files at once and check status and lines; on
# a crash, find the files that crash it.
batch() {
	kind=$1
	c=$2
	shift 2
	tscope_run "$c" "$@"
	if [ $st -ge 128 ]; then
		problem "$c on $# files: exit status $st (a crash or a time-out)"
		for b_f in "$@"; do
			tscope_run "$c" "$b_f"
			[ $st -lt 128 ] || problem "$c ${b_f#"$tmp/"}: exit status $st: $(head -c 200 "$tmp/err")"
		done
		return
	fi
	case $kind:$st in
	cut:1 | error:1 | survive:0 | survive:1) ;;
	*) problem "$c on $# files ($kind): exit status $st" ;;
	esac
	check_lines "$kind" "$@" || problem "  ($c)"
	check_json "$c"
}

# ---- inputs ----------------------------------------------------------------------------
# The commands that read traces, as far as this tscope has them.
cmds=$("$tscope" --help | awk '$1 ~ /^(info|dump|report|chrome|speedscope|folded)$/ {print $1}')
cmds=$(echo $cmds)
if [ -z "$cmds" ]; then
	problem "tscope --help lists none of info dump report chrome folded"
	point "the reading commands are listed"
	finish
fi

# Real traces: one with every kind of event and NAME chunks, and (where built with
# LZ4) one of compressed chunks from two threads.
TSCOPE_OUTPUT=$tmp/api.trace "$prog" api > /dev/null 2> "$tmp/err" ||
	problem "prog-calls api failed: $(cat "$tmp/err")"
tscope_run info "$tmp/api.trace"
[ $st -eq 0 ] || problem "api.trace is not a clean trace: $(cat "$tmp/err")"
point "a real trace to damage: prog-calls api"
traces=api
TSCOPE_OUTPUT=$tmp/lz4.trace TSCOPE_COMPRESS=lz4 TSCOPE_BUFFER=4k \
	"$prog" threads 2 300 > /dev/null 2> "$tmp/err"
if [ -s "$tmp/lz4.trace" ] && [ ! -s "$tmp/err" ]; then
	traces="$traces lz4"
fi

# chunks FILE [TYPE]: "offset size" of every chunk (of TYPE), from tscope dump.
chunks() {
	"$tscope" dump "$1" |
		sed -n "s/^chunk @\\([0-9]*\\) ${2:-[A-Z]*} size=\\([0-9]*\\).*/\\1 \\2/p"
}

# put FILE OFFSET OCTAL: overwrite one byte
put() {
	printf "\\$3" | dd of="$1" bs=1 seek="$2" conv=notrunc 2> /dev/null
}

# in_batches KIND CMD FILE...: batch, 100 files at a time (paths without blanks)
in_batches() {
	ib_kind=$1
	ib_cmd=$2
	shift 2
	ib_list=
	ib_k=0
	for ib_f in "$@"; do
		ib_list="$ib_list $ib_f"
		ib_k=$((ib_k + 1))
		if [ $ib_k -eq 100 ]; then
			# shellcheck disable=SC2086
			batch "$ib_kind" "$ib_cmd" $ib_list
			ib_list=
			ib_k=0
		fi
	done
	# shellcheck disable=SC2086
	[ $ib_k -eq 0 ] || batch "$ib_kind" "$ib_cmd" $ib_list
}

# ---- cut traces -----------------------------------------------------------------------
# Cut at the header's edges; for each chunk at its start (a boundary), inside its
# 16-byte header, at its first payload byte, inside its payload (byte 40: the middle of
# the first event of an EVENTS chunk, after its 32-byte fixed part), in the middle and
# at its last byte.  In the LZ4 trace, only its compressed EVENTS chunks.
for t in $traces; do
	f=$tmp/$t.trace
	size=$(wc -c < "$f")
	case $t in
	lz4) type=EVENTS ;;
	*) type='[A-Z]*' ;;
	esac
	offsets=$(chunks "$f" "$type" | awk -v size="$size" '
		BEGIN { print 1; print 8; print 12; print 32; print 63 }
		{ print $1; print $1 + 8; print $1 + 16; print $1 + 16 + ($2 > 40 ? 40 : 1)
		  print $1 + 16 + int($2 / 2); print $1 + 15 + $2 }
		END { print size - 1 }' | awk -v size="$size" '$1 > 0 && $1 < size' | sort -n -u)
	files=
	count=0
	for off in $offsets; do
		head -c "$off" "$f" > "$tmp/$t-cut-$off.trace"
		files="$files $tmp/$t-cut-$off.trace"
		count=$((count + 1))
	done
	[ "$count" -gt 20 ] || problem "only $count cut points in $t.trace"
	for c in $cmds; do
		# shellcheck disable=SC2086
		in_batches cut "$c" $files
		point "$c: $t.trace cut at $count places: exit 1, one truncation error per file, no crash"
	done
	# A cut in the middle of the events still gives what precedes it.
	ev=$(chunks "$f" EVENTS | tail -n 1)
	mid=$(echo "$ev" | awk '{ print $1 + 16 + 32 + 16 * int(($2 - 32) / 32) }')
	head -c "$mid" "$f" > "$tmp/$t-mid.trace"
	for c in $cmds; do
		tscope_run "$c" "$tmp/$t-mid.trace"
		[ $st -eq 1 ] || problem "$c $t-mid: exit status $st, want 1"
		[ -s "$tmp/out" ] || problem "$c $t-mid: nothing on stdout"
		check_json "$c"
	done
	point "$t.trace cut inside its last events: a partial result from $cmds"
done

# ---- overwritten bytes --------------------------------------------------------------
# One byte set to 0xff (a length field becomes huge, a type unknown, a flag set): every
# byte of the file header and of each chunk header, every 11th payload byte.  In the LZ4
# trace, only its compressed EVENTS chunks.
for t in $traces; do
	f=$tmp/$t.trace
	case $t in
	lz4) type=EVENTS ;;
	*) type='[A-Z]*' ;;
	esac
	offsets=$(chunks "$f" "$type" | awk -v t="$t" '
		BEGIN { if (t == "api") for (i = 0; i < 64; i++) print i }
		{ for (i = 0; i < 16; i++) print $1 + i
		  for (i = 16; i < 16 + $2; i += 11) print $1 + i }' | sort -n -u)
	files=
	count=0
	for off in $offsets; do
		cp "$f" "$tmp/$t-ff-$off.trace"
		put "$tmp/$t-ff-$off.trace" "$off" 377
		files="$files $tmp/$t-ff-$off.trace"
		count=$((count + 1))
	done
	for c in $cmds; do
		# shellcheck disable=SC2086
		in_batches survive "$c" $files
		point "$c: $t.trace with one of $count bytes set to 0xff: status 0 or 1, no crash"
	done
done

# ---- one-line errors ----------------------------------------------------------------
f=$tmp/api.trace
: > "$tmp/empty.trace"
printf 'hello, world: not a trace at all\n' > "$tmp/text.trace"
cp "$f" "$tmp/magic.trace"
put "$tmp/magic.trace" 0 130 # 'X' for the 'T' of TSCOPE
cp "$f" "$tmp/future.trace"
put "$tmp/future.trace" 9 1 # version 0x0101
cp "$f" "$tmp/version0.trace"
put "$tmp/version0.trace" 8 0
put "$tmp/version0.trace" 9 0
mkdir -p "$tmp/directory.trace"
head -c 4096 /dev/zero > "$tmp/zeros.trace"

# one CMD FILE PATTERN: exactly one stderr line, an error matching PATTERN, status 1
one() {
	tscope_run "$1" "$2"
	[ $st -eq 1 ] || problem "$1 ${2#"$tmp/"}: exit status $st, want 1"
	check_lines error "$2" || problem "  ($1)"
	grep -q -E "$3" "$tmp/err" || problem "$1 ${2#"$tmp/"}: stderr does not match /$3/: $(head -n 1 "$tmp/err")"
}
for c in $cmds; do
	one "$c" "$tmp/empty.trace" 'empty'
	one "$c" "$tmp/text.trace" 'not a tscope trace'
	one "$c" "$tmp/magic.trace" 'not a tscope trace'
	one "$c" "$tmp/zeros.trace" 'not a tscope trace'
	one "$c" "$tmp/future.trace" 'version|newer'
	one "$c" "$tmp/version0.trace" '.'
	one "$c" "$tmp/directory.trace" '[Dd]irectory'
	one "$c" "$tmp/missing.trace" 'No such file'
	[ -r /dev/null ] && one "$c" /dev/null 'empty|not a tscope trace|regular'
	point "$c: empty, text, wrong magic, zeros, future and zero version, directory, missing, /dev/null: one error line, exit 1"
done

# A compressed trace read by a tscope built without LZ4: the error says so.
lz4trace=${top_srcdir:-.}/tests/corpus/reader/lz4.trace
if ! [ -r "$lz4trace" ]; then
	skip "a compressed trace, tscope without LZ4" "no $lz4trace"
elif "$tscope" --version | grep -q 'LZ4 no'; then
	for c in $cmds; do
		one "$c" "$lz4trace" 'LZ4-compressed.*without LZ4'
	done
	point "a compressed trace, tscope without LZ4: one error line saying so, exit 1"
else
	skip "a compressed trace, tscope without LZ4" "this tscope reads LZ4"
fi

# Huge length fields, set to 0xff bytes: the header size; the size (and with it the
# raw size) of the first chunk, of a MODULE and of an EVENTS chunk, which then run past
# the end of the file (a cut); the raw size alone (a malformed chunk).
first=$(chunks "$f" | awk '$1 >= 64 { print $1; exit }')
events=$(chunks "$f" EVENTS | awk '{ print $1; exit }')
module=$(chunks "$f" MODULE | awk '{ print $1; exit }')
cp "$f" "$tmp/hsize.trace"
put "$tmp/hsize.trace" 10 377
put "$tmp/hsize.trace" 11 377
huge=
raw=
for at in $first $events $module; do
	cp "$f" "$tmp/huge-$at.trace"
	cp "$f" "$tmp/hugeraw-$at.trace"
	for i in 8 9 10 11 12 13 14 15; do
		put "$tmp/huge-$at.trace" $((at + i)) 377
		[ $i -ge 12 ] && put "$tmp/hugeraw-$at.trace" $((at + i)) 377
	done
	huge="$huge $tmp/huge-$at.trace"
	raw="$raw $tmp/hugeraw-$at.trace"
done
for c in $cmds; do
	# shellcheck disable=SC2086
	batch cut "$c" "$tmp/hsize.trace" $huge
	# shellcheck disable=SC2086
	batch survive "$c" $raw
	[ $st -eq 1 ] || problem "$c: huge raw sizes: exit status $st, want 1 (malformed chunks)"
	point "$c: huge header and chunk sizes: exit 1, no crash"
done

# Several files, one bad: the good one is still read, the bad one named, status 1.
for c in $cmds; do
	tscope_run "$c" "$f" "$tmp/magic.trace"
	[ $st -eq 1 ] || problem "$c good+bad: exit status $st, want 1"
	{ [ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q -F "tscope: $tmp/magic.trace: " "$tmp/err"; } ||
		problem "$c good+bad: stderr is not one line naming the bad file: $(cat "$tmp/err")"
	[ -s "$tmp/out" ] || problem "$c good+bad: nothing on stdout"
	point "$c: a good and a bad file: the good one is read, the bad one named, exit 1"
done

# ---- binaries that are corrupt, or not the ones that ran ---------------------------------
# The converters name functions from the binaries the MODULE chunks name.  Record a
# private copy of prog-plain, then damage the copy.
conv=
for c in report chrome speedscope folded; do
	case " $cmds " in *" $c "*) conv="$conv $c" ;; esac
done
damage() { # VARIANT: break the copy in a new way
	rm -rf "$tmp/bin/victim"
	case $1 in
	missing) ;;
	empty) : > "$tmp/bin/victim" ;;
	directory) mkdir "$tmp/bin/victim" ;;
	header) head -c 40 "$tmp/victim.orig" > "$tmp/bin/victim" ;;
	half) head -c $((vsize / 2)) "$tmp/victim.orig" > "$tmp/bin/victim" ;;
	shoff) # the section header table far past the end of the file
		cp "$tmp/victim.orig" "$tmp/bin/victim"
		for i in 40 41 42 43 44 45 46; do put "$tmp/bin/victim" $i 377; done ;;
	shnum) # 65535 sections, a string table index out of range
		cp "$tmp/victim.orig" "$tmp/bin/victim"
		for i in 60 61 62 63; do put "$tmp/bin/victim" $i 377; done ;;
	shtab) # the section header table, at the end of the file, overwritten
		cp "$tmp/victim.orig" "$tmp/bin/victim"
		head -c 1024 /dev/zero | tr '\0' '\377' |
			dd of="$tmp/bin/victim" bs=1 seek=$((vsize - 1024)) conv=notrunc 2> /dev/null ;;
	other) # another program: its build id differs
		cp "$prog" "$tmp/bin/victim" ;;
	esac
}
if [ -z "$conv" ]; then
	skip "corrupt binaries" "no converter in this tscope"
else
	mkdir -p "$tmp/bin"
	cp "$plain" "$tmp/bin/victim"
	"$tscope" record -o "$tmp/victim.trace" "$tmp/bin/victim" abc > "$tmp/out" 2> "$tmp/err" ||
		problem "record victim: $(cat "$tmp/err")"
	"$tscope" report --flat "$tmp/victim.trace" > "$tmp/good.report" 2> "$tmp/err"
	grep -q -E ' a$' "$tmp/good.report" ||
		problem "report of the intact binary does not name function a: $(head -n 5 "$tmp/good.report")"
	point "a trace of a private copy of prog-plain names its functions"
	cp "$tmp/bin/victim" "$tmp/victim.orig"
	vsize=$(wc -c < "$tmp/victim.orig")
	for v in missing empty directory header half shoff shnum shtab other; do
		damage $v
		for c in $conv; do
			batch survive "$c" "$tmp/victim.trace"
		done
		# never a wrong name: with another program in place, addresses
		tscope_run report --flat "$tmp/victim.trace"
		if grep -q -E ' (a|b|c)$' "$tmp/out"; then
			problem "report --flat with a $v binary still names a, b or c"
		fi
		point "$v binary in place of the traced one:$conv give addresses, status 0 or 1"
	done
fi

# ---- under valgrind ----------------------------------------------------------------------
# A sample, each command once on several bad files: reads out of bounds that do not
# crash show up here.  Not for a sanitizer build (valgrind cannot run it, and the
# sanitizer does the same job).
if ! command -v valgrind > /dev/null 2>&1; then
	skip "valgrind sample" "valgrind is not installed"
elif nm "$tscope" 2> /dev/null | grep -q -E '__(asan|tsan|msan)_init'; then
	skip "valgrind sample" "tscope is built with a sanitizer"
else
	sample=$(ls "$tmp"/api-cut-*.trace "$tmp"/api-ff-*.trace 2> /dev/null | awk 'NR % 15 == 1')
	[ -f "$tmp/lz4-mid.trace" ] && sample="$sample $tmp/lz4-mid.trace"
	for c in $cmds; do
		case $c in
		chrome | speedscope) set -- -o /dev/null ;;
		*) set -- ;;
		esac
		# shellcheck disable=SC2086
		valgrind -q --error-exitcode=99 --leak-check=full "$tscope" "$c" "$@" $sample \
			"$tmp/huge-$events.trace" "$tmp/hugeraw-$events.trace" "$tmp/magic.trace" \
			> /dev/null 2> "$tmp/err"
		st=$?
		[ $st -le 1 ] || problem "valgrind $c: status $st: $(grep -m 3 '^==' "$tmp/err")"
	done
	if [ -n "$conv" ]; then
		damage shtab
		valgrind -q --error-exitcode=99 --leak-check=full "$tscope" report \
			"$tmp/victim.trace" > /dev/null 2> "$tmp/err"
		st=$?
		[ $st -le 1 ] || problem "valgrind report, broken binary: status $st: $(grep -m 3 '^==' "$tmp/err")"
	fi
	point "valgrind: no invalid access or leak on a sample of bad inputs ($cmds)"
fi

finish
