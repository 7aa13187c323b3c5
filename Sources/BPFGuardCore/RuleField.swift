/// A field a policy condition can test. Its name is also the alert's key for it.
public enum RuleField: String, Sendable, CaseIterable {
    case op
    case progID = "prog-id"
    case progType = "prog-type"
    case progName = "prog-name"
    case progTag = "prog-tag"
    case helpers
    case createdByUID = "created-by-uid"
    case info
    case node
    case uid, auid, euid, gid, pid, ppid, ses, tty, comm, exe
    case exePackage = "exe-package"
    case exeTrusted = "exe-trusted"
    case cmdline
    case container
    case key, syscall
    case identity
    case holders
    case lifetime
    case unloaderUID = "unloader-uid"
    case unloaderPID = "unloader-pid"
    case unloaderComm = "unloader-comm"
    case unloaderExe = "unloader-exe"

    /// What kind of value the field holds, which decides the values and operators it accepts.
    public enum Kind: Sendable, Equatable {
        /// `load` or `unload`.
        case operation
        /// A plain unsigned number (ids, pids).
        case number
        /// A user id: a number or a user name.
        case userID
        /// A group id: a number or a group name.
        case groupID
        /// A login uid or session id: a number, a user name (auid only) or `unset`.
        case auditID(allowsUserNames: Bool)
        /// A byte string, matched literally or with `*` globs.
        case string
        /// A set of names (the helpers a program calls): `=` matches when any of them
        /// matches, `!=` when none does.
        case names
        /// A duration in milliseconds (`250ms`, `2s`, `5m`).
        case duration
    }

    public var name: String { rawValue }

    public var kind: Kind {
        switch self {
        case .op: .operation
        case .progID, .pid, .ppid, .unloaderPID, .holders: .number
        case .uid, .euid, .unloaderUID, .createdByUID: .userID
        case .gid: .groupID
        case .auid: .auditID(allowsUserNames: true)
        case .ses: .auditID(allowsUserNames: false)
        case .node, .tty, .comm, .exe, .key, .syscall, .unloaderComm, .unloaderExe, .progType, .progName, .progTag, .identity, .info: .string
        case .exePackage, .exeTrusted, .cmdline, .container: .string
        case .helpers: .names
        case .lifetime: .duration
        }
    }

    public init?(name: some StringProtocol) {
        self.init(rawValue: String(name))
    }

    public static var allNames: String { allCases.map(\.name).joined(separator: ", ") }
}

/// The value of a field for one event: a field the event does not carry is `nil` (printed `?`).
public enum FieldValue: Hashable, Sendable {
    case operation(BPFOperation)
    case number(UInt64)
    case bytes([UInt8])
    /// Several strings (helpers): a pattern matches when it matches one of them.
    case list([[UInt8]])
}
