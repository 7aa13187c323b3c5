#!/bin/bash
# Makes a Debian root with debootstrap once, caches it, and prints its path.
#
#   Packaging/debootstrap-root.sh NAME SUITE [PACKAGE…]
#
# Used for the link sysroot of the release executable (build-binary.sh: Debian 11 with the
# -dev packages, so that the executable needs nothing newer than Debian 11 has) and for the
# roots the distribution test installs the packages into (Tests/Distributions/run.sh).
#
# The root is CACHE/roots/NAME-KEY, where CACHE is $BPFGUARD_CACHE (default
# /var/cache/audisp-bpfguard, outside the repository so that every clone and CI run reuses
# it) and KEY a hash of this script, SUITE and the packages: changing any of them makes a
# new root, and the older roots of the same NAME are removed. A root is made in a scratch
# directory and renamed when complete, under a lock, so an interrupted or concurrent run
# never leaves or uses half a root. debootstrap (variant minbase) verifies the archive's
# signatures with the keyring of debian-archive-keyring; the mirror is $BPFGUARD_DEBIAN_MIRROR
# (default http://deb.debian.org/debian). Needs root, debootstrap and, the first time, the
# network; the path is the last line of standard output, progress goes to standard error.
set -euo pipefail

SCRIPT=debootstrap-root
say() { printf '%s: %s\n' "$SCRIPT" "$*" >&2; }
die() { printf '%s: error: %s\n' "$SCRIPT" "$*" >&2; exit 1; }

[ "$#" -ge 2 ] || { printf 'Usage: %s NAME SUITE [PACKAGE…]\n' "$0" >&2; exit 2; }
NAME=$1
SUITE=$2
shift 2
[[ "$NAME" =~ ^[a-z0-9][a-z0-9.-]*$ ]] || die "NAME must be lower-case letters, digits, '.' and '-' (got '$NAME')"
[[ "$SUITE" =~ ^[a-z]+$ ]] || die "SUITE must be a Debian code name such as bullseye (got '$SUITE')"
PACKAGES=$(printf '%s\n' "$@" | LC_ALL=C sort -u | paste -sd, -)

CACHE=${BPFGUARD_CACHE:-/var/cache/audisp-bpfguard}
MIRROR=${BPFGUARD_DEBIAN_MIRROR:-http://deb.debian.org/debian}
KEY=$( { cat "${BASH_SOURCE[0]}"; printf '%s\n%s\n' "$SUITE" "$PACKAGES"; } | sha256sum | cut -c1-12)
ROOTS="$CACHE/roots"
TARGET="$ROOTS/$NAME-$KEY"

if [ -f "$TARGET/.bpfguard-root" ]; then
    printf '%s\n' "$TARGET"
    exit 0
fi

[ "$(id -u)" -eq 0 ] || die "making the $SUITE root $NAME needs root (debootstrap)"
command -v debootstrap >/dev/null 2>&1 || die "'debootstrap' not found: install debootstrap (apt-get install debootstrap)"
command -v flock >/dev/null 2>&1 || die "'flock' not found: install util-linux"
mkdir -p "$ROOTS"
exec 9>"$ROOTS/$NAME.lock"
flock 9
if [ ! -f "$TARGET/.bpfguard-root" ]; then
    SCRATCH="$ROOTS/.$NAME-$KEY.partial"
    rm -rf "$SCRATCH"
    say "making $TARGET: debootstrap $SUITE from $MIRROR${PACKAGES:+ with $PACKAGES} (once; a few minutes)"
    include=()
    [ -n "$PACKAGES" ] && include=("--include=$PACKAGES")
    if ! debootstrap --variant=minbase "${include[@]}" "$SUITE" "$SCRATCH" "$MIRROR" >"$ROOTS/$NAME.debootstrap.log" 2>&1; then
        tail -n 20 "$ROOTS/$NAME.debootstrap.log" >&2
        die "debootstrap $SUITE failed (whole log: $ROOTS/$NAME.debootstrap.log)"
    fi
    # The downloaded .debs are not needed once installed.
    rm -f "$SCRATCH"/var/cache/apt/archives/*.deb
    # Absolute symbolic links in the library directories (libauparse.so -> /lib/…,
    # /lib64/ld-linux-x86-64.so.2 -> /lib/…) would
    # lead a linker using the root as its sysroot to the host's libraries: make them
    # relative (inside the root they point where they did).
    libdirs=()
    for dir in "$SCRATCH/usr/lib" "$SCRATCH/usr/lib64"; do [ -d "$dir" ] && libdirs+=("$dir"); done
    find "${libdirs[@]}" -type l -lname '/*' -print0 | while IFS= read -r -d '' link; do
        ln -sfn "$(realpath -s -m --relative-to="$(dirname "$link")" "$SCRATCH$(readlink "$link")")" "$link"
    done
    printf 'suite=%s\npackages=%s\nmirror=%s\n' "$SUITE" "$PACKAGES" "$MIRROR" >"$SCRATCH/.bpfguard-root"
    for old in "$ROOTS/$NAME"-*; do
        [[ "${old##*/}" =~ ^$NAME-[0-9a-f]{12}$ ]] && [ "$old" != "$TARGET" ] || continue
        say "removing the outdated root $old"
        rm -rf "$old"
    done
    mv "$SCRATCH" "$TARGET"
fi
printf '%s\n' "$TARGET"
