/* SPDX-License-Identifier: MIT */
/*
 * cmd-ctl.c - `tscope ctl PID start|stop|snapshot|flush`: control a process that runs
 * under `tscope record`, without a server.
 *
 * The process's environment (/proc/PID/environ) names the real-time signal its runtime
 * listens to (TSCOPE_CONTROL_SIGNAL, set by record); the signal must show as caught in
 * /proc/PID/status, or sending it could kill a process that does not handle it.  The
 * request goes as the signal's value (sigqueue), and the runtime answers with the same
 * signal once the work is done, so that when ctl returns, recording has started or
 * stopped, or the file is up to date.  The request codes are control.c's.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tscope.h"
#include "cmds.h"
#include "format.h"
#include "util.h"

static const char help_text[] =
    "Usage: tscope ctl [OPTIONS] PID start|stop|snapshot|flush\n"
    "\n"
    "Control the recording of process PID, running under `tscope record`:\n"
    "\n"
    "  start     record from now on (after stop, record --start-paused, or while\n"
    "            --trigger still waits: then every thread records)\n"
    "  stop      record nothing from now on; what was recorded is written to the trace,\n"
    "            which stays open: a later start records on into the same file, so the\n"
    "            trace holds every window between a start and a stop, in order (the\n"
    "            converters close the calls left open where recording stopped)\n"
    "  flush     write every thread's events so far to the trace, while they record on\n"
    "            (ring mode: a snapshot)\n"
    "  snapshot  ring mode (record --ring): write the newest events now, as\n"
    "            tscope_snapshot(); stream mode: a flush\n"
    "\n"
    "ctl returns once the process has done it.  It sends the real-time signal that record\n"
    "chose (--control-signal) and PID's runtime answers with it; it finds that signal in\n"
    "PID's environment.  A process not run by record, or one that does not handle the\n"
    "signal, is left alone with an error.\n"
    "\n"
    "Options:\n"
    "      --timeout SECS  wait this long for the answer (default 10)\n"
    "  -h, --help          show this help and exit\n"
    "  -V, --version       show the version and exit\n"
    "\n"
    "Exit status: 0 done; 1 PID is not traced, not reachable, did not answer, or could\n"
    "not do it (e.g. snapshot after the end of recording); 2 bad usage.\n";

static const char *const requests[] = { "start", "stop", "snapshot", "flush" };

/* The control signal in PID's environment: >0, 0 if none, -1 (errno) if unreadable. */
static int env_signal(const char *pid)
{
	char path[64], *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd, sig = 0;
	static const char key[] = TSF_ENV_CONTROL "=";

	snprintf(path, sizeof(path), "/proc/%s/environ", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	do {
		if (len + 4096 > cap) {
			cap = cap ? 2 * cap : 65536;
			buf = xrealloc(buf, cap + 1);
		}
		n = read(fd, buf + len, cap - len);
		if (n > 0)
			len += (size_t)n;
	} while (n > 0 || (n < 0 && errno == EINTR));
	close(fd);
	if (n < 0) {
		free(buf);
		return -1;
	}
	buf[len] = 0;
	for (size_t at = 0; at < len; at += strlen(buf + at) + 1)
		if (strncmp(buf + at, key, sizeof(key) - 1) == 0)
			sig = atoi(buf + at + sizeof(key) - 1);
	free(buf);
	return sig > 0 ? sig : 0;
}

/* Does PID catch sig (SigCgt of /proc/PID/status)?  1, 0, or -1. */
static int catches(const char *pid, int sig)
{
	char path[64], line[256];
	unsigned long long mask = 0;
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "SigCgt: %llx", &mask) == 1;
	fclose(f);
	return found && sig <= 64 && (mask >> (sig - 1) & 1);
}

int cmd_ctl(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *pid_s;
	char *end;
	long pid, secs = 10;
	int opt, sig, code = 0;
	sigset_t set, old;
	union sigval v;
	struct timespec until, now;

	while ((opt = getopt_long(argc, argv, "+hV", opts, NULL)) != -1) {
		switch (opt) {
		case 't':
			secs = strtol(optarg, &end, 10);
			if (*end || secs <= 0 || secs > 3600)
				return util_usage_error("ctl",
							"--timeout needs 1 to 3600 seconds, "
							"not '%s'",
							optarg);
			break;
		case 'h':
			fputs(help_text, stdout);
			return EXIT_OK;
		case 'V':
			return util_version("ctl");
		default:
			return util_usage_error("ctl", "unknown option");
		}
	}
	if (argc - optind != 2)
		return util_usage_error("ctl",
					"needs a PID and one of start, stop, snapshot, flush");
	pid_s = argv[optind];
	errno = 0;
	pid = strtol(pid_s, &end, 10);
	if (errno || *end || pid <= 0 || pid > 0x3fffffff)
		return util_usage_error("ctl", "'%s' is not a process id", pid_s);
	for (size_t i = 0; i < TS_ARRAY_SIZE(requests); i++)
		if (strcmp(argv[optind + 1], requests[i]) == 0)
			code = (int)i + 1;
	if (!code)
		return util_usage_error(
		    "ctl", "unknown request '%s' (start, stop, snapshot, flush)", argv[optind + 1]);

	sig = env_signal(pid_s);
	if (sig < 0 && errno == ENOENT) {
		util_error(pid_s, "no such process");
		return EXIT_BAD;
	}
	if (sig < 0) {
		util_error(pid_s, "cannot read its environment: %s", strerror(errno));
		return EXIT_BAD;
	}
	if (sig == 0) {
		util_error(pid_s, "not traced by `tscope record` (no " TSF_ENV_CONTROL
				  " in its environment)");
		return EXIT_BAD;
	}
	if (sig < SIGRTMIN || sig > SIGRTMAX) {
		util_error(pid_s, TSF_ENV_CONTROL "=%d is not a real-time signal: not sent", sig);
		return EXIT_BAD;
	}
	if (catches(pid_s, sig) != 1) {
		util_error(pid_s,
			   "does not handle signal %d (libtscope is not loaded in it, or "
			   "not yet): not sent",
			   sig);
		return EXIT_BAD;
	}

	/* The answer is the same signal: blocked here, taken with sigtimedwait(). */
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_BLOCK, &set, &old);
	v.sival_int = code;
	if (sigqueue((pid_t)pid, sig, v) < 0) {
		util_error(pid_s, "cannot signal it: %s", strerror(errno));
		return EXIT_BAD;
	}
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += secs;
	for (;;) {
		siginfo_t si;
		struct timespec left;
		int got;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left.tv_sec = until.tv_sec - now.tv_sec;
		left.tv_nsec = until.tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_nsec += 1000000000;
			left.tv_sec--;
		}
		if (left.tv_sec < 0) {
			util_error(pid_s,
				   "no answer within %ld s (does the program use signal %d "
				   "itself? record --control-signal chooses another)",
				   secs, sig);
			return EXIT_BAD;
		}
		got = sigtimedwait(&set, &si, &left);
		if (got < 0 && errno != EINTR && errno != EAGAIN) {
			util_error(pid_s, "waiting for the answer: %s", strerror(errno));
			return EXIT_BAD;
		}
		if (got != sig || si.si_pid != (pid_t)pid || si.si_code != SI_QUEUE)
			continue; /* not the answer: somebody else's */
		if (si.si_value.sival_int == 0)
			return EXIT_OK;
		if (-si.si_value.sival_int == TSCOPE_ESTATE)
			util_error(pid_s,
				   "cannot %s: it is not recording (its recording has "
				   "ended, or not begun)",
				   argv[optind + 1]);
		else
			util_error(pid_s, "cannot %s: %s", argv[optind + 1],
				   tscope_strerror(-si.si_value.sival_int));
		return EXIT_BAD;
	}
}
