/// The kernel's audit configuration as `--check-audit` reads it (libaudit, as root): the
/// status and every rule, as plain values so that the judgement below is pure and tested.
public struct AuditConfiguration: Sendable {
    /// 0 disabled, 1 enabled, 2 enabled and locked (`-e 2`).
    public var enabled: UInt32
    public var backlogLimit: UInt32
    public var lost: UInt32
    /// The pid of the audit daemon attached to the kernel (0: none).
    public var daemonPID: UInt32
    public var rules: [AuditRuleData]

    public init(enabled: UInt32, backlogLimit: UInt32, lost: UInt32 = 0, daemonPID: UInt32 = 0, rules: [AuditRuleData]) {
        self.enabled = enabled
        self.backlogLimit = backlogLimit
        self.lost = lost
        self.daemonPID = daemonPID
        self.rules = rules
    }
}

/// One kernel audit rule (`struct audit_rule_data`), as far as the check needs it.
public struct AuditRuleData: Sendable {
    /// The filter list (`flags` without AUDIT_FILTER_PREPEND).
    public var list: UInt32
    /// AUDIT_NEVER (0) or AUDIT_ALWAYS (2).
    public var action: UInt32
    /// The system call bitmap (64 words).
    public var syscallMask: [UInt32]
    /// (field, operator, value) of each condition; string values are their length.
    public var fields: [(field: UInt32, op: UInt32, value: UInt32)]
    public var key: String?
    /// The rule as auditctl would print it, for messages (the executable renders it).
    public var text: String

    public init(list: UInt32, action: UInt32, syscallMask: [UInt32], fields: [(field: UInt32, op: UInt32, value: UInt32)],
                key: String? = nil, text: String) {
        self.list = list
        self.action = action
        self.syscallMask = syscallMask
        self.fields = fields
        self.key = key
        self.text = text
    }

    /// Whether the bitmap holds system call `number`.
    public func covers(syscall number: Int) -> Bool {
        guard number >= 0, number / 32 < syscallMask.count else { return false }
        return syscallMask[number / 32] & (1 << UInt32(number % 32)) != 0
    }
}

/// One finding of `--check-audit`, compiler-style.
public struct AuditFinding: Hashable, Sendable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning, note }
    public var severity: Severity
    public var message: String

    public var description: String { "audit: \(severity.rawValue): \(message)" }
}

/// What in the audit configuration would blind the plugin to BPF loads, or to their loader.
public enum AuditConfigurationCheck {
    // linux/audit.h
    static let filterTask: UInt32 = 1
    static let filterExit: UInt32 = 4
    static let filterExclude: UInt32 = 5
    static let filterPrepend: UInt32 = 0x10
    static let actionNever: UInt32 = 0
    static let actionAlways: UInt32 = 2
    static let fieldArch: UInt32 = 11
    static let fieldMessageType: UInt32 = 12
    static let operatorMask: UInt32 = 0x7800_0000
    static let opEqual: UInt32 = 0x4000_0000, opNotEqual: UInt32 = 0x3000_0000
    static let opLess: UInt32 = 0x1000_0000, opGreater: UInt32 = 0x2000_0000
    static let opLessOrEqual: UInt32 = 0x5000_0000, opGreaterOrEqual: UInt32 = 0x6000_0000
    /// The BPF record's message type.
    public static let bpfRecordType: UInt32 = 1334
    /// The smallest backlog that rides out a burst of BPF loads (bpftool's feature probe
    /// alone writes ~1,500 records in a second).
    public static let minimumBacklog: UInt32 = 8192

    /// The findings, most serious first. `bpfSyscalls` maps each audit architecture
    /// (AUDIT_ARCH_*) the host runs to its number of the `bpf` system call.
    public static func findings(_ configuration: AuditConfiguration, bpfSyscalls: [UInt32: Int]) -> [AuditFinding] {
        var findings: [AuditFinding] = []
        if configuration.enabled == 0 {
            findings.append(.init(severity: .error, message: "audit is disabled (auditctl -s: enabled 0): the kernel writes no BPF records; enable it with 'auditctl -e 1' (or -e 2 to lock it)"))
        }
        for rule in configuration.rules {
            let list = rule.list & ~filterPrepend
            switch list {
            case filterTask where rule.action == actionNever:
                findings.append(.init(severity: .error, message: "rule '\(rule.text)': tasks get no audit context, so BPF records come without their SYSCALL record and every loader is unknown; remove it (many distributions ship it: see audisp-bpfguard(8), PROCESS CONTEXT)"))
            case filterExit where rule.action == actionNever && coversBPF(rule, bpfSyscalls):
                findings.append(.init(severity: .error, message: "rule '\(rule.text)': a never rule on the exit list covers bpf(2): matching loads lose their SYSCALL record; exclude bpf from it or remove it"))
            case filterExclude where rule.action == actionAlways && excludes(rule, type: bpfRecordType):
                findings.append(.init(severity: .error, message: "rule '\(rule.text)': the exclude list drops \(rule.fields.contains { $0.field == fieldMessageType } ? "BPF records (type 1334)" : "records of the events it matches, BPF records (type 1334) included"); remove it or narrow it"))
            default: break
            }
        }
        if configuration.backlogLimit < minimumBacklog {
            findings.append(.init(severity: .warning, message: "backlog limit \(configuration.backlogLimit) is under \(minimumBacklog): a burst of BPF loads can overflow it and records are lost (lost \(configuration.lost) so far); raise it with 'auditctl -b \(minimumBacklog)' (-b in audit.rules)"))
        }
        if configuration.daemonPID == 0 {
            findings.append(.init(severity: .warning, message: "no audit daemon is attached to the kernel: nothing runs the plugin"))
        }
        if configuration.enabled == 1 {
            findings.append(.init(severity: .note, message: "the rules are not locked ('-e 2' as the last line of audit.rules): root can change or delete them until the next boot, which the plugin reports as audit-rules-changed"))
        }
        return findings
    }

    /// Whether the exit rule's system calls include bpf on an architecture it applies to.
    static func coversBPF(_ rule: AuditRuleData, _ bpfSyscalls: [UInt32: Int]) -> Bool {
        let arches = rule.fields.filter { $0.field == fieldArch && $0.op & operatorMask == opEqual }.map(\.value)
        let numbers = arches.isEmpty ? Array(bpfSyscalls.values) : arches.compactMap { bpfSyscalls[$0] }
        return numbers.contains { rule.covers(syscall: $0) }
    }

    /// Whether an exclude rule drops records of message type `type`: every msgtype
    /// condition holds for it (a rule without one drops matching events' records of every type).
    static func excludes(_ rule: AuditRuleData, type: UInt32) -> Bool {
        rule.fields.filter { $0.field == fieldMessageType }.allSatisfy { condition in
            switch condition.op & operatorMask {
            case opEqual: type == condition.value
            case opNotEqual: type != condition.value
            case opLess: type < condition.value
            case opGreater: type > condition.value
            case opLessOrEqual: type <= condition.value
            case opGreaterOrEqual: type >= condition.value
            default: true
            }
        }
    }
}
