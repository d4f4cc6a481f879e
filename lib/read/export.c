/* SPDX-License-Identifier: MIT */
/*
 * export.c - the table of exporters (see export.h): adding an exporter is adding its
 * row here.  The table is constant: nothing to set up, nothing to free.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stddef.h>
#include <string.h>

#include "export.h"

/* One row per exporter: X(NAME) for the `const struct exporter NAME_exporter` its file
 * defines. */
#define EXPORTERS(X)                                                                               \
	X(report)                                                                                  \
	X(chrome)                                                                                  \
	X(perfetto)                                                                                \
	X(folded)                                                                                  \
	X(pprof)                                                                                   \
	X(speedscope)                                                                              \
	X(flamegraph)                                                                              \
	X(slowest)                                                                                 \
	X(callers)                                                                                 \
	X(exclude)                                                                                 \
	X(leaks)                                                                                   \
	X(diff)

#define EXPORT__DECLARE(name) extern const struct exporter name##_exporter;
EXPORTERS(EXPORT__DECLARE)
#undef EXPORT__DECLARE

#define EXPORT__ROW(name) &name##_exporter,
const struct exporter *const export_table[] = { EXPORTERS(EXPORT__ROW) NULL };
#undef EXPORT__ROW

const struct exporter *export_find(const char *name)
{
	for (size_t i = 0; export_table[i]; i++)
		if (strcmp(export_table[i]->name, name) == 0)
			return export_table[i];
	return NULL;
}
