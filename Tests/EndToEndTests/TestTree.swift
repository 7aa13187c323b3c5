import Glibc

/// A scratch directory under /tmp for a test's files (package databases, roots), removed
/// when the value goes away.
final class TestTree {
    let path: String

    init(_ name: String) {
        var template = Array("/tmp/bpfguard-\(name)-XXXXXX".utf8CString)
        precondition(mkdtemp(&template) != nil, "mkdtemp failed")
        path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Creates `relative` (and its directories) with `content`, and returns its path.
    @discardableResult
    func write(_ relative: String, _ content: [UInt8], mode: mode_t = 0o644) -> String {
        let file = path + "/" + relative
        makeDirectories(String(file[..<file.lastIndex(of: "/")!]))
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, mode)
        precondition(fd >= 0, "cannot create \(file)")
        _ = content.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        Glibc.close(fd)
        _ = chmod(file, mode)
        return file
    }

    @discardableResult
    func write(_ relative: String, _ text: String, mode: mode_t = 0o644) -> String { write(relative, Array(text.utf8), mode: mode) }

    func makeDirectories(_ directory: String) {
        var current = ""
        for component in directory.split(separator: "/") {
            current += "/" + component
            _ = mkdir(current, 0o755)
        }
    }

    func link(_ relative: String, to target: String) {
        _ = symlink(target, path + "/" + relative)
    }

    deinit {
        _ = ChildProcess.run(["/bin/rm", "-rf", "--one-file-system", path])
    }
}

/// The first word `md5sum`/`sha256sum` print for a file.
func digestText(_ tool: String, _ file: String) -> String {
    String(ChildProcess.run(["/usr/bin/" + tool, file]).stdoutText.prefix { $0 != " " })
}
