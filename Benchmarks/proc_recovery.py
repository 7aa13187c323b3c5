#!/usr/bin/env python3
"""Measures loader recovery from /proc (issue 8, section 2) in plugin mode, on a host made
full of descriptors by the fixture loader (`bpfload --fds N`).

Three scenarios, each with kernel lookups on (the default) and off (`--no-lookup`), for the
plugin under test and, with --before, an older build:

- flood: N standalone LOAD records (no SYSCALL context) for prog-ids that do not exist,
  written at once, then end of input: the wall time until the plugin has written every
  alert and exited.
- probe: the BPF records of `bpftool feature probe` (Tests/Fixtures/captured/root-known-loader.log,
  383 LOADs each followed by its UNLOAD) without their SYSCALL, PROCTITLE and EOE records,
  as a host with `-a never,task` writes them, stamped with the current time; 1.5 s and 3 s
  later one complete LOAD event with context each (markers; the first one also makes
  builds that wait for more input start on the probe's events): how long after its write
  the second marker's alert came (how long the input loop was held up), and the time
  until the plugin has exited after end of input.
- held: one standalone LOAD of the program the descriptor holder itself holds, then end of
  input: the time to exit is about one pass over /proc, and the loader is found.

Prints a Markdown table. Needs root (BPF, other processes' /proc) and python3.
"""
import argparse
import os
import re
import selectors
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
POLICY = "alert any op=load\nalert gone op=unload\n"
MARKER_ID = 4_100_000_000


def now_stamp():
    return "%.3f" % time.time()


def flood_records(count):
    stamp = now_stamp()
    return "".join("type=BPF msg=audit(%s:%d): prog-id=%d op=LOAD\n" % (stamp, 1000 + i, 4_000_000_000 + i) for i in range(count))


def probe_records():
    """The capture's BPF records, restamped to start now (live records carry the current
    time), their spacing kept."""
    path = os.path.join(ROOT, "Tests/Fixtures/captured/root-known-loader.log")
    with open(path, "rb") as handle:
        lines = [line for line in handle.read().split(b"\n") if line.startswith(b"type=BPF ")]
    stamp = re.compile(rb"msg=audit\((\d+)\.(\d{3}):")
    first = None
    now = int(time.time() * 1000)
    restamped = []
    for line in lines:
        match = stamp.search(line)
        milliseconds = int(match.group(1)) * 1000 + int(match.group(2))
        first = milliseconds if first is None else first
        shifted = now + milliseconds - first
        restamped.append(line[:match.start()] + b"msg=audit(%d.%03d:" % (shifted // 1000, shifted % 1000) + line[match.end():])
    return b"\n".join(restamped) + b"\n"


def marker_event(index):
    """A complete LOAD event with context, stamped now: its alert needs no wait of its own."""
    stamp = now_stamp()
    return ("type=BPF msg=audit({0}:{2}): prog-id={1} op=LOAD\n"
            "type=SYSCALL msg=audit({0}:{2}): arch=c000003e syscall=321 success=yes exit=3 a0=5 a1=7ffd a2=90 a3=0 items=0"
            " ppid=1 pid=4242 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none)"
            " ses=4294967295 comm=\"marker\" exe=\"/usr/local/sbin/marker\" key=(null)\n"
            "type=EOE msg=audit({0}:{2}):\n").format(stamp, MARKER_ID + index, 99999990 + index)


# Markers are written this long after the payload. The first starts the processing of the
# payload's open events in builds that wait for more input; the second measures the stall.
MARKER_DELAYS = (1.5, 3.0)


def held_record(program_id):
    return ("type=BPF msg=audit(%s:1): prog-id=%d op=LOAD\n" % (now_stamp(), program_id)).encode()


def policy_text(binary):
    """POLICY, folding nothing and capping nothing (every alert its own line) when the build
    knows those settings (older builds do not)."""
    settings = "fold_window = 0\nmax_alerts_per_minute = 0\n"
    with tempfile.NamedTemporaryFile("w", suffix=".policy", delete=False) as probe:
        probe.write(settings + POLICY)
    known = subprocess.run([binary, "--check", "--policy", probe.name], capture_output=True).returncode == 0
    os.unlink(probe.name)
    return settings + POLICY if known else POLICY


def run_plugin(binary, lookup, payload, marker=False):
    """Runs the plugin on `payload` (then, with `marker`, the marker events MARKER_DELAYS
    after it is written), closes its input; returns the wall time to exit, the time from the
    last marker's write to its alert (or None), the alert count, the summary and the alert
    lines."""
    with tempfile.NamedTemporaryFile("w", suffix=".policy", delete=False) as policy:
        policy.write(policy_text(binary))
    command = [binary, "--policy", policy.name, "--output", "stdout"] + ([] if lookup else ["--no-lookup"])
    plugin = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # Wait for start-up (the inventory of loaded programs) so that it is not measured.
    stderr = b""
    while b"started" not in stderr:
        chunk = os.read(plugin.stderr.fileno(), 65536)
        if not chunk:
            break
        stderr += chunk
    start = time.monotonic()
    data = payload
    markers_written = []
    os.set_blocking(plugin.stdin.fileno(), False)
    selector = selectors.DefaultSelector()
    selector.register(plugin.stdout, selectors.EVENT_READ, "out")
    selector.register(plugin.stderr, selectors.EVENT_READ, "err")
    selector.register(plugin.stdin, selectors.EVENT_WRITE, "in")
    stdout = b""
    marker_seen = None
    offset = 0
    open_streams = 2
    payload_written = None
    while open_streams:
        if marker and payload_written is not None and len(markers_written) < len(MARKER_DELAYS) \
                and time.monotonic() >= payload_written + MARKER_DELAYS[len(markers_written)]:
            data += marker_event(len(markers_written)).encode()
            markers_written.append(time.monotonic())
            selector.register(plugin.stdin, selectors.EVENT_WRITE, "in")
        for key, _ in selector.select(timeout=0.05):
            if key.data == "in":
                try:
                    offset += os.write(plugin.stdin.fileno(), data[offset:offset + 65536])
                except BrokenPipeError:
                    offset = len(data)
                if offset >= len(data):
                    selector.unregister(plugin.stdin)
                    if payload_written is None:
                        payload_written = time.monotonic()
                    if not marker or len(markers_written) == len(MARKER_DELAYS):
                        plugin.stdin.close()
                continue
            chunk = os.read(key.fileobj.fileno(), 65536)
            if not chunk:
                selector.unregister(key.fileobj)
                open_streams -= 1
            elif key.data == "out":
                stdout += chunk
                last = len(MARKER_DELAYS) - 1
                if marker_seen is None and len(markers_written) > last and (" prog-id=%d " % (MARKER_ID + last)).encode() in stdout:
                    marker_seen = time.monotonic() - markers_written[last]
            else:
                stderr += chunk
    plugin.wait()
    elapsed = time.monotonic() - start
    os.unlink(policy.name)
    summary = stderr.decode(errors="replace").split("exiting:")[-1].strip()
    return elapsed, marker_seen, stdout.count(b"\n"), summary, stdout.decode(errors="replace")


def counters(summary, names):
    found = dict(re.findall(r"(\w+)=(\d+)", summary))
    return " ".join("%s=%s" % (name, found[name]) for name in names if name in found)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plugin", required=True, help="the plugin under test")
    parser.add_argument("--before", help="an older build to compare with")
    parser.add_argument("--bpfload", required=True, help="the fixture loader (Tests/Fixtures/loader/bpfload.c, built)")
    parser.add_argument("--loads", type=int, default=1000, help="LOADs in the flood (default 1000)")
    parser.add_argument("--fds", type=int, default=19000, help="descriptors the holder opens (default 19000)")
    parser.add_argument("--scenarios", default="flood,probe,held", help="which to run (default: flood,probe,held)")
    args = parser.parse_args()
    scenarios = set(args.scenarios.split(","))

    holder = subprocess.Popen([args.bpfload, "--fds", str(args.fds), "--hold", "3600000", "--name", "fd_holder"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = holder.stdout.readline().decode()
        if "prog-id=" not in line:
            raise SystemExit("bpfload --fds failed: " + holder.stderr.read().decode())
        held_id = int(re.search(r"prog-id=(\d+)", line).group(1))
        host_fds = sum(len(os.listdir("/proc/%s/fd" % pid)) for pid in os.listdir("/proc") if pid.isdigit()
                       and os.path.exists("/proc/%s/fd" % pid))
        print("Host: %d open descriptors (holder pid %d), load average %s, kernel %s." % (
            host_fds, holder.pid, " ".join(open("/proc/loadavg").read().split()[:3]), os.uname().release))
        print()
        print("| build | lookups | scenario | time to exit | input held up (2nd marker's alert) | alerts | recovery counters |")
        print("|---|---|---|---|---|---|---|")
        builds = [("this", args.plugin)] + ([("before", args.before)] if args.before else [])
        names = ["recovery_requests", "recovery_passes", "recovered_loaders", "unrecovered_loaders", "recovery_timeouts", "recovery_shed"]
        for label, binary in builds:
            for lookup in (True, False):
                if "flood" in scenarios:
                    elapsed, _, alerts, summary, _ = run_plugin(binary, lookup, flood_records(args.loads).encode())
                    print("| %s | %s | flood of %d context-less LOADs | %.2f s (%.2f ms per LOAD) | – | %d | %s |" % (
                        label, "on" if lookup else "off", args.loads, elapsed, 1000 * elapsed / args.loads, alerts,
                        counters(summary, names) or "–"))
                if "probe" in scenarios:
                    elapsed, marker, alerts, summary, _ = run_plugin(binary, lookup, probe_records(), marker=True)
                    print("| %s | %s | bpftool feature probe without context, then 2 events | %.2f s | %s | %d | %s |" % (
                        label, "on" if lookup else "off", elapsed, "%.3f s" % marker if marker is not None else "n/a", alerts,
                        counters(summary, names) or "–"))
                if "held" in scenarios:
                    elapsed, _, alerts, summary, text = run_plugin(binary, lookup, held_record(held_id))
                    found = "identity=proc" in text and " pid=%d " % holder.pid in text
                    print("| %s | %s | 1 context-less LOAD of a held program (%s) | %.3f s | – | %d | %s |" % (
                        label, "on" if lookup else "off", "holder found" if found else "holder not found", elapsed, alerts,
                        counters(summary, names) or "–"))
    finally:
        holder.kill()
        holder.wait()


if __name__ == "__main__":
    main()
