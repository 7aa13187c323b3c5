import BPFGuardCore
import CPluginSupport
import Glibc

/// The process's syslog connection: ident `audisp-bpfguard`, LOG_PID.
enum Syslog {
    /// openlog(3) keeps the pointer it is given: the ident lives as long as the process.
    private nonisolated(unsafe) static let ident: UnsafeMutablePointer<CChar> = strdup("audisp-bpfguard")!

    /// (Re)opens the connection with `facility` as the default facility.
    static func open(facility: SyslogFacility) {
        closelog()
        openlog(ident, LOG_PID | LOG_NDELAY, facility.code)
    }

    static func send(_ message: String, priority: SyslogPriority, facility: SyslogFacility) {
        bpfguard_syslog(facility.code | priority.rawValue, message)
    }
}
