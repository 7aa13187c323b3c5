#!/usr/bin/env python3
"""Measures the periodic scan of issue 12 (op=persist, op=unseen) with many loaded programs.

The fixture loader (Tests/Fixtures/loader/bpfload.c, built here) loads N real programs
(default 10,000) and holds them in one process (it raises RLIMIT_NOFILE to fit). The plugin
runs in plugin mode with kernel lookups, standard input a pipe kept open and idle, a policy
with `scan_interval` (default 10s, the shipped default) and its own known-programs file.
After start-up (the inventory of the N programs), the CPU time of each of its threads is
read from /proc/PID/task/TID/schedstat (nanoseconds) every 50 ms for a window (default 65 s:
six or seven scans): the scan worker is the thread other than the main one that used the
most, and each burst of its CPU time is one scan (the first one opens and describes every
program, the later ones only list the ids). The main thread's share is the input loop:
idle wake-ups, the loaders to check, reconciling the scan with the program table and
writing nothing (the known programs do not change).

Prints a Markdown table. Needs root (BPF), a C compiler and python3.

    swift build -c release --scratch-path .build-bench
    python3 Benchmarks/scan_cost.py --plugin .build-bench/release/audisp-bpfguard
"""
import argparse
import os
import selectors
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def thread_cpu(pid):
    """CPU nanoseconds of each thread of `pid`."""
    result = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as handle:
                result[int(tid)] = int(handle.read().split()[0])
        except OSError:
            pass
    return result


def read_until(process, stream, needle, seconds):
    """Reads `stream` of `process` until `needle` appears; returns what was read."""
    selector = selectors.DefaultSelector()
    selector.register(stream, selectors.EVENT_READ)
    text = b""
    deadline = time.monotonic() + seconds
    while needle not in text and time.monotonic() < deadline:
        for _ in selector.select(timeout=0.2):
            chunk = os.read(stream.fileno(), 65536)
            if not chunk:
                return text.decode(errors="replace")
            text += chunk
    return text.decode(errors="replace")


def bursts(samples, tid):
    """CPU bursts of one thread: runs of samples in which its CPU time grew, in ms."""
    result, current = [], 0
    for before, after in zip(samples, samples[1:]):
        delta = after[1].get(tid, 0) - before[1].get(tid, 0)
        if delta > 0:
            current += delta
        elif current:
            result.append(current / 1e6)
            current = 0
    if current:
        result.append(current / 1e6)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plugin", required=True, help="the audisp-bpfguard binary (a release build)")
    parser.add_argument("--programs", type=int, default=10000)
    parser.add_argument("--interval", type=int, default=10, help="scan_interval in seconds")
    parser.add_argument("--window", type=float, default=65.0, help="seconds measured after start-up")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="bpfguard-scan-cost-")
    bpfload = os.path.join(work, "bpfload")
    subprocess.run(["cc", "-O2", "-o", bpfload, os.path.join(ROOT, "Tests/Fixtures/loader/bpfload.c")], check=True)
    loader = subprocess.Popen([bpfload, "--count", str(args.programs), "--name", "scan_cost", "--hold", "3600000"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    loaded = 0
    started = time.monotonic()
    while loaded < args.programs:
        line = loader.stdout.readline()
        if not line:
            sys.exit("bpfload stopped after %d programs: %s" % (loaded, loader.stderr.read().decode(errors="replace")))
        loaded += line.startswith(b"loaded prog-id=")
    load_seconds = time.monotonic() - started

    policy = os.path.join(work, "policy")
    with open(policy, "w") as handle:
        handle.write("scan_interval = %ds\nalert outlived op=persist\nalert unannounced op=unseen\n" % args.interval)
    started = time.monotonic()
    plugin = subprocess.Popen([args.plugin, "--policy", policy, "--output", "stdout", "--known-programs", os.path.join(work, "known")],
                              stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    log = read_until(plugin, plugin.stderr, b"started", 120)
    startup_seconds = time.monotonic() - started
    if "started" not in log:
        loader.kill()
        sys.exit("the plugin did not start: " + log)

    samples = []
    end = time.monotonic() + args.window
    while time.monotonic() < end:
        samples.append((time.monotonic(), thread_cpu(plugin.pid)))
        time.sleep(0.05)
    samples.append((time.monotonic(), thread_cpu(plugin.pid)))
    plugin.stdin.close()
    rest = plugin.stderr.read().decode(errors="replace")
    plugin.wait()
    loader.kill()
    loader.wait()

    window = samples[-1][0] - samples[0][0]
    used = {tid: samples[-1][1].get(tid, 0) - samples[0][1].get(tid, 0) for tid in samples[-1][1]}
    total = sum(used.values())
    others = {tid: ns for tid, ns in used.items() if tid != plugin.pid}
    worker = max(others, key=others.get)
    scans = bursts(samples, worker)
    summary = next((line for line in rest.splitlines() if "exiting:" in line), "")
    counters = {word.split("=")[0]: word.split("=")[1] for word in summary.split() if "=" in word}
    with open("/proc/loadavg") as handle:
        load = " ".join(handle.read().split()[:3])

    print("Programs held: %d (loaded in %.1f s by one bpfload); plugin start-up (inventory: every program looked up"
          " in full) %.1f s; window %.1f s after start-up; scan_interval = %ds; load average %s; kernel %s." % (
              args.programs, load_seconds, startup_seconds, window, args.interval, load, os.uname().release))
    print()
    print("| what | CPU |")
    print("|---|---|")
    print("| whole plugin over the window | %.1f ms = **%.3f %% of one core** |" % (total / 1e6, 100.0 * total / (window * 1e9)))
    # The worker's bursts: scans, and the writes of the known-programs file (at start-up and
    # when the table changed: well under a millisecond to render and write). The first scan,
    # which opens every program, is the largest; the others list the ids.
    scan_bursts = [burst for burst in scans if burst >= 1.0]
    print("| scan worker thread | %.1f ms in %d bursts of 1 ms or more (%s ms) |" % (
        others[worker] / 1e6, len(scan_bursts), ", ".join("%.1f" % burst for burst in scan_bursts)))
    if scan_bursts:
        first = max(scan_bursts)
        print("| first scan (opens and describes every program) | %.1f ms |" % first)
        index = scan_bursts.index(first)
        later = sorted(scan_bursts[:index] + scan_bursts[index + 1:])
    else:
        later = []
    # The input thread's share of each scan: its bursts above the idle wake-ups (a poll
    # every 500 ms costs a few microseconds).
    applied = sorted(burst for burst in bursts(samples, plugin.pid) if burst >= 1.0)
    input_median = applied[len(applied) // 2] if applied else 0.0
    if later:
        print("| later scans (ids only), median / max | %.1f ms / %.1f ms |" % (later[len(later) // 2], later[-1]))
    print("| input thread over the window (idle wake-ups, loaders to check, reconciling with the table) | %.1f ms |" % (used.get(plugin.pid, 0) / 1e6))
    print("| input thread per scan (bursts of 1 ms or more: %d), median | %.1f ms |" % (len(applied), input_median))
    if later:
        steady = later[len(later) // 2] + input_median
        print("| steady state per scan (worker + input thread) at scan_interval = %ds | %.1f ms = **%.3f %% of one core** |" % (
            args.interval, steady, 100.0 * steady / (args.interval * 1000.0)))
    print()
    print("Exit summary counters: scans=%s scan_lookups=%s scan_lookup_errors=%s unseen_programs=%s persisting_programs=%s" % (
        counters.get("scans"), counters.get("scan_lookups"), counters.get("scan_lookup_errors"),
        counters.get("unseen_programs"), counters.get("persisting_programs")))


if __name__ == "__main__":
    main()
