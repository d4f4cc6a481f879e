#!/bin/sh
# SPDX-License-Identifier: MIT
#
# run-overhead.sh - what recording one instrumented call costs, libtscope against a
# floor hook, empty hooks and the peer tracers installed here (uftrace).
#
# Builds bench/kernel.c with and without -finstrument-functions into a temporary
# directory, links it with each hook implementation, and runs every variant R times,
# round-robin (the starting variant rotates each round), so that a slow phase of the
# machine hits all of them alike.  The kernel times its own workload, so start-up,
# constructors and the final flush at exit are not counted.
#
#   ns/call = (elapsed(variant) - elapsed(no hooks)) / calls   (one enter + one exit)
#
# computed from the fastest of the R runs ("min") and from the medians ("med").
# "x floor" is min ns/call over the floor's.  "cpu/call" is the same difference taken
# on the CPU time of the whole traced process (all its threads: a writer thread counts;
# uftrace's recorder, a separate process, does not), min of the R runs.  B/event is
# the trace's size over 2 * calls.
#
# With --callgrind, each variant runs once under valgrind --tool=callgrind instead,
# and the table gives instructions per call, (Ir - Ir(no hooks)) / calls, counted
# only while bench_run() is on the workload thread's stack: exact and repeatable, but
# blind to a writer thread, page faults, system calls and cache misses.
#
# This is a benchmark, not a test: it prints figures and never judges them.  It exits
# 1 if something could not be built or run, a trace file is missing or empty, or the
# call counts are not what the workload says (the figures would be wrong), 2 on bad
# usage.
#
# Environment:
#   CC               compiler for the kernel and the hooks (default: gcc)
#   BENCH_CFLAGS     optimization flags (default: -O2)
#   TSCOPE_BUILDDIR  build directory holding lib/.libs/libtscope.{a,so} (default: .)
#   TSCOPE_SRCDIR    source directory (default: the parent of this script's directory)
#   TSCOPE_STATIC_LIBS  libraries after libtscope.a (default: -lpthread -ldl, plus
#                    -llz4 when the archive needs it)
#   UFTRACE          uftrace command (default: uftrace; "no" skips it)
#   VALGRIND         valgrind command for --callgrind (default: valgrind)
#   TMPDIR           where the programs and traces go (default: /tmp)

set -u

me=run-overhead.sh

usage() {
	cat <<EOF
usage: $me [options]
  --reps R        runs per variant, interleaved (default 7; 1 with --callgrind)
  --fib N         fib(N) workload (default 34; 25 with --callgrind)
  --loop M        M million calls of a tiny function (default 20; 1 with --callgrind)
  --threads T     the loop in T threads at once as a third workload (default: one per
                  online cpu; 1 leaves it out; not with --callgrind)
  --callgrind     count instructions under valgrind --tool=callgrind instead of timing
  --no-tscope     skip the libtscope variants (no library needed)
  --no-uftrace    skip uftrace even if installed
  --keep          keep the temporary directory
  -h, --help      this text
Environment: CC, BENCH_CFLAGS, TSCOPE_BUILDDIR, TSCOPE_SRCDIR, TSCOPE_STATIC_LIBS,
UFTRACE, VALGRIND, TMPDIR (see the top of this script).
EOF
}

die() {
	echo "$me: $*" >&2
	exit 1
}

bad_usage() {
	echo "$me: $*" >&2
	usage >&2
	exit 2
}

is_count() {
	case $1 in
	'' | *[!0-9]*) return 1 ;;
	*) test "$1" -gt 0 ;;
	esac
}

mode=timing
reps='' fib_n='' loop_m='' threads=''
want_tscope=yes want_uftrace=yes keep=no
while test $# -gt 0; do
	case $1 in
	--reps) test $# -ge 2 || bad_usage "--reps needs a value"; reps=$2; shift ;;
	--reps=*) reps=${1#*=} ;;
	--fib) test $# -ge 2 || bad_usage "--fib needs a value"; fib_n=$2; shift ;;
	--fib=*) fib_n=${1#*=} ;;
	--loop) test $# -ge 2 || bad_usage "--loop needs a value"; loop_m=$2; shift ;;
	--loop=*) loop_m=${1#*=} ;;
	--threads) test $# -ge 2 || bad_usage "--threads needs a value"; threads=$2; shift ;;
	--threads=*) threads=${1#*=} ;;
	--callgrind) mode=callgrind ;;
	--no-tscope) want_tscope=no ;;
	--no-uftrace) want_uftrace=no ;;
	--keep) keep=yes ;;
	-h | --help) usage; exit 0 ;;
	*) bad_usage "unknown option: $1" ;;
	esac
	shift
done
if test $mode = callgrind; then
	: "${reps:=1}" "${fib_n:=25}" "${loop_m:=1}"
else
	: "${reps:=7}" "${fib_n:=34}" "${loop_m:=20}"
fi
is_count "$reps" || bad_usage "--reps: not a positive number: $reps"
if ! is_count "$fib_n" || test "$fib_n" -gt 60; then
	bad_usage "--fib: not in 1..60: $fib_n"
fi
if ! is_count "$loop_m" || test "$loop_m" -gt 100000; then
	bad_usage "--loop: not in 1..100000: $loop_m"
fi
: "${threads:=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)}"
if ! is_count "$threads" || test "$threads" -gt 256; then
	bad_usage "--threads: not in 1..256: $threads"
fi
workloads="fib loop"
test $mode = timing && test "$threads" -gt 1 && workloads="$workloads mt"

# Nothing inherited may change what a variant does.
unset LD_PRELOAD TSCOPE_OUTPUT TSCOPE_BUFFER TSCOPE_MODE TSCOPE_ENABLE TSCOPE_COMPRESS \
	TSCOPE_SNAPSHOT_SIGNAL TSCOPE_RECORD TSCOPE_DEBUG TSCOPE_LIB TSCOPE_SALVAGE \
	TSCOPE_EXCLUDE TSCOPE_INCLUDE TSCOPE_MAX_DEPTH TSCOPE_MIN_DURATION TSCOPE_THROTTLE \
	TSCOPE_DELAY TSCOPE_DURATION
LC_ALL=C
export LC_ALL

bench_dir=$(cd "$(dirname "$0")" && pwd) || die "cannot find the script's directory"
: "${CC:=gcc}"
: "${BENCH_CFLAGS:=-O2}"
: "${TSCOPE_BUILDDIR:=.}"
: "${TSCOPE_SRCDIR:=$bench_dir/..}"
: "${UFTRACE:=uftrace}"
: "${VALGRIND:=valgrind}"
for f in kernel.c hooks-empty.c hooks-floor.c hooks-count.c; do
	test -f "$bench_dir/$f" || die "$bench_dir/$f: missing"
done
command -v "${CC%% *}" >/dev/null 2>&1 || die "compiler not found: $CC"

# --- the library under test ----------------------------------------------------------
lib_a='' lib_so='' lib_lz4=no tscope_cli=''
if test $want_tscope = yes; then
	libdir=$(cd "$TSCOPE_BUILDDIR/lib/.libs" 2>/dev/null && pwd) ||
		die "$TSCOPE_BUILDDIR/lib/.libs: not found;" \
			"build libtscope first, set TSCOPE_BUILDDIR, or pass --no-tscope"
	lib_a=$libdir/libtscope.a
	lib_so=$libdir/libtscope.so
	test -s "$lib_a" || die "$lib_a: not found (configure with static libraries enabled)"
	test -s "$lib_so" || die "$lib_so: not found (configure with shared libraries enabled)"
	if command -v nm >/dev/null 2>&1 && nm "$lib_a" 2>/dev/null | grep -q ' U LZ4_'; then
		lib_lz4=yes
	fi
	if test -x "$TSCOPE_BUILDDIR/tools/tscope"; then
		tscope_cli=$(cd "$TSCOPE_BUILDDIR/tools" && pwd)/tscope
	fi
	if test -z "${TSCOPE_STATIC_LIBS+set}"; then
		TSCOPE_STATIC_LIBS="-lpthread -ldl"
		test $lib_lz4 = yes && TSCOPE_STATIC_LIBS="$TSCOPE_STATIC_LIBS -llz4"
	fi
fi

if test $mode = callgrind; then
	command -v "$VALGRIND" >/dev/null 2>&1 || die "--callgrind: $VALGRIND not found"
	want_uftrace=no # valgrind would count uftrace itself, not the program it runs
fi
if test $want_uftrace = yes && test "$UFTRACE" != no &&
	command -v "$UFTRACE" >/dev/null 2>&1; then
	have_uftrace=yes
else
	have_uftrace=no
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tscope-bench.XXXXXX") || die "mktemp failed"
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	if test "$keep" = yes; then
		echo "$me: kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# One trace exists at a time: 16 bytes per event, two events per call, for the larger
# workload, plus a margin for metadata.
need_kb=$(awk -v n="$fib_n" -v m="$loop_m" -v nt="$threads" 'BEGIN {
	a = 0; b = 1
	for (i = 0; i < n; i++) { t = a + b; a = b; b = t }
	calls = 2 * b - 1
	if (m * nt * 1000000 > calls)
		calls = m * nt * 1000000
	printf "%d\n", calls * 2 * 16 * 1.1 / 1024 + 65536
}')
have_kb=$(df -Pk "$tmp" 2>/dev/null | awk 'NR == 2 { print $4 }')
if test -n "$have_kb" && test -n "$need_kb" && test "$have_kb" -lt "$need_kb"; then
	die "$tmp: $have_kb KiB free, the traces need about $need_kb KiB (set TMPDIR)"
fi

# --- build ---------------------------------------------------------------------------
# -fno-optimize-sibling-calls: without it gcc and clang turn one of fib's two recursive
# calls into a loop in the uninstrumented build only, and the baseline does half the
# calls.  The instrumented builds are unaffected (the exit hook follows every call).
cflags="$BENCH_CFLAGS -fno-optimize-sibling-calls"

build() {
	# build OUTPUT ARGS...: compile/link quietly, show the compiler's words on failure.
	out=$1
	shift
	# shellcheck disable=SC2086
	if ! $CC $cflags "$@" -o "$tmp/$out" >"$tmp/cc.log" 2>&1; then
		cat "$tmp/cc.log" >&2
		die "building $out failed: $CC $cflags $* -o $tmp/$out"
	fi
}

build k-plain "$bench_dir/kernel.c"
build kernel-instr.o -finstrument-functions -c "$bench_dir/kernel.c"
build k-glibc "$tmp/kernel-instr.o"
build k-empty "$tmp/kernel-instr.o" "$bench_dir/hooks-empty.c"
build k-floor "$tmp/kernel-instr.o" "$bench_dir/hooks-floor.c"
build k-count "$tmp/kernel-instr.o" "$bench_dir/hooks-count.c"
if test $want_tscope = yes; then
	# shellcheck disable=SC2086
	build k-static "$tmp/kernel-instr.o" "$lib_a" $TSCOPE_STATIC_LIBS
fi

# --- variants ------------------------------------------------------------------------
# Each variant has an id (used in file names) and a label (the table's first column).
variants="plain glibc empty floor"
if test $want_tscope = yes; then
	variants="$variants static preload"
	# The launcher itself, which preloads the library like the preload variant.
	test -n "$tscope_cli" && test $mode = timing && variants="$variants record"
	test $lib_lz4 = yes && variants="$variants static-lz4"
	variants="$variants static-raw static-anon static-excl"
	test -s "$libdir/libtscope-exclude.so" && variants="$variants preload-excl"
fi
test $have_uftrace = yes && variants="$variants uftrace"
uftrace_opts=

label() {
	case $1 in
	plain) echo "no hooks (baseline)" ;;
	glibc) echo "glibc no-op hooks (PLT)" ;;
	empty) echo "empty hooks in the executable" ;;
	floor) echo "floor: counter + 16 B TLS ring" ;;
	static) echo "libtscope, linked statically" ;;
	static-lz4) echo "libtscope, static, lz4" ;;
	static-raw) echo "libtscope, static, 16 B/event" ;;
	static-anon) echo "libtscope, static, anon buffers" ;;
	static-excl) echo "libtscope, static, --exclude '*'" ;;
	preload-excl) echo "LD_PRELOAD, --exclude '*' (hooks)" ;;
	preload) echo "libtscope, LD_PRELOAD" ;;
	record) echo "tscope record" ;;
	uftrace) echo "uftrace record${uftrace_opts:+ $uftrace_opts}" ;;
	esac
}

trace=$tmp/trace.tsc
uft_dir=$tmp/uftrace.d
run_ns='' run_cpu='' run_calls='' run_bytes=''

# run_one VARIANT WORKLOAD ARG [WRAPPER...]: run one variant once, under WRAPPER if
# given.  Sets run_ns, run_cpu, run_calls and run_bytes (the trace's size, empty for variants
# that write none).  On failure prints why on stderr and returns 1.
run_one() {
	v=$1 wl=$2 arg=$3
	shift 3
	kw=$wl kx=
	if test "$wl" = mt; then # the loop, in $threads threads
		kw=loop
		kx=$threads
	fi
	run_bytes=
	rm -rf "$trace" "$uft_dir"
	case $v in
	plain | glibc | empty | floor | count)
		"$@" "$tmp/k-$v" "$kw" "$arg" $kx ;;
	static)
		TSCOPE_OUTPUT=$trace "$@" "$tmp/k-static" "$kw" "$arg" $kx ;;
	static-lz4)
		TSCOPE_OUTPUT=$trace TSCOPE_COMPRESS=lz4 "$@" "$tmp/k-static" "$kw" "$arg" $kx ;;
	static-raw)
		TSCOPE_OUTPUT=$trace TSCOPE_COMPRESS=none "$@" "$tmp/k-static" "$kw" "$arg" $kx ;;
	static-anon)
		TSCOPE_OUTPUT=$trace TSCOPE_SALVAGE=0 "$@" "$tmp/k-static" "$kw" "$arg" $kx ;;
	static-excl) # every call filtered out by the writer: the cost of a dropped call
		TSCOPE_OUTPUT=$trace TSCOPE_EXCLUDE='*' "$@" "$tmp/k-static" "$kw" "$arg" $kx ;;
	preload)
		LD_PRELOAD=$lib_so TSCOPE_OUTPUT=$trace "$@" "$tmp/k-glibc" "$kw" "$arg" $kx ;;
	preload-excl) # dropped by libtscope-exclude's hooks (what record --exclude does)
		LD_PRELOAD="$libdir/libtscope-exclude.so $lib_so" TSCOPE_OUTPUT=$trace \
			TSCOPE_EXCLUDE='*' "$@" "$tmp/k-glibc" "$kw" "$arg" $kx ;;
	record)
		TSCOPE_LIB=$lib_so "$tscope_cli" record -o "$trace" -- "$tmp/k-glibc" "$kw" "$arg" $kx ;;
	uftrace)
		# shellcheck disable=SC2086
		"$UFTRACE" record $uftrace_opts -d "$uft_dir" "$tmp/k-glibc" "$kw" "$arg" $kx ;;
	esac >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	line=$(grep '^workload=' "$tmp/out" | tail -n 1)
	if test $rc -ne 0 || test -z "$line"; then
		echo "$me: $(label "$v"): $wl $arg failed (exit status $rc)" >&2
		sed 's/^/  | /' "$tmp/out" "$tmp/err" | tail -n 20 >&2
		return 1
	fi
	run_calls=$(echo "$line" | sed -n 's/.* calls=\([0-9]*\).*/\1/p')
	run_ns=$(echo "$line" | sed -n 's/.* ns=\([0-9]*\).*/\1/p')
	run_cpu=$(echo "$line" | sed -n 's/.* cpu_ns=\([0-9]*\).*/\1/p')
	case $v in
	static | static-lz4 | static-raw | static-anon | static-excl | preload | preload-excl | record)
		if ! test -s "$trace"; then
			echo "$me: $(label "$v"): $wl $arg: trace file $trace is missing or empty" >&2
			sed 's/^/  | /' "$tmp/err" | tail -n 20 >&2
			return 1
		fi
		run_bytes=$(wc -c <"$trace" | tr -d ' ')
		# Once per variant and workload, let the project's own reader look at it.
		if test -n "$tscope_cli" && ! test -e "$tmp/info.$wl.$v"; then
			"$tscope_cli" info "$trace" >"$tmp/info.$wl.$v" 2>&1 ||
				echo "(tscope info failed: exit status $?)" >>"$tmp/info.$wl.$v"
		fi
		;;
	uftrace)
		# The per-task event files; symbol tables, maps and info are not events.
		run_bytes=$(cat "$uft_dir"/[0-9]*.dat 2>/dev/null | wc -c | tr -d ' ')
		if test "${run_bytes:-0}" -eq 0; then
			echo "$me: $(label "$v"): $wl $arg: no event data in $uft_dir" >&2
			sed 's/^/  | /' "$tmp/err" | tail -n 20 >&2
			return 1
		fi
		;;
	esac
	rm -rf "$trace" "$uft_dir"
	return 0
}

# --- machine -------------------------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
if test -z "$cpu" && command -v lscpu >/dev/null 2>&1; then
	cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)
fi
online=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?')
tsc=
if grep -qw constant_tsc /proc/cpuinfo 2>/dev/null; then
	tsc="constant_tsc"
	grep -qw nonstop_tsc /proc/cpuinfo && tsc="$tsc nonstop_tsc"
fi
clocksrc=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)
tsversion=$(sed -n 's/^#define TSCOPE_VERSION_STRING "\(.*\)"$/\1/p' \
	"$TSCOPE_SRCDIR/include/tscope.h" 2>/dev/null)

echo "tscope recording-overhead benchmark ($mode)"
echo "date:      $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "cpu:       ${cpu:-unknown} ($(uname -m)), $online online cpus${tsc:+, $tsc}"
load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)
echo "kernel:    $(uname -sr), clocksource ${clocksrc:-unknown}, load $load"
echo "compiler:  $($CC --version 2>/dev/null | head -n 1)"
echo "flags:     $cflags [-finstrument-functions]"
if test $want_tscope = yes; then
	echo "libtscope: ${tsversion:-?} from $libdir (lz4: $lib_lz4), static link: $TSCOPE_STATIC_LIBS"
fi
if test $have_uftrace = yes; then
	echo "uftrace:   $("$UFTRACE" --version 2>/dev/null | head -n 1)"
elif test $mode = callgrind; then
	echo "uftrace:   not run (its recorder does not run under valgrind)"
else
	echo "uftrace:   not run (${UFTRACE} not installed or --no-uftrace)"
fi
fstype=$(stat -f -c %T "$tmp" 2>/dev/null)
echo "traces:    written to $tmp (${fstype:-file system unknown})"
case $fstype in
tmpfs | ramfs) echo "note:      $tmp is in memory: set TMPDIR to a disk-backed directory to" \
	"measure what users get" ;;
esac
if test $mode = callgrind; then
	echo "valgrind:  $("$VALGRIND" --version 2>/dev/null)"
elif echo "$load $online" | awk '{ exit !($4 != "?" && $1 > $4 - 1) }'; then
	echo "note:      load ${load%% *} on $online cpus: expect noise; a tracer whose writer" \
		"thread needs a free core suffers most"
fi

# --- checks --------------------------------------------------------------------------
# The baseline must make the same calls as the instrumented builds.
if command -v objdump >/dev/null 2>&1; then
	ncalls=$(objdump -d "$tmp/k-plain" 2>/dev/null | awk '
		/^[0-9a-f]+ <fib>:$/ { f = 1; next }
		f && /^$/ { f = 0 }
		f && /(call|bl)[ \t].*<fib>$/ { n++ }
		END { print n + 0 }')
	test "$ncalls" -eq 2 ||
		die "the uninstrumented fib() makes $ncalls calls to itself, not 2:" \
			"the baseline is not comparable (BENCH_CFLAGS=$BENCH_CFLAGS)"
fi

# Every workload call must reach the hooks exactly once on entry and once on exit.
for wl in fib loop; do
	arg=$fib_n
	test $wl = loop && arg=$loop_m
	run_one count $wl "$arg" || die "the counting build failed"
	want="hooks: enter=$run_calls exit=$run_calls"
	got=$(grep '^hooks:' "$tmp/err")
	test "$got" = "$want" ||
		die "$wl $arg: the hooks saw \"$got\", the kernel says calls=$run_calls"
done

# uftrace: record a small run; if it refuses, retry with --force and say so.
if test $have_uftrace = yes; then
	if ! run_one uftrace fib 15 2>/dev/null; then
		uftrace_opts=--force
		run_one uftrace fib 15 ||
			die "uftrace record fails on a -finstrument-functions binary," \
				"even with --force (--no-uftrace skips it)"
	fi
fi

# --- measure -------------------------------------------------------------------------
status=0
failed=" "
: >"$tmp/results"

record_result() {
	# record_result WORKLOAD VARIANT VALUE CALLS BYTES CPU_NS
	echo "$1 $2 $3 $4 ${5:--} ${6:--}" >>"$tmp/results"
}

nvar=$(echo "$variants" | wc -w)

if test $mode = timing; then
	echo "runs:      $reps per variant, round-robin; fib($fib_n), loop of $loop_m million calls" \
		"$(test "$threads" -gt 1 && echo "(also in each of $threads threads)")"
	round=0
	while test $round -lt "$reps"; do
		for wl in $workloads; do
			arg=$fib_n
			test $wl = fib || arg=$loop_m
			# Rotate the order so that no variant always follows the same one.
			# shellcheck disable=SC2086 # a list of words
			set -- $variants
			k=$((round % nvar))
			while test $k -gt 0; do
				first=$1
				shift
				set -- "$@" "$first"
				k=$((k - 1))
			done
			for v in "$@"; do
				case $failed in *" $wl/$v "*) continue ;; esac
				if run_one "$v" "$wl" "$arg"; then
					record_result "$wl" "$v" "$run_ns" "$run_calls" "$run_bytes" "$run_cpu"
				else
					failed="$failed$wl/$v "
					status=1
				fi
			done
		done
		round=$((round + 1))
		printf '.' >&2
	done
	echo >&2
else
	# Ir counted only while bench_run() is on the stack of the thread running it: the
	# workload and the hooks it calls, not start-up, exit, or other threads.
	for wl in fib loop; do
		arg=$fib_n
		test $wl = loop && arg=$loop_m
		for v in $variants; do
			cg_out=$tmp/callgrind.out
			rm -f "$cg_out"
			if run_one "$v" "$wl" "$arg" "$VALGRIND" --tool=callgrind \
				--toggle-collect=bench_run --callgrind-out-file="$cg_out"; then
				ir=$(sed -n -e 's/^summary: *\([0-9]*\).*/\1/p' \
					-e 's/^totals: *\([0-9]*\).*/\1/p' "$cg_out" | head -n 1)
				if test -z "$ir"; then
					echo "$me: $(label "$v"): no instruction count in $cg_out" >&2
					status=1
					continue
				fi
				record_result "$wl" "$v" "$ir" "$run_calls" "$run_bytes"
			else
				status=1
			fi
		done
	done
fi

# --- report --------------------------------------------------------------------------
labels=$tmp/labels
: >"$labels"
for v in $variants; do
	echo "$v $(label "$v")" >>"$labels"
done

for wl in $workloads; do
	nt=1
	case $wl in
	fib) title="fib($fib_n)" ;;
	loop) title="loop: tiny() called $loop_m million times" ;;
	mt) title="loop in $threads threads at once, $loop_m million calls each" nt=$threads ;;
	esac
	echo
	awk -v wl="$wl" -v mode="$mode" -v title="$title" -v reps="$reps" -v nt="$nt" '
	function median(v, n,    a, i, j, t) {
		for (i = 1; i <= n; i++)
			a[i] = v[i]
		for (i = 2; i <= n; i++)	# insertion sort: n is small
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
			}
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	FILENAME == ARGV[1] {
		id = $1; $1 = ""; sub(/^ /, ""); lab[id] = $0; order[++nv] = id
		next
	}
	$1 == wl {
		v = $2; n[v]++; val[v, n[v]] = $3; calls = $4
		if ($5 != "-")
			bytes[v] = $5
		if (!(v in mn) || $3 < mn[v])
			mn[v] = $3
		if ($6 != "-" && (!(v in cpu) || $6 < cpu[v]))
			cpu[v] = $6
	}
	END {
		for (i = 1; i <= nv; i++) {
			v = order[i]
			if (!(v in n))
				continue
			split("", tmp)
			for (k = 1; k <= n[v]; k++)
				tmp[k] = val[v, k]
			md[v] = median(tmp, n[v])
		}
		printf "%s: %d calls, %d events", title, calls, 2 * calls
		if (mode == "timing")
			printf "; min and median of %d runs\n", reps
		else
			printf "; callgrind Ir inside the workload\n"
		if (!("plain" in n)) {
			print "  (no baseline: nothing to compare)"
			exit
		}
		# ns/call per thread: wall time over the calls each thread made
		fl = ("floor" in n) ? (mn["floor"] - mn["plain"]) * nt / calls : 0
		if (mode == "timing")
			printf "  %-34s %9s %8s %8s %8s %8s %9s %8s\n", "variant", "ms(min)",
				"ns/call", "(med)", "x floor", "(med)", "cpu/call", "B/event"
		else
			printf "  %-34s %14s %10s %8s %8s\n", "variant", "Ir", "instr/call",
				"x floor", "B/event"
		for (i = 1; i <= nv; i++) {
			v = order[i]
			if (!(v in n)) {
				printf "  %-34s %9s\n", lab[v], "FAILED"
				continue
			}
			be = (v in bytes) ? sprintf("%.2f", bytes[v] / (2 * calls)) : "-"
			pc = (mn[v] - mn["plain"]) * nt / calls
			xf = (v == "plain" || fl <= 0) ? "-" : sprintf("%.2f", pc / fl)
			fm = ("floor" in md) ? md["floor"] - md["plain"] : 0
			xm = (v == "plain" || fm <= 0) ? "-" : sprintf("%.2f", (md[v] - md["plain"]) / fm)
			if (mode == "timing") {
				cp = "?"
				if ((v in cpu) && ("plain" in cpu))
					cp = sprintf("%.2f", (cpu[v] - cpu["plain"]) / calls)
				if (v == "plain")
					printf "  %-34s %9.1f %8s %8s %8s %8s %9s %8s\n", lab[v],
						mn[v] / 1e6, "-", "-", "-", "-", "-", "-"
				else
					printf "  %-34s %9.1f %8.2f %8.2f %8s %8s %9s %8s\n", lab[v],
						mn[v] / 1e6, pc, (md[v] - md["plain"]) * nt / calls,
						xf, xm, cp, be
			} else {
				if (v == "plain")
					printf "  %-34s %14d %10s %8s %8s\n", lab[v], mn[v],
						"-", "-", "-"
				else
					printf "  %-34s %14d %10.1f %8s %8s\n", lab[v], mn[v],
						pc, xf, be
			}
		}
		# the cost of compression: the same static build with and without --lz4
		if (mode == "timing" && ("static" in n) && ("static-lz4" in n) &&
		    mn["static"] > mn["plain"])
			printf "  lz4 / packed (static, min): %.2f x the ns/call\n",
				(mn["static-lz4"] - mn["plain"]) / (mn["static"] - mn["plain"])
	}' "$labels" "$tmp/results" || status=1
done

# What the project's reader says of one trace per variant: every event must be there.
first=yes
for wl in $workloads; do
	for v in $variants; do
		f=$tmp/info.$wl.$v
		test -f "$f" || continue
		if test $first = yes; then
			echo
			echo "traces, as read back by tscope info (one run per variant):"
			first=no
		fi
		want=$(awk -v wl="$wl" -v v="$v" '$1 == wl && $2 == v { print 2 * $4; exit }' \
			"$tmp/results")
		case $v in # all dropped: counted in a DROP chunk, or by the hooks, uncounted
		static-excl | preload-excl) want=0 ;;
		esac
		awk -v wl="$wl" -v lab="$(label "$v")" -v want="${want:-?}" '
		$1 == "status" { st = $2 }
		$1 == "events" { ev = $2 }
		$1 == "lost" && NF == 2 { lost = $2 }
		/tscope info failed/ { failed = 1 }
		END {
			if (failed || ev == "") {
				printf "  %-4s %-30s could not be read\n", wl, lab
				exit
			}
			printf "  %-4s %-30s %s, %s events, %s lost", wl, lab, st, ev, lost
			if (want != "?" && ev != want)
				printf "  (WARNING: expected %s)", want
			printf "\n"
		}' "$f"
	done
done

echo
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
if test $mode = timing; then
	echo "ns/call: (elapsed - baseline elapsed) / calls, one enter + one exit (with threads:"
	echo "per thread, the calls each made); (med): same on medians; cpu/call: the traced"
	echo "process's CPU time, all threads, over all calls"
else
	echo "instr/call: (Ir - baseline Ir) / calls, counted only while bench_run() runs on"
	echo "the workload's thread (other threads, e.g. a writer, are not counted)"
fi
if test $status -ne 0; then
	echo >&2
	echo "$me: some variants failed (see above); their rows say FAILED" >&2
fi
exit $status
