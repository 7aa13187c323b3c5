/// The program type part of a loader group's key.
public enum LearnedProgramType: Hashable, Sendable, Comparable {
    /// Kernel lookups were off (`--generate-policy` without `--lookup`, or another node's
    /// event): a learned rule cannot restrict the type.
    case notLookedUp
    /// Looked up, but the program was gone (short-lived) or the lookup failed: in plugin
    /// mode its `prog-type` is unknown too, so the learned rule says `prog-type=?`.
    case unknown
    /// The type the kernel reported.
    case named(String)

    public init(_ program: ProgramLookup) {
        switch program {
        case .notDone: self = .notLookedUp
        case .gone, .failed: self = .unknown
        case .found(let info): self = .named(info.type.name)
        }
    }

    /// The condition a learned rule adds for it, if any.
    public var condition: String? {
        switch self {
        case .notLookedUp: nil
        case .unknown: "prog-type=?"
        case .named(let name): "prog-type=" + PolicyValueText.literal(Array(name.utf8))
        }
    }
}
