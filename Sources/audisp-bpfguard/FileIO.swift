import Glibc

/// Thin wrappers over open/read/write/close, one per system call, retrying on EINTR.
enum FileIO {
    static func open(_ path: String, flags: Int32 = O_RDONLY | O_CLOEXEC) throws(SystemCallError) -> Int32 {
        while true {
            let fd = Glibc.open(path, flags)
            if fd >= 0 { return fd }
            if errno != EINTR { throw SystemCallError("open") }
        }
    }

    /// Reads up to `buffer.count` bytes into `buffer`; 0 at end of file.
    static func read(_ fd: Int32, into buffer: inout [UInt8]) throws(SystemCallError) -> Int {
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count >= 0 { return count }
            if errno != EINTR { throw SystemCallError("read") }
        }
    }

    /// Writes all of `bytes`.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(SystemCallError) {
        let failure: Int32? = bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let count = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += count
            }
            return nil
        }
        if let failure { throw SystemCallError("write", code: failure) }
    }

    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// The whole content of a regular file, at most `limit` bytes.
    static func readFile(_ path: String, limit: Int = 4 << 20) throws(SystemCallError) -> [UInt8] {
        let fd = try open(path)
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = try read(fd, into: &chunk)
            if count == 0 { return result }
            result += chunk[..<count]
            if result.count > limit { throw SystemCallError("read", code: EFBIG) }
        }
    }

    /// Writes a line to standard error (diagnostics; failures are ignored).
    static func printError(_ message: String) {
        try? writeAll(2, Array((message + "\n").utf8))
    }
}
