import BPFGuardCore

/// Where alert lines (alerts, fold summaries, the cap's notes) are written.
protocol AlertOutput: AnyObject {
    func emit(_ line: OutgoingAlert)
    /// Writes out anything buffered (after each batch of input).
    func flush()
    /// The policy's facility changed (syslog only).
    func setFacility(_ facility: SyslogFacility)
    /// Alerts that could not be written (output blocked, closed or failing).
    var droppedAlerts: UInt64 { get }
}

/// How an alert line is written: the `key=value` line, `--output json`'s object, or an ECS
/// document.
enum AlertRendering {
    case text, json
    case ecs(ECSContext)

    func render(_ line: OutgoingAlert) -> String {
        switch self {
        case .text: line.line
        case .json: line.json
        case .ecs(let context): ECSFormatter.document(line, context: context)
        }
    }
}

/// One syslog message per alert, at the rule's priority and the policy's facility, written
/// synchronously (`--replay --output syslog`).
final class SyslogAlertOutput: AlertOutput {
    private var facility: SyslogFacility

    init(facility: SyslogFacility) {
        self.facility = facility
    }

    func emit(_ line: OutgoingAlert) {
        Syslog.send(line.line, priority: line.priority, facility: facility)
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
    private let queue: OutputQueue
    private let rendering: AlertRendering
    /// To syslog (the rendered text as the message) or to standard output. ECS documents go
    /// to syslog: auditd gives plugins /dev/null as standard output, and rsyslog writes or
    /// forwards them (README, "ECS output").
    private let toSyslog: Bool
    private var facility: SyslogFacility

    init(queue: OutputQueue, rendering: AlertRendering, toSyslog: Bool, facility: SyslogFacility) {
        self.queue = queue
        self.rendering = rendering
        self.toSyslog = toSyslog
        self.facility = facility
    }

    func emit(_ line: OutgoingAlert) {
        let destination: OutputQueue.Destination = toSyslog ? .syslog(facility, line.priority) : .standardOutput
        queue.enqueue(.init(destination: destination, text: rendering.render(line), isAlert: true))
    }

    func flush() {}

    func setFacility(_ facility: SyslogFacility) {
        self.facility = facility
        queue.setReportFacility(facility)
    }

    var droppedAlerts: UInt64 { queue.droppedAlerts }
}

/// Alert lines (`--output stdout`), JSON objects (`--output json`) or ECS documents
/// (`--output ecs`) on standard output.
final class StandardOutputAlertOutput: AlertOutput {
    private let rendering: AlertRendering
    private var buffer: [UInt8] = []
    private var bufferedAlerts: UInt64 = 0
    private(set) var writeFailed = false
    private(set) var droppedAlerts: UInt64 = 0

    init(rendering: AlertRendering) {
        self.rendering = rendering
    }

    func emit(_ line: OutgoingAlert) {
        buffer += rendering.render(line).utf8
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
