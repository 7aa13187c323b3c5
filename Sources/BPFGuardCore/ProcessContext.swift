/// The process an audit event's SYSCALL record describes: who loaded or unloaded a program.
///
/// Every field is optional: a record may lack it, and a BPF record without a SYSCALL record
/// (standalone) has no process context at all. Strings are kept as raw bytes: audit values
/// such as `exe` and `comm` are arbitrary bytes (hex-encoded in the record) and must survive
/// unchanged until they are escaped for output.
///
/// The fields live in one immutable object (a change makes a new one), and the six strings in
/// another (`ProcessStrings`) that events of one loader share: an event's context is copied
/// into its rule subject, its alert, the fold window and the program table, and copying one
/// reference instead of seven optional numbers and six arrays was a large part of the cost of
/// a flood of loads. Equal contexts of one loader are also equal at a glance.
public struct ProcessContext: Hashable, Sendable {
    /// The values, as one object.
    private struct Fields: Hashable, Sendable {
        var uid: UInt32?, auid: UInt32?, euid: UInt32?, gid: UInt32?, pid: UInt32?, ppid: UInt32?, ses: UInt32?
        var strings: ProcessStrings
    }

    private final class Storage: Sendable {
        let fields: Fields
        init(_ fields: Fields) { self.fields = fields }
    }

    private var storage: Storage

    /// Changes one value (a new object: others holding this context keep theirs).
    private mutating func change(_ body: (inout Fields) -> Void) {
        var fields = storage.fields
        body(&fields)
        storage = Storage(fields)
    }

    public var uid: UInt32? { get { storage.fields.uid } set { change { $0.uid = newValue } } }
    public var auid: UInt32? { get { storage.fields.auid } set { change { $0.auid = newValue } } }
    public var euid: UInt32? { get { storage.fields.euid } set { change { $0.euid = newValue } } }
    public var gid: UInt32? { get { storage.fields.gid } set { change { $0.gid = newValue } } }
    public var pid: UInt32? { get { storage.fields.pid } set { change { $0.pid = newValue } } }
    public var ppid: UInt32? { get { storage.fields.ppid } set { change { $0.ppid = newValue } } }
    public var ses: UInt32? { get { storage.fields.ses } set { change { $0.ses = newValue } } }
    /// `tty`, `comm`, `exe`, `key`, `syscall`, `cmdline`.
    public var strings: ProcessStrings { storage.fields.strings }

    public var tty: [UInt8]? {
        get { strings.tty }
        set { change { $0.strings = $0.strings.replacing(\.tty, with: newValue) } }
    }
    public var comm: [UInt8]? {
        get { strings.comm }
        set { change { $0.strings = $0.strings.replacing(\.comm, with: newValue) } }
    }
    public var exe: [UInt8]? {
        get { strings.exe }
        set { change { $0.strings = $0.strings.replacing(\.exe, with: newValue) } }
    }
    public var key: [UInt8]? {
        get { strings.key }
        set { change { $0.strings = $0.strings.replacing(\.key, with: newValue) } }
    }
    /// The syscall's name when the record was interpreted (`bpf`, `close`), else its number.
    public var syscall: [UInt8]? {
        get { strings.syscall }
        set { change { $0.strings = $0.strings.replacing(\.syscall, with: newValue) } }
    }
    /// The command line from the event's PROCTITLE record (`ProcessTitle`): arguments
    /// separated by spaces, at most 128 bytes, chosen by the process itself.
    public var cmdline: [UInt8]? {
        get { strings.cmdline }
        set { change { $0.strings = $0.strings.replacing(\.cmdline, with: newValue) } }
    }

    public init(
        uid: UInt32? = nil, auid: UInt32? = nil, euid: UInt32? = nil, gid: UInt32? = nil,
        pid: UInt32? = nil, ppid: UInt32? = nil, ses: UInt32? = nil, tty: [UInt8]? = nil,
        comm: [UInt8]? = nil, exe: [UInt8]? = nil, key: [UInt8]? = nil, syscall: [UInt8]? = nil,
        cmdline: [UInt8]? = nil
    ) {
        let none = tty == nil && comm == nil && exe == nil && key == nil && syscall == nil && cmdline == nil
        self.init(uid: uid, auid: auid, euid: euid, gid: gid, pid: pid, ppid: ppid, ses: ses,
                  strings: none ? .none : ProcessStrings(tty: tty, comm: comm, exe: exe, key: key, syscall: syscall, cmdline: cmdline))
    }

    /// The same with the strings given as one (possibly shared) object.
    public init(uid: UInt32? = nil, auid: UInt32? = nil, euid: UInt32? = nil, gid: UInt32? = nil,
                pid: UInt32? = nil, ppid: UInt32? = nil, ses: UInt32? = nil, strings: ProcessStrings) {
        storage = Storage(Fields(uid: uid, auid: auid, euid: euid, gid: gid, pid: pid, ppid: ppid, ses: ses, strings: strings))
    }

    /// Whether `other` is this very context (one object): then it is equal without a look at
    /// its values.
    public func isIdentical(to other: ProcessContext) -> Bool { storage === other.storage }

    public static func == (lhs: ProcessContext, rhs: ProcessContext) -> Bool {
        lhs.storage === rhs.storage || lhs.storage.fields == rhs.storage.fields
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.fields)
    }

    /// The value the kernel uses for an auid or session id that was never set.
    public static let unsetID: UInt32 = 4_294_967_295
}

/// The strings of a `ProcessContext`, immutable (a change makes a new object), compared by
/// identity first.
public final class ProcessStrings: Hashable, Sendable {
    public let tty: [UInt8]?
    public let comm: [UInt8]?
    public let exe: [UInt8]?
    public let key: [UInt8]?
    public let syscall: [UInt8]?
    public let cmdline: [UInt8]?

    /// No strings at all (shared).
    public static let none = ProcessStrings()

    public init(tty: [UInt8]? = nil, comm: [UInt8]? = nil, exe: [UInt8]? = nil, key: [UInt8]? = nil, syscall: [UInt8]? = nil,
                cmdline: [UInt8]? = nil) {
        self.tty = tty
        self.comm = comm
        self.exe = exe
        self.key = key
        self.syscall = syscall
        self.cmdline = cmdline
    }

    /// A copy with one string changed.
    func replacing(_ field: KeyPath<ProcessStrings, [UInt8]?>, with value: [UInt8]?) -> ProcessStrings {
        func pick(_ own: KeyPath<ProcessStrings, [UInt8]?>) -> [UInt8]? { own == field ? value : self[keyPath: own] }
        return ProcessStrings(tty: pick(\.tty), comm: pick(\.comm), exe: pick(\.exe), key: pick(\.key), syscall: pick(\.syscall),
                              cmdline: pick(\.cmdline))
    }

    public static func == (lhs: ProcessStrings, rhs: ProcessStrings) -> Bool {
        lhs === rhs
            || (lhs.tty == rhs.tty && lhs.comm == rhs.comm && lhs.exe == rhs.exe && lhs.key == rhs.key && lhs.syscall == rhs.syscall
                && lhs.cmdline == rhs.cmdline)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(tty)
        hasher.combine(comm)
        hasher.combine(exe)
        hasher.combine(key)
        hasher.combine(syscall)
        hasher.combine(cmdline)
    }
}
