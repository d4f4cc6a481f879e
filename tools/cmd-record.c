/* SPDX-License-Identifier: MIT */
/*
 * cmd-record.c - `tscope record`: run a program with libtscope preloaded.
 *
 * The program sees its own argv (argv[0] included), working directory, standard
 * streams and environment, plus LD_PRELOAD and the TSCOPE_* variables.  record waits
 * for it, forwards the termination signals sent to record itself, and exits with the
 * program's status (128 + N when signal N killed it).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmds.h"
#include "format.h"
#include "reader.h"
#include "record-filter.h"
#include "record-hint.h"
#include "salvage.h"
#include "salvager.h"
#include "util.h"

#ifndef TSCOPE_LIBDIR
#define TSCOPE_LIBDIR "/usr/local/lib"
#endif

#define RING_DEFAULT "4M"

static void help(void)
{
	fputs("Usage: tscope record [OPTIONS] [--] PROGRAM [ARGS...]\n"
	      "\n"
	      "Run PROGRAM, built with -finstrument-functions, with libtscope preloaded, and\n"
	      "record every function entry and exit of every thread into FILE.  Processes it\n"
	      "forks, and programs it execs, write FILE.<pid>; give all of them to the\n"
	      "converters (tscope report FILE*).\n"
	      "\n"
	      "Options:\n"
	      "  -o, --output FILE    write the trace to FILE (default " TSF_DEFAULT_PATH ")\n"
	      "  -b, --buffer SIZE    per-thread buffer, 1k to 128M, e.g. 64k, 4M (default 1M)\n"
	      "      --ring[=SIZE]    flight recorder: keep only each thread's newest events,\n"
	      "                       SIZE per thread (default " RING_DEFAULT
	      "), written at exit, on\n"
	      "                       tscope_snapshot() or on --snapshot-signal\n"
	      "      --snapshot-signal SIG  with --ring: take a snapshot on SIG (e.g. USR2)\n"
	      "      --lz4            compress the packed events with LZ4 (smaller, a little\n"
	      "                       more CPU for the writer thread)\n"
	      "      --raw            write 16 bytes per event, not packed (by default events\n"
	      "                       are packed: 1 to 2 bytes each on call-heavy code)\n"
	      "      --malloc         also record malloc, calloc, realloc, free, posix_memalign,\n"
	      "                       aligned_alloc, memalign, valloc (C++ new and delete\n"
	      "                       through them) and anonymous mmap/munmap, with sizes and\n"
	      "                       addresses, in the function that called them: see\n"
	      "                       tscope leaks, and tscope report's memory columns\n"
	      "      --io             also record read, write, pread, pwrite, readv, writev,\n"
	      "                       send, recv, sendto, recvfrom, sendmsg, recvmsg, fsync,\n"
	      "                       fdatasync, open, openat (with the path) and close (fd,\n"
	      "                       bytes, result, time on and off the CPU), and the calls\n"
	      "                       that wait: a contended pthread_mutex_lock,\n"
	      "                       pthread_cond_wait/timedwait, sem_wait, poll, select,\n"
	      "                       epoll_wait, nanosleep, clock_nanosleep, sleep, usleep,\n"
	      "                       waitpid, wait, pthread_join: see tscope report --io;\n"
	      "                       and samples of each thread's CPU time (off-cpu~)\n"
	      "      --start-paused   record nothing until `tscope ctl PID start`\n"
	      "      --trigger FUNC   record only FUNC's calls, each with everything it calls,\n"
	      "                       from its enter to its return, in any thread (FUNC is a\n"
	      "                       symbol of the program or of a library loaded at start;\n"
	      "                       C++: its mangled name)\n"
	      "      --count N        with --trigger: FUNC's first N calls (default 1)\n"
	      "      --control-signal SIG  the real-time signal `tscope ctl` sends: RTMIN+N,\n"
	      "                       RTMAX-N or a number (default RTMAX-2), or none; pick\n"
	      "                       one the program does not use\n"
	      "      --no-hint        do not look for tiny functions after the run (below)\n"
	      "  -h, --help           show this help\n"
	      "  -V, --version        show the version\n"
	      "\n" RECORD_FILTER_HELP "\n"
	      "After the run, record reads the first 4 million events or so of the trace\n"
	      "(about 0.1 s) and when most of the calls there are to functions called at\n"
	      "least 1000 times that take under 50 ns a call, which cost less than their\n"
	      "tracing (gcc instruments inlined helpers), says so in one line that names\n"
	      "them and points to 'tscope exclude-list'.\n"
	      "\n"
	      "The exit status is PROGRAM's, or 128+N when signal N ended it; 1 or 2 when\n"
	      "tscope itself could not run it.  Environment: TSCOPE_LIB names the library to\n"
	      "preload (default: the one next to this tscope, else the installed one).\n"
	      "\n"
	      "While it runs, `tscope ctl PID start|stop|flush|snapshot` controls the recording\n"
	      "of process PID.  Stopped and started again, it records on into the same FILE: the\n"
	      "trace holds every recorded window, in order, with nothing in between.\n"
	      "--malloc preloads libtscope-malloc.so from the same directory, and sets\n"
	      "TSCOPE_MALLOC=1; --io preloads libtscope-io.so and sets TSCOPE_IO=1.  Only\n"
	      "calls through the libraries' exported names are seen: stdio's opens, reads and\n"
	      "writes, and libc's other calls to itself, are not.\n",
	      stdout);
}

/* The libtscope.so to preload: $TSCOPE_LIB, the build tree's, or the installed one. */
static int find_library(char *out, size_t size)
{
	const char *env = getenv("TSCOPE_LIB");
	char exe[PATH_MAX - 64], *slash;
	ssize_t n;

	if (env && *env) {
		snprintf(out, size, "%s", env);
		return access(out, R_OK) == 0 ? 0 : -1;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = 0;
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = 0; /* .../tools, in the build tree */
			snprintf(out, size, "%s/../lib/.libs/libtscope.so", exe);
			if (access(out, R_OK) == 0)
				return 0;
			snprintf(out, size, "%s/../lib/libtscope.so", exe);
			if (access(out, R_OK) == 0)
				return 0;
		}
	}
	snprintf(out, size, "%s/libtscope.so", TSCOPE_LIBDIR);
	return access(out, R_OK) == 0 ? 0 : -1;
}

/* An absolute version of path (its directory resolved), so that a program that
 * changes directory still writes where the user asked. */
static int absolute(const char *path, char *out, size_t size)
{
	char dir[PATH_MAX], real[PATH_MAX];
	const char *base = strrchr(path, '/');

	if (base) {
		size_t len = (size_t)(base - path);

		if (len >= sizeof(dir))
			return -1;
		memcpy(dir, path, len);
		dir[len ? len : 1] = 0;
		if (!len)
			dir[0] = '/';
		base++;
	} else {
		strcpy(dir, ".");
		base = path;
	}
	if (!*base || !realpath(dir, real))
		return -1;
	if ((size_t)snprintf(out, size, "%s/%s", strcmp(real, "/") ? real : "", base) >= size)
		return -1;
	return 0;
}

/* "RTMIN+N", "RTMAX-N" (SIG prefix allowed) or a number, a real-time signal; 0 for
 * "none"; -1 if bad. */
static int parse_rt_signal(const char *s)
{
	char *end;
	long n;

	if (strcmp(s, "none") == 0)
		return 0;
	if (strncmp(s, "SIG", 3) == 0)
		s += 3;
	if (strncmp(s, "RTMIN", 5) == 0 || strncmp(s, "RTMAX", 5) == 0) {
		int max = s[4] == 'X';

		n = max ? SIGRTMAX : SIGRTMIN;
		if (s[5]) {
			if (s[5] != (max ? '-' : '+') || s[6] < '0' || s[6] > '9')
				return -1;
			n = max ? n - strtol(s + 6, &end, 10) : n + strtol(s + 6, &end, 10);
			if (*end)
				return -1;
		}
	} else {
		n = strtol(s, &end, 10);
		if (*end || !*s)
			return -1;
	}
	return n >= SIGRTMIN && n <= SIGRTMAX ? (int)n : -1;
}

static pid_t child;

/* Pass on a termination signal that was sent to record itself.  One the terminal
 * generated went to the whole process group, the program included. */
static void forward(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (child > 0 && si->si_code != SI_KERNEL)
		kill(child, sig);
}

/* Prepend lib to LD_PRELOAD. */
static void preload(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	char *v;

	if (!old || !*old) {
		setenv("LD_PRELOAD", lib, 1);
		return;
	}
	v = xmalloc(strlen(lib) + strlen(old) + 2);
	sprintf(v, "%s %s", lib, old);
	setenv("LD_PRELOAD", v, 1);
	free(v);
}

/* Preload name, from the directory of lib (before what is preloaded already).  Returns
 * 0, or -1 when it is not there (said). */
static int preload_beside(const char *lib, const char *name, const char *option)
{
	char path[PATH_MAX + 32];
	const char *slash = strrchr(lib, '/');
	int dir = slash ? (int)(slash - lib) + 1 : 0;

	snprintf(path, sizeof(path), "%.*s%s", dir, lib, name);
	if (access(path, R_OK) < 0) {
		util_error(path, "cannot preload for %s: %s", option, strerror(errno));
		return -1;
	}
	preload(path);
	return 0;
}

/* Whether program, found as execvp() finds it, is an ELF file without an interpreter:
 * statically linked, it cannot preload libtscope. */
static int is_static(const char *program)
{
	char file[PATH_MAX];
	const char *dirs = getenv("PATH"), *end;
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int fd = -1, interp = 0;

	if (strchr(program, '/'))
		fd = open(program, O_RDONLY | O_CLOEXEC);
	for (dirs = dirs ? dirs : "/bin:/usr/bin"; fd < 0 && !strchr(program, '/') && *dirs;
	     dirs = *end ? end + 1 : end) {
		end = strchrnul(dirs, ':');
		snprintf(file, sizeof(file), "%.*s/%s", (int)(end - dirs), dirs, program);
		fd = open(file, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return 0;
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64) {
		close(fd);
		return 0;
	}
	for (unsigned i = 0; i < eh.e_phnum && !interp; i++)
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * eh.e_phentsize)) ==
		    (ssize_t)sizeof(ph))
			interp = ph.p_type == PT_INTERP;
	close(fd);
	return !interp;
}

enum { T_NONE, T_EMPTY, T_DATA, T_BAD };

/* What the trace file written since start holds: T_NONE (no such file of this run),
 * T_EMPTY (complete, no event, none lost), T_DATA (events, losses, or no END: the
 * runtime said why), T_BAD (unreadable). */
static int trace_state(const char *file, const struct timespec *start)
{
	const struct reader_info *in;
	struct reader *r;
	struct stat st;
	int state;

	if (lstat(file, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_mtim.tv_sec < start->tv_sec ||
	    (st.st_mtim.tv_sec == start->tv_sec && st.st_mtim.tv_nsec < start->tv_nsec))
		return T_NONE;
	if (reader_open(file, &r) != 0)
		return T_BAD;
	in = reader_info(r);
	state = in->complete && in->slots == 0 && in->lost == 0 ? T_EMPTY : T_DATA;
	reader_close(r);
	return state;
}

/* Recording memory in shared memory, so that the trace of a process that dies without
 * writing it can be finished here (lib/salvage.h): when /dev/shm can hold it. */
static void salvage_prepare(char *prefix, size_t size)
{
	prefix[0] = 0;
	if (access("/dev/shm", W_OK | X_OK) == 0) {
		snprintf(prefix, size, "/dev/shm/tscope-%d", (int)getpid());
		setenv(TSF_ENV_SALVAGE, prefix, 1);
	} else {
		unsetenv(TSF_ENV_SALVAGE);
	}
}

static void salvage_failed(void *ctx, const char *path, int err)
{
	(void)ctx;
	if (err)
		util_error(path, "cannot finish the trace of a process that died: %s",
			   strerror(err));
}

/*
 * After the run: a hint where the traces show that the program recorded nothing, and
 * why.  The data may be in FILE or in FILE.<pid> files written since start: a wrapper
 * (sh -c, env, taskset) gives FILE back when it execs the program, but a shell that
 * forks its command keeps FILE, empty, and the command writes FILE.<pid>.  No trace at
 * all: libtscope was not loaded (a static program), or it could not create the trace,
 * or the trace was removed, and then it said so itself.  A trace with events lost, or
 * with no END, was said by the runtime: no hint then.
 */
static void check_trace(const char *path, const char *program, const struct timespec *start)
{
	char dirname[PATH_MAX], other[PATH_MAX + 256];
	const char *slash = strrchr(path, '/'), *base;
	int state = trace_state(path, start), any = state != T_NONE;
	struct dirent *e;
	DIR *d;

	if (state == T_DATA || state == T_BAD)
		return;
	/* path is absolute (see absolute()) */
	snprintf(dirname, sizeof(dirname), "%.*s", slash > path ? (int)(slash - path) : 1, path);
	base = slash + 1;
	d = opendir(dirname);
	while (d && (e = readdir(d)) != NULL) {
		size_t len = strlen(base);

		if (strncmp(e->d_name, base, len) != 0 || e->d_name[len] != '.' ||
		    e->d_name[len + 1] < '0' || e->d_name[len + 1] > '9')
			continue;
		snprintf(other, sizeof(other), "%s/%s", strcmp(dirname, "/") ? dirname : "",
			 e->d_name);
		state = trace_state(other, start);
		if (state == T_DATA || state == T_BAD)
			break;
		any |= state != T_NONE;
	}
	if (d)
		closedir(d);
	if (state == T_DATA || state == T_BAD)
		return; /* the converters will say what is wrong */
	if (any)
		util_warn(program, "no function was recorded: build it with "
				   "-finstrument-functions");
	else if (is_static(program))
		util_warn(program, "no trace was written (a statically linked program "
				   "cannot preload libtscope: link it with -ltscope)");
}

int cmd_record(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "buffer", required_argument, NULL, 'b' },
		{ "ring", optional_argument, NULL, 'r' },
		{ "snapshot-signal", required_argument, NULL, 's' },
		{ "lz4", no_argument, NULL, 'z' },
		{ "raw", no_argument, NULL, 'w' },
		{ "no-hint", no_argument, NULL, 'H' },
		{ "start-paused", no_argument, NULL, 'P' },
		{ "trigger", required_argument, NULL, 'T' },
		{ "count", required_argument, NULL, 'C' },
		{ "control-signal", required_argument, NULL, 'S' },
		{ "malloc", no_argument, NULL, 'm' },
		{ "io", no_argument, NULL, 'i' },
		RECORD_FILTER_OPTIONS,
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *output = TSF_DEFAULT_PATH, *buffer = NULL, *ring = NULL, *snapsig = NULL;
	char lib[PATH_MAX], path[PATH_MAX];
	static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	struct sigaction sa, given[TS_ARRAY_SIZE(forwarded)];
	sigset_t block, mask;
	struct timespec t0;
	char salvage[64];
	uint64_t size;
	const char *encoding = NULL, *trigger = NULL, *count = NULL, *ctlsig = NULL;
	int opt, st, hint = 1, paused = 0, ctl_sig, mem = 0, io = 0;
	struct record_filter filter = { 0 };
	int may_be_empty;
	char num[64];

	while ((opt = getopt_long(argc, argv, "+o:b:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			output = optarg;
			break;
		case 'b':
			buffer = optarg;
			break;
		case 'r':
			ring = optarg ? optarg : RING_DEFAULT;
			break;
		case 's':
			snapsig = optarg;
			break;
		case 'z':
		case 'w':
			if (encoding && strcmp(encoding, opt == 'z' ? "lz4" : "none") != 0)
				return util_usage_error("record",
							"--lz4 and --raw exclude each other");
			encoding = opt == 'z' ? "lz4" : "none";
			break;
		case 'H':
			hint = 0;
			break;
		case 'P':
			paused = 1;
			break;
		case 'T':
			trigger = optarg;
			break;
		case 'C':
			count = optarg;
			break;
		case 'S':
			ctlsig = optarg;
			break;
		case 'm':
			mem = 1;
			break;
		case 'i':
			io = 1;
			break;
		case 'h':
			help();
			return EXIT_OK;
		case 'V':
			return util_version("record");
		default:
			if (opt < RF_EXCLUDE)
				return util_usage_error("record", "unknown option");
			if (record_filter_option(&filter, opt, optarg) != 0)
				return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return util_usage_error("record", "no program to run");
	if (buffer && (util_parse_size(buffer, &size) < 0 || size < 1024 || size > (128u << 20)))
		return util_usage_error("record", "bad --buffer size '%s' (1k to 128M)", buffer);
	if (ring && (util_parse_size(ring, &size) < 0 || size < 8192 || size > (1u << 30)))
		return util_usage_error("record", "bad --ring size '%s' (8k to 1G)", ring);
	if (snapsig && !ring)
		return util_usage_error("record", "--snapshot-signal needs --ring");
	if (trigger && (!*trigger || strlen(trigger) >= 256 || strchr(trigger, ':') == trigger))
		return util_usage_error("record", "bad --trigger function name '%s'", trigger);
	if (count && !trigger)
		return util_usage_error("record", "--count needs --trigger");
	if (count && (strspn(count, "0123456789") != strlen(count) || !*count ||
		      strlen(count) > 9 || atoi(count) < 1))
		return util_usage_error("record", "--count needs a number from 1, not '%s'", count);
	if (trigger && paused)
		return util_usage_error("record",
					"--trigger and --start-paused exclude each other");
	if ((filter.delay || filter.duration) && (trigger || paused))
		return util_usage_error("record", "--delay and --duration exclude --trigger and "
						  "--start-paused");
	ctl_sig = parse_rt_signal(ctlsig ? ctlsig : "RTMAX-2");
	if (ctl_sig < 0)
		return util_usage_error("record",
					"bad --control-signal '%s' (RTMIN+N, RTMAX-N, %d to %d, or "
					"none)",
					ctlsig, SIGRTMIN, SIGRTMAX);
	if (ctl_sig && snapsig && strcmp(snapsig, ctlsig ? ctlsig : "") == 0)
		return util_usage_error("record", "--snapshot-signal and --control-signal must "
						  "differ");
	if (!*output || strcmp(output, "-") == 0)
		return util_usage_error("record", "the trace needs a file name");
	if (absolute(output, path, sizeof(path)) < 0) {
		util_error(output, "cannot write here: %s", strerror(errno ? errno : EINVAL));
		return EXIT_BAD;
	}
	if (find_library(lib, sizeof(lib)) < 0) {
		util_error(lib, "libtscope not found (set TSCOPE_LIB)");
		return EXIT_BAD;
	}
	/* The first process claims the file with O_EXCL: an old trace must go first.
	 * Only a regular file is removed; a symbolic link found there is an error. */
	{
		struct stat lst;

		if (lstat(path, &lst) == 0) {
			if (!S_ISREG(lst.st_mode)) {
				util_error(output, "exists and is not a regular file");
				return EXIT_BAD;
			}
			if (unlink(path) < 0) {
				util_error(output, "cannot replace: %s", strerror(errno));
				return EXIT_BAD;
			}
		}
	}
	/* the wrapper libraries beside libtscope.so, preloaded first: their functions must
	 * come before libc's, and they need libtscope.so, preloaded after them */
	preload(lib);
	if (mem && preload_beside(lib, "libtscope-malloc.so", "--malloc") < 0)
		return EXIT_BAD;
	if (io && preload_beside(lib, "libtscope-io.so", "--io") < 0)
		return EXIT_BAD;
	/* hooks that drop the excluded calls before libtscope's record them (with
	 * --max-depth, which counts every call, the writer drops them) */
	if (filter.exclude && !filter.max_depth &&
	    preload_beside(lib, "libtscope-exclude.so", "--exclude") < 0)
		return EXIT_BAD;
	if (mem)
		setenv(TSF_ENV_MALLOC, "1", 1);
	else
		unsetenv(TSF_ENV_MALLOC);
	if (io)
		setenv(TSF_ENV_IO, "1", 1);
	else
		unsetenv(TSF_ENV_IO);
	setenv(TSF_ENV_OUTPUT, path, 1);
	setenv(TSF_ENV_RECORD, "1", 1);
	unsetenv(TSF_ENV_ENABLE);
	if (ring) {
		setenv(TSF_ENV_MODE, "ring", 1);
		setenv(TSF_ENV_BUFFER, ring, 1);
	} else {
		setenv(TSF_ENV_MODE, "stream", 1);
		if (buffer)
			setenv(TSF_ENV_BUFFER, buffer, 1);
	}
	if (snapsig)
		setenv(TSF_ENV_SNAPSIG, snapsig, 1);
	salvage_prepare(salvage, sizeof(salvage));
	if (encoding)
		setenv(TSF_ENV_COMPRESS, encoding, 1);
	unsetenv(TSF_ENV_CONTROL);
	unsetenv(TSF_ENV_PAUSED);
	unsetenv(TSF_ENV_TRIGGER);
	if (ctl_sig) {
		snprintf(num, sizeof(num), "%d", ctl_sig);
		setenv(TSF_ENV_CONTROL, num, 1);
	}
	if (paused)
		setenv(TSF_ENV_PAUSED, "1", 1);
	record_filter_env(&filter);
	may_be_empty = trigger || paused || filter.delay || filter.exclude || filter.include;
	record_filter_free(&filter);
	if (trigger) {
		char *v = xmalloc(strlen(trigger) + 16);

		sprintf(v, "%s:%s", trigger, count ? count : "1");
		setenv(TSF_ENV_TRIGGER, v, 1);
		free(v);
	}

	/* The forwarding is in place before the program exists, and a signal that comes
	 * meanwhile waits until record knows whom to pass it to.  The program starts with
	 * the dispositions and mask record was given. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = forward;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	for (size_t i = 0; i < TS_ARRAY_SIZE(forwarded); i++)
		sigaddset(&block, forwarded[i]);
	sigprocmask(SIG_BLOCK, &block, &mask);
	for (size_t i = 0; i < TS_ARRAY_SIZE(forwarded); i++)
		sigaction(forwarded[i], &sa, &given[i]);
	/* the file system's clock: trace files written from now on are this run's */
	clock_gettime(CLOCK_REALTIME_COARSE, &t0);
	child = fork();
	if (child == 0) {
		for (size_t i = 0; i < TS_ARRAY_SIZE(forwarded); i++)
			sigaction(forwarded[i], &given[i], NULL);
		sigprocmask(SIG_SETMASK, &mask, NULL);
		execvp(argv[optind], argv + optind);
		util_error(argv[optind], "%s", strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	sigprocmask(SIG_SETMASK, &mask, NULL);
	if (child < 0) {
		util_error("record", "fork: %s", strerror(errno));
		return EXIT_BAD;
	}
	while (waitpid(child, &st, 0) < 0) {
		if (errno != EINTR) {
			util_error("record", "waitpid: %s", strerror(errno));
			return EXIT_BAD;
		}
	}
	if (salvage[0])
		salvage_run(salvage, path, salvage_failed, NULL);
	if (WIFEXITED(st) && WEXITSTATUS(st) >= 126 && access(path, F_OK) != 0)
		return WEXITSTATUS(st); /* the program did not start */
	if (!may_be_empty)		/* else an empty trace may be what was asked for */
		check_trace(path, argv[optind], &t0);
	if (hint)
		record_hint(path);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
