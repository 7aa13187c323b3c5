#!/usr/bin/env bash
# Checks the RPM's requirements against the RHEL versions that README.md's table lists (the
# block between <!-- rhel-table:begin --> and <!-- rhel-table:end -->: one row per RHEL
# major release with the versions of its first minor release, which later ones only raise).
#
#   Tests/Distributions/check-rhel-requirements.sh RPM DEB README
#
# For every row it checks:
# - every library the RPM requires by soname is one the table covers (glibc's, audit-libs'
#   libauparse.so.0 and libaudit.so.1, libcap-ng.so.0, elfutils' libelf.so.1, libz.so.1): a
#   new library fails
#   until the table says which version of it each RHEL has;
# - the highest GLIBC_ version the RPM requires is at most the row's glibc, and its
#   `audit-libs >= V` at most the row's audit-libs;
# - the oldest upstream version of each library whose symbols the executable uses is at most
#   the row's. Those come from the .deb's Depends (dpkg-shlibdeps dates every symbol the
#   executable uses with Debian's symbols files; epoch and Debian revision dropped), since
#   an RPM names symbol versions (ELFUTILS_1.6, ZLIB_1.2.3.3), not releases.
# Prints what it compares; exits 1 on the first row that falls short, 2 on a usage error.
set -euo pipefail

[ "$#" -eq 3 ] || { printf 'Usage: %s RPM DEB README\n' "$0" >&2; exit 2; }
RPM=$1 DEB=$2 README=$3
fail() { printf 'check-rhel-requirements: error: %s\n' "$*" >&2; exit 1; }
at_most() { dpkg --compare-versions "$1" le "$2"; }

# --- The table ---------------------------------------------------------------------------
table=$(sed -n '/^<!-- rhel-table:begin -->$/,/^<!-- rhel-table:end -->$/p' "$README" | grep -E '^\| RHEL [0-9]+ ') \
    || fail "$README has no RHEL rows between <!-- rhel-table:begin --> and <!-- rhel-table:end -->"
# Columns: RHEL, glibc, audit-libs, libcap-ng, elfutils-libelf, zlib; a cell's first word is the version.
rows=$(awk -F'|' '{ for (i = 2; i <= 7; i++) { gsub(/^[ \t]+|[ \t]+$/, "", $i); split($i, word, " ") ; cell[i] = (i == 2 ? $i : word[1]) }
                     gsub(/ /, "_", cell[2]); print cell[2], cell[3], cell[4], cell[5], cell[6], cell[7] }' <<<"$table")
[ "$(wc -l <<<"$rows")" -ge 3 ] || fail "the RHEL table has fewer than 3 rows"

# --- What the RPM requires ---------------------------------------------------------------
requires=$(rpm -qpR "$RPM" 2>/dev/null) || fail "rpm -qpR $RPM failed"
glibc_required=0
audit_required=
while read -r requirement; do
    case "$requirement" in
        libc.so.6*|libm.so.6*|libdl.so.2*|libpthread.so.0*|librt.so.1*|libutil.so.1*|ld-linux-x86-64.so.2*)
            version=$(sed -n 's/.*(GLIBC_\([0-9.]*\))(64bit)$/\1/p' <<<"$requirement")
            if [ -n "$version" ] && ! at_most "$version" "$glibc_required"; then glibc_required=$version; fi ;;
        libauparse.so.0*|libaudit.so.1*|libcap-ng.so.0*|libelf.so.1*|libz.so.1*) ;;
        "audit-libs >= "*) audit_required=${requirement#audit-libs >= } ;;
        rtld\(GNU_HASH\)|rpmlib\(*|/bin/sh|config\(audisp-bpfguard\)*) ;;
        *) fail "the RPM requires '$requirement', which the RHEL table does not cover" ;;
    esac
done <<<"$requires"
[ -n "$audit_required" ] || fail "the RPM does not require audit-libs >= VERSION"

# --- The oldest library versions the executable's symbols need (the .deb's Depends) ------
depends=$(dpkg-deb -f "$DEB" Depends)
minimum() { # minimum DEBIAN-PACKAGE: the upstream part of its ">=" version in Depends
    local version
    version=$(grep -o "$1 (>= [^)]*)" <<<"$depends" | sed 's/.*>= \(.*\))/\1/') || fail "the .deb's Depends has no '$1 (>= …)': $depends"
    version=${version#*:}
    printf '%s\n' "${version%%-*}"
}
need_glibc=$(minimum libc6)
need_audit=$(minimum libauparse0)
need_libaudit=$(minimum libaudit1)
need_capng=$(minimum libcap-ng0)
need_elf=$(minimum libelf1)
need_zlib=$(minimum zlib1g)
printf 'RPM requires: GLIBC_%s, audit-libs >= %s; symbols need: glibc %s, auparse %s, libaudit %s, libcap-ng %s, elfutils %s, zlib %s\n' \
    "$glibc_required" "$audit_required" "$need_glibc" "$need_audit" "$need_libaudit" "$need_capng" "$need_elf" "$need_zlib"

while read -r rhel glibc audit capng elf zlib; do
    printf '%s: glibc %s, audit-libs %s, libcap-ng %s, elfutils-libelf %s, zlib %s: ' "${rhel//_/ }" "$glibc" "$audit" "$capng" "$elf" "$zlib"
    at_most "$glibc_required" "$glibc" || fail "${rhel//_/ } has glibc $glibc, the RPM requires GLIBC_$glibc_required"
    at_most "$audit_required" "$audit" || fail "${rhel//_/ } has audit-libs $audit, the RPM requires >= $audit_required"
    at_most "$need_glibc" "$glibc" || fail "${rhel//_/ }: glibc $glibc < $need_glibc"
    at_most "$need_audit" "$audit" || fail "${rhel//_/ }: audit-libs $audit < $need_audit"
    at_most "$need_libaudit" "$audit" || fail "${rhel//_/ }: audit-libs $audit < $need_libaudit (libaudit)"
    at_most "$need_capng" "$capng" || fail "${rhel//_/ }: libcap-ng $capng < $need_capng"
    at_most "$need_elf" "$elf" || fail "${rhel//_/ }: elfutils-libelf $elf < $need_elf"
    at_most "$need_zlib" "$zlib" || fail "${rhel//_/ }: zlib $zlib < $need_zlib"
    echo ok
done <<<"$rows"
