/// What happened to a program: the `op=` of a BPF audit record (LOAD, UNLOAD), or what the
/// plugin's own periodic scan of the kernel's programs found (PERSIST, UNSEEN).
public enum BPFOperation: String, Hashable, Sendable, CaseIterable {
    case load = "LOAD"
    case unload = "UNLOAD"
    /// The program outlived the process that loaded it (the loader exited, the program is
    /// still loaded): never in a record, only from a scan.
    case persist = "PERSIST"
    /// The program is loaded and no LOAD record announced it: never in a record, only from
    /// a scan.
    case unseen = "UNSEEN"

    /// Parses a record's value (`LOAD`, `UNLOAD`; also lower case). Only these two: a record
    /// cannot claim to be something the plugin observed itself.
    public init?(recordValue: some StringProtocol) {
        switch recordValue {
        case "LOAD", "load": self = .load
        case "UNLOAD", "unload": self = .unload
        default: return nil
        }
    }

    /// The same from a record's bytes: the four spellings compared as bytes, anything else
    /// as text (so that both agree on every input).
    public init?(recordBytes bytes: UnsafeBufferPointer<UInt8>) {
        if ByteSearch.equals(bytes, "LOAD") || ByteSearch.equals(bytes, "load") {
            self = .load
        } else if ByteSearch.equals(bytes, "UNLOAD") || ByteSearch.equals(bytes, "unload") {
            self = .unload
        } else {
            self.init(recordValue: String(decoding: bytes, as: UTF8.self))
        }
    }

    /// Parses a policy's `op=` value: `load`, `unload`, `persist` or `unseen`, any case.
    public init?(policyValue: some StringProtocol) {
        guard let operation = Self.allCases.first(where: { $0.policyName == policyValue.lowercased() }) else { return nil }
        self = operation
    }

    /// The name a policy uses (`load`, `persist`, …).
    public var policyName: String { rawValue.lowercased() }

    /// Whether the plugin observed it by scanning the kernel rather than reading a record.
    public var isObserved: Bool { self == .persist || self == .unseen }
}
