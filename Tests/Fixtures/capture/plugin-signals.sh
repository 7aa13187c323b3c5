#!/bin/bash
# plugin-signals.sh - observe how auditd treats its plugins (root).
#
# A probe plugin (python3, so it can install handlers even for signals it
# inherited as ignored) logs: the signal state it was started with (SigIgn/SigBlk
# from /proc/self/status), every HUP/TERM/USR1/USR2/INT it receives (it installs
# handlers and unblocks them), each BPF line it reads, and EOF on stdin.
# It ignores SIGTERM apart from logging it, and keeps reading until EOF.
#
# Run 1: start auditd, load a BPF program, kill -HUP auditd, auditctl --signal HUP,
#        replace the plugin file (new inode) and HUP again, then stop auditd with
#        SIGTERM (does the plugin get SIGTERM? EOF? in which order?).
# Run 2: SIGKILL the plugin KILLS times (default 12), loading a BPF program after
#        each kill: when is it restarted, what does the restarted copy inherit, and
#        where does max_restarts stop it; then HUP auditd once more.
# auditd runs in the foreground (-f) so that its diagnostics go to a file (with -f
# auditd 3.0.9 writes no audit.log). Output: the probe log and auditd's messages on
# stdout, and in OUT_FILE if set. Everything is restored as in capture.sh (lib.sh).

set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

PROBE=$CAP_WORK/probe-plugin.py
PROBE_LOG=$CAP_WORK/probe.log
AUDITD_ERR=$CAP_WORK/auditd-stderr.log
KILLS=${KILLS:-12}
APID=

note() { echo "$(date +%s.%N | cut -c1-14) [driver] $*" >>"$PROBE_LOG"; }

# pids of running probe plugins (children of our auditd)
probe_pids() {
	local p
	for p in $(pgrep -P "$APID" 2>/dev/null); do
		grep -qF "$PROBE" "/proc/$p/cmdline" 2>/dev/null && printf '%s ' "$p"
	done
}

write_probe() {
	local tmp=$PROBE.new
	umask 022
	cat >"$tmp" <<EOF
#!/usr/bin/python3
# probe plugin for plugin-signals.sh (generated)
import os, signal, sys, time
LOG = "$PROBE_LOG"
def say(msg):
    with open(LOG, "a") as f:
        f.write("%.3f [plugin pid=%d] %s\n" % (time.time(), os.getpid(), msg))
def names(mask_hex):
    m = int(mask_hex, 16)
    out = []
    for n in range(1, 65):
        if m & (1 << (n - 1)):
            try:
                out.append(signal.Signals(n).name)
            except ValueError:
                out.append(str(n))
    return ",".join(out) or "-"
st = {}
for line in open("/proc/self/status"):
    k, _, v = line.partition(":")
    st[k] = v.strip()
say("started, ppid=%d argv=%s" % (os.getppid(), sys.argv[1:]))
say("inherited SigIgn=%s (%s)" % (st["SigIgn"], names(st["SigIgn"])))
say("inherited SigBlk=%s (%s)" % (st["SigBlk"], names(st["SigBlk"])))
def handler(sig, frame):
    say("got %s" % signal.Signals(sig).name)
watched = [signal.SIGHUP, signal.SIGTERM, signal.SIGUSR1, signal.SIGUSR2, signal.SIGINT]
for s in watched:
    signal.signal(s, handler)
signal.pthread_sigmask(signal.SIG_UNBLOCK, watched)
n = 0
for raw in sys.stdin.buffer:
    n += 1
    line = raw.decode("utf-8", "replace").split("\x1d")[0].rstrip("\n")
    if "type=BPF" in line or "type=DAEMON_" in line:
        say("read: " + line)
say("EOF on stdin after %d lines" % n)
EOF
	chown root:root "$tmp"
	chmod 0755 "$tmp"
	mv -f "$tmp" "$PROBE"     # a new inode each time
}

load_one() { "$CAP_WORK/bpfload" --name "$1" >/dev/null || note "bpfload failed"; sleep 0.7; }

start_auditd_fg() {
	note "starting $CAP_AUDITD -f (max_restarts = $(cap_conf_value max_restarts))"
	"$CAP_AUDITD" -f >/dev/null 2>>"$AUDITD_ERR" &
	APID=$!
	local i
	for i in $(seq 50); do auditctl -s | grep -qx "pid $APID" && break; sleep 0.1; done
	sleep 1
	note "auditd pid $APID; probe plugin pid(s): $(probe_pids)"
}

stop_auditd_fg() {
	local t0 pids
	pids=$(probe_pids)
	note "SIGTERM auditd (probe plugin pid(s) now: $pids)"
	t0=$(date +%s.%N)
	kill -TERM "$APID"
	wait "$APID"
	note "auditd exited (status $?) after $(echo "$(date +%s.%N) - $t0" | bc) s"
	sleep 1
	local p left=
	for p in $pids; do
		# a zombie (state Z) has exited but not been reaped yet by PID 1
		[ -r "/proc/$p/stat" ] && left="$left $p(state $(awk '{print $3}' "/proc/$p/stat"))"
	done
	note "1 s later, probe plugin process(es) left:${left:- none}"
}

main() {
	cap_init
	cap_build_loader
	write_probe
	: >"$PROBE_LOG"
	: >"$AUDITD_ERR"
	local conf=("log_file=$CAP_WORK/auditlog/audit.log")
	[ -n "${MAX_RESTARTS:-}" ] && conf+=("max_restarts=$MAX_RESTARTS")
	mkdir -p -m 700 "$CAP_WORK/auditlog"
	cap_write_conf "${conf[@]}"
	cap_install_stanza bpfguard-probe "$PROBE"

	note "=== run 1: HUP, auditctl --signal HUP, binary change + HUP, SIGTERM"
	start_auditd_fg
	load_one sig_start
	note "kill -HUP auditd"
	kill -HUP "$APID"
	sleep 2
	note "after HUP: probe plugin pid(s): $(probe_pids)"
	load_one sig_after_hup
	note "auditctl --signal HUP"
	auditctl --signal HUP
	sleep 2
	note "after auditctl --signal HUP: probe plugin pid(s): $(probe_pids)"
	note "replacing $PROBE (new inode), then kill -HUP auditd"
	write_probe
	kill -HUP "$APID"
	sleep 2
	note "after binary change + HUP: probe plugin pid(s): $(probe_pids)"
	load_one sig_replaced
	stop_auditd_fg

	note "=== run 2: SIGKILL the plugin $KILLS times"
	start_auditd_fg
	local i p
	for i in $(seq "$KILLS"); do
		p=$(probe_pids)
		if [ -z "$p" ]; then
			note "kill round $i: no probe plugin running"
		else
			note "kill round $i: kill -KILL $p"
			# shellcheck disable=SC2086
			kill -KILL $p
		fi
		sleep 1
		note "kill round $i: 1 s later, before any new event: [$(probe_pids)]"
		load_one "sig_kill_$i"
		note "kill round $i: after a BPF load: [$(probe_pids)]"
	done
	note "kill -HUP auditd after the kill rounds"
	kill -HUP "$APID"
	sleep 2
	note "after HUP: probe plugin pid(s): [$(probe_pids)]"
	load_one sig_after_hup3
	note "after a BPF load: probe plugin pid(s): [$(probe_pids)]"
	stop_auditd_fg

	{
		echo "===== probe log"
		cat "$PROBE_LOG"
		echo "===== auditd -f stderr (config parser lines removed)"
		grep -v -e '_parser called with' -e 'opened for parsing' "$AUDITD_ERR"
	} | tee "${OUT_FILE:-/dev/null}"
}

main "$@"
