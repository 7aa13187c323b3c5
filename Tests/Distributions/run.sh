#!/usr/bin/env bash
# Distribution test: the packages on the distributions they claim, from the outside in.
#
#   Tests/Distributions/run.sh [DEB RPM]   (root; prints "distributions: N passed, N failed")
#
# Builds the .deb and the RPM (unless given), then:
#
# - Debian 11 (bullseye, glibc 2.31, audit 3.0) and Debian 13 (trixie, glibc 2.41, audit 4.0,
#   the t64 libraries): in an overlay of a debootstrap root of each (made once and cached by
#   Packaging/debootstrap-root.sh, with only the libraries the package depends on; views
#   by Tests/Shell/roots.sh), with
#   /proc mounted (the Swift runtime reads its arguments from /proc/self/cmdline; lookups
#   read /proc), by chroot:
#     dpkg -i of the .deb (its Depends satisfied by that distribution's own packages; its
#     postinst runs the binary), `--version`, `--check` of the shipped policy, `--replay` of
#     Examples/sample-audit.log with the shipped policy, whose output must be the README's
#     sample-output block, and the kernel lookups: Tests/Fixtures/loader/bpfload.c (linked
#     statically, copied into the root) loads a kprobe program that calls bpf_send_signal
#     and holds it; the installed plugin, in plugin mode (the path auditd runs: start-up
#     inventory, capabilities dropped with libcap-ng), reads one standalone BPF record with
#     that program's prog-id on standard input and must raise an alert with the program's
#     type, name and helper from the kernel (libbpf, /proc/kallsyms) and its loader found in
#     /proc (identity=proc, exe= the loader's path in the root). Loader and plugin run in a
#     PID namespace of their own (unshare), so the plugin's /proc scan sees only them. Then
#     dpkg --purge removes every file.
# - RPM: `rpm --root` installs it (--nodeps: the root's rpm database knows no libraries)
#   into an overlay of the Debian 11 root; its %post runs there; `rpm -V` and stat check the
#   modes and owners of every file; the installed binary runs (--version, --check); rpm -e
#   removes it. The binary in the RPM is byte for byte the one in the .deb.
# - The packaging check (Packaging/check-binary.sh) passes the .deb's executable and rejects
#   an executable linked on this host (its glibc), one that needs libbpf.so.1, a static one.
# - RPM requirements against RHEL 8, 9 and 10: every library the RPM requires by soname is
#   one the README's table of RHEL versions covers, its highest GLIBC_ version and its
#   audit-libs version are at most the glibc and audit-libs of each RHEL row, and the
#   oldest library versions the executable's symbols need (as Debian's symbols files date
#   them, in the .deb's Depends) are at most each row's.
#
# The roots live in /var/cache/audisp-bpfguard (BPFGUARD_CACHE): the first run downloads
# them (about a minute each), later runs only mount overlays of them. Without root or without BPF
# it says why and exits 0 (skipped); a root that cannot be made is a failure.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TEST_NAME="distribution test"
# shellcheck source=Tests/Shell/checks.sh
source "$ROOT/Tests/Shell/checks.sh"
# shellcheck source=Tests/Shell/roots.sh
source "$ROOT/Tests/Shell/roots.sh"
finish() {
    echo "distributions: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}

[ "$(id -u)" -eq 0 ] || skip "not root (debootstrap, chroot, dpkg and rpm into roots)"
[ -e /proc/sys/kernel/unprivileged_bpf_disabled ] || skip "the kernel has no BPF syscall"

WORK=$(mktemp -d /tmp/bpfguard-distributions.XXXXXX)
cleanup() {
    leave_roots_under "$WORK"
    rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT

# --- Packages ----------------------------------------------------------------------------

if [ "$#" -eq 2 ]; then
    DEB=$1
    RPM=$2
else
    note "building the .deb and the RPM"
    DEB=$(bash "$ROOT/Packaging/build-deb.sh" "$WORK/dist" 2>"$WORK/build.err" | tail -n 1) \
        && RPM=$(bash "$ROOT/Packaging/build-rpm.sh" "$WORK/dist" 2>>"$WORK/build.err" | tail -n 1) \
        || { tail -n 30 "$WORK/build.err"; bad "the packages build"; finish; }
fi
[ -f "$DEB" ] && [ -f "$RPM" ] || { bad "the packages exist ($DEB, $RPM)"; finish; }
VERSION=$(dpkg-deb -f "$DEB" Version)
note "packages: $(basename "$DEB") (Depends: $(dpkg-deb -f "$DEB" Depends)), $(basename "$RPM")"

# --- Roots -------------------------------------------------------------------------------

# make_root NAME SUITE PACKAGE…: the cached root's path (made the first time).
make_root() {
    bash "$ROOT/Packaging/debootstrap-root.sh" "$@" 2>"$WORK/root-$1.err" | tail -n 1
}
note "Debian roots (cached in ${BPFGUARD_CACHE:-/var/cache/audisp-bpfguard}; the first run downloads them)"
BULLSEYE=$(make_root test-bullseye bullseye libauparse0 libaudit1 libcap-ng0 libelf1 zlib1g) \
    || { cat "$WORK/root-test-bullseye.err"; bad "the Debian 11 root is made"; finish; }
TRIXIE=$(make_root test-trixie trixie libauparse0t64 libaudit1 libcap-ng0 libelf1t64 zlib1g) \
    || { cat "$WORK/root-test-trixie.err"; bad "the Debian 13 root is made"; finish; }

# The loader, linked statically so that it runs in every root.
cc -static -O2 -o "$WORK/bpfload" "$ROOT/Tests/Fixtures/loader/bpfload.c" \
    || { bad "bpfload builds (cc -static; libc6-dev)"; finish; }

# The README's sample-output block: what --replay of the sample log must print.
sed -n '/^<!-- sample-output:begin -->$/,/^<!-- sample-output:end -->$/p' "$ROOT/README.md" \
    | sed '1,2d;$d' | sed '$d' >"$WORK/expected-sample-output"
[ -s "$WORK/expected-sample-output" ] || { bad "README.md has a sample-output block"; finish; }

# --- The .deb on Debian 11 and Debian 13 -------------------------------------------------

# lookup_alert ROOT: loads a held program in ROOT and prints the plugin's alert for it. Both
# run in a PID namespace of their own with its own /proc: the plugin's /proc scan sees only
# them (not the machine's other processes), and the loader ends with the namespace.
lookup_alert() {
    local root=$1
    install -m 0755 "$WORK/bpfload" "$root/usr/local/bin/bpfload"
    printf 'alert seen op=load\n' >"$root/tmp/lookup.policy"
    cat >"$root/tmp/lookup.sh" <<'SCRIPT'
/usr/local/bin/bpfload --type kprobe --helper send_signal --name dist_lookup --hold 30000 >/tmp/loader.out 2>/tmp/loader.err &
tries=0
until grep -q '^loaded prog-id=' /tmp/loader.out; do
    tries=$((tries + 1))
    if [ "$tries" -gt 100 ]; then cat /tmp/loader.err >&2; exit 1; fi
    sleep 0.1
done
id=$(sed -n 's/^loaded prog-id=\([0-9]*\) .*/\1/p' /tmp/loader.out)
# A standalone record (no SYSCALL): the loader is found in /proc. End of input completes it.
printf 'type=BPF msg=audit(1796000000.000:1): prog-id=%s op=LOAD\n' "$id" \
    | /usr/sbin/audisp-bpfguard --policy /tmp/lookup.policy --output stdout 2>/tmp/plugin.err
SCRIPT
    unshare --pid --fork --mount-proc="$root/proc" chroot "$root" /bin/sh /tmp/lookup.sh
    cp "$root/tmp/plugin.err" "$WORK/plugin.err" 2>/dev/null
}

# summary_says NAME=VALUE…: the plugin's exit summary (standard error) has each counter.
summary_says() {
    local counter
    for counter in "$@"; do grep -Eq "[ :]$counter( |\$)" "$WORK/plugin.err" || return 1; done
}

test_deb() { # test_deb CACHED-ROOT NAME
    local root name=$2 alert
    note "$name: the .deb in an overlay of $1"
    root=$(root_view "$1" "$WORK/deb-$name") || { bad "$name: an overlay of the root with /proc"; return; }
    cp "$DEB" "$root/tmp/package.deb"
    cp "$ROOT/Examples/sample-audit.log" "$root/tmp/sample-audit.log"
    check "$name: dpkg -i installs the package (Depends satisfied by $name's packages, postinst runs)" \
        chroot "$root" dpkg -i /tmp/package.deb
    check "$name: --version prints '$(dpkg-deb -f "$DEB" Package) $VERSION'" \
        test "$(chroot "$root" /usr/sbin/audisp-bpfguard --version)" = "audisp-bpfguard $VERSION"
    check "$name: --check passes the shipped policy" \
        chroot "$root" /usr/sbin/audisp-bpfguard --check --policy /etc/audit/bpfguard.policy
    chroot "$root" /usr/sbin/audisp-bpfguard --policy /etc/audit/bpfguard.policy --replay /tmp/sample-audit.log \
        >"$WORK/replay-$name" 2>"$WORK/replay-$name.err"
    check "$name: --replay of Examples/sample-audit.log prints the README's sample output" \
        diff -u "$WORK/expected-sample-output" "$WORK/replay-$name"
    alert=$(lookup_alert "$root")
    printf '   %s\n' "$alert"
    check "$name: plugin mode looks the live program up in the kernel (kprobe, name, helper bpf_send_signal)" \
        grep -Eq '^alert=seen .* prog-type=kprobe prog-name="dist_lookup" prog-tag=[0-9a-f]{16} helpers=bpf_send_signal created-by-uid=0 ' <<<"$alert"
    check "$name: and finds its loader in /proc (identity=proc, exe=/usr/local/bin/bpfload)" \
        grep -Eq ' uid=0 .* comm="bpfload" exe="/usr/local/bin/bpfload" .*identity=proc ' <<<"$alert"
    check "$name: the plugin's summary counts one lookup, no errors, one recovered loader" \
        summary_says lookups=1 gone=0 lookup_errors=0 recovered_loaders=1
    check "$name: dpkg --purge removes the package and its files" \
        bash -c "chroot '$root' dpkg --purge audisp-bpfguard >/dev/null && [ ! -e '$root/usr/sbin/audisp-bpfguard' ] && [ ! -e '$root/etc/audit/bpfguard.policy' ]"
    leave_root "$root"
}
test_deb "$BULLSEYE" debian11
test_deb "$TRIXIE" debian13

# --- The packaging check -----------------------------------------------------------------

note "packaging check (Packaging/check-binary.sh): the shipped executable passes, others fail"
dpkg-deb --fsys-tarfile "$DEB" | tar -xO ./usr/sbin/audisp-bpfguard >"$WORK/shipped"
check "the .deb's executable passes the packaging check" bash "$ROOT/Packaging/check-binary.sh" "$WORK/shipped"
# fails_saying PATTERN COMMAND…: the command fails, and its output matches PATTERN.
fails_saying() {
    local pattern=$1
    shift
    ! "$@" >"$WORK/failure.out" 2>&1 && grep -q -- "$pattern" "$WORK/failure.out"
}
rejects() { fails_saying "$2" bash "$ROOT/Packaging/check-binary.sh" "$1"; }
printf '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n' >"$WORK/hello.c"
printf '#include <bpf/bpf.h>\nint main(void) { return bpf_prog_get_fd_by_id(1) < 0; }\n' >"$WORK/libbpf-user.c"
cc -O2 -o "$WORK/hello" "$WORK/hello.c" && cc -O2 -o "$WORK/libbpf-user" "$WORK/libbpf-user.c" -lbpf \
    || bad "the executables the packaging check must reject build"
check "it rejects an executable linked against this Debian 12 host's glibc ($(ldd --version | head -n 1 | awk '{ print $NF }'))" \
    rejects "$WORK/hello" "error: needs glibc 2\.\(29\|[3-9][0-9]\)"
check "it rejects an executable that needs libbpf.so.1 (a library outside the allowed list)" \
    rejects "$WORK/libbpf-user" "error: needs libbpf.so.1, which is not in the allowed list"
check "it rejects a static executable (no glibc version at all)" rejects "$WORK/bpfload" "asks for no GLIBC_ symbol version"

# --- The RPM, installed with rpm --root --------------------------------------------------

note "RPM: rpm --root into an overlay of the Debian 11 root"
root=$(root_view "$BULLSEYE" "$WORK/rpm") || { bad "rpm: an overlay of the root with /proc"; finish; }
rpm --root "$root" --initdb
rpm --root "$root" -ivh --nodeps "$RPM" >"$WORK/rpm-install.out" 2>&1
status=$?
cat "$WORK/rpm-install.out"
check "rpm --root installs the RPM and its %post runs in the root" \
    bash -c "[ $status -eq 0 ] && grep -q 'audisp-bpfguard: auditd starts the plugin' '$WORK/rpm-install.out'"
check "rpm -V: every file's digest, mode and owner are as the RPM says" rpm --root "$root" -V --nodeps audisp-bpfguard
check "the binary is root:root 0750, /etc/audit and plugins.d 0750, the stanza and the policy 0640" \
    test "$(cd "$root" && stat -c '%n %U:%G %a' usr/sbin/audisp-bpfguard etc/audit etc/audit/plugins.d etc/audit/plugins.d/audisp-bpfguard.conf etc/audit/bpfguard.policy | tr '\n' ' ')" \
    = "usr/sbin/audisp-bpfguard root:root 750 etc/audit root:root 750 etc/audit/plugins.d root:root 750 etc/audit/plugins.d/audisp-bpfguard.conf root:root 640 etc/audit/bpfguard.policy root:root 640 "
check "the installed binary runs (--version, --check of the installed policy)" \
    bash -c "[ \"\$(chroot '$root' /usr/sbin/audisp-bpfguard --version)\" = 'audisp-bpfguard $VERSION' ] && chroot '$root' /usr/sbin/audisp-bpfguard --check --policy /etc/audit/bpfguard.policy"
deb_digest=$(dpkg-deb --fsys-tarfile "$DEB" | tar -xO ./usr/sbin/audisp-bpfguard | sha256sum | cut -d' ' -f1)
rpm_digest=$(rpm -qp --dump "$RPM" 2>/dev/null | awk '$1 == "/usr/sbin/audisp-bpfguard" { print $4 }')
check "the RPM's binary is the .deb's, byte for byte (sha256 $deb_digest)" test "$deb_digest" = "$rpm_digest"
check "rpm -e removes it" bash -c "rpm --root '$root' -e audisp-bpfguard && [ ! -e '$root/usr/sbin/audisp-bpfguard' ]"
leave_root "$root"

# --- The RPM's requirements against RHEL 8, 9 and 10 -------------------------------------

note "RPM requirements against the README's table of RHEL versions"
check "the RPM's requirements are met by RHEL 8, 9 and 10 as the README's table lists them" \
    bash "$ROOT/Tests/Distributions/check-rhel-requirements.sh" "$RPM" "$DEB" "$ROOT/README.md"
# The same check on a table whose RHEL 8 had glibc 2.27 must fail.
sed -e '/^| RHEL 8 /s/| 2\.28 |/| 2.27 |/' "$ROOT/README.md" >"$WORK/README.older"
check "and are not met by an older RHEL 8 (glibc 2.27)" fails_saying "RHEL 8 (8.0) has glibc 2.27, the RPM requires GLIBC_2.28" \
    bash "$ROOT/Tests/Distributions/check-rhel-requirements.sh" "$RPM" "$DEB" "$WORK/README.older"

finish
