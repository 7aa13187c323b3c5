#!/usr/bin/env python3
"""Generate a realistic, deterministic audit record stream for the audisp-bpfguard benchmark.

The stream is built from real captures (Tests/Fixtures/captured):

* the busy traffic of busy-sample.log (execve/openat/connect syscall events, ENRICHED) is
  replicated copy after copy: each event's records stay together as captured, events that
  interleave in the capture interleave the same way in every copy, serials are renumbered
  (strictly increasing in the order of the original serials) and timestamps advance by the
  capture's span from one copy to the next;
* BPF events are inserted between those events: a LOAD event (BPF + SYSCALL + PROCTITLE +
  EOE) taken from a captured LOAD, with a fresh prog-id, and "some time later" (the lifetime
  the program had in its capture) the UNLOAD event captured with it, with the same prog-id.
  Most UNLOADs come with the close()/unlinkat() SYSCALL of their capture; the two of
  killed-loader.log are standalone BPF records (no SYSCALL, no EOE), as the kernel writes
  them when the holder of the program is killed.

The BPF events of busy-sample.log itself, auditd's own start-up events and the DAEMON_*
records are left out of the replicated traffic (the stream gets one DAEMON_START at its
start and one DAEMON_END at its end), so that the share of BPF events is what
--bpf-share asks for.

Output: the stream (one record per line) and, next to it, FILE.meta.json with its counts.
The same arguments always give the same bytes.
"""

import argparse
import json
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
CAPTURED = os.path.join(REPO, "Tests", "Fixtures", "captured")
BUSY_SAMPLE = "busy-sample.log"

# Captured scenarios whose LOAD/UNLOAD pairs serve as templates, with the number of pairs
# taken from each (None: all). raw-format.log is left out: it lacks the ENRICHED part of
# its records (RAW output is made from the ENRICHED templates instead). node-prefix.log is
# used with its node= prefix removed.
TEMPLATE_SOURCES = [
    ("root-unknown-path.log", None),
    ("unprivileged-capbpf.log", None),
    ("pinned.log", None),
    ("space-in-path.log", None),
    ("deleted-exe.log", None),
    ("program-types.log", None),
    ("killed-loader.log", None),
    ("daemon-hup.log", None),
    ("with-bpf-rule.log", None),
    ("node-prefix.log", None),
    ("busy-sample.log", None),
    ("root-known-loader.log", 4),  # 383 bpftool probe pairs: a few are enough
]

LOAD_SHAPE = [b"BPF", b"SYSCALL", b"PROCTITLE", b"EOE"]
FIRST_PROG_ID = 100000
LINE = re.compile(rb"^(?:node=(\S+) )?type=(\S+) msg=audit\((\d+)\.(\d{3}):(\d+)\):(.*)$", re.S)
PROG_ID = re.compile(rb"^(.*\bprog-id=)(\d+)(\b.*)$", re.S)
OP = re.compile(rb"\bop=(LOAD|UNLOAD)\b")
GS = b"\x1d"


class Record:
    """One captured record: type, time in milliseconds, serial, text after 'msg=audit(…):'."""

    __slots__ = ("type", "ms", "serial", "rest")

    def __init__(self, type_, ms, serial, rest):
        self.type = type_
        self.ms = ms
        self.serial = serial
        self.rest = rest


def read_records(path):
    """Records of a captured file in file order (node= prefixes dropped)."""
    records = []
    with open(path, "rb") as handle:
        for raw in handle.read().split(b"\n"):
            match = LINE.match(raw)
            if not match:
                continue
            _, type_, sec, msec, serial, rest = match.groups()
            records.append(Record(type_, int(sec) * 1000 + int(msec), int(serial), rest))
    return records


def group_events(records):
    """{serial: [records]} in order of first appearance (dicts keep insertion order)."""
    events = {}
    for record in records:
        events.setdefault(record.serial, []).append(record)
    return events


def bpf_fields(record):
    match_id = PROG_ID.match(record.rest)
    match_op = OP.search(record.rest)
    if not match_id or not match_op:
        return None
    return int(match_id.group(2)), match_op.group(1).decode()


class Template:
    """A captured LOAD event and the UNLOAD event of the same program."""

    def __init__(self, source, load, unload, lifetime_ms):
        self.source = source
        self.load = [(r.type, r.rest) for r in load]
        self.unload = [(r.type, r.rest) for r in unload]
        self.lifetime_ms = lifetime_ms
        self.standalone_unload = [r.type for r in unload] == [b"BPF"]


def load_templates():
    templates = []
    for name, limit in TEMPLATE_SOURCES:
        events = group_events(read_records(os.path.join(CAPTURED, name)))
        loads = {}
        taken = 0
        for serial, records in events.items():
            bpf = [r for r in records if r.type == b"BPF"]
            if len(bpf) != 1:
                continue
            fields = bpf_fields(bpf[0])
            if fields is None:
                continue
            prog_id, op = fields
            if op == "LOAD" and [r.type for r in records] == LOAD_SHAPE:
                loads[prog_id] = records
            elif op == "UNLOAD" and prog_id in loads:
                load = loads.pop(prog_id)
                templates.append(Template(name, load, records, records[0].ms - load[0].ms))
                taken += 1
                if limit is not None and taken >= limit:
                    break
    if not templates:
        sys.exit("generate_stream: no BPF templates found under " + CAPTURED)
    return templates


class Traffic:
    """The busy traffic of busy-sample.log, without its BPF events and auditd's own records."""

    def __init__(self):
        records = read_records(os.path.join(CAPTURED, BUSY_SAMPLE))
        self.daemon_start = next(r for r in records if r.type == b"DAEMON_START")
        self.daemon_end = next(r for r in records if r.type == b"DAEMON_END")
        events = group_events(r for r in records if not r.type.startswith(b"DAEMON_"))
        dropped = set()
        for serial, recs in events.items():
            if any(r.type == b"BPF" for r in recs):
                dropped.add(serial)  # BPF events are inserted at a controlled rate instead
            elif any(r.type == b"SYSCALL" and b' comm="auditd" ' in r.rest for r in recs):
                dropped.add(serial)  # auditd's own start-up events
        self.records = [r for r in records if not r.type.startswith(b"DAEMON_") and r.serial not in dropped]
        kept = group_events(self.records)
        # Serials in original order: the new serials follow this order.
        self.serials = sorted(kept)
        self.first_index = {}
        self.remaining = {}
        for index, record in enumerate(self.records):
            self.first_index.setdefault(record.serial, index)
            self.remaining[record.serial] = self.remaining.get(record.serial, 0) + 1
        self.event_ms = {serial: kept[serial][0].ms for serial in self.serials}
        first = min(r.ms for r in self.records)
        last = max(r.ms for r in self.records)
        gap = max(1, round((last - first) / max(1, len(self.serials))))
        self.first_ms = first
        self.period_ms = last - first + gap


class Renderer:
    """Turns (type, rest) into output lines for the chosen format and node prefix."""

    def __init__(self, fmt, node):
        self.raw = fmt == "raw"
        self.prefix = b"node=" + node.encode() + b" " if node else b""
        # RAW format, and any node= prefix, give EOE records a trailing space.
        self.eoe_rest = b" " if (self.raw or node) else b""

    def rest(self, type_, rest):
        if type_ == b"EOE":
            return self.eoe_rest
        if self.raw:
            cut = rest.find(GS)
            if cut >= 0:
                rest = rest[:cut]
            if type_ == b"DAEMON_START":
                rest = rest.replace(b"format=enriched", b"format=raw")
        return rest

    def line(self, type_, ms, serial, rest):
        return b"%stype=%s msg=audit(%d.%03d:%d):%s\n" % (self.prefix, type_, ms // 1000, ms % 1000, serial, rest)


def with_prog_id(records, prog_id):
    out = []
    for type_, rest in records:
        if type_ == b"BPF":
            match = PROG_ID.match(rest)
            rest = match.group(1) + str(prog_id).encode() + match.group(3)
        out.append((type_, rest))
    return out


class Stats:
    def __init__(self):
        self.records = 0
        self.events = 0
        self.bpf_events = 0
        self.loads = 0
        self.unloads = 0
        self.standalone_unloads = 0
        self.bytes = 0
        self.first_prog_id = None
        self.last_prog_id = None

    def note_prog_id(self, prog_id):
        if self.first_prog_id is None:
            self.first_prog_id = prog_id
        self.last_prog_id = prog_id


class Writer:
    """Buffered output, counting records and bytes."""

    def __init__(self, handle, stats):
        self.handle = handle
        self.stats = stats
        self.parts = []
        self.pending = 0

    def emit(self, line):
        self.parts.append(line)
        self.pending += len(line)
        self.stats.records += 1
        self.stats.bytes += len(line)
        if self.pending >= 1 << 20:
            self.flush()

    def flush(self):
        self.handle.write(b"".join(self.parts))
        self.parts = []
        self.pending = 0


def generate_mixed(args, out, stats):
    rng = random.Random(args.seed)
    traffic = Traffic()
    templates = load_templates()
    render = Renderer(args.format, args.node)
    base_rest = [render.rest(r.type, r.rest) for r in traffic.records]
    templates_rendered = [
        ([(t, render.rest(t, r)) for t, r in tpl.load], [(t, render.rest(t, r)) for t, r in tpl.unload], tpl)
        for tpl in templates
    ]

    # A LOAD brings an UNLOAD: 2q BPF events per (1 + 2q) events gives the share s.
    share = args.bpf_share
    loads_per_event = share / (2.0 * (1.0 - share)) if share > 0 else 0.0
    mean_gap = 1.0 / loads_per_event if loads_per_event > 0 else None

    def next_gap():
        # Spacing of LOADs in base events: uniform around the mean, so the share is steady.
        return max(1, int(round(rng.uniform(0.5, 1.5) * mean_gap))) if mean_gap else None

    countdown = next_gap()
    serial = traffic.serials[0]
    prog_id = FIRST_PROG_ID
    pending = []  # [due_ms, emission position of the LOAD, unload records]
    base_count = len(traffic.records)

    ds = traffic.daemon_start
    out.emit(render.line(ds.type, traffic.first_ms - 3, ds.serial, render.rest(ds.type, ds.rest)))
    stats.events += 1

    def emit_event(records, ms, serial_):
        for type_, rest in records:
            out.emit(render.line(type_, ms, serial_, rest))
        stats.events += 1

    copy = 0
    done = False
    last_ms = traffic.first_ms
    while not done:
        offset = copy * traffic.period_ms
        # Plan this copy in the order of the original serials: new serials, and the BPF
        # events to write just before each event's first record.
        new_serial = {}
        inserts = {}
        for old in traffic.serials:
            ms = traffic.event_ms[old] + offset
            position = copy * base_count + traffic.first_index[old]
            attached = []
            keep = []
            for item in pending:
                # An UNLOAD goes with the first event at or after its due time that is
                # written after its LOAD.
                if item[0] <= ms and item[1] < position:
                    attached.append(("unload", item[2], item[3]))
                else:
                    keep.append(item)
            pending = keep
            if countdown is not None:
                countdown -= 1
                if countdown <= 0:
                    countdown = next_gap()
                    load, unload, tpl = templates_rendered[rng.randrange(len(templates_rendered))]
                    attached.append(("load", with_prog_id(load, prog_id), prog_id))
                    pending.append([ms + tpl.lifetime_ms, position, with_prog_id(unload, prog_id), prog_id])
                    prog_id += 1
            if attached:
                planned = []
                for kind, records, pid in attached:
                    planned.append((kind, records, pid, ms, serial))
                    serial += 1
                inserts[old] = planned
            new_serial[old] = serial
            serial += 1

        # Write the copy in the captured record order.
        remaining = dict(traffic.remaining)
        open_events = 0
        for index, record in enumerate(traffic.records):
            if stats.records >= args.records and open_events == 0:
                done = True
                break
            old = record.serial
            if traffic.first_index[old] == index:
                for kind, records, pid, ms, serial_ in inserts.get(old, ()):
                    emit_event(records, ms, serial_)
                    stats.bpf_events += 1
                    stats.note_prog_id(pid)
                    if kind == "load":
                        stats.loads += 1
                    else:
                        stats.unloads += 1
                        if [t for t, _ in records] == [b"BPF"]:
                            stats.standalone_unloads += 1
                stats.events += 1
                open_events += 1
            ms = record.ms + offset
            last_ms = max(last_ms, ms)
            out.emit(render.line(record.type, ms, new_serial[old], base_rest[index]))
            remaining[old] -= 1
            if remaining[old] == 0:
                open_events -= 1
        copy += 1

    de = traffic.daemon_end
    out.emit(render.line(de.type, last_ms + 1, de.serial + 1, render.rest(de.type, de.rest)))
    stats.events += 1
    stats.live_at_end = stats.loads - stats.unloads
    stats.copies = copy
    stats.templates = len(templates)


def generate_loads_only(args, out, stats):
    """A flood of LOAD events, nothing else: one every millisecond, fresh prog-ids."""
    rng = random.Random(args.seed)
    traffic = Traffic()
    templates = load_templates()
    render = Renderer(args.format, args.node)
    loads = [[(t, render.rest(t, r)) for t, r in tpl.load] for tpl in templates]
    ds = traffic.daemon_start
    ms = traffic.first_ms
    out.emit(render.line(ds.type, ms - 3, ds.serial, render.rest(ds.type, ds.rest)))
    stats.events += 1
    serial = traffic.serials[0]
    for n in range(args.loads_only):
        prog_id = FIRST_PROG_ID + n
        for type_, rest in with_prog_id(loads[rng.randrange(len(loads))], prog_id):
            out.emit(render.line(type_, ms, serial, rest))
        stats.events += 1
        stats.bpf_events += 1
        stats.loads += 1
        stats.note_prog_id(prog_id)
        serial += 1
        ms += 1
    de = traffic.daemon_end
    out.emit(render.line(de.type, ms, de.serial + 1, render.rest(de.type, de.rest)))
    stats.events += 1
    stats.live_at_end = args.loads_only
    stats.copies = 0
    stats.templates = len(templates)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="records to write (the stream ends at the first event boundary at or after N; default 1000000)")
    parser.add_argument("--bpf-share", type=float, default=0.001, help="share of events that hold a BPF record (default 0.001)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--format", choices=("enriched", "raw"), default="enriched", help="log_format of the stream (default enriched)")
    parser.add_argument("--node", metavar="NAME", help="prefix every record with 'node=NAME '")
    parser.add_argument("--loads-only", type=int, metavar="N", help="write a flood of N LOAD events and nothing else (memory test)")
    parser.add_argument("-o", "--output", required=True, help="output file ('-': standard output)")
    parser.add_argument("--meta", help="where the counts go as JSON (default OUTPUT.meta.json; none for '-')")
    args = parser.parse_args(argv)
    if not 0 <= args.bpf_share < 0.5:
        parser.error("--bpf-share must be in [0, 0.5)")
    if args.node is not None and not re.fullmatch(r"[A-Za-z0-9._-]+", args.node):
        parser.error("--node: letters, digits, '.', '_', '-' only")

    stats = Stats()
    to_stdout = args.output == "-"
    if to_stdout:
        handle = sys.stdout.buffer
    else:
        os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
        temporary = args.output + ".partial"
        handle = open(temporary, "wb")
    try:
        out = Writer(handle, stats)
        if args.loads_only is not None:
            generate_loads_only(args, out, stats)
        else:
            generate_mixed(args, out, stats)
        out.flush()
        handle.flush()
    except BrokenPipeError:
        sys.stderr.write("generate_stream: output closed early\n")
        return 1
    finally:
        if not to_stdout:
            handle.close()
    if not to_stdout:
        os.replace(temporary, args.output)

    meta = {
        "output": "-" if to_stdout else os.path.abspath(args.output),
        "arguments": {
            "records": args.records, "bpf_share": args.bpf_share, "seed": args.seed,
            "format": args.format, "node": args.node, "loads_only": args.loads_only,
        },
        "records": stats.records,
        "bytes": stats.bytes,
        "events": stats.events,
        "bpf_events": stats.bpf_events,
        "bpf_event_share": round(stats.bpf_events / stats.events, 6) if stats.events else 0,
        "loads": stats.loads,
        "unloads": stats.unloads,
        "standalone_unloads": stats.standalone_unloads,
        "live_programs_at_end": stats.live_at_end,
        "first_prog_id": stats.first_prog_id,
        "last_prog_id": stats.last_prog_id,
        "busy_sample_copies": stats.copies,
        "templates": stats.templates,
    }
    if args.meta or not to_stdout:
        with open(args.meta or args.output + ".meta.json", "w") as handle:
            json.dump(meta, handle, indent=2)
            handle.write("\n")
    print("generate_stream: %s: %d records, %d bytes, %d events, %d BPF events (%d loads, %d unloads, %d standalone)"
          % (args.output, stats.records, stats.bytes, stats.events, stats.bpf_events, stats.loads, stats.unloads,
             stats.standalone_unloads), file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
