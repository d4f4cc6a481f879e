#!/bin/sh
# test-header.sh - include/tscope.h compiles as C99 and as C++11 with every warning,
# its macros work in both, and TSCOPE_DISABLE turns them into nothing.
. "$top_srcdir/tests/tap.sh"
tap_init header
cat > "$tmp/use.c" <<'SRC'
#include "tscope.h"
static int f(int x)
{
	TSCOPE_FUNC();
	{
		TSCOPE_SCOPE("inner");
		tscope_instant("mark");
		tscope_counter("count", x);
	}
	tscope_begin("pair");
	tscope_begin_copy("dynamic");
	tscope_end();
	tscope_end();
	return x + 1;
}
int main(void)
{
	struct tscope_config cfg = TSCOPE_CONFIG_INIT;
	(void)cfg;
	return f(TSCOPE_VERSION_NUMBER > 0) == 2 ? 0 : 1;
}
SRC
cp "$tmp/use.c" "$tmp/use.cc"
cat > "$tmp/macros.c" <<'SRC'
#include "tscope.h"
int g(int x);
int g(int x)
{
	TSCOPE_FUNC();
	TSCOPE_SCOPE("inner");
	return x + 1;
}
SRC
W="-Wall -Wextra -Werror -pedantic -I$top_srcdir/include"
try "C99" ${CC:-cc} -std=c99 $W -c "$tmp/use.c" -o "$tmp/c.o"
try "C11" ${CC:-cc} -std=c11 $W -Wstrict-prototypes -Wmissing-prototypes -c "$tmp/use.c" -o "$tmp/c11.o"
try "C++11" ${CXX:-c++} -std=c++11 $W -c "$tmp/use.cc" -o "$tmp/cc.o"
try "C99, TSCOPE_DISABLE" ${CC:-cc} -std=c99 $W -DTSCOPE_DISABLE -c "$tmp/macros.c" -o "$tmp/d.o"
try "C++11, TSCOPE_DISABLE" ${CXX:-c++} -std=c++11 $W -DTSCOPE_DISABLE -c "$tmp/use.cc" -o "$tmp/dd.o"
if ! [ -f "$tmp/d.o" ] || nm "$tmp/d.o" | grep -q tscope_; then
	problem "$(nm "$tmp/d.o" 2>&1 | grep tscope_)"
fi
point "TSCOPE_DISABLE leaves no scope call behind"
finish
