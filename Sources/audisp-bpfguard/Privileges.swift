import CCapNG
import CPluginSupport
import Glibc

/// Least privilege for plugin mode.
enum Privileges {
    /// Drops every capability (effective, permitted, inheritable and the bounding set) and
    /// sets no_new_privs. The plugin keeps uid 0, which is enough to re-read its root-owned
    /// policy and write to syslog; it needs no capability once it runs.
    static func dropAll() -> String? {
        if bpfguard_set_no_new_privs() != 0 {
            return "prctl(PR_SET_NO_NEW_PRIVS): \(String(cString: strerror(errno)))"
        }
        guard geteuid() == 0 else { return nil }
        capng_clear(CAPNG_SELECT_BOTH)
        if capng_apply(CAPNG_SELECT_BOTH) != 0 {
            return "capng_apply failed: capabilities not dropped"
        }
        return nil
    }
}
