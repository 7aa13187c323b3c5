#!/usr/bin/env bash
# Fleet test: the plugin on an aggregating auditd, which receives the records of other
# hosts from audisp-remote over TCP.
#
# On this machine, as root, with this host's auditd 3 (Debian 12):
# - the aggregator is a second auditd, `auditd -n -c DIR` with its own auditd.conf
#   (local_events = no: it does not talk to the kernel, so it runs beside this host's
#   auditd; tcp_listen_port = 60; distribute_network; its own log_file and plugin_dir,
#   which holds the package's stanza: the aggregator runs the installed plugin);
# - sender 1 is this host's auditd (name_format = hostname) with audisp-remote as its
#   plugin, remote_server = 127.0.0.1 (this host's own bpfguard stanza is made inactive:
#   only the aggregator runs the plugin);
# - sender 2 is a second host: audisp-remote run by hand, fed on standard input the
#   capture Tests/Fixtures/captured/node-prefix.log (node=sensor-a, made by auditd 3.0.9
#   with name_format = user), its prog-id 2176 replaced by the prog-id of a program that
#   this host holds loaded at that moment. audisp-remote reads records on standard input
#   as it does from auditd, drops EOE records, reads /etc/audit/audisp-remote.conf like
#   the plugin instance, and sends what it queued at end of input only when standard
#   input is a pipe (audisp-remote.c), hence `sed … | audisp-remote`.
# Checks: with distribute_network = no both hosts' records reach the aggregator's log but
# its plugin gets none of them; with distribute_network = yes the plugin raises the alerts
# of both hosts with their node=, keeps their program tables apart (the same prog-id on
# both: each UNLOAD gets the lifetime of its own node's LOAD), and looks up only this
# host's programs in this kernel (sensor-a's alerts have prog-type=? etc. although a
# program with that prog-id is loaded here). At the end the package is purged (unless it
# was installed before), every file it changed in /etc/audit is put back byte for byte
# (checked), and the services and the kernel's audit settings are as they were.
#
#   Tests/System/fleet.sh [DEB]   (root; prints "fleet: N passed, N failed")
#
# DEB: the package to test (default: Packaging/build-deb.sh builds it). Without root, or
# without kernel audit or BPF support, it says why and exits 0 (skipped).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TEST_NAME="fleet test"
TEST_RESULT_NAME=fleet
# shellcheck source=Tests/Shell/live.sh
source "$ROOT/Tests/Shell/live.sh"

require_live_machine "it installs a package and runs two auditds"

install_test_packages auditd audispd-plugins rsyslog gcc libc6-dev dpkg-dev binutils pkg-config debootstrap \
    gzip libauparse-dev libbpf-dev libcap-ng-dev util-linux procps iproute2

WORK=$(mktemp -d /tmp/bpfguard-fleet.XXXXXX)
AGGREGATOR=$WORK/aggregator
LOG=/var/log/audisp-bpfguard.log
SNIPPET=/etc/rsyslog.d/30-audisp-bpfguard.conf
POLICY=/etc/audit/bpfguard.policy
STANZA=/etc/audit/plugins.d/audisp-bpfguard.conf
AUDITD_CONF=/etc/audit/auditd.conf
REMOTE_CONF=/etc/audit/audisp-remote.conf
REMOTE_STANZA=/etc/audit/plugins.d/au-remote.conf
LOADER_DIR=/usr/local/libexec/bpfguard-fleet
LOADER=$LOADER_DIR/netmon
CAPTURE=$ROOT/Tests/Fixtures/captured/node-prefix.log
HOST=$(hostname)
AUDITD=$(command -v auditd || echo /sbin/auditd)
REMOTE=$(command -v audisp-remote || echo /sbin/audisp-remote)

# --- What was there before ---------------------------------------------------------------
remember_machine "$WORK"
save_files "$WORK" "$AUDITD_CONF" "$REMOTE_CONF" "$REMOTE_STANZA" "$STANZA" "$POLICY" "$SNIPPET"
aggregator_pid=

cleanup() {
    note "cleaning up"
    pkill -KILL -f "$LOADER" 2>/dev/null
    stop_auditd
    restore_audit_state "$WORK"
    if [ "$package_was_installed" -eq 0 ]; then dpkg --purge audisp-bpfguard >/dev/null 2>&1; fi
    restore_files "$WORK"
    rm -f "$LOG"
    rm -rf "$LOADER_DIR"
    stop_rsyslog
    rm -rf "$WORK"
    restore_services
}
trap cleanup EXIT

# --- The package, rsyslog ----------------------------------------------------------------
deb=$(package_to_test "${1:-}" "$WORK") || exit 1
stop_auditd
check "dpkg -i installs $(basename "$deb")" dpkg -i "$deb"
cp "$ROOT/Packaging/rsyslog/audisp-bpfguard.conf" "$SNIPPET"
rm -f "$LOG"
stop_rsyslog
check "rsyslogd starts with the shipped snippet" start_rsyslog
mkdir -p "$LOADER_DIR"
gcc -O2 -o "$LOADER" "$ROOT/Tests/Fixtures/loader/bpfload.c" || bad "building the loader"
chmod 0755 "$LOADER_DIR" "$LOADER"

# The policy: the shipped one, below a rule that reports the UNLOAD of this host's program
# (which lives too long for short-lived): its lifetime shows which LOAD it was paired with.
cp "$POLICY" "$WORK/policy.shipped"
{
    echo "alert fleet-unload op=unload prog-name=fleet_local priority=info"
    cat "$WORK/policy.shipped"
} >"$POLICY"

# --- The aggregator ----------------------------------------------------------------------
mkdir -p "$AGGREGATOR/plugins.d"
# write_aggregator_conf yes|no: the aggregator's auditd.conf, which is the README's (its
# Fleet section, between the fleet-aggregator markers) with this test's directory for
# /etc/audit/aggregator and /var/log/audit/aggregator, and distribute_network as asked.
write_aggregator_conf() {
    sed -n '/^<!-- fleet-aggregator:begin -->$/,/^<!-- fleet-aggregator:end -->$/p' "$ROOT/README.md" \
        | sed -e '1,2d' -e '$d' | sed -e '$d' \
        | sed -e "s|/etc/audit/aggregator|$AGGREGATOR|g" -e "s|/var/log/audit/aggregator|$AGGREGATOR|g" \
              -e "s/^distribute_network *=.*/distribute_network = $1/" >"$AGGREGATOR/auditd.conf"
    chmod 0640 "$AGGREGATOR/auditd.conf"
    grep -q "^distribute_network = $1\$" "$AGGREGATOR/auditd.conf" && grep -q "^local_events = no\$" "$AGGREGATOR/auditd.conf"
}
check "README.md's Fleet section has the aggregator's auditd.conf (local_events = no, distribute_network)" \
    write_aggregator_conf yes
PORT=$(awk -F' *= *' '$1 == "tcp_listen_port" { print $2 }' "$AGGREGATOR/auditd.conf")
# The package's stanza, in the aggregator's plugin_dir.
cp -a "$STANZA" "$AGGREGATOR/plugins.d/audisp-bpfguard.conf"

# --- Sender 1: this host's auditd with audisp-remote -------------------------------------
# The lines the README's Fleet section shows for a sender.
sed -i -e 's/^name_format *=.*/name_format = hostname/' "$AUDITD_CONF"
sed -i -e 's/^active *=.*/active = yes/' "$REMOTE_STANZA"
sed -i -e 's/^remote_server *=.*/remote_server = 127.0.0.1/' -e "s/^port *=.*/port = $PORT/" "$REMOTE_CONF"
# Only the aggregator runs the plugin here.
sed -i -e 's/^active *=.*/active = no/' "$STANZA"

listening() { ss -ltnH "sport = :$PORT" | grep -q .; }
# start_fleet yes|no: starts the aggregator (distribute_network yes or no), then this host's
# auditd, which starts audisp-remote; sets aggregator_pid and host_pid.
start_fleet() {
    write_aggregator_conf "$1" || return 1
    rm -f "$AGGREGATOR/audit.log"
    "$AUDITD" -n -c "$AGGREGATOR" &
    aggregator_pid=$!
    wait_for 10 listening || return 1
    auditctl -D >/dev/null 2>&1
    auditctl -b 8192 >/dev/null 2>&1
    "$AUDITD" || return 1
    host_pid=$(pgrep -x auditd | grep -vx "$aggregator_pid" | head -n 1)
    [ -n "$host_pid" ] && wait_for 10 pgrep -x -P "$host_pid" audisp-remote >/dev/null
}
stop_fleet() {
    [ -n "${host_pid:-}" ] && stop_pid "$host_pid"
    [ -n "$aggregator_pid" ] && stop_pid "$aggregator_pid"
    wait "$aggregator_pid" 2>/dev/null
}
aggregator_plugin() { plugin_of "$aggregator_pid"; }
aggregator_plugin_runs() { [ -n "$(aggregator_plugin)" ]; }
aggregator_log_has() { grep -aq -- "$1" "$AGGREGATOR/audit.log" 2>/dev/null; }
# plugin_lines PID: what that plugin wrote to rsyslog's file.
plugin_lines() { grep -a -- "audisp-bpfguard\[$1\]: " "$LOG" 2>/dev/null; }
# send_sensor_a PROG_ID: sender 2, the capture of node sensor-a with its prog-id replaced.
send_sensor_a() {
    sed "s/ prog-id=2176 / prog-id=$1 /" "$CAPTURE" | "$REMOTE"
}
# load_local NAME HOLD_MS: loads a program here in the background; prints its prog-id.
load_local() {
    "$LOADER" --name "$1" --hold "$2" >"$WORK/$1.out" &
    wait_for 10 grep -q '^loaded prog-id=' "$WORK/$1.out" || return 1
    sed -n 's/^loaded prog-id=\([0-9]*\) .*/\1/p' "$WORK/$1.out"
}

# --- Without distribute_network ----------------------------------------------------------
note "aggregator with distribute_network = no"
check "the aggregator and this host's auditd start, with audisp-remote" start_fleet no
check "the aggregator starts the plugin" wait_for 10 aggregator_plugin_runs
quiet_plugin=$(aggregator_plugin)
id=$(load_local fleet_nodist 100)
check "sender 2 (audisp-remote, sensor-a's capture on standard input) sends everything" send_sensor_a "$id"
check "this host's BPF records reach the aggregator (its log) with node=$HOST" \
    wait_for 10 aggregator_log_has "node=$HOST type=BPF msg=audit([0-9.:]*): prog-id=$id op=UNLOAD"
check "sensor-a's BPF records reach the aggregator with node=sensor-a" \
    aggregator_log_has "node=sensor-a type=BPF msg=audit(1795943357.951:43121): prog-id=$id op=UNLOAD"
stop_fleet
plugin_exited() { plugin_lines "$quiet_plugin" | grep -q 'exiting: records='; }
wait_for 5 plugin_exited
summary=$(plugin_lines "$quiet_plugin" | grep -o 'exiting: records=.*')
note "the plugin's exit summary: ${summary:0:120}"
check "but the aggregator's plugin got no BPF record (exit summary bpf_events=0)" grep -q ' bpf_events=0 ' <<<"$summary"
# (Only the built-in alert for its own auditd stopping: DAEMON_END is a local record.)
check "and raised no alert of the policy" bash -c "! grep -a 'audisp-bpfguard\[$quiet_plugin\]: alert=' '$LOG' | grep -v ' rule=builtin$'"

# --- With distribute_network -------------------------------------------------------------
note "aggregator with distribute_network = yes"
check "the aggregator and this host's auditd start again" start_fleet yes
check "the aggregator starts the plugin" wait_for 10 aggregator_plugin_runs
plugin=$(aggregator_plugin)
plugin_has() { plugin_lines "$plugin" | grep -Eq -- "$1"; }
check "the plugin names this host's node from auditd.conf: $HOST" \
    wait_for 10 plugin_has "this host's node name: $HOST \\($AUDITD_CONF: name_format = hostname\\)"

id=$(load_local fleet_local 4000)
note "this host holds prog-id $id (fleet_local) for 4 s; sensor-a's capture now loads and unloads the same prog-id"
check "this host's LOAD: alert with node=$HOST, looked up in this kernel" \
    wait_for 10 plugin_has "alert=unknown-exe priority=warning op=LOAD prog-id=$id prog-type=socket_filter prog-name=\"fleet_local\" prog-tag=[0-9a-f]{16} helpers=none created-by-uid=0 node=$HOST uid=0 .* exe=\"$LOADER\" .*identity=audit "
check "sender 2 sends sensor-a's records" send_sensor_a "$id"
check "sensor-a's LOAD: alert with node=sensor-a, not looked up here (prog-type=? …) though prog-id $id is loaded here" \
    wait_for 10 plugin_has "alert=writable-dir-exe priority=crit op=LOAD prog-id=$id prog-type=\\? prog-name=\\? prog-tag=\\? helpers=\\? created-by-uid=\\? node=sensor-a uid=0 .* exe=\"/tmp/bpfguard-capture/bpfload\" .*identity=audit event=1795943357.851:43120 "
check "sensor-a's UNLOAD: lifetime of sensor-a's own LOAD (100 ms)" \
    wait_for 10 plugin_has "alert=short-lived priority=notice op=UNLOAD prog-id=$id prog-type=\\? .* node=sensor-a .* lifetime=100ms event=1795943357.951:43121 "
check "this host's UNLOAD: lifetime of this host's LOAD (about 4 s): the tables are apart" \
    wait_for 10 plugin_has "alert=fleet-unload priority=info op=UNLOAD prog-id=$id prog-type=socket_filter prog-name=\"fleet_local\" .* node=$HOST .* lifetime=[45][0-9]{3}ms "
check "no alert of sensor-a names a program type" \
    bash -c "! grep -a 'audisp-bpfguard\[$plugin\]: alert=.* node=sensor-a ' '$LOG' | grep -v ' rule=builtin$' | grep -v ' prog-type=? '"
check "sensor-a's capture ends with its auditd stopping: a built-in audit-disabled alert with node=sensor-a" \
    plugin_has "alert=audit-disabled priority=crit change=\"auditd is stopping .* node=sensor-a .* rule=builtin$"
stop_fleet
check "the plugin exits with the aggregator" wait_for 5 plugin_has "exiting: records="
note "the aggregator's alerts for prog-id $id:"
plugin_lines "$plugin" | grep -a " alert=.* prog-id=$id " | sed 's/^.*audisp-bpfguard\[[0-9]*\]: /   /'

# --- Put back ----------------------------------------------------------------------------
if [ "$package_was_installed" -eq 0 ]; then dpkg --purge audisp-bpfguard >/dev/null 2>&1; fi
restore_files "$WORK"
check "auditd.conf, audisp-remote.conf, plugins.d and the policy are back byte for byte" files_restored "$WORK"

if [ "$failed" -ne 0 ]; then
    note "the plugin's log ($LOG), last 30 lines:"
    tail -n 30 "$LOG" | cut -c1-300
    note "the aggregator's audit.log, last 10 lines:"
    tail -n 10 "$AGGREGATOR/audit.log" 2>/dev/null | cut -c1-200
fi
echo "fleet: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
