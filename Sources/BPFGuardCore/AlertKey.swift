/// A key of the alert line that `fold_by` may name: alerts that agree on every named key
/// are folded together. Only printed keys qualify, so that a summary line shows what its
/// alerts had in common; `event` is refused, being different for every alert.
public enum AlertKey: Hashable, Sendable, CustomStringConvertible {
    /// `alert=`: the rule's label (written `label` or `alert` in `fold_by`).
    case label
    case priority
    /// `info=gone` / `info=error` (kernel lookups).
    case info
    case rule
    /// A key that is also a policy field (`exe`, `prog-type`, `uid`, …).
    case field(RuleField)

    /// `fold_by`'s default: one fold per label, node, executable and program type.
    public static let defaultFoldKeys: [AlertKey] = [.label, .field(.node), .field(.exe), .field(.progType)]

    /// The policy fields the alert line prints, in its order.
    static let printedFields: [RuleField] = [
        .op, .progID, .progType, .progName, .progTag, .helpers, .createdByUID, .node,
        .uid, .auid, .euid, .pid, .ppid, .comm, .exe, .cmdline, .exePackage, .exeTrusted, .container, .identity, .lifetime,
    ]

    /// Every accepted name, in the order of the alert line.
    public static var allNames: String {
        (["label", "priority"] + printedFields.prefix(7).map(\.name) + ["info"] + printedFields.dropFirst(7).map(\.name) + ["rule"])
            .joined(separator: ", ")
    }

    public init?(name: some StringProtocol) {
        switch name {
        case "label", "alert": self = .label
        case "priority": self = .priority
        case "info": self = .info
        case "rule": self = .rule
        default:
            guard let field = RuleField(name: name), Self.printedFields.contains(field) else { return nil }
            self = .field(field)
        }
    }

    public var description: String {
        switch self {
        case .label: "label"
        case .priority: "priority"
        case .info: "info"
        case .rule: "rule"
        case .field(let field): field.name
        }
    }

    /// The key's value in `alert`; nil when the alert line does not carry it.
    public func value(in alert: Alert) -> FieldValue? {
        switch self {
        case .label: return .bytes(Array(alert.label.utf8))
        case .priority: return .number(UInt64(alert.priority.rawValue))
        case .rule: return .bytes(Array(alert.rule.description.utf8))
        case .info:
            switch alert.subject.program {
            case .gone: return .bytes(Array("gone".utf8))
            case .failed: return .bytes(Array("error".utf8))
            case .found, .notDone: return nil
            }
        case .field(let field): return alert.subject.value(of: field)
        }
    }
}
