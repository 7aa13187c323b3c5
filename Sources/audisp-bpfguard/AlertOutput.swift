import BPFGuardCore

/// Where alerts are written.
protocol AlertOutput: AnyObject {
    func emit(_ alert: Alert)
    /// Writes out anything buffered (after each batch of input).
    func flush()
    /// The policy's facility changed (syslog only).
    func setFacility(_ facility: SyslogFacility)
    /// Alerts that could not be written (output blocked, closed or failing).
    var droppedAlerts: UInt64 { get }
}

/// One syslog message per alert, at the rule's priority and the policy's facility, written
/// synchronously (`--replay --output syslog`).
final class SyslogAlertOutput: AlertOutput {
    private var facility: SyslogFacility

    init(facility: SyslogFacility) {
        self.facility = facility
    }

    func emit(_ alert: Alert) {
        Syslog.send(AlertFormatter.line(alert), priority: alert.priority, facility: facility)
    }

    func flush() {}

    func setFacility(_ facility: SyslogFacility) {
        self.facility = facility
    }

    var droppedAlerts: UInt64 { 0 }
}

/// Plugin mode: alerts are formatted here and written by the output queue's thread, so that
/// a stalled syslog or standard output never blocks the input loop.
final class QueuedAlertOutput: AlertOutput {
    enum Format { case syslog, text, json }

    private let queue: OutputQueue
    private let format: Format
    private var facility: SyslogFacility

    init(queue: OutputQueue, format: Format, facility: SyslogFacility) {
        self.queue = queue
        self.format = format
        self.facility = facility
    }

    func emit(_ alert: Alert) {
        switch format {
        case .syslog:
            queue.enqueue(.init(destination: .syslog(facility, alert.priority), text: AlertFormatter.line(alert), isAlert: true))
        case .text:
            queue.enqueue(.init(destination: .standardOutput, text: AlertFormatter.line(alert), isAlert: true))
        case .json:
            queue.enqueue(.init(destination: .standardOutput, text: AlertFormatter.json(alert), isAlert: true))
        }
    }

    func flush() {}

    func setFacility(_ facility: SyslogFacility) {
        self.facility = facility
        queue.setReportFacility(facility)
    }

    var droppedAlerts: UInt64 { queue.droppedAlerts }
}

/// Alert lines (`--output stdout`) or JSON objects (`--output json`) on standard output.
final class StandardOutputAlertOutput: AlertOutput {
    enum Format { case text, json }

    private let format: Format
    private var buffer: [UInt8] = []
    private var bufferedAlerts: UInt64 = 0
    private(set) var writeFailed = false
    private(set) var droppedAlerts: UInt64 = 0

    init(format: Format) {
        self.format = format
    }

    func emit(_ alert: Alert) {
        let line = format == .json ? AlertFormatter.json(alert) : AlertFormatter.line(alert)
        buffer += line.utf8
        buffer.append(UInt8(ascii: "\n"))
        bufferedAlerts += 1
        if buffer.count >= 65536 { flush() }
    }

    func flush() {
        guard !buffer.isEmpty else { return }
        do {
            try FileIO.writeAll(1, buffer)
        } catch {
            if !writeFailed { FileIO.printError("audisp-bpfguard: cannot write alerts to standard output: \(error)") }
            writeFailed = true
            droppedAlerts += bufferedAlerts
        }
        bufferedAlerts = 0
        buffer.removeAll(keepingCapacity: true)
    }

    func setFacility(_ facility: SyslogFacility) {}
}
