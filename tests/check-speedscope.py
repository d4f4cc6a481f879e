#!/usr/bin/env python3
# check-speedscope.py FILE.json - check a file of `tscope speedscope` against the rules
# of speedscope's file format (its file-format-spec.ts and what its importer requires),
# then print what it holds, for the test to compare with `tscope report`:
#
#   profiles N
#   profile NAME|EVENTS          one line per profile, in order
#   calls FRAME|COUNT            "O" events per frame name, all profiles, sorted
#   thread-calls NAME|FRAME|COUNT  the same per profile
#
# The rules: the top level has the schema URL, "profiles", "shared": {"frames"} (each a
# {"name": string}, no name twice: frames are interned), "name", "activeProfileIndex"
# (a valid index) and "exporter"; each profile is "evented" in "nanoseconds" with a
# name, a startValue <= endValue and events; each event is {"type": "O" or "C",
# "frame": a valid index, "at": an integer}; times never go back, and lie within
# [startValue, endValue]; each "C" closes the frame on top of the profile's stack, and
# the stack is empty at the end.  A broken rule: a message on stderr, exit status 1.
import json
import sys
from collections import Counter

SCHEMA = "https://www.speedscope.app/file-format-schema.json"


def fail(msg):
    sys.stderr.write("check-speedscope: %s: %s\n" % (sys.argv[1], msg))
    sys.exit(1)


def main():
    with open(sys.argv[1], "rb") as f:
        raw = f.read()
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        fail("not JSON: %s" % e)
    if not isinstance(doc, dict) or doc.get("$schema") != SCHEMA:
        fail("no $schema %s" % SCHEMA)
    for key, kind in (("profiles", list), ("shared", dict), ("name", str),
                      ("activeProfileIndex", int), ("exporter", str)):
        if not isinstance(doc.get(key), kind):
            fail("no %s (%s)" % (key, kind.__name__))
    if not doc["exporter"].startswith("tscope "):
        fail("exporter %r" % doc["exporter"])
    frames = doc["shared"].get("frames")
    if not isinstance(frames, list):
        fail("no shared.frames")
    names = []
    for i, fr in enumerate(frames):
        if not isinstance(fr, dict) or not isinstance(fr.get("name"), str):
            fail("frame %d is not {\"name\": string}" % i)
        names.append(fr["name"])
    dup = [n for n, c in Counter(names).items() if c > 1]
    if dup:
        fail("frames not interned: %r more than once" % dup[0])
    profiles = doc["profiles"]
    if not 0 <= doc["activeProfileIndex"] < max(len(profiles), 1):
        fail("activeProfileIndex %d of %d profiles" % (doc["activeProfileIndex"], len(profiles)))
    total = Counter()
    out = ["profiles %d" % len(profiles)]
    per_thread = []
    used = set()
    for k, p in enumerate(profiles):
        where = "profile %d" % k
        if p.get("type") != "evented" or p.get("unit") != "nanoseconds":
            fail("%s: not evented in nanoseconds" % where)
        if not isinstance(p.get("name"), str) or not isinstance(p.get("events"), list):
            fail("%s: no name or events" % where)
        lo, hi = p.get("startValue"), p.get("endValue")
        if not isinstance(lo, int) or not isinstance(hi, int) or lo > hi or lo < 0:
            fail("%s: startValue %r, endValue %r" % (where, lo, hi))
        stack = []
        last = lo
        calls = Counter()
        for j, ev in enumerate(p["events"]):
            t, fr, at = ev.get("type"), ev.get("frame"), ev.get("at")
            if not isinstance(fr, int) or not 0 <= fr < len(frames):
                fail("%s, event %d: frame %r" % (where, j, fr))
            if not isinstance(at, int) or at < last or at > hi:
                fail("%s, event %d: at %r after %d (bounds %d..%d)" % (where, j, at, last, lo, hi))
            last = at
            if t == "O":
                stack.append(fr)
                calls[names[fr]] += 1
                used.add(fr)
            elif t == "C":
                if not stack or stack[-1] != fr:
                    fail("%s, event %d: closes %s while %s is on top" %
                         (where, j, names[fr], names[stack[-1]] if stack else "nothing"))
                stack.pop()
            else:
                fail("%s, event %d: type %r" % (where, j, t))
        if stack:
            fail("%s: %d frames left open" % (where, len(stack)))
        out.append("profile %s|%d" % (p["name"], len(p["events"])))
        for n, c in sorted(calls.items()):
            per_thread.append("thread-calls %s|%s|%d" % (p["name"], n, c))
        total.update(calls)
    if len(used) != len(frames):
        fail("%d frames no event uses" % (len(frames) - len(used)))
    out += ["calls %s|%d" % (n, c) for n, c in sorted(total.items())]
    out += per_thread
    print("\n".join(out))


main()
