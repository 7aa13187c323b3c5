/// `/var/lib/dpkg/info/PACKAGE.list`: the paths a package installed, one per line, each
/// directory before its contents (the order of the package's data archive).
public enum DpkgFileList {
    /// The paths of the list that are not directories with contents: a line followed by a
    /// path inside it is a directory, which no executable can be. What remains are files,
    /// symbolic links and empty directories.
    public static func leafPaths(in bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        // One pass over the bytes with plain indices: the lists of a host hold some 100,000
        // lines, read at start-up.
        let leaves: [Range<Int>] = bytes.withUnsafeBufferPointer { buffer in
            var lines: [Range<Int>] = []
            var start = 0
            for index in 0...buffer.count where index == buffer.count || buffer[index] == UInt8(ascii: "\n") {
                if index > start { lines.append(start..<index) }
                start = index + 1
            }
            var result: [Range<Int>] = []
            result.reserveCapacity(lines.count)
            for (number, line) in lines.enumerated() {
                if number + 1 < lines.count && isInside(lines[number + 1], directory: line, buffer) { continue }
                result.append(line)
            }
            return result
        }
        return leaves.map { bytes[$0] }
    }

    /// Whether `path` is a line of the list.
    public static func contains(_ path: [UInt8], in bytes: [UInt8]) -> Bool {
        ByteLines(bytes: bytes).contains { $0.elementsEqual(path) }
    }

    private static func isInside(_ path: Range<Int>, directory: Range<Int>, _ buffer: UnsafeBufferPointer<UInt8>) -> Bool {
        // "/." is the list's first line, the root, which holds everything.
        if directory.count == 2 && buffer[directory.lowerBound] == UInt8(ascii: "/") && buffer[directory.lowerBound + 1] == UInt8(ascii: ".") {
            return true
        }
        guard path.count > directory.count + 1, buffer[path.lowerBound + directory.count] == UInt8(ascii: "/") else { return false }
        var offset = 0
        while offset < directory.count {
            if buffer[path.lowerBound + offset] != buffer[directory.lowerBound + offset] { return false }
            offset += 1
        }
        return true
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
