#!/bin/sh
# test-exports.sh - libtscope.so exports exactly the public API, the two hooks and
# dlclose() (passed through, see lib/runtime/session.c).
echo "1..2"
so=$top_builddir/lib/.libs/libtscope.so
if [ ! -f "$so" ] || ! command -v nm >/dev/null 2>&1; then
	echo "ok 1 # SKIP no shared library or no nm"
	echo "ok 2 # SKIP no shared library or no nm"
	exit 0
fi
got=$(nm -D --defined-only "$so" | awk '{print $3}' | LC_ALL=C sort)
want=$(LC_ALL=C sort "$top_srcdir/tests/exports.txt")
if [ "$got" = "$want" ]; then
	echo "ok 1 - exported symbols are the API list"
else
	echo "not ok 1 - exported symbols are the API list"
	printf '%s\n' "$got" > exports.got
	diff "$top_srcdir/tests/exports.txt" exports.got | sed 's/^/# /'
fi
extra=$(printf '%s\n' "$got" | grep -v -E '^(tscope_[a-z].*|__cyg_profile_func_(enter|exit)|dlclose)$')
if [ -z "$extra" ]; then
	echo "ok 2 - only tscope_*, the two hooks and dlclose"
else
	echo "not ok 2 - only tscope_*, the two hooks and dlclose"
	printf '# %s\n' $extra
fi
