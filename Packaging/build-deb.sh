#!/bin/bash
# Builds the Debian package of audisp-bpfguard.
#
#   Packaging/build-deb.sh [OUTDIR]
#
# Writes OUTDIR/audisp-bpfguard_VERSION_ARCH.deb (OUTDIR defaults to dist/ at the root of
# the repository) and prints its path as the last line of standard output; progress goes
# to standard error. Runs from any directory. Needs swift, and the Debian packages
# dpkg-dev, binutils, pkg-config, gzip and the -dev packages Package.swift names
# (libauparse-dev, libcap-ng-dev, …); it installs nothing, and says what is missing.
#
# VERSION comes from Sources/audisp-bpfguard/Version.swift (the only place it is written);
# the top entry of Packaging/debian/changelog must name the same version. The executable is
# a release build with the Swift runtime linked statically, so the package depends only on
# the C libraries dpkg-shlibdeps finds (libauparse, libcap-ng, libc, libstdc++, libgcc, …).
set -euo pipefail

SCRIPT=build-deb
# shellcheck source=Packaging/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
readonly PACKAGING="$ROOT/Packaging"
parse_outdir_argument "$@"

# --- Tools ------------------------------------------------------------------------------

check_swift
need dpkg-deb dpkg
need dpkg-shlibdeps dpkg-dev
need dpkg-gencontrol dpkg-dev
need dpkg-parsechangelog dpkg-dev
need gzip gzip
need ldd libc-bin
need strip binutils
need md5sum coreutils
need pkg-config pkg-config
check_debian_dev_packages
for dev in $(package_swift_providers apt); do
    grep -Eq "^Build-Depends:.*[ ,]$dev(,|\$)" "$PACKAGING/debian/control" \
        || die "Package.swift needs $dev but Packaging/debian/control does not list it in Build-Depends"
done

# --- Version ----------------------------------------------------------------------------

read_version
CHANGELOG_VERSION=$(dpkg-parsechangelog -l "$PACKAGING/debian/changelog" -SVersion)
[ "$CHANGELOG_VERSION" = "$VERSION" ] \
    || die "Packaging/debian/changelog starts with version $CHANGELOG_VERSION but Version.swift says $VERSION: add a changelog entry"
ARCH=$(dpkg --print-architecture)
# Reproducible timestamps (gzip -n, dpkg-deb): the date of the latest changelog entry.
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
    SOURCE_DATE_EPOCH=$(dpkg-parsechangelog -l "$PACKAGING/debian/changelog" -STimestamp)
fi
export SOURCE_DATE_EPOCH

# --- Output directory -------------------------------------------------------------------

make_outdir "${1:-}"
DEB="$OUTDIR/${PACKAGE}_${VERSION}_${ARCH}.deb"

# --- Release build ----------------------------------------------------------------------

say "building $PACKAGE $VERSION (release, static Swift runtime)"
# -z now: all symbols bound at start-up (with the default -z relro: a read-only GOT).
SWIFT_BUILD=(swift build -c release --static-swift-stdlib -Xlinker -z -Xlinker now --scratch-path "$ROOT/.build-release")
(cd "$ROOT" && "${SWIFT_BUILD[@]}" >&2) || die "swift build failed"
BIN_DIR=$(cd "$ROOT" && "${SWIFT_BUILD[@]}" --show-bin-path)
BINARY="$BIN_DIR/$PACKAGE"
[ -x "$BINARY" ] || die "the build produced no $BINARY"

# The target needs no Swift runtime: no libswift*, libFoundation*, libdispatch, ….
LIBS=$(ldd "$BINARY") || die "ldd $BINARY failed"
if grep -Eq 'libswift|libFoundation|lib_Foundation|libdispatch|libBlocksRuntime|libXCTest' <<<"$LIBS"; then
    die "$BINARY needs Swift runtime libraries (is --static-swift-stdlib working?):
$(grep -E 'libswift|libFoundation|lib_Foundation|libdispatch|libBlocksRuntime|libXCTest' <<<"$LIBS")"
fi
if grep -q 'not found' <<<"$LIBS"; then
    die "$BINARY needs libraries that are not installed:
$(grep 'not found' <<<"$LIBS")"
fi

# --- Package tree -----------------------------------------------------------------------

WORK=$(mktemp -d "${TMPDIR:-/tmp}/build-deb.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# dpkg-shlibdeps and dpkg-gencontrol work in a source-package-like directory: debian/control
# and debian/changelog, with the package tree in debian/PACKAGE.
mkdir -p "$WORK/debian"
cp "$PACKAGING/debian/control" "$PACKAGING/debian/changelog" "$WORK/debian/"
PKG="$WORK/debian/$PACKAGE"
umask 022

install -d -m 0755 "$PKG/usr/sbin"
install -m 0750 "$BINARY" "$PKG/usr/sbin/$PACKAGE"
# As dh_strip does: no symbol tables, no .comment/.note sections.
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$PKG/usr/sbin/$PACKAGE"
chmod 0750 "$PKG/usr/sbin/$PACKAGE"
STAGED_VERSION=$("$PKG/usr/sbin/$PACKAGE" --version) || die "the stripped executable does not run"
[ "$STAGED_VERSION" = "$PACKAGE $VERSION" ] \
    || die "'$PACKAGE --version' prints '$STAGED_VERSION', expected '$PACKAGE $VERSION'"
"$PKG/usr/sbin/$PACKAGE" --check --policy "$PACKAGING/bpfguard.policy" >&2 \
    || die "the default policy Packaging/bpfguard.policy does not pass --check"

# /etc/audit and its plugins.d are 0750 in auditd's package: the same here.
install -d -m 0750 "$PKG/etc/audit" "$PKG/etc/audit/plugins.d"
install -m 0640 "$ROOT/plugins.d/$PACKAGE.conf" "$PKG/etc/audit/plugins.d/$PACKAGE.conf"
install -m 0640 "$PACKAGING/bpfguard.policy" "$PKG/etc/audit/bpfguard.policy"

install -d -m 0755 "$PKG/usr/share/man/man8" "$PKG/usr/share/man/man5"
gzip -9n <"$PACKAGING/man/$PACKAGE.8" >"$PKG/usr/share/man/man8/$PACKAGE.8.gz"
gzip -9n <"$PACKAGING/man/bpfguard.policy.5" >"$PKG/usr/share/man/man5/bpfguard.policy.5.gz"

DOC="$PKG/usr/share/doc/$PACKAGE"
install -d -m 0755 "$DOC" "$DOC/examples"
[ -f "$ROOT/README.md" ] || die "README.md not found at the root of the repository"
install -m 0644 "$ROOT/README.md" "$DOC/README.md"
install -m 0644 "$PACKAGING/debian/copyright" "$DOC/copyright"
gzip -9n <"$PACKAGING/debian/changelog" >"$DOC/changelog.Debian.gz"
install -m 0644 "$PACKAGING/rsyslog/$PACKAGE.conf" "$DOC/examples/rsyslog-$PACKAGE.conf"
install -m 0644 "$PACKAGING/audit-rules/bpfguard.rules" "$DOC/examples/bpfguard.rules"

install -d -m 0755 "$PKG/usr/share/lintian/overrides"
install -m 0644 "$PACKAGING/debian/lintian-overrides" "$PKG/usr/share/lintian/overrides/$PACKAGE"

find "$PKG/usr/share" -type f -exec chmod 0644 {} +
find "$PKG/usr/share" -type d -exec chmod 0755 {} +

# --- Control area -----------------------------------------------------------------------

install -d -m 0755 "$PKG/DEBIAN"
install -m 0755 "$PACKAGING/debian/postinst" "$PKG/DEBIAN/postinst"
install -m 0755 "$PACKAGING/debian/postrm" "$PKG/DEBIAN/postrm"
printf '%s\n' "/etc/audit/plugins.d/$PACKAGE.conf" /etc/audit/bpfguard.policy >"$PKG/DEBIAN/conffiles"
chmod 0644 "$PKG/DEBIAN/conffiles"
(cd "$PKG" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) \
    >"$PKG/DEBIAN/md5sums"
chmod 0644 "$PKG/DEBIAN/md5sums"

# ${shlibs:Depends} from the libraries the executable links (symbols/shlibs files of the
# installed library packages), then DEBIAN/control from debian/control.
(cd "$WORK" && dpkg-shlibdeps -Tdebian/substvars "debian/$PACKAGE/usr/sbin/$PACKAGE" >&2) \
    || die "dpkg-shlibdeps failed"
(cd "$WORK" && dpkg-gencontrol -p"$PACKAGE" -v"$VERSION" -P"debian/$PACKAGE" -Tdebian/substvars -fdebian/files >&2) \
    || die "dpkg-gencontrol failed"

dpkg-deb --root-owner-group -Zxz --build "$PKG" "$DEB" >&2 || die "dpkg-deb failed"
say "built $DEB"
printf '%s\n' "$DEB"
