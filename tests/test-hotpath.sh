#!/bin/sh
# test-hotpath.sh - the enter/exit hooks stay small: no call through the PLT, no
# __tls_get_addr, no lock; the common path reaches its one call (the cold path) only
# behind a branch.  Checked on the disassembly of the shared and the static library.
so=$top_builddir/lib/.libs/libtscope.so
ar=$top_builddir/lib/.libs/libtscope.a
. "$top_srcdir/tests/tap.sh"
tap_init hotpath
check() { # name, disassembly
	body=$(printf '%s\n' "$2" | grep -v -E '[[:space:]](nop|xchg +%ax,%ax|data16|int3)')
	if [ -z "$body" ]; then
		problem "not in the disassembly"
		point "$1: function found"
		return
	fi
	# the fast path: from the entry to the first ret
	fast=$(printf '%s\n' "$body" | awk '{print} /[[:space:]]ret/ {exit}')
	bad=$(printf '%s\n' "$body" | grep -E '@plt|__tls_get_addr|lock ')
	fcalls=$(printf '%s\n' "$fast" | grep -c -E '[[:space:]]call')
	finsns=$(printf '%s\n' "$fast" | grep -c -E '^ +[0-9a-f]+:')
	if [ -z "$bad" ] && [ "$fcalls" -eq 0 ] && [ "$finsns" -le 16 ]; then
		point "$1: fast path of $finsns instructions, no call, no PLT, no lock"
	else
		problem "calls in the fast path, PLT calls, TLS look-ups or locks: $bad"
		point "$1: fast path of $finsns instructions, $fcalls calls"
		printf '%s\n' "$body" | sed 's/^/# /'
	fi
}
if ! command -v objdump >/dev/null 2>&1 || [ ! -f "$so" ]; then
	skip "the hooks' disassembly" "no objdump or no shared library"
	finish
fi
# A sanitizer build instruments the hooks themselves: their size says nothing then.
if nm -D "$so" 2>/dev/null | grep -q -E ' U __(asan|ubsan|tsan|msan)_'; then
	skip "the hooks' disassembly" "the library is built with a sanitizer"
	finish
fi
dis() { # file, symbol
	objdump -d --no-show-raw-insn "$1" | awk -v s="<$2>:" '$2 == s {on=1; next} on && /^$/ {exit} on'
}
for f in __cyg_profile_func_enter __cyg_profile_func_exit; do
	check "$f (shared)" "$(dis "$so" $f)"
	[ -f "$ar" ] && check "$f (static)" "$(dis "$ar" $f)"
done
finish
