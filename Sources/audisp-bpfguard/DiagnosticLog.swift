import BPFGuardCore

/// The plugin's own messages (start-up, reloads, malformed input, summaries): to syslog and
/// standard error in plugin mode, to standard error otherwise.
final class DiagnosticLog {
    enum Destination { case syslogAndStandardError, standardError }

    var destination: Destination
    var facility: SyslogFacility

    init(destination: Destination, facility: SyslogFacility) {
        self.destination = destination
        self.facility = facility
    }

    func log(_ priority: SyslogPriority, _ message: String) {
        switch destination {
        case .syslogAndStandardError:
            Syslog.send(message, priority: priority, facility: facility)
            FileIO.printError("audisp-bpfguard: \(priority.name): \(message)")
        case .standardError:
            FileIO.printError("audisp-bpfguard: \(message)")
        }
    }
}
