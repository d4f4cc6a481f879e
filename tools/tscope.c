/* SPDX-License-Identifier: MIT */
/*
 * tscope.c - main(): find the command named by the first argument and run it.
 *
 * The command table comes from TSCOPE_COMMANDS in cmds.h; usage is generated from it.
 * Exit statuses, for every command: 0 success, 1 bad input or failure, 2 bad usage;
 * 3 for diff --fail-above finding a slowdown.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>

#include "tscope.h"
#include "cmds.h"
#include "util.h"

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct cmd cmds[] = {
#define TSCOPE__CMD_ENTRY(name, help) { #name, cmd_##name, help },
	TSCOPE_COMMANDS(TSCOPE__CMD_ENTRY)
#undef TSCOPE__CMD_ENTRY
};

/* Whether arg names the command called name, whose '_' are '-' on the command line. */
static int is_name(const char *arg, const char *name)
{
	for (; *arg && *name; arg++, name++)
		if (*arg != (*name == '_' ? '-' : *name))
			return 0;
	return !*arg && !*name;
}

static void usage(FILE *out)
{
	size_t width = 0;

	fputs("Usage: tscope COMMAND [OPTIONS] [FILE...]\n"
	      "       tscope --help | --version\n"
	      "\n"
	      "A function-call tracer for C and C++ programs.  Commands:\n",
	      out);
	for (size_t i = 0; i < TS_ARRAY_SIZE(cmds); i++)
		if (strlen(cmds[i].name) > width)
			width = strlen(cmds[i].name);
	for (size_t i = 0; i < TS_ARRAY_SIZE(cmds); i++) {
		int k = fprintf(out, "  ");

		for (const char *c = cmds[i].name; *c; c++, k++)
			fputc(*c == '_' ? '-' : *c, out);
		fprintf(out, "%*s  %s\n", (int)width + 2 - k, "", cmds[i].help);
	}
	fputs("\n"
	      "'tscope COMMAND --help' describes a command.\n"
	      "Exit status: 0 success, 1 bad input or failure, 2 bad usage, 3 a slowdown found by\n"
	      "diff --fail-above.\n",
	      out);
}

static const struct cmd *find(const char *name)
{
	for (size_t i = 0; i < TS_ARRAY_SIZE(cmds); i++)
		if (is_name(name, cmds[i].name))
			return &cmds[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct cmd *c;
	const char *arg;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	arg = argv[1];
	if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(arg, "--version") == 0 || strcmp(arg, "-V") == 0)
		return util_version(NULL);
	if (strcmp(arg, "help") == 0) {
		/* `tscope help info` is `tscope info --help` */
		char help[] = "--help";
		char *args[3] = { argv[2], help, NULL };

		if (argc < 3) {
			usage(stdout);
			return EXIT_OK;
		}
		c = find(argv[2]);
		if (!c)
			return util_usage_error(NULL, "unknown command '%s'", argv[2]);
		return c->fn(2, args);
	}
	if (arg[0] == '-')
		return util_usage_error(NULL, "unknown option '%s'", arg);
	c = find(arg);
	if (!c)
		return util_usage_error(NULL, "unknown command '%s'", arg);
	return c->fn(argc - 1, argv + 1);
}
