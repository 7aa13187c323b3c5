#!/usr/bin/env bash
# The audisp-bpfguard benchmark (issue 5), in one command:
#
#   bash Benchmarks/run.sh            # full run (~5 min on 2 cores), writes BENCHMARKS.md
#   bash Benchmarks/run.sh --quick    # smoke run, writes Benchmarks/out/BENCHMARKS.quick.md
#
# Builds the plugin (release, --scratch-path .build-bench) and the libauparse baseline,
# generates the stream if missing, then measures, alternating, K rounds of the baseline,
# the plugin (--replay) and the plugin with --no-prefilter (CPU, wall time and peak RSS
# from wait4, through Benchmarks/baseline/rusage_run.c); checks that the alerts are
# identical with and without the pre-filter; times a BPF-dense stream (100,000 LOAD events,
# nothing else) against the baseline, replayed and through standard input (issue 10,
# section 3); measures peak RSS with 100,000 live programs and under a flood of LOADs;
# measures alert latency in plugin mode (busy and quiet); the cost of the loader facts
# (Benchmarks/loader_facts.py); and writes the results with the machine's description.
# Installs nothing.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: bash Benchmarks/run.sh [--quick] [--rounds K] [--records N] [--seed S] [--report FILE]
                              [--compare-plugin BINARY]

  --quick        smoke run: 200,000 records, 2 rounds, smaller flood and quiet run;
                 the report goes to Benchmarks/out/BENCHMARKS.quick.md
  --rounds K     timed rounds per variant (default 5)
  --records N    records in the generated stream (default 1000000)
  --seed S       generator seed (default 1)
  --report FILE  where the report goes (default BENCHMARKS.md at the repository root)
  --compare-plugin BINARY
                 an earlier build of audisp-bpfguard, timed on the BPF-dense stream too
                 (the "before" rows; its alerts must be the same as this build's)
EOF
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/Benchmarks"
OUT="$BENCH/out"
QUICK=0
ROUNDS=5
RECORDS=1000000
SEED=1
REPORT=""
COMPARE_PLUGIN=""
FLOOD=1000000
LIVE=100000
QUIET_EVENTS=150
COMMAND_LINE="bash Benchmarks/run.sh${*:+ $*}"

while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --rounds) ROUNDS=${2:?--rounds needs a value}; shift ;;
        --records) RECORDS=${2:?--records needs a value}; shift ;;
        --seed) SEED=${2:?--seed needs a value}; shift ;;
        --report) REPORT=${2:?--report needs a value}; shift ;;
        --compare-plugin) COMPARE_PLUGIN=${2:?--compare-plugin needs a value}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
if [ "$QUICK" = 1 ]; then
    case " $COMMAND_LINE " in *" --records "*) ;; *) RECORDS=200000 ;; esac
    case " $COMMAND_LINE " in *" --rounds "*) ;; *) ROUNDS=2 ;; esac
    FLOOD=200000
    QUIET_EVENTS=40
    : "${REPORT:=$OUT/BENCHMARKS.quick.md}"
fi
: "${REPORT:=$ROOT/BENCHMARKS.md}"

say() { printf '\n== %s\n' "$*"; }
fail() { printf '\nrun.sh: %s\n' "$*" >&2; exit 1; }

# --- What is needed (nothing is installed here) -------------------------------------------
missing=()
have_package() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
command -v python3 >/dev/null || missing+=(python3)
command -v cc >/dev/null || missing+=(gcc)
command -v pkg-config >/dev/null || missing+=(pkg-config)
# The plugin's system libraries, as Package.swift names them (libauparse-dev also builds the baseline).
packages=$(grep -o '\.apt(\[[^]]*\])' "$ROOT/Package.swift" | grep -o '"[^"]*"' | tr -d '"' || true)
for package in libauparse-dev $packages; do
    have_package "$package" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    # shellcheck disable=SC2207
    missing=($(printf '%s\n' "${missing[@]}" | sort -u))
    echo "run.sh: missing Debian packages: ${missing[*]}" >&2
    echo "        install them with: apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
fi
command -v swift >/dev/null || fail "swift is not on PATH (Swift 6 from swift.org is needed)"

# Other activity on the machine disturbs the figures (and a syslog daemon stopped by some
# test stalls the plugin's writer thread): say what runs besides us, now and at the end.
activity() {
    local others
    others=$(ps -eo pid=,comm=,args= 2>/dev/null \
        | awk -v self=$$ '$1 != self && ($2 ~ /^(auditd|rsyslogd|audisp-bpfguard|swift-build|swift-frontend|swift-test|xctest|cc1|ld)$/ || $2 ~ /PackageTests/) {print $2}' \
        | sort | uniq -c | awk '{printf "%s%s x%s", sep, $2, $1; sep=", "}')
    echo "load average $(cut -d' ' -f1-3 /proc/loadavg); other processes: ${others:-none}"
}

mkdir -p "$OUT"
RES="$OUT/last-run"
[ "$QUICK" = 1 ] && RES="$OUT/last-quick-run"
rm -rf "$RES"
mkdir -p "$RES"
STARTED=$(date -u +%Y-%m-%dT%H:%M:%SZ)
START_SECONDS=$SECONDS
ACTIVITY_BEFORE=$(activity)
echo "machine: $ACTIVITY_BEFORE"

# --- Build ---------------------------------------------------------------------------------
say "building the plugin (swift build -c release --scratch-path .build-bench)"
if ! (cd "$ROOT" && swift build -c release --scratch-path .build-bench) >"$RES/build.log" 2>&1; then
    tail -n 40 "$RES/build.log" >&2
    fail "the plugin does not build (full log: $RES/build.log)"
fi
PLUGIN="$(cd "$ROOT" && swift build -c release --scratch-path .build-bench --show-bin-path)/audisp-bpfguard"
[ -x "$PLUGIN" ] || fail "no plugin binary at $PLUGIN"
echo "plugin: $PLUGIN"
if [ -n "$COMPARE_PLUGIN" ]; then
    [ -x "$COMPARE_PLUGIN" ] || fail "--compare-plugin: no executable at $COMPARE_PLUGIN"
    COMPARE_PLUGIN=$(cd "$(dirname "$COMPARE_PLUGIN")" && pwd)/$(basename "$COMPARE_PLUGIN")
    echo "compared with: $COMPARE_PLUGIN ($("$COMPARE_PLUGIN" --version 2>&1 | head -n 1))"
fi

say "building the libauparse baseline and the rusage wrapper"
BASELINE="$OUT/auparse_baseline"
RUSAGE="$OUT/rusage_run"
cc -O2 -Wall -Wextra -o "$BASELINE" "$BENCH/baseline/auparse_baseline.c" -lauparse
cc -O2 -Wall -Wextra -o "$RUSAGE" "$BENCH/baseline/rusage_run.c"
echo "baseline: $BASELINE"

# --- Streams -------------------------------------------------------------------------------
stream() { # FORMAT-TAG [generator options…] → path (generated when missing)
    local tag=$1; shift
    local path="$OUT/stream-$tag-$RECORDS-seed$SEED.log"
    if ! [ -s "$path" ] || ! [ -s "$path.meta.json" ]; then
        python3 "$BENCH/generate_stream.py" --records "$RECORDS" --seed "$SEED" "$@" -o "$path" >&2
    fi
    echo "$path"
}
say "stream"
STREAM=$(stream enriched)
echo "$STREAM"
cat "$STREAM" >/dev/null  # into the page cache before the first timed run
python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print("records=%(records)d bytes=%(bytes)d events=%(events)d bpf_events=%(bpf_events)d (share %(bpf_event_share).5f) loads=%(loads)d unloads=%(unloads)d standalone_unloads=%(standalone_unloads)d" % m)' "$STREAM.meta.json"

# --- Timed runs ----------------------------------------------------------------------------
# measure NAME ROUND STDOUT STDERR COMMAND… : one run under rusage_run (wait4: CPU to the
# microsecond, peak RSS), a line in runs.tsv.
record_run() { # NAME ROUND RESULT_FILE
    local wall user sys rss code
    read -r wall user sys rss code <"$3"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$wall" "$user" "$sys" "$rss" >>"$RES/runs.tsv"
    printf '  %-22s round %s: wall %8.3fs  cpu %8.3fs  peak RSS %8s KiB\n' "$1" "$2" "$wall" \
        "$(python3 -c "print($user + $sys)")" "$rss"
}
measure() {
    measure_input /dev/null "$@"
}
measure_input() { # INPUT NAME ROUND STDOUT STDERR COMMAND… : the same with standard input from INPUT
    local input=$1 name=$2 round=$3 out=$4 err=$5; shift 5
    local tf="$RES/rusage.tmp" status=0
    "$RUSAGE" "$tf" "$@" <"$input" >"$out" 2>"$err" || status=$?
    [ "$status" = 0 ] || { tail -n 5 "$err" >&2; fail "$name (round $round) exited with status $status: $*"; }
    record_run "$name" "$round" "$tf"
}
POLICY="$ROOT/Packaging/bpfguard.policy"
printf 'variant\tround\twall_s\tuser_s\tsys_s\tmaxrss_kb\n' >"$RES/runs.tsv"

say "start-up cost (empty input), 3 runs each"
: >"$OUT/empty.log"
for round in 1 2 3; do
    measure startup-baseline "$round" /dev/null "$RES/startup-baseline.err" "$BASELINE" "$OUT/empty.log"
    measure startup-plugin "$round" /dev/null "$RES/startup-plugin.err" "$PLUGIN" --policy "$POLICY" --replay "$OUT/empty.log" --output stdout
done

say "$ROUNDS rounds, alternating: baseline, plugin, plugin --no-prefilter"
for round in $(seq 1 "$ROUNDS"); do
    measure baseline "$round" "$RES/baseline.out" "$RES/baseline.err" "$BASELINE" "$STREAM"
    measure plugin "$round" "$RES/plugin.alerts" "$RES/plugin.err" \
        "$PLUGIN" --policy "$POLICY" --replay "$STREAM" --output stdout
    measure plugin-no-prefilter "$round" "$RES/plugin-no-prefilter.alerts" "$RES/plugin-no-prefilter.err" \
        "$PLUGIN" --policy "$POLICY" --replay "$STREAM" --output stdout --no-prefilter
done
cp "$RES/baseline.out" "$RES/baseline.summary"
grep -h 'replay:' "$RES/plugin.err" >"$RES/plugin.summary" || true
grep -h 'replay:' "$RES/plugin-no-prefilter.err" >"$RES/plugin-no-prefilter.summary" || true
echo "baseline: $(cat "$RES/baseline.summary")"
echo "plugin:   $(cat "$RES/plugin.summary")"

# --- A BPF-dense stream (issue 10, section 3) ----------------------------------------------
# Every event a LOAD: the pre-filter cannot help, every record goes to libauparse and every
# event through the engine and the folder. Replayed, and through standard input as auditd
# feeds a plugin (without kernel lookups, so that both do the work of the replay).
LIVE_STREAM="$OUT/loads-only-$LIVE.log"
[ -s "$LIVE_STREAM" ] || python3 "$BENCH/generate_stream.py" --loads-only "$LIVE" -o "$LIVE_STREAM" >&2
cat "$LIVE_STREAM" >/dev/null
# More rounds than elsewhere: each is about a second, and on a shared machine the ratio of
# two medians of 5 moved by a tenth from run to run, and of 11 by 0.1 to 0.2 (each round's
# ratio is reported too).
DENSE_ROUNDS=$ROUNDS
[ "$QUICK" = 1 ] || [ "$DENSE_ROUNDS" -ge 21 ] || DENSE_ROUNDS=21
say "BPF-dense stream: $LIVE LOAD events ($LIVE_STREAM), $DENSE_ROUNDS rounds, alternating"
dense_variants() { # PREFIX BINARY ROUND
    measure "$1" "$3" "$RES/$1.alerts" "$RES/$1.err" "$2" --policy "$POLICY" --replay "$LIVE_STREAM" --output stdout
    measure_input "$LIVE_STREAM" "$1-stdin" "$3" "$RES/$1-stdin.alerts" "$RES/$1-stdin.err" \
        "$2" --policy "$POLICY" --output stdout --no-lookup
}
for round in $(seq 1 "$DENSE_ROUNDS"); do
    measure dense-baseline "$round" "$RES/dense-baseline.out" "$RES/dense-baseline.err" "$BASELINE" "$LIVE_STREAM"
    measure dense-field-walk "$round" "$RES/dense-field-walk.out" "$RES/dense-field-walk.err" "$BASELINE" --walk-fields "$LIVE_STREAM"
    dense_variants dense-plugin "$PLUGIN" "$round"
    [ -z "$COMPARE_PLUGIN" ] || dense_variants dense-compared "$COMPARE_PLUGIN" "$round"
done
cp "$RES/dense-baseline.out" "$RES/dense-baseline.summary"
cp "$RES/dense-field-walk.out" "$RES/dense-field-walk.summary"
grep -h 'replay:' "$RES/dense-plugin.err" >"$RES/dense-plugin.summary" || true
grep -h 'exiting:' "$RES/dense-plugin-stdin.err" | sed 's/.*exiting: //' >"$RES/dense-plugin-stdin.summary" || true
DENSE_SAME=1
cmp -s "$RES/dense-plugin.alerts" "$RES/dense-plugin-stdin.alerts" || DENSE_SAME=0
if [ -n "$COMPARE_PLUGIN" ]; then
    grep -h 'replay:' "$RES/dense-compared.err" >"$RES/dense-compared.summary" || true
    cmp -s "$RES/dense-plugin.alerts" "$RES/dense-compared.alerts" || DENSE_SAME=0
    cmp -s "$RES/dense-plugin.summary" "$RES/dense-compared.summary" || DENSE_SAME=0
fi
echo "$DENSE_SAME" >"$RES/dense-same"
echo "baseline: $(cat "$RES/dense-baseline.summary")"
echo "plugin:   $(cat "$RES/dense-plugin.summary")"
[ "$DENSE_SAME" = 1 ] || echo "!!! the dense stream's alerts differ (replay, standard input${COMPARE_PLUGIN:+, compared build}): see $RES/dense-*.alerts" >&2

# --- Identical alerts with and without the pre-filter --------------------------------------
say "identical alerts with and without --no-prefilter"
printf 'input\talerts\tresult\n' >"$RES/identical.tsv"
IDENTICAL_FAILED=0
compare_alerts() { # NAME FILE
    local name=$1 file=$2 a="$RES/cmp-a.txt" b="$RES/cmp-b.txt"
    "$PLUGIN" --policy "$POLICY" --replay "$file" --output stdout </dev/null >"$a" 2>/dev/null
    "$PLUGIN" --policy "$POLICY" --replay "$file" --output stdout --no-prefilter </dev/null >"$b" 2>/dev/null
    local count
    count=$(wc -l <"$a")
    if cmp -s "$a" "$b"; then
        printf '%s\t%s\tidentical\n' "$name" "$count" >>"$RES/identical.tsv"
        printf '  %-45s %6s alerts  identical\n' "$name" "$count"
    else
        IDENTICAL_FAILED=1
        printf '%s\t%s\tDIFFERENT\n' "$name" "$count" >>"$RES/identical.tsv"
        printf '\n!!!!!! ALERTS DIFFER with and without the pre-filter on %s !!!!!!\n' "$file" >&2
        diff "$a" "$b" | head -n 20 >&2 || true
        cp "$a" "$RES/DIFF-$name.prefilter.txt"
        cp "$b" "$RES/DIFF-$name.no-prefilter.txt"
    fi
}
compare_alerts "stream (ENRICHED)" "$STREAM"
compare_alerts "stream (RAW)" "$(stream raw --format raw)"
compare_alerts "stream (node=sensor-a)" "$(stream node --node sensor-a)"
compare_alerts "stream (RAW, node=sensor-a)" "$(stream raw-node --format raw --node sensor-a)"
for fixture in "$ROOT"/Tests/Fixtures/captured/*.log "$ROOT"/Tests/Fixtures/captured/*.audit-log \
               "$ROOT"/Tests/Fixtures/handmade/*.log "$ROOT"/Examples/sample-audit.log; do
    [ -e "$fixture" ] || continue
    compare_alerts "${fixture#"$ROOT"/}" "$fixture"
done

# --- Memory --------------------------------------------------------------------------------
say "memory: $LIVE live programs (max_programs = 200000)"
POLICY_200K="$RES/bpfguard-200k.policy"
sed -E 's/^max_programs[[:space:]]*=.*/max_programs = 200000/' "$POLICY" >"$POLICY_200K"
grep -q '^max_programs = 200000$' "$POLICY_200K" || echo "max_programs = 200000" >>"$POLICY_200K"
"$PLUGIN" --check --policy "$POLICY_200K"
measure "memory-$LIVE-live" 1 /dev/null "$RES/memory-live.err" \
    "$PLUGIN" --policy "$POLICY_200K" --replay "$LIVE_STREAM" --output stdout
grep -h 'replay:' "$RES/memory-live.err" | tee "$RES/memory-live.summary"

say "memory: a flood of $FLOOD LOADs, default policy (max_programs = 65536), generator piped in"
python3 "$BENCH/generate_stream.py" --loads-only "$FLOOD" -o - --meta "$RES/flood.meta.json" 2>/dev/null \
    | "$RUSAGE" "$RES/flood.rusage" "$PLUGIN" --policy "$POLICY" --replay - --output stdout >/dev/null 2>"$RES/memory-flood.err" \
    || fail "the flood run failed: $(tail -n 3 "$RES/memory-flood.err")"
record_run "memory-flood-$FLOOD" 1 "$RES/flood.rusage"
grep -h 'replay:' "$RES/memory-flood.err" | tee "$RES/memory-flood.summary"

# --- Latency -------------------------------------------------------------------------------
say "latency, plugin mode: busy (the stream, as fast as the plugin reads it)"
python3 "$BENCH/latency.py" --plugin "$PLUGIN" --mode busy --stream "$STREAM" \
    --stderr "$RES/latency-busy.err" --json "$RES/latency-busy.json" >/dev/null \
    || echo "  (latency busy: non-zero status, see $RES/latency-busy.json)"
python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print("  loads=%d p50=%sms p99=%sms max=%sms missing=%d" % (m["load_events"], m["latency_ms"]["p50"], m["latency_ms"]["p99"], m["latency_ms"]["max"], m["alerts_missing"]))' "$RES/latency-busy.json"

say "latency, plugin mode: quiet ($QUIET_EVENTS LOADs and their UNLOADs, one BPF event every 50 ms)"
python3 "$BENCH/latency.py" --plugin "$PLUGIN" --mode quiet --events "$QUIET_EVENTS" --seed "$SEED" \
    --stderr "$RES/latency-quiet.err" --json "$RES/latency-quiet.json" >/dev/null \
    || echo "  (latency quiet: non-zero status, see $RES/latency-quiet.json)"
python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print("  loads=%d p50=%sms p99=%sms max=%sms missing=%d" % (m["load_events"], m["latency_ms"]["p50"], m["latency_ms"]["p99"], m["latency_ms"]["max"], m["alerts_missing"]))' "$RES/latency-quiet.json"

say "latency, plugin mode: quiet without the standalone UNLOAD templates (diagnosis)"
python3 "$BENCH/latency.py" --plugin "$PLUGIN" --mode quiet --events "$QUIET_EVENTS" --seed "$SEED" --skip-standalone \
    --stderr "$RES/latency-quiet-no-standalone.err" --json "$RES/latency-quiet-no-standalone.json" >/dev/null \
    || echo "  (latency quiet without standalone: non-zero status)"
python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print("  loads=%d p50=%sms p99=%sms max=%sms missing=%d" % (m["load_events"], m["latency_ms"]["p50"], m["latency_ms"]["p99"], m["latency_ms"]["max"], m["alerts_missing"]))' "$RES/latency-quiet-no-standalone.json"

LOADER_SOURCE="$ROOT/Tests/Fixtures/loader/bpfload.c"
if [ -f "$LOADER_SOURCE" ] && cc -O2 -o "$OUT/bpfload" "$LOADER_SOURCE" 2>"$RES/bpfload-build.log" \
        && "$OUT/bpfload" --name bench_probe >/dev/null 2>&1; then
    say "latency, plugin mode: quiet with real programs (each LOAD names a program loaded by bpfload and held 1.5 s)"
    python3 "$BENCH/latency.py" --plugin "$PLUGIN" --mode quiet --events "$QUIET_EVENTS" --seed "$SEED" --skip-standalone \
        --live-loader "$OUT/bpfload" --stderr "$RES/latency-quiet-live.err" --json "$RES/latency-quiet-live.json" >/dev/null \
        || echo "  (latency quiet with real programs: non-zero status)"
    python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print("  loads=%d p50=%sms p99=%sms max=%sms missing=%d" % (m["load_events"], m["latency_ms"]["p50"], m["latency_ms"]["p99"], m["latency_ms"]["max"], m["alerts_missing"]))' "$RES/latency-quiet-live.json"
    grep -h 'exiting:' "$RES/latency-quiet-live.err" | sed 's/^/  /' || true
else
    echo "(no real BPF programs can be loaded here: the latency run with kernel lookups that find their program is skipped)"
fi

# --- Loader facts (issue 9) ----------------------------------------------------------------
say "loader facts: a BPF event with a cold and a warm trust cache, memory of dpkg's path index"
FACTS_OPTIONS=(--rounds "$ROUNDS")
[ "$QUICK" = 1 ] && FACTS_OPTIONS+=(--events 2000)
# A larger host's database (2,000 packages) is bind-mounted in a private mount namespace: root only.
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then FACTS_OPTIONS+=(--synthetic-packages 2000); fi
python3 "$BENCH/loader_facts.py" --plugin "$PLUGIN" --rusage "$RUSAGE" --results "$RES" "${FACTS_OPTIONS[@]}" \
    || echo "  (loader facts: non-zero status)"

# --- Report --------------------------------------------------------------------------------
say "report"
ACTIVITY_AFTER=$(activity)
echo "machine: $ACTIVITY_AFTER"
export B_COMMAND="$COMMAND_LINE" B_STARTED="$STARTED" B_FINISHED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    B_DURATION=$((SECONDS - START_SECONDS)) B_QUICK=$QUICK B_ROUNDS=$ROUNDS B_DENSE_ROUNDS=$DENSE_ROUNDS B_RECORDS=$RECORDS B_SEED=$SEED \
    B_FLOOD=$FLOOD B_LIVE=$LIVE B_COMPARE_PLUGIN="$COMPARE_PLUGIN" \
    B_COMPARE_VERSION="${COMPARE_PLUGIN:+$("$COMPARE_PLUGIN" --version 2>&1 | head -n 1)}" B_LIVE_STREAM="${LIVE_STREAM#"$ROOT"/}" B_QUIET_EVENTS=$QUIET_EVENTS B_IDENTICAL_FAILED=$IDENTICAL_FAILED \
    B_NPROC="$(nproc)" \
    B_CPU_MODEL="$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')" \
    B_MEMORY="$(awk '/^MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)" \
    B_KERNEL="$(uname -r)" B_OS="$(. /etc/os-release && echo "$PRETTY_NAME")" \
    B_SWIFT="$(swift --version 2>&1 | head -n 1)" \
    B_LIBAUPARSE="$(dpkg-query -W -f='${Version}' libauparse0 2>/dev/null || echo unknown)" \
    B_CC="$(cc --version | head -n 1)" B_PYTHON="$(python3 --version 2>&1)" \
    B_GIT_HEAD="$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    B_GIT_SUBJECT="$(cd "$ROOT" && git log -1 --format=%s 2>/dev/null || true)" \
    B_UNCOMMITTED="$(cd "$ROOT" && git status --porcelain -- Sources Package.swift 2>/dev/null | tr '\n' ';' || true)" \
    B_STREAM="${STREAM#"$ROOT"/}" B_PLUGIN="${PLUGIN#"$ROOT"/}" \
    B_ACTIVITY_BEFORE="$ACTIVITY_BEFORE" B_ACTIVITY_AFTER="$ACTIVITY_AFTER"
python3 - "$RES/environment.json" <<'EOF'
import json, os, sys
keys = ["command", "started", "finished", "duration", "quick", "rounds", "dense_rounds", "records", "seed", "flood", "live",
        "compare_plugin", "compare_version", "live_stream",
        "quiet_events", "identical_failed", "nproc", "cpu_model", "memory", "kernel", "os", "swift", "libauparse",
        "cc", "python", "git_head", "git_subject", "uncommitted", "stream", "plugin", "activity_before",
        "activity_after"]
json.dump({key: os.environ.get("B_" + key.upper(), "") for key in keys}, open(sys.argv[1], "w"), indent=2)
EOF
python3 "$BENCH/report.py" --results "$RES" --stream-meta "$STREAM.meta.json" --output "$REPORT"
echo "report: $REPORT  (raw results: $RES)"
echo "took $((SECONDS - START_SECONDS)) s"
if [ "$IDENTICAL_FAILED" != 0 ]; then
    echo >&2
    echo "run.sh: FAILED: the alerts differ with and without the pre-filter (see $RES/identical.tsv)" >&2
    exit 1
fi
