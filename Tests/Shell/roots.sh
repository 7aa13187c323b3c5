# Throw-away views of the cached Debian roots (Packaging/debootstrap-root.sh), shared by the
# distribution test and the live system test on Debian 13 (sourced, not run).
#
# A view is an overlay of the cached root whose writes go to a directory of the test (a
# copy where overlayfs is missing), so the cached root stays clean and the next run starts
# from the same files. /proc is mounted in it (the Swift runtime reads its arguments from
# /proc/self/cmdline; lookups read /proc); a view for running services (auditd, rsyslogd)
# also gets /sys and /dev bind-mounted: auditd talks to this kernel, rsyslogd's /dev/log
# is the host's.
#
# Provides: root_view, leave_root, leave_roots_under.

# root_view CACHED DIR [--services]: prints DIR/root, a view of CACHED with /proc mounted
# (and /sys, /dev with --services).
root_view() {
    local cached=$1 dir=$2 services=${3:-}
    mkdir -p "$dir/upper" "$dir/work" "$dir/root" || return 1
    mount -t overlay overlay -o "lowerdir=$cached,upperdir=$dir/upper,workdir=$dir/work" "$dir/root" 2>/dev/null \
        || cp -a "$cached/." "$dir/root" || return 1
    mount -t proc proc "$dir/root/proc" || return 1
    if [ "$services" = --services ]; then
        # Private: what the test mounts below them (bpffs) never reaches the host's /sys.
        mount --bind /sys "$dir/root/sys" && mount --make-private "$dir/root/sys" \
            && mount --bind /dev "$dir/root/dev" && mount --make-private "$dir/root/dev" || return 1
    fi
    printf '%s\n' "$dir/root"
}

# leave_root ROOT: unmounts a view made by root_view and removes its directory. Never
# removes through a mount: with /dev bound into the view, a plain rm -rf would empty the
# host's /dev (rm --one-file-system, and nothing is removed while anything stays mounted).
leave_root() {
    local dir=${1%/root}
    leave_roots_under "$dir"
    awk -v dir="$dir/" 'index($2, dir) == 1 { found = 1 } END { exit !found }' /proc/self/mounts \
        || rm -rf --one-file-system "$dir"
}

# leave_roots_under DIR: unmounts every mount point below DIR, deepest first (cleanup on
# exit, whatever a test left mounted: root_view runs in a subshell, $(…), so the mounts are
# found in /proc/self/mounts rather than remembered).
leave_roots_under() {
    local mountpoint
    awk -v dir="$1/" 'index($2, dir) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r mountpoint; do
        umount "$mountpoint" 2>/dev/null || umount -l "$mountpoint"
    done
}
