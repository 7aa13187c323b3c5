/// Describes a process from its /proc files (`status`, `loginuid`, `sessionid`), read by
/// the executable: the loader recovered for a LOAD without SYSCALL context.
public enum ProcStatusParsing {
    /// Fills uid and euid (`Uid:` real, effective), gid (`Gid:` real) and ppid (`PPid:`)
    /// from a `/proc/PID/status` file; fields the text lacks stay as they were.
    public static func apply(status: [UInt8], to context: inout ProcessContext) {
        for line in status.split(separator: 0x0A) {
            let parts = line.split(whereSeparator: { $0 == 0x09 || $0 == 0x20 })
            guard let key = parts.first else { continue }
            func number(_ index: Int) -> UInt32? {
                index < parts.count ? parts[index].withUnsafeBytes { ProcDescriptorParsing.decimal($0) } : nil
            }
            switch Array(key) {
            case Array("Uid:".utf8):
                if let uid = number(1) { context.uid = uid }
                if let euid = number(2) { context.euid = euid }
            case Array("Gid:".utf8):
                if let gid = number(1) { context.gid = gid }
            case Array("PPid:".utf8):
                if let ppid = number(1) { context.ppid = ppid }
            default: break
            }
        }
    }

    /// The number of a one-number file (`/proc/PID/loginuid`, `/proc/PID/sessionid`).
    public static func number(_ text: [UInt8]) -> UInt32? {
        text.withUnsafeBytes { ProcDescriptorParsing.decimal($0) }
    }

    /// The command name of `/proc/PID/comm` (up to its newline).
    public static func command(_ text: [UInt8]) -> [UInt8] {
        Array(text.prefix { $0 != 0x0A })
    }
}
