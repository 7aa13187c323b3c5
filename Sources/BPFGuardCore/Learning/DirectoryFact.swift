/// What `stat(2)` said about one directory of a loader's path on this host. The executable
/// gathers these facts after reading the logs and hands them to the generator as values;
/// what makes a directory safe is decided here.
///
/// Learning mode proposes an executable only when no directory above it is known to be
/// writable by anyone but root, and a glob only when every directory down to the glob's
/// anchor exists here and is safe: then only root can add what the pattern matches.
public enum DirectoryFact: Hashable, Sendable {
    /// The path does not exist on this host (logs from another node, software removed).
    case missing
    /// The path exists but is not a directory (after following links).
    case notDirectory
    case directory(ownerUID: UInt32, mode: UInt32)
    /// `stat` failed for another reason; the text says why.
    case unreadable(String)

    /// Whether a directory lets only root change its entries.
    public enum Safety: Hashable, Sendable {
        case safe
        /// Not on this host: nothing can be said.
        case unknown(String)
        /// Someone other than root can change its entries: the reason.
        case unsafe(String)
    }

    /// Safe when owned by root (uid 0) and writable neither by its group nor by others
    /// (mode bits 020 and 002 clear; the sticky bit of /tmp does not help).
    public var safety: Safety {
        switch self {
        case .missing: .unknown("does not exist on this host")
        case .notDirectory: .unsafe("is not a directory")
        case .unreadable(let reason): .unknown("cannot be examined (\(reason))")
        case .directory(let owner, let mode):
            if owner != 0 {
                .unsafe("is owned by uid \(owner)")
            } else if mode & 0o022 != 0 {
                .unsafe("is writable by \(mode & 0o020 != 0 ? mode & 0o002 != 0 ? "its group and others" : "its group" : "others") (mode \(String(mode & 0o7777, radix: 8)))")
            } else {
                .safe
            }
        }
    }

    /// The directories above `path`, from `/` down to its parent (`/usr/bin/x`: `/`, `/usr`,
    /// `/usr/bin`); empty for a path that is not absolute.
    public static func directories(above path: [UInt8]) -> [[UInt8]] {
        guard path.first == UInt8(ascii: "/") else { return [] }
        var result: [[UInt8]] = [[UInt8(ascii: "/")]]
        for index in path.indices.dropFirst() where path[index] == UInt8(ascii: "/") && index > 0 {
            result.append(Array(path[..<index]))
        }
        return result
    }

    /// The directories from `/` down to and including `directory`.
    public static func directories(downTo directory: [UInt8]) -> [[UInt8]] {
        directory == [UInt8(ascii: "/")] ? [directory] : directories(above: directory) + [directory]
    }
}
