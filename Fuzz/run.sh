#!/usr/bin/env bash
# Runs one fuzz target for a bounded time:
#
#   bash Fuzz/run.sh input-path|policy-parser SECONDS
#
# 1. builds the targets (Fuzz/build.sh) and, when the fixtures changed, the seeds and
#    regression inputs (Fuzz/seeds.sh), all under .build/fuzz (FUZZ_BUILD_DIR to change);
# 2. replays every regression input of the target (Tests/Fixtures/regressions);
# 3. fuzzes for SECONDS (libFuzzer -max_total_time) from the seeds and the corpus that earlier
#    runs kept (.build/fuzz/corpus/TARGET, so a longer search can go on where the last ended).
#
# Exit status 0 when nothing was found, 1 on a finding: the input that broke an invariant,
# crashed, ran out of time (-timeout) or memory (-rss_limit_mb) is left in
# .build/fuzz/findings/TARGET/ and its path printed. Reproduce: .build/fuzz/bin/TARGET FILE
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: bash Fuzz/run.sh input-path|policy-parser SECONDS"
target=${1:?$usage}
seconds=${2:?$usage}
case $target in
    input-path) max_len=65536 ;;
    policy-parser) max_len=8192 ;;
    *) echo "$usage" >&2; exit 2 ;;
esac
out=${FUZZ_BUILD_DIR:-.build/fuzz}
binary=$out/bin/$target
findings=$out/findings/$target
corpus=$out/corpus/$target
mkdir -p "$findings" "$corpus"

# The Swift runtime's backtracer would hold a crashing target's output open; libFuzzer
# prints the stack itself. LeakSanitizer is off: Swift keeps enum tags in spare pointer
# bits, so it reports live objects as leaked; growth is bounded by -rss_limit_mb instead.
export SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0
common=(-detect_leaks=0 -rss_limit_mb=2048)

FUZZ_BUILD_DIR=$out bash Fuzz/build.sh
stamp=$out/seeds/.stamp
if [ ! -e "$stamp" ] || [ -n "$(find Tests/Fixtures Examples Packaging/bpfguard.policy Fuzz/seeds.sh Tests/*/*.swift -newer "$stamp" -print -quit)" ]; then
    bash Fuzz/seeds.sh "$out"
    touch "$stamp"
fi

status=0
report() {  # report INPUT LOG: a finding, with the first line that says what broke
    local reason
    reason=$(grep -m1 -E 'invariant broken|Swift runtime failure|ERROR: (AddressSanitizer|libFuzzer)|Fatal error' "$2" || true)
    echo "FINDING ($target): $1"
    echo "    ${reason:-exit status $3, see $2}"
    status=1
}

echo "== $target: replaying $(ls "$out/regressions/$target" | wc -l) regression inputs (Tests/Fixtures/regressions)"
for input in "$out/regressions/$target"/*; do
    log=$findings/replay-$(basename "$input").log
    code=0
    "$binary" "${common[@]}" -timeout=120 "$input" > "$log" 2>&1 || code=$?
    if [ "$code" -ne 0 ]; then
        cp "$input" "$findings/"
        report "$findings/$(basename "$input") (a regression input)" "$log" "$code"
    else
        rm -f "$log"
    fi
done

echo "== $target: fuzzing for $seconds s (seeds $out/seeds/$target, corpus $corpus, log $findings/fuzz.log)"
code=0
"$binary" "${common[@]}" -max_total_time="$seconds" -timeout=10 -max_len="$max_len" -dict="Fuzz/$target.dict" \
    -artifact_prefix="$findings/" -print_final_stats=1 "$corpus" "$out/seeds/$target" > "$findings/fuzz.log" 2>&1 || code=$?
grep -E '^(INFO: seed corpus|#[0-9]+[[:space:]]+(INITED|DONE))|^stat::number_of_executed_units|^stat::peak_rss_mb' "$findings/fuzz.log" || true
if [ "$code" -ne 0 ]; then
    for artifact in "$findings"/crash-* "$findings"/timeout-* "$findings"/oom-* "$findings"/slow-unit-*; do
        [ -e "$artifact" ] && report "$artifact" "$findings/fuzz.log" "$code"
    done
    [ "$status" -ne 0 ] || report "(no input written)" "$findings/fuzz.log" "$code"
    tail -n 40 "$findings/fuzz.log"
fi
[ "$status" -eq 0 ] && echo "== $target: nothing found"
exit "$status"
