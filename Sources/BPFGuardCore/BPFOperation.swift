/// The `op=` of a BPF audit record.
public enum BPFOperation: String, Hashable, Sendable, CaseIterable {
    case load = "LOAD"
    case unload = "UNLOAD"

    /// Parses the record's value (`LOAD`, `UNLOAD`); also accepts lower case.
    public init?(recordValue: some StringProtocol) {
        switch recordValue {
        case "LOAD", "load": self = .load
        case "UNLOAD", "unload": self = .unload
        default: return nil
        }
    }
}
