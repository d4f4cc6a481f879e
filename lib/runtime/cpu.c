/* SPDX-License-Identifier: MIT */
/*
 * cpu.c - samples of a thread's CPU time (EXT CPU events, format.h), so that a reader
 * can tell the time a thread spent off its CPU outside the calls libtscope-io wraps:
 * preempted, stopped, blocked in a page fault or in a call not wrapped.
 *
 * Only with TSCOPE_IO=1 (record --io), and never on the hot path: reading the CPU
 * time is a system call (CLOCK_THREAD_CPUTIME_ID has no vDSO path).  A thread is
 * sampled where it runs cold code anyway: when it takes a buffer (its first one
 * included), when its events are handed over at its exit or at stop, and by
 * libtscope-io around each wrapped call, which reads the CPU time there already.
 *
 * The cold path's samples are written like its other events (buffer.c): by the owner
 * of t, into a reservation moved with one instruction, the time stored last.
 *
 * Not with --trigger: what runs between two triggered calls is not recorded, its
 * waits neither, and two samples around it would make it look off the CPU.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <time.h>

#include "tscope-int.h"
#include "clock.h"

#define NO_CPU UINT64_MAX

/* clock's time in ns, or NO_CPU. */
static TS_NOINSTR uint64_t cpu_ns(clockid_t clock)
{
	struct timespec ts;

	if (clock_gettime(clock, &ts) != 0)
		return NO_CPU;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The CPU-time clock of thread tid of this process, as pthread_getcpuclockid() makes
 * it (the kernel's ABI: ~tid << 3, per thread, scheduler time). */
static TS_NOINSTR clockid_t thread_clock(uint32_t tid)
{
	return (clockid_t)((~tid << 3) | 6u);
}

static TS_NOINSTR void cpu_event(struct tsf_event ev[2], unsigned where, uint64_t cpu)
{
	ev[0].time = 0;
	ev[0].word = TSF_EXT_WORD(TSF_EXT_CPU, where);
	ev[1].time = 0;
	ev[1].word = TSF_WORD(TSF_KIND_EXT, cpu & TSF_ADDR_MASK);
}

/*
 * A sample of t's CPU time into t's current buffer, after the events of handlers that
 * interrupted the cold path (tscope__nest_flush).  Not recorded when the buffer has no
 * room left for it.  Caller owns t, which is t's own thread.
 */
TS_NOINSTR void tscope__cpu_sample(struct tscope__thread *t, unsigned where)
{
	struct tsf_event ev[2], *p;
	uintptr_t off;
	uint64_t cpu;

	if (!tscope__rt.cfg.cpu_samples || tscope__rt.cfg.trigger[0] || !t->size)
		return;
	cpu = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
	if (cpu == NO_CPU)
		return;
	cpu_event(ev, where, cpu);
	tscope__nest_flush(t, sizeof(ev));
	off = TS_LOAD(t->pos) - t->base;
	if (off >= t->size || t->size - off < sizeof(ev))
		return;
	p = tscope__reserve(t, sizeof(ev));
	if (tscope__in_buffer(t, p, sizeof(ev))) {
		uint64_t now = tscope__clock_slow();

		ev[1].time = now;
		tscope__write_at(p, ev, 2, now);
	} else if (tscope__in_buffer(t, p, sizeof(*p))) {
		/* a handler took the room meanwhile: the slot left is padded */
		tscope__pad(
		    t, p,
		    (unsigned)((TS_LOAD(t->base) + TS_LOAD(t->size) - (uintptr_t)p) / sizeof(*p)));
	}
}

/*
 * The same for a thread flushed by another (stop): its CPU time, read through its
 * clock, after the n events copied into b, which is not yet handed over; *n grows by
 * the sample's slots.  Caller owns t.
 */
TS_NOINSTR void tscope__cpu_sample_copy(struct tscope__thread *t, struct tscope__buf *b, size_t *n)
{
	uint64_t cpu;

	if (!tscope__rt.cfg.cpu_samples || tscope__rt.cfg.trigger[0] || *n + 2 > b->cap)
		return;
	cpu = cpu_ns(thread_clock(t->tid));
	if (cpu == NO_CPU)
		return;
	cpu_event(&b->ev[*n], TSF_CPU_FLUSH, cpu);
	b->ev[*n].time = b->ev[*n + 1].time = tscope__clock_slow();
	*n += 2;
}

/*
 * A sample of the calling thread's CPU time, cpu_ns read just before (libtscope-io,
 * around a wrapped call).  Like the hooks' EXT events (hook.c), with the same checks as
 * tscope_io_start(): nothing of the runtime's own threads or cold path.
 */
TSCOPE_API TS_NOINSTR void tscope_io_cpu(uint64_t cpu_ns)
{
	struct tscope__thread *t = &tscope__self;
	uintptr_t base_neg, room, off;
	uint64_t time;
	struct tsf_event ev[2], *p;

	if (TS_UNLIKELY(t->ignore || TS_LOAD(t->busy) == TS_BUSY_SELF ||
			!TS_LOAD(tscope__rt.inited) || TS_LOAD(tscope__rt.state) == TS_OFF ||
			tscope__rt.cfg.trigger[0] || cpu_ns >= TSF_IO_NO_CPU))
		return;
	base_neg = TS_LOAD(t->base_neg);
	room = TS_LOAD(t->room);
	time = tscope__clock_read();
	cpu_event(ev, TSF_CPU_CALL, cpu_ns);
	ev[1].time = time;
	p = tscope__reserve(t, sizeof(ev));
	off = (uintptr_t)p + base_neg;
	if (TS_UNLIKELY(off >= room || room - off < sizeof(ev))) {
		tscope__slow(ev, 2, p);
		return;
	}
	p[1] = ev[1];
	p->word = ev[0].word;
	__asm__ __volatile__("" ::: "memory"); /* the time is stored last: see hook.c */
	p->time = time;
}
