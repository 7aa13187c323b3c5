import CCapNG
import CPluginSupport
import Glibc

/// Least privilege for plugin mode.
enum Privileges {
    /// Drops every capability (effective, permitted, inheritable and the bounding set) and
    /// sets no_new_privs. The plugin keeps uid 0, which is enough to re-read its root-owned
    /// policy and write to syslog; it needs no capability once it runs.
    static func dropAll() -> String? {
        drop(keeping: [])
    }

    /// What kernel lookups need: CAP_SYS_ADMIN to open a program by id, CAP_SYSLOG so that
    /// its translated instructions carry helper addresses, CAP_SYS_PTRACE and
    /// CAP_DAC_READ_SEARCH to read other users' /proc/PID/fdinfo and exe.
    static let lookupCapabilities: [(value: Int32, name: String)] = [
        (21, "cap_sys_admin"), (34, "cap_syslog"), (19, "cap_sys_ptrace"), (2, "cap_dac_read_search"),
    ]

    /// Keeps only `capabilities` (effective and permitted; the bounding set is cut to them
    /// too) and sets no_new_privs. Returns a problem to report, or nil.
    static func drop(keeping capabilities: [(value: Int32, name: String)]) -> String? {
        if bpfguard_set_no_new_privs() != 0 {
            return "prctl(PR_SET_NO_NEW_PRIVS): \(String(cString: strerror(errno)))"
        }
        guard geteuid() == 0 else { return nil }
        capng_clear(CAPNG_SELECT_BOTH)
        for capability in capabilities {
            let kinds = capng_type_t(rawValue: CAPNG_EFFECTIVE.rawValue | CAPNG_PERMITTED.rawValue | CAPNG_BOUNDING_SET.rawValue)
            if capng_update(CAPNG_ADD, kinds, UInt32(capability.value)) != 0 {
                return "capng_update(\(capability.name)) failed"
            }
        }
        if capng_apply(CAPNG_SELECT_BOTH) != 0 {
            return "capng_apply failed: capabilities not dropped"
        }
        return nil
    }
}
