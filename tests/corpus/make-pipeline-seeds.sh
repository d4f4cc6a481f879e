#!/bin/sh
# Regenerate the seed inputs of tests/fuzz-pipeline.c in tests/corpus/pipeline/.  Run
# from the top of the source tree after `make check TESTS=` there (it records with
# tools/tscope, examples/ and tests/prog-conv); needs gcc and binutils.  Each seed is
# a few KiB:
#   rec-*.trace      recorded: fib, a C++ program, scopes and counters from threads,
#                    longjmp, exit() deep in calls, a dlopen()ed library, one loaded
#                    again in another's place, ring mode, LZ4
#   synth-*.trace    built byte by byte: modules that name tests/corpus/elf/*.elf by a
#                    relative path (the fuzzer runs from the top of the tree), so that
#                    their functions and strings are looked up; build ids that match
#                    and one that does not; objects mapped one after another at one
#                    place, unloaded exactly or not; every kind of event; unbalanced
#                    calls, scopes and time going backwards in a second thread
# The inputs of fixed bugs are kept as they were made, not regenerated here:
#   fix-tag-bits.trace   synth-calls.trace with bits 59 and 48..50 set in the address
#                        word of a call (read as a key of a contested range)
#   fix-deep-exit.trace  4096 calls, then 8192 returns that match none of them, in
#   fix-deep-end.trace   one packed LZ4 EVENTS chunk; the same with scope ends
set -eu

cc=${CC:-gcc}
out=tests/corpus/pipeline
elf=tests/corpus/elf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"

# ---- recorded ---------------------------------------------------------------------
TSCOPE_LIB=$PWD/lib/.libs/libtscope.so
export TSCOPE_LIB
rec() { # NAME [OPTIONS --] PROGRAM ARGS...
	name=$1
	shift
	tools/tscope record -o "$tmp/$name.trace" "$@" > /dev/null 2>&1 || :
	cp "$tmp/$name.trace" "$out/rec-$name.trace"
}
rec fib -- examples/fib 5
rec fib-lz4 --lz4 -- examples/fib 4
rec conv-ring --ring=8k -- tests/prog-conv fib 9
rec cxx -- tests/prog-cxx
(LD_LIBRARY_PATH=lib/.libs && export LD_LIBRARY_PATH && rec scopes -- examples/.libs/scopes)
for s in longjmp exit-deep names; do
	rec "conv-$s" -- tests/prog-conv "$s"
done
rec conv-lib -- tests/prog-conv lib "$PWD/tests/.libs/libprog-dlmod.so"
rec conv-reload -- tests/prog-conv reload "$PWD/tests/.libs/libprog-dlmod.so" \
	"$PWD/tests/.libs/libprog-dlmod2.so"

# ---- synthetic ----------------------------------------------------------------------
sym() { # FILE SYMBOL: its address, from .symtab or .dynsym
	{ nm "$1"; nm -D "$1"; } 2> /dev/null | awk -v s="$2" '$3 == s { print "0x" $1; exit }'
}
build_id() { # FILE: its build id as a C string of \x escapes
	readelf -n "$1" | sed -n 's/.*Build ID: //p' | sed 's/\(..\)/\\x\1/g'
}
cat > "$tmp/synth.c" <<'END'
#include <stdio.h>
#include "trace-build.h"

#define DYN "tests/corpus/elf/dyn.elf"
#define STRIPPED "tests/corpus/elf/dyn-stripped.elf"
#define EXE "tests/corpus/elf/exe.elf"
#define BASE 0x7f0000000000ull /* dyn.elf's load bias */
#define TICKS(ns) (1000000 + 3 * (ns)) /* a 3 GHz counter */

static void put(struct tb *b, const char *name)
{
	FILE *f = fopen(name, "wb");

	if (!f || fwrite(b->p, 1, b->n, f) != b->n || fclose(f))
		exit(1);
	tb_free(b);
}

static void head(struct tb *b)
{
	tb_init(b);
	tb_header(b, 4000, 1, TSF_CLOCK_TSC, TICKS(0));
	tb_process(b, 4000, 1, EXE);
	tb_clock(b, TICKS(0), 5000000000ull, 1700000000000000000ull, 20);
	tb_thread(b, 4000, 4000, TICKS(1), "main");
	tb_thread(b, 4001, 4000, TICKS(2), "worker \"1\"\n");
	tb_name(b, 0x600000, "scope");
	tb_name(b, 0x600010, "counter");
}

/* Calls into exe.elf and dyn.elf, a scope named by a string in dyn.elf's file, every
 * kind of event; a second thread with everything unbalanced. */
static void calls(int lz4)
{
	struct tb b;

	head(&b);
	b.lz4 = lz4;
	tb_module(&b, 0, 0x400000, 0x401008, EXE, EXE_ID, sizeof(EXE_ID) - 1);
	tb_module(&b, BASE, BASE, BASE + 0x2008, DYN, DYN_ID, sizeof(DYN_ID) - 1);
	tb_module(&b, BASE + 0x10000, BASE + 0x10000, BASE + 0x12008, STRIPPED, DYN_ID,
		  sizeof(DYN_ID) - 1); /* the wrong build id: addresses, a warning */
	tb_events_begin(&b, 4000, 0, 0, 0);
	tb_enter(&b, TICKS(10), EXE_START);
	tb_enter(&b, TICKS(20), EXE_HELPER);
	tb_enter(&b, TICKS(30), BASE + DYN_ADD);
	tb_exit(&b, TICKS(40), BASE + DYN_ADD);
	tb_enter(&b, TICKS(41), BASE + DYN_ADD + 2); /* inside, not at the start */
	tb_exit(&b, TICKS(42), BASE + DYN_ADD + 2);
	tb_begin(&b, TICKS(50), BASE + DYN_TINY);
	tb_enter(&b, TICKS(55), BASE + DYN_NAME);
	tb_instant(&b, TICKS(56), 0x600000);
	tb_counter(&b, TICKS(57), 0x600010, -3);
	tb_exit(&b, TICKS(60), BASE + DYN_NAME);
	tb_end_scope(&b, TICKS(70));
	tb_copy(&b, TICKS(80), "copied \xff\x01 name, longer than one slot");
	tb_enter(&b, TICKS(85), BASE + 0x10000 + DYN_ADD);
	tb_exit(&b, TICKS(86), BASE + 0x10000 + DYN_ADD);
	tb_end_scope(&b, TICKS(90));
	tb_exit(&b, TICKS(100), EXE_HELPER);
	tb_events_end(&b);
	tb_events_begin(&b, 4000, 1, 0, TSF_EF_FINAL);
	tb_enter(&b, TICKS(110), 0x12345);
	tb_exit(&b, TICKS(120), 0x12345);
	tb_exit(&b, TICKS(130), EXE_START);
	tb_events_end(&b);
	tb_events_begin(&b, 4001, 0, 0, TSF_EF_FINAL);
	tb_exit(&b, TICKS(15), BASE + DYN_ADD);    /* begun before the trace */
	tb_end_scope(&b, TICKS(16));               /* no scope open */
	tb_enter(&b, TICKS(20), EXE_HELPER);
	tb_begin(&b, TICKS(21), 0x600000);
	tb_enter(&b, TICKS(22), BASE + DYN_NAME);
	tb_end_scope(&b, TICKS(23));               /* inside a call: deferred */
	tb_exit(&b, TICKS(19), BASE + DYN_NAME);   /* time going backwards */
	tb_enter(&b, TICKS(30), EXE_START);
	tb_enter(&b, TICKS(31), BASE + DYN_ADD);
	tb_exit(&b, TICKS(40), EXE_HELPER);        /* unwinds two */
	tb_enter(&b, TICKS(50), EXE_TINY_NAME);    /* left open */
	tb_events_end(&b);
	tb_clock(&b, TICKS(200), 5000000200ull, 1700000000000000200ull, 20);
	tb_end(&b);
	put(&b, lz4 ? "synth-calls-lz4.trace" : "synth-calls.trace");
}

/* dyn.elf, then dyn-stripped.elf at the same place; then the same pair again with an
 * unload that was not timed exactly. */
static void contest(void)
{
	const uint64_t other = BASE + 0x100000;
	struct tb b;

	head(&b);
	tb_module(&b, BASE, BASE, BASE + 0x2008, DYN, DYN_ID, sizeof(DYN_ID) - 1);
	tb_module(&b, other, other, other + 0x2008, DYN, DYN_ID, sizeof(DYN_ID) - 1);
	tb_events_begin(&b, 4000, 0, 0, 0);
	tb_enter(&b, TICKS(10), BASE + DYN_ADD);
	tb_enter(&b, TICKS(11), other + DYN_NAME);
	tb_exit(&b, TICKS(12), other + DYN_NAME);
	tb_exit(&b, TICKS(20), BASE + DYN_ADD);
	tb_events_end(&b);
	tb_unload(&b, BASE, BASE, TICKS(30), TSF_UNLOAD_EXACT);
	tb_unload(&b, other, other, TICKS(30), 0);
	tb_module(&b, BASE, BASE, BASE + 0x2008, STRIPPED, STRIPPED_ID, sizeof(STRIPPED_ID) - 1);
	tb_module(&b, other, other, other + 0x2008, STRIPPED, STRIPPED_ID,
		  sizeof(STRIPPED_ID) - 1);
	tb_events_begin(&b, 4000, 1, 0, TSF_EF_FINAL);
	tb_enter(&b, TICKS(40), BASE + DYN_NAME);
	tb_enter(&b, TICKS(41), other + DYN_ADD);
	tb_exit(&b, TICKS(42), other + DYN_ADD);
	tb_exit(&b, TICKS(50), BASE + DYN_NAME);
	tb_events_end(&b);
	tb_events_begin(&b, 4001, 0, 0, TSF_EF_FINAL);
	tb_enter(&b, TICKS(25), BASE + DYN_ADD);
	tb_exit(&b, TICKS(45), BASE + DYN_ADD);
	tb_events_end(&b);
	tb_unload(&b, BASE, BASE, TICKS(60), TSF_UNLOAD_EXACT);
	tb_clock(&b, TICKS(200), 5000000200ull, 1700000000000000200ull, 20);
	tb_end(&b);
	put(&b, "synth-contest.trace");
}

int main(void)
{
	calls(0);
#ifdef HAVE_LZ4
	calls(1);
#endif
	contest();
	return 0;
}
END
lz4=""
if echo '#include <lz4.h>' | $cc -E - > /dev/null 2>&1; then
	lz4="-DHAVE_LZ4 -llz4"
fi
# shellcheck disable=SC2086
# DYN_TINY: the string "tiny" (a file offset, which is its address in dyn.elf)
$cc -Ilib -Itests -o "$tmp/synth" "$tmp/synth.c" $lz4 \
	-DEXE_ID="\"$(build_id $elf/exe.elf)\"" -DDYN_ID="\"$(build_id $elf/dyn.elf)\"" \
	-DSTRIPPED_ID="\"$(build_id $elf/dyn-stripped.elf)\"" \
	-DEXE_START="$(sym $elf/exe.elf _start)" -DEXE_HELPER="$(sym $elf/exe.elf helper)" \
	-DEXE_TINY_NAME="$(sym $elf/exe.elf tiny_name)" -DDYN_ADD="$(sym $elf/dyn.elf tiny_add)" \
	-DDYN_NAME="$(sym $elf/dyn.elf tiny_name)" \
	-DDYN_TINY="0x$(strings -t x $elf/dyn.elf | awk '$2 == "tiny" { print $1; exit }')"
(cd "$out" && "$tmp/synth")
chmod 644 "$out"/*.trace
ls -l "$out"
