import BPFGuardCore
import Glibc

/// Finds the process that holds a file descriptor of a program (`/proc/PID/fdinfo/FD` has a
/// `prog_id:` line for program and link descriptors) and describes it from /proc: the loader
/// of a BPF record that came without SYSCALL context. Bounded in time: the scan stops after
/// `budgetMilliseconds`.
struct ProcLoaderFinder {
    var budgetMilliseconds: UInt64 = 100
    var procRoot = "/proc"

    /// The holder of the program, or nil when none was found (or the time ran out).
    func find(programID: UInt32) -> ProcessContext? {
        let deadline = Clock.monotonicMilliseconds() + budgetMilliseconds
        guard let proc = opendir(procRoot) else { return nil }
        defer { closedir(proc) }
        let wanted = "prog_id:\t\(programID)"
        while let entry = readdir(proc) {
            if Clock.monotonicMilliseconds() > deadline { return nil }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let pid = UInt32(name), pid != UInt32(getpid()) else { continue }
            if holdsProgram(pid: pid, line: wanted, deadline: deadline) {
                return describe(pid: pid)
            }
        }
        return nil
    }

    private func holdsProgram(pid: UInt32, line wanted: String, deadline: UInt64) -> Bool {
        let directory = "\(procRoot)/\(pid)/fdinfo"
        guard let fds = opendir(directory) else { return false }
        defer { closedir(fds) }
        while let entry = readdir(fds) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard UInt32(name) != nil else { continue }
            guard let text = Self.readSmallFile("\(directory)/\(name)") else { continue }
            if text.split(separator: "\n").contains(where: { $0 == wanted }) { return true }
            if Clock.monotonicMilliseconds() > deadline { return false }
        }
        return false
    }

    /// uid, euid, gid, pid, ppid, comm and exe of a process, from /proc.
    func describe(pid: UInt32) -> ProcessContext? {
        guard let status = Self.readSmallFile("\(procRoot)/\(pid)/status") else { return nil }
        var context = ProcessContext(pid: pid)
        for line in status.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            guard let key = parts.first else { continue }
            switch key {
            case "Uid:" where parts.count >= 3:
                context.uid = UInt32(parts[1]); context.euid = UInt32(parts[2])
            case "Gid:" where parts.count >= 2:
                context.gid = UInt32(parts[1])
            case "PPid:" where parts.count >= 2:
                context.ppid = UInt32(parts[1])
            default: break
            }
        }
        if let comm = Self.readSmallFile("\(procRoot)/\(pid)/comm") {
            context.comm = Array(comm.utf8.prefix { $0 != 10 })
        }
        var target = [CChar](repeating: 0, count: 4096)
        let count = readlink("\(procRoot)/\(pid)/exe", &target, target.count)
        if count > 0 { context.exe = target[..<count].map { UInt8(bitPattern: $0) } }
        if let loginuid = Self.readSmallFile("\(procRoot)/\(pid)/loginuid") { context.auid = UInt32(loginuid) }
        if let session = Self.readSmallFile("\(procRoot)/\(pid)/sessionid") { context.ses = UInt32(session) }
        return context
    }

    static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 8192)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard count >= 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }
}
