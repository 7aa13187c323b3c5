import BPFGuardCore
import Glibc

/// The known-programs state file on disk (`--known-programs`, by default
/// `/var/lib/audisp-bpfguard/known-programs`): what the previous run of the plugin accounted
/// for, read once at start-up; written by `ProgramReconciliationStage` within a second of a
/// change and at exit. Its content is `KnownPrograms`.
struct KnownProgramsStore {
    static let defaultPath = "/var/lib/audisp-bpfguard/known-programs"
    static let bootIDPath = "/proc/sys/kernel/random/boot_id"

    let path: String

    /// This boot's id; nil when it cannot be read (then no state is read or written: load
    /// times of different boots cannot be compared).
    static func currentBootID(path: String = bootIDPath) -> String? {
        guard let bytes = try? readRegularFile(path, limit: 64) else { return nil }
        let text = String(decoding: bytes.prefix { $0 != 0x0A }, as: UTF8.self)
        return KnownPrograms.isBootID(text) ? text : nil
    }

    /// What the previous run left, and a line saying so for the log (nil when nothing
    /// needs saying); a damaged or foreign file is reported as an error and ignored.
    func readPrevious(bootID: String) -> (previous: ProgramReconciler.PreviousRun, message: (SyslogPriority, String)?) {
        let bytes: [UInt8]
        do {
            bytes = try Self.readRegularFile(path, limit: KnownPrograms.maximumBytes)
        } catch {
            if error.code == ENOENT {
                return (.none, (.info, "no known-programs file \(path) (first start): the programs loaded now are taken as they are"))
            }
            return (.unusable, (.err, "cannot read the known-programs file \(path): \(error): ignored; the programs loaded now are taken as they are"))
        }
        switch KnownPrograms.parse(bytes) {
        case .failure(let problem):
            return (.unusable, (.err, "the known-programs file \(path) is damaged or not ours (\(problem)): ignored; the programs loaded now are taken as they are"))
        case .success(let state) where state.bootID != bootID:
            return (.otherBoot, (.info, "the known-programs file \(path) is from an earlier boot: the programs loaded now are taken as they are"))
        case .success(let state):
            return (.known(state), nil)
        }
    }

    /// Reads a regular file without following a symbolic link and without blocking (a
    /// FIFO in its place must not stall start-up).
    static func readRegularFile(_ path: String, limit: Int) throws(SystemCallError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { throw SystemCallError("open") }
        defer { FileIO.close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw SystemCallError("fstat") }
        guard status.st_mode & S_IFMT == S_IFREG else { throw SystemCallError("open", code: EINVAL) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = try FileIO.read(fd, into: &chunk)
            if count == 0 { return result }
            result += chunk[..<count]
            if result.count > limit { throw SystemCallError("read", code: EFBIG) }
        }
    }
}
