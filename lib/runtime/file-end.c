/* SPDX-License-Identifier: MIT */
/*
 * file-end.c - the end of a trace file: the last scan of objects, the last sync point
 * and the END chunk (room made for it by giving up the newest events when the disk is
 * full), the one line said about what was lost or waited for; the file given back or
 * completed before exec(); the file's state started afresh in a forked child.
 *
 * Every function here is called with tscope__file_lock() held (file.c), but
 * tscope__file_atfork_child(), which makes the lock anew.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tscope-int.h"
#include "file-state.h"
#include "clock.h"

#define f tscope__file

/* The one line for every loss of the session, with the first cause and the count. */
static TS_NOINSTR void say_loss(void)
{
	int cause = __atomic_load_n(&f.cause, __ATOMIC_RELAXED);
	char msg[64];

	if (!cause || f.open_failed)
		return; /* said at the open */
	snprintf(msg, sizeof(msg), ": %llu events lost: ", (unsigned long long)f.lost);
	tscope__say(tscope__fd_path(), msg,
		    cause == ENOMEM	? "no memory for buffers"
		    : tscope__fd_gone() ? "the trace file was removed or replaced"
					: strerror(cause));
}

/* The END chunk did not fit (the disk is full, the file at its size limit): give up the
 * newest write of events, counted as lost, to make room.  0 when there is none left. */
static TS_NOINSTR int cut_back(void)
{
	struct tscope__mark m = f.marks[--f.marks_at % MARKS];

	f.marks_n--;
	if (tscope__fd_cut(m.size) < 0)
		return 0;
	f.lost += f.events - m.events;
	f.size = m.size;
	f.chunks = m.chunks;
	f.events = m.events;
	tscope__shm_written(f.size, f.chunks, f.events, f.lost);
	return 1;
}

/* Recording threads waited waited ns for the writer: said once, when it was over a
 * tenth of the session. */
static TS_NOINSTR void say_waited(uint64_t waited, uint64_t now)
{
	uint64_t run = now > f.start.mono_ns ? now - f.start.mono_ns : 0;
	char msg[160];

	if (!waited || waited <= run / 10)
		return;
	snprintf(msg, sizeof(msg),
		 ": recording threads waited %.3f s for the trace to be written"
		 " (%.0f%% of the %.3f s recorded): ",
		 waited / 1e9, 100.0 * waited / run, run / 1e9);
	tscope__say(tscope__fd_path(), msg, "the disk did not keep up");
}

/* The last scan of objects (scan_how), the last sync point and the END chunk, which
 * also counts lost more events; the file is closed.  Returns 0, or TSCOPE_EIO if
 * anything could not be written. */
TS_NOINSTR int tscope__file_close(int scan_how, uint64_t lost, uint64_t waited)
{
	struct tsf_clock c = { 0 };
	struct tsf_end end = { 0 };

	f.closing = 1; /* after a failure: the END may still fit, and say what was lost */
	if (tscope__file_open() == 0) {
		tscope__filter_write(tscope__file_emit, NULL, 1);
		tscope__maps_write(tscope__file_emit, NULL, scan_how);
		tscope__clock_sync(&c);
		tscope__file_emit_clock(&c);
		end.chunks = f.chunks;
		end.events = f.events;
		end.lost = f.lost + lost;
		end.waited_ns = waited;
		while (tscope__file_emit(NULL, TSF_CHUNK_END, &end, sizeof(end), NULL, 0, NULL, 0) <
			   0 &&
		       f.marks_n && cut_back())
			end = (struct tsf_end){ f.chunks, f.events, f.lost + lost, waited };
	}
	tscope__fd_close();
	f.opened = f.closing = f.end_after = 0;
	say_loss();
	say_waited(waited, c.mono_ns ? c.mono_ns : tscope__mono_ns());
	return f.io_error ? TSCOPE_EIO : 0;
}

/*
 * Before exec(): the old image's last words (see exec.c).  A file this process
 * created and wrote no event into is given back, removed, so that the next image
 * claims the name itself; any other is completed as at exit (lost: as there).  A file
 * never opened stays so.  Returns what tscope__file_close() returns.
 */
TS_NOINSTR int tscope__file_close_exec(int scan_how, uint64_t lost, uint64_t waited)
{
	if (!f.opened && !lost)
		return f.io_error ? TSCOPE_EIO : 0;
	if (f.opened && !f.events && !f.lost && !lost && !f.io_error &&
	    !__atomic_load_n(&f.cause, __ATOMIC_RELAXED) && tscope__fd_give_back() == 0) {
		f.opened = f.end_after = 0;
		return 0;
	}
	return tscope__file_close(scan_how, lost, waited);
}

/*
 * In a forked child: the lock may have been held by the parent's writer thread, and
 * what it guards may be half-done: start afresh (the old name table and compression
 * buffers are left to the parent's copy of the heap).  active: the child records on,
 * to a file of its own.
 */
TS_NOINSTR void tscope__file_atfork_child(int active)
{
	pthread_mutex_init(&f.lock, NULL);
	f.batch_n = 0;
	f.batch_events = f.batch_lost = 0;
	tscope__names_atfork_child();
	tscope__encode_atfork_child();
	tscope__filter_atfork_child();
	tscope__fd_atfork_child();
	f.opened = f.end_after = 0;
	f.fork_child = 1;
	if (active) {
		struct tscope__config cfg = f.cfg;

		tscope__file_reset(&cfg, 0);
	}
}
