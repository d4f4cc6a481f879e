/* SPDX-License-Identifier: MIT */
/*
 * fuzz-elf.c - libFuzzer entry point for the ELF symbolizer.  Any input must be refused
 * or indexed without a crash, a leak or an out-of-bounds read, and every function
 * symbol the file declares must then be found by address.
 *
 * From the top of the tree (work on a copy of the seeds, libFuzzer adds files):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *         -D_GNU_SOURCE -Iinclude -Ilib -Ilib/read lib/read/elf.c lib/read/symtab.c lib/read/demangle.c \
 *         tests/fuzz-elf.c -ldl -o fuzz-elf
 *   cp -r tests/corpus/elf /tmp/elf-corpus && ./fuzz-elf -max_total_time=300 /tmp/elf-corpus
 * Built with -DFUZZ_ELF_MAIN instead, it runs the inputs named on its command line once
 * (for compilers without libFuzzer, or under valgrind).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf-file.h"
#include "symtab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read every returned string to its end, so a bad pointer is caught by the sanitizers. */
static size_t touch(const char *s)
{
	return s ? strlen(s) : 0;
}

/*
 * Look up the ends of every function in the table symtab_open_mem() indexes (.symtab if
 * it has functions, else .dynsym): each must resolve to some name.
 */
static void check_functions(const struct symtab *st, const uint8_t *data, size_t size)
{
	static const uint32_t types[] = { SHT_SYMTAB, SHT_DYNSYM };
	struct elf_symtab t;
	const char *name;
	struct elf e;
	Elf64_Sym sym;
	uint64_t i, n = 0, off;
	size_t k;

	if (elf_init(&e, data, size) != 0)
		__builtin_trap(); /* symtab_open_mem() accepted it */
	for (k = 0; n == 0 && k < 2; k++) {
		if (!elf_symbols(&e, types[k], &t))
			continue;
		for (i = 0; i < t.count && i < 4096; i++) {
			if (!elf_function(&t, i, &sym, &name))
				continue;
			n++;
			name = symtab_lookup(st, sym.st_value, &off);
			if (!name || off >= sym.st_size)
				__builtin_trap();
			name = symtab_lookup(st, sym.st_value + sym.st_size - 1, &off);
			if (!name)
				__builtin_trap();
			touch(name);
			touch(symtab_string_at(st, sym.st_value, 256));
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct symtab *st;
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	struct elf e;
	uint64_t probe[6], off, i;
	size_t len, k;

	if (symtab_open_mem(data, size, &st) != 0)
		return 0;
	memcpy(&eh, data, sizeof(eh));
	probe[0] = eh.e_entry;
	probe[1] = eh.e_entry + 1;
	probe[2] = 0;
	probe[3] = UINT64_MAX;
	memcpy(&probe[4], data + size - 16, 16);
	for (k = 0; k < 6; k++) {
		touch(symtab_lookup(st, probe[k], &off));
		touch(symtab_string_at(st, probe[k], 64));
		touch(symtab_string_at(st, probe[k], (size_t)probe[k]));
	}
	if (elf_init(&e, data, size) == 0) {
		for (i = 0; i < e.phnum && i < 64; i++) {
			elf_segment(&e, i, &ph);
			touch(symtab_string_at(st, ph.p_vaddr, 4096));
			touch(symtab_string_at(st, ph.p_vaddr + ph.p_filesz - 1, 4096));
		}
	}
	symtab_build_id(st, &len);
	check_functions(st, data, size);
	symtab_close(st);
	return 0;
}

#ifdef FUZZ_ELF_MAIN
int main(int argc, char **argv)
{
	static uint8_t buf[1 << 24];
	size_t n;
	FILE *f;
	int i;

	for (i = 1; i < argc; i++) {
		f = fopen(argv[i], "rb");
		if (!f) {
			perror(argv[i]);
			return 1;
		}
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, n);
	}
	return 0;
}
#endif
