#!/usr/bin/env bash
# Writes the regression inputs that are too big to commit (README.md lists them) into DIR:
#
#   bash Tests/Fixtures/regressions/generate.sh DIR
#
# Hand-made records in the form of captured/root-unknown-path.log (ENRICHED, loader
# /tmp/bpfguard-capture/bpfload as root). The same bytes every time: RegressionInputTests and
# Fuzz/seeds.sh call it.
set -euo pipefail
dir=${1:?usage: generate.sh DIR}
mkdir -p "$dir"

# The loader's SYSCALL record of a BPF_PROG_LOAD (serial 43075), with ITEMS PATH records announced.
syscall_awk='
function syscall(items) {
    printf "type=SYSCALL msg=audit(1795943321.831:43075): arch=c000003e syscall=321 success=yes exit=3 a0=5 a1=7ffe190439e0 a2=90 a3=3 items=%d ppid=22860 pid=23081 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"bpfload\" exe=\"/tmp/bpfguard-capture/bpfload\" key=(null)%cARCH=x86_64 SYSCALL=bpf AUID=\"unset\" UID=\"root\" GID=\"root\" EUID=\"root\" SUID=\"root\" FSUID=\"root\" EGID=\"root\" SGID=\"root\" FSGID=\"root\"\n", items, 29
}
function tail_records() {
    print "type=PROCTITLE msg=audit(1795943321.831:43075): proctitle=2F746D702F62706667756172642D636170747572652F6270666C6F6164"
    print "type=EOE msg=audit(1795943321.831:43075):"
}'

# Issue 8 §3: one event of 10,000 BPF LOAD records (over 256 KB), then its SYSCALL record.
awk "$syscall_awk"'
BEGIN {
    for (i = 0; i < 10000; i++) printf "type=BPF msg=audit(1795943321.831:43075): prog-id=%d op=LOAD\n", 100000 + i
    syscall(0); tail_records()
}' > "$dir/event-10000-bpf-records.log"

# Issue 8 §4: one event of 40,000 records (BPF, SYSCALL, 39,996 PATH, PROCTITLE, EOE).
awk "$syscall_awk"'
BEGIN {
    print "type=BPF msg=audit(1795943321.831:43075): prog-id=2164 op=LOAD"
    syscall(39996)
    for (i = 0; i < 39996; i++) printf "type=PATH msg=audit(1795943321.831:43075): item=%d name=\"/usr/lib/bpf/object-%d.o\" inode=%d dev=fe:01 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0%cOUID=\"root\" OGID=\"root\"\n", i, i, 400000 + i, 29
    tail_records()
}' > "$dir/event-40000-records.log"

# Issue 8 §5: a 1 MB policy with one set of 33,000 executables (every 100th a glob) used by 200 rules.
awk '
BEGIN {
    n = 33000
    printf "# One large set used by 200 rules (issue 8 section 5).\n%%big = "
    for (i = 0; i < n; i++) printf "/opt/vendor-%05d/%s%s", i, (i % 100 ? "bin/agent" : "*"), (i == n - 1 ? "\n" : i % 8 == 7 ? ",\n       " : ", ")
    for (i = 0; i < 200; i++) printf "alert big-%03d op=load exe=%%big uid=%d\n", i, 1000 + i
    print "alert any-load op=load"
}' > "$dir/large-set-200-rules.policy"
