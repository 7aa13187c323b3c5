/// The names of the record fields the extractor reads, recognised straight from the C string
/// libauparse returns.
///
/// Why not `String(cString:)` and a `switch` on strings: a SYSCALL record has some 35 fields,
/// and on a BPF-dense stream (every event a LOAD) building a String per field name and
/// comparing it with each case in turn was the extractor's largest cost. Here a name is read
/// once, at most 10 bytes and never past its NUL, into a length and an integer, and compared
/// as integers.
enum AuditFieldName: CaseIterable {
    case progID, op, event, proctitle
    case uid, auid, euid, gid, pid, ppid, ses, tty, comm, exe, key, syscall

    /// The field's name in the record.
    var text: String {
        switch self {
        case .progID: "prog-id"
        case .op: "op"
        case .event: "event"
        case .proctitle: "proctitle"
        case .uid: "uid"
        case .auid: "auid"
        case .euid: "euid"
        case .gid: "gid"
        case .pid: "pid"
        case .ppid: "ppid"
        case .ses: "ses"
        case .tty: "tty"
        case .comm: "comm"
        case .exe: "exe"
        case .key: "key"
        case .syscall: "syscall"
        }
    }

    /// The name a NUL-terminated C string spells, or nil for any other field.
    @inline(__always)
    init?(cString name: UnsafePointer<CChar>) {
        // Up to 8 bytes, little-endian, in one integer; a name longer than 9 bytes stops the
        // reading at its 10th (only `proctitle` has 9: its 9th byte is checked apart).
        var word: UInt64 = 0
        var length = 0
        while length < 8 {
            let byte = UInt8(bitPattern: name[length])
            if byte == 0 { break }
            word |= UInt64(byte) << UInt64(8 * length)
            length += 1
        }
        switch (length, word) {
        case (2, 0x706F): self = .op
        case (3, 0x64_6975): self = .uid
        case (3, 0x64_6967): self = .gid
        case (3, 0x64_6970): self = .pid
        case (3, 0x73_6573): self = .ses
        case (3, 0x79_7474): self = .tty
        case (3, 0x65_7865): self = .exe
        case (3, 0x79_656B): self = .key
        case (4, 0x6469_7561): self = .auid
        case (4, 0x6469_7565): self = .euid
        case (4, 0x6469_7070): self = .ppid
        case (4, 0x6D6D_6F63): self = .comm
        case (5, 0x74_6E65_7665): self = .event
        case (7, 0x64_692D_676F_7270): self = .progID
        case (7, 0x6C_6C61_6373_7973): self = .syscall
        case (8, 0x6C74_6974_636F_7270):
            // `proctitl`: a match only if the name goes on with `e` and ends there.
            guard name[8] == CChar(UInt8(ascii: "e")), name[9] == 0 else { return nil }
            self = .proctitle
        default: return nil
        }
    }
}
