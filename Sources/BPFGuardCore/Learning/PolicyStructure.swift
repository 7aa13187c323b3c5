/// Where learned rules go in a base policy, which is evaluated first match wins.
///
/// Some alerts must stay above every learned allow, or a learned loader would escape them:
/// the "guards" — alert rules that test who loaded (`uid`, `euid`, `gid`, `auid`, `ses`,
/// `identity`, `created-by-uid`), what the program calls (`helpers`), whether the file is
/// the one its package installed (`exe-trusted`), or whose `exe`, `comm` or `unloader-exe`
/// `=` value matches a deleted, in-memory, world-writable or unnamed (`<too_long>`)
/// location. Learned allows for an operation go just above the first alert rule for that
/// operation below its last guard (in the shipped policy: loads above `bpftool-load`, after
/// the probe allows; unloads above `short-lived`).
public struct PolicyStructure: Sendable {
    public let policy: Policy

    public init(policy: Policy) {
        self.policy = policy
    }

    static let guardFields: Set<RuleField> = [.uid, .euid, .gid, .auid, .ses, .identity, .createdByUID, .helpers, .exeTrusted]
    static let locationFields: Set<RuleField> = [.exe, .comm, .unloaderExe]

    /// Paths a guard's location test is tried on: they stand for the places the safety
    /// rules refuse.
    static let refusedLocations: [[UInt8]] = [
        "/tmp/x", "/var/tmp/x", "/dev/shm/x", "/run/user/0/x", "/home/user/x", "/root/x",
        "/usr/bin/x (deleted)", "/memfd:x (deleted)", "/memfd:x", "<too_long>",
    ].map { Array($0.utf8) }
    static let systemLocation = Array("/usr/sbin/x".utf8)

    /// Whether `rule` must stay above learned rules.
    public static func isGuard(_ rule: Rule) -> Bool {
        guard case .alert = rule.action else { return false }
        return rule.conditions.contains { condition in
            if guardFields.contains(condition.field) { return true }
            guard locationFields.contains(condition.field), condition.comparison == .equal else { return false }
            // A test that refused places match and a system directory does not (`exe=*` is no guard).
            return refusedLocations.contains { condition.pattern.contains(.bytes($0)) } && !condition.pattern.contains(.bytes(systemLocation))
        }
    }

    /// Whether `rule` can match events of `operation` (its `op` conditions allow it).
    public static func applies(_ rule: Rule, to operation: BPFOperation) -> Bool {
        let probe = RuleSubject(event: BPFEvent(operation: operation, programID: 0, timestamp: AuditTimestamp(seconds: 0, milliseconds: 0, serial: 0)),
                                loader: nil)
        return rule.conditions.allSatisfy { $0.field != .op || $0.matches(probe) }
    }

    /// The index of the last guard for `operation`, if any.
    public func lastGuard(for operation: BPFOperation) -> Int? {
        policy.rules.indices.last { Self.isGuard(policy.rules[$0]) && Self.applies(policy.rules[$0], to: operation) }
    }

    /// The index learned rules for `operation` are inserted before: the first alert rule for
    /// it after its last guard; `rules.count` (the end) when there is none.
    public func insertionIndex(for operation: BPFOperation) -> Int {
        let start = lastGuard(for: operation).map { $0 + 1 } ?? 0
        return policy.rules.indices[start...].first { index in
            if case .alert = policy.rules[index].action { return Self.applies(policy.rules[index], to: operation) }
            return false
        } ?? policy.rules.count
    }
}
