#!/usr/bin/env bash
# Builds the libFuzzer targets: Sources/BPFGuardCore and Sources/BPFGuardAudit compiled as
# modules with coverage and AddressSanitizer (swiftc -sanitize=fuzzer,address), then each
# target (Fuzz/InputPath, Fuzz/PolicyParser, with Fuzz/Support) linked against them and
# libFuzzer's main. Not a SwiftPM target: SwiftPM cannot link libFuzzer's main.
#
#   bash Fuzz/build.sh            # binaries in .build/fuzz/bin (FUZZ_BUILD_DIR to change)
#
# A module is rebuilt only when one of its sources is newer than its object.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)  # absolute source paths: #filePath locates the shipped policy

out=${FUZZ_BUILD_DIR:-.build/fuzz}
modules=$out/modules
mkdir -p "$modules" "$out/bin"
flags=(-sanitize=fuzzer,address -parse-as-library -O -g)

# ld.gold warns once per AddressSanitizer helper symbol; nothing else is dropped.
quiet() { "$@" 2>&1 | { grep -v "warning: Cannot export local symbol" || true; }; }

# stale OBJECT SOURCE…: whether OBJECT is missing or older than a SOURCE.
stale() {
    local object=$1; shift
    [ -e "$object" ] || return 0
    [ -n "$(find "$@" -newer "$object" -print -quit)" ]
}

compile_module() {  # compile_module NAME SOURCE_DIR EXTRA_FLAG…
    local name=$1 dir=$2; shift 2
    echo "fuzz build: module $name"
    quiet swiftc "${flags[@]}" -module-name "$name" -wmo -c -o "$modules/$name.o" \
        -emit-module -emit-module-path "$modules/$name.swiftmodule" "$@" $(find "$dir" -name '*.swift' | sort)
    touch "$modules/$name.o"  # swiftc may keep an unchanged object, and its old time
}

link_target() {  # link_target NAME SOURCE_DIR OBJECT_OR_LINK_FLAG…
    local name=$1 dir=$2; shift 2
    echo "fuzz build: target $name"
    quiet swiftc "${flags[@]}" -I "$modules" -I Sources/CAuparse -o "$out/bin/$name" "$root"/Fuzz/Support/*.swift "$root/$dir"/*.swift "$@"
}

core=$modules/BPFGuardCore.o
audit=$modules/BPFGuardAudit.o
if stale "$core" Sources/BPFGuardCore Fuzz/build.sh; then
    compile_module BPFGuardCore Sources/BPFGuardCore
fi
if stale "$audit" Sources/BPFGuardAudit Sources/CAuparse "$core"; then
    compile_module BPFGuardAudit Sources/BPFGuardAudit -I "$modules" -I Sources/CAuparse
fi
if stale "$out/bin/input-path" Fuzz/InputPath Fuzz/Support "$core" "$audit"; then
    link_target input-path Fuzz/InputPath "$core" "$audit" -lauparse
fi
if stale "$out/bin/policy-parser" Fuzz/PolicyParser Fuzz/Support "$core"; then
    link_target policy-parser Fuzz/PolicyParser "$core"
fi
echo "fuzz build: $out/bin/input-path $out/bin/policy-parser"
