import BPFGuardCore
import CBPF
import Glibc

/// Every program the kernel has loaded, with its load time and creator, for the periodic
/// scan (on the reconciliation worker thread). One `bpf_prog_get_next_id` per program; a
/// program not seen by the previous walk is also opened by id and described
/// (`bpf_obj_get_info_by_fd` without instructions: no helper scan here).
///
/// A program seen by the previous walk keeps the load time found then: the kernel hands out
/// program ids cyclically up to 2^31, so an id present in two walks at most `scan_interval`
/// (10 minutes at most) apart is the same program unless 2^31 programs were loaded in
/// between. This keeps a walk over 10,000 programs at about 15 ms instead of 56 ms
/// (BENCHMARKS.md).
struct KernelProgramWalk {
    private var previous: [UInt32: ScannedProgram] = [:]
    /// Programs opened and described (not known from the previous walk).
    private(set) var descriptions: UInt64 = 0
    /// Lookups that failed for another reason than the program being gone (EPERM…).
    private(set) var failures: UInt64 = 0
    private(set) var lastFailure: String?

    /// The programs loaded now, by id (at most `limit`, like the start-up inventory).
    mutating func walk(limit: Int = 1_000_000) -> [ScannedProgram] {
        var programs: [ScannedProgram] = []
        programs.reserveCapacity(previous.count)
        var current: UInt32 = 0
        while programs.count < limit {
            var next: UInt32 = 0
            guard bpf_prog_get_next_id(current, &next) == 0 else { break }
            current = next
            if let known = previous[next] {
                programs.append(known)
            } else if let described = describe(next) {
                programs.append(described)
            }
        }
        previous = Dictionary(uniqueKeysWithValues: programs.map { ($0.programID, $0) })
        return programs
    }

    /// The load time and creator of program `id`; nil when it is gone (or cannot be read).
    private mutating func describe(_ id: UInt32) -> ScannedProgram? {
        let fd = bpf_prog_get_fd_by_id(id)
        guard fd >= 0 else {
            let code = errno
            if code != ENOENT {
                failures &+= 1
                lastFailure = "bpf_prog_get_fd_by_id(\(id)): \(String(cString: strerror(code)))"
            }
            return nil
        }
        defer { close(fd) }
        descriptions &+= 1
        var info = bpf_prog_info()
        var length = UInt32(MemoryLayout<bpf_prog_info>.size)
        guard bpf_obj_get_info_by_fd(fd, &info, &length) == 0 else {
            failures &+= 1
            lastFailure = "bpf_obj_get_info_by_fd(\(id)): \(String(cString: strerror(errno)))"
            return nil
        }
        return ScannedProgram(programID: id, loadTime: info.load_time, createdByUID: info.created_by_uid)
    }
}
