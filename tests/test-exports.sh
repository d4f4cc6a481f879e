#!/bin/sh
# test-exports.sh - libtscope.so exports exactly the public API, the two hooks,
# dlclose(), the exec() family and _exit() (passed through, see lib/runtime/session.c,
# lib/runtime/exec.c and lib/runtime/exit.c).
. "$top_srcdir/tests/tap.sh"
tap_init exports
so=$top_builddir/lib/.libs/libtscope.so
if [ ! -f "$so" ] || ! command -v nm >/dev/null 2>&1; then
	skip "exported symbols are the API list" "no shared library or no nm"
	skip "only tscope_*, the two hooks, dlclose, exec* and _exit" "no shared library or no nm"
	finish
fi
got=$(nm -D --defined-only "$so" | awk '{print $3}' | LC_ALL=C sort)
want=$(LC_ALL=C sort "$top_srcdir/tests/exports.txt")
if [ "$got" != "$want" ]; then
	problem "listed (<) and exported (>) differ:"
	printf '%s\n' "$got" > "$tmp/exports.got"
	diff "$top_srcdir/tests/exports.txt" "$tmp/exports.got" | grep "^[<>]" >> "$tmp/problems"
fi
point "exported symbols are the API list"
extra=$(printf '%s\n' "$got" | grep -v -E '^(tscope_[a-z].*|__cyg_profile_func_(enter|exit)|dlclose|f?execve|execvp?e?|execl[pe]?|_[eE]xit)$')
[ -z "$extra" ] || problem $extra
point "only tscope_*, the two hooks, dlclose, exec* and _exit"
finish
