/* SPDX-License-Identifier: MIT */
/*
 * error.c - status texts and the library version.  Compiled into the runtime and into
 * the offline library alike.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "tscope.h"
#include "compiler.h"

TSCOPE_API TS_NOINSTR int tscope_version_number(void)
{
	return TSCOPE_VERSION_NUMBER;
}

TSCOPE_API TS_NOINSTR const char *tscope_version_string(void)
{
	return TSCOPE_VERSION_STRING;
}

TSCOPE_API TS_NOINSTR const char *tscope_strerror(int status)
{
	switch (status) {
	case TSCOPE_OK:
		return "success";
#define TSCOPE__X(name, val, msg) \
	case TSCOPE_##name:       \
		return msg;
		TSCOPE_ERRNO_MAP(TSCOPE__X)
#undef TSCOPE__X
	default:
		return "unknown status";
	}
}
