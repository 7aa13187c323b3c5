#!/bin/bash
# Builds the Debian package of audisp-bpfguard.
#
#   Packaging/build-deb.sh [OUTDIR]
#
# Writes OUTDIR/audisp-bpfguard_VERSION_ARCH.deb (OUTDIR defaults to dist/ at the root of
# the repository) and prints its path as the last line of standard output; progress goes
# to standard error. Runs from any directory, as root. Needs swift, and the Debian packages
# dpkg-dev, binutils, pkg-config, gzip, debootstrap and the -dev packages Package.swift names
# (libauparse-dev, libcap-ng-dev, …); it installs nothing on the machine, and says what is
# missing.
#
# VERSION comes from Sources/audisp-bpfguard/Version.swift (the only place it is written);
# the top entry of Packaging/debian/changelog must name the same version. The executable is
# build-binary.sh's: linked against a Debian 11 sysroot, with the Swift runtime, libstdc++
# and libbpf inside, and checked by check-binary.sh (glibc 2.28 at most, only the allowed
# libraries). Its Depends come from dpkg-shlibdeps run inside that Debian 11 sysroot (by
# chroot), so they name Debian 11's packages at the versions Debian 11's symbols files ask
# for — libauparse0, libaudit1, libcap-ng0, libelf1, zlib1g, libc6 — which Debian 12 and 13
# have too (Debian 13's libauparse0t64 and libelf1t64 Provide the old names). A
# dpkg-shlibdeps on a Debian 13 host would write t64-only names instead.
set -euo pipefail

SCRIPT=build-deb
# shellcheck source=Packaging/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
parse_outdir_argument "$@"

# --- Tools ------------------------------------------------------------------------------

check_swift
[ "$(id -u)" -eq 0 ] || die "run as root: dpkg-shlibdeps runs in the Debian 11 sysroot (chroot)"
need chroot coreutils
need dpkg-deb dpkg
need dpkg-gencontrol dpkg-dev
need dpkg-parsechangelog dpkg-dev
need gzip gzip
need md5sum coreutils
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

# --- Release executable (build-binary.sh: the packaging check included) ----------------

WORK=$(mktemp -d "${TMPDIR:-/tmp}/build-deb.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
BINARY=$(bash "$PACKAGING/build-binary.sh" "$WORK/bin" | tail -n 1) || die "build-binary.sh failed"
SYSROOT=$(debian11_sysroot) || die "cannot find the Debian 11 sysroot"

# --- Package tree -----------------------------------------------------------------------

# dpkg-shlibdeps and dpkg-gencontrol work in a source-package-like directory: debian/control
# and debian/changelog, with the package tree in debian/PACKAGE.
mkdir -p "$WORK/debian"
cp "$PACKAGING/debian/control" "$PACKAGING/debian/changelog" "$WORK/debian/"
PKG="$WORK/debian/$PACKAGE"
umask 022

install -d -m 0755 "$PKG/usr/sbin"
install -m 0750 "$BINARY" "$PKG/usr/sbin/$PACKAGE"

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

# ${shlibs:Depends} from the libraries the executable links, by the symbols/shlibs files of
# Debian 11's library packages: dpkg-shlibdeps runs in the sysroot, on a copy of the
# executable in the same source-package layout.
SHLIBDEPS=$(mktemp -d "$SYSROOT/tmp/build-deb-shlibdeps.XXXXXX")
trap 'rm -rf "$WORK" "$SHLIBDEPS"' EXIT
install -d "$SHLIBDEPS/debian/$PACKAGE/usr/sbin" "$SHLIBDEPS/debian/$PACKAGE/DEBIAN"
cp "$WORK/debian/control" "$SHLIBDEPS/debian/control"
cp "$PKG/usr/sbin/$PACKAGE" "$SHLIBDEPS/debian/$PACKAGE/usr/sbin/$PACKAGE"
# The DEB_HOST_* variables spare dpkg-architecture asking a C compiler the sysroot lacks.
chroot "$SYSROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    DEB_HOST_ARCH="$ARCH" DEB_HOST_MULTIARCH=x86_64-linux-gnu DEB_HOST_GNU_TYPE=x86_64-linux-gnu \
    sh -c 'cd "$1" && dpkg-shlibdeps -Tdebian/substvars "debian/$2/usr/sbin/$2"' sh "/tmp/${SHLIBDEPS##*/}" "$PACKAGE" >&2 \
    || die "dpkg-shlibdeps in $SYSROOT failed"
cp "$SHLIBDEPS/debian/substvars" "$WORK/debian/substvars"
say "$(grep '^shlibs:Depends=' "$WORK/debian/substvars")"
(cd "$WORK" && dpkg-gencontrol -p"$PACKAGE" -v"$VERSION" -P"debian/$PACKAGE" -Tdebian/substvars -fdebian/files >&2) \
    || die "dpkg-gencontrol failed"

dpkg-deb --root-owner-group -Zxz --build "$PKG" "$DEB" >&2 || die "dpkg-deb failed"
say "built $DEB"
printf '%s\n' "$DEB"
