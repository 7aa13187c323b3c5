/// What the kernel says about a loaded program (`bpf_prog_info`), looked up by prog-id.
public struct ProgramInfo: Hashable, Sendable {
    public var type: BPFProgramType
    /// The program's name (up to 15 bytes, set by the loader).
    public var name: [UInt8]
    /// The 8-byte tag (a hash of the instructions), as 16 hex digits.
    public var tag: String
    /// Nanoseconds since boot when the program was loaded.
    public var loadTimeNanoseconds: UInt64
    public var createdByUID: UInt32
    public var mapCount: UInt32
    public var btfID: UInt32
    public var translatedLength: UInt32
    public var jitedLength: UInt32
    /// Names of the helper functions the program calls, sorted; nil when they could not be
    /// read (no translated instructions, or no kernel symbols to name them).
    public var helpers: [String]?

    public init(type: BPFProgramType, name: [UInt8], tag: String, loadTimeNanoseconds: UInt64 = 0, createdByUID: UInt32,
                mapCount: UInt32 = 0, btfID: UInt32 = 0, translatedLength: UInt32 = 0, jitedLength: UInt32 = 0, helpers: [String]?) {
        self.type = type
        self.name = name
        self.tag = tag
        self.loadTimeNanoseconds = loadTimeNanoseconds
        self.createdByUID = createdByUID
        self.mapCount = mapCount
        self.btfID = btfID
        self.translatedLength = translatedLength
        self.jitedLength = jitedLength
        self.helpers = helpers
    }

    /// Hex digits of a tag.
    public static func tagText(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes { text += [digits[Int(byte >> 4)], digits[Int(byte & 0xF)]] }
        return String(decoding: text, as: UTF8.self)
    }
}

/// The outcome of looking a program up in the kernel when its LOAD was processed.
public enum ProgramLookup: Hashable, Sendable {
    /// Lookups are off (`--replay` without `--lookup`, or `--no-lookup`).
    case notDone
    /// Boxed (`indirect`): a lookup is copied with every subject, alert and table entry, and
    /// an inline description made each copy of them a hundred bytes larger.
    indirect case found(ProgramInfo)
    /// The program was already unloaded (short-lived).
    case gone
    /// The lookup failed (e.g. EPERM); the message says why.
    case failed(String)

    public var info: ProgramInfo? {
        if case .found(let info) = self { return info }
        return nil
    }
}

/// Where the loader fields of an event come from.
public enum LoaderIdentity: String, Hashable, Sendable {
    /// The event's SYSCALL record.
    case audit
    /// Recovered from /proc: the process holding a file descriptor of the program.
    case proc
    /// Only the kernel's `created_by_uid` (programs found at start-up).
    case kernel
    /// Nothing found.
    case none
}
