/// What a matching rule does.
public enum RuleAction: Hashable, Sendable {
    case allow
    case alert(label: String, priority: SyslogPriority)
}

/// `allow CONDITION…` or `alert LABEL CONDITION… [priority=LEVEL]`: matches when every
/// condition does (a rule without conditions matches every event).
public struct Rule: Hashable, Sendable {
    public var action: RuleAction
    public var conditions: [Condition]
    /// The rule's line in the policy file (printed as `rule=LINE`).
    public var line: Int
    /// `fold=DURATION`: the fold window of this rule's alerts in milliseconds (0: never
    /// folded); nil: the policy's `fold_window`.
    public var foldWindowMilliseconds: UInt64?

    public init(action: RuleAction, conditions: [Condition], line: Int, foldWindowMilliseconds: UInt64? = nil) {
        self.action = action
        self.conditions = conditions
        self.line = line
        self.foldWindowMilliseconds = foldWindowMilliseconds
    }

    public func matches(_ subject: RuleSubject) -> Bool {
        conditions.allSatisfy { $0.matches(subject) }
    }
}

/// The policy's `NAME = VALUE` settings, with their defaults.
public struct PolicySettings: Hashable, Sendable {
    public enum DefaultAction: String, Hashable, Sendable { case allow, alert }

    public var facility: SyslogFacility = .authpriv
    /// The decision when no rule matches.
    public var defaultAction: DefaultAction = .allow
    /// The priority of alerts raised by `default = alert`.
    public var defaultPriority: SyslogPriority = .warning
    /// Bound of the live-program table.
    public var maxPrograms: Int = 65536
    /// Alerts that may wait for the output thread; beyond it they are dropped and counted.
    public var queueSize: Int = 4096
    /// The node name auditd gives this host's own records (`name_format`), if any: its
    /// events are looked up in the kernel like events without a node.
    public var localNode: String?
    /// Alerts of one fold key (`foldBy`) within this many milliseconds of the first are
    /// folded beyond the first `foldBurst`; 0 turns folding off.
    public var foldWindowMilliseconds: UInt64 = 60_000
    public var foldBurst: Int = 5
    public var foldBy: [AlertKey] = AlertKey.defaultFoldKeys
    /// Lines (alerts and summaries) that may leave per minute; beyond it they are held back
    /// and counted. 0: no cap.
    public var maxAlertsPerMinute: Int = 600
    /// Plugin mode logs its counters this often (0: never), so that a SIEM notices when the
    /// lines stop: the only sign left once auditd itself is killed.
    public var heartbeatMilliseconds: UInt64 = 900_000
    /// How often (plugin mode, with kernel lookups) the kernel's programs are reconciled
    /// with the records: programs that outlived their loader (`op=persist`), programs no
    /// LOAD announced (`op=unseen`). 0: no scans.
    public var scanIntervalMilliseconds: UInt64 = 10_000

    public init() {}
}

/// Which rule decided: a line of the policy, or the `default` setting.
public enum RuleReference: Hashable, Sendable, CustomStringConvertible {
    case line(Int)
    case defaultSetting

    public var description: String {
        switch self {
        case .line(let line): String(line)
        case .defaultSetting: "default"
        }
    }
}

/// The outcome of evaluating the policy for one event.
public struct Decision: Hashable, Sendable {
    /// nil: allowed.
    public var alert: (label: String, priority: SyslogPriority)? {
        if case .alert(let label, let priority) = action { return (label, priority) }
        return nil
    }
    public var action: RuleAction
    public var rule: RuleReference
    /// Index into `Policy.rules`, nil for the default.
    public var ruleIndex: Int?
}

/// A compiled policy: settings and rules, evaluated first match wins.
public struct Policy: Hashable, Sendable {
    public var path: String
    public var settings: PolicySettings
    public var rules: [Rule] {
        didSet { matchers = RuleMatchers(rules) }
    }
    /// `rules` compiled for evaluation, by index.
    private var matchers: RuleMatchers
    /// Names of the sets the file defines (for summaries).
    public var setNames: [String]

    public init(path: String, settings: PolicySettings = PolicySettings(), rules: [Rule] = [], setNames: [String] = []) {
        self.path = path
        self.settings = settings
        self.rules = rules
        self.matchers = RuleMatchers(rules)
        self.setNames = setNames
    }

    public func evaluate(_ subject: RuleSubject) -> Decision {
        if let index = matchers.firstMatch(subject) {
            return Decision(action: rules[index].action, rule: .line(rules[index].line), ruleIndex: index)
        }
        switch settings.defaultAction {
        case .allow:
            return Decision(action: .allow, rule: .defaultSetting, ruleIndex: nil)
        case .alert:
            return Decision(action: .alert(label: "default", priority: settings.defaultPriority), rule: .defaultSetting, ruleIndex: nil)
        }
    }

    /// `N rules (A allow, B alert), S sets, default=…, facility=…, max_programs=…, fold_window=…, …`.
    public var summary: String {
        let alerts = rules.filter { if case .alert = $0.action { true } else { false } }.count
        return "\(rules.count) rules (\(rules.count - alerts) allow, \(alerts) alert), \(setNames.count) sets, default=\(settings.defaultAction.rawValue), facility=\(settings.facility.rawValue), max_programs=\(settings.maxPrograms)"
            + ", fold_window=\(PolicyValueSyntax.durationText(settings.foldWindowMilliseconds)), fold_burst=\(settings.foldBurst)"
            + ", fold_by=\(settings.foldBy.map(\.description).joined(separator: ",")), max_alerts_per_minute=\(settings.maxAlertsPerMinute)"
            + ", scan_interval=\(PolicyValueSyntax.durationText(settings.scanIntervalMilliseconds))"
    }
}
