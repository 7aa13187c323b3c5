#!/usr/bin/env python3
"""Alert latency of audisp-bpfguard in plugin mode.

Runs the plugin as auditd would (`audisp-bpfguard --policy P --output stdout`, records on a
pipe to its standard input), with a policy that alerts on every LOAD, and measures for each
LOAD event the time from the write that put the event's last record (its EOE) into the pipe
to the moment its alert line is read from the plugin's standard output (alerts carry
`event=SEC.MSEC:SERIAL`; they are matched on the serial).

Modes:
  busy   the generated stream (generate_stream.py) is written as fast as the plugin reads
         it, in chunks of whole records (at most --chunk bytes; a chunk ends after the EOE
         of each LOAD event, so that its write time is exact);
  quiet  BPF events alone, one every --interval-ms (a LOAD, then its UNLOAD, then the next
         LOAD …), taken from the captured templates, stamped with the current time, each
         record written with its own write(2) as auditd does. With --live-loader each LOAD
         names a program really loaded (and held) at that moment, so that the plugin's
         kernel lookup by prog-id (on by default in plugin mode) finds it and does its work.

One process, one thread: a selectors loop writes and reads, so that the reader never waits
for the writer. Prints a JSON summary on standard output (--json FILE writes it there too).
"""

import argparse
import json
import math
import os
import re
import selectors
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
import generate_stream  # noqa: E402  (templates for the quiet mode)

POLICY = """# latency benchmark: an alert for every LOAD, none folded or capped
facility = authpriv
default = allow
fold_window = 0
max_alerts_per_minute = 0
alert any op=load priority=info
"""

ALERT_EVENT = re.compile(rb"\bop=LOAD\b.*\bevent=\d+\.\d+:(\d+)\b")
LOAD_RECORD = re.compile(rb"type=BPF msg=audit\((\d+\.\d+):(\d+)\): prog-id=\d+ op=LOAD")


def percentile(sorted_values, fraction):
    """Nearest-rank percentile of a sorted list."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


class Run:
    def __init__(self, command, stderr_path):
        self.stderr_file = open(stderr_path, "wb")
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=self.stderr_file, bufsize=0)
        self.stdin = self.process.stdin.fileno()
        self.stdout = self.process.stdout.fileno()
        os.set_blocking(self.stdin, False)
        os.set_blocking(self.stdout, False)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.stdout, selectors.EVENT_READ, "out")
        self.partial = b""
        self.alert_times = {}  # serial -> monotonic ns when its alert line was read
        self.alert_lines = 0
        self.eof = False
        self.wait_started(stderr_path)

    def wait_started(self, stderr_path, seconds=15.0):
        """Waits for the plugin's start-up message (kernel symbols, inventory, package
        databases read), so that start-up is not counted as alert latency (it has its own
        figure); without a standard error file there is nothing to wait on."""
        if stderr_path == os.devnull:
            return
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self.process.poll() is None:
            with open(stderr_path, "rb") as handle:
                if b" started " in handle.read():
                    return
            time.sleep(0.02)

    def read_alerts(self):
        """Reads what the plugin has written; timestamps complete alert lines."""
        while True:
            try:
                data = os.read(self.stdout, 1 << 16)
            except BlockingIOError:
                return
            now = time.monotonic_ns()
            if not data:
                self.eof = True
                self.selector.unregister(self.stdout)
                return
            lines = (self.partial + data).split(b"\n")
            self.partial = lines.pop()
            for line in lines:
                self.alert_lines += 1
                match = ALERT_EVENT.search(line)
                if match:
                    self.alert_times.setdefault(int(match.group(1)), now)

    def close_input(self):
        try:
            self.selector.unregister(self.stdin)
        except (KeyError, ValueError):
            pass
        os.close(self.stdin)
        self.process.stdin = None

    def finish(self, timeout):
        """Input is closed: reads alerts until the plugin exits."""
        deadline = time.monotonic() + timeout
        while not self.eof and time.monotonic() < deadline:
            for key, _ in self.selector.select(0.2):
                if key.data == "out":
                    self.read_alerts()
        if not self.eof:
            self.process.send_signal(signal.SIGKILL)
        status = self.process.wait()
        self.stderr_file.close()
        return status


def busy(args, command):
    with open(args.stream, "rb") as handle:
        data = handle.read()
    view = memoryview(data)
    # The LOAD events and the end of their last record.
    marks = []  # (end offset of the event's last record, serial)
    for match in LOAD_RECORD.finditer(data):
        stamp, serial = match.group(1), match.group(2)
        eoe = data.find(b"type=EOE msg=audit(" + stamp + b":" + serial + b"):", match.end())
        if eoe < 0:
            end = data.index(b"\n", match.end()) + 1  # standalone LOAD: the BPF record is the event
        else:
            end = data.index(b"\n", eoe) + 1
        marks.append((end, int(serial)))
    marks.sort()
    written = {}
    run = Run(command, args.stderr)
    run.selector.register(run.stdin, selectors.EVENT_WRITE, "in")
    position = 0
    mark = 0
    total = len(data)
    started = time.monotonic_ns()
    while position < total:
        for key, _ in run.selector.select(5.0):
            if key.data == "out":
                run.read_alerts()
            elif key.data == "in" and position < total:
                limit = position + args.chunk
                if mark < len(marks) and marks[mark][0] < limit:
                    limit = marks[mark][0]
                else:
                    cut = data.rfind(b"\n", position, min(limit, total))
                    limit = cut + 1 if cut >= position else min(limit, total)
                try:
                    count = os.write(run.stdin, view[position:limit])
                except BlockingIOError:
                    continue
                except BrokenPipeError:
                    sys.exit("latency: the plugin closed its input early (see %s)" % args.stderr)
                position += count
                now = time.monotonic_ns()
                while mark < len(marks) and marks[mark][0] <= position:
                    written[marks[mark][1]] = now
                    mark += 1
        if run.eof:
            sys.exit("latency: the plugin exited early (see %s)" % args.stderr)
    input_done = time.monotonic_ns()
    run.close_input()
    status = run.finish(args.timeout)
    return run, written, status, {"bytes": total, "input_seconds": (input_done - started) / 1e9}


def quiet(args, command):
    templates = generate_stream.load_templates()
    if args.skip_standalone:
        templates = [t for t in templates if not t.standalone_unload]
    import random
    rng = random.Random(args.seed)
    run = Run(command, args.stderr)
    written = {}
    serial = 900000
    prog_id = 500000
    interval = args.interval_ms / 1000.0
    next_time = time.monotonic() + 0.5  # let the plugin start
    standalone = 0
    last_standalone = None
    after_standalone = set()

    def wait_until(when):
        while True:
            remaining = when - time.monotonic()
            if remaining <= 0:
                return
            for key, _ in run.selector.select(remaining):
                if key.data == "out":
                    run.read_alerts()
            if run.eof:
                sys.exit("latency: the plugin exited early (see %s)" % args.stderr)

    def write_event(records, serial_):
        stamp = time.time()
        ms = int(stamp * 1000)
        for type_, rest in records:
            line = b"type=%s msg=audit(%d.%03d:%d):%s\n" % (type_, ms // 1000, ms % 1000, serial_, rest)
            view = memoryview(line)
            while view:
                try:
                    count = os.write(run.stdin, view)
                except BlockingIOError:
                    run.selector.select(0.001)
                    continue
                view = view[count:]
        return time.monotonic_ns()

    holders = []
    for number in range(args.events):
        template = templates[rng.randrange(len(templates))]
        wait_until(next_time)
        if args.live_loader:
            # A real program, held for a while, so that the plugin's kernel lookup finds it.
            holder = subprocess.Popen([args.live_loader, "--name", "lat_%d" % number, "--hold", "1500"],
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            match = re.search(rb"prog-id=(\d+)", holder.stdout.readline())
            holders.append(holder)
            if not match:
                sys.exit("latency: %s did not load a program" % args.live_loader)
            prog_id = int(match.group(1))
        load = generate_stream.with_prog_id(template.load, prog_id)
        unload = generate_stream.with_prog_id(template.unload, prog_id)
        written[serial] = write_event(load, serial)
        if last_standalone is not None and written[serial] - last_standalone < 3_500_000_000:
            after_standalone.add(serial)
        serial += 1
        next_time += interval
        wait_until(next_time)
        sent = write_event(unload, serial)
        if template.standalone_unload:
            standalone += 1
            last_standalone = sent
        serial += 1
        next_time += interval
        prog_id += 1
    wait_until(time.monotonic() + 0.2)
    run.close_input()
    status = run.finish(args.timeout)
    for holder in holders:
        holder.wait()
    return run, written, status, {"interval_ms": args.interval_ms, "standalone_unloads": standalone,
                                  "templates": len(templates), "after_standalone": after_standalone,
                                  "live_programs": bool(args.live_loader)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plugin", required=True, help="the audisp-bpfguard binary")
    parser.add_argument("--mode", choices=("busy", "quiet"), required=True)
    parser.add_argument("--stream", help="busy mode: the stream to write (generate_stream.py output)")
    parser.add_argument("--chunk", type=int, default=65536, help="busy mode: largest write, bytes (default 65536)")
    parser.add_argument("--events", type=int, default=150, help="quiet mode: LOAD events (each followed by its UNLOAD; default 150)")
    parser.add_argument("--interval-ms", type=float, default=50.0, help="quiet mode: time between BPF events (default 50)")
    parser.add_argument("--skip-standalone", action="store_true", help="quiet mode: leave out the templates whose UNLOAD is a standalone BPF record")
    parser.add_argument("--live-loader", metavar="BPFLOAD", help="quiet mode: before each LOAD, load a real program with this loader"
                        " (Tests/Fixtures/loader/bpfload.c, held 1.5 s) and use its prog-id, so that the plugin's kernel lookup finds it")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--policy", help="policy file (default: a temporary one with 'alert any op=load')")
    parser.add_argument("--plugin-arg", action="append", default=[], help="extra argument for the plugin (repeatable)")
    parser.add_argument("--stderr", default=os.devnull, help="where the plugin's standard error goes")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the plugin to exit after end of input")
    parser.add_argument("--json", help="also write the summary to this file")
    args = parser.parse_args()
    if args.mode == "busy" and not args.stream:
        parser.error("--mode busy needs --stream")

    policy_file = None
    policy = args.policy
    if policy is None:
        policy_file = tempfile.NamedTemporaryFile("w", prefix="bpfguard-latency-", suffix=".policy", delete=False)
        policy_file.write(POLICY)
        policy_file.close()
        policy = policy_file.name
    command = [args.plugin, "--policy", policy, "--output", "stdout"] + args.plugin_arg
    try:
        if args.mode == "busy":
            run, written, status, extra = busy(args, command)
        else:
            run, written, status, extra = quiet(args, command)
    finally:
        if policy_file is not None:
            os.unlink(policy_file.name)

    after_standalone = extra.pop("after_standalone", set())
    latencies = []
    by_serial = []
    missing = 0
    for serial, sent in written.items():
        received = run.alert_times.get(serial)
        if received is None:
            missing += 1
        else:
            latencies.append((received - sent) / 1e6)
            by_serial.append((latencies[-1], serial))
    latencies.sort()
    by_serial.sort(reverse=True)
    summary = {
        "mode": args.mode,
        "command": command,
        "exit_status": status,
        "load_events": len(written),
        "alerts_matched": len(latencies),
        "alerts_missing": missing,
        "alert_lines": run.alert_lines,
        "latency_ms": {
            "min": round(latencies[0], 3) if latencies else None,
            "p50": round(percentile(latencies, 0.50), 3) if latencies else None,
            "p90": round(percentile(latencies, 0.90), 3) if latencies else None,
            "p99": round(percentile(latencies, 0.99), 3) if latencies else None,
            "max": round(latencies[-1], 3) if latencies else None,
        },
        "over_10ms": sum(1 for value in latencies if value > 10.0),
        "worst": [{"serial": serial, "ms": round(value, 3)} for value, serial in by_serial[:5]],
    }
    if args.mode == "quiet":
        # LOADs written less than 3.5 s after a standalone UNLOAD (no EOE) vs the others.
        for name, chosen in (("after_standalone", [v for v, s_ in by_serial if s_ in after_standalone]),
                             ("not_after_standalone", [v for v, s_ in by_serial if s_ not in after_standalone])):
            chosen.sort()
            summary[name] = {"loads": len(chosen),
                             "p50_ms": round(percentile(chosen, 0.5), 3) if chosen else None,
                             "p99_ms": round(percentile(chosen, 0.99), 3) if chosen else None,
                             "max_ms": round(chosen[-1], 3) if chosen else None}
    summary.update(extra)
    text = json.dumps(summary, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w") as handle:
            handle.write(text + "\n")
    return 0 if status == 0 and missing == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
