/* SPDX-License-Identifier: MIT */
/*
 * test-elf.c - the offline symbolizer: names of functions in this program and in a
 * shared library, demangling, build-id checks, string literals, and malformed files
 * (hand-made and mutated copies of this program) that must neither crash nor give a
 * wrong name.
 *
 * The shared library (tests/prog-elflib.c) is found through $TEST_ELFLIB, which make
 * check sets; without it, its tests are skipped.  Each case runs in a child of its own
 * (tests/runner.h): `tests/test-elf --list` lists them.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <link.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "demangle.h"
#include "elf-file.h"
#include "runner.h"
#include "symtab.h"
#include "tscope.h"

int test_elf_global(int x);

static __attribute__((noinline)) int test_elf_static(int x)
{
	return x * 3 + 1;
}

__attribute__((noinline)) int test_elf_global(int x)
{
	return x * 5 + 2;
}

/* Globals through volatile pointers, so the compiler keeps what the tests look up. */
static int (*volatile static_fn)(int) = test_elf_static;
static int (*volatile global_fn)(int) = test_elf_global;
static const char *volatile literal = "tscope test-elf literal";
static int data_word = 1;

/* ---- modules of this process, as the runtime records them ---------------------- */

struct module {
	uintptr_t addr;	  /* in: an address inside the module */
	const char *path; /* out: dlpi_name ("" for the main program) */
	uint64_t bias, lo, hi;
	uint8_t id[64];
	size_t id_len;
	int found;
};

/* Copy the GNU build id out of the in-memory notes p[0, len), if there is one. */
static void note_id(struct module *m, const uint8_t *p, size_t len, size_t align)
{
	ElfW(Nhdr) nh;
	size_t name, desc;

	while (len >= sizeof(nh)) {
		memcpy(&nh, p, sizeof(nh));
		name = (nh.n_namesz + align - 1) & ~(align - 1);
		desc = (nh.n_descsz + align - 1) & ~(align - 1);
		if (name + desc > len - sizeof(nh))
			return;
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    memcmp(p + sizeof(nh), "GNU", 4) == 0 && nh.n_descsz <= sizeof(m->id)) {
			memcpy(m->id, p + sizeof(nh) + name, nh.n_descsz);
			m->id_len = nh.n_descsz;
			return;
		}
		p += sizeof(nh) + name + desc;
		len -= sizeof(nh) + name + desc;
	}
}

static int module_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	struct module *m = data;
	uint64_t lo = UINT64_MAX, hi = 0, a;
	const ElfW(Phdr) * ph;
	int i;

	(void)size;
	for (i = 0; i < info->dlpi_phnum; i++) {
		ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		a = info->dlpi_addr + ph->p_vaddr;
		lo = a < lo ? a : lo;
		hi = a + ph->p_memsz > hi ? a + ph->p_memsz : hi;
	}
	if (m->addr < lo || m->addr >= hi)
		return 0;
	m->path = info->dlpi_name;
	m->bias = info->dlpi_addr;
	m->lo = lo;
	m->hi = hi;
	for (i = 0; i < info->dlpi_phnum; i++) {
		ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_NOTE && !m->id_len)
			note_id(m, (const uint8_t *)(info->dlpi_addr + ph->p_vaddr), ph->p_memsz,
				ph->p_align == 8 ? 8 : 4);
	}
	m->found = 1;
	return 1;
}

static struct module module_of(const void *addr)
{
	struct module m;

	memset(&m, 0, sizeof(m));
	m.addr = (uintptr_t)addr;
	dl_iterate_phdr(module_cb, &m);
	return m;
}

/* xorshift64: a fixed, reproducible sequence for the randomized tests. */
static uint64_t next_rand(uint64_t x)
{
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

/* ---- warning callback ---------------------------------------------------------- */

struct warns {
	int count;
	char path[256];
	char what[128];
};

static void on_warn(void *ctx, const char *path, const char *what)
{
	struct warns *w = ctx;

	w->count++;
	snprintf(w->path, sizeof(w->path), "%s", path);
	snprintf(w->what, sizeof(w->what), "%s", what);
}

static void diag_what(const char *what)
{
	printf("#   warning was: %s\n", what);
}

/* ---- this program ---------------------------------------------------------------- */

static void test_self(const struct module *self)
{
	uint64_t vs = (uintptr_t)static_fn - self->bias, vg = (uintptr_t)global_fn - self->bias;
	uint64_t off = 99;
	struct symtab *st = NULL;
	const uint8_t *id;
	size_t len;

	is_int(symtab_open("/proc/self/exe", &st), 0, "open this program");
	if (!st)
		return;
	is_str(symtab_lookup(st, vs, &off), "test_elf_static", "static function by address");
	is_int(off, 0, "static function: offset 0");
	is_str(symtab_lookup(st, vs + 1, &off), "test_elf_static", "static function + 1");
	is_int(off, 1, "static function + 1: offset 1");
	is_str(symtab_lookup(st, vg, &off), "test_elf_global", "global function by address");
	is_str(symtab_lookup(st, vg + 1, NULL), "test_elf_global", "global function + 1");
	ok(symtab_lookup(st, (uintptr_t)&data_word - self->bias, &off) == NULL,
	   "a data address is in no function");
	ok(symtab_lookup(st, 0, NULL) == NULL, "address 0 is in no function");
	is_str(symtab_string_at(st, (uintptr_t)literal - self->bias, 64), literal,
	       "string literal read from the file");
	ok(symtab_string_at(st, (uintptr_t)literal - self->bias, 5) == NULL,
	   "string longer than max is not returned");
	id = symtab_build_id(st, &len);
	ok(len == self->id_len && (!len || memcmp(id, self->id, len) == 0),
	   "build id in the file matches the one in memory (%zu bytes)", len);
	symtab_close(st);
	symtab_close(NULL);
}

static void test_open_errors(void)
{
	struct symtab *st = (struct symtab *)&data_word;

	errno = 0;
	is_int(symtab_open("/nonexistent/tscope-no-such-file", &st), TSCOPE_EIO, "missing file");
	ok(st == NULL && errno == ENOENT, "missing file: no symtab, errno ENOENT");
	is_int(symtab_open("/", &st), TSCOPE_EFORMAT, "a directory is refused");
	is_int(symtab_open("/dev/null", &st), TSCOPE_EFORMAT, "a device is refused");
	is_int(symtab_open(NULL, &st), TSCOPE_EINVAL, "NULL path");
	is_int(symtab_open_mem("x", 1, &st), TSCOPE_EFORMAT, "one byte is not ELF");
	is_int(symtab_open_mem(NULL, 0, &st), TSCOPE_EFORMAT, "no bytes are not ELF");
	is_int(symtab_open_mem(NULL, 10, &st), TSCOPE_EINVAL, "NULL data");
	ok(symtab_lookup(NULL, 1, NULL) == NULL, "lookup in NULL");
}

static void test_symbolizer_self(const struct module *self)
{
	struct symbolizer *s = symbolizer_new();
	struct warns w = { 0 };
	uint8_t bad[20];

	symbolizer_set_warn(s, on_warn, &w);
	is_int(symbolizer_add_module(s, "/proc/self/exe", self->bias, self->lo, self->hi, self->id,
				     self->id_len),
	       0, "register this program");
	is_str(symbolizer_lookup(s, (uintptr_t)static_fn), "test_elf_static",
	       "symbolizer: static function");
	is_str(symbolizer_lookup(s, (uintptr_t)global_fn + 1), "test_elf_global",
	       "symbolizer: global function + 1");
	ok(symbolizer_lookup(s, self->hi) == NULL, "symbolizer: address past the module");
	ok(symbolizer_lookup(s, 0) == NULL, "symbolizer: address 0");
	is_str(symbolizer_string(s, (uintptr_t)literal, 64), literal, "symbolizer: literal");
	is_int(w.count, 0, "no warnings for a good module");
	is_int(symbolizer_add_module(s, "x", 0, 5, 5, NULL, 0), TSCOPE_EINVAL, "empty range");
	is_int(symbolizer_add_module(s, "x", 0, 5, 6, NULL, 3), TSCOPE_EINVAL, "NULL build id");
	is_int(symbolizer_add_module(s, NULL, 0, 5, 6, NULL, 0), TSCOPE_EINVAL, "NULL path");
	symbolizer_free(s);

	/* A different build id: no names, one warning however many lookups. */
	memset(bad, 0xa5, sizeof(bad));
	memset(&w, 0, sizeof(w));
	s = symbolizer_new();
	symbolizer_set_warn(s, on_warn, &w);
	symbolizer_add_module(s, "/proc/self/exe", self->bias, self->lo, self->hi, bad,
			      sizeof(bad));
	ok(symbolizer_lookup(s, (uintptr_t)static_fn) == NULL, "build id mismatch: no name");
	ok(symbolizer_lookup(s, (uintptr_t)global_fn) == NULL, "build id mismatch: still none");
	ok(symbolizer_string(s, (uintptr_t)literal, 64) == NULL, "build id mismatch: no string");
	is_int(w.count, 1, "build id mismatch: exactly one warning");
	is_str(w.path, "/proc/self/exe", "build id mismatch: warning names the file");
	diag_what(w.what);
	symbolizer_free(s);

	/* An empty recorded id accepts the file. */
	memset(&w, 0, sizeof(w));
	s = symbolizer_new();
	symbolizer_set_warn(s, on_warn, &w);
	symbolizer_add_module(s, "/proc/self/exe", self->bias, self->lo, self->hi, NULL, 0);
	is_str(symbolizer_lookup(s, (uintptr_t)static_fn), "test_elf_static",
	       "no recorded build id: file accepted");
	is_int(w.count, 0, "no recorded build id: no warning");
	symbolizer_free(s);

	/* A missing file: no names, one warning. */
	memset(&w, 0, sizeof(w));
	s = symbolizer_new();
	symbolizer_set_warn(s, on_warn, &w);
	symbolizer_add_module(s, "/nonexistent/libgone.so", self->bias, self->lo, self->hi, NULL,
			      0);
	ok(symbolizer_lookup(s, (uintptr_t)static_fn) == NULL, "missing file: no name");
	ok(symbolizer_lookup(s, (uintptr_t)global_fn) == NULL, "missing file: still none");
	is_int(w.count, 1, "missing file: exactly one warning");
	diag_what(w.what);
	symbolizer_free(s);
	symbolizer_free(NULL);
}

/*
 * Many overlapping registrations of this program at random places with random biases,
 * against a brute-force answer: the newest module covering an address decides which
 * ELF address it stands for.
 */
static void test_overlaps(const struct module *self)
{
	enum { NMOD = 300, NPROBE = 4000 };
	static struct {
		uint64_t lo, hi, bias;
	} mods[NMOD];
	uint64_t rnd = 88172645463325252u, vs = (uintptr_t)static_fn - self->bias, addr;
	struct symbolizer *s = symbolizer_new();
	const char *got, *want;
	struct symtab *st;
	int i, k, bad = 0;

	if (symtab_open("/proc/self/exe", &st) != 0) {
		tap_skip("cannot open this program");
		symbolizer_free(s);
		return;
	}
	for (i = 0; i < NMOD; i++) {
		rnd = next_rand(rnd);
		mods[i].lo = (rnd % 4000) * 16;
		mods[i].hi = mods[i].lo + 16 * (1 + (rnd >> 20) % 300);
		mods[i].bias = mods[i].lo - (vs - 1024 + (rnd >> 40) % 1024);
		symbolizer_add_module(s, "/proc/self/exe", mods[i].bias, mods[i].lo, mods[i].hi,
				      self->id, self->id_len);
		if (i % 50 == 49)
			symbolizer_lookup(s, mods[i].lo); /* rebuild in between */
	}
	for (k = 0; k < NPROBE; k++) {
		rnd = next_rand(rnd);
		addr = rnd % 70000;
		want = NULL;
		for (i = NMOD - 1; i >= 0; i--) {
			if (addr >= mods[i].lo && addr < mods[i].hi) {
				want = symtab_lookup(st, addr - mods[i].bias, NULL);
				break;
			}
		}
		got = symbolizer_lookup(s, addr);
		if ((got == NULL) != (want == NULL) ||
		    (got && strncmp(want, "_Z", 2) != 0 && strcmp(got, want) != 0)) {
			if (!bad++)
				printf("#   0x%" PRIx64 ": got %s, want %s\n", addr,
				       got ? got : "(null)", want ? want : "(null)");
		}
	}
	is_int(bad, 0, "%d overlapping modules, %d addresses: the newest module answers", NMOD,
	       NPROBE);
	symtab_close(st);
	symbolizer_free(s);
}

/* ---- a shared library loaded with dlopen --------------------------------------- */

static void test_library(const char *path, const struct module *self)
{
	typedef int (*fn)(int);
	struct symbolizer *s;
	struct warns w = { 0 };
	struct module m;
	void *h, *answer, *cxx;
	fn (*hidden)(void);
	const char *(*lit)(void);
	char *d;

	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	ok(h != NULL, "dlopen %s", path);
	if (!h) {
		printf("# %s\n", dlerror());
		return;
	}
	answer = dlsym(h, "prog_elflib_answer");
	cxx = dlsym(h, "_ZN6elflib5greetEi");
	hidden = (fn(*)(void))dlsym(h, "prog_elflib_hidden");
	lit = (const char *(*)(void))dlsym(h, "prog_elflib_literal");
	ok(answer && cxx && hidden && lit, "library functions found with dlsym");
	if (!answer || !cxx || !hidden || !lit)
		goto out;
	m = module_of(answer);
	ok(m.found && m.path[0] == '/', "library module found: %s", m.found ? m.path : "-");
	if (!m.found)
		goto out;

	s = symbolizer_new();
	symbolizer_set_warn(s, on_warn, &w);
	symbolizer_add_module(s, "/proc/self/exe", self->bias, self->lo, self->hi, self->id,
			      self->id_len);
	symbolizer_add_module(s, m.path, m.bias, m.lo, m.hi, m.id, m.id_len);
	is_str(symbolizer_lookup(s, (uintptr_t)answer), "prog_elflib_answer",
	       "library: global function");
	is_str(symbolizer_lookup(s, (uintptr_t)hidden() + 2), "prog_elflib_static",
	       "library: static function + 2");
	d = demangle("_Z1fv");
	if (d)
		is_str(symbolizer_lookup(s, (uintptr_t)cxx), "elflib::greet(int)",
		       "library: C++ name demangled");
	else
		tap_skip("no C++ demangler");
	free(d);
	is_str(symbolizer_string(s, (uintptr_t)lit(), 100), "tscope elflib literal",
	       "library: string literal");
	is_str(symbolizer_lookup(s, (uintptr_t)static_fn), "test_elf_static",
	       "library and program side by side");
	is_int(w.count, 0, "library: no warnings");
	symbolizer_free(s);

	/* Overlapping registrations: the newest wins, the hidden one is never opened. */
	memset(&w, 0, sizeof(w));
	s = symbolizer_new();
	symbolizer_set_warn(s, on_warn, &w);
	symbolizer_add_module(s, "/nonexistent/old.so", m.bias, m.lo - 4096, m.hi + 4096, NULL, 0);
	symbolizer_add_module(s, m.path, m.bias, m.lo, m.hi, m.id, m.id_len);
	is_str(symbolizer_lookup(s, (uintptr_t)answer), "prog_elflib_answer",
	       "newer module hides an older one");
	ok(symbolizer_lookup(s, m.lo - 1) == NULL && w.count == 1,
	   "older module still owns what the newer one leaves");
	symbolizer_add_module(s, "/nonexistent/new.so", 0, (uintptr_t)answer, (uintptr_t)answer + 1,
			      NULL, 0);
	ok(symbolizer_lookup(s, (uintptr_t)answer) == NULL && w.count == 2,
	   "a module registered later takes over its range");
	is_str(symbolizer_lookup(s, (uintptr_t)answer + 1), "prog_elflib_answer",
	       "and only its range");
	symbolizer_free(s);
out:
	dlclose(h);
}

/* ---- demangling ----------------------------------------------------------------------- */

static void test_demangle(void)
{
	char *d = demangle("_ZN3foo3barEi");

	if (!d) {
		tap_skip("no C++ demangler (libstdc++.so.6) available");
	} else {
		is_str(d, "foo::bar(int)", "demangle _ZN3foo3barEi");
		free(d);
	}
	ok(demangle("main") == NULL, "a C name is not demangled");
	ok(demangle("f") == NULL, "a C name that is also a type code is not demangled");
	ok(demangle("_Z") == NULL, "a truncated mangled name gives NULL");
	ok(demangle("") == NULL && demangle(NULL) == NULL, "empty and NULL give NULL");
}

/* ---- checking an image against expected answers -------------------------------------- */

struct expect {
	uint64_t vaddr;
	const char *name; /* NULL: in no function */
	uint64_t off;
};

/*
 * Open size bytes at img and look up every expectation.  strict: each answer must be
 * exactly the expected one.  Otherwise the file may be refused (TSCOPE_EFORMAT) or lose
 * names, but an answer must never be a wrong name.  Every returned string is read to
 * its end, so a bad pointer shows up under ASan or valgrind.  *rc gets the open status.
 * Returns 1 if all is well, else 0 after a diagnostic.
 */
static int check_image(const uint8_t *img, size_t size, const struct expect *ex, size_t n,
		       int strict, int *rc)
{
	const char *name;
	struct symtab *st;
	uint64_t off, v;
	size_t i, len;

	*rc = symtab_open_mem(img, size, &st);
	if (*rc != 0) {
		if (*rc == TSCOPE_EFORMAT && !strict)
			return 1;
		printf("#   open: %d\n", *rc);
		return 0;
	}
	for (i = 0; i < n; i++) {
		off = 0;
		name = symtab_lookup(st, ex[i].vaddr, &off);
		if (!name && !strict)
			continue;
		if ((name == NULL) != (ex[i].name == NULL) ||
		    (name && (strcmp(name, ex[i].name) != 0 || off != ex[i].off))) {
			printf("#   0x%" PRIx64 ": got %s+%" PRIu64 ", want %s+%" PRIu64 "\n",
			       ex[i].vaddr, name ? name : "(null)", off,
			       ex[i].name ? ex[i].name : "(null)", ex[i].off);
			symtab_close(st);
			return 0;
		}
	}
	/* Touch whatever comes back around the expected addresses. */
	for (i = 0; i < n; i++) {
		for (v = ex[i].vaddr - 512; v < ex[i].vaddr + 512; v += 16) {
			name = symtab_lookup(st, v, NULL);
			len = name ? strlen(name) : 0;
			name = symtab_string_at(st, v, 64);
			len += name ? strlen(name) : 0;
			(void)len;
		}
	}
	symtab_build_id(st, &len);
	symtab_close(st);
	return 1;
}

/* ---- a hand-made ELF file --------------------------------------------------------------- */

static const struct syn_sym {
	const char *name;
	unsigned char bind, type;
	uint16_t shndx;
	uint64_t value, size;
} syn_syms[] = {
	{ "", STB_LOCAL, STT_NOTYPE, SHN_UNDEF, 0, 0 },
	{ "outer", STB_GLOBAL, STT_FUNC, 1, 0x1000, 0x100 },
	{ "inner", STB_LOCAL, STT_FUNC, 1, 0x1040, 0x10 },
	{ "crossing", STB_LOCAL, STT_FUNC, 1, 0x10f0, 0x20 },
	{ "alias_l", STB_LOCAL, STT_FUNC, 1, 0x2000, 0x30 },
	{ "alias_global", STB_GLOBAL, STT_FUNC, 1, 0x2000, 0x20 },
	{ "wk", STB_WEAK, STT_FUNC, 1, 0x3000, 0x10 },
	{ "lc", STB_LOCAL, STT_FUNC, 1, 0x3000, 0x10 },
	{ "ifn", STB_GLOBAL, STT_GNU_IFUNC, 1, 0x4000, 8 },
	{ "obj", STB_GLOBAL, STT_OBJECT, 1, 0x5000, 8 },
	{ "zero", STB_GLOBAL, STT_FUNC, 1, 0x6000, 0 },
	{ "undef", STB_GLOBAL, STT_FUNC, SHN_UNDEF, 0x7000, 8 },
	{ "wraps", STB_GLOBAL, STT_FUNC, 1, UINT64_MAX - 0xf, 0x20 },
	{ "last", STB_GLOBAL, STT_FUNC, 1, 0x8000, 0x10 },
};

static const struct expect syn_expect[] = {
	{ 0x0fff, NULL, 0 },	     { 0x1000, "outer", 0 },
	{ 0x1040, "inner", 0 },	     { 0x104f, "inner", 0xf },
	{ 0x1050, "outer", 0x50 },   { 0x10ef, "outer", 0xef },
	{ 0x10f0, "crossing", 0 },   { 0x1105, "crossing", 0x15 },
	{ 0x1110, NULL, 0 },	     { 0x2010, "alias_global", 0x10 },
	{ 0x2028, "alias_l", 0x28 }, { 0x2030, NULL, 0 },
	{ 0x3000, "lc", 0 },	     { 0x4007, "ifn", 7 },
	{ 0x4008, NULL, 0 },	     { 0x5000, NULL, 0 },
	{ 0x6000, NULL, 0 },	     { 0x7000, NULL, 0 },
	{ UINT64_MAX - 1, NULL, 0 }, { 0x800f, "last", 0xf },
};

#define SYN_NSYMS (sizeof(syn_syms) / sizeof(syn_syms[0]))
#define SYN_NEXP  (sizeof(syn_expect) / sizeof(syn_expect[0]))
#define SYN_NSECT 5
#define SYN_PHOFF sizeof(Elf64_Ehdr)
#define SYN_NOTE  (SYN_PHOFF + 2 * sizeof(Elf64_Phdr)) /* 12-byte header, "GNU\0", 8-byte id */
#define SYN_DATA  (SYN_NOTE + 24)		       /* 32 bytes at vaddr 0x9000 */
#define SYN_SYMS  (SYN_DATA + 32)
#define SYN_SHOFF (SYN_SYMS + SYN_NSYMS * sizeof(Elf64_Sym))
#define SYN_STR	  (SYN_SHOFF + SYN_NSECT * sizeof(Elf64_Shdr)) /* last: nothing follows */

static void put(uint8_t *p, size_t n, uint64_t v)
{
	memcpy(p, &v, n); /* little-endian host */
}

/* Set a header field: SET(img, offset of the header, its type, field, value). */
#define SET(img, base, type, field, v)                                                             \
	put((img) + (base) + offsetof(type, field), sizeof(((type *)0)->field), (v))

/*
 * Build the hand-made file in img: .rodata with a PT_LOAD at 0x9000, a build-id note
 * (PT_NOTE and SHT_NOTE), .symtab with the symbols above, and .strtab as the very last
 * bytes, so that reading past a name's table is reading past the image.
 * Returns its size.
 */
static size_t syn_build(uint8_t *img)
{
	static const uint8_t note[24] = { 4, 0, 0, 0,	8,   0,	  0, 0, NT_GNU_BUILD_ID,
					  0, 0, 0, 'G', 'N', 'U', 0, 1, 2,
					  3, 4, 5, 6,	7,   8 };
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph[2] = { 0 };
	Elf64_Shdr sh[SYN_NSECT] = { 0 };
	Elf64_Sym sym;
	size_t i, str = 1;

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_DYN;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = SYN_PHOFF;
	eh.e_shoff = SYN_SHOFF;
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = 2;
	eh.e_shentsize = sizeof(Elf64_Shdr);
	eh.e_shnum = SYN_NSECT;
	memcpy(img, &eh, sizeof(eh));
	memcpy(img + SYN_NOTE, note, sizeof(note));
	memcpy(img + SYN_DATA, "hello\0abcdefghijklmnopqrstuvwxyz", 32);

	img[SYN_STR] = 0;
	for (i = 0; i < SYN_NSYMS; i++) {
		memset(&sym, 0, sizeof(sym));
		if (syn_syms[i].name[0]) {
			sym.st_name = str;
			strcpy((char *)img + SYN_STR + str, syn_syms[i].name);
			str += strlen(syn_syms[i].name) + 1;
		}
		sym.st_info = ELF64_ST_INFO(syn_syms[i].bind, syn_syms[i].type);
		sym.st_shndx = syn_syms[i].shndx;
		sym.st_value = syn_syms[i].value;
		sym.st_size = syn_syms[i].size;
		memcpy(img + SYN_SYMS + i * sizeof(sym), &sym, sizeof(sym));
	}

	ph[0].p_type = PT_LOAD;
	ph[0].p_flags = PF_R;
	ph[0].p_offset = SYN_DATA;
	ph[0].p_vaddr = 0x9000;
	ph[0].p_filesz = 32;
	ph[0].p_memsz = 64;
	ph[0].p_align = 0x1000;
	ph[1].p_type = PT_NOTE;
	ph[1].p_offset = SYN_NOTE;
	ph[1].p_filesz = sizeof(note);
	ph[1].p_align = 4;
	memcpy(img + SYN_PHOFF, ph, sizeof(ph));

	sh[1].sh_type = SHT_PROGBITS;
	sh[1].sh_addr = 0x9000;
	sh[1].sh_offset = SYN_DATA;
	sh[1].sh_size = 32;
	sh[2].sh_type = SHT_SYMTAB;
	sh[2].sh_offset = SYN_SYMS;
	sh[2].sh_size = SYN_NSYMS * sizeof(Elf64_Sym);
	sh[2].sh_link = 3;
	sh[2].sh_info = 1;
	sh[2].sh_entsize = sizeof(Elf64_Sym);
	sh[3].sh_type = SHT_STRTAB;
	sh[3].sh_offset = SYN_STR;
	sh[3].sh_size = str;
	sh[4].sh_type = SHT_NOTE;
	sh[4].sh_offset = SYN_NOTE;
	sh[4].sh_size = sizeof(note);
	sh[4].sh_addralign = 4;
	memcpy(img + SYN_SHOFF, sh, sizeof(sh));
	return SYN_STR + str;
}

/* Offset of section header i, and of symbol i's st_name, in the hand-made file. */
#define SYN_SH(i)  (SYN_SHOFF + (i) * sizeof(Elf64_Shdr))
#define SYN_SYM(i) (SYN_SYMS + (i) * sizeof(Elf64_Sym))

static void test_synthetic(void)
{
	static const uint8_t want_id[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	static const uint64_t link[] = { 0, 2, SYN_NSECT, UINT32_MAX };
	static uint8_t base[1024], img[1024];
	struct symtab *st;
	const uint8_t *id;
	size_t size, len, cut, bad;
	int rc;

	size = syn_build(base);
	ok(check_image(base, size, syn_expect, SYN_NEXP, 1, &rc),
	   "hand-made file: nested, crossing, aliases, ifunc; no objects, undefined, "
	   "zero-size or wrapping symbols");
	if (symtab_open_mem(base, size, &st) != 0)
		return;
	id = symtab_build_id(st, &len);
	ok(len == 8 && memcmp(id, want_id, 8) == 0, "hand-made file: build id from PT_NOTE");
	is_str(symtab_string_at(st, 0x9000, 64), "hello", "string_at: a string");
	is_str(symtab_string_at(st, 0x9000, 6), "hello", "string_at: max counts the NUL");
	ok(symtab_string_at(st, 0x9000, 5) == NULL, "string_at: max too small");
	ok(symtab_string_at(st, 0x9006, 1000) == NULL, "string_at: no NUL before the end of the "
						       "segment's file bytes");
	ok(symtab_string_at(st, 0x9020, 1000) == NULL, "string_at: in memsz but not in the file");
	ok(symtab_string_at(st, 0x8fff, 1000) == NULL, "string_at: before the segment");
	symtab_close(st);

	/* The string table's last NUL is gone: the last name runs off the table. */
	memcpy(img, base, size);
	img[size - 1] = 'X';
	ok(check_image(img, size, syn_expect, SYN_NEXP, 0, &rc) && rc == 0 &&
	       symtab_open_mem(img, size, &st) == 0,
	   "unterminated string table: file still read");
	ok(symtab_lookup(st, 0x8000, NULL) == NULL, "unterminated name is dropped");
	is_str(symtab_lookup(st, 0x1000, NULL), "outer", "other names are kept");
	symtab_close(st);

	/* st_name at and far past the end of the string table. */
	memcpy(img, base, size);
	SET(img, SYN_SYM(1), Elf64_Sym, st_name, size - SYN_STR);
	SET(img, SYN_SYM(2), Elf64_Sym, st_name, UINT32_MAX);
	ok(check_image(img, size, syn_expect, SYN_NEXP, 0, &rc) && rc == 0 &&
	       symtab_open_mem(img, size, &st) == 0,
	   "st_name past the string table: file still read");
	ok(!symtab_lookup(st, 0x1000, NULL) && !symtab_lookup(st, 0x1040, NULL),
	   "symbols with names past the table are dropped");
	is_str(symtab_lookup(st, 0x10f0, NULL), "crossing", "the others are kept");
	symtab_close(st);

	/* Symbol table links and entry sizes that cannot be used. */
	bad = 0;
	for (cut = 0; cut < 4; cut++) {
		memcpy(img, base, size);
		SET(img, SYN_SH(2), Elf64_Shdr, sh_link, link[cut]);
		bad += !check_image(img, size, syn_expect, SYN_NEXP, 0, &rc) ||
		       symtab_open_mem(img, size, &st) != 0 || symtab_lookup(st, 0x1000, NULL);
		symtab_close(st);
	}
	is_int(bad, 0, "sh_link 0, to itself, or out of range: no symbols, no crash");
	memcpy(img, base, size);
	SET(img, SYN_SH(2), Elf64_Shdr, sh_entsize, 8);
	ok(check_image(img, size, syn_expect, SYN_NEXP, 0, &rc) && rc == 0,
	   "sh_entsize smaller than a symbol: table ignored");
	memcpy(img, base, size);
	SET(img, SYN_SH(2), Elf64_Shdr, sh_entsize, 0);
	ok(check_image(img, size, syn_expect, SYN_NEXP, 1, &rc), "sh_entsize 0 means a symbol");

	/* Extended numbering: counts kept in section 0. */
	memcpy(img, base, size);
	SET(img, 0, Elf64_Ehdr, e_shnum, 0);
	SET(img, 0, Elf64_Ehdr, e_phnum, PN_XNUM);
	SET(img, SYN_SH(0), Elf64_Shdr, sh_size, SYN_NSECT);
	SET(img, SYN_SH(0), Elf64_Shdr, sh_info, 2);
	ok(check_image(img, size, syn_expect, SYN_NEXP, 1, &rc) &&
	       symtab_open_mem(img, size, &st) == 0,
	   "extended section and segment counts");
	is_str(symtab_string_at(st, 0x9000, 64), "hello", "extended counts: segments found");
	symtab_close(st);
	SET(img, SYN_SH(0), Elf64_Shdr, sh_size, UINT64_MAX);
	check_image(img, size, syn_expect, SYN_NEXP, 0, &rc);
	is_int(rc, TSCOPE_EFORMAT, "extended section count past the file");
	SET(img, SYN_SH(0), Elf64_Shdr, sh_size, SYN_NSECT);
	SET(img, SYN_SH(0), Elf64_Shdr, sh_info, 0x7fffffff);
	check_image(img, size, syn_expect, SYN_NEXP, 0, &rc);
	is_int(rc, TSCOPE_EFORMAT, "extended segment count past the file");

	/* Build id: PT_NOTE unusable falls back to the section; a bad note gives none. */
	memcpy(img, base, size);
	SET(img, SYN_PHOFF + sizeof(Elf64_Phdr), Elf64_Phdr, p_offset, UINT64_MAX - 8);
	ok(symtab_open_mem(img, size, &st) == 0 && (id = symtab_build_id(st, &len)) && len == 8 &&
	       memcmp(id, want_id, 8) == 0,
	   "build id from SHT_NOTE when PT_NOTE is out of the file");
	symtab_close(st);
	memcpy(img, base, size);
	SET(img, SYN_NOTE, Elf64_Nhdr, n_descsz, 0xfffffff0);
	ok(symtab_open_mem(img, size, &st) == 0 && !symtab_build_id(st, &len) && len == 0,
	   "note with a huge descriptor: no build id");
	symtab_close(st);

	/* Headers that are not ELF64 LE executables or libraries. */
	bad = 0;
	for (cut = 0; cut < 5; cut++) {
		memcpy(img, base, size);
		if (cut == 0)
			img[EI_MAG1] = 'F';
		if (cut == 1)
			img[EI_CLASS] = ELFCLASS32;
		if (cut == 2)
			img[EI_DATA] = ELFDATA2MSB;
		if (cut == 3)
			SET(img, 0, Elf64_Ehdr, e_type, ET_REL);
		if (cut == 4)
			SET(img, 0, Elf64_Ehdr, e_shentsize, 32);
		bad += symtab_open_mem(img, size, &st) != TSCOPE_EFORMAT;
	}
	is_int(bad, 0, "bad magic, ELF32, big-endian, ET_REL, short e_shentsize: refused");

	/* Every truncation loses part of the last section: all refused. */
	bad = 0;
	for (cut = 0; cut < size; cut++)
		bad += symtab_open_mem(base, cut, &st) != TSCOPE_EFORMAT;
	is_int(bad, 0, "all %zu truncations of the hand-made file are refused", size);
}

/* ---- damaged copies of this program -------------------------------------------------- */

/* Read /proc/self/exe into a new buffer. */
static uint8_t *read_self(size_t *size)
{
	struct stat sb;
	uint8_t *buf = NULL;
	size_t done = 0;
	ssize_t got;
	int fd;

	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) != 0 || sb.st_size <= 0)
		goto fail;
	buf = malloc((size_t)sb.st_size);
	while (buf && done < (size_t)sb.st_size) {
		got = read(fd, buf + done, (size_t)sb.st_size - done);
		if (got <= 0)
			goto fail;
		done += (size_t)got;
	}
	close(fd);
	*size = done;
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

struct self_case {
	uint8_t *base; /* the intact file */
	size_t size;
	uint8_t *img; /* scratch copy */
	struct expect ex[3];
	int failed; /* cases that crashed nothing but answered wrongly */
	int refused;
	int total;
};

/* Check the damaged copy in c->img[0, size); remember the first failure. */
static void self_try(struct self_case *c, size_t size, const char *what, uint64_t arg)
{
	int rc;

	c->total++;
	if (!check_image(c->img, size, c->ex, 3, 0, &rc)) {
		if (!c->failed++)
			printf("#   failed: %s %" PRIu64 "\n", what, arg);
	}
	c->refused += rc != 0;
}

/* Set a header field of the copy (as SET), check it, and restore the copy. */
static void self_field(struct self_case *c, size_t off, size_t n, uint64_t v, const char *what)
{
	put(c->img + off, n, v);
	self_try(c, c->size, what, v);
	memcpy(c->img + off, c->base + off, n);
}

#define SELF_SET(c, base, type, field, v)                                                          \
	self_field(c, (base) + offsetof(type, field), sizeof(((type *)0)->field), (v), #field)

static void test_damaged_self(const struct module *self)
{
	struct self_case c = { 0 };
	Elf64_Ehdr eh;
	Elf64_Shdr sh;
	size_t i, off, shend, symtab = 0;
	uint64_t rnd = 0x9e3779b97f4a7c15u;
	int n, rc;

	c.base = read_self(&c.size);
	if (!c.base || c.size < sizeof(eh)) {
		tap_skip("cannot read /proc/self/exe");
		free(c.base);
		return;
	}
	c.img = malloc(c.size);
	memcpy(c.img, c.base, c.size);
	memcpy(&eh, c.base, sizeof(eh));
	c.ex[0].vaddr = (uintptr_t)static_fn - self->bias;
	c.ex[0].name = "test_elf_static";
	c.ex[1].vaddr = c.ex[0].vaddr + 1;
	c.ex[1].name = "test_elf_static";
	c.ex[1].off = 1;
	c.ex[2].vaddr = (uintptr_t)global_fn - self->bias;
	c.ex[2].name = "test_elf_global";
	ok(check_image(c.img, c.size, c.ex, 3, 1, &n), "intact copy of this program");
	shend = eh.e_shoff + (size_t)eh.e_shnum * sizeof(sh);
	if (eh.e_shoff >= c.size || shend > c.size || eh.e_shentsize != sizeof(sh)) {
		tap_skip("unexpected section header table");
		goto out;
	}

	/* Truncations: the first 4 KiB, the section header table, the last bytes. */
	c.total = c.failed = c.refused = 0;
	for (off = 0; off < 4096 && off < c.size; off += 64)
		self_try(&c, off, "truncated at", off);
	for (off = eh.e_shoff; off < shend; off += 64)
		self_try(&c, off, "truncated at", off);
	for (off = 1; off <= 16; off++)
		self_try(&c, c.size - off, "truncated at", c.size - off);
	ok(!c.failed && c.refused == c.total, "%d truncations refused", c.total);

	/* The ELF header's table fields. */
	c.total = c.failed = 0;
	SELF_SET(&c, 0, Elf64_Ehdr, e_shoff, c.size);
	SELF_SET(&c, 0, Elf64_Ehdr, e_shoff, c.size - 32);
	SELF_SET(&c, 0, Elf64_Ehdr, e_shoff, UINT64_MAX - 16);
	SELF_SET(&c, 0, Elf64_Ehdr, e_shnum, 0xffff);
	SELF_SET(&c, 0, Elf64_Ehdr, e_shnum, 0xff00);
	SELF_SET(&c, 0, Elf64_Ehdr, e_shentsize, 0);
	SELF_SET(&c, 0, Elf64_Ehdr, e_shentsize, 0xffff);
	SELF_SET(&c, 0, Elf64_Ehdr, e_phoff, UINT64_MAX - 16);
	SELF_SET(&c, 0, Elf64_Ehdr, e_phnum, 0xffff);
	SELF_SET(&c, 0, Elf64_Ehdr, e_phentsize, 1);
	put(c.img + offsetof(Elf64_Ehdr, e_shnum), 2, 0);
	SELF_SET(&c, eh.e_shoff, Elf64_Shdr, sh_size, UINT64_MAX);
	SELF_SET(&c, eh.e_shoff, Elf64_Shdr, sh_size, eh.e_shnum);
	memcpy(c.img, c.base, sizeof(eh));
	ok(!c.failed, "%d bad header table fields: no crash, no wrong name", c.total);

	/* Every section's offset, size and link; the string table without its NUL. */
	c.total = c.failed = 0;
	for (i = 1; i < eh.e_shnum; i++) {
		off = eh.e_shoff + i * sizeof(sh);
		memcpy(&sh, c.base + off, sizeof(sh));
		if (sh.sh_type == SHT_SYMTAB)
			symtab = i;
		SELF_SET(&c, off, Elf64_Shdr, sh_offset, UINT64_MAX - 4);
		SELF_SET(&c, off, Elf64_Shdr, sh_offset, c.size);
		SELF_SET(&c, off, Elf64_Shdr, sh_size, UINT64_MAX);
		SELF_SET(&c, off, Elf64_Shdr, sh_size, c.size);
		SELF_SET(&c, off, Elf64_Shdr, sh_link, eh.e_shnum);
		SELF_SET(&c, off, Elf64_Shdr, sh_link, UINT32_MAX);
		SELF_SET(&c, off, Elf64_Shdr, sh_entsize, 1);
		SELF_SET(&c, off, Elf64_Shdr, sh_type, SHT_NOTE);
		if (sh.sh_type == SHT_STRTAB && sh.sh_size > 0 && sh.sh_offset < c.size)
			self_field(&c, sh.sh_offset + sh.sh_size - 1, 1, 'X', "unterminated");
	}
	ok(!c.failed, "%d bad section fields: no crash, no wrong name", c.total);

	/* Every symbol's name offset past its string table. */
	c.total = c.failed = 0;
	if (symtab) {
		memcpy(&sh, c.base + eh.e_shoff + symtab * sizeof(sh), sizeof(sh));
		for (i = 0; i < sh.sh_size / sizeof(Elf64_Sym); i++)
			put(c.img + sh.sh_offset + i * sizeof(Elf64_Sym), 4, UINT32_MAX - i);
		self_try(&c, c.size, "st_name", 0);
		memcpy(c.img, c.base, c.size);
		ok(!c.failed, "every st_name past the string table: no wrong name");
	} else {
		tap_skip("this program has no .symtab");
	}

	/* Random byte changes in the headers, the section table and the symbols. */
	c.total = c.failed = 0;
	for (n = 0; n < 300; n++) {
		for (i = 0; i < 4; i++) {
			rnd = next_rand(rnd);
			off = n % 3 == 0   ? rnd % 4096
			      : n % 3 == 1 ? eh.e_shoff + rnd % (shend - eh.e_shoff)
					   : rnd % c.size;
			if (off < c.size)
				c.img[off] = (uint8_t)(rnd >> 32);
		}
		c.total++;
		check_image(c.img, c.size, c.ex, 0, 0, &rc);
		memcpy(c.img, c.base, c.size);
	}
	ok(1, "%d randomly damaged copies: no crash", c.total);
out:
	free(c.img);
	free(c.base);
}

static struct module self; /* this program, found in main() */
static const char *elflib; /* $TEST_ELFLIB */

/* The cases that run a function above with arguments. */
static void case_module(void)
{
	ok(self.found, "this program's module found with dl_iterate_phdr");
}

static void case_self(void)
{
	test_self(&self);
}

static void case_symbolizer_self(void)
{
	test_symbolizer_self(&self);
}

static void case_overlaps(void)
{
	test_overlaps(&self);
}

static void case_library(void)
{
	if (elflib)
		test_library(elflib, &self);
	else
		tap_skip("set TEST_ELFLIB to the path of libprog-elflib.so");
}

static void case_damaged_self(void)
{
	test_damaged_self(&self);
}

static const struct test_case cases[] = {
	{ "module", case_module, 0 },
	{ "self", case_self, 0 },
	{ "open-errors", test_open_errors, 0 },
	{ "symbolizer-self", case_symbolizer_self, 0 },
	{ "overlaps", case_overlaps, 0 },
	{ "library", case_library, 0 },
	{ "demangle", test_demangle, 0 },
	{ "synthetic", test_synthetic, 0 },
	{ "damaged-self", case_damaged_self, 0 },
	{ NULL, NULL, 0 },
};

int main(int argc, char **argv)
{
	elflib = getenv("TEST_ELFLIB");
	if (elflib && !*elflib)
		elflib = NULL;
	self = module_of((const void *)test_elf_static);
	self.path = "/proc/self/exe";
	return run_tests(argc, argv, cases);
}
