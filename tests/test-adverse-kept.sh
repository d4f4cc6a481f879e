#!/bin/sh
# test-adverse-kept.sh - the cases of tests/test-adverse (issue 10: what real programs do
# to a tracer), every one of them in a plain build.  Under a sanitizer, whose shadow
# memory makes address-space limits and gigabyte buffers meaningless, the memory cases
# are left out, and so are the 10 kHz timer cases, whose handlers a sanitizer's run time
# slows to the point of measuring it (and, not yet run under one, the closed-descriptor
# and failed-disk cases; and asynchronous cancellation, after which ASan reports a
# stack-buffer-overflow at the exiting thread's initialization of a 64-byte local array
# of its own: poison the cancellation's unwinding left on the stack, not an overflow).
: "${top_builddir:?}"
cases="segv-longjmp cancel-deferred pthread-exit fail-uninstrumented short-exit
	fd-close-loop fd-dup2 wrap-sh wrap-taskset wrap-system abrupt-exit abrupt-kill abrupt-daemon short-kill"
if ! nm "$top_builddir/tests/prog-adverse" 2> /dev/null | grep -q -E ' (__asan|__tsan|__ubsan)_'; then
	cases="$cases big-256M big-1G oom-threads timer-real-4k timer-real-64M timer-prof-4k
		timer-prof-64M fd-close-range fail-dev-full fail-unwritable cancel-async"
fi
exec "$top_builddir/tests/test-adverse" $cases
