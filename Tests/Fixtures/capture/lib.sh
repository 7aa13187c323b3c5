# Shared helpers for capture.sh and plugin-signals.sh (bash; source it, do not run it).
#
# Everything here assumes: root, no systemd (auditd is started as /sbin/auditd and
# stopped with SIGTERM), auditd 3.x with /etc/audit/auditd.conf and plugins.d.
# cap_init records the state it finds and installs an EXIT trap (cap_cleanup) that
# puts it back: plugins.d stanzas it added are removed, auditd.conf is restored
# byte for byte, audit rules it added are deleted, a bpffs it mounted is unmounted,
# and auditd is left running only if it was running before.

set -u

CAP_WORK=${CAP_WORK:-/tmp/bpfguard-capture}
CAP_ETC=/etc/audit
CAP_CONF=$CAP_ETC/auditd.conf
CAP_PLUGIN_DIR=$CAP_ETC/plugins.d
CAP_AUDITD=/sbin/auditd
CAP_STATE=/root/.bpfguard-capture-state     # survives a crash of the script: the saved auditd.conf
CAP_FIXTURES=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

CAP_STANZAS=()          # plugins.d files we created
CAP_RULES=()            # auditctl rule specs we added (deleted with -d on cleanup)
CAP_MOUNTED_BPFFS=no
CAP_AUDITD_WAS_RUNNING=no

cap_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
cap_die() { cap_log "ERROR: $*"; exit 1; }

cap_auditd_pid() { pgrep -x auditd | head -n1; }

cap_init() {
	[ "$(id -u)" = 0 ] || cap_die "must run as root"
	[ -x "$CAP_AUDITD" ] || cap_die "$CAP_AUDITD not found"
	[ -f "$CAP_CONF" ] || cap_die "$CAP_CONF not found"
	command -v auditctl >/dev/null || cap_die "auditctl not found"
	if [ -e "$CAP_STATE/auditd.conf" ]; then
		cap_die "$CAP_STATE/auditd.conf exists: a previous run did not clean up." \
			"Compare it with $CAP_CONF, restore it if needed, then remove $CAP_STATE"
	fi
	mkdir -p -m 700 "$CAP_STATE"
	cp -p "$CAP_CONF" "$CAP_STATE/auditd.conf"
	trap cap_cleanup EXIT
	trap 'exit 130' INT TERM
	if [ -n "$(cap_auditd_pid)" ]; then
		CAP_AUDITD_WAS_RUNNING=yes
		cap_log "auditd is running (pid $(cap_auditd_pid)); stopping it for the capture, it is restarted at the end"
		cap_stop_auditd
	fi
	rm -rf "$CAP_WORK"
	mkdir -p "$CAP_WORK"
	chmod 755 "$CAP_WORK"    # user nobody must be able to run $CAP_WORK/bpfload
}

cap_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	set +e
	[ -n "$(cap_auditd_pid)" ] && cap_stop_auditd
	local f r
	for f in "${CAP_STANZAS[@]}"; do rm -f "$f"; done
	for r in "${CAP_RULES[@]}"; do
		# shellcheck disable=SC2086
		auditctl -d $r >/dev/null 2>&1 || cap_log "could not delete rule: $r"
	done
	if [ -f "$CAP_STATE/auditd.conf" ]; then
		cp -p "$CAP_STATE/auditd.conf" "$CAP_CONF"
		if cmp -s "$CAP_STATE/auditd.conf" "$CAP_CONF"; then
			rm -rf "$CAP_STATE"
		else
			cap_log "auditd.conf NOT restored; the original is in $CAP_STATE/auditd.conf"
		fi
	fi
	[ "$CAP_MOUNTED_BPFFS" = yes ] && umount /sys/fs/bpf
	if [ "$CAP_AUDITD_WAS_RUNNING" = yes ]; then
		cap_log "restarting auditd (it was running before)"
		"$CAP_AUDITD"
	fi
	[ "${KEEP_WORK:-0}" = 1 ] || rm -rf "$CAP_WORK" "$CAP_WORK_SPACE"
	cap_log "cleanup done"
	exit $rc
}

# cap_write_conf KEY=VALUE...: auditd.conf = the original with these keys replaced/added.
cap_write_conf() {
	local tmp=$CAP_STATE/auditd.conf.new kv key val
	cp -p "$CAP_STATE/auditd.conf" "$tmp"
	for kv in "$@"; do
		key=${kv%%=*}
		val=${kv#*=}
		if grep -Eq "^[#[:space:]]*${key}[[:space:]]*=" "$tmp"; then
			sed -i -E "s|^[#[:space:]]*${key}[[:space:]]*=.*|${key} = ${val}|" "$tmp"
		else
			printf '%s = %s\n' "$key" "$val" >>"$tmp"
		fi
	done
	cp -p "$tmp" "$CAP_CONF"
	rm -f "$tmp"
}

# cap_conf_value KEY: the effective value in the current auditd.conf.
cap_conf_value() {
	sed -n -E "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*//p" "$CAP_CONF" | tail -n1
}

# cap_install_stanza NAME PLUGIN_PATH: /etc/audit/plugins.d/NAME.conf (one '.' only:
# auditd skips names with more than one dot as backup copies).
cap_install_stanza() {
	local f=$CAP_PLUGIN_DIR/$1.conf
	[ -e "$f" ] && cap_die "$f already exists"
	umask 027
	cat >"$f" <<EOF
active = yes
direction = out
path = $2
type = always
format = string
EOF
	umask 022
	chown root:root "$f"
	chmod 0640 "$f"
	CAP_STANZAS+=("$f")
}

cap_remove_stanza() {
	local f=$CAP_PLUGIN_DIR/$1.conf keep=() s
	rm -f "$f"
	for s in "${CAP_STANZAS[@]}"; do [ "$s" = "$f" ] || keep+=("$s"); done
	CAP_STANZAS=("${keep[@]}")
}

# cap_add_rule RULE...: auditctl -a RULE, remembered for cleanup.
cap_add_rule() {
	# shellcheck disable=SC2068
	auditctl -a $@ >/dev/null || cap_die "auditctl -a $* failed"
	CAP_RULES+=("$*")
}

cap_del_rules() {
	local r
	for r in "${CAP_RULES[@]}"; do
		# shellcheck disable=SC2086
		auditctl -d $r >/dev/null || cap_log "could not delete rule: $r"
	done
	CAP_RULES=()
}

# cap_start_auditd: start it and wait until the kernel reports it as the audit daemon.
cap_start_auditd() {
	[ -z "$(cap_auditd_pid)" ] || cap_die "auditd is already running"
	"$CAP_AUDITD" || cap_die "$CAP_AUDITD failed to start"
	local i pid
	for i in $(seq 100); do
		pid=$(cap_auditd_pid)
		if [ -n "$pid" ] && auditctl -s | grep -qx "pid $pid"; then
			sleep 0.3
			return 0
		fi
		sleep 0.1
	done
	cap_die "auditd did not come up"
}

# cap_stop_auditd: SIGTERM and wait for the process to be gone.
cap_stop_auditd() {
	local pid i
	pid=$(cap_auditd_pid)
	[ -n "$pid" ] || return 0
	kill "$pid"
	for i in $(seq 300); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	cap_die "auditd (pid $pid) did not exit within 30 s"
}

# cap_wait_pid_gone PID [TENTHS]: wait for a process to exit.
cap_wait_pid_gone() {
	local i
	for i in $(seq "${2:-100}"); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

cap_ensure_bpffs() {
	if ! mountpoint -q /sys/fs/bpf || [ "$(stat -f -c %T /sys/fs/bpf)" != bpf_fs ]; then
		mount -t bpf bpf /sys/fs/bpf || cap_die "cannot mount bpffs on /sys/fs/bpf"
		CAP_MOUNTED_BPFFS=yes
	fi
}

cap_build_loader() {
	command -v cc >/dev/null || cap_die "cc not found"
	cc -O2 -o "$CAP_WORK/bpfload" "$CAP_FIXTURES/loader/bpfload.c" || cap_die "building bpfload failed"
	chmod 755 "$CAP_WORK/bpfload"
}

CAP_WORK_SPACE=${CAP_WORK_SPACE:-"/tmp/bpfguard capture"}
