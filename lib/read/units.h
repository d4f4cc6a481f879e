/* SPDX-License-Identifier: MIT */
/*
 * units.h - durations and sizes in human units, the one formatting of them that every
 * text view (info, report) shares.  Private to the offline side.
 *
 * Four significant digits, rounded, and the unit that keeps the number under 1000:
 * a value at the edge (999.95 us) goes up to the next unit ("1.000 ms"), so no text
 * ever reads "1000 us".  Results are at most 8 characters ("999.9 us") for anything
 * under a million seconds (11 days), so columns of them stay aligned.
 */
#ifndef TSCOPE_UNITS_H
#define TSCOPE_UNITS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * A duration: "812 ns", "1.234 us", "12.35 ms", "123.5 s", "12345 s".  Writes at most
 * size bytes to buf, NUL included (24 are always enough).
 */
void units_ns(char *buf, size_t size, uint64_t ns);

/* A byte count, in powers of 1024: "812 B", "1.500 KiB", "2.340 GiB". */
void units_bytes(char *buf, size_t size, uint64_t bytes);

/* A name as text that cannot drive the terminal: control bytes become \xHH. */
void units_name(FILE *out, const char *s, size_t n);

#endif /* TSCOPE_UNITS_H */
