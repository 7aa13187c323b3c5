#!/usr/bin/env bash
# Writes the seed corpora and the regression inputs of the fuzz targets into a cache
# directory (generated, never committed):
#
#   bash Fuzz/seeds.sh [DIR]        # default .build/fuzz
#
# DIR/seeds/input-path      every fixture log (Tests/Fixtures/captured/*.log and *.audit-log,
#                           handmade/*.log, Examples/sample-audit.log) cut at line ends into
#                           pieces of at most 4 KB (of busy-sample.log only the pieces with a
#                           BPF record and every 16th other), each behind a 4-byte mode header,
#                           the 8 combinations of switches in turn (Fuzz/InputPath/InputPathMode.swift)
# DIR/seeds/policy-parser   Packaging/bpfguard.policy, every policy written in the tests
#                           (triple-quoted literals holding a rule), the regression policies
# DIR/regressions/TARGET    the regression inputs of Tests/Fixtures/regressions (the large ones
#                           from its generate.sh): each audit log once per mode header, each
#                           fuzzer finding (NAME.TARGET) as it is, each policy as it is
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-.build/fuzz}
seeds=$out/seeds
regressions=$out/regressions
rm -rf "$seeds" "$regressions"
mkdir -p "$seeds/input-path" "$seeds/policy-parser" "$regressions/input-path" "$regressions/policy-parser" "$out/generated"

# header MODE SEED: the 4-byte mode header (switches, then three seed bytes).
header() { printf "\\$(printf %03o "$1")\\$(printf %03o $(($2 & 255)))\\$(printf %03o $(($2 >> 8 & 255)))\\$(printf %03o $(($2 >> 16 & 255)))"; }

pieces=$(mktemp -d)
trap 'rm -rf "$pieces"' EXIT
count=0
for log in Tests/Fixtures/captured/*.log Tests/Fixtures/captured/*.audit-log Tests/Fixtures/handmade/*.log Examples/sample-audit.log; do
    rm -f "$pieces"/*
    split -C 4096 -d -a 5 "$log" "$pieces/piece-"
    index=0
    for piece in "$pieces"/piece-*; do
        index=$((index + 1))
        if [ "$(basename "$log")" = busy-sample.log ] && ! grep -q 'type=BPF' "$piece" && [ $((index % 16)) -ne 0 ]; then continue; fi
        count=$((count + 1))
        { header $((count % 8)) "$count"; cat "$piece"; } > "$seeds/input-path/$(basename "$log")-$index"
    done
done

bash Tests/Fixtures/regressions/generate.sh "$out/generated"
for log in Tests/Fixtures/regressions/*.log "$out"/generated/*.log; do
    for mode in 0 1 2 3 4 5 6 7; do
        { header "$mode" 4242; cat "$log"; } > "$regressions/input-path/$(basename "$log").mode$mode"
    done
done
for finding in Tests/Fixtures/regressions/*.input-path; do
    [ -e "$finding" ] && cp "$finding" "$regressions/input-path/"
done
for policy in Tests/Fixtures/regressions/*.policy "$out"/generated/*.policy; do
    [ -e "$policy" ] && cp "$policy" "$regressions/policy-parser/"
done

cp Packaging/bpfguard.policy "$seeds/policy-parser/shipped.policy"
cp Tests/Fixtures/regressions/*.policy "$seeds/policy-parser/"
# Multi-line string literals of the tests that hold a rule: the policies the tests use.
awk '
    FNR == 1 { inside = 0 }
    !inside && /"""$/ { inside = 1; text = ""; next }
    inside && /^[ \t]*"""/ {
        inside = 0
        match($0, /^[ \t]*/); indent = RLENGTH
        if (text ~ /(^|\n)[ \t]*(allow|alert)[ \t]/) {
            n++; file = dir "/test-policy-" n
            split(text, lines, "\n")
            for (i = 1; i < length(lines); i++) print substr(lines[i], indent + 1) > file
            close(file)
        }
        next
    }
    inside { text = text $0 "\n" }
' dir="$seeds/policy-parser" Tests/*/*.swift
echo "fuzz seeds: $(ls "$seeds/input-path" | wc -l) input-path, $(ls "$seeds/policy-parser" | wc -l) policy-parser, $(ls "$regressions/input-path" | wc -l) + $(ls "$regressions/policy-parser" | wc -l) regression inputs in $out"
