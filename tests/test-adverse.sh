#!/bin/sh
# test-adverse.sh - runs tests/test-adverse (the recorder's promises under adverse
# programs, issue 10) through the test harness's rule for .sh tests, so that
#	make check TESTS=tests/test-adverse.sh
# works while test-adverse is kept out of TESTS (see ADVERSE_TESTS in Makefile.am).
# Arguments name cases to run alone (tests/test-adverse --list).
: "${top_builddir:?}"
exec "$top_builddir/tests/test-adverse" "$@"
