/// A change to audit itself, from the records: a CONFIG_CHANGE event (rules added or
/// removed, audit enabled or disabled, settings) or auditd's own DAEMON records. An attacker
/// with root blinds an audit-based detector this way, so these are watched like loads.
public struct AuditChange: Sendable {
    public enum Kind: String, Sendable {
        /// CONFIG_CHANGE (1305).
        case configChange = "CONFIG_CHANGE"
        /// DAEMON_END (1201): auditd is stopping.
        case daemonEnd = "DAEMON_END"
        /// DAEMON_ABORT (1202): auditd stopped on an error.
        case daemonAbort = "DAEMON_ABORT"
        /// DAEMON_RESUME (1206): auditd resumed logging after suspending it.
        case daemonResume = "DAEMON_RESUME"
    }

    public var kind: Kind
    public var node: String?
    public var timestamp: AuditTimestamp
    /// The record's own fields, raw, in order (`op`, `audit_enabled`, `old`, `list`, `key`, …).
    public var fields: [(name: String, value: String)]
    /// The SYSCALL context of the event (absent under `-a never,task`, and for DAEMON records).
    public var process: ProcessContext?

    public init(kind: Kind, node: String? = nil, timestamp: AuditTimestamp, fields: [(name: String, value: String)], process: ProcessContext? = nil) {
        self.kind = kind
        self.node = node
        self.timestamp = timestamp
        self.fields = fields
        self.process = process
    }

    public func value(_ name: String) -> String? {
        fields.first { $0.name == name }?.value
    }
}

/// A built-in alert about audit itself (not a policy rule's): `audit-disabled`,
/// `audit-rules-changed`, `audit-resumed`, or `no-audit-context`.
public struct AuditAlert: Sendable {
    public var label: String
    public var priority: SyslogPriority
    /// What changed, in words.
    public var change: String
    public var node: String?
    public var timestamp: AuditTimestamp
    /// Who made the change, when the event says.
    public var process: ProcessContext?
    /// `no-audit-context`: loads without process context since the last such alert.
    public var loads: UInt64?

    public init(label: String, priority: SyslogPriority, change: String, node: String?, timestamp: AuditTimestamp,
                process: ProcessContext? = nil, loads: UInt64? = nil) {
        self.label = label
        self.priority = priority
        self.change = change
        self.node = node
        self.timestamp = timestamp
        self.process = process
        self.loads = loads
    }

    public static let labels = ["audit-disabled", "audit-rules-changed", "audit-resumed", "no-audit-context"]

    /// `alert priority change [node] [loads] uid auid pid comm exe event rule=builtin`.
    public var fields: [(key: String, value: AlertValue)] {
        var fields: [(key: String, value: AlertValue)] = [
            ("alert", .word(label)),
            ("priority", .word(priority.name)),
            ("change", .string(Array(change.utf8))),
        ]
        if let node { fields.append(("node", .token(Array(node.utf8)))) }
        if let loads { fields.append(("loads", .number(loads))) }
        if label != "no-audit-context" {
            let auid = process?.auid
            fields += [
                ("uid", process?.uid.map { .number(UInt64($0)) } ?? .unknown),
                ("auid", auid.map { $0 == ProcessContext.unsetID ? .word("unset") : .number(UInt64($0)) } ?? .unknown),
                ("pid", process?.pid.map { .number(UInt64($0)) } ?? .unknown),
                ("comm", process?.comm.map { .string($0) } ?? .unknown),
                ("exe", process?.exe.map { .string($0) } ?? .unknown),
            ]
        }
        fields += [("event", .word(timestamp.description)), ("rule", .word("builtin"))]
        return fields
    }
}

/// Which changes to audit deserve an alert, and in which words. Pure: the same for live
/// input and replayed logs.
public enum AuditChangeJudge {
    /// The filter lists of `list=` in CONFIG_CHANGE (linux/audit.h).
    static func listName(_ value: String?) -> String {
        switch value {
        case "0": "user"
        case "1": "task"
        case "2": "entry"
        case "3": "watch"
        case "4": "exit"
        case "5": "exclude"
        case "6": "filesystem"
        case "7": "io_uring"
        default: "list \(value ?? "?")"
        }
    }

    public static func alert(for change: AuditChange) -> AuditAlert? {
        // Without a SYSCALL record (auditd's DAEMON records; a CONFIG_CHANGE made under
        // `-a never,task`), the record's own fields say what they know (auid at least).
        let who = change.process ?? ProcessContext(
            uid: change.value("uid").flatMap { UInt32($0) }, auid: change.value("auid").flatMap { UInt32($0) },
            pid: change.value("pid").flatMap { UInt32($0) })
        func make(_ label: String, _ text: String) -> AuditAlert {
            AuditAlert(label: label, priority: .crit, change: text, node: change.node, timestamp: change.timestamp, process: who)
        }
        switch change.kind {
        case .daemonEnd:
            return make("audit-disabled", "auditd is stopping (\(change.value("op") ?? "DAEMON_END")): no audit records, and no alerts, until it starts again")
        case .daemonAbort:
            return make("audit-disabled", "auditd stopped on an error (\(change.value("op") ?? "DAEMON_ABORT")): no audit records until it starts again")
        case .daemonResume:
            return make("audit-resumed", "auditd resumed logging after suspending it: records of the gap may be lost")
        case .configChange:
            break
        }
        if change.value("audit_enabled") == "0" {
            return make("audit-disabled", "audit_enabled=0 old=\(change.value("old") ?? "?"): the kernel writes no records, BPF loads included")
        }
        guard let op = change.value("op") else { return nil }
        let list = change.value("list")
        let key = change.value("key").flatMap { raw -> String? in
            if raw == "(null)" { return nil }
            return raw.count >= 2 && raw.hasPrefix("\"") && raw.hasSuffix("\"") ? String(raw.dropFirst().dropLast()) : raw
        }
        let keyText = key.map { " key=\($0)" } ?? ""
        switch op {
        case "add_rule":
            switch list {
            case "1":
                return make("audit-rules-changed", "a rule was added to the task list (-a never,task takes every process's audit context away: BPF loads lose their loader)\(keyText)")
            case "5":
                return make("audit-rules-changed", "a rule was added to the exclude list (it can drop BPF records)\(keyText)")
            case "4" where commandLineAddsNeverRule(change.process):
                return make("audit-rules-changed", "a never rule was added to the exit list (it can take BPF loads' SYSCALL records away)\(keyText)")
            default:
                return nil
            }
        case "remove_rule":
            return make("audit-rules-changed", "a rule was removed from the \(listName(list)) list\(keyText)")
        default:
            return nil
        }
    }

    /// Whether the command that changed the rules (its PROCTITLE, when the event has one)
    /// added a `never` rule. CONFIG_CHANGE does not say which action a rule has.
    static func commandLineAddsNeverRule(_ process: ProcessContext?) -> Bool {
        guard let line = process?.cmdline else { return false }
        let text = String(decoding: line, as: UTF8.self)
        return text.contains("never,") || text.contains(",never")
    }
}

/// Counts BPF loads that came without process context (a `-a never,task` rule, or loads
/// outside any audited task) and says so once per run, then again after each hour of record
/// time in which it keeps happening.
public struct MissingContextReporter: Sendable {
    public static let intervalMilliseconds: UInt64 = 3_600_000
    public private(set) var total: UInt64 = 0
    private var sinceLastAlert: UInt64 = 0
    private var lastAlertAt: UInt64?

    public init() {}

    /// A LOAD without SYSCALL record: the alert to raise now, if any.
    public mutating func loadWithoutContext(at timestamp: AuditTimestamp, node: String?) -> AuditAlert? {
        total &+= 1
        sinceLastAlert &+= 1
        let now = timestamp.totalMilliseconds
        if let last = lastAlertAt, now < last.addingSaturated(Self.intervalMilliseconds) { return nil }
        let count = sinceLastAlert
        sinceLastAlert = 0
        lastAlertAt = now
        let text = "\(count) BPF load\(count == 1 ? "" : "s") without a SYSCALL record\(total > count ? " in the last hour (\(total) since start)" : ""): the loader is known only from /proc, if at all; remove '-a never,task' from the audit rules (audisp-bpfguard --check-audit shows what hides it)"
        return AuditAlert(label: "no-audit-context", priority: .warning, change: text, node: node, timestamp: timestamp, loads: count)
    }
}
