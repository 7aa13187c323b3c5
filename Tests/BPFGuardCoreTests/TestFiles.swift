import Glibc

/// Real files for the tests that parse them: the repository's fixtures and this machine's
/// own files (package databases, executables), and the output of the standard tools that
/// tell what those files hold.
enum TestFiles {
    /// The repository, from this source file's path (Tests/BPFGuardCoreTests/TestFiles.swift).
    static let repository: String = {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path
    }()

    static func fixture(_ relative: String) -> String { repository + "/Tests/Fixtures/" + relative }

    /// The bytes of a file, or nil when it cannot be read.
    static func read(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 { return nil }
            if count == 0 { return result }
            result += buffer[..<count]
        }
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Standard output of a shell command (the tests' arguments are plain paths).
    static func output(of command: String) -> String {
        guard let pipe = popen(command, "r") else { return "" }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, pipe)
            if count <= 0 { break }
            result += buffer[..<count]
        }
        pclose(pipe)
        return String(decoding: result, as: UTF8.self)
    }
}
