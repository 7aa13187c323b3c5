#!/usr/bin/env python3
"""Writes BENCHMARKS.md from the raw results of Benchmarks/run.sh (Benchmarks/out/last-run)."""

import argparse
import json
import os
import statistics

CPU_TARGET = 0.2          # plugin CPU / baseline CPU
RSS_TARGET_KB = 32 * 1024  # 32 MB, taken as MiB (ru_maxrss is in KiB)
LATENCY_TARGET_MS = 10.0


def read_tsv(path):
    with open(path) as handle:
        header = handle.readline().rstrip("\n").split("\t")
        return [dict(zip(header, line.rstrip("\n").split("\t"))) for line in handle if line.strip()]


def read_json(path):
    try:
        with open(path) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def read_text(path):
    try:
        with open(path) as handle:
            return handle.read().strip()
    except OSError:
        return ""


def summary_fields(line):
    """`key=value` pairs of the plugin's summary line."""
    fields = {}
    for word in line.split():
        if "=" in word:
            key, value = word.split("=", 1)
            fields[key] = value
    return fields


def yes(condition):
    return "**yes**" if condition else "**NO**"


def mb(kb):
    return "%.1f MiB" % (float(kb) / 1024)


def fmt(value, digits=3):
    return "n/a" if value is None else ("%.*f" % (digits, value))


FACTS_TARGET_KB = 8 * 1024  # issue 9: under 8 MB more with 2,000 packages (taken as MiB)
DENSE_TARGET = 1.5          # issue 10, section 3: plugin CPU / baseline CPU on the BPF-dense stream


def add_dense_stream(add, res, env, by_variant):
    """The section of issue 10, section 3: a stream where every event is a BPF LOAD."""
    def cpus(variant):
        return [r["cpu"] for r in by_variant.get(variant, [])]

    base = cpus("dense-baseline")
    if not base:
        return
    base_median, base_min = statistics.median(base), min(base)
    add("## A BPF-dense stream (issue 10, section 3)")
    add("")
    add("`%s`: `generate_stream.py --loads-only %s` (DAEMON_START, then %s LOAD events of the captured templates"
        " (BPF, SYSCALL, PROCTITLE and EOE records), one per millisecond, then DAEMON_END; nothing else). The pre-filter"
        " cannot help on it: every record goes to libauparse, every event through the engine and the folder. %s rounds,"
        " alternating, each a fresh process under `rusage_run`; CPU is user + sys. The baseline is `auparse_baseline`"
        " (libauparse in feed mode reading the same file, the least a BPF monitor has to ask of it)." % (
            env.get("live_stream", "?"), "{:,}".format(int(env.get("live") or 0)), "{:,}".format(int(env.get("live") or 0)),
            env.get("dense_rounds") or env.get("rounds")))
    add("")
    add("| variant | command | CPU s, median | CPU s, min | × baseline (median) | × baseline (min) | × baseline (median of rounds) | peak RSS |")
    add("|---|---|---|---|---|---|---|---|")
    base_by_round = {r["round"]: r["cpu"] for r in by_variant.get("dense-baseline", [])}

    def paired(variant):
        """The median of each round's CPU over the same round's baseline (neighbours in time
        share the machine's load, which medians of separate runs do not)."""
        ratios = [r["cpu"] / base_by_round[r["round"]] for r in by_variant.get(variant, []) if base_by_round.get(r["round"])]
        return statistics.median(ratios) if ratios else None
    rows = [("baseline", "dense-baseline", "`auparse_baseline STREAM`"),
            ("the plugin's libauparse work alone", "dense-field-walk", "`auparse_baseline --walk-fields STREAM`"),
            ("plugin, replay", "dense-plugin", "`audisp-bpfguard --policy Packaging/bpfguard.policy --replay STREAM --output stdout`"),
            ("plugin, standard input", "dense-plugin-stdin",
             "`audisp-bpfguard --policy Packaging/bpfguard.policy --output stdout --no-lookup < STREAM` (plugin mode)")]
    if env.get("compare_plugin"):
        rows += [("compared build, replay", "dense-compared", "the same with `%s`" % env.get("compare_plugin")),
                 ("compared build, standard input", "dense-compared-stdin", "the same, plugin mode")]
    for label, variant, command in rows:
        values = cpus(variant)
        if not values:
            continue
        median_cpu, min_cpu = statistics.median(values), min(values)
        add("| %s | %s | %.3f | %.3f | %s | %s | %s | %s |" % (
            label, command, median_cpu, min_cpu, fmt(median_cpu / base_median, 2), fmt(min_cpu / base_min, 2),
            fmt(paired(variant), 2), mb(statistics.median(r["rss"] for r in by_variant[variant]))))
    add("")
    plugin = cpus("dense-plugin")
    ratio = statistics.median(plugin) / base_median if plugin else None
    add("Target of issue 10, section 3, plugin CPU ≤ %.1f × the baseline's (replayed, medians): %s (%s ×; the median of"
        " the rounds' own ratios: %s ×)." % (
        DENSE_TARGET, yes(ratio is not None and ratio <= DENSE_TARGET), fmt(ratio, 2), fmt(paired("dense-plugin"), 2)))
    add("")
    same = read_text(os.path.join(res, "dense-same")) == "1"
    add("Same alerts: %s — the alert lines of the replay and of standard input%s are byte for byte the same." % (
        "**yes**" if same else "**NO**", ", and of the compared build," if env.get("compare_plugin") else ""))
    if env.get("compare_plugin"):
        add("The compared build: `%s` (%s)." % (env.get("compare_plugin"), env.get("compare_version", "?")))
    add("")
    add("`--walk-fields` asks libauparse for every field of the BPF, SYSCALL and PROCTITLE records, the syscall"
        " interpreted, and does nothing else. The plugin asks it for less: its pre-filter hands libauparse each SYSCALL"
        " record cut to the fields it reads, and no EOE after a PROCTITLE (see \"Where the time goes\" below when present).")
    add("")
    add("Counts: baseline `%s`; field walk `%s`; plugin, replay `%s`; plugin, standard input `%s`%s." % (
        read_text(os.path.join(res, "dense-baseline.summary")), read_text(os.path.join(res, "dense-field-walk.summary")),
        read_text(os.path.join(res, "dense-plugin.summary")).replace("audisp-bpfguard: ", ""),
        read_text(os.path.join(res, "dense-plugin-stdin.summary")),
        ("; compared build, replay `%s`" % read_text(os.path.join(res, "dense-compared.summary")).replace("audisp-bpfguard: ", ""))
        if env.get("compare_plugin") else ""))
    add("")


def add_loader_facts(add, facts):
    """The section of issue 9: loader facts with a cold and a warm cache, index memory."""
    add("## Loader facts (issue 9)")
    add("")
    if facts.get("skipped"):
        add("Not measured: %s." % facts["skipped"])
        add("")
        return
    median, events = facts["median"], facts["events"]
    summary = {name: summary_fields(line) for name, line in facts.get("summaries", {}).items()}
    add("`Benchmarks/loader_facts.py` replays LOAD events with `--lookup` (kernel lookups on; the facts come from the"
        " path, as with `--replay --lookup` on the same host) under `rusage_run`, medians of %d rounds. The executable"
        " is `%s` (%s bytes, package-owned), then, in one variant, the first %d regular files of /usr/bin (%s bytes in"
        " all); the prog-ids are not loaded, so each kernel lookup ends at once (`gone`). Events from another node are"
        " looked up in nothing: they give the cost without lookups." % (
            facts["rounds"], facts["executable"], "{:,}".format(facts["executable_bytes"]), facts["files"],
            "{:,}".format(facts["files_bytes"])))
    add("")
    add("| variant | events | CPU ms | wall ms | peak RSS | summary |")
    add("|---|---|---|---|---|---|")
    labels = {"remote-1": "1 LOAD from another node", "remote-N": "%d LOADs from another node" % (events + 1),
              "cold-1": "1 LOAD (cold: index built, file hashed)",
              "files-K": "%d LOADs of %d executables" % (facts["files"] + 1, facts["files"] + 1),
              "warm-N": "%d LOADs of one executable (cache warm after the first)" % (events + 1),
              "synthetic-cold-1": "1 LOAD, dpkg database of %s packages" % facts.get("synthetic_packages", "?")}
    for name, label in labels.items():
        if name not in median:
            continue
        fields = summary.get(name, {})
        shown = " ".join("%s=%s" % (key, fields[key]) for key in ("loader_facts", "trust_cache_hits", "files_hashed",
                                                                    "dpkg_index_packages", "dpkg_index_paths", "dpkg_index_kib",
                                                                    "dpkg_index_ms")
                         if key in fields)
        add("| %s | %s | %.1f | %.1f | %s | %s |" % (label, fields.get("bpf_events", "?"), median[name]["cpu"] * 1000,
                                                     median[name]["wall"] * 1000, mb(median[name]["rss_kb"]), shown))
    add("")
    cold_cpu = (median["cold-1"]["cpu"] - median["remote-1"]["cpu"]) * 1000
    cold_wall = (median["cold-1"]["wall"] - median["remote-1"]["wall"]) * 1000
    new_file = (median["files-K"]["cpu"] - median["cold-1"]["cpu"]) / facts["files"] * 1000
    index_ms = summary.get("cold-1", {}).get("dpkg_index_ms", "?")
    warm_total = (median["warm-N"]["cpu"] - median["cold-1"]["cpu"]) / events * 1e6
    plain = (median["remote-N"]["cpu"] - median["remote-1"]["cpu"]) / events * 1e6
    add("| cost | measured |")
    add("|---|---|")
    add("| first LOAD of a packaged executable (cold: dpkg index built, file hashed) | %.1f ms CPU, %.1f ms wall (of which the index build: %s ms, the plugin's own clock) |" % (
        cold_cpu, cold_wall, index_ms))
    add("| first LOAD of another executable (index built; its package's lists read, the file hashed) | %.2f ms CPU on average (%s bytes per file) |" % (
        new_file, "{:,}".format(facts["files_bytes"] // max(1, facts["files"]))))
    add("| a LOAD with lookups, warm cache | %.1f µs CPU per event (of which %.1f µs without lookups: %.1f µs for the kernel lookup and the cached facts) |" % (
        warm_total, plain, warm_total - plain))
    resident = facts.get("resident") or {}
    if "no-database" in resident and "cold-1" in resident:
        extra = resident["cold-1"]["VmRSS"] - resident["no-database"]["VmRSS"]
        index_kib = summary.get("cold-1", {}).get("dpkg_index_kib", "?")
        add("| resident memory the facts keep, this machine (%s packages, %s paths; index %s KiB) | %+d KiB |" % (
            summary.get("cold-1", {}).get("dpkg_index_packages", facts.get("packages")),
            summary.get("cold-1", {}).get("dpkg_index_paths", "?"), index_kib, extra))
        if "synthetic-cold-1" in resident:
            fields = summary.get("synthetic-cold-1", {})
            synthetic_extra = resident["synthetic-cold-1"]["VmRSS"] - resident["no-database"]["VmRSS"]
            add("| the same with %s packages (%s paths; index %s KiB) | %+d KiB |" % (
                fields.get("dpkg_index_packages", "?"), fields.get("dpkg_index_paths", "?"), fields.get("dpkg_index_kib", "?"),
                synthetic_extra))
            add("")
            add("Target of issue 9, under 8 MB more with about 2,000 packages (taken as MiB): %s (%+d KiB)." % (
                yes(synthetic_extra < FACTS_TARGET_KB), synthetic_extra))
        add("")
        add("Resident memory is `VmRSS` in plugin mode once the alert of one local LOAD is out (glibc told to give"
            " freed memory back, `MALLOC_TRIM_THRESHOLD_=0`), against the same with no package database (an empty"
            " directory bind-mounted over /var/lib/dpkg), medians of 3; peak RSS cannot show it, since the kernel"
            " lookups' start-up (symbol table and BTF, read and freed) peaks higher than the index build (peak: %s"
            " without a database, %s with this machine's%s). The 2,000-package database is this machine's, plus copies"
            " of its file lists under `/opt/bpfguard-synthetic/N/` (hand-made), bind-mounted over /var/lib/dpkg in a"
            " private mount namespace." % (
                mb(resident["no-database"]["VmHWM"]), mb(resident["cold-1"]["VmHWM"]),
                (", %s with 2,000 packages" % mb(resident["synthetic-cold-1"]["VmHWM"])) if "synthetic-cold-1" in resident else ""))
    add("")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--results", required=True)
    parser.add_argument("--stream-meta", required=True)
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    res = args.results
    env = read_json(os.path.join(res, "environment.json")) or {}
    meta = read_json(args.stream_meta) or {}
    runs = read_tsv(os.path.join(res, "runs.tsv"))
    identical = read_tsv(os.path.join(res, "identical.tsv"))
    busy = read_json(os.path.join(res, "latency-busy.json")) or {}
    quiet = read_json(os.path.join(res, "latency-quiet.json")) or {}
    quiet_clean = read_json(os.path.join(res, "latency-quiet-no-standalone.json")) or {}
    quiet_live = read_json(os.path.join(res, "latency-quiet-live.json"))
    quiet_live_summary = summary_fields(read_text(os.path.join(res, "latency-quiet-live.err")).split("exiting:")[-1]) if quiet_live else {}
    live_summary = summary_fields(read_text(os.path.join(res, "memory-live.summary")))
    flood_summary = summary_fields(read_text(os.path.join(res, "memory-flood.summary")))
    plugin_summary = read_text(os.path.join(res, "plugin.summary"))
    baseline_summary = read_text(os.path.join(res, "baseline.summary"))

    by_variant = {}
    for run in runs:
        cpu = float(run["user_s"]) + float(run["sys_s"])
        by_variant.setdefault(run["variant"], []).append(
            {"round": run["round"], "wall": float(run["wall_s"]), "cpu": cpu, "user": float(run["user_s"]),
             "sys": float(run["sys_s"]), "rss": int(run["maxrss_kb"])})

    def median(variant, key):
        values = [r[key] for r in by_variant.get(variant, [])]
        return statistics.median(values) if values else None

    records = meta.get("records", 0)
    base_cpu = median("baseline", "cpu")
    plugin_cpu = median("plugin", "cpu")
    ratio = plugin_cpu / base_cpu if base_cpu and plugin_cpu is not None else None
    live_runs = [v for k, v in by_variant.items() if k.startswith("memory-") and k.endswith("-live")]
    live_rss = live_runs[0][0]["rss"] if live_runs else None
    flood_runs = [v for k, v in by_variant.items() if k.startswith("memory-flood")]
    flood_rss = flood_runs[0][0]["rss"] if flood_runs else None
    identical_ok = bool(identical) and all(row["result"] == "identical" for row in identical)
    busy_p99 = (busy.get("latency_ms") or {}).get("p99")
    quiet_p99 = (quiet.get("latency_ms") or {}).get("p99")
    flood_loads = int(env.get("flood") or 0)
    max_programs_default = 65536
    flood_live = int(flood_summary.get("live_programs", -1))
    flood_evicted = int(flood_summary.get("evicted", -1))
    flood_ok = 0 <= flood_live <= max_programs_default and flood_evicted == flood_loads - flood_live

    lines = []
    add = lines.append
    add("# Benchmarks")
    add("")
    add("Written by `%s` (the command of issue 5; `Benchmarks/README.md` describes the tools). Do not edit:"
        " run the command again." % env.get("command", "bash Benchmarks/run.sh"))
    add("")
    add("Run: %s to %s (UTC), %s s. Plugin built from commit `%s` (%s)%s." % (
        env.get("started"), env.get("finished"), env.get("duration"), env.get("git_head"), env.get("git_subject"),
        "; uncommitted changes in Sources/Package.swift at build time: `%s`" % env.get("uncommitted").strip(";")
        if env.get("uncommitted") else ", working tree clean"))
    if str(env.get("quick")) == "1":
        add("")
        add("**Smoke run (`--quick`)**: fewer records and rounds; not the figures of record.")
    add("")
    add("## Targets of issue 5")
    add("")
    add("| target | measured | met |")
    add("|---|---|---|")
    add("| plugin CPU ≤ 0.2 × libauparse baseline CPU on the stream | %s × (median %s s vs %s s) | %s |" % (
        fmt(ratio, 3), fmt(plugin_cpu, 3), fmt(base_cpu, 3), yes(ratio is not None and ratio <= CPU_TARGET)))
    add("| alerts identical with and without the pre-filter (stream, RAW, node=, fixtures) | %d of %d inputs identical | %s |" % (
        sum(1 for row in identical if row["result"] == "identical"), len(identical), yes(identical_ok)))
    add("| peak RSS ≤ 32 MB with 100,000 live programs | %s (live_programs=%s) | %s |" % (
        mb(live_rss) if live_rss else "n/a", live_summary.get("live_programs", "?"),
        yes(live_rss is not None and live_rss <= RSS_TARGET_KB)))
    add("| a flood of %s LOADs stays inside max_programs (65536), evictions counted | live_programs=%s evicted=%s, peak RSS %s | %s |" % (
        "{:,}".format(flood_loads), flood_summary.get("live_programs", "?"), flood_summary.get("evicted", "?"),
        mb(flood_rss) if flood_rss else "n/a", yes(flood_ok)))
    add("| p99 latency ≤ 10 ms, busy stream | p50 %s ms, p99 %s ms (%s LOADs) | %s |" % (
        fmt((busy.get("latency_ms") or {}).get("p50")), fmt(busy_p99), busy.get("alerts_matched", "?"),
        yes(busy_p99 is not None and busy_p99 <= LATENCY_TARGET_MS and busy.get("alerts_missing", 1) == 0)))
    add("| p99 latency ≤ 10 ms, quiet stream | p50 %s ms, p99 %s ms (%s LOADs) | %s |" % (
        fmt((quiet.get("latency_ms") or {}).get("p50")), fmt(quiet_p99), quiet.get("alerts_matched", "?"),
        yes(quiet_p99 is not None and quiet_p99 <= LATENCY_TARGET_MS and quiet.get("alerts_missing", 1) == 0)))
    add("")
    add("32 MB is taken as 32 MiB (32768 KiB; peak RSS is wait4's ru_maxrss). The output-stall test with a real rsyslogd"
        " (part 3 of the issue) is not part of this benchmark.")
    add("")

    add("## Machine")
    add("")
    add("| | |")
    add("|---|---|")
    add("| activity at start | %s |" % env.get("activity_before", "?"))
    add("| activity at end | %s |" % env.get("activity_after", "?"))
    for label, key in (("CPUs (`nproc`)", "nproc"), ("CPU model", "cpu_model"), ("memory", "memory"),
                       ("OS", "os"), ("kernel", "kernel"), ("Swift", "swift"), ("libauparse", "libauparse"),
                       ("C compiler", "cc"), ("Python", "python")):
        add("| %s | %s |" % (label, env.get(key, "?")))
    add("")

    add("## The stream")
    add("")
    add("`%s`, made by `Benchmarks/generate_stream.py --records %s --seed %s` from `Tests/Fixtures/captured/busy-sample.log`"
        " (%s copies of its busy execve/openat/connect traffic, ENRICHED, interleaving kept, serials and timestamps"
        " advanced) with BPF events from %s captured LOAD/UNLOAD pairs inserted:" % (
            env.get("stream"), env.get("records"), env.get("seed"), meta.get("busy_sample_copies"), meta.get("templates")))
    add("")
    add("| records | bytes | events | BPF events | share | LOADs | UNLOADs | standalone UNLOADs (no SYSCALL, no EOE) |")
    add("|---|---|---|---|---|---|---|---|")
    add("| {:,} | {:,} | {:,} | {} | {:.3%} | {} | {} | {} |".format(
        records, meta.get("bytes", 0), meta.get("events", 0), meta.get("bpf_events"), meta.get("bpf_event_share", 0),
        meta.get("loads"), meta.get("unloads"), meta.get("standalone_unloads")))
    add("")

    add("## CPU, throughput and memory on the stream")
    add("")
    add("Medians of %s rounds, run alternating (baseline, plugin, plugin `--no-prefilter`), each a fresh process"
        " under `rusage_run` (wait4) reading the stream from the page cache; CPU is user + sys of the process." % env.get("rounds"))
    add("")
    add("| variant | command | CPU s | wall s | records/s (wall) | records per CPU-s | peak RSS | CPU vs baseline |")
    add("|---|---|---|---|---|---|---|---|")
    commands = {
        "baseline": "`auparse_baseline STREAM`",
        "plugin": "`audisp-bpfguard --policy Packaging/bpfguard.policy --replay STREAM --output stdout > /dev/null`",
        "plugin-no-prefilter": "the same with `--no-prefilter`",
    }
    for variant in ("baseline", "plugin", "plugin-no-prefilter"):
        cpu = median(variant, "cpu")
        wall = median(variant, "wall")
        rss = median(variant, "rss")
        if cpu is None:
            continue
        add("| %s | %s | %.3f | %.3f | %s | %s | %s | %s |" % (
            variant, commands[variant], cpu, wall, "{:,.0f}".format(records / wall) if wall else "n/a",
            "{:,.0f}".format(records / cpu) if cpu else "n/a", mb(rss), fmt(cpu / base_cpu if base_cpu else None, 3)))
    startup_plugin = median("startup-plugin", "cpu")
    startup_base = median("startup-baseline", "cpu")
    if startup_plugin is not None:
        add("")
        add("Start-up alone (empty input, median of 3): plugin %.3f CPU-s, %s peak RSS; baseline %.3f CPU-s. "
            "The plugin's figure above includes it." % (startup_plugin, mb(median("startup-plugin", "rss")), startup_base))
    add("")
    add("Counts: baseline `%s`; plugin `%s`." % (baseline_summary, plugin_summary.replace("audisp-bpfguard: ", "")))
    add("")
    add("<details><summary>Every round</summary>")
    add("")
    add("| run | round | wall s | user s | sys s | peak RSS KiB |")
    add("|---|---|---|---|---|---|")
    for run in runs:
        add("| %s | %s | %s | %s | %s | %s |" % (run["variant"], run["round"], run["wall_s"], run["user_s"], run["sys_s"], run["maxrss_kb"]))
    add("")
    add("</details>")
    add("")

    add_dense_stream(add, res, env, by_variant)

    add("## Identical alerts with and without the pre-filter")
    add("")
    add("`--replay FILE --output stdout` with the default policy, compared byte for byte with the same run"
        " with `--no-prefilter`.")
    add("")
    add("| input | alerts | result |")
    add("|---|---|---|")
    for row in identical:
        add("| %s | %s | %s |" % (row["input"], row["alerts"], row["result"] if row["result"] == "identical" else "**" + row["result"] + "**"))
    add("")

    add("## Memory")
    add("")
    add("| run | peak RSS | CPU s | summary line (stderr) |")
    add("|---|---|---|---|")
    for prefix, summary_name, label in (("memory-", "memory-live.summary", "100,000 LOADs, `max_programs = 200000` (temporary copy of the default policy)"),
                                        ("memory-flood", "memory-flood.summary", "%s LOADs, default policy (`max_programs = 65536`), generator piped to `--replay -`" % "{:,}".format(flood_loads))):
        chosen = [v for k, v in by_variant.items() if k.startswith(prefix) and (k.endswith("-live") if summary_name.startswith("memory-live") else True)]
        if not chosen:
            continue
        run = chosen[0][0]
        add("| %s | %s | %.2f | `%s` |" % (label, mb(run["rss"]), run["cpu"],
                                           read_text(os.path.join(res, summary_name)).replace("audisp-bpfguard: ", "")))
    add("")

    add("## Latency (plugin mode)")
    add("")
    add("`Benchmarks/latency.py` runs `audisp-bpfguard --policy P --output stdout` (P: `alert any op=load`;"
        " kernel lookups on, the plugin-mode default) with its standard input a pipe, and measures, for each LOAD event,"
        " the time from the write(2) that put its last record (EOE) into the pipe to the read of its alert line.")
    add("")
    add("| mode | LOADs | p50 ms | p90 ms | p99 ms | max ms | > 10 ms | missing |")
    add("|---|---|---|---|---|---|---|---|")
    rows = [("busy: the stream, written as fast as the plugin reads it", busy),
            ("quiet: BPF events alone, one every 50 ms (all captured templates)", quiet),
            ("quiet, without the 2 templates whose UNLOAD is standalone (diagnosis)", quiet_clean)]
    if quiet_live:
        rows.append(("quiet, without standalone UNLOADs, each LOAD naming a real loaded program (lookups=%s gone=%s lookup_errors=%s)" % (
            quiet_live_summary.get("lookups", "?"), quiet_live_summary.get("gone", "?"), quiet_live_summary.get("lookup_errors", "?")), quiet_live))
    for label, data in rows:
        latency = data.get("latency_ms") or {}
        add("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            label, data.get("alerts_matched", "?"), fmt(latency.get("p50")), fmt(latency.get("p90")),
            fmt(latency.get("p99")), fmt(latency.get("max")), data.get("over_10ms", "?"), data.get("alerts_missing", "?")))
    add("")
    for name, label in (("latency-busy.err", "busy"), ("latency-quiet.err", "quiet"),
                        ("latency-quiet-no-standalone.err", "quiet without standalone"),
                        ("latency-quiet-live.err", "quiet with real programs")):
        text = read_text(os.path.join(res, name))
        if "state report written" in text or "policy reloaded" in text or "output still blocked" in text:
            add("**Disturbed: the %s run's plugin got a signal from outside the benchmark (SIGUSR1/SIGHUP) or could not"
                " drain its output at exit; its figures are not valid.** Its standard error: `%s`" % (
                    label, " / ".join(line for line in text.splitlines() if "exiting:" not in line)))
            add("")
    add("In the busy and the first two quiet runs the prog-ids are not loaded in the kernel, so the plugin's lookup"
        " ends at once (`gone`); the last run (when the fixture loader can load programs here) shows the cost of"
        " lookups that find their program.")
    add("")
    if quiet.get("after_standalone"):
        a, n = quiet["after_standalone"], quiet["not_after_standalone"]
        add("Quiet run split: %s LOADs written less than 3.5 s after a standalone UNLOAD: p50 %s ms, p99 %s ms;"
            " the other %s: p50 %s ms, p99 %s ms. The quiet run wrote %s standalone UNLOADs." % (
                a["loads"], fmt(a["p50_ms"]), fmt(a["p99_ms"]), n["loads"], fmt(n["p50_ms"]), fmt(n["p99_ms"]),
                quiet.get("standalone_unloads")))
        add("")

    facts = read_json(os.path.join(res, "loader-facts.json"))
    if facts:
        add_loader_facts(add, facts)

    notes = []
    quiet_clean_p99 = (quiet_clean.get("latency_ms") or {}).get("p99")
    if quiet_p99 is not None and quiet_p99 > LATENCY_TARGET_MS and quiet_clean_p99 is not None and quiet_clean_p99 <= LATENCY_TARGET_MS:
        notes.append(
            "**Quiet latency: head-of-line blocking behind standalone BPF records.** A standalone UNLOAD (the holder was"
            " killed: a BPF record with no SYSCALL and no EOE, as in `killed-loader.log`) stays incomplete in libauparse."
            " libauparse 3.0.9 (`au_get_ready_event`) hands out only the event with the lowest timestamp, and only once it"
            " is complete, so every later LOAD, complete with its EOE, waits until the standalone record is aged out: a"
            " record at least `end_of_event_timeout` (2 s) later, or `auparse_feed_age_events` (wall clock, whole seconds),"
            " which the plugin calls once a second. Without those templates the quiet p99 is %s ms. In the busy run the"
            " stream's timestamps advance much faster than the wall clock (about 150 s of audit time in a fraction of a second), so the"
            " 2 s window passes within milliseconds and hides the effect. On a real host, audit time and wall time"
            " advance together, so the busy case behaves like the quiet one." % fmt(quiet_clean_p99))
    if live_rss is not None and live_rss > RSS_TARGET_KB:
        notes.append(
            "**Memory with 100,000 live programs: %s, over the 32 MB target.** The program table is a Swift Dictionary whose"
            " entries hold the whole `LoadedProgram` value inline (process context with five byte arrays, seven optional"
            " ids, timestamp, kernel lookup result), each of those arrays a separate heap allocation. When the table"
            " grows past a power of two, the old and new storage are both alive. See Benchmarks/README.md (Findings) for"
            " the heap profile." % mb(live_rss))
    if notes:
        add("## Notes")
        add("")
        for note in notes:
            add("- " + note)
        add("")

    # The BPF-dense profile, loader-recovery, scan and loader-facts stall sections come from other
    # commands (callgrind; Benchmarks/proc_recovery.py, scan_cost.py, loader_facts.py --stall, see
    # Benchmarks/README.md): carried over as they are.
    previous = read_text(args.output)
    for name in ("dense-profile", "proc-recovery", "scan-cost", "facts-stall"):
        begin, end = "<!-- %s:begin -->" % name, "<!-- %s:end -->" % name
        if begin in previous and end in previous:
            lines.append(previous[previous.index(begin):previous.index(end) + len(end)] + "\n")

    with open(args.output, "w") as handle:
        handle.write("\n".join(lines))


if __name__ == "__main__":
    main()
