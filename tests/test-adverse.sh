#!/bin/sh
# test-adverse.sh - runs tests/test-adverse (the recorder's promises under adverse
# programs, issue 10) through the test harness's rule for .sh tests, so that
#	make check TESTS=tests/test-adverse.sh
# runs every case, in any build (TESTS has tests/test-adverse-kept.sh, which leaves
# out under a sanitizer the cases it makes meaningless).
# Arguments name cases to run alone (tests/test-adverse --list).
: "${top_builddir:?}"
exec "$top_builddir/tests/test-adverse" "$@"
