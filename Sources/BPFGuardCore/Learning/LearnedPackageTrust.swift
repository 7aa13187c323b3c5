/// The package-trust part of a loader group's key: what kernel lookups (`--lookup`) found
/// out about the loaders' executable — `exe-package` and `exe-trusted` (`LoaderFacts`).
///
/// A path alone allows whatever file is put there later. When every load of a group ran
/// the file its package installed (`exe-trusted=yes`), the learned rules require the
/// package and the trust too, so that a replaced binary at the same path no longer passes.
/// `exe-trusted=no` and `deleted` never reach a group: they are refusals (`LoadRefusal`).
/// An executable no package owns (`none`), or whose trust is unknown, is allowed by path
/// as without lookups, and its comment says so.
///
/// Replayed logs: the facts describe the file at that path on this host when the policy is
/// generated (as with `--replay --lookup`), not the file that ran at the time of the load.
public enum LearnedPackageTrust: Hashable, Sendable, Comparable {
    /// No kernel lookups: nothing known, and the rules test neither field.
    case notLookedUp
    /// Looked up; either may still be unknown (another node, a file not hashed).
    case known(package: LoaderFacts.Package, trust: LoaderFacts.Trust)

    /// From the facts the engine gave the load (nil without kernel lookups).
    public init(_ facts: LoaderFacts?) {
        guard let facts else {
            self = .notLookedUp
            return
        }
        self = .known(package: facts.package, trust: facts.trust)
    }

    /// The package a trusted executable belongs to, if it is one.
    public var trustedPackage: String? {
        if case .known(.named(let name), .yes) = self { return name }
        return nil
    }

    /// The conditions a learned rule adds: `exe-package=NAME exe-trusted=yes` for an
    /// executable that was its package's file at every load; none otherwise.
    public var conditions: [String] {
        guard let name = trustedPackage else { return [] }
        return ["exe-package=" + PolicyValueText.literal(Array(name.utf8)), "exe-trusted=yes"]
    }

    /// The group comment's remark; nil without lookups (the comment stays as it was).
    public var note: String? {
        guard case .known(let package, let trust) = self else { return nil }
        switch (package, trust) {
        case (.named(let name), .yes):
            return "exe-package \(Self.text(name)), exe-trusted=yes: the rules require both (another file at this path does not pass)"
        case (.none, _):
            return "exe-package=none: not package-owned; allowed by path only"
        case (.named(let name), _):
            return "exe-package \(Self.text(name)), exe-trusted=\(trust.rawValue): allowed by path only"
        case (.unknown, _):
            return "exe-package and exe-trusted unknown: allowed by path only"
        }
    }

    /// Groups sort by executable, type, then this: no lookups first, then by package and trust.
    public static func < (lhs: Self, rhs: Self) -> Bool {
        lhs.order < rhs.order
    }

    private var order: (Int, Int, String, String) {
        guard case .known(let package, let trust) = self else { return (0, 0, "", "") }
        switch package {
        case .unknown: return (1, 0, "", trust.rawValue)
        case .none: return (1, 1, "", trust.rawValue)
        case .named(let name): return (1, 2, name, trust.rawValue)
        }
    }

    private static func text(_ name: String) -> String {
        AlertEscaping.token(Array(name.utf8))
    }
}
