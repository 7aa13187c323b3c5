#!/usr/bin/env python3
"""The cost of the loader facts of issue 9 (exe-package, exe-trusted, container): a BPF
event with a cold and a warm trust cache, and the memory of dpkg's path index.

Runs the release plugin with `--replay FILE --lookup` (kernel lookups on, the facts taken
from the path, as on the same host after the fact) under rusage_run, K rounds of each
variant, and writes loader-facts.json into the results directory:

- remote-1 / remote-N: 1 and N+1 LOAD events from another node (nothing is looked up for
  them: the plugin's cost without lookups, start-up with lookups included);
- cold-1: 1 local LOAD of a packaged executable: the first event builds dpkg's path index
  and hashes the file (cold cache);
- files-K: the same, then 1 LOAD of each of K other executables of /usr/bin (the first K
  regular files in name order): each is looked up and hashed once (index built);
- warm-N: 1 + N local LOADs of the same executable: after the first, every event is
  answered from the cache;
- with --synthetic-packages P (root, util-linux `unshare`): cold-1 again with
  /var/lib/dpkg replaced, in a private mount namespace, by a database of P packages: this
  machine's own, and copies of their file lists under /opt/bpfguard-synthetic/N/ for the
  rest (hand-made, for the memory of a larger host).

The prog-ids are not loaded, so the kernel lookup of each event ends at once (`gone`).

Peak RSS hides the index: the kernel lookups' start-up (the symbol table and the kernel's
BTF, read and freed) peaks higher than the index build. So the resident memory is also
read in plugin mode (`VmRSS` of /proc/PID/status once the alert of one local LOAD is out,
glibc told to give freed memory back at once with MALLOC_TRIM_THRESHOLD_=0), with no
package database (an empty directory bind-mounted over /var/lib/dpkg: root only), with
this machine's, and with the synthetic one: the differences are what the facts keep.

With --stall (root, util-linux `unshare`) it measures instead how long the plugin's input
thread stops reading its standard input for one LOAD, in plugin mode, for each plugin given
(--plugin, and --before-plugin to compare two builds): a pipe whose reader does not read
holds the bytes written to it, so the writer (standing in for auditd) writes a small record
every millisecond after the LOAD and samples the bytes waiting in the pipe (FIONREAD); the
longest stretch during which they never drained is the stall. Scenarios, on a database of
--synthetic-packages packages (default 2,000) bind-mounted over /var/lib/dpkg, with one more
package owning a 60 MiB file (hand-made, hashed in full: under the 64 MiB limit):
- warm: LOADs of an executable whose verdict is cached;
- cold-hash: the 60 MiB file's times changed (a new cache key), then its LOAD: hashed again;
- cold-index: dpkg's status file touched (the database changed), then a LOAD: the path
  index read again, the executable hashed again.
It also gives each LOAD's alert latency (write of its EOE to its alert line), and prints a
Markdown table (section "Loader facts off the input thread" of BENCHMARKS.md).
"""

import argparse
import fcntl
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import termios
import time

EXECUTABLES = ["/usr/bin/bpftrace", "/usr/sbin/bpftool", "/usr/sbin/runqlat", "/usr/bin/dpkg", "/usr/bin/ls"]
POLICY = "fold_window = 0\nmax_alerts_per_minute = 0\nalert any op=load\n"  # nothing folded or held back


def load_event(serial, exe, node=None):
    prefix = "node=%s " % node if node else ""
    stamp = "1795950000.%03d:%d" % (serial % 1000, serial)
    title = exe.encode().hex().upper()
    return (
        "%stype=BPF msg=audit(%s): prog-id=%d op=LOAD\n"
        "%stype=SYSCALL msg=audit(%s): arch=c000003e syscall=321 success=yes exit=3 a0=5 a1=7ffd a2=90 a3=0 items=0"
        " ppid=1 pid=%d auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=1"
        " comm=\"loader\" exe=\"%s\" key=(null)\n"
        "%stype=PROCTITLE msg=audit(%s): proctitle=%s\n"
        % (prefix, stamp, 4000000000 + serial, prefix, stamp, 100000 + serial, exe, prefix, stamp, title)
    )


def write_log(path, executables, node=None):
    with open(path, "w") as handle:
        for serial, exe in enumerate(executables, start=1):
            handle.write(load_event(serial, exe, node))


def run(rusage, command, result_file, stderr_file, prefix=()):
    with open(stderr_file, "w") as err:
        subprocess.run(list(prefix) + [rusage, result_file] + command, stdout=subprocess.DEVNULL, stderr=err, check=True)
    wall, user, system, rss, status = open(result_file).read().split()
    summary = ""
    for line in open(stderr_file):
        if "replay:" in line:
            summary = line.strip()
    return {"wall": float(wall), "cpu": float(user) + float(system), "rss_kb": int(rss), "summary": summary}


def resident_after_one_event(plugin, policy, log, prefix=()):
    """Plugin mode: feed `log`, wait for its alert, and read the process's VmRSS/VmHWM (KiB)."""
    # glibc gives freed memory back at once: VmRSS is then what the process keeps.
    environment = dict(os.environ, MALLOC_TRIM_THRESHOLD_="0")
    process = subprocess.Popen(list(prefix) + [plugin, "--policy", policy, "--output", "stdout"], env=environment,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        text = open(log).read()
        # Plugin input ends each multi-record event with an EOE record (audit.log has none).
        stamp = text.split("msg=audit(", 1)[1].split(")", 1)[0]
        node = text.split("type=", 1)[0]
        process.stdin.write((text + "%stype=EOE msg=audit(%s):\n" % (node, stamp)).encode())
        process.stdin.flush()
        process.stdout.readline()
        values = {}
        for line in open("/proc/%d/status" % process.pid):
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(value.split()[0])
        return values
    finally:
        process.stdin.close()
        process.wait(timeout=30)


def synthetic_database(directory, packages):
    """/var/lib/dpkg's files, plus copies of its lists under other paths up to `packages`."""
    source = "/var/lib/dpkg"
    info = os.path.join(directory, "info")
    os.makedirs(info)
    shutil.copy(os.path.join(source, "diversions"), directory)
    real = sorted(name[:-5] for name in os.listdir(os.path.join(source, "info")) if name.endswith(".list"))
    for name in real:
        for suffix in (".list", ".md5sums"):
            if os.path.exists(os.path.join(source, "info", name + suffix)):
                shutil.copy(os.path.join(source, "info", name + suffix), info)
    stanzas = []
    for number in range(max(0, packages - len(real))):
        model = real[number % len(real)]
        name = "bpfguard-synthetic-%d" % number
        with open(os.path.join(source, "info", model + ".list")) as handle:
            paths = [line.rstrip("\n") for line in handle if line.strip()]
        with open(os.path.join(info, name + ".list"), "w") as handle:
            for path in paths:
                handle.write("/opt/bpfguard-synthetic/%d%s\n" % (number, "" if path == "/." else path))
        stanzas.append("Package: %s\nStatus: install ok installed\nArchitecture: all\n" % name)
    with open(os.path.join(source, "status")) as handle:
        status = handle.read().rstrip("\n") + "\n"
    with open(os.path.join(directory, "status"), "w") as handle:
        handle.write(status + "".join("\n" + stanza for stanza in stanzas))
    return len(real) + len(stanzas)


BIG_FILE_BYTES = 60 << 20


def in_namespace_with(database):
    """The command prefix that runs a command with `database` bind-mounted over /var/lib/dpkg."""
    return ("unshare", "--mount", "--propagation", "private", "sh", "-c", 'mount --bind "$0" /var/lib/dpkg && exec "$@"', database)


def add_big_package(database, path):
    """One more package in `database`, owning `path` (BIG_FILE_BYTES of pseudo-random bytes)."""
    block = bytes((index * 2654435761 >> 13) & 0xFF for index in range(1 << 16))
    with open(path, "wb") as handle:
        for number in range(BIG_FILE_BYTES >> 16):
            handle.write(bytes([number & 0xFF]) + block[1:])
    digest = subprocess.run(["md5sum", path], capture_output=True, text=True, check=True).stdout.split()[0]
    name = "bpfguard-bench-big"
    with open(os.path.join(database, "info", name + ".list"), "w") as handle:
        handle.write("/.\n" + "".join(path[:index] + "\n" for index in range(1, len(path)) if path[index] == "/") + path + "\n")
    with open(os.path.join(database, "info", name + ".md5sums"), "w") as handle:
        handle.write("%s  %s\n" % (digest, path[1:]))
    with open(os.path.join(database, "status"), "a") as handle:
        handle.write("\nPackage: %s\nStatus: install ok installed\nArchitecture: all\n" % name)


class PluginUnderTest:
    """A plugin in plugin mode, its standard input a pipe this process writes like auditd."""

    def __init__(self, plugin, policy, database, stderr_path):
        self.stderr_path = stderr_path
        self.stderr = open(stderr_path, "w")
        self.process = subprocess.Popen(list(in_namespace_with(database)) + [plugin, "--policy", policy, "--output", "stdout"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr)
        self.input = self.process.stdin.fileno()
        self.output = self.process.stdout.fileno()
        os.set_blocking(self.output, False)
        self.pending_output = b""
        self.serial = 0
        deadline = time.monotonic() + 60
        while "started" not in open(stderr_path).read():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("the plugin did not start: " + open(stderr_path).read())
            time.sleep(0.05)

    def waiting_bytes(self):
        buffer = bytearray(4)
        fcntl.ioctl(self.input, termios.FIONREAD, buffer)
        return int.from_bytes(buffer, "little")

    def lines(self):
        try:
            self.pending_output += os.read(self.output, 1 << 16)
        except BlockingIOError:
            pass
        *complete, self.pending_output = self.pending_output.split(b"\n")
        return complete

    def measure(self, exe, window):
        """Writes one LOAD of `exe`, then a small record every millisecond for `window`
        seconds; returns (stall ms, alert latency ms or None)."""
        self.serial += 1
        stamp = "%d.%03d:%d" % (time.time(), self.serial % 1000, 9000000 + self.serial)
        event = load_event(self.serial, exe).replace("1795950000.%03d:%d" % (self.serial % 1000, self.serial), stamp)
        os.write(self.input, (event + "type=EOE msg=audit(%s):\n" % stamp).encode())
        written = time.monotonic()
        latency, stall, since, filler, next_filler = None, 0.0, None, 0, written
        marker = ("event=%s" % stamp).encode()
        while True:
            now = time.monotonic()
            if now >= next_filler:
                filler += 1
                filler_stamp = "%d.000:%d" % (time.time(), 5000000 + self.serial * 100000 + filler)
                os.write(self.input, ('type=CWD msg=audit(%s): cwd="/"\ntype=EOE msg=audit(%s):\n' % (filler_stamp, filler_stamp)).encode())
                next_filler = now + 0.001
            if self.waiting_bytes() > 0:
                since = now if since is None else since
                stall = max(stall, now - since)
            else:
                since = None
            if latency is None and any(marker in line for line in self.lines()):
                latency = now - written
            if now - written >= window and latency is not None and since is None:
                return stall * 1000, latency * 1000
            if now - written >= window + 10:
                return stall * 1000, None
            time.sleep(0.0002)

    def finish(self):
        self.process.stdin.close()
        self.process.wait(timeout=60)
        self.stderr.close()
        summary = [line for line in open(self.stderr_path) if "exiting:" in line]
        return summary[-1].strip() if summary else ""


def stall_main(args):
    if os.geteuid() != 0 or not shutil.which("unshare"):
        raise SystemExit("--stall needs root and unshare (a dpkg database bind-mounted over /var/lib/dpkg)")
    plugins = [("after", args.plugin)] + ([("before", args.before_plugin)] if args.before_plugin else [])
    present = [exe for exe in EXECUTABLES if os.access(exe, os.X_OK)]
    exe = present[0]
    scratch = tempfile.mkdtemp(prefix="bpfguard-facts-stall-")
    result = {"rounds": args.rounds, "warm_events": args.events, "executable": exe, "executable_bytes": os.path.getsize(exe),
              "big_file_bytes": BIG_FILE_BYTES, "plugins": {}}
    try:
        policy = os.path.join(scratch, "policy")
        open(policy, "w").write(POLICY)
        database = os.path.join(scratch, "dpkg")
        result["packages"] = synthetic_database(database, args.synthetic_packages or 2000) + 1
        big = os.path.join(scratch, "big-executable")
        add_big_package(database, big)
        for label, plugin in plugins:
            under_test = PluginUnderTest(plugin, policy, database, os.path.join(args.results, "loader-facts-stall-%s.err" % label))
            under_test.measure(exe, 0.5)  # the executable's verdict into the cache
            under_test.measure(big, 0.5)
            runs = {"warm": [under_test.measure(exe, 0.05) for _ in range(args.events)], "cold-hash": [], "cold-index": []}
            for _ in range(args.rounds):
                os.utime(big)
                runs["cold-hash"].append(under_test.measure(big, 0.6))
                os.utime(os.path.join(database, "status"))
                runs["cold-index"].append(under_test.measure(exe, 0.6))
            summary = under_test.finish()
            result["plugins"][label] = {"path": plugin, "runs": runs, "summary": summary}
            for name, values in runs.items():
                stalls = [value[0] for value in values]
                latencies = [value[1] for value in values if value[1] is not None]
                print("  %-6s %-10s stall median %7.1f ms max %7.1f ms; alert latency median %7.1f ms (%d LOADs, %d alerts)" % (
                    label, name, statistics.median(stalls), max(stalls), statistics.median(latencies) if latencies else -1,
                    len(values), len(latencies)))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    json.dump(result, open(os.path.join(args.results, "loader-facts-stall.json"), "w"), indent=2)
    print()
    print("| plugin | scenario | LOADs | input stall, median | input stall, max | alert latency, median | alert latency, max |")
    print("|---|---|---|---|---|---|---|")
    labels = {"warm": "warm (verdict cached)", "cold-hash": "cold: the %d MiB file hashed again" % (BIG_FILE_BYTES >> 20),
              "cold-index": "cold: dpkg index read again (%d packages), file hashed again" % result["packages"]}
    for label, data in result["plugins"].items():
        for name, values in data["runs"].items():
            stalls = [value[0] for value in values]
            latencies = [value[1] for value in values if value[1] is not None]
            print("| %s | %s | %d | %.1f ms | %.1f ms | %.1f ms | %.1f ms |" % (
                label, labels[name], len(values), statistics.median(stalls), max(stalls),
                statistics.median(latencies) if latencies else float("nan"), max(latencies) if latencies else float("nan")))
    for label, data in result["plugins"].items():
        print()
        print("%s: `%s`" % (label, data["summary"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plugin", required=True)
    parser.add_argument("--rusage")
    parser.add_argument("--results", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--synthetic-packages", type=int, default=0)
    parser.add_argument("--stall", action="store_true", help="measure the input thread's stall per LOAD in plugin mode")
    parser.add_argument("--before-plugin", help="with --stall: another build to compare")
    args = parser.parse_args()
    if args.stall:
        if args.events == 20000:
            args.events = 50
        return stall_main(args)
    if not args.rusage:
        parser.error("--rusage is required (except with --stall)")

    result = {"rounds": args.rounds, "events": args.events}
    if not os.path.exists("/var/lib/dpkg/status"):
        result["skipped"] = "no dpkg database on this machine"
        json.dump(result, open(os.path.join(args.results, "loader-facts.json"), "w"), indent=2)
        print("  skipped: " + result["skipped"])
        return
    present = [exe for exe in EXECUTABLES if os.access(exe, os.X_OK)]
    exe = present[0]
    result["executable"] = exe
    result["executable_bytes"] = os.path.getsize(exe)
    others = []
    for name in sorted(os.listdir("/usr/bin")):
        path = os.path.join("/usr/bin", name)
        if len(others) < args.files and path != exe and not os.path.islink(path) and os.path.isfile(path) and os.access(path, os.X_OK):
            others.append(path)
    result["files"] = len(others)
    result["files_bytes"] = sum(os.path.getsize(path) for path in others)
    result["packages"] = sum(1 for name in os.listdir("/var/lib/dpkg/info") if name.endswith(".list"))

    scratch = tempfile.mkdtemp(prefix="bpfguard-loader-facts-")
    try:
        policy = os.path.join(scratch, "policy")
        open(policy, "w").write(POLICY)
        logs = {
            "remote-1": ([exe], "elsewhere"),
            "remote-N": ([exe] * (args.events + 1), "elsewhere"),
            "cold-1": ([exe], None),
            "files-K": ([exe] + others, None),
            "warm-N": ([exe] * (args.events + 1), None),
        }
        for name, (executables, node) in logs.items():
            write_log(os.path.join(scratch, name + ".log"), executables, node)
        variants = list(logs)
        prefix_for = {name: () for name in variants}
        if args.synthetic_packages:
            database = os.path.join(scratch, "dpkg-synthetic")
            result["synthetic_packages"] = synthetic_database(database, args.synthetic_packages)
            result["synthetic_paths"] = sum(1 for name in os.listdir(os.path.join(database, "info")) if name.endswith(".list")
                                            for _ in open(os.path.join(database, "info", name)))
            shutil.copy(os.path.join(scratch, "cold-1.log"), os.path.join(scratch, "synthetic-cold-1.log"))
            variants.append("synthetic-cold-1")
            prefix_for["synthetic-cold-1"] = ("unshare", "--mount", "--propagation", "private", "sh", "-c",
                                              'mount --bind "$0" /var/lib/dpkg && exec "$@"', database)
        runs = {name: [] for name in variants}
        for round_number in range(1, args.rounds + 1):
            for name in variants:
                log = os.path.join(scratch, name + ".log")
                measured = run(args.rusage, [args.plugin, "--policy", policy, "--lookup", "--replay", log, "--output", "stdout"],
                               os.path.join(scratch, "rusage"), os.path.join(args.results, "loader-facts-%s.err" % name),
                               prefix_for[name])
                runs[name].append(measured)
                print("  %-18s round %d: wall %8.4fs  cpu %8.4fs  peak RSS %7d KiB" % (
                    name, round_number, measured["wall"], measured["cpu"], measured["rss_kb"]))
        result["runs"] = runs
        result["median"] = {name: {key: statistics.median(run[key] for run in runs[name]) for key in ("wall", "cpu", "rss_kb")}
                            for name in variants}
        result["summaries"] = {name: runs[name][-1]["summary"] for name in variants}
        resident = {}
        databases = {"cold-1": None}
        if os.geteuid() == 0 and shutil.which("unshare"):
            empty = os.path.join(scratch, "dpkg-empty")
            os.makedirs(empty)
            databases["no-database"] = empty
            if args.synthetic_packages:
                databases["synthetic-cold-1"] = database
        for name, directory in sorted(databases.items()):
            prefix = () if directory is None else ("unshare", "--mount", "--propagation", "private", "sh", "-c",
                                                   'mount --bind "$0" /var/lib/dpkg && exec "$@"', directory)
            samples = [resident_after_one_event(args.plugin, policy, os.path.join(scratch, "cold-1.log"), prefix)
                       for _ in range(3)]
            resident[name] = {key: statistics.median(sample[key] for sample in samples) for key in ("VmRSS", "VmHWM")}
            print("  %-18s plugin mode after one LOAD: VmRSS %d KiB, VmHWM %d KiB" % (name, resident[name]["VmRSS"], resident[name]["VmHWM"]))
        result["resident"] = resident
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    json.dump(result, open(os.path.join(args.results, "loader-facts.json"), "w"), indent=2)


if __name__ == "__main__":
    main()
