#!/bin/bash
# Builds the binary RPM of audisp-bpfguard with rpmbuild (on Debian: the rpm package).
#
#   Packaging/build-rpm.sh [OUTDIR]
#
# Writes OUTDIR/audisp-bpfguard-VERSION-1.ARCH.rpm (OUTDIR defaults to dist/ at the root
# of the repository) and prints its path as the last line of standard output; progress
# goes to standard error. Runs from any directory; installs nothing.
#
# How: the executable is build-binary.sh's (the one the Debian package ships: linked against
# a Debian 11 sysroot, glibc 2.28 at most, checked by check-binary.sh) and becomes Source1;
# Source0 is a tarball of the files of the git checkout (tracked files and untracked files
# that .gitignore does not exclude, as they are in the working tree): policy, man pages,
# documentation. Packaging/rpm/audisp-bpfguard.spec is built with `rpmbuild -bb` in a
# temporary _topdir; it compiles nothing, installs the executable as it is and runs the
# packaging check again in %check. VERSION comes from Sources/audisp-bpfguard/Version.swift
# and is passed as the macro bpfguard_version. rpm's database knows nothing of Debian's
# packages, so the BuildRequires are not checked (--nodeps). Runs as root (build-binary.sh's
# sysroot). Needs what build-binary.sh needs, and the Debian packages rpm and gzip.
set -euo pipefail

SCRIPT=build-rpm
# shellcheck source=Packaging/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
readonly SPEC="$PACKAGING/rpm/$PACKAGE.spec"
parse_outdir_argument "$@"

need rpmbuild rpm
need rpm rpm
need tar tar
need gzip gzip

read_version
# The newest %changelog entry must be this version's ("* DATE NAME <EMAIL> - VERSION-RELEASE").
CHANGELOG_VERSION=$(sed -n '/^%changelog/,$ { s/^\* .* - \([^ ]*\)-[^- ]*$/\1/p }' "$SPEC" | head -n 1)
[ "$CHANGELOG_VERSION" = "$VERSION" ] \
    || die "the newest %changelog entry of $SPEC is for '$CHANGELOG_VERSION' but Version.swift says $VERSION: add an entry"

make_outdir "${1:-}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/build-rpm.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/SOURCES" "$WORK/SPECS" "$WORK/BUILD" "$WORK/RPMS" "$WORK/SRPMS" "$WORK/BUILDROOT"

# --- Release executable (Source1) -------------------------------------------------------

BINARY=$(bash "$PACKAGING/build-binary.sh" "$WORK/bin" | tail -n 1) || die "build-binary.sh failed"
cp -p "$BINARY" "$WORK/SOURCES/$PACKAGE"

# --- Source tarball ---------------------------------------------------------------------

say "making $PACKAGE-$VERSION.tar.gz"
LIST="$WORK/files"
if command -v git >/dev/null 2>&1 && git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # Files of the working tree that git tracks or would track (deleted ones left out).
    git -C "$ROOT" ls-files -z --cached --others --exclude-standard \
        | while IFS= read -r -d '' file; do
              if [ -f "$ROOT/$file" ] || [ -L "$ROOT/$file" ]; then printf '%s\0' "$file"; fi
          done | LC_ALL=C sort -zu >"$LIST"
else
    # Not a git checkout (an unpacked archive): everything but build products.
    (cd "$ROOT" && find . \( -name .git -o -name '.build' -o -name '.build-*' -o -name '.build_*' \
        -o -name .swiftpm -o -path ./dist \) -prune -o \( -type f -o -type l \) -printf '%P\0' \
        | LC_ALL=C sort -z) >"$LIST"
fi
tar -C "$ROOT" --null -T "$LIST" --transform "s,^,$PACKAGE-$VERSION/," \
    --owner=0 --group=0 --numeric-owner -czf "$WORK/SOURCES/$PACKAGE-$VERSION.tar.gz"
cp "$SPEC" "$WORK/SPECS/"

# --- rpmbuild ---------------------------------------------------------------------------

say "rpmbuild -bb"
rpmbuild -bb --nodeps \
    --define "_topdir $WORK" \
    --define "bpfguard_version $VERSION" \
    "$WORK/SPECS/$PACKAGE.spec" >&2 \
    || die "rpmbuild failed"

shopt -s nullglob
built=("$WORK"/RPMS/*/"$PACKAGE-$VERSION"-*.rpm)
[ "${#built[@]}" -eq 1 ] || die "expected one binary RPM, rpmbuild made ${#built[@]}"
RPM="$OUTDIR/$(basename "${built[0]}")"
cp "${built[0]}" "$RPM"
say "built $RPM"
printf '%s\n' "$RPM"
