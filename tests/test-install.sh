#!/bin/sh
# test-install.sh - the installed package works for an outside program: `make install
# DESTDIR=...`, then the examples are compiled against the installed header and library
# with the flags pkg-config gives, run, and their traces read by the installed tscope.
#
# Needs top_builddir and top_srcdir (set by `make check`); CC and CXX are used when set.
# Uses pkg-config's sysroot support so that the installed tscope.pc resolves inside the
# DESTDIR whatever --prefix or --libdir the build was configured with.
unset MAKEFLAGS MFLAGS MAKELEVEL
: "${top_builddir:?}" "${top_srcdir:?}"
cc=${CC:-cc}
cxx=${CXX:-c++}
pkgconfig=${PKG_CONFIG:-pkg-config}
. "$top_srcdir/tests/tap.sh"
tap_init install
dest=$tmp/root

try "make install DESTDIR=..." make -C "$top_builddir" install DESTDIR="$dest"
if [ "$failed" -ne 0 ]; then
	finish
fi

# Where things went: find them rather than guess the configured directories.
found() { # name: the one installed file of that name, or nothing
	find "$dest" -name "$1" \( -type f -o -type l \) 2> /dev/null | head -n 1
}
pc=$(found tscope.pc)
so=$(found libtscope.so)
ar=$(found libtscope.a)
hdr=$(found tscope.h)
bin=$(find "$dest" -path "*/bin/tscope" -type f 2> /dev/null | head -n 1)
man1=$(found tscope.1)
man3=$(found tscope.3)
for f in pc so ar hdr bin man1 man3; do
	eval "v=\$$f"
	[ -n "$v" ] || echo "no $f installed" > "$tmp/out"
	ok $([ -n "$v" ]; echo $?) "installed: $f ${v#"$dest"}"
done
leak=$(find "$dest" \( -name 'libtscope-read*' -o -name 'test-*' -o -name 'prog-*' \
	-o -name 'fib' -o -name 'scopes' -o -name 'hello' \) 2>/dev/null)
printf '%s\n' "$leak" > "$tmp/out"
ok $([ -z "$leak" ]; echo $?) "nothing internal is installed"
if [ -z "$pc" ] || [ -z "$so" ] || [ -z "$hdr" ] || [ -z "$bin" ]; then
	finish
fi
libdir=$(dirname "$so")

if ! command -v "$pkgconfig" > /dev/null 2>&1; then
	skip "pkg-config flags" "no pkg-config"
	finish
fi
PKG_CONFIG_PATH=$(dirname "$pc")
PKG_CONFIG_SYSROOT_DIR=$dest
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
unset PKG_CONFIG_LIBDIR

try "tscope.pc passes pkg-config --validate" "$pkgconfig" --validate "$pc"
want=$(sed -n 's/^#define TSCOPE_VERSION_STRING "\(.*\)"$/\1/p' "$top_srcdir/include/tscope.h")
got=$("$pkgconfig" --modversion tscope 2> "$tmp/out")
ok $([ "$got" = "$want" ]; echo $?) "pkg-config --modversion is $want (got '$got')"
cflags=$("$pkgconfig" --cflags tscope 2> "$tmp/out")
libs=$("$pkgconfig" --libs tscope 2>> "$tmp/out")
echo "cflags: $cflags; libs: $libs" >> "$tmp/out"
case "$cflags $libs" in
*"$dest"*-ltscope*) ok 0 "pkg-config flags point into the installed tree" ;;
*) ok 1 "pkg-config flags point into the installed tree" ;;
esac

# A library built with sanitizers needs its consumers built with them too.
san=
undef=$(nm -D --undefined-only "$so" 2> /dev/null)
case "$undef" in *__asan_*) san="$san,address" ;; esac
case "$undef" in *__ubsan_*) san="$san,undefined" ;; esac
case "$undef" in *__tsan_*) san="$san,thread" ;; esac
[ -n "$san" ] && san="-fsanitize=${san#,}"

# The instrumentation flags the README recommends, as far as the compiler takes them.
probe() { # compiler, flag: does the compiler accept it?
	echo 'int main(void) { return 0; }' > "$tmp/probe.c"
	$1 -Werror "$2" -x c "$tmp/probe.c" -o "$tmp/probe" > /dev/null 2>&1
}
instr_flags() { # compiler
	f=-finstrument-functions
	for extra in -finstrument-functions-exclude-file-list=/usr/include \
		-finstrument-functions-after-inlining; do
		probe "$1" "$extra" && f="$f $extra"
	done
	echo "$f"
}
instr_c=$(instr_flags "$cc")
instr_cxx=$(instr_flags "$cxx")

ex=$top_srcdir/examples
LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export LD_LIBRARY_PATH
unset TSCOPE_LIB TSCOPE_OUTPUT TSCOPE_ENABLE TSCOPE_MODE TSCOPE_BUFFER TSCOPE_COMPRESS

# trace_ok description trace: the installed tscope reads the trace completely, and it
# holds events.
trace_ok() {
	"$bin" info "$2" > "$tmp/info" 2> "$tmp/out"
	st=$?
	cat "$tmp/info" >> "$tmp/out"
	ok $([ $st -eq 0 ] && grep -q '^status *complete' "$tmp/info" &&
		! grep -q '^events *0 ' "$tmp/info"; echo $?) "$1"
}

# 1. The API, linked: scopes.c starts and stops recording itself.
try "C: scopes.c compiles with pkg-config flags" \
	$cc $san -O1 -pthread "$ex/scopes.c" $cflags $libs -o "$tmp/scopes"
if [ -x "$tmp/scopes" ]; then
	try "C: scopes runs" "$tmp/scopes" "$tmp/scopes.trace"
	trace_ok "C: installed tscope info reads its trace" "$tmp/scopes.trace"
fi

# 2. C++: instrumented and marked up, linked.
try "C++: hello.cc compiles with pkg-config flags" \
	$cxx $san -O1 $instr_cxx "$ex/hello.cc" $cflags $libs -o "$tmp/hello"
if [ -x "$tmp/hello" ]; then
	try "C++: hello runs" env TSCOPE_OUTPUT="$tmp/hello.trace" "$tmp/hello"
	trace_ok "C++: installed tscope info reads its trace" "$tmp/hello.trace"
fi

# 3. Instrumented only, not linked: the installed tscope record preloads the
#    installed library found next to it.
try "plain: fib.c compiles without tscope" $cc $san -O1 $instr_c "$ex/fib.c" -o "$tmp/fib"
if [ -x "$tmp/fib" ]; then
	try "plain: installed tscope record runs it" "$bin" record -o "$tmp/fib.trace" "$tmp/fib" 12
	trace_ok "plain: installed tscope info reads its trace" "$tmp/fib.trace"
fi

# 4. Static: libtscope.a with what pkg-config --static adds (liblz4 where built with it).
if [ -n "$ar" ]; then
	static_libs=$("$pkgconfig" --static --libs tscope | sed 's/-ltscope\b//')
	try "static: fib.c links libtscope.a" \
		$cc $san -O1 $instr_c "$ex/fib.c" $cflags "$ar" $static_libs -pthread \
		-o "$tmp/fib-static"
	if [ -x "$tmp/fib-static" ]; then
		try "static: it runs" env TSCOPE_OUTPUT="$tmp/fib-static.trace" "$tmp/fib-static" 12
		trace_ok "static: installed tscope info reads its trace" "$tmp/fib-static.trace"
	fi
else
	skip "static: libtscope.a" "built without a static library"
fi

finish
