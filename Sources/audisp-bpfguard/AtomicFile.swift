import Glibc

/// Replaces a file atomically: the new content goes to `PATH.tmp`, then rename(2) puts it
/// in place, so a reader sees the old file or the new one, never a part. Used for the
/// SIGUSR1 state report and the known-programs state file.
enum AtomicFile {
    /// Writes `bytes` to `path` (mode `mode`; its directory is made, mode 0750, when
    /// missing).
    static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o640) -> SystemCallError? {
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            let directory = String(path[..<slash])
            if mkdir(directory, 0o750) != 0 && errno != EEXIST { return SystemCallError("mkdir \(directory)") }
        }
        let temporary = path + ".tmp"
        // Whatever is there (a FIFO would block the input loop, a link would redirect the
        // write) goes: the file is always a new regular file, and opening never blocks.
        if unlink(temporary) != 0 && errno != ENOENT { return SystemCallError("unlink \(temporary)") }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, mode)
        guard fd >= 0 else { return SystemCallError("open \(temporary)") }
        do {
            try FileIO.writeAll(fd, bytes)
        } catch {
            FileIO.close(fd)
            unlink(temporary)
            return error
        }
        FileIO.close(fd)
        if rename(temporary, path) != 0 {
            let failure = SystemCallError("rename \(temporary)")
            unlink(temporary)
            return failure
        }
        return nil
    }
}
