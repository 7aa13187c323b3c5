#!/usr/bin/env python3
"""summarize.py - describe audit streams/logs for Tests/Fixtures/README.md.

Usage: summarize.py FILE...

Groups records by (node, serial) and reports, per file: record types, the BPF
LOAD/UNLOAD counts, prog-ids, which exe/uid/syscall each BPF record comes with,
whether the BPF record is the first record of its event, whether every event
ends with EOE, and the ENRICHED (0x1D) / node= prefix / hex-exe properties.
Only the standard library; a deliberately simple key=value reader (it is for
describing fixtures, not a reference parser).
"""
import collections
import re
import sys

HDR = re.compile(r'^(?:node=(\S+) )?type=(\S+) msg=audit\((\d+)\.(\d+):(\d+)\): ?(.*)$')
SYSCALLS_X86_64 = {321: "bpf", 3: "close", 263: "unlinkat", 87: "unlink", 44: "sendto",
                   59: "execve", 257: "openat", 42: "connect", 231: "exit_group", 60: "exit"}


def fields(body):
    body = body.split("\x1d", 1)[0]
    out = {}
    for m in re.finditer(r'(\S+?)=("[^"]*"|\S*)', body):
        out.setdefault(m.group(1), m.group(2))
    return out


def unhex(v):
    if v.startswith('"'):
        return v.strip('"')
    try:
        return bytes.fromhex(v).decode("utf-8", "replace").replace("\x00", " ")
    except ValueError:
        return v


def summarize(path):
    raw = open(path, "rb").read()
    text = raw.decode("utf-8", "replace")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    events = collections.OrderedDict()
    types = collections.Counter()
    bad = 0
    for ln in lines:
        m = HDR.match(ln)
        if not m:
            bad += 1
            continue
        node, typ, sec, ms, serial, body = m.groups()
        types[typ] += 1
        events.setdefault((node, serial), []).append((typ, body, ln))
    print(f"== {path}: {len(lines)} lines, {len(raw)} bytes, {len(events)} events (node, serial)")
    if bad:
        print(f"   lines not in audit.log form: {bad}")
    print("   record types: " + ", ".join(f"{t}={n}" for t, n in sorted(types.items())))
    print(f"   0x1D (ENRICHED) records: {sum(1 for l in lines if chr(0x1d) in l)}; "
          f"node= prefixed: {sum(1 for l in lines if l.startswith('node='))}; "
          f"EOE with trailing space: {sum(1 for l in lines if 'type=EOE' in l and l.endswith(' '))}")
    nodes = sorted({k[0] for k in events if k[0]})
    if nodes:
        print(f"   nodes: {', '.join(nodes)}")
    ops = collections.Counter()
    ids = {"LOAD": [], "UNLOAD": []}
    ctx = collections.Counter()
    not_first = 0
    no_eoe = 0
    for (node, serial), recs in events.items():
        rtypes = [r[0] for r in recs]
        if rtypes[-1] != "EOE" and "EOE" in types:
            no_eoe += 1
        for i, (typ, body, _) in enumerate(recs):
            if typ not in ("BPF", "UNKNOWN[1334]"):
                continue
            f = fields(body)
            op = f.get("op") or f.get("event", "?")
            ops[op] += 1
            ids.setdefault(op, []).append(f.get("prog-id", "?"))
            if i != 0:
                not_first += 1
            sc = [fields(b) for t, b, _ in recs if t == "SYSCALL"]
            if sc:
                s = sc[0]
                num = int(s.get("syscall", "-1")) if s.get("syscall", "").isdigit() else s.get("syscall")
                name = SYSCALLS_X86_64.get(num, str(num)) if s.get("arch") == "c000003e" else f"{num}(arch {s.get('arch')})"
                ctx[(op, name, unhex(s.get("exe", "?")), s.get("uid", "?"), s.get("euid", "?"))] += 1
            else:
                ctx[(op, "standalone (no SYSCALL)", "-", "-", "-")] += 1
    print("   BPF ops: " + (", ".join(f"{k}={v}" for k, v in sorted(ops.items())) or "none"))
    for op, lst in ids.items():
        if lst:
            uniq = sorted(set(lst), key=lambda x: int(x) if x.isdigit() else -1)
            shown = uniq if len(uniq) <= 12 else uniq[:5] + ["..."] + uniq[-5:]
            print(f"   {op} prog-ids ({len(lst)} records, {len(uniq)} distinct): {' '.join(shown)}")
    for (op, sc, exe, uid, euid), n in sorted(ctx.items()):
        print(f"   {op:6} x{n:<4} syscall={sc} exe={exe} uid={uid} euid={euid}")
    print(f"   BPF records that are not the first record of their event: {not_first}")
    if "EOE" in types:
        print(f"   events not ending in EOE: {no_eoe}")


if __name__ == "__main__":
    for p in sys.argv[1:]:
        summarize(p)
