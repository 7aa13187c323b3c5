import BPFGuardCore
import Glibc

/// One pass over /proc for the programs whose loader is wanted at that moment: every
/// process's descriptors are visited once, whatever the number of programs wanted, and
/// each wanted program gets the first process found holding it (described from /proc) and
/// the number of processes holding it.
///
/// A descriptor is looked at through its `/proc/PID/fd/N` link (one readlink); only BPF
/// program and link descriptors have their `/proc/PID/fdinfo/N` read (see
/// `ProcDescriptorParsing`). Bounded (`Budget`): the pass stops when its CPU time or its
/// wall-clock time runs out, and a program it did not reach counts as not found. Runs on
/// the recovery worker thread.
struct ProcHolderScan {
    var procRoot = "/proc"

    /// What a pass may spend. CPU time bounds its cost (each descriptor is a readlink, 3 to
    /// 6 µs); wall-clock time bounds how late its answers come, since a machine busy with
    /// other work slows the pass without making it cost more.
    struct Budget {
        /// CPU milliseconds of the scanning thread.
        var cpuMilliseconds: UInt64
        /// Monotonic milliseconds at which the pass stops in any case.
        var deadline: UInt64

        /// Reading clocks costs a little too: the budget is checked every few descriptors.
        static let checkEvery = 32

        fileprivate var cpuStart: UInt64 = 0
        fileprivate var calls = 0

        init(cpuMilliseconds: UInt64, deadline: UInt64) {
            self.cpuMilliseconds = cpuMilliseconds
            self.deadline = deadline
        }

        fileprivate mutating func start() {
            cpuStart = Clock.threadCPUMilliseconds()
        }

        /// Whether the pass must stop (checked on every `checkEvery`th call).
        fileprivate mutating func isSpent() -> Bool {
            calls &+= 1
            guard calls % Self.checkEvery == 0 else { return false }
            return Clock.monotonicMilliseconds() >= deadline || Clock.threadCPUMilliseconds() &- cpuStart >= cpuMilliseconds
        }
    }

    struct Result {
        /// The loader found for each wanted program that some process held.
        var loaders: [UInt32: RecoveredLoader] = [:]
    }

    /// Scans /proc for the holders of `wanted`, within `budget`.
    func pass(wanted: Set<UInt32>, budget: Budget) -> Result {
        var result = Result()
        guard !wanted.isEmpty else { return result }
        guard let proc = opendir(procRoot) else { return result }
        defer { closedir(proc) }
        let ownPID = UInt32(getpid())
        var tally = ProgramHolderTally(wanted: wanted)
        var described: [UInt32: ProcessContext] = [:]
        var buffers = Buffers()
        var budget = budget
        budget.start()
        while let entry = readdir(proc) {
            guard let pid = Self.number(entry), pid != ownPID else { continue }
            let finished = scanDescriptors(of: pid, budget: &budget, buffers: &buffers) { programID in
                // The first holder that can still be described speaks for the program.
                if tally.note(programID: programID, pid: pid), described[programID] == nil {
                    described[programID] = describe(pid: pid)
                }
            }
            if !finished { break }
        }
        for (programID, process) in described {
            if let holders = tally.holders(of: programID) {
                result.loaders[programID] = RecoveredLoader(process: process, holders: holders.count)
            }
        }
        return result
    }

    /// Reusable read buffers: a pass reads tens of thousands of links.
    private struct Buffers {
        /// The targets that matter (`anon_inode:bpf-prog`, `anon_inode:bpf_link`) are short;
        /// a longer target fills the buffer and is no match.
        var linkTarget = [UInt8](repeating: 0, count: 64)
        var fdinfo = [UInt8](repeating: 0, count: 4096)
    }

    /// Calls `found` with the program of each BPF descriptor of process `pid`. Returns false
    /// when the budget ran out before the process was done.
    private func scanDescriptors(of pid: UInt32, budget: inout Budget, buffers: inout Buffers, found: (UInt32) -> Void) -> Bool {
        if budget.isSpent() { return false }
        let directory = open("\(procRoot)/\(pid)/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0, let descriptors = fdopendir(directory) else {
            if directory >= 0 { close(directory) }
            return true  // gone, or a kernel thread
        }
        defer { closedir(descriptors) }
        while let entry = readdir(descriptors) {
            if budget.isSpent() { return false }
            guard Self.number(entry) != nil else { continue }
            let length = buffers.linkTarget.withUnsafeMutableBytes { target in
                readlinkat(directory, DirectoryEntryName.cString(entry), target.baseAddress!.assumingMemoryBound(to: CChar.self), target.count)
            }
            guard length > 0, length < buffers.linkTarget.count else { continue }
            let holdsProgram = buffers.linkTarget.withUnsafeBytes {
                ProcDescriptorParsing.mayHoldProgram(linkTarget: UnsafeRawBufferPointer(rebasing: $0[..<length]))
            }
            guard holdsProgram else { continue }
            let name = DirectoryEntryName.string(entry)
            if let programID = readProgramID(fdinfo: "\(procRoot)/\(pid)/fdinfo/\(name)", buffer: &buffers.fdinfo) {
                found(programID)
            }
        }
        return true
    }

    private func readProgramID(fdinfo path: String, buffer: inout [UInt8]) -> UInt32? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return buffer.withUnsafeMutableBytes { bytes -> UInt32? in
            let count = read(fd, bytes.baseAddress, bytes.count)
            guard count > 0 else { return nil }
            return ProcDescriptorParsing.programID(fdinfo: UnsafeRawBufferPointer(rebasing: bytes[..<count]))
        }
    }

    /// uid, euid, gid, pid, ppid, auid, ses, comm, exe and cmdline of a process, from /proc; nil when
    /// it has gone.
    func describe(pid: UInt32) -> ProcessContext? {
        guard let status = Self.readSmallFile("\(procRoot)/\(pid)/status") else { return nil }
        var context = ProcessContext(pid: pid)
        ProcStatusParsing.apply(status: status, to: &context)
        if let comm = Self.readSmallFile("\(procRoot)/\(pid)/comm") { context.comm = ProcStatusParsing.command(comm) }
        var target = [CChar](repeating: 0, count: 4096)
        let count = readlink("\(procRoot)/\(pid)/exe", &target, target.count)
        if count > 0 { context.exe = target[..<count].map { UInt8(bitPattern: $0) } }
        if let cmdline = try? FileIO.readFile("\(procRoot)/\(pid)/cmdline", limit: 1 << 20) { context.cmdline = ProcessTitle.text(procCmdline: cmdline) }
        if let loginuid = Self.readSmallFile("\(procRoot)/\(pid)/loginuid") { context.auid = ProcStatusParsing.number(loginuid) }
        if let session = Self.readSmallFile("\(procRoot)/\(pid)/sessionid") { context.ses = ProcStatusParsing.number(session) }
        return context
    }

    /// A directory entry's name as a number (a pid or a descriptor), nil for other names.
    private static func number(_ entry: UnsafeMutablePointer<dirent>) -> UInt32? {
        let name = DirectoryEntryName.bytes(entry)
        guard let first = name.first, first >= 0x30, first <= 0x39 else { return nil }
        return ProcDescriptorParsing.decimal(name)
    }

    /// The first 8 KiB of a /proc file (status, comm and the id files are smaller).
    private static func readSmallFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 8192)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count >= 0 else { return nil }
        return Array(buffer[..<count])
    }
}
