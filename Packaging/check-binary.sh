#!/bin/bash
# The packaging check: fails when the executable would not run on every distribution the
# packages claim (Debian 11–13, RHEL 8–10, x86_64).
#
#   Packaging/check-binary.sh EXECUTABLE
#
# build-binary.sh runs it on every build (so build-deb.sh and build-rpm.sh fail with it),
# and the RPM's %check runs it again on the packaged file. It checks:
#
# - the highest glibc symbol version the executable asks for (GLIBC_x.y in its version
#   references) is at most 2.28, the glibc of RHEL 8, the oldest target (Debian 11 has
#   2.31);
# - every shared library it needs (DT_NEEDED) is one of:
#     libauparse.so.0, libaudit.so.1,   the C libraries the plugin uses; the same sonames
#     libcap-ng.so.0                    in audit 2.x to 4.x and libcap-ng 0.7 to 0.8
#     libelf.so.1, libz.so.1            what the statically linked libbpf needs (libbpf
#                                       itself is libbpf.so.0 on some targets, .so.1 on others)
#     libc.so.6, libm.so.6, libpthread.so.0, libdl.so.2, librt.so.1, libutil.so.1,
#     ld-linux-x86-64.so.2              glibc (before 2.34 threads, dlopen, timers and the
#                                       pty functions live in their own libraries; 2.34 and
#                                       later keep those as empty stubs; Swift's Glibc module
#                                       links libutil)
#   and nothing else: not libstdc++.so.6 nor libgcc_s.so.1 (the static Swift runtime needs
#   GLIBCXX_3.4.29, newer than the libstdc++ of RHEL 8 or Debian 11, so build-binary.sh links
#   Debian 11's libstdc++.a and libgcc_eh.a into the executable), not libbpf, not librpm
#   (opened with dlopen by soname where it is used), no Swift runtime library;
# - no symbol versions of libstdc++ or libgcc_s (GLIBCXX_, CXXABI_, GCC_) are asked for.
#
# It prints the versions the executable asks of each library, and exits 1 with the reasons
# when a check fails. Needs readelf (binutils).
set -euo pipefail

SCRIPT=check-binary
readonly MAX_GLIBC=2.28
readonly ALLOWED_LIBRARIES="libauparse.so.0 libaudit.so.1 libcap-ng.so.0 libelf.so.1 libz.so.1 libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 librt.so.1 libutil.so.1 ld-linux-x86-64.so.2"

[ "$#" -eq 1 ] || { printf 'Usage: %s EXECUTABLE\n' "$0" >&2; exit 2; }
BINARY=$1
[ -f "$BINARY" ] || { printf '%s: error: %s: no such file\n' "$SCRIPT" "$BINARY" >&2; exit 1; }
command -v readelf >/dev/null 2>&1 || { printf "%s: error: 'readelf' not found: install binutils\n" "$SCRIPT" >&2; exit 1; }

failures=()

# DT_NEEDED entries: "0x… (NEEDED)  Shared library: [libc.so.6]".
needed=$(LC_ALL=C readelf --dynamic --wide "$BINARY" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p')
for library in $needed; do
    case " $ALLOWED_LIBRARIES " in
        *" $library "*) ;;
        *) failures+=("needs $library, which is not in the allowed list ($ALLOWED_LIBRARIES)") ;;
    esac
done

# Version references (.gnu.version_r): "  0x…: Version: 1  File: libc.so.6  Cnt: 7" followed by
# "  0x…:   Name: GLIBC_2.2.5  Flags: none  Version: 5" lines. Printed as "FILE VERSION".
references=$(LC_ALL=C readelf --version-info --wide "$BINARY" | awk '
    /File: / { for (i = 1; i <= NF; i++) if ($i == "File:") file = $(i + 1) }
    /Name: / && file != "" { for (i = 1; i <= NF; i++) if ($i == "Name:") print file, $(i + 1) }')

glibc_versions=$(awk '$2 ~ /^GLIBC_[0-9.]+$/ { sub(/^GLIBC_/, "", $2); print $2 }' <<<"$references" | sort -Vu)
highest_glibc=$(tail -n 1 <<<"$glibc_versions")
newer_than() { [ "$1" != "$2" ] && [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | tail -n 1)" = "$1" ]; }
if [ -z "$highest_glibc" ]; then
    failures+=("asks for no GLIBC_ symbol version: is this a dynamically linked glibc executable?")
elif newer_than "$highest_glibc" "$MAX_GLIBC"; then
    too_new=$(while read -r version; do if newer_than "$version" "$MAX_GLIBC"; then printf 'GLIBC_%s ' "$version"; fi; done <<<"$glibc_versions")
    failures+=("needs glibc $highest_glibc, newer than $MAX_GLIBC (${too_new% }; which symbols: objdump -T $BINARY | grep -E 'GLIBC_2\\.(29|[3-9][0-9])')")
fi
cxx=$(awk '$2 ~ /^(GLIBCXX|CXXABI|GCC)_/ { print $1 "(" $2 ")" }' <<<"$references" | sort -u | tr '\n' ' ')
[ -z "$cxx" ] || failures+=("asks for libstdc++/libgcc_s symbol versions: $cxx")

printf '%s: %s needs: %s\n' "$SCRIPT" "$BINARY" "$(tr '\n' ' ' <<<"$needed")" >&2
LC_ALL=C sort -u -k1,1 -k2,2V <<<"$references" | awk '
    $1 != file { if (file != "") print line; file = $1; line = file ":" }
    { line = line " " $2 }
    END { if (file != "") print line }' | while IFS= read -r line; do printf '%s:   %s\n' "$SCRIPT" "$line" >&2; done

if [ "${#failures[@]}" -gt 0 ]; then
    for failure in "${failures[@]}"; do printf '%s: error: %s\n' "$SCRIPT" "$failure" >&2; done
    exit 1
fi
printf '%s: ok: glibc %s at most (limit %s), only allowed libraries\n' "$SCRIPT" "$highest_glibc" "$MAX_GLIBC" >&2
