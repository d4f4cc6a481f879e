/* SPDX-License-Identifier: MIT */
/*
 * fuzz-reader.c - libFuzzer entry point for the trace reader: open the input as a trace,
 * then do everything a converter and `tscope info`/`tscope dump` do with it.  Any crash,
 * sanitizer report, leak or hang is a bug.  Not part of `make check`; build and run by
 * hand (seeds in tests/corpus/reader):
 *
 *	clang -g -O1 -fsanitize=fuzzer,address,undefined -DHAVE_LZ4 -Iinclude -Ilib -Ilib/read \
 *		tests/fuzz-reader.c lib/read/reader.c lib/read/dump.c lib/read/units.c \
 *		lib/pack.c lib/error.c -llz4 -o fuzz-reader
 *	mkdir -p corpus && ./fuzz-reader -max_total_time=300 corpus tests/corpus/reader
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tscope.h"
#include "reader.h"
#include "dump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Touch what a converter would, so the compiler cannot drop the decoding. */
static volatile uint64_t sink;

static void stream_threads(struct reader *r)
{
	for (size_t i = 0; i < reader_thread_count(r); i++) {
		struct reader_cursor c;
		struct reader_event ev;
		uint64_t acc = 0;

		reader_cursor_init(&c, r, i, READER_CHUNKS);
		while (reader_next(&c, &ev) > 0) {
			acc += reader_ns(r, ev.ticks) + ev.kind;
			if (ev.kind == READER_EV_BEGIN || ev.kind == READER_EV_INSTANT ||
			    ev.kind == READER_EV_COUNTER)
				acc += reader_name(r, ev.addr) != NULL;
			else if (ev.kind == READER_EV_COPY)
				acc += ev.len + (unsigned char)ev.text[ev.len];
			else if (ev.kind == READER_EV_CHUNK)
				acc += c.chunk.slots;
		}
		reader_cursor_fini(&c);
		sink += acc;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct reader *r;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	if (reader_open_mem(data, size, &r) != 0)
		return 0;
	stream_threads(r);
	for (size_t i = 0; i < reader_module_count(r); i++)
		sink += reader_module(r, i)->build_id_len;
	if (devnull) {
		dump_records(r, "fuzz", devnull);
		dump_info(r, "fuzz", devnull);
	} else {
		reader_scan(r);
	}
	reader_close(r);
	return 0;
}
