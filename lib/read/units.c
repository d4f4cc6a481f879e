/* SPDX-License-Identifier: MIT */
/*
 * units.c - human units for durations and sizes (see units.h).  Formats into the
 * caller's buffer; no state, no allocation.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <inttypes.h>
#include <stdio.h>

#include "units.h"

/* v / div with 4 significant digits, then the unit.  v / div must be under 999.95
 * except in the largest unit. */
static void human(char *buf, size_t size, uint64_t v, double div, const char *unit)
{
	double x = (double)v / div;

	if (x < 9.9995)
		snprintf(buf, size, "%.3f %s", x, unit);
	else if (x < 99.995)
		snprintf(buf, size, "%.2f %s", x, unit);
	else if (x < 999.95)
		snprintf(buf, size, "%.1f %s", x, unit);
	else
		snprintf(buf, size, "%.0f %s", x, unit);
}

void units_ns(char *buf, size_t size, uint64_t ns)
{
	if (ns < 1000)
		snprintf(buf, size, "%" PRIu64 " ns", ns);
	else if (ns < 999950)
		human(buf, size, ns, 1e3, "us");
	else if (ns < 999950000)
		human(buf, size, ns, 1e6, "ms");
	else
		human(buf, size, ns, 1e9, "s");
}

void units_bytes(char *buf, size_t size, uint64_t bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double div = 1024;
	size_t u = 0;

	if (bytes < 1024) {
		snprintf(buf, size, "%" PRIu64 " B", bytes);
		return;
	}
	while (u + 1 < sizeof(units) / sizeof(units[0]) && (double)bytes / div >= 1023.95) {
		div *= 1024;
		u++;
	}
	human(buf, size, bytes, div, units[u]);
}

void units_name(FILE *out, const char *s, size_t n)
{
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 0x20 && ch != 0x7f)
			continue;
		fwrite(s + run, 1, i - run, out);
		fprintf(out, "\\x%02x", ch);
		run = i + 1;
	}
	fwrite(s + run, 1, n - run, out);
}
