import BPFGuardCore
import CBPF
import Glibc

/// Names of the kernel functions BPF programs call, beyond what the start-up table holds.
enum KernelFunctionNames {
    /// The kfuncs of the running kernel, from its BTF (`/sys/kernel/btf/vmlinux`, read with
    /// libbpf): the functions carrying the `bpf_kfunc` declaration tag (pahole adds it since
    /// Linux 6.9), by BTF id. Empty without BTF or without the tags (older kernels: their
    /// kfunc calls are named from /proc/kallsyms when they are met).
    static func vmlinuxKfuncs() -> [UInt32: String] {
        guard let btf = btf__load_vmlinux_btf() else { return [:] }
        defer { btf__free(btf) }
        var result: [UInt32: String] = [:]
        let count = btf__type_cnt(btf)
        var id: UInt32 = 1
        while id < count {
            defer { id += 1 }
            guard let type = btf__type_by_id(btf, id), btf_is_decl_tag(type),
                  btf_decl_tag(type)?.pointee.component_idx == -1,
                  let tag = btf__name_by_offset(btf, type.pointee.name_off), String(cString: tag) == "bpf_kfunc",
                  let function = btf__type_by_id(btf, type.pointee.type), btf_is_func(function),
                  let name = btf__name_by_offset(btf, function.pointee.name_off)
            else { continue }
            result[type.pointee.type] = String(cString: name)
        }
        return result
    }
}

/// Looks up kernel symbols by address in /proc/kallsyms when a program calls a function
/// the start-up table does not name (a kfunc of an older kernel, a helper variant, a module
/// function). Results, found or not, are remembered (at most `capacity`), so the file is
/// read again only for addresses never seen.
final class KallsymsResolver {
    static let capacity = 4096
    let path: String
    let callBase: UInt64
    private var known: [Int64: String?] = [:]
    private(set) var reads = 0

    init(callBase: UInt64, path: String = "/proc/kallsyms") {
        self.callBase = callBase
        self.path = path
    }

    /// Symbol names for offsets from `__bpf_call_base` (text symbols only).
    func names(_ offsets: Set<Int64>) -> [Int64: String] {
        let missing = offsets.filter { known[$0] == nil }
        if !missing.isEmpty, callBase != 0, let bytes = try? FileIO.readFile(path, limit: 64 << 20) {
            reads += 1
            if known.count + missing.count > Self.capacity { known.removeAll() }
            var wanted: [UInt64: Int64] = [:]
            for offset in missing { wanted[callBase &+ UInt64(bitPattern: offset)] = offset }
            var found: [Int64: String] = [:]
            for line in bytes.split(separator: UInt8(ascii: "\n")) {
                let parts = line.split(separator: UInt8(ascii: " "), maxSplits: 2)
                guard parts.count == 3, parts[1] == [UInt8(ascii: "T")] || parts[1] == [UInt8(ascii: "t")],
                      let address = UInt64(String(decoding: parts[0], as: UTF8.self), radix: 16),
                      let offset = wanted[address], found[offset] == nil
                else { continue }
                found[offset] = String(decoding: parts[2].prefix { $0 != UInt8(ascii: "\t") }, as: UTF8.self)
            }
            for offset in missing { known[offset] = .some(found[offset]) }
        }
        var result: [Int64: String] = [:]
        for offset in offsets { if let name = known[offset] ?? nil { result[offset] = name } }
        return result
    }
}
