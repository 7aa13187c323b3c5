import BPFGuardCore
import Glibc

/// Gathers the `DirectoryFact` of each directory learning mode asks about, with `stat(2)`
/// (links followed: what matters is the directory a path ends in) on this host.
enum DirectoryInspector {
    static func facts(_ directories: [[UInt8]]) -> [[UInt8]: DirectoryFact] {
        var facts: [[UInt8]: DirectoryFact] = [:]
        for directory in directories {
            facts[directory] = fact(directory)
        }
        return facts
    }

    static func fact(_ directory: [UInt8]) -> DirectoryFact {
        // A path with a NUL byte cannot name a file (and would be cut short by the C call).
        guard !directory.contains(0) else { return .missing }
        var status = stat()
        let result = (directory + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { stat($0.baseAddress!, &status) }
        }
        guard result == 0 else {
            return errno == ENOENT || errno == ENOTDIR ? .missing : .unreadable(String(cString: strerror(errno)))
        }
        guard status.st_mode & S_IFMT == S_IFDIR else { return .notDirectory }
        return .directory(ownerUID: status.st_uid, mode: UInt32(status.st_mode & 0o7777))
    }
}
