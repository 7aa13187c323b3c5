/// The process an audit event's SYSCALL record describes: who loaded or unloaded a program.
///
/// Every field is optional: a record may lack it, and a BPF record without a SYSCALL record
/// (standalone) has no process context at all. Strings are kept as raw bytes: audit values
/// such as `exe` and `comm` are arbitrary bytes (hex-encoded in the record) and must survive
/// unchanged until they are escaped for output.
///
/// The six strings live together in one immutable `ProcessStrings` object: an event's context
/// is copied into its rule subject, its alert, the fold window and the program table, and one
/// reference to count per copy instead of six was a large part of the cost of a flood of
/// loads. Events of one loader can share that object (the extractor reuses it), which also
/// makes them equal at a glance.
public struct ProcessContext: Hashable, Sendable {
    public var uid: UInt32?
    public var auid: UInt32?
    public var euid: UInt32?
    public var gid: UInt32?
    public var pid: UInt32?
    public var ppid: UInt32?
    public var ses: UInt32?
    /// `tty`, `comm`, `exe`, `key`, `syscall`, `cmdline`.
    public private(set) var strings: ProcessStrings

    public var tty: [UInt8]? {
        get { strings.tty }
        set { strings = strings.replacing(\.tty, with: newValue) }
    }
    public var comm: [UInt8]? {
        get { strings.comm }
        set { strings = strings.replacing(\.comm, with: newValue) }
    }
    public var exe: [UInt8]? {
        get { strings.exe }
        set { strings = strings.replacing(\.exe, with: newValue) }
    }
    public var key: [UInt8]? {
        get { strings.key }
        set { strings = strings.replacing(\.key, with: newValue) }
    }
    /// The syscall's name when the record was interpreted (`bpf`, `close`), else its number.
    public var syscall: [UInt8]? {
        get { strings.syscall }
        set { strings = strings.replacing(\.syscall, with: newValue) }
    }
    /// The command line from the event's PROCTITLE record (`ProcessTitle`): arguments
    /// separated by spaces, at most 128 bytes, chosen by the process itself.
    public var cmdline: [UInt8]? {
        get { strings.cmdline }
        set { strings = strings.replacing(\.cmdline, with: newValue) }
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
        self.uid = uid; self.auid = auid; self.euid = euid; self.gid = gid
        self.pid = pid; self.ppid = ppid; self.ses = ses
        self.strings = strings
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
