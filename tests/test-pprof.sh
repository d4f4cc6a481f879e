#!/bin/sh
# test-pprof.sh - `tscope pprof` read by its real consumer, go tool pprof (Debian package
# golang-go): real traced programs, their profile, and what pprof makes of it, to the
# call and to the nanosecond.
#
#   - tests/prog-diff calls main once, load_data and make_report 40 times each: pprof's
#     flat calls are exactly those; its flat and cum self times are exactly the self and
#     inclusive times of `tscope report --flat --ns`;
#   - two runs merged add up; a gzip-compressed copy reads the same;
#   - tests/prog-cxx: C++ names demangled with their exact calls, symbols mangled as the
#     functions' system names;
#   - bad usage: no trace, a terminal for output.
#
# The points that need go are skipped, saying so, where it is not installed.  go gets a
# HOME and a GOCACHE of its own under the scratch directory, and never the network.
# Needs top_builddir and top_srcdir (set by `make check`).  Works in
# tests/tmp-pprof.PID, removed when everything passed.
: "${top_builddir:?}" "${top_srcdir:?}"
LC_ALL=C
export LC_ALL
tscope=$top_builddir/tools/tscope
diffprog=$top_builddir/tests/prog-diff
cxxprog=$top_builddir/tests/prog-cxx

. "$top_srcdir/tests/tap.sh"
tap_init pprof
unset TSCOPE_OUTPUT TSCOPE_ENABLE TSCOPE_MODE TSCOPE_BUFFER TSCOPE_COMPRESS TSCOPE_SNAPSHOT_SIGNAL

have_go=0
if command -v go > /dev/null 2>&1; then
	have_go=1
	mkdir -p "$tmp/home" "$tmp/gocache"
fi
no_go="go is not installed (Debian package golang-go)"

# gopprof ARGS...: go tool pprof, offline, in the scratch directory's HOME
gopprof() {
	HOME=$tmp/home GOCACHE=$tmp/gocache GOPATH=$tmp/home/go GOTOOLCHAIN=local \
		GOPROXY=off GOFLAGS='' GOTELEMETRY=off go tool pprof "$@"
}

# top SAMPLE_INDEX PROFILE: "name|flat|cum" per function from pprof -top, every node,
# times in ns
top() {
	gopprof -top -nodefraction=0 -nodecount=100000 -unit=ns -sample_index="$1" "$2" \
		2> "$tmp/pprof.err" |
		awk 'f { name = $0
			sub(/^ *[^ ]+ +[^ ]+ +[^ ]+ +[^ ]+ +[^ ]+ +/, "", name)
			v = $1; c = $4; sub(/ns$/, "", v); sub(/ns$/, "", c)
			print name "|" v "|" c }
		     $1 == "flat" && $2 == "flat%" { f = 1 }'
}

# want_line FILE LINE WHAT: FILE has the line LINE, else a problem
want_line() {
	grep -qxF "$2" "$1" || problem "$3: no line '$2' in: $(tr '\n' ' ' < "$1")"
}

# ---- prog-diff: calls and times -----------------------------------------------------------
TSCOPE_OUTPUT=$tmp/diff1.trace "$diffprog" 0 > /dev/null 2> "$tmp/err" ||
	problem "prog-diff 0: $(cat "$tmp/err")"
TSCOPE_OUTPUT=$tmp/diff2.trace "$diffprog" 0 > /dev/null 2> "$tmp/err" ||
	problem "prog-diff 0, again: $(cat "$tmp/err")"
"$tscope" pprof "$tmp/diff1.trace" -o "$tmp/diff1.pb" 2> "$tmp/err" ||
	problem "tscope pprof: status $?: $(cat "$tmp/err")"
[ -s "$tmp/diff1.pb" ] || problem "no profile written"
[ -s "$tmp/err" ] && problem "tscope pprof said: $(cat "$tmp/err")"
point "tscope pprof writes a profile of prog-diff, silently"

if [ $have_go = 0 ]; then
	skip "go tool pprof reads it: the calls of each function, exactly" "$no_go"
	skip "self and inclusive times equal tscope report --flat --ns" "$no_go"
	skip "two runs add up; gzip-compressed, it reads the same" "$no_go"
else
	top calls "$tmp/diff1.pb" > "$tmp/calls"
	[ -s "$tmp/calls" ] || problem "pprof -top printed no function: $(cat "$tmp/pprof.err")"
	want_line "$tmp/calls" "main|1|81" "calls (cum: main's and its callees')"
	want_line "$tmp/calls" "load_data|40|40" "calls"
	want_line "$tmp/calls" "make_report|40|40" "calls"
	[ "$(wc -l < "$tmp/calls")" -eq 3 ] || problem "not 3 functions: $(cat "$tmp/calls")"
	point "go tool pprof reads it: the calls of each function, exactly"

	# tscope report --flat --ns: self self% calls incl ... function
	"$tscope" report --flat --ns "$tmp/diff1.trace" > "$tmp/flat" 2> "$tmp/err" ||
		problem "report --flat: $(cat "$tmp/err")"
	top self "$tmp/diff1.pb" > "$tmp/self"
	for f in main load_data make_report; do
		line=$(awk -v f="$f" '$NF == f { print f "|" $1 "|" $4 }' "$tmp/flat")
		[ -n "$line" ] || problem "report --flat has no $f"
		want_line "$tmp/self" "$line" "self (flat) and inclusive (cum) ns of $f"
	done
	point "self and inclusive times equal tscope report --flat --ns"

	"$tscope" pprof "$tmp/diff1.trace" "$tmp/diff2.trace" -o "$tmp/both.pb" 2> "$tmp/err" ||
		problem "tscope pprof of two traces: $(cat "$tmp/err")"
	top calls "$tmp/both.pb" > "$tmp/both"
	want_line "$tmp/both" "main|2|162" "two runs"
	want_line "$tmp/both" "load_data|80|80" "two runs"
	want_line "$tmp/both" "make_report|80|80" "two runs"
	gzip -c "$tmp/diff1.pb" > "$tmp/diff1.pb.gz"
	top calls "$tmp/diff1.pb.gz" > "$tmp/gz"
	cmp -s "$tmp/calls" "$tmp/gz" || problem "gzip-compressed: $(cat "$tmp/gz")"
	point "two runs add up; gzip-compressed, it reads the same"
fi

# ---- C++: names and symbols ----------------------------------------------------------------
TSCOPE_OUTPUT=$tmp/cxx.trace "$cxxprog" > /dev/null 2> "$tmp/err" ||
	problem "prog-cxx: $(cat "$tmp/err")"
"$tscope" pprof -o "$tmp/cxx.pb" "$tmp/cxx.trace" 2> "$tmp/err" ||
	problem "tscope pprof: $(cat "$tmp/err")"
if [ $have_go = 0 ]; then
	skip "C++: demangled names with their calls, mangled symbols as system names" "$no_go"
else
	top calls "$tmp/cxx.pb" > "$tmp/cxx"
	for want in "geo::run()|1" "geo::Box<int>::area() const|3" \
		"geo::Box<double>::area() const|2" \
		"geo::Box<int>::operator+(geo::Box<int> const&) const|1" "geo::thrower(int)|12" \
		"geo::catcher()|3" "geo::(anonymous namespace)::hidden(int)|2"; do
		grep -qF "$want|" "$tmp/cxx" || problem "no '$want|': $(tr '\n' ' ' < "$tmp/cxx")"
	done
	gopprof -raw "$tmp/cxx.pb" > "$tmp/raw" 2> "$tmp/pprof.err" ||
		problem "pprof -raw: $(cat "$tmp/pprof.err")"
	grep -q ' geo::thrower(int) .*(_ZN3geo7throwerEi)$' "$tmp/raw" ||
		problem "no system name _ZN3geo7throwerEi: $(grep thrower "$tmp/raw")"
	point "C++: demangled names with their calls, mangled symbols as system names"
fi

# ---- bad usage ---------------------------------------------------------------------------
"$tscope" pprof -o "$tmp/none.pb" > /dev/null 2> "$tmp/err"
st=$?
[ $st -eq 2 ] || problem "no trace: status $st, want 2"
grep -q '^tscope: pprof: no trace file given' "$tmp/err" || problem "no trace: $(cat "$tmp/err")"
if script -qec true /dev/null > /dev/null 2>&1; then # a terminal can be had
	script -qec "'$tscope' pprof '$tmp/diff1.trace'" /dev/null > "$tmp/tty" 2>&1
	st=$?
	[ $st -eq 2 ] || problem "stdout a terminal: status $st, want 2"
	grep -q 'the profile is binary' "$tmp/tty" || problem "stdout a terminal: $(cat "$tmp/tty")"
fi
"$tscope" pprof "$tmp/diff1.trace" > "$tmp/stdout.pb" 2> "$tmp/err" ||
	problem "stdout a file: $(cat "$tmp/err")"
cmp -s "$tmp/stdout.pb" "$tmp/diff1.pb" || problem "stdout and -o FILE differ"
point "bad usage: no trace, a terminal for output (status 2); stdout a file works"

finish
