#!/bin/bash
# capture.sh - record what auditd hands to a plugin, one fixture per scenario.
#
# Usage (root):  Tests/Fixtures/capture/capture.sh [SCENARIO...]
#        SCENARIOS: root-known-loader root-unknown-path unprivileged-capbpf pinned
#                   space-in-path deleted-exe program-types raw-format node-prefix
#                   killed-loader daemon-hup with-bpf-rule busy-sample
#                   (default: all of them, in this order)
#        env: ADD_BPF_RULE=1  also add "-a always,exit -F arch=b64 -S bpf -k bpf-load"
#                             during every capture (not needed on kernels that attach
#                             SYSCALL context to BPF records without any rule)
#             KEEP_WORK=1     keep /tmp/bpfguard-capture afterwards
#
# For each scenario: a plugins.d stanza (active = yes, direction = out, type = always,
# format = string) points auditd at a two-line plugin under /tmp that does
# "exec cat > stream.log"; auditd is started, the scenario runs, auditd is stopped
# with SIGTERM (it forwards SIGTERM to the plugin, which cat inherited as ignored,
# and exits, so cat reads EOF, flushes and exits) and the stream is copied to Tests/Fixtures/captured/NAME.log. auditd's log_file is pointed at
# a scratch directory during the capture, so each audit.log holds only that run
# (root-unknown-path and daemon-hup keep it as NAME.audit-log). NAME.run.txt records the
# environment, the scenario's commands and their output.
# Everything (auditd.conf, plugins.d, rules, bpffs mount, auditd's running state)
# is restored on exit, see lib.sh.

set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

OUT=$CAP_FIXTURES/captured
STREAM=$CAP_WORK/stream.log
PLUGIN=$CAP_WORK/capture-plugin.sh
PLUGIN_PID=$CAP_WORK/capture-plugin.pid
AUDIT_LOG_DIR=$CAP_WORK/auditlog
LOADER=$CAP_WORK/bpfload
PY=/usr/bin/python3
ALL_SCENARIOS="root-known-loader root-unknown-path unprivileged-capbpf pinned space-in-path
deleted-exe program-types raw-format node-prefix killed-loader daemon-hup with-bpf-rule busy-sample system-path
audit-config-changes"

# run CMD...: echo the command into the run notes, run it, keep its output there too.
run() {
	printf '$ %s\n' "$*"
	"$@" 2>&1
	local rc=$?
	[ $rc = 0 ] || printf '(exit status %d)\n' "$rc"
	return 0
}

# ---------------------------------------------------------------- scenarios
# Each scenario_NAME prints its commands and their output (captured in NAME.run.txt).
# conf_NAME (optional) prints KEY=VALUE lines for auditd.conf.

scenario_root_known_loader() {
	run /usr/sbin/bpftool prog list
	printf '$ /usr/sbin/bpftool feature probe kernel >/dev/null\n'
	/usr/sbin/bpftool feature probe kernel >/dev/null 2>&1
	printf '(exit status %d)\n' $?
}

scenario_root_unknown_path() {
	run "$LOADER" --name short_lived --hold 100
	run "$LOADER" --name long_lived --hold 2500
}

# A loader installed like a daemon (not in a world-writable directory), unknown to the
# default policy: long-lived programs of two types and a short-lived one.
SYSTEM_PATH_DIR=/usr/local/libexec/bpfguard-capture
scenario_system_path() {
	mkdir -p "$SYSTEM_PATH_DIR"
	install -m 0755 "$LOADER" "$SYSTEM_PATH_DIR/netmon"
	run "$SYSTEM_PATH_DIR/netmon" --type socket_filter --name netmon_sock --hold 1500
	run "$SYSTEM_PATH_DIR/netmon" --type kprobe --name netmon_kprobe --hold 1500
	run "$SYSTEM_PATH_DIR/netmon" --type socket_filter --name netmon_probe --hold 200
	rm -rf "$SYSTEM_PATH_DIR"
}

scenario_unprivileged_capbpf() {
	run setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=+bpf --ambient-caps=+bpf \
		"$LOADER" --name capbpf_nobody --hold 1500
}

scenario_pinned() {
	cap_ensure_bpffs
	rm -f /sys/fs/bpf/bpfguard_test
	run "$LOADER" --name pinned_prog --pin /sys/fs/bpf/bpfguard_test
	run ls -l /sys/fs/bpf/bpfguard_test
	sleep 1.5
	run rm /sys/fs/bpf/bpfguard_test
}

scenario_space_in_path() {
	mkdir -p "$CAP_WORK_SPACE"
	chmod 755 "$CAP_WORK_SPACE"
	cp "$LOADER" "$CAP_WORK_SPACE/load er"
	run "$CAP_WORK_SPACE/load er" --name space_path --hold 200
}

scenario_deleted_exe() {
	local pid
	# A: loads at once, the file is deleted while it holds the program (so the LOAD
	#    names the intact path; the UNLOAD's close() SYSCALL names the deleted file).
	cp "$LOADER" "$CAP_WORK/vanish"
	printf '$ %s --name vanish_a --hold 2000 &   # then rm after 0.5 s\n' "$CAP_WORK/vanish"
	"$CAP_WORK/vanish" --name vanish_a --hold 2000 2>&1 &
	pid=$!
	sleep 0.5
	run rm "$CAP_WORK/vanish"
	wait $pid
	printf '(exit status %d)\n' $?
	# B: the file is deleted before the program is loaded (--delay), so the LOAD's
	#    SYSCALL record names the deleted file too.
	cp "$LOADER" "$CAP_WORK/vanish2"
	printf '$ %s --name vanish_b --delay 800 --hold 500 &   # then rm after 0.3 s\n' "$CAP_WORK/vanish2"
	"$CAP_WORK/vanish2" --name vanish_b --delay 800 --hold 500 2>&1 &
	pid=$!
	sleep 0.3
	run rm "$CAP_WORK/vanish2"
	wait $pid
	printf '(exit status %d)\n' $?
}

scenario_program_types() {
	run "$LOADER" --type kprobe --name type_kprobe
	run "$LOADER" --type tracepoint --name type_tp
	run "$LOADER" --type xdp --name type_xdp
	run "$LOADER" --type kprobe --helper send_signal --name send_signal
}

conf_raw_format() { echo "log_format=RAW"; }
scenario_raw_format() {
	run "$LOADER" --name raw_format --hold 100
}

conf_node_prefix() { echo "name_format=user"; echo "name=sensor-a"; }
scenario_node_prefix() {
	run "$LOADER" --name node_prefix --hold 100
}

scenario_killed_loader() {
	# The loader is killed while it holds its program: the fd is released by the
	# exiting task, outside any syscall, so the UNLOAD is a standalone record.
	local pid sig
	for sig in KILL TERM; do
		printf '$ %s --name killed_%s --hold 5000 &   # then kill -%s after 0.5 s\n' "$LOADER" "$sig" "$sig"
		"$LOADER" --name "killed_$sig" --hold 5000 2>&1 &
		pid=$!
		sleep 0.5
		kill -"$sig" "$pid"
		wait "$pid" 2>/dev/null
		printf '(exit status %d)\n' $?
	done
}

scenario_daemon_hup() {
	# What a plugin sees across "kill -HUP auditd": the DAEMON_CONFIG record goes to
	# audit.log only (kept as daemon-hup.audit-log for comparison).
	run "$LOADER" --name before_hup
	printf '$ kill -HUP %s   # auditd\n' "$(cap_auditd_pid)"
	kill -HUP "$(cap_auditd_pid)"
	sleep 1.5
	run "$LOADER" --name after_hup
}

scenario_audit_config_changes() {
	# What a plugin sees when audit itself is reconfigured (issue 12): rules that hide BPF
	# loads, excludes on BPF records, audit disabled and re-enabled, rules deleted, and a
	# load without audit context while "-a never,task" is in force.
	local r backlog
	backlog=$(auditctl -s | sed -n 's/^backlog_limit //p')
	for r in "never,task" "exclude,always -F msgtype=BPF" "never,exit -F arch=b64 -S bpf" \
	         "always,exit -F arch=b64 -S bpf -F a0=5 -F success=0 -k bpf-load-failed"; do
		run auditctl -a $r
	done
	run "$LOADER" --name no_context
	run auditctl -d never,task
	run auditctl -d exclude,always -F msgtype=BPF
	run auditctl -d never,exit -F arch=b64 -S bpf
	run auditctl -b 320
	run auditctl -e 0
	run "$LOADER" --name while_disabled
	run auditctl -e 1
	run "$LOADER" --name after_enable
	run auditctl -D
	auditctl -b "$backlog" >/dev/null   # restored (not part of the capture)
}

scenario_with_bpf_rule() {
	# The same two loads as root-unknown-path, with a syscall rule on bpf(): the LOAD's
	# SYSCALL carries key="bpf-load", and every other bpf() call (here the loader's
	# BPF_OBJ_GET_INFO_BY_FD) becomes an event of its own without a BPF record.
	local r="always,exit -F arch=b64 -S bpf -k bpf-load"
	cap_add_rule $r
	printf '$ auditctl -a %s\n' "$r"
	run "$LOADER" --name short_lived --hold 100
	run "$LOADER" --name long_lived --hold 2500
	cap_del_rules
	printf '$ auditctl -d %s\n' "$r"
}

busy_workload() {
	local pids=() i
	(for i in $(seq 200); do /bin/true; [ $((i % 20)) = 0 ] && sleep 0.3; done) &
	pids+=($!)
	(for i in $(seq 100); do cat /etc/hostname /etc/os-release /proc/loadavg >/dev/null; \
		[ $((i % 10)) = 0 ] && sleep 0.3; done) &
	pids+=($!)
	"$PY" - <<'EOF' &
# TCP connect() calls to a listener on 127.0.0.1 only.
import socket, threading, time
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(64)
port = srv.getsockname()[1]
def accept():
    while True:
        c, _ = srv.accept()
        c.close()
threading.Thread(target=accept, daemon=True).start()
for i in range(300):
    s = socket.create_connection(("127.0.0.1", port))
    s.close()
    if i % 30 == 29:
        time.sleep(0.4)
EOF
	pids+=($!)
	for i in 1 2 3; do
		sleep 1
		"$LOADER" --name busy_$i --count 2 --hold 50
	done
	wait "${pids[@]}"
}

scenario_busy_sample() {
	# The rules are limited to auid=0 and the workload runs in a subshell that sets
	# its login uid to 0 (as a root login session would), so that whatever else runs
	# on the machine at the time (auid unset) stays out of the fixture.
	local r="always,exit -F arch=b64 -S execve,openat,connect -F auid=0 -k busy"
	cap_add_rule $r
	printf '$ auditctl -a %s\n' "$r"
	run auditctl -l
	printf '$ (echo 0 > /proc/self/loginuid; workload: ~4 s of /bin/true loops, cat of files,\n'
	printf '   python3 connect() to 127.0.0.1, with bpfload --count 2 three times in between)\n'
	(echo 0 >/proc/self/loginuid && busy_workload)
	printf '(workload done, exit status %d)\n' $?
	cap_del_rules
	printf '$ auditctl -d %s\n' "$r"
	run auditctl -l
}

# ---------------------------------------------------------------- driver

write_plugin() {
	umask 022
	cat >"$PLUGIN" <<EOF
#!/bin/sh
echo \$\$ > $PLUGIN_PID
exec cat > $STREAM
EOF
	chown root:root "$PLUGIN"
	chmod 0755 "$PLUGIN"
}

capture_one() {
	local name=$1 fn=${1//-/_} conf=() notes kv
	notes=$OUT/$name.run.txt
	if declare -F "conf_$fn" >/dev/null; then
		mapfile -t conf < <("conf_$fn")
	fi
	cap_log "scenario $name"
	rm -rf "$AUDIT_LOG_DIR" "$STREAM" "$PLUGIN_PID"
	mkdir -p -m 700 "$AUDIT_LOG_DIR"
	cap_write_conf "log_file=$AUDIT_LOG_DIR/audit.log" "${conf[@]}"
	if [ "${ADD_BPF_RULE:-0}" = 1 ]; then
		cap_add_rule "always,exit -F arch=b64 -S bpf -k bpf-load"
	fi
	{
		echo "# $name: run notes written by Tests/Fixtures/capture/capture.sh"
		echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
		echo "kernel: $(uname -r) ($(uname -m))"
		echo "auditd: $(dpkg-query -W -f '${Version}' auditd 2>/dev/null || echo unknown)"
		echo "auditd.conf: log_format = $(cap_conf_value log_format), name_format = $(cap_conf_value name_format)$( [ -n "$(cap_conf_value name)" ] && echo ", name = $(cap_conf_value name)")"
		for kv in "${conf[@]}"; do echo "auditd.conf changed for this scenario: $kv"; done
		echo "audit rules at start (auditctl -l): $(auditctl -l | tr '\n' ';')"
		echo "kernel lost counter at start: $(auditctl -s | sed -n 's/^lost //p')"
		echo
	} >"$notes"

	cap_start_auditd
	for kv in $(seq 50); do [ -s "$PLUGIN_PID" ] && break; sleep 0.1; done
	[ -s "$PLUGIN_PID" ] || cap_die "the capture plugin did not start"
	local ppid
	ppid=$(cat "$PLUGIN_PID")
	sleep 0.5
	"scenario_$fn" >>"$notes" 2>&1
	sleep 1.5                       # let kauditd and auditd deliver the last events
	[ "${ADD_BPF_RULE:-0}" = 1 ] && cap_del_rules
	{
		echo
		echo "kernel lost counter at end: $(auditctl -s | sed -n 's/^lost //p')"
		echo "audit rules at end (auditctl -l): $(auditctl -l | tr '\n' ';')"
	} >>"$notes"
	cap_stop_auditd
	cap_wait_pid_gone "$ppid" 100 || cap_die "capture plugin (pid $ppid) did not exit after auditd stopped"
	install -m 0644 "$STREAM" "$OUT/$name.log"
	if [ "$name" = root-unknown-path ] || [ "$name" = daemon-hup ] || [ "$name" = audit-config-changes ]; then
		install -m 0644 "$AUDIT_LOG_DIR/audit.log" "$OUT/$name.audit-log"
	fi
	cap_log "  -> $OUT/$name.log ($(wc -l <"$OUT/$name.log") lines, $(grep -c 'op=LOAD' "$OUT/$name.log") LOAD, $(grep -c 'op=UNLOAD' "$OUT/$name.log") UNLOAD)"
}

main() {
	local scenarios=("$@") s
	[ ${#scenarios[@]} -gt 0 ] || read -r -a scenarios <<<"$(echo $ALL_SCENARIOS)"
	for s in "${scenarios[@]}"; do
		declare -F "scenario_${s//-/_}" >/dev/null || cap_die "unknown scenario: $s (known: $(echo $ALL_SCENARIOS))"
	done
	cap_init
	mkdir -p "$OUT"
	cap_build_loader
	write_plugin
	cap_install_stanza bpfguard-capture "$PLUGIN"
	[ -z "$(auditctl -l | grep -v '^No rules')" ] || cap_log "note: audit rules are loaded; they shape what is captured: $(auditctl -l | tr '\n' ';')"
	for s in "${scenarios[@]}"; do
		capture_one "$s"
	done
}

main "$@"
