import BPFGuardCore

/// The plugin's own messages (start-up, reloads, malformed input, summaries): to syslog and
/// standard error in plugin mode, to standard error otherwise. Once the output queue runs,
/// syslog messages go through it, so that a stalled syslog cannot block the input loop.
final class DiagnosticLog {
    enum Destination { case syslogAndStandardError, standardError }

    var queue: OutputQueue?

    var destination: Destination
    var facility: SyslogFacility

    init(destination: Destination, facility: SyslogFacility) {
        self.destination = destination
        self.facility = facility
    }

    func log(_ priority: SyslogPriority, _ message: String) {
        switch destination {
        case .syslogAndStandardError:
            if let queue {
                queue.enqueue(.init(destination: .syslog(facility, priority), text: message, isAlert: false))
            } else {
                Syslog.send(message, priority: priority, facility: facility)
            }
            FileIO.printError("audisp-bpfguard: \(priority.name): \(message)")
        case .standardError:
            FileIO.printError("audisp-bpfguard: \(message)")
        }
    }
}
