/// The process an audit event's SYSCALL record describes: who loaded or unloaded a program.
///
/// Every field is optional: a record may lack it, and a BPF record without a SYSCALL record
/// (standalone) has no process context at all. Strings are kept as raw bytes: audit values
/// such as `exe` and `comm` are arbitrary bytes (hex-encoded in the record) and must survive
/// unchanged until they are escaped for output.
public struct ProcessContext: Hashable, Sendable {
    public var uid: UInt32?
    public var auid: UInt32?
    public var euid: UInt32?
    public var gid: UInt32?
    public var pid: UInt32?
    public var ppid: UInt32?
    public var ses: UInt32?
    public var tty: [UInt8]?
    public var comm: [UInt8]?
    public var exe: [UInt8]?
    public var key: [UInt8]?
    /// The syscall's name when the record was interpreted (`bpf`, `close`), else its number.
    public var syscall: [UInt8]?
    /// The command line from the event's PROCTITLE record (`ProcessTitle`): arguments
    /// separated by spaces, at most 128 bytes, chosen by the process itself.
    public var cmdline: [UInt8]?

    public init(
        uid: UInt32? = nil, auid: UInt32? = nil, euid: UInt32? = nil, gid: UInt32? = nil,
        pid: UInt32? = nil, ppid: UInt32? = nil, ses: UInt32? = nil, tty: [UInt8]? = nil,
        comm: [UInt8]? = nil, exe: [UInt8]? = nil, key: [UInt8]? = nil, syscall: [UInt8]? = nil,
        cmdline: [UInt8]? = nil
    ) {
        self.uid = uid; self.auid = auid; self.euid = euid; self.gid = gid
        self.pid = pid; self.ppid = ppid; self.ses = ses; self.tty = tty
        self.comm = comm; self.exe = exe; self.key = key; self.syscall = syscall
        self.cmdline = cmdline
    }

    /// The value the kernel uses for an auid or session id that was never set.
    public static let unsetID: UInt32 = 4_294_967_295
}
