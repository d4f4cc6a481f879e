#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# check-json.py - check a `tscope chrome` file strictly, and summarize it.
#
#   python3 tests/check-json.py FILE.json
#
# Checks: the bytes are UTF-8; the document is JSON by the standard (no NaN, no
# Infinity, no duplicate keys, no lone surrogates); it has the object form with
# "traceEvents" and "displayTimeUnit":"ns"; every event has the fields its phase needs
# with the right types; X timestamps and durations are microseconds with exactly three
# decimals (whole nanoseconds) and durations are not negative; and within every thread
# the spans nest: sorted by start (longer first on ties), each one lies inside the
# innermost earlier one it overlaps.  Exit status 1 and one line on stderr at the first
# failure.
#
# Then prints a summary, one fact per line, names as JSON strings, last:
#
#   process PID NAME            (process_name metadata)
#   thread PID TID NAME         (thread_name metadata)
#   span COUNT SELF INCL NAME   (per name: spans, self ns, inclusive ns of the
#                                outermost spans of that name: recursion counted once)
#   threadspans PID TID COUNT   (spans of each thread)
#   instant COUNT NAME
#   counter COUNT SUM NAME
#   events N                    (all events, metadata included)
#   ok

import json
import sys

class Bad(Exception):
    pass


class Num(str):
    """A JSON number with a fraction or an exponent, kept as its text."""


def ns_of(v, what):
    """Microseconds with exactly three decimals, as integer nanoseconds."""
    if isinstance(v, Num):
        # v is a valid JSON number: it has 3 decimals when its 4th last character is
        # the point and it has no exponent
        if len(v) < 5 or v[-4] != "." or "e" in v or "E" in v:
            raise Bad("%s %s: not microseconds with 3 decimals" % (what, v))
        return int(v[:-4] + v[-3:])
    if isinstance(v, int) and not isinstance(v, bool):
        return v * 1000
    raise Bad("%s: not a number: %r" % (what, v))


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


X_FIELDS = frozenset(("ph", "pid", "tid", "ts", "dur", "name"))


class Doc:
    def __init__(self):
        self.threads = {}  # (pid, tid) -> [starts], [durs], [name ids]
        self.names = []
        self.name_id = {}
        self.procs = {}
        self.tnames = {}
        self.instants = {}
        self.counters = {}
        self.events = 0
        self.good = set()  # strings already checked
        self.shapes = {}   # tuples of keys already checked: have they the X fields?

    def string(self, s, what):
        """s is a str (not a number) without lone surrogates."""
        if s in self.good and type(s) is str:
            return
        if not isinstance(s, str) or isinstance(s, Num):
            raise Bad("%s: not a string: %r" % (what, s))
        try:
            s.encode("utf-8")
        except UnicodeEncodeError:
            raise Bad("%s: lone surrogate in %r" % (what, s))
        self.good.add(s)

    def nid(self, name):
        i = self.name_id.get(name)
        if i is None:
            self.string(name, "event name")
            i = self.name_id[name] = len(self.names)
            self.names.append(name)
        return i

    def obj(self, pairs):
        if len(pairs) == 6:
            # the X event as tscope writes it, checked inline: most of the document
            (k0, ph), (k1, pid), (k2, tid), (k3, ts), (k4, dur), (k5, name) = pairs
            if (k0 == "ph" and k1 == "pid" and k2 == "tid" and k3 == "ts" and k4 == "dur"
                    and k5 == "name" and ph == "X" and type(pid) is int and type(tid) is int
                    and pid > 0 and tid > 0 and type(ts) is Num and type(dur) is Num
                    and len(ts) >= 5 and len(dur) >= 5 and ts[-4] == "." and dur[-4] == "."
                    and "e" not in ts and "E" not in ts and "e" not in dur and "E" not in dur
                    and dur[0] != "-"):
                self.events += 1
                t = self.threads.get((pid, tid))
                if t is None:
                    t = self.threads[(pid, tid)] = ([], [], [])
                t[0].append(int(ts[:-4] + ts[-3:]))
                t[1].append(int(dur[:-4] + dur[-3:]))
                i = self.name_id.get(name)
                t[2].append(i if i is not None else self.nid(name))
                return None
        d = dict(pairs)
        if len(d) != len(pairs):
            raise Bad("duplicate key in an object: %r" % [k for k, _ in pairs])
        keys = tuple(k for k, _ in pairs)
        x = self.shapes.get(keys)
        if x is None:
            for k in keys:
                self.string(k, "key")
            x = self.shapes[keys] = frozenset(keys) == X_FIELDS
        if x:
            return self.span(d)
        for k, v in pairs:
            if type(v) is str:
                self.string(v, "value of %s" % k)
        if "ph" not in d:
            return d
        self.event(d)
        return None

    def span(self, d):
        """An X event: the common case, kept short."""
        self.events += 1
        pid, tid = d["pid"], d["tid"]
        if d["ph"] != "X" or not is_int(pid) or not is_int(tid) or pid <= 0 or tid <= 0:
            raise Bad("bad X event: %r" % d)
        ts, dur = ns_of(d["ts"], "ts"), ns_of(d["dur"], "dur")
        if dur < 0:
            raise Bad("negative duration: %r" % d)
        t = self.threads.get((pid, tid))
        if t is None:
            t = self.threads[(pid, tid)] = ([], [], [])
        t[0].append(ts)
        t[1].append(dur)
        t[2].append(self.nid(d["name"]))
        return None

    def event(self, d):
        self.events += 1
        ph, pid, tid = d.get("ph"), d.get("pid"), d.get("tid")
        if not is_int(pid) or not is_int(tid) or pid <= 0 or tid <= 0:
            raise Bad("event without a real pid and tid: %r" % d)
        name = d.get("name")
        self.string(name, "event name")
        if ph == "M":
            args = d.get("args")
            if not isinstance(args, dict):
                raise Bad("M event without args: %r" % d)
            if name == "process_name":
                self.string(args.get("name"), "process name")
                self.procs[pid] = args["name"]
            elif name == "thread_name":
                self.string(args.get("name"), "thread name")
                self.tnames[(pid, tid)] = args["name"]
            elif name == "thread_sort_index":
                if not is_int(args.get("sort_index")):
                    raise Bad("bad sort index: %r" % d)
            else:
                raise Bad("unknown metadata: %r" % d)
        elif ph == "i":
            if d.get("s") != "t":
                raise Bad("instant without thread scope: %r" % d)
            ns_of(d.get("ts"), "ts")
            self.instants[name] = self.instants.get(name, 0) + 1
        elif ph == "C":
            args = d.get("args")
            ns_of(d.get("ts"), "ts")
            if not isinstance(args, dict) or not is_int(args.get("value")):
                raise Bad("counter without an integer value: %r" % d)
            c = self.counters.setdefault(name, [0, 0])
            c[0] += 1
            c[1] += args["value"]
        else:
            raise Bad("unknown or incomplete event: %r" % d)


def bad_constant(s):
    raise Bad("not JSON: %s" % s)


def nest(doc, out):
    count = [0] * len(doc.names)
    self_ns = [0] * len(doc.names)
    incl = [0] * len(doc.names)
    for (pid, tid), (ts, dur, nm) in sorted(doc.threads.items()):
        n = len(ts)
        # by start, the longer first on ties: key start * 2^64 - duration
        keys = [(t << 64) - d for t, d in zip(ts, dur)]
        order = sorted(range(n), key=keys.__getitem__)
        child = [0] * n
        stack = []  # indices of open spans
        active = [0] * len(doc.names)
        for i in order:
            s, e = ts[i], ts[i] + dur[i]
            # a span that starts where an open one ends comes after it (if it is
            # zero-length, it could as well be inside: its time is the same either way)
            while stack and s >= ts[stack[-1]] + dur[stack[-1]]:
                j = stack.pop()
                active[nm[j]] -= 1
            if stack:
                p = stack[-1]
                if e > ts[p] + dur[p]:
                    raise Bad("thread %d/%d: span %s [%d, %d] overlaps %s [%d, %d]" % (
                        pid, tid, doc.names[nm[i]], s, e, doc.names[nm[p]], ts[p],
                        ts[p] + dur[p]))
                child[p] += dur[i]
            if not active[nm[i]]:
                incl[nm[i]] += dur[i]
            active[nm[i]] += 1
            stack.append(i)
        for i in range(n):
            count[nm[i]] += 1
            self_ns[nm[i]] += dur[i] - child[i]
            if dur[i] < child[i]:
                raise Bad("children longer than their parent")
        out.append("threadspans %d %d %d" % (pid, tid, n))
    for k, name in enumerate(doc.names):
        out.append("span %d %d %d %s" % (count[k], self_ns[k], incl[k], json.dumps(name)))


def main():
    if len(sys.argv) != 2:
        print("usage: check-json.py FILE.json", file=sys.stderr)
        return 2
    try:
        with open(sys.argv[1], "rb") as f:
            raw = f.read()
        text = raw.decode("utf-8")
        doc = Doc()
        top = json.loads(text, object_pairs_hook=doc.obj, parse_float=Num,
                         parse_constant=bad_constant)
        if not isinstance(top, dict) or not isinstance(top.get("traceEvents"), list):
            raise Bad("no traceEvents list at the top")
        if top.get("displayTimeUnit") != "ns":
            raise Bad("displayTimeUnit is not \"ns\"")
        if any(e is not None for e in top["traceEvents"]):
            raise Bad("traceEvents holds something that is not an event")
        out = []
        for pid, name in sorted(doc.procs.items()):
            out.append("process %d %s" % (pid, json.dumps(name)))
        for (pid, tid), name in sorted(doc.tnames.items()):
            out.append("thread %d %d %s" % (pid, tid, json.dumps(name)))
        nest(doc, out)
        for name, n in sorted(doc.instants.items()):
            out.append("instant %d %s" % (n, json.dumps(name)))
        for name, (n, total) in sorted(doc.counters.items()):
            out.append("counter %d %d %s" % (n, total, json.dumps(name)))
        out.append("events %d" % doc.events)
    except (Bad, ValueError, UnicodeDecodeError, OSError) as e:
        print("check-json.py: %s: %s" % (sys.argv[1], e), file=sys.stderr)
        return 1
    sys.stdout.write("\n".join(out) + "\nok\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
