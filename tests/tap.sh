# tap.sh - TAP for the shell tests, sourced by each of them:
#
#	. "$top_srcdir/tests/tap.sh"
#	tap_init NAME
#
# tap_init makes an empty scratch directory $tmp, tests/tmp-NAME.PID in the build tree.
# A test point gathers what is wrong with problem(); point() then prints "ok N - what"
# or, if anything was wrong, "not ok N - what" and the problems as comments.  ok() is
# a point passed by an exit status of 0, try() one passed by a command; skip() prints
# a skipped point.  finish() prints the plan, removes $tmp when every point passed
# (unless KEEP is set; else it says where $tmp is kept) and exits, non-zero if a point
# failed.  A test may read n (the points so far) and failed (1 once a point failed).
n=0
failed=0

# tap_init NAME: a fresh scratch directory $tmp, with the files the points use
tap_init() {
	tmp=${top_builddir:-.}/tests/tmp-$1.$$
	rm -rf "$tmp"
	mkdir -p "$tmp" || exit 1
	: > "$tmp/problems"
	: > "$tmp/out"
}

# problem MESSAGE...: something wrong for the point being checked
problem() {
	echo "$*" >> "$tmp/problems"
}

# point DESCRIPTION: one test point, failed if problem() was called since the last one
point() {
	n=$((n + 1))
	if [ -s "$tmp/problems" ]; then
		echo "not ok $n - $1"
		head -n 40 "$tmp/problems" | sed 's/^/# /'
		failed=1
	else
		echo "ok $n - $1"
	fi
	: > "$tmp/problems"
}

# ok STATUS DESCRIPTION: a point that passes if STATUS is 0; if not, what $tmp/out
# holds (the output of the command checked) is shown.  Empties $tmp/out.
ok() {
	if [ "$1" -ne 0 ]; then
		if [ -s "$tmp/out" ]; then
			head -n 40 "$tmp/out" >> "$tmp/problems"
		else
			problem "status $1"
		fi
	fi
	: > "$tmp/out"
	point "$2"
}

# try DESCRIPTION COMMAND...: a point that passes if the command does; its output,
# shown if it fails, goes to $tmp/out.
try() {
	tap_what=$1
	shift
	"$@" > "$tmp/out" 2>&1
	ok $? "$tap_what"
}

# skip DESCRIPTION REASON: a point not checked here
skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}

# finish: the plan, the scratch directory removed if everything passed (else where it
# is kept), the exit
finish() {
	echo "1..$n"
	if [ "$failed" -eq 0 ] && [ -z "${KEEP:-}" ]; then
		rm -rf "$tmp"
	else
		echo "# scratch files kept in $tmp"
	fi
	exit "$failed"
}
