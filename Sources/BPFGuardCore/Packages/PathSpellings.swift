/// Other names of the same file across the /usr merge: on a merged system `/bin` is a
/// symbolic link to `usr/bin`, the kernel reports `/usr/bin/ip`, and dpkg may still record
/// the file as `/bin/ip` (the name in the package). The other spelling is tried only for
/// the directories that really are such links (the caller checks them).
public struct PathSpellings: Sendable {
    /// Top-level directories the /usr merge turns into links: `/bin` → `usr/bin`, …
    public static let mergeCandidates = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"]

    /// (`/bin`, `/usr/bin`) for each merged directory.
    public private(set) var aliases: [(alias: [UInt8], target: [UInt8])]

    /// `mergedDirectories`: the members of `mergeCandidates` that are links to their
    /// counterpart in /usr on this host.
    public init(mergedDirectories: [String]) {
        aliases = mergedDirectories.map { (Array($0.utf8), Array(("/usr" + $0).utf8)) }
    }

    /// `path` first, then its spelling on the other side of a merged directory, if any.
    public func spellings(of path: [UInt8]) -> [[UInt8]] {
        var result = [path]
        for (alias, target) in aliases {
            if let rest = Self.rest(of: path, under: target) { result.append(alias + rest) }
            else if let rest = Self.rest(of: path, under: alias) { result.append(target + rest) }
        }
        return result
    }

    /// The part of `path` after `directory` (starting with `/`), when it is inside it.
    private static func rest(of path: [UInt8], under directory: [UInt8]) -> ArraySlice<UInt8>? {
        guard path.count > directory.count + 1, path.starts(with: directory), path[directory.count] == UInt8(ascii: "/") else { return nil }
        return path[directory.count...]
    }
}
