#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# check-perfetto.py - check a `tscope perfetto` file against the `tscope chrome` file
# of the same traces.
#
#   python3 tests/check-perfetto.py --inflate T.pftrace T.flat
#   protoc --decode=perfetto.protos.Trace tests/perfetto-subset.proto < T.flat > T.txt
#   python3 tests/check-perfetto.py T.txt T.json T.pftrace [--max-ratio R]
#                                   [--max-event-bytes B]
#
# --inflate writes the file's packets with each packet of compressed_packets replaced
# by the packets its zlib stream holds, as Perfetto's importer reads them (zlib checks
# each stream's Adler-32; a stream must hold whole packets).  The check reads the
# packets of that file as protoc decoded them (its text format) and checks, as
# Perfetto's importer would read them:
#   - every packet sequence (trusted_packet_sequence_id) starts with a packet that has
#     SEQ_INCREMENTAL_STATE_CLEARED, sets clock 64 as its timestamps' clock and defines
#     that clock as incremental from 0; the timestamps of its packets are summed from
#     there (so that a wrong delta moves every later event of the thread);
#   - every interned name id is defined on its sequence before it is used (the packet
#     that uses it may define it), and never redefined;
#   - every SLICE_BEGIN has its SLICE_END on the same track, and time never runs
#     backwards on a track; every event is on a described track of the right kind;
# and then that the file shows what the JSON shows: per thread the same slices (name,
# start and duration to the nanosecond: as many as the JSON's "X" events), the same
# instants, per process the same counter samples, the same thread and process names.
# Last, the sizes: the file (compressed) is at most R times the JSON's size, and the
# packets of the events take at most B bytes per event on average before compression
# (descriptors and names excluded).
#
# Prints one line of figures and exits 0; at a failure, says what it is on stderr and
# exits 1.

import collections
import decimal
import json
import sys
import zlib


class Bad(Exception):
    pass


def unescape(text):
    """The bytes of a string as protoc's text format writes it (C escapes)."""
    out = bytearray()
    raw = text.encode("utf-8")
    i = 0
    simple = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord('"'): 34, ord("'"): 39,
              ord("\\"): 92, ord("a"): 7, ord("b"): 8, ord("f"): 12, ord("v"): 11,
              ord("?"): 63}
    while i < len(raw):
        c = raw[i]
        if c != 92:
            out.append(c)
            i += 1
            continue
        e = raw[i + 1]
        if e in simple:
            out.append(simple[e])
            i += 2
        elif 48 <= e <= 55:
            j = i + 1
            while j < len(raw) and j < i + 4 and 48 <= raw[j] <= 55:
                j += 1
            out.append(int(raw[i + 1:j], 8) & 0xff)
            i = j
        elif e == ord("x"):
            j = i + 2
            while j < len(raw) and j < i + 4 and chr(raw[j]) in "0123456789abcdefABCDEF":
                j += 1
            out.append(int(raw[i + 2:j], 16) & 0xff)
            i = j
        else:
            raise Bad("unknown escape \\%c" % e)
    return bytes(out)


def value(text):
    if text.startswith('"'):
        if not text.endswith('"') or len(text) < 2:
            raise Bad("bad string %s" % text)
        return unescape(text[1:-1]).decode("utf-8")
    if text == "true":
        return True
    if text == "false":
        return False
    if text[0] in "-0123456789":
        return int(text)
    return text  # an enum value's name


def packets(lines):
    """Each top-level packet of the decoded Trace, as nested dicts of lists."""
    stack = []
    for line in lines:
        s = line.strip()
        if not s:
            continue
        if s == "}":
            node = stack.pop()
            if not stack:
                yield node
            continue
        if s.endswith("{"):
            key = s[:-1].strip()
            node = {}
            if stack:
                stack[-1].setdefault(key, []).append(node)
            elif key != "packet":
                raise Bad("top-level field %s: a Trace holds only packets" % key)
            stack.append(node)
            continue
        if not stack:
            raise Bad("top-level field outside a packet: %s" % s)
        key, sep, val = s.partition(": ")
        if not sep:
            raise Bad("cannot read the line %r" % s)
        stack[-1].setdefault(key, []).append(value(val))
    if stack:
        raise Bad("the decoded text ends inside a packet")


def varint(data, at):
    """The varint at data[at], and the offset after it."""
    v, shift = 0, 0
    while True:
        if at >= len(data) or shift > 63:
            raise Bad("a varint runs past the end")
        b = data[at]
        at += 1
        v |= (b & 0x7f) << shift
        shift += 7
        if b < 0x80:
            return v, at


def varint_bytes(v):
    out = bytearray()
    while v >= 0x80:
        out.append(v & 0x7f | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def field_numbers(msg):
    """The field numbers of a message's fields, in order."""
    at = 0
    while at < len(msg):
        tag, at = varint(msg, at)
        wire = tag & 7
        if wire == 0:
            _, at = varint(msg, at)
        elif wire == 2:
            n, at = varint(msg, at)
            at += n
        elif wire == 1:
            at += 8
        elif wire == 5:
            at += 4
        else:
            raise Bad("wire type %d" % wire)
        yield tag >> 3
    if at != len(msg):
        raise Bad("a field runs past its message")


def inflate(data):
    """The packets of a Trace with every packet of compressed_packets (field 50) replaced
    by the packets of its zlib stream, and how many such packets there were.  A packet
    that compresses others must hold nothing else, and its stream must hold whole
    packets (zlib checks the stream's Adler-32)."""
    out = bytearray()
    at, nz = 0, 0
    while at < len(data):
        tag, at = varint(data, at)
        if tag != 0x0a:
            raise Bad("byte %d: not a packet field" % at)
        n, body = varint(data, at)
        at = body + n
        if at > len(data):
            raise Bad("byte %d: a packet runs past the end" % body)
        pkt = data[body:at]
        if 50 not in set(field_numbers(pkt)):
            out += data[body - len(varint_bytes(n)) - 1:at]
            continue
        ftag, fat = varint(pkt, 0)
        zn, zat = varint(pkt, fat)
        if ftag != (50 << 3 | 2) or zat + zn != len(pkt):
            raise Bad("byte %d: a packet of compressed_packets holds more" % body)
        try:
            inner = zlib.decompress(pkt[zat:])
        except zlib.error as e:
            raise Bad("byte %d: compressed_packets: %s" % (body, e))
        i = 0
        while i < len(inner):
            t, i = varint(inner, i)
            m, i = varint(inner, i)
            if t != 0x0a or i + m > len(inner):
                raise Bad("byte %d: compressed_packets holds a broken packet" % body)
            i += m
        out += inner
        nz += 1
    return bytes(out), nz


def one(node, key, default=None):
    v = node.get(key)
    if v is None:
        return default
    if len(v) != 1:
        raise Bad("field %s appears %d times" % (key, len(v)))
    return v[0]


class Check:
    def __init__(self):
        self.seqs = {}  # id -> {"names": {iid: name}, "last": ns, "track": uuid}
        self.tracks = {}  # uuid -> ("process", pid, name) | ("thread", pid, tid, name)
        #                        | ("counter", parent uuid, name)
        self.open = collections.defaultdict(list)  # track -> [(name, start)]
        self.last = {}  # track -> ns of its last event
        self.slices = collections.defaultdict(collections.Counter)  # (pid, tid) -> ...
        self.instants = collections.defaultdict(collections.Counter)
        self.counters = collections.defaultdict(list)  # (pid, name) -> [(ns, value)]
        self.events = 0
        self.n = 0

    def describe(self, td):
        uuid = one(td, "uuid")
        if uuid is None or uuid == 0:
            raise Bad("a track without a uuid")
        proc, thread, counter = one(td, "process"), one(td, "thread"), one(td, "counter")
        if proc is not None:
            new = ("process", one(proc, "pid"), one(proc, "process_name"))
        elif thread is not None:
            new = ("thread", one(thread, "pid"), one(thread, "tid"),
                   one(thread, "thread_name"))
        elif counter is not None:
            new = ("counter", one(td, "parent_uuid"), one(td, "name"))
        else:
            raise Bad("track %d: neither a process, a thread nor a counter" % uuid)
        old = self.tracks.get(uuid)
        if old is not None and old[:-1] != new[:-1]:
            raise Bad("track %d described as %r, then as %r" % (uuid, old, new))
        self.tracks[uuid] = new

    def packet(self, p):
        self.n += 1
        seq = one(p, "trusted_packet_sequence_id")
        flags = one(p, "sequence_flags", 0)
        td = one(p, "track_descriptor")
        if td is not None:
            self.describe(td)
        if seq is None:
            if one(p, "track_event") is not None or one(p, "interned_data") is not None:
                raise Bad("packet %d: an event or names without a sequence" % self.n)
            return
        if seq not in self.seqs:
            if not flags & 1:
                raise Bad("packet %d: the first of sequence %d lacks "
                          "SEQ_INCREMENTAL_STATE_CLEARED" % (self.n, seq))
        if flags & 1:
            defaults = one(p, "trace_packet_defaults")
            clocks = one(p, "clock_snapshot")
            if defaults is None or one(defaults, "timestamp_clock_id") != 64:
                raise Bad("packet %d: sequence %d does not set clock 64" % (self.n, seq))
            ted = one(defaults, "track_event_defaults")
            got = {}
            for c in (clocks or {}).get("clocks", []):
                got[one(c, "clock_id")] = (one(c, "timestamp", 0),
                                           one(c, "is_incremental", False))
            if got.get(64) != (0, True) or got.get(6) != (0, False):
                raise Bad("packet %d: sequence %d does not define clock 64 as "
                          "incremental from BOOTTIME 0: %r" % (self.n, seq, got))
            self.seqs[seq] = {"names": {}, "last": 0,
                              "track": one(ted, "track_uuid") if ted else None}
        st = self.seqs[seq]
        for idata in p.get("interned_data", []):
            for en in idata.get("event_names", []):
                iid, name = one(en, "iid"), one(en, "name")
                if not iid:
                    raise Bad("packet %d: interned name without an iid" % self.n)
                if iid in st["names"] and st["names"][iid] != name:
                    raise Bad("packet %d: iid %d redefined" % (self.n, iid))
                st["names"][iid] = name
        ts = one(p, "timestamp")
        if ts is not None:
            if one(p, "timestamp_clock_id") is not None:
                raise Bad("packet %d: a clock of its own" % self.n)
            st["last"] += ts
        te = one(p, "track_event")
        if te is None:
            return
        if ts is None:
            raise Bad("packet %d: an event without a timestamp" % self.n)
        self.event(st, te)

    def event(self, st, te):
        self.events += 1
        now = st["last"]
        kind = one(te, "type")
        track = one(te, "track_uuid", st["track"])
        desc = self.tracks.get(track)
        if desc is None:
            raise Bad("packet %d: track %r was not described" % (self.n, track))
        if self.last.get(track, 0) > now:
            raise Bad("packet %d: time runs backwards on track %d" % (self.n, track))
        self.last[track] = now
        name = None
        if kind == "TYPE_SLICE_BEGIN" and one(te, "name", None) is not None:
            name = one(te, "name")  # an I/O or wait call: its name is not interned
        elif kind in ("TYPE_SLICE_BEGIN", "TYPE_INSTANT"):
            iid = one(te, "name_iid")
            if iid not in st["names"]:
                raise Bad("packet %d: name iid %r used before it is defined"
                          % (self.n, iid))
            name = st["names"][iid]
        if kind == "TYPE_COUNTER":
            if desc[0] != "counter":
                raise Bad("packet %d: a counter value on a %s track" % (self.n, desc[0]))
            proc = self.tracks.get(desc[1])
            if proc is None or proc[0] != "process":
                raise Bad("packet %d: counter track %d has no process" % (self.n, track))
            self.counters[(proc[1], desc[2])].append((now, one(te, "counter_value")))
            return
        if desc[0] != "thread":
            raise Bad("packet %d: %s on a %s track" % (self.n, kind, desc[0]))
        thread = desc[1:3]
        if kind == "TYPE_SLICE_BEGIN":
            self.open[track].append((name, now))
        elif kind == "TYPE_SLICE_END":
            if not self.open[track]:
                raise Bad("packet %d: SLICE_END with no slice open on track %d"
                          % (self.n, track))
            name, start = self.open[track].pop()
            self.slices[thread][(name, start, now - start)] += 1
        elif kind == "TYPE_INSTANT":
            self.instants[thread][(name, now)] += 1
        else:
            raise Bad("packet %d: event type %r" % (self.n, kind))

    def finish(self):
        for track, stack in self.open.items():
            if stack:
                raise Bad("%d slices never end on track %d (%s)"
                          % (len(stack), track, stack[-1][0]))


def chrome(path):
    """What the JSON shows, in the form Check collects it."""
    with open(path, "rb") as f:
        doc = json.loads(f.read().decode("utf-8"), parse_float=decimal.Decimal)
    slices = collections.defaultdict(collections.Counter)
    instants = collections.defaultdict(collections.Counter)
    counters = collections.defaultdict(list)
    threads, procs = {}, {}

    def ns(v):
        return int(decimal.Decimal(v) * 1000)

    for e in doc["traceEvents"]:
        ph, key = e["ph"], (e["pid"], e["tid"])
        if ph == "X":
            slices[key][(e["name"], ns(e["ts"]), ns(e["dur"]))] += 1
        elif ph == "i":
            instants[key][(e["name"], ns(e["ts"]))] += 1
        elif ph == "C":
            counters[(e["pid"], e["name"])].append((ns(e["ts"]), e["args"]["value"]))
        elif ph == "M" and e["name"] == "thread_name":
            threads[key] = e["args"]["name"]
        elif ph == "M" and e["name"] == "process_name":
            procs[e["pid"]] = e["args"]["name"]
    return slices, instants, counters, threads, procs


def compare(what, got, want):
    keys = set(got) | set(want)
    for k in sorted(keys, key=repr):
        g, w = got.get(k), want.get(k)
        if g != w:
            if isinstance(g, collections.Counter) or isinstance(w, collections.Counter):
                g, w = g or collections.Counter(), w or collections.Counter()
                extra, missing = g - w, w - g
                raise Bad("%s of %r differ: %d in the JSON only (%r...), %d in the "
                          "protobuf only (%r...)"
                          % (what, k, sum(missing.values()), list(missing)[:2],
                             sum(extra.values()), list(extra)[:2]))
            raise Bad("%s of %r differ: JSON %r, protobuf %r" % (what, k, w, g))


def main(argv):
    args, opts = [], {"--max-ratio": 1.0, "--max-event-bytes": 1e9}
    i = 0
    while i < len(argv):
        if argv[i] in opts:
            opts[argv[i]] = float(argv[i + 1])
            i += 2
        else:
            args.append(argv[i])
            i += 1
    if len(args) == 3 and args[0] == "--inflate":
        try:
            with open(args[1], "rb") as f:
                flat, _ = inflate(f.read())
            with open(args[2], "wb") as f:
                f.write(flat)
        except (Bad, OSError) as e:
            sys.stderr.write("check-perfetto: %s\n" % e)
            return 1
        return 0
    if len(args) != 3:
        sys.stderr.write("usage: check-perfetto.py DECODED.txt CHROME.json FILE.pftrace "
                         "[--max-ratio R] [--max-event-bytes B]\n"
                         "       check-perfetto.py --inflate FILE.pftrace OUT\n")
        return 2
    decoded, json_path, pf_path = args
    try:
        c = Check()
        with open(decoded, encoding="utf-8") as f:
            for p in packets(f):
                c.packet(p)
        c.finish()
        slices, instants, counters, threads, procs = chrome(json_path)
        compare("the slices", c.slices, slices)
        compare("the instants", c.instants, instants)
        compare("the counter samples", c.counters, counters)
        names = {t[1:3]: t[3] for t in c.tracks.values() if t[0] == "thread" and t[3]}
        compare("the thread names", names, threads)
        names = {t[1]: t[2] for t in c.tracks.values() if t[0] == "process" and t[2]}
        compare("the process names", names, procs)
        with open(pf_path, "rb") as f:
            data = f.read()
        pf_size = len(data)
        data, nz = inflate(data)
        event_bytes = 0
        at = 0
        while at < len(data):  # Trace: packets, each a field 1, length-delimited
            tag, at = varint(data, at)
            if tag != 0x0a:
                raise Bad("byte %d: not a packet field" % at)
            n, at = varint(data, at)
            fields = set(field_numbers(data[at:at + n]))
            if 11 in fields and 12 not in fields:  # an event, defining no name
                event_bytes += n + 1 + len(varint_bytes(n))
            at += n
        json_size = len(open(json_path, "rb").read())
    except (Bad, OSError, ValueError, KeyError, IndexError) as e:
        sys.stderr.write("check-perfetto: %s\n" % e)
        return 1
    nslices = sum(sum(v.values()) for v in c.slices.values())
    ratio = pf_size / json_size if json_size else 0
    per_event = event_bytes / c.events if c.events else 0
    print("%d threads, %d slices, %d events in %d packets, %d sequences, %d compressed "
          "runs; %d bytes (%d inflated), %.3f of the JSON's %d; %.2f bytes per event "
          "packet before compression"
          % (len(c.slices), nslices, c.events, c.n, len(c.seqs), nz, pf_size, len(data),
             ratio, json_size, per_event))
    if ratio > opts["--max-ratio"]:
        sys.stderr.write("check-perfetto: %.3f of the JSON's size, more than %g\n"
                         % (ratio, opts["--max-ratio"]))
        return 1
    if per_event > opts["--max-event-bytes"]:
        sys.stderr.write("check-perfetto: %.2f bytes per event, more than %g\n"
                         % (per_event, opts["--max-event-bytes"]))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
