#!/bin/sh
# Regenerate the seed inputs of tests/fuzz-elf.c in tests/corpus/elf/.  Run from the top
# of the source tree; needs gcc and binutils.  Each seed is a few KiB:
#   dyn.elf           a shared object with .symtab, .dynsym and a build id
#   dyn-stripped.elf  the same, stripped: .dynsym only
#   dyn-debug.elf     its objcopy --only-keep-debug file: NOBITS sections, segments
#                     larger than the file
#   exe.elf           a static ET_EXEC with an 8-aligned property note
#   handmade.elf      the hand-made file of tests/test-elf.c: nested, crossing and
#                     aliased symbols, ifunc, zero-size and wrapping symbols
set -eu

cc=${CC:-gcc}
out=tests/corpus/elf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat > "$tmp/tiny.c" <<'END'
static int helper(int x) { return x * 3 + 1; }
int (*tiny_ptr)(int) = helper;
int tiny_add(int a, int b) { return a + b; }
const char *tiny_name(void) { return "tiny"; }
void _start(void) { for (;;) ; }
END
flags="-O1 -nostdlib -Wl,-z,noseparate-code -Wl,--build-id"
$cc $flags -fPIC -shared "$tmp/tiny.c" -o "$out/dyn.elf"
$cc $flags -fPIC -shared -s "$tmp/tiny.c" -o "$out/dyn-stripped.elf"
objcopy --only-keep-debug "$out/dyn.elf" "$out/dyn-debug.elf"
$cc $flags -static -no-pie -fcf-protection "$tmp/tiny.c" -o "$out/exe.elf"

cat > "$tmp/handmade.c" <<'END'
#define main test_elf_main
#include "test-elf.c"
#undef main
int main(void)
{
	static uint8_t img[1024];
	size_t n = syn_build(img);

	return fwrite(img, 1, n, stdout) != n;
}
END
$cc -D_GNU_SOURCE -Iinclude -Ilib -Ilib/read -Itests "$tmp/handmade.c" lib/read/elf.c lib/read/symtab.c \
	lib/read/demangle.c -ldl -o "$tmp/handmade"
"$tmp/handmade" > "$out/handmade.elf"
chmod 644 "$out"/*.elf
ls -l "$out"
