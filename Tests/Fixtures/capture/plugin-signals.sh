#!/bin/bash
# plugin-signals.sh - observe how auditd treats its plugins (root).
#
# Installs a probe plugin (a bash script that logs its start, the signals it gets,
# the BPF lines it reads and EOF on stdin) and then:
#   1. starts auditd, loads one BPF program
#   2. kill -HUP auditd            -> does the plugin get SIGHUP? is it restarted?
#   3. auditctl --signal HUP       -> same question
#   4. kills the plugin (SIGKILL) repeatedly, loading a BPF program after each
#      kill, to see whether/when auditd restarts it and where max_restarts stops it
#   5. stops auditd (SIGTERM)      -> does the plugin get SIGTERM, EOF, both, in
#      which order, and is it killed if it does not exit?
# auditd runs with -f (foreground) so its diagnostics land in a file; everything
# else is as in capture.sh. The probe's log and auditd's messages are printed at
# the end; nothing is written to the repository unless OUT_FILE is set.
#
# Usage: Tests/Fixtures/capture/plugin-signals.sh  [env MAX_RESTARTS=N (default: leave
#        auditd.conf's value), KILLS=N (default 12), TERM_EXITS=0|1 (default 0: the
#        probe ignores SIGTERM and waits for EOF)]

set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

PROBE=$CAP_WORK/probe-plugin.sh
PROBE_LOG=$CAP_WORK/probe.log
AUDITD_ERR=$CAP_WORK/auditd-stderr.log
KILLS=${KILLS:-12}

ts() { date +%s.%N | cut -c1-14; }
note() { echo "$(ts) [driver] $*" >>"$PROBE_LOG"; }

probe_pids() { pgrep -f "^/bin/bash $PROBE" | tr '\n' ' '; }

write_probe() {
	umask 022
	cat >"$PROBE" <<EOF
#!/bin/bash
log=$PROBE_LOG
say() { echo "\$(date +%s.%N | cut -c1-14) [plugin pid=\$\$] \$*" >>"\$log"; }
say "started, ppid=\$PPID"
trap 'say "got SIGHUP"' HUP
trap 'say "got SIGTERM"; [ "${TERM_EXITS:-0}" = 1 ] && { say "exiting on SIGTERM"; exit 0; }' TERM
trap 'say "got SIGINT"' INT
trap 'say "got SIGUSR1"' USR1
trap 'say "got SIGUSR2"' USR2
n=0
while :; do
	if IFS= read -r line; then
		n=\$((n + 1))
		case \$line in *type=BPF*) say "read BPF line: \${line%%\$'\\x1d'*}" ;; esac
	else
		rc=\$?
		[ \$rc -gt 128 ] && continue   # read interrupted by a trapped signal
		say "EOF on stdin after \$n lines"
		break
	fi
done
say "exiting normally"
EOF
	chown root:root "$PROBE"
	chmod 0755 "$PROBE"
}

load_one() { "$CAP_WORK/bpfload" --name "$1" >/dev/null || note "bpfload failed"; sleep 0.7; }

main() {
	cap_init
	cap_build_loader
	write_probe
	: >"$PROBE_LOG"
	local conf=("log_file=$CAP_WORK/auditlog/audit.log")
	[ -n "${MAX_RESTARTS:-}" ] && conf+=("max_restarts=$MAX_RESTARTS")
	mkdir -p -m 700 "$CAP_WORK/auditlog"
	cap_write_conf "${conf[@]}"
	cap_install_stanza bpfguard-probe "$PROBE"

	note "starting $CAP_AUDITD -f (max_restarts = $(cap_conf_value max_restarts))"
	"$CAP_AUDITD" -f 2>"$AUDITD_ERR" &
	local apid=$! i
	for i in $(seq 50); do auditctl -s | grep -qx "pid $apid" && break; sleep 0.1; done
	sleep 1
	note "auditd pid $apid; probe plugin pid(s): $(probe_pids)"
	load_one sig_start

	note "kill -HUP auditd"
	kill -HUP "$apid"
	sleep 2
	note "after HUP: probe plugin pid(s): $(probe_pids)"
	load_one sig_after_hup

	note "auditctl --signal HUP"
	auditctl --signal HUP
	sleep 2
	note "after auditctl --signal HUP: probe plugin pid(s): $(probe_pids)"
	load_one sig_after_hup2

	for i in $(seq "$KILLS"); do
		local p
		p=$(probe_pids)
		if [ -z "$p" ]; then
			note "kill round $i: no probe plugin running"
		else
			note "kill round $i: kill -KILL $p"
			# shellcheck disable=SC2086
			kill -KILL $p
		fi
		sleep 1
		note "kill round $i: 1 s later, before any new event: $(probe_pids)"
		load_one "sig_kill_$i"
		note "kill round $i: after a BPF load: $(probe_pids)"
	done

	note "kill -HUP auditd after the kill rounds"
	kill -HUP "$apid"
	sleep 2
	note "after HUP: probe plugin pid(s): $(probe_pids)"
	load_one sig_after_hup3

	note "SIGTERM auditd"
	local t0
	t0=$(date +%s.%N)
	kill -TERM "$apid"
	wait "$apid"
	note "auditd exited (status $?) after $(echo "$(date +%s.%N) - $t0" | bc) s; probe plugin pid(s): $(probe_pids)"
	sleep 1
	note "1 s later: probe plugin pid(s): $(probe_pids)"

	echo "===== probe log ($PROBE_LOG)"
	cat "$PROBE_LOG"
	echo "===== auditd -f stderr"
	cat "$AUDITD_ERR"
	if [ -n "${OUT_FILE:-}" ]; then
		{ echo "===== probe log"; cat "$PROBE_LOG"; echo "===== auditd -f stderr"; cat "$AUDITD_ERR"; } >"$OUT_FILE"
	fi
}

main "$@"
