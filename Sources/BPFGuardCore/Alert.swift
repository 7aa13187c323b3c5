/// A policy decision to alert on one BPF event.
public struct Alert: Sendable {
    public var label: String
    public var priority: SyslogPriority
    public var subject: RuleSubject
    public var rule: RuleReference

    public init(label: String, priority: SyslogPriority, subject: RuleSubject, rule: RuleReference) {
        self.label = label
        self.priority = priority
        self.subject = subject
        self.rule = rule
    }
}

/// One value of an alert, rendered as `key=value` text or as JSON.
public enum AlertValue: Hashable, Sendable {
    /// The event does not carry the value: `?` / `null`.
    case unknown
    case number(UInt64)
    /// Arbitrary bytes, always quoted.
    case string([UInt8])
    /// Printed bare when it is a plain word, quoted otherwise (node names).
    case token([UInt8])
    /// A fixed word chosen by the plugin (`LOAD`, `unset`, a rule label); never quoted.
    case word(String)
    /// A duration: `Nms` as text, a number of milliseconds in JSON.
    case milliseconds(UInt64)
    /// Names (helpers): comma-separated as text (`none` when empty), an array in JSON.
    case names([String])
    /// Counts by label (alerts held back by the cap): `a:3,b:2` as text, an object in JSON.
    case counts([LabelCount])
}

/// How many alerts of one label.
public struct LabelCount: Hashable, Sendable {
    public var label: String
    public var count: UInt64

    public init(label: String, count: UInt64) {
        self.label = label
        self.count = count
    }
}

/// Turns an alert into its ordered fields and renders them as the syslog message line
/// (`key=value …`) or a JSON object (same keys in snake_case).
public enum AlertFormatter {
    /// The fields in their documented order:
    /// `alert priority op prog-id [prog-type prog-name prog-tag helpers created-by-uid [info]]
    /// [node] uid auid euid pid ppid comm exe cmdline [exe-package exe-trusted container
    /// identity [holders]] [lifetime] event rule` — the bracketed program, loader-fact and
    /// identity keys when kernel lookups are on, `holders` when the loader was recovered from
    /// /proc (`identity=proc`), `lifetime` on all but a LOAD (for PERSIST and UNSEEN: so far).
    public static func fields(of alert: Alert) -> [(key: String, value: AlertValue)] {
        let subject = alert.subject
        let event = subject.event
        let loader = subject.loader
        var fields: [(key: String, value: AlertValue)] = [
            ("alert", .word(alert.label)),
            ("priority", .word(alert.priority.name)),
            ("op", .word(event.operation.rawValue)),
            ("prog-id", .number(UInt64(event.programID))),
        ]
        let enriched = subject.identity != nil
        if enriched {
            let info = subject.program.info
            fields += [
                ("prog-type", info.map { .word($0.type.name) } ?? .unknown),
                ("prog-name", info.map { .string($0.name) } ?? .unknown),
                ("prog-tag", info.map { .word($0.tag) } ?? .unknown),
                ("helpers", info?.helpers.map { .names($0) } ?? .unknown),
                ("created-by-uid", info.map { .number(UInt64($0.createdByUID)) } ?? .unknown),
            ]
            switch subject.program {
            case .gone: fields.append(("info", .word("gone")))
            case .failed: fields.append(("info", .word("error")))
            case .found, .notDone: break
            }
        }
        if let node = event.node { fields.append(("node", .token(Array(node.utf8)))) }
        fields += [
            ("uid", number(loader?.uid)),
            ("auid", auditID(loader?.auid)),
            ("euid", number(loader?.euid)),
            ("pid", number(loader?.pid)),
            ("ppid", number(loader?.ppid)),
            ("comm", string(loader?.comm)),
            ("exe", string(loader?.exe)),
            ("cmdline", string(loader?.cmdline)),
        ]
        if let identity = subject.identity {
            let facts = subject.facts ?? .unknown
            let package: AlertValue
            switch facts.package {
            case .named(let name): package = .token(Array(name.utf8))
            case .none: package = .word("none")
            case .unknown: package = .unknown
            }
            fields += [
                ("exe-package", package),
                ("exe-trusted", facts.trust == .unknown ? .unknown : .word(facts.trust.rawValue)),
                ("container", facts.container == .unknown ? .unknown : .word(facts.container.rawValue)),
                ("identity", .word(identity.rawValue)),
            ]
            if identity == .proc { fields.append(("holders", number(subject.holders))) }
        }
        if event.operation != .load {
            fields.append(("lifetime", subject.lifetimeMilliseconds.map { .milliseconds($0) } ?? .unknown))
        }
        fields += [
            ("event", .word(event.timestamp.description)),
            ("rule", alert.rule == .defaultSetting ? .word("default") : .word(alert.rule.description)),
        ]
        return fields
    }

    /// The syslog message: one line of `key=value` pairs.
    public static func line(_ alert: Alert) -> String { line(fields: fields(of: alert)) }

    /// One JSON object on one line; keys in snake_case, numbers as numbers, unknown as null.
    public static func json(_ alert: Alert) -> String { json(fields: fields(of: alert)) }

    static func line(fields: [(key: String, value: AlertValue)]) -> String {
        fields.map { "\($0.key)=\(text($0.value))" }.joined(separator: " ")
    }

    static func json(fields: [(key: String, value: AlertValue)]) -> String {
        let members = fields.map { "\"\(jsonKey($0.key))\":\(jsonValue($0.value, key: $0.key))" }
        return "{" + members.joined(separator: ",") + "}"
    }

    /// The key in snake_case (`prog-id` → `prog_id`).
    static func jsonKey(_ key: String) -> String { String(key.map { $0 == "-" ? "_" : $0 }) }

    /// A value as JSON text: numbers as numbers (`rule` too, unless `default`), unknown as null.
    static func jsonValue(_ value: AlertValue, key: String) -> String {
        switch value {
        case .unknown: "null"
        case .number(let number), .milliseconds(let number): String(number)
        case .string(let bytes), .token(let bytes): AlertEscaping.json(bytes)
        case .word(let word): key == "rule" && word != "default" && word != "builtin" ? word : AlertEscaping.json(Array(word.utf8))
        case .names(let names): "[" + names.map { AlertEscaping.json(Array($0.utf8)) }.joined(separator: ",") + "]"
        case .counts(let counts): "{" + counts.map { AlertEscaping.json(Array($0.label.utf8)) + ":\($0.count)" }.joined(separator: ",") + "}"
        }
    }

    private static func text(_ value: AlertValue) -> String {
        switch value {
        case .unknown: "?"
        case .number(let number): String(number)
        case .string(let bytes): AlertEscaping.quoted(bytes)
        case .token(let bytes): AlertEscaping.token(bytes)
        case .word(let word): word
        case .milliseconds(let ms): "\(ms)ms"
        case .names(let names): names.isEmpty ? "none" : names.map { AlertEscaping.token(Array($0.utf8)) }.joined(separator: ",")
        case .counts(let counts): counts.map { "\(AlertEscaping.token(Array($0.label.utf8))):\($0.count)" }.joined(separator: ",")
        }
    }

    private static func number(_ value: UInt32?) -> AlertValue { value.map { .number(UInt64($0)) } ?? .unknown }

    private static func auditID(_ value: UInt32?) -> AlertValue {
        guard let value else { return .unknown }
        return value == ProcessContext.unsetID ? .word("unset") : .number(UInt64(value))
    }

    private static func string(_ value: [UInt8]?) -> AlertValue { value.map { .string($0) } ?? .unknown }
}
