import BPFGuardCore
import Glibc

/// An executable opened for its digest: through `/proc/PID/exe` (the bytes the process
/// really runs, even when the path now names another file) or by its path, with
/// `O_NOFOLLOW` (a symbolic link put in the executable's place is not followed).
final class ExecutableFile {
    let descriptor: Int32
    let stamp: FileStamp

    /// nil when it cannot be opened or is not a regular file. `O_NONBLOCK`: a FIFO put at
    /// the path cannot block the plugin.
    init?(path: String, followLink: Bool) {
        let flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (followLink ? 0 : O_NOFOLLOW)
        let fd = Glibc.open(path, flags)
        guard fd >= 0 else { return nil }
        guard let stamp = FileStamp.of(descriptor: fd), stamp.isRegularFile else {
            Glibc.close(fd)
            return nil
        }
        descriptor = fd
        self.stamp = stamp
    }

    deinit { Glibc.close(descriptor) }

    /// Whether the file's digest equals one of `recorded`; `.unavailable` when nothing is
    /// recorded, the file is larger than `limit` bytes, or a read fails.
    func check(against recorded: [RecordedDigest], limit: Int64, counters: inout VerdictCounters) -> DigestCheck {
        guard !recorded.isEmpty else { return .unavailable }
        guard stamp.size <= limit else {
            counters.tooLarge += 1
            return .unavailable
        }
        let algorithms = Array(Set(recorded.map(\.algorithm)))
        var digesters = algorithms.map(Digester.init)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var offset: Int64 = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(offset)) }
            if count < 0 {
                if errno == EINTR { continue }
                return .unavailable
            }
            if count == 0 { break }
            offset += Int64(count)
            // The file grew past the limit while being read.
            if offset > limit { return .unavailable }
            buffer.withUnsafeBytes { bytes in
                for index in digesters.indices { digesters[index].update(UnsafeRawBufferPointer(rebasing: bytes[..<count])) }
            }
        }
        counters.filesHashed += 1
        counters.bytesHashed &+= UInt64(offset)
        var computed: [DigestAlgorithm: [UInt8]] = [:]
        for index in digesters.indices { computed[algorithms[index]] = digesters[index].finish() }
        return recorded.contains { computed[$0.algorithm] == $0.bytes } ? .match : .mismatch
    }
}
