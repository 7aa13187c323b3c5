import BPFGuardCore
import CBPF
import Glibc

/// Lookups of loaded BPF programs by prog-id, with libbpf (`bpf_prog_get_fd_by_id` +
/// `bpf_obj_get_info_by_fd`). Needs CAP_SYS_ADMIN; naming helpers needs the translated
/// instructions with kernel addresses (CAP_SYSLOG) and the kernel's symbol table.
struct KernelPrograms {
    /// Names helper calls; nil when /proc/kallsyms gave no addresses.
    let scanner: HelperCallScanner?
    /// Names the calls the scanner's table does not (read from /proc/kallsyms on demand).
    let symbols: KallsymsResolver?

    init(scanner: HelperCallScanner?) {
        self.scanner = scanner
        symbols = scanner.map { KallsymsResolver(callBase: $0.callBase) }
    }

    /// The largest translated program read for the helper scan (the kernel's limit is 1M
    /// instructions; larger programs keep `helpers` unknown).
    static let maximumTranslatedBytes: UInt32 = 8 << 20

    func lookup(_ id: UInt32) -> ProgramLookup {
        let fd = bpf_prog_get_fd_by_id(id)
        if fd < 0 {
            let code = errno
            return code == ENOENT ? .gone : .failed("bpf_prog_get_fd_by_id(\(id)): \(String(cString: strerror(code)))")
        }
        defer { close(fd) }
        var info = bpf_prog_info()
        var length = UInt32(MemoryLayout<bpf_prog_info>.size)
        guard bpf_obj_get_info_by_fd(fd, &info, &length) == 0 else {
            return .failed("bpf_obj_get_info_by_fd(\(id)): \(String(cString: strerror(errno)))")
        }
        let name = withUnsafeBytes(of: info.name) { Array($0.prefix { $0 != 0 }) }
        let tag = withUnsafeBytes(of: info.tag) { ProgramInfo.tagText($0) }
        var helpers: [String]?
        if let scanner, info.xlated_prog_len > 0, info.xlated_prog_len <= Self.maximumTranslatedBytes,
           let instructions = translatedInstructions(fd: fd, length: info.xlated_prog_len) {
            helpers = scanner.helpers(in: instructions) { symbols?.names($0) ?? [:] }
        }
        return .found(ProgramInfo(
            type: BPFProgramType(rawValue: info.type), name: name, tag: tag,
            loadTimeNanoseconds: info.load_time, createdByUID: info.created_by_uid,
            mapCount: info.nr_map_ids, btfID: info.btf_id,
            translatedLength: info.xlated_prog_len, jitedLength: info.jited_prog_len,
            helpers: helpers
        ))
    }

    /// The translated instructions, or nil when the kernel withheld them (or zeroed the
    /// call targets: then a helper scan would name nothing).
    private func translatedInstructions(fd: Int32, length: UInt32) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: Int(length))
        var info = bpf_prog_info()
        var infoLength = UInt32(MemoryLayout<bpf_prog_info>.size)
        let status = buffer.withUnsafeMutableBytes { bytes -> Int32 in
            info.xlated_prog_len = length
            info.xlated_prog_insns = UInt64(UInt(bitPattern: bytes.baseAddress))
            return bpf_obj_get_info_by_fd(fd, &info, &infoLength)
        }
        guard status == 0, info.xlated_prog_len <= length else { return nil }
        return Array(buffer.prefix(Int(info.xlated_prog_len)))
    }

    /// Every loaded program's id, in increasing order (`bpf_prog_get_next_id`).
    static func loadedProgramIDs(limit: Int = 1_000_000) -> [UInt32] {
        var ids: [UInt32] = []
        var current: UInt32 = 0
        while ids.count < limit {
            var next: UInt32 = 0
            guard bpf_prog_get_next_id(current, &next) == 0 else { break }
            ids.append(next)
            current = next
        }
        return ids
    }

    /// Reads the helper table from /proc/kallsyms, with the kfuncs the kernel's BTF names.
    static func loadHelperScanner(path: String = "/proc/kallsyms") -> HelperCallScanner? {
        // BTF first: its parsed form is freed before the symbol table is read (a lower peak).
        let kfuncs = KernelFunctionNames.vmlinuxKfuncs()
        guard let bytes = try? FileIO.readFile(path, limit: 64 << 20) else { return nil }
        return HelperCallScanner.fromKallsyms(bytes: bytes, kfuncNames: Set(kfuncs.values), kfuncsByBTFID: kfuncs)
    }
}
