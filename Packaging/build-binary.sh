#!/bin/bash
# Builds the release executable that both packages ship: one binary for glibc 2.28 and newer
# (Debian 11–13, RHEL 8–10, x86_64).
#
#   Packaging/build-binary.sh [OUTDIR]
#
# Writes OUTDIR/audisp-bpfguard (stripped; OUTDIR defaults to dist/ at the root of the
# repository) and prints its path as the last line of standard output; progress goes to
# standard error. build-deb.sh and build-rpm.sh call it, so the .deb and the .rpm carry the
# same bytes.
#
# Why: linked on this Debian 12 host like `swift build`, the executable needs glibc 2.35
# (hypotf), 2.34 (__libc_start_main, pthread_create, dlopen, …), 2.33 (stat), 2.32 and 2.29
# (exp, log), libstdc++'s GLIBCXX_3.4.29 and libbpf.so.1 — none of which RHEL 8 has.
#
# How: `swift build -c release --static-swift-stdlib` compiles as on any Debian 12 machine,
# but links against a sysroot of Debian 11 (glibc 2.31) made once with debootstrap
# (debian11_sysroot in lib.sh: debootstrap-root.sh, or $BPFGUARD_SYSROOT):
# - glibc, libauparse, libcap-ng, libelf and zlib are Debian 11's: the executable binds to
#   the symbol versions those have;
# - libbpf is linked statically (Debian 12's libbpf.a from libbpf-dev, 1.1), with its
#   libelf and libz dynamic;
# - libstdc++ and the unwinder (libgcc_eh) are linked statically from Debian 11's GCC 10:
#   the static Swift runtime needs GLIBCXX_3.4.29, newer than RHEL 8's or Debian 11's
#   libstdc++.so.6;
# - Packaging/portable/debian11-link-compat.cpp supplies the one libstdc++ function GCC 10
#   lacks, and binds exp, exp2, log and log2 (GLIBC_2.29 in a glibc 2.31 link) to their
#   GLIBC_2.2.5 versions through --wrap.
# The link directory $ROOT/.build-portable/link, searched before the sysroot's directories,
# holds linker scripts named libstdc++.so and libbpf.so that make -lstdc++ and -lbpf
# static, libutil.so that links libutil only if used, and .pc files that keep the host's
# library directory out of the link. Then check-binary.sh (the packaging check) must pass,
# and the stripped executable must print its version and pass --check of the default policy.
#
# Needs root the first time (debootstrap makes the sysroot; then the network too), swift
# (its clang++ compiles the compat file), binutils, pkg-config and the -dev packages
# Package.swift names (libbpf-dev for libbpf.a).
set -euo pipefail

SCRIPT=build-binary
# shellcheck source=Packaging/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
parse_outdir_argument "$@"

check_swift
need strip binutils
need readelf binutils
need pkg-config pkg-config
check_debian_dev_packages
SWIFT_BIN=$(dirname "$(readlink -f "$(command -v swift)")")
CLANGXX="$SWIFT_BIN/clang++"
[ -x "$CLANGXX" ] || die "no clang++ next to swift ($SWIFT_BIN): the Swift toolchain's clang is needed"
[ "$(uname -m)" = x86_64 ] || die "the portable build is made for x86_64 only (this machine is $(uname -m))"
LIBBPF_A=/usr/lib/x86_64-linux-gnu/libbpf.a
[ -f "$LIBBPF_A" ] || die "$LIBBPF_A not found: install libbpf-dev (apt-get install libbpf-dev)"

SYSROOT=$(debian11_sysroot) || die "cannot make the Debian 11 sysroot"
GCC_LIB=$(find "$SYSROOT/usr/lib/gcc/x86_64-linux-gnu" -mindepth 1 -maxdepth 1 -name '10*' | head -n 1)
[ -n "$GCC_LIB" ] && [ -f "$GCC_LIB/libstdc++.a" ] && [ -f "$GCC_LIB/libgcc_eh.a" ] \
    || die "$SYSROOT has no GCC 10 libstdc++.a/libgcc_eh.a (libstdc++-10-dev, libgcc-10-dev)"
say "sysroot: $SYSROOT (libc6 $(dpkg-query --admindir="$SYSROOT/var/lib/dpkg" -W -f='${Version}' libc6 2>/dev/null || echo '?'))"

make_outdir "${1:-}"
SCRATCH="$ROOT/.build-portable"
LINK="$SCRATCH/link"
mkdir -p "$LINK"
"$CLANGXX" --sysroot="$SYSROOT" -O2 -fPIC -fexceptions -Wall -Werror \
    -c "$PACKAGING/portable/debian11-link-compat.cpp" -o "$LINK/debian11-link-compat.o"
printf 'INPUT(%s %s)\n' "$LINK/debian11-link-compat.o" "$GCC_LIB/libstdc++.a" >"$LINK/libstdc++.so"
printf 'INPUT(%s -lelf -lz)\n' "$LIBBPF_A" >"$LINK/libbpf.so"
# Swift's Glibc module asks for -lutil, whose functions (openpty, …) the plugin never calls:
# glibc 2.31's libutil.so.1 is linked only if needed (with 2.34 and later it is part of libc).
printf 'INPUT(AS_NEEDED(%s))\n' "$SYSROOT/usr/lib/x86_64-linux-gnu/libutil.so" >"$LINK/libutil.so"
# SwiftPM takes -L/usr/lib/x86_64-linux-gnu from the host's .pc files, which would put the
# host's libraries before the sysroot's: the link directory's .pc files (searched first)
# give the same headers and library names without the directory.
mkdir -p "$LINK/pkgconfig"
for module in $(sed -n 's/.*pkgConfig: "\([^"]*\)".*/\1/p' "$ROOT/Package.swift"); do
    pkg-config --exists "$module" || die "pkg-config does not know $module (Package.swift needs it): install its -dev package"
    printf 'Name: %s\nDescription: %s for the link against the sysroot (build-binary.sh)\nVersion: %s\nLibs: %s\nCflags: %s\n' \
        "$module" "$module" "$(pkg-config --modversion "$module")" \
        "$(pkg-config --libs-only-l "$module")" "$(pkg-config --cflags-only-I "$module")" >"$LINK/pkgconfig/$module.pc"
done

WRAPPED=(exp exp2 log log2)
SWIFT_BUILD=(swift build -c release --static-swift-stdlib --scratch-path "$SCRATCH" --pkg-config-path "$LINK/pkgconfig"
    # No RUNPATH $ORIGIN: a root-run plugin in /usr/sbin loads its libraries from the system only.
    --disable-local-rpath
    # -z now: all symbols bound at start-up (with the default -z relro: a read-only GOT).
    -Xlinker -z -Xlinker now
    -Xswiftc -Xclang-linker -Xswiftc "--sysroot=$SYSROOT"
    -Xswiftc -Xclang-linker -Xswiftc -static-libgcc
    -Xswiftc "-L$LINK")
for symbol in "${WRAPPED[@]}"; do SWIFT_BUILD+=(-Xlinker "--wrap=$symbol"); done

BIN_DIR=$(cd "$ROOT" && "${SWIFT_BUILD[@]}" --show-bin-path)
# The link's inputs include the link directory's files, which the build system does not
# track: link again every time (a few seconds).
rm -f "$BIN_DIR/$PACKAGE"
say "building $PACKAGE (release, static Swift runtime, linked against $SYSROOT)"
(cd "$ROOT" && "${SWIFT_BUILD[@]}" >&2) || die "swift build failed"
[ -x "$BIN_DIR/$PACKAGE" ] || die "the build produced no $BIN_DIR/$PACKAGE"

BINARY="$OUTDIR/$PACKAGE"
install -m 0750 "$BIN_DIR/$PACKAGE" "$BINARY"
# As dh_strip does: no symbol tables, no .comment/.note sections.
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$BINARY"
bash "$PACKAGING/check-binary.sh" "$BINARY" || die "the packaging check failed"

read_version
STAGED_VERSION=$("$BINARY" --version) || die "the stripped executable does not run"
[ "$STAGED_VERSION" = "$PACKAGE $VERSION" ] \
    || die "'$PACKAGE --version' prints '$STAGED_VERSION', expected '$PACKAGE $VERSION'"
"$BINARY" --check --policy "$PACKAGING/bpfguard.policy" >&2 \
    || die "the default policy Packaging/bpfguard.policy does not pass --check"
say "built $BINARY"
printf '%s\n' "$BINARY"
