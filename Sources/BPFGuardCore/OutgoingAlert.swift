/// One line that leaves the folding stage for the output: an alert of its own, the summary
/// of alerts folded together, or the cap's note of alerts it held back. Every alert the
/// engine raises is accounted for by exactly one of them.
public enum OutgoingAlert: Sendable {
    case single(Alert)
    case repeated(RepeatedAlert)
    case capped(CappedAlerts)
    /// A built-in alert about audit itself (never folded, never capped).
    case audit(AuditAlert)

    /// The label of the cap's note; policies may not use it.
    public static let cappedLabel = "alerts-capped"

    /// The syslog priority of the line.
    public var priority: SyslogPriority {
        switch self {
        case .single(let alert): alert.priority
        case .repeated(let repeated): repeated.alert.priority
        case .capped(let capped): capped.priority
        case .audit(let alert): alert.priority
        }
    }

    /// The fields in their documented order: an alert's, with `repeated first last` before
    /// `event` for a summary; `alert priority held labels first last` for the cap's note.
    public var fields: [(key: String, value: AlertValue)] {
        switch self {
        case .single(let alert):
            return AlertFormatter.fields(of: alert)
        case .repeated(let repeated):
            var fields = AlertFormatter.fields(of: repeated.alert)
            let position = fields.firstIndex { $0.key == "event" } ?? fields.endIndex
            fields.insert(contentsOf: [
                ("repeated", .number(repeated.count)),
                ("first", .word(repeated.first.timeText)),
                ("last", .word(repeated.last.timeText)),
            ], at: position)
            return fields
        case .audit(let alert):
            return alert.fields
        case .capped(let capped):
            return [
                ("alert", .word(Self.cappedLabel)),
                ("priority", .word(capped.priority.name)),
                ("held", .number(capped.held)),
                ("labels", .counts(capped.labels)),
                ("first", .word(capped.first.timeText)),
                ("last", .word(capped.last.timeText)),
            ]
        }
    }

    /// The syslog message (`--output stdout` line).
    public var line: String { AlertFormatter.line(fields: fields) }

    /// The `--output json` object.
    public var json: String { AlertFormatter.json(fields: fields) }
}

/// The alerts of one fold key beyond the burst of a window, as one line: the keys of the
/// first of them, the highest priority among them, how many, and the times of the first and
/// the last.
public struct RepeatedAlert: Sendable {
    public var alert: Alert
    public var count: UInt64
    public var first: AuditTimestamp
    public var last: AuditTimestamp

    public init(_ alert: Alert) {
        self.alert = alert
        self.count = 1
        self.first = alert.subject.event.timestamp
        self.last = alert.subject.event.timestamp
    }

    /// Counts one more alert of the same key.
    public mutating func add(_ other: Alert) {
        count &+= 1
        alert.priority = min(alert.priority, other.priority)
        let time = other.subject.event.timestamp
        if time.totalMilliseconds < first.totalMilliseconds { first = time }
        if time.totalMilliseconds > last.totalMilliseconds { last = time }
    }
}

/// What the per-minute cap held back: how many alerts, by label (in the order they were
/// first held), their highest priority and the times of the first and the last.
public struct CappedAlerts: Sendable {
    public var held: UInt64 = 0
    public var labels: [LabelCount] = []
    public var priority: SyslogPriority
    public var first: AuditTimestamp
    public var last: AuditTimestamp

    /// Starts with the alerts `line` stands for.
    init(_ line: OutgoingAlert) {
        let (_, priority, first, last) = Self.measure(line)
        self.priority = priority
        self.first = first
        self.last = last
        add(line)
    }

    mutating func add(_ line: OutgoingAlert) {
        let (count, priority, first, last) = Self.measure(line)
        let label: String
        switch line {
        case .single(let alert): label = alert.label
        case .repeated(let repeated): label = repeated.alert.label
        case .capped: label = OutgoingAlert.cappedLabel
        case .audit(let alert): label = alert.label
        }
        held &+= count
        if let index = labels.firstIndex(where: { $0.label == label }) {
            labels[index].count &+= count
        } else {
            labels.append(LabelCount(label: label, count: count))
        }
        self.priority = min(self.priority, priority)
        if first.totalMilliseconds < self.first.totalMilliseconds { self.first = first }
        if last.totalMilliseconds > self.last.totalMilliseconds { self.last = last }
    }

    /// How many alerts a line stands for, their priority and first and last times.
    private static func measure(_ line: OutgoingAlert) -> (UInt64, SyslogPriority, AuditTimestamp, AuditTimestamp) {
        switch line {
        case .single(let alert):
            return (1, alert.priority, alert.subject.event.timestamp, alert.subject.event.timestamp)
        case .repeated(let repeated):
            return (repeated.count, repeated.alert.priority, repeated.first, repeated.last)
        case .capped(let capped):
            return (capped.held, capped.priority, capped.first, capped.last)
        case .audit(let alert):
            return (1, alert.priority, alert.timestamp, alert.timestamp)
        }
    }
}
