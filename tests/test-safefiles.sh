#!/bin/sh
# test-safefiles.sh - output files are created safely: no trace or converter output is
# written through a symbolic link planted at its path, a converter never overwrites one
# of its inputs (by any name), and new files get the mode the umask allows (0644 under
# 022, 0600 under 077), from tscope record, from a program recording by itself, from a
# forked child and from the converters.
#
# Needs top_builddir and top_srcdir (set by `make check`): tools/tscope,
# tests/prog-calls and tests/prog-plain.  Works in tests/tmp-safefiles.PID, removed
# when everything passed.
: "${top_builddir:?}" "${top_srcdir:?}"
LC_ALL=C
export LC_ALL
tscope=$top_builddir/tools/tscope
prog=$top_builddir/tests/prog-calls
plain=$top_builddir/tests/prog-plain

. "$top_srcdir/tests/tap.sh"
tap_init safefiles
unset TSCOPE_OUTPUT TSCOPE_ENABLE TSCOPE_MODE TSCOPE_BUFFER TSCOPE_COMPRESS TSCOPE_SNAPSHOT_SIGNAL

# mode FILE: its permission bits, in octal
mode() {
	stat -c %a "$1" 2> /dev/null
}

# A trace to convert, and the converters this tscope has.
TSCOPE_OUTPUT=$tmp/in.trace "$prog" abc > /dev/null 2> "$tmp/err" ||
	problem "prog-calls abc: $(cat "$tmp/err")"
"$tscope" info "$tmp/in.trace" > /dev/null 2> "$tmp/err" || problem "in.trace: $(cat "$tmp/err")"
point "a trace to convert"
cp "$tmp/in.trace" "$tmp/in.orig"
conv=$("$tscope" --help | awk '$1 ~ /^(dump|report|chrome|folded)$/ {print $1}')

# The victim: what a planted link points to.  It must stay as it is.
victim=$tmp/victim
reset_victim() {
	rm -f "$victim"
	echo "precious data" > "$victim"
	chmod 644 "$victim"
}
victim_intact() { # what
	[ "$(cat "$victim" 2> /dev/null)" = "precious data" ] ||
		problem "$1: the link's target was written"
}

# ---- symbolic links -------------------------------------------------------------------
reset_victim
rm -f "$tmp/link.trace" "$tmp/dangling.trace"
ln -s "$victim" "$tmp/link.trace"
ln -s "$tmp/nowhere" "$tmp/dangling.trace"
"$tscope" record -o "$tmp/link.trace" "$plain" abc > /dev/null 2> "$tmp/err"
st=$?
[ $st -eq 1 ] || problem "record: exit status $st, want 1"
grep -q "^tscope: $tmp/link.trace: " "$tmp/err" || problem "record: no error naming the link: $(cat "$tmp/err")"
victim_intact record
[ -L "$tmp/link.trace" ] || problem "record: the link was replaced"
"$tscope" record -o "$tmp/dangling.trace" "$plain" abc > /dev/null 2> "$tmp/err"
[ $? -eq 1 ] || problem "record, dangling link: exit status, want 1"
[ ! -e "$tmp/nowhere" ] || problem "record created the dangling link's target"
point "tscope record -o does not write through a planted symbolic link"

reset_victim
TSCOPE_OUTPUT=$tmp/link.trace "$prog" abc > "$tmp/out" 2> "$tmp/err"
st=$?
[ $st -eq 0 ] || problem "the program's status is $st"
victim_intact "runtime"
TSCOPE_OUTPUT=$tmp/dangling.trace "$prog" abc > /dev/null 2> "$tmp/err"
[ ! -e "$tmp/nowhere" ] || problem "the runtime created the dangling link's target"
grep -q '^tscope: ' "$tmp/err" || problem "the runtime did not say it cannot write"
point "the runtime (TSCOPE_OUTPUT) does not write through a planted symbolic link"

for c in $conv; do
	reset_victim
	"$tscope" "$c" "$tmp/in.trace" -o "$tmp/link.trace" > /dev/null 2> "$tmp/err"
	st=$?
	[ $st -eq 1 ] || problem "$c: exit status $st, want 1"
	[ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q "^tscope: $tmp/link.trace: " "$tmp/err" ||
		problem "$c: not one error naming the link: $(cat "$tmp/err")"
	victim_intact "$c"
	"$tscope" "$c" "$tmp/in.trace" -o "$tmp/dangling.trace" > /dev/null 2> "$tmp/err"
	[ ! -e "$tmp/nowhere" ] || problem "$c created the dangling link's target"
	rm -f "$tmp/nowhere"
	point "tscope $c -o does not write through a planted symbolic link"
done

# ---- inputs are never outputs ---------------------------------------------------------
ln -f "$tmp/in.trace" "$tmp/hard.trace" 2> /dev/null
for c in $conv; do
	for out in "$tmp/in.trace" "$tmp/./in.trace" "$tmp/hard.trace"; do
		[ -e "$out" ] || continue
		"$tscope" "$c" "$tmp/in.trace" -o "$out" > /dev/null 2> "$tmp/err"
		st=$?
		[ $st -ne 0 ] || problem "$c -o ${out#"$tmp/"}: exit status 0"
		[ $st -lt 128 ] || problem "$c -o ${out#"$tmp/"}: exit status $st"
		grep -q '^tscope: ' "$tmp/err" || problem "$c -o ${out#"$tmp/"}: no message"
		cmp -s "$tmp/in.trace" "$tmp/in.orig" || {
			problem "$c -o ${out#"$tmp/"}: the input was changed"
			cp "$tmp/in.orig" "$tmp/in.trace"
		}
	done
	# the input given second, the output first
	cp "$tmp/in.trace" "$tmp/in2.trace"
	"$tscope" "$c" -o "$tmp/in2.trace" "$tmp/in.trace" "$tmp/in2.trace" > /dev/null 2> "$tmp/err"
	[ $? -ne 0 ] || problem "$c: the second input as the output: exit status 0"
	cmp -s "$tmp/in2.trace" "$tmp/in.orig" || problem "$c: the second input was changed"
	point "tscope $c refuses to overwrite its input (same name, other path, hard link)"
done

# ---- ordinary outputs still work -------------------------------------------------------
for c in $conv; do
	echo "old contents, longer than nothing at all" > "$tmp/existing.out"
	"$tscope" "$c" "$tmp/in.trace" -o "$tmp/existing.out" > /dev/null 2> "$tmp/err" ||
		problem "$c -o an existing file: $(cat "$tmp/err")"
	grep -q '^old contents' "$tmp/existing.out" && problem "$c: the old contents are still there"
	"$tscope" "$c" "$tmp/in.trace" > "$tmp/stdout.out" 2> "$tmp/err" ||
		problem "$c to stdout: $(cat "$tmp/err")"
	cmp -s "$tmp/existing.out" "$tmp/stdout.out" || problem "$c: -o FILE and stdout differ"
	"$tscope" "$c" "$tmp/in.trace" -o /dev/null 2> "$tmp/err" ||
		problem "$c -o /dev/null: $(cat "$tmp/err")"
	mkdir -p "$tmp/adir"
	"$tscope" "$c" "$tmp/in.trace" -o "$tmp/adir" > /dev/null 2> "$tmp/err"
	st=$?
	[ $st -eq 1 ] || problem "$c -o a directory: exit status $st, want 1"
	point "tscope $c -o: replaces an old file, equals stdout, takes /dev/null, refuses a directory"
done

# ---- modes -------------------------------------------------------------------------------
# check_mode UMASK WANT
check_mode() {
	um=$1
	want=$2
	d=$tmp/umask-$um
	rm -rf "$d"
	mkdir -p "$d"
	(
		umask "$um"
		"$tscope" record -o "$d/rec.trace" "$plain" fork > /dev/null 2>&1
		TSCOPE_OUTPUT=$d/self.trace "$prog" abc > /dev/null 2>&1
		TSCOPE_OUTPUT=$d/ring.trace TSCOPE_MODE=ring "$prog" abc > /dev/null 2>&1
		for c in $conv; do
			"$tscope" "$c" "$tmp/in.trace" -o "$d/$c.out" > /dev/null 2>&1
		done
	)
	found=0
	for f in "$d"/rec.trace "$d"/rec.trace.* "$d"/self.trace "$d"/ring.trace "$d"/*.out; do
		[ -e "$f" ] || {
			problem "${f#"$d/"} was not written"
			continue
		}
		found=$((found + 1))
		m=$(mode "$f")
		[ "$m" = "$want" ] || problem "${f#"$d/"}: mode $m under umask $um, want $want"
	done
	[ $found -ge 4 ] || problem "only $found files to check"
	point "under umask $um, traces (record, its forked child, linked, ring) and outputs are $want"
}
if command -v stat > /dev/null 2>&1 && [ -n "$(mode "$tmp/in.trace")" ]; then
	check_mode 022 644
	check_mode 077 600
	check_mode 027 640
else
	skip "file modes" "no stat -c"
fi

finish
