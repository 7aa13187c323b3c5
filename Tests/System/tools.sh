#!/usr/bin/env bash
# Live test of the shipped default policy on real BPF tools (issue 9, section 6): what an
# administrator's everyday runs of Debian's own tools raise, and what living off the land
# with the same tools raises.
#
# As root on a machine with audit and BPF: installs auditd, rsyslog, bpftool, bpftrace,
# libbpf-tools and iproute2 from Debian, installs the .deb (built by
# Packaging/build-deb.sh unless given) with its default policy untouched, starts rsyslogd
# and auditd, and runs each tool; each run's alert lines are counted from rsyslog's file.
# "A root administrator's run" is a run in a login session: the loader's loginuid is set
# (as pam_loginuid does at login: echo 0 >/proc/self/loginuid). Runs outside a session,
# a copy of a tool outside its package and a packaged path with other bytes behind it (a
# bind mount over /usr/sbin/runqlat, undone at the end) must alert. The XDP and tc objects
# are built with clang -target bpf. It prints one line per run ("table: …", the README's
# table) and ends with "tools: N passed, N failed"; at the end it purges the package and
# puts the machine back.
#
#   Tests/System/tools.sh [DEB]   (root)
#
# Without root or without kernel audit support it says why and exits 0 (skipped).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TEST_NAME="tools test"
TEST_RESULT_NAME=tools
# shellcheck source=Tests/Shell/live.sh
source "$ROOT/Tests/Shell/live.sh"

require_live_machine "it installs a package and runs auditd"
install_test_packages auditd rsyslog bpftool bpftrace libbpf-tools iproute2 util-linux procps \
    gcc libc6-dev dpkg-dev binutils pkg-config gzip libauparse-dev libbpf-dev libcap-ng-dev

WORK=$(mktemp -d /tmp/bpfguard-tools.XXXXXX)
LOG=/var/log/audisp-bpfguard.log
SNIPPET=/etc/rsyslog.d/30-audisp-bpfguard.conf
COPY=/usr/local/bin/bpfguard-tools-runqlat
REPLACED=/usr/sbin/runqlat
LINK=bpfguardt0
PIN=/sys/fs/bpf/bpfguard_tools_pin
BPFFS=/sys/fs/bpf

remember_machine "$WORK"
bpffs_was_mounted=0
grep -q " $BPFFS bpf " /proc/mounts && bpffs_was_mounted=1
tracefs_was_mounted=0
grep -q " /sys/kernel/tracing tracefs " /proc/mounts && tracefs_was_mounted=1

cleanup() {
    note "cleaning up"
    umount "$REPLACED" >/dev/null 2>&1
    stop_auditd
    restore_audit_state "$WORK"
    stop_rsyslog
    ip link del "$LINK" >/dev/null 2>&1
    cp "$LOG" /tmp/bpfguard-tools-last.log 2>/dev/null  # for a look after a failure
    rm -f "$COPY" "$PIN" "$SNIPPET" "$LOG"
    # The plugin writes its known-programs file as it exits: gone first, then the purge
    # takes the file with it (a later first installation must find none).
    wait_for 10 bash -c '! pgrep -x audisp-bpfguard >/dev/null'
    if [ "$package_was_installed" -eq 0 ]; then
        dpkg --purge audisp-bpfguard >/dev/null 2>&1
        rm -rf /var/lib/audisp-bpfguard
    fi
    [ "$bpffs_was_mounted" -eq 0 ] && umount "$BPFFS" >/dev/null 2>&1
    [ "$tracefs_was_mounted" -eq 0 ] && umount /sys/kernel/tracing >/dev/null 2>&1
    rm -rf --one-file-system "$WORK"
    restore_services
}
trap cleanup EXIT

deb=$(package_to_test "${1:-}" "$WORK") || exit 1
ok "the package to test: $(basename "$deb")"
stop_auditd
check "dpkg -i installs the package (its default policy)" dpkg -i "$deb"
check "the installed policy is the shipped one" cmp -s /etc/audit/bpfguard.policy "$ROOT/Packaging/bpfguard.policy"
grep -q " $BPFFS bpf " /proc/mounts || mount -t bpf bpf "$BPFFS"
grep -q " /sys/kernel/tracing tracefs " /proc/mounts || mount -t tracefs nodev /sys/kernel/tracing

cp "$ROOT/Packaging/rsyslog/audisp-bpfguard.conf" "$SNIPPET"
rm -f "$LOG"
stop_rsyslog
check "rsyslogd starts with the shipped snippet" start_rsyslog
auditctl -D >/dev/null 2>&1
auditctl -b 8192 >/dev/null 2>&1
auditd || bad "auditd starts"
plugin_pid() { plugin_of "$(pgrep -x auditd | head -n 1)"; }
plugin_running() { [ -n "$(plugin_pid)" ]; }
check "auditd starts the plugin" wait_for 10 plugin_running
log_has() { grep -q -- "$1" "$LOG" 2>/dev/null; }
check "the plugin has read the package databases and started" wait_for 15 log_has "started "

# Objects for ip and tc (and bpftool): one program each, returning "pass".
clang_bin=$(command -v clang || ls /usr/bin/clang-* 2>/dev/null | head -n 1)
build_object() { # build_object SECTION NAME RETURN OUTPUT
    printf '%s\n' "__attribute__((section(\"$1\"), used)) int $2(void *ctx) { return $3; }" \
        '__attribute__((section("license"), used)) char _license[] = "GPL";' \
        | "$clang_bin" -O2 -target bpf -x c -c - -o "$4"
}
build_object xdp tools_xdp_pass 2 "$WORK/xdp.o" && build_object tc tools_tc_pass 0 "$WORK/tc.o" \
    || { bad "clang -target bpf builds the XDP and tc objects"; echo "$TEST_RESULT_NAME: $passed passed, $failed failed"; exit 1; }
ip link add "$LINK" type veth peer name "${LINK}p" || bad "a veth pair for ip and tc"

# The plugin's policy alert lines (built-in ones about audit itself left out).
alert_lines() { grep -a -- "audisp-bpfguard\[[0-9]*\]: alert=" "$LOG" 2>/dev/null | grep -v " rule=builtin$"; }
# session COMMAND…: runs it as in a root administrator's login session (loginuid 0, set as
# pam_loginuid does, in a process that then forks the command: the kernel keeps the
# PROCTITLE it recorded for a task across exec, so an exec — bash execs the last command
# of -c itself — would give the command bash's).
session() { bash -c 'echo 0 >/proc/self/loginuid && "$@"; status=$?; exit $status' session "$@"; }
# no_session COMMAND…: the same outside any session (loginuid unset), as a service or a
# cron job runs, whatever session this test itself runs in.
no_session() { bash -c 'echo 4294967295 >/proc/self/loginuid && "$@"; status=$?; exit $status' no_session "$@"; }
# lines_since MARK EXE: the alert lines that arrived after MARK lines, of loads by EXE (other
# programs loaded on the machine meanwhile are not counted).
lines_since() { alert_lines | tail -n +"$(($1 + 1))" | grep -F -- " exe=\"$2\" "; }
labels_of() { sed -E 's/.*: alert=([^ ]+) priority=([^ ]+) .*/\1 (\2)/' | sort | uniq -c | awk '{ $1 = $1 "x"; print }' | paste -sd ',' - | sed 's/,/, /g'; }
# A run settles: nothing new for 3 s (LOADs and UNLOADs are alerted at once; fold windows
# do not matter for runs of at most fold_burst lines).
settle() {
    local before after
    after=$(alert_lines | wc -l)
    while true; do
        before=$after
        sleep 3
        after=$(alert_lines | wc -l)
        [ "$after" -eq "$before" ] && return 0
    done
}
# record NAME MARK EXE: prints the README table's line for the run and sets run_lines.
record() {
    run_lines=$(lines_since "$2" "$3")
    run_count=$(printf '%s' "$run_lines" | grep -c . || true)
    printf 'table: | %s | %s | %s |\n' "$1" "$run_count" "$(printf '%s\n' "$run_lines" | grep . | labels_of)"
}
# at_most_one_notice: run_lines holds at most one line, at notice or a lower priority.
at_most_one_notice() {
    [ "$run_count" -le 1 ] || return 1
    [ "$run_count" -eq 0 ] || grep -Eq ' priority=(notice|info|debug) ' <<<"$run_lines"
}
# persisted LABEL PROG_NAME: the program's persist alert has arrived.
persisted() { alert_lines | grep -- "alert=$1 " | grep -q -- "prog-name=\"$2\""; }
SCAN_WAIT=25

note "a root administrator's runs (login session, package-verified tools)"
mark=$(alert_lines | wc -l)
session runqlat 1 1 >/dev/null; settle
record "\`runqlat 1 1\`" "$mark" /usr/sbin/runqlat
check "runqlat (libbpf-tools, 10 loads with libbpf's probes): at most one line, notice or below" at_most_one_notice

mark=$(alert_lines | wc -l)
session biolatency 1 1 >/dev/null; settle
record "\`biolatency 1 1\`" "$mark" /usr/sbin/biolatency
check "biolatency: at most one line, notice or below" at_most_one_notice

mark=$(alert_lines | wc -l)
session hardirqs 1 1 >/dev/null; settle
record "\`hardirqs 1 1\`" "$mark" /usr/sbin/hardirqs
check "hardirqs: at most one line, notice or below" at_most_one_notice

mark=$(alert_lines | wc -l)
session bpftrace -e 'tracepoint:sched:sched_process_exec { @[comm] = count(); } interval:s:1 { exit(); }' >/dev/null 2>&1; settle
record "\`bpftrace -e 'tracepoint:sched:sched_process_exec { … }'\`" "$mark" /usr/bin/bpftrace
check "bpftrace with a sched tracepoint: at most one line, notice or below" at_most_one_notice

mark=$(alert_lines | wc -l)
session bpftool feature probe kernel >/dev/null 2>&1; settle
record "\`bpftool feature probe kernel\` (383 probe programs)" "$mark" /usr/sbin/bpftool
check "bpftool's feature probe (dangerous helpers among its probes): no line" test "$run_count" -eq 0

mark=$(alert_lines | wc -l)
session ip link set dev "$LINK" xdpgeneric obj "$WORK/xdp.o" sec xdp || bad "ip attaches the XDP program"
check "ip's XDP program, attached after ip exits, is one persist line" wait_for "$SCAN_WAIT" persisted persist-network-attach tools_xdp_pass
settle
record "\`ip link set dev … xdpgeneric obj prog.o sec xdp\` (the program stays attached)" "$mark" /usr/bin/ip
check "ip: at most one line, notice or below" at_most_one_notice
mark=$(alert_lines | wc -l)
ip link set dev "$LINK" xdpgeneric off; settle
record "\`ip link set dev … xdpgeneric off\` (its UNLOAD)" "$mark" /usr/bin/ip
check "detaching it raises nothing" test "$run_count" -eq 0

mark=$(alert_lines | wc -l)
tc qdisc add dev "$LINK" clsact
session tc filter add dev "$LINK" ingress bpf da obj "$WORK/tc.o" sec tc || bad "tc attaches the program"
check "tc's program, attached after tc exits, is one persist line" wait_for "$SCAN_WAIT" persisted persist-network-attach tools_tc_pass
settle
record "\`tc filter add dev … ingress bpf da obj prog.o sec tc\` (the program stays attached)" "$mark" /usr/sbin/tc
check "tc: at most one line, notice or below" at_most_one_notice
tc qdisc del dev "$LINK" clsact

note "living off the land with the same tools"
mark=$(alert_lines | wc -l)
session bpftool prog load "$WORK/xdp.o" "$PIN" type xdp || bad "bpftool loads and pins a program"
check "bpftool prog load: the pinned program is a persist line once bpftool exits" wait_for "$SCAN_WAIT" persisted persist-generic-loader tools_xdp_pass
settle
record "\`bpftool prog load prog.o /sys/fs/bpf/x\` (pinned)" "$mark" /usr/sbin/bpftool
check "bpftool prog load: bpftool-load at LOAD (warning), then persist-generic-loader" \
    bash -c "grep -q 'alert=bpftool-load priority=warning op=LOAD .*prog-name=\"tools_xdp_pass\" .*exe-package=bpftool exe-trusted=yes ' <<<\"\$0\"" "$run_lines"
rm -f "$PIN"

mark=$(alert_lines | wc -l)
session bpftrace --unsafe -e 'tracepoint:sched:sched_process_exec /comm == "bpfguard-none"/ { signal(9); } interval:s:1 { exit(); }' >/dev/null 2>&1; settle
record "\`bpftrace --unsafe -e '… { signal(9); }'\`" "$mark" /usr/bin/bpftrace
check "bpftrace calling bpf_send_signal: dangerous-helper (crit), verified bpftrace or not" \
    bash -c "grep -q 'alert=dangerous-helper priority=crit op=LOAD .*helpers=[a-z_,]*bpf_send_signal.* exe=\"/usr/bin/bpftrace\" .*exe-trusted=yes ' <<<\"\$0\"" "$run_lines"

mark=$(alert_lines | wc -l)
no_session runqlat 1 1 >/dev/null; settle
record "\`runqlat 1 1\` outside a login session (a service, cron, a dropped script)" "$mark" /usr/sbin/runqlat
check "runqlat outside a session: bpf-tool (warning)" \
    bash -c "grep -q 'alert=bpf-tool priority=warning op=LOAD .* auid=unset .*exe=\"/usr/sbin/runqlat\" .*exe-trusted=yes ' <<<\"\$0\"" "$run_lines"

cp /usr/sbin/runqlat "$COPY"
mark=$(alert_lines | wc -l)
session "$COPY" 1 1 >/dev/null; settle
record "a copy of runqlat in /usr/local/bin, in a session" "$mark" "$COPY"
check "a copy outside its package: alerts with exe-package=none exe-trusted=none" \
    bash -c "grep -q 'exe=\"$COPY\" .*exe-package=none exe-trusted=none ' <<<\"\$0\"" "$run_lines"

mount --bind /usr/sbin/biolatency "$REPLACED" || bad "a bind mount puts other bytes behind $REPLACED"
mark=$(alert_lines | wc -l)
session "$REPLACED" 1 1 >/dev/null; settle
record "\`/usr/sbin/runqlat 1 1\` with other bytes at that path, in a session" "$mark" "$REPLACED"
check "a packaged path with other bytes: replaced-exe (crit) with exe-trusted=no" \
    bash -c "grep -q 'alert=replaced-exe priority=crit op=LOAD .*exe=\"$REPLACED\" .*exe-package=libbpf-tools exe-trusted=no ' <<<\"\$0\"" "$run_lines"
umount "$REPLACED"

note "stopping auditd"
stop_auditd
echo "$TEST_RESULT_NAME: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
