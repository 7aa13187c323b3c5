# Shared by build-binary.sh, build-deb.sh and build-rpm.sh (sourced, not run). The sourcing
# script sets SCRIPT (its name in messages) and passes its arguments to parse_outdir_argument.
#
# Provides: PACKAGE, ROOT, PACKAGING (ROOT/Packaging), say, die, need, parse_outdir_argument,
# check_swift, check_debian_dev_packages (the -dev packages Package.swift names are installed),
# read_version (VERSION from Sources/audisp-bpfguard/Version.swift, the only place it is
# written), make_outdir (OUTDIR, default dist/ at the repository root), debian11_sysroot
# (the path of the Debian 11 root the release executable is linked against).

readonly PACKAGE=audisp-bpfguard
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
readonly PACKAGING="$ROOT/Packaging"

say() { printf '%s: %s\n' "$SCRIPT" "$*" >&2; }
die() { printf '%s: error: %s\n' "$SCRIPT" "$*" >&2; exit 1; }

usage() {
    printf 'Usage: %s [OUTDIR]\n' "$SCRIPT" >&2
    exit 2
}

parse_outdir_argument() {
    case "${1:-}" in
        -*) usage ;;
    esac
    [ "$#" -le 1 ] || usage
}

need() { # need COMMAND DEBIAN-PACKAGE
    command -v "$1" >/dev/null 2>&1 || die "'$1' not found: install $2 (apt-get install $2)"
}

check_swift() {
    command -v swift >/dev/null 2>&1 || die "'swift' not found: put a Swift 6 toolchain on PATH (https://www.swift.org/install/)"
}

# The C libraries: the Debian packages Package.swift names as providers of its
# system-library targets (libauparse-dev, libcap-ng-dev, …) must be installed.
check_debian_dev_packages() {
    need dpkg-query dpkg
    local dev
    for dev in $(package_swift_providers apt); do
        dpkg-query -W -f='${Status}\n' "$dev" 2>/dev/null | grep -q ' installed$' \
            || die "$dev is not installed (Package.swift needs it): install $dev (apt-get install $dev)"
    done
}

# package_swift_providers apt|yum: the packages Package.swift names for that package manager.
package_swift_providers() {
    grep -o "\\.$1(\\[[^]]*\\])" "$ROOT/Package.swift" | grep -o '"[^"]*"' | tr -d '"'
}

read_version() {
    VERSION=$(sed -n 's/^let bpfguardVersion = "\([^"]*\)"[[:space:]]*$/\1/p' "$ROOT/Sources/audisp-bpfguard/Version.swift")
    [[ "$VERSION" =~ ^[0-9][0-9A-Za-z.+~]*$ ]] \
        || die "cannot read the version from Sources/audisp-bpfguard/Version.swift (found '$VERSION')"
}

make_outdir() { # make_outdir [OUTDIR]
    OUTDIR=${1:-$ROOT/dist}
    mkdir -p "$OUTDIR"
    OUTDIR=$(cd "$OUTDIR" && pwd)
}

# The Debian 11 packages of the sysroot: glibc and GCC 10's C++ runtime, the -dev packages
# Package.swift names (but libbpf-dev: libbpf is linked statically from the host's), those of
# libbpf's own libraries (libelf, zlib), and dpkg-dev (build-deb.sh runs dpkg-shlibdeps in
# the sysroot, so that the .deb depends on Debian 11's package names and versions).
debian11_sysroot_packages() {
    printf '%s\n' libc6-dev libgcc-10-dev libstdc++-10-dev libelf-dev zlib1g-dev dpkg-dev
    package_swift_providers apt | grep -vx libbpf-dev
}

# debian11_sysroot: prints the sysroot's path: $BPFGUARD_SYSROOT when set (a Debian 11 root
# with those packages), else the cached root debootstrap-root.sh makes (root, network once).
debian11_sysroot() {
    if [ -n "${BPFGUARD_SYSROOT:-}" ]; then
        [ -d "$BPFGUARD_SYSROOT/usr/lib/x86_64-linux-gnu" ] || die "BPFGUARD_SYSROOT=$BPFGUARD_SYSROOT is not a Debian root"
        printf '%s\n' "$BPFGUARD_SYSROOT"
    else
        # shellcheck disable=SC2046 # one package name per word
        bash "$PACKAGING/debootstrap-root.sh" sysroot-bullseye bullseye $(debian11_sysroot_packages) | tail -n 1
    fi
}
