import BPFGuardCore

/// What an alert line must hold, derived from what it stands for by the rules the README's
/// "Alert format" and "Folding repeated alerts" state — independently of `AlertFormatter`
/// and `OutgoingAlert.fields`, which are what is being checked.
enum DocumentedAlertFields {
    enum Value {
        /// `?` (text) / `null` (JSON).
        case unknown
        /// Printed exactly so, never quoted (numbers, labels, fixed words).
        case bare(String)
        /// A quoted string holding exactly these bytes.
        case quoted([UInt8])
        /// These bytes bare when made only of `[A-Za-z0-9._:-]`, quoted otherwise (node).
        case token([UInt8])
        /// Comma-separated tokens, `none` when empty (helpers).
        case names([String])
        /// Comma-separated `LABEL:N` (the cap's `labels`); a JSON object.
        case counts([LabelCount])
    }

    /// Every key an alert may have, in the README's order: `alert priority op prog-id
    /// [prog-type prog-name prog-tag helpers created-by-uid [info]] [node] uid auid euid pid
    /// ppid comm exe cmdline [exe-package exe-trusted container identity [holders]] [lifetime]
    /// event rule`.
    static let order = """
        alert priority op prog-id prog-type prog-name prog-tag helpers created-by-uid info node \
        uid auid euid pid ppid comm exe cmdline exe-package exe-trusted container identity holders lifetime event rule
        """.split(separator: " ").map(String.init)

    /// The keys `line` must have, in order, each with its value: an alert's; a summary's,
    /// with `repeated first last` before `event`; the cap's note,
    /// `alert priority held labels first last`.
    static func of(_ line: OutgoingAlert) -> [(key: String, value: Value)] {
        switch line {
        case .single(let alert):
            return of(alert)
        case .repeated(let repeated):
            var fields = of(repeated.alert)
            let event = fields.firstIndex { $0.key == "event" } ?? fields.endIndex
            fields.insert(contentsOf: [("repeated", .bare(String(repeated.count))), ("first", .bare(time(repeated.first))),
                                       ("last", .bare(time(repeated.last)))], at: event)
            return fields
        case .capped(let capped):
            return [("alert", .bare("alerts-capped")), ("priority", .bare(capped.priority.name)), ("held", .bare(String(capped.held))),
                    ("labels", .counts(capped.labels)), ("first", .bare(time(capped.first))), ("last", .bare(time(capped.last)))]
        case .audit(let alert):
            return of(alert)
        }
    }

    /// A built-in alert about audit itself (README, "Audit itself"): `alert priority change
    /// [node] [loads]`, the process's `uid auid pid comm exe` (not for `no-audit-context`),
    /// `event rule=builtin`.
    static func of(_ alert: AuditAlert) -> [(key: String, value: Value)] {
        var fields: [(key: String, value: Value)] = [("alert", .bare(alert.label)), ("priority", .bare(alert.priority.name)),
                                                     ("change", .quoted(Array(alert.change.utf8)))]
        if let node = alert.node { fields.append(("node", .token(Array(node.utf8)))) }
        if let loads = alert.loads { fields.append(("loads", .bare(String(loads)))) }
        if alert.label != "no-audit-context" {
            let process = alert.process
            fields.append(("uid", number(process?.uid)))
            fields.append(("auid", process?.auid == ProcessContext.unsetID ? .bare("unset") : number(process?.auid)))
            fields.append(("pid", number(process?.pid)))
            fields.append(("comm", process?.comm.map { .quoted($0) } ?? .unknown))
            fields.append(("exe", process?.exe.map { .quoted($0) } ?? .unknown))
        }
        fields.append(("event", .bare("\(time(alert.timestamp)):\(alert.timestamp.serial)")))
        fields.append(("rule", .bare("builtin")))
        return fields
    }

    /// `SEC.MSEC`, milliseconds in three digits.
    static func time(_ stamp: AuditTimestamp) -> String {
        let milliseconds = String(stamp.milliseconds)
        return "\(stamp.seconds).\(String(repeating: "0", count: max(0, 3 - milliseconds.count)))\(milliseconds)"
    }

    /// The keys `alert` must have, in order, each with its value.
    static func of(_ alert: Alert) -> [(key: String, value: Value)] {
        order.compactMap { key in value(of: key, in: alert).map { (key, $0) } }
    }

    /// The value of `key` in `alert`, or nil when the README says the key is absent: the
    /// program keys, the loader facts and `identity` without kernel lookups, `info` unless the lookup found the
    /// program gone or failed, `holders` unless the loader was recovered from /proc, `node`
    /// without a node name, `lifetime` on a LOAD.
    private static func value(of key: String, in alert: Alert) -> Value? {
        let subject = alert.subject, event = subject.event, loader = subject.loader
        let enriched = subject.identity != nil, info = subject.program.info
        switch key {
        case "alert": return .bare(alert.label)
        case "priority": return .bare(alert.priority.name)
        case "op":
            switch event.operation {
            case .load: return .bare("LOAD")
            case .unload: return .bare("UNLOAD")
            case .persist: return .bare("PERSIST")
            case .unseen: return .bare("UNSEEN")
            }
        case "prog-id": return .bare(String(event.programID))
        case "prog-type" where enriched: return info.map { .bare($0.type.name) } ?? .unknown
        case "prog-name" where enriched: return info.map { .quoted($0.name) } ?? .unknown
        case "prog-tag" where enriched: return info.map { .bare($0.tag) } ?? .unknown
        case "helpers" where enriched: return info?.helpers.map { .names($0) } ?? .unknown
        case "created-by-uid" where enriched: return info.map { .bare(String($0.createdByUID)) } ?? .unknown
        case "info" where enriched:
            if case .gone = subject.program { return .bare("gone") }
            if case .failed = subject.program { return .bare("error") }
            return nil
        case "node": return event.node.map { .token(Array($0.utf8)) }
        case "uid": return number(loader?.uid)
        case "auid": return loader?.auid == ProcessContext.unsetID ? .bare("unset") : number(loader?.auid)
        case "euid": return number(loader?.euid)
        case "pid": return number(loader?.pid)
        case "ppid": return number(loader?.ppid)
        case "comm": return loader?.comm.map { .quoted($0) } ?? .unknown
        case "exe": return loader?.exe.map { .quoted($0) } ?? .unknown
        case "cmdline": return loader?.cmdline.map { .quoted($0) } ?? .unknown
        case "exe-package" where enriched:
            switch (subject.facts ?? .unknown).package {
            case .named(let name): return .token(Array(name.utf8))
            case .none: return .bare("none")
            case .unknown: return .unknown
            }
        case "exe-trusted" where enriched:
            let trust = (subject.facts ?? .unknown).trust
            return trust == .unknown ? .unknown : .bare(trust.rawValue)
        case "container" where enriched:
            let container = (subject.facts ?? .unknown).container
            return container == .unknown ? .unknown : .bare(container.rawValue)
        case "identity": return subject.identity.map { .bare($0.rawValue) }
        case "holders" where subject.identity == .proc: return number(subject.holders)
        case "lifetime" where event.operation != .load: return subject.lifetimeMilliseconds.map { .bare("\($0)ms") } ?? .unknown
        case "event": return .bare("\(time(event.timestamp)):\(event.timestamp.serial)")
        case "rule":
            if case .line(let line) = alert.rule { return .bare(String(line)) }
            return .bare("default")
        default: return nil
        }
    }

    private static func number(_ value: UInt32?) -> Value {
        value.map { .bare(String($0)) } ?? .unknown
    }
}
