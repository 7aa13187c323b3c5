/// `/var/lib/dpkg/info/PACKAGE.list`: the paths a package installed, one per line, each
/// directory before its contents (the order of the package's data archive).
public enum DpkgFileList {
    /// The paths of the list that are not directories with contents: a line followed by a
    /// path inside it is a directory, which no executable can be. What remains are files,
    /// symbolic links and empty directories.
    public static func leafPaths(in bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var paths: [ArraySlice<UInt8>] = []
        var previous: ArraySlice<UInt8>?
        for line in ByteLines(bytes: bytes) where !line.isEmpty {
            if let last = previous, !isInside(line, directory: last) { paths.append(last) }
            previous = line
        }
        if let last = previous { paths.append(last) }
        return paths
    }

    /// Whether `path` is a line of the list.
    public static func contains(_ path: [UInt8], in bytes: [UInt8]) -> Bool {
        ByteLines(bytes: bytes).contains { $0.elementsEqual(path) }
    }

    private static func isInside(_ path: ArraySlice<UInt8>, directory: ArraySlice<UInt8>) -> Bool {
        // "/." is the list's first line, the root, which holds everything.
        if directory.elementsEqual([UInt8(ascii: "/"), UInt8(ascii: ".")]) { return true }
        return path.count > directory.count + 1 && path.starts(with: directory)
            && path[path.startIndex + directory.count] == UInt8(ascii: "/")
    }
}

/// `/var/lib/dpkg/info/PACKAGE.md5sums`: `HEX32  PATH` per regular file the package
/// installed, the path without its leading slash (as `md5sum` prints it, run from `/`).
/// Conffiles are not in it (their digests are in the status file).
public enum DpkgMD5Sums {
    /// The recorded MD5 of `path` (absolute), or nil when the file has no line.
    public static func digest(of path: [UInt8], in bytes: [UInt8]) -> [UInt8]? {
        guard path.first == UInt8(ascii: "/") else { return nil }
        let relative = path.dropFirst()
        for line in ByteLines(bytes: bytes) where line.count > 34 {
            let start = line.startIndex
            // md5sum writes two spaces, or a space and `*` for binary mode.
            guard line[start + 32] == UInt8(ascii: " "),
                  line[start + 33] == UInt8(ascii: " ") || line[start + 33] == UInt8(ascii: "*"),
                  line[(start + 34)...].elementsEqual(relative)
            else { continue }
            return HexDigits.bytes(line[start..<(start + 32)])
        }
        return nil
    }
}
