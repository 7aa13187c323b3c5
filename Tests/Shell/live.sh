# Shared by the live tests that run real services (Tests/System/run.sh: the plugin under
# auditd, on this host or from a Debian 13 root; Tests/System/fleet.sh: an aggregating
# auditd). Sourced (it sources checks.sh), not run.
#
# Services may run from a root (SYSTEM_ROOT, a view made by roots.sh with /proc, /sys and
# /dev bound; use_root sets it): in_root runs a command there, or on this host when
# SYSTEM_ROOT is empty. "${IN_ROOT[@]}" is the same as a command prefix, for background
# jobs whose $! must be the command's own pid (chroot execs it; a function would not).
#
# Provides (besides checks.sh's): require_live_machine, use_root, in_root, IN_ROOT,
# wait_for, stop_pid, stop_auditd, start_rsyslog, stop_rsyslog, plugin_of,
# install_test_packages, package_to_test, remember_machine, restore_services,
# save_audit_state, restore_audit_state, save_files, restore_files, files_restored.

# shellcheck source=Tests/Shell/checks.sh
source "$(dirname "${BASH_SOURCE[0]}")/checks.sh"

# require_live_machine WHY_ROOT: skips the test (exit 0) without root, kernel audit or BPF.
require_live_machine() {
    [ "$(id -u)" -eq 0 ] || skip "not root ($1)"
    [ -e /proc/self/loginuid ] || skip "the kernel has no audit support (no /proc/self/loginuid)"
    [ -e /proc/sys/kernel/unprivileged_bpf_disabled ] || skip "the kernel has no BPF syscall"
}

SYSTEM_ROOT=
IN_ROOT=()

# use_root ROOT: services and commands run from ROOT from now on ('': this host).
use_root() {
    SYSTEM_ROOT=$1
    if [ -n "$1" ]; then IN_ROOT=(chroot "$1"); else IN_ROOT=(); fi
}

# in_root COMMAND…: runs the command in SYSTEM_ROOT (chroot), or here when it is empty.
in_root() { "${IN_ROOT[@]}" "$@"; }

# wait_for SECONDS COMMAND…: polls until the command succeeds.
wait_for() {
    local tries=$(($1 * 10))
    shift
    for _ in $(seq "$tries"); do "$@" && return 0; sleep 0.1; done
    return 1
}

# stop_pid PID [SECONDS]: SIGTERM, then SIGKILL after SECONDS (10) if it is still there.
stop_pid() {
    local pid=$1 tries=$((${2:-10} * 10))
    kill -CONT "$pid" 2>/dev/null
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq "$tries"); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
}

# stop_auditd: stops every auditd (one kernel has one audit daemon; the aggregator too).
stop_auditd() {
    local pid
    for pid in $(pgrep -x auditd); do stop_pid "$pid"; done
}

# start_rsyslog: rsyslogd from SYSTEM_ROOT (or this host's), up when /dev/log exists.
start_rsyslog() {
    in_root rsyslogd -i /run/rsyslogd.pid
    for _ in $(seq 50); do [ -S /dev/log ] && return 0; sleep 0.1; done
    return 1
}

stop_rsyslog() {
    local pid
    for pid in $(pgrep -x rsyslogd); do stop_pid "$pid" 5; done
}

# plugin_of AUDITD_PID: the pid of the audisp-bpfguard that this auditd runs (its child:
# other copies may run on the machine); empty when there is none.
plugin_of() {
    [ -n "$1" ] && pgrep -x -P "$1" audisp-bpfguard | head -n 1
}

# install_test_packages PACKAGE…: apt-get install, quietly; failure ends the test.
install_test_packages() {
    export DEBIAN_FRONTEND=noninteractive
    note "installing $*"
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null && return 0
    bad "apt-get install $*"
    echo "$TEST_RESULT_NAME: $passed passed, $failed failed"
    exit 1
}

# package_to_test DEB|'' WORKDIR: prints the .deb to install: DEB when given, else the one
# Packaging/build-deb.sh builds into WORKDIR/dist. Failure ends the test.
package_to_test() {
    local deb=$1
    if [ -z "$deb" ]; then
        note "building the .deb"
        deb=$(bash "$ROOT/Packaging/build-deb.sh" "$2/dist" 2>"$2/build.err" | tail -n 1) || deb=
        [ -n "$deb" ] || cat "$2/build.err" >&2
    fi
    if [ -z "$deb" ] || [ ! -f "$deb" ]; then
        bad "the .deb to test exists (${deb:-Packaging/build-deb.sh failed})"
        echo "$TEST_RESULT_NAME: $passed passed, $failed failed"
        exit 1
    fi
    printf '%s\n' "$deb"
}

# remember_machine DIR: what ran and was installed before the test (auditd_was_running,
# rsyslog_was_running, package_was_installed) and the kernel's audit settings (in DIR).
remember_machine() {
    auditd_was_running=0
    pgrep -x auditd >/dev/null && auditd_was_running=1
    rsyslog_was_running=0
    pgrep -x rsyslogd >/dev/null && rsyslog_was_running=1
    package_was_installed=0
    dpkg -s audisp-bpfguard >/dev/null 2>&1 && package_was_installed=1
    save_audit_state "$1"
}
# restore_services: once the test's own services are stopped, starts this host's rsyslogd
# and auditd again if they ran before it.
restore_services() {
    use_root ""
    [ "$rsyslog_was_running" -eq 1 ] && start_rsyslog
    [ "$auditd_was_running" -eq 1 ] && "$(command -v auditd || echo /sbin/auditd)"
    return 0
}

# save_audit_state DIR / restore_audit_state DIR: the kernel's audit rules, enabled flag and
# backlog limit (this host's auditctl: one kernel, whichever auditd the test runs).
save_audit_state() {
    auditctl -l 2>/dev/null | grep -v '^No rules' >"$1/rules.before" || true
    auditctl -s 2>/dev/null | awk '$1 == "enabled" { print $2 }' >"$1/enabled.before"
    auditctl -s 2>/dev/null | awk '$1 == "backlog_limit" { print $2 }' >"$1/backlog.before"
}
restore_audit_state() {
    local value
    auditctl -D >/dev/null 2>&1
    if [ -s "$1/rules.before" ]; then auditctl -R "$1/rules.before" >/dev/null 2>&1; fi
    value=$(cat "$1/backlog.before" 2>/dev/null) && [ -n "$value" ] && auditctl -b "$value" >/dev/null 2>&1
    value=$(cat "$1/enabled.before" 2>/dev/null) && [ -n "$value" ] && auditctl -e "$value" >/dev/null 2>&1
    return 0
}

# save_files DIR PATH…: keeps a copy of each file (and which ones did not exist) in DIR;
# restore_files DIR puts each back byte for byte (mode and owner too) or removes it.
save_files() {
    local dir=$1/saved-files path
    shift
    mkdir -p "$dir"
    for path in "$@"; do
        mkdir -p "$dir$(dirname "$path")"
        if [ -e "$path" ]; then cp -a "$path" "$dir$path"; else printf '%s\n' "$path" >>"$dir.absent"; fi
    done
}
restore_files() {
    local dir=$1/saved-files path
    [ -d "$dir" ] || return 0
    (cd "$dir" && find . -type f -print0) | while IFS= read -r -d '' path; do cp -a "$dir/${path#./}" "/${path#./}"; done
    if [ -f "$dir.absent" ]; then
        while IFS= read -r path; do rm -f "$path"; done <"$dir.absent"
    fi
}
# files_restored DIR: every saved file is back as it was (cmp), every absent one absent.
files_restored() {
    local dir=$1/saved-files path
    (cd "$dir" && find . -type f -print0) | while IFS= read -r -d '' path; do cmp -s "$dir/${path#./}" "/${path#./}" || exit 1; done \
        || return 1
    if [ -f "$dir.absent" ]; then
        while IFS= read -r path; do [ ! -e "$path" ] || return 1; done <"$dir.absent"
    fi
}
