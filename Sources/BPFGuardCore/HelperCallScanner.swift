/// Names the functions a program calls, from its translated instructions.
///
/// The kernel dumps a call (`BPF_JMP | BPF_CALL`) with `imm` set to the called function's
/// address minus `__bpf_call_base` (when the reader may see kernel addresses; otherwise 0),
/// and a tail call as `imm = BPF_FUNC_tail_call`. The source register says what is called:
/// 0 a helper (or the map type's function the verifier put in its place, named back by
/// `HelperNaming`), 2 a kfunc (its address on x86-64 and most architectures; its BTF id
/// where the kernel keeps far kfunc calls unresolved), 1 another function of the program
/// itself, which is left out. With the kernel's symbol table the offset names the
/// function: `bpf_send_signal`, `bpf_probe_write_user`, `bpf_send_signal_task`, …
public struct HelperCallScanner: Sendable {
    /// Helper names by their function's offset from `__bpf_call_base`.
    public let functionsByOffset: [Int64: String]
    /// kfunc names by BTF id (vmlinux BTF), for kfunc calls that carry the id.
    public let kfuncsByBTFID: [UInt32: String]
    /// `__bpf_call_base`'s address (0 when unknown), to look further offsets up.
    public let callBase: UInt64

    public init(functionsByOffset: [Int64: String], kfuncsByBTFID: [UInt32: String] = [:], callBase: UInt64 = 0) {
        self.functionsByOffset = functionsByOffset
        self.kfuncsByBTFID = kfuncsByBTFID
        self.callBase = callBase
    }

    static let callOpcode: UInt8 = 0x85  // BPF_JMP | BPF_CALL
    static let tailCallHelperID: Int32 = 12  // BPF_FUNC_tail_call
    static let pseudoCall: UInt8 = 1  // BPF_PSEUDO_CALL: a function of the program
    static let kfuncCall: UInt8 = 2  // BPF_PSEUDO_KFUNC_CALL

    /// Helper and kfunc names called by `instructions` (8 bytes each, little-endian),
    /// sorted and unique. Offsets missing from the table are given to `resolve` at once
    /// (a symbol name per offset it knows; the executable reads the kernel's symbol
    /// table again); a call nothing names is `unknown`.
    public func helpers(in instructions: [UInt8], resolve: (Set<Int64>) -> [Int64: String] = { _ in [:] }) -> [String] {
        var names = Set<String>()
        var unresolved = Set<Int64>()
        var index = 0
        while index + 8 <= instructions.count {
            defer { index += 8 }
            let source = instructions[index + 1] >> 4
            guard instructions[index] == Self.callOpcode, source != Self.pseudoCall else { continue }
            let imm = Int32(bitPattern: UInt32(instructions[index + 4]) | UInt32(instructions[index + 5]) << 8
                | UInt32(instructions[index + 6]) << 16 | UInt32(instructions[index + 7]) << 24)
            let offset = Int16(bitPattern: UInt16(instructions[index + 2]) | UInt16(instructions[index + 3]) << 8)
            if let name = functionsByOffset[Int64(imm)] {
                names.insert(name)
            } else if source == 0 && imm == Self.tailCallHelperID {
                names.insert("bpf_tail_call")
            } else if source == Self.kfuncCall, offset == 0, imm > 0, let name = kfuncsByBTFID[UInt32(imm)] {
                names.insert(name)
            } else if source == 0 || source == Self.kfuncCall {
                unresolved.insert(Int64(imm))
            }
        }
        if !unresolved.isEmpty {
            let found = resolve(unresolved)
            for offset in unresolved {
                names.insert(found[offset].map(HelperNaming.helperName(forSymbol:)) ?? "unknown")
            }
        }
        return names.sorted()
    }

    /// Builds the table from the bytes of /proc/kallsyms, looking only at the lines of the
    /// symbols that can be call targets: `bpf_…` functions, map operations, and the kfuncs
    /// in `kfuncNames` (from BTF), besides `__bpf_call_base` (the file has some 200,000 lines).
    public static func fromKallsyms(bytes: [UInt8], kfuncNames: Set<String> = [], kfuncsByBTFID: [UInt32: String] = [:]) -> HelperCallScanner? {
        let kfuncLengths = Set(kfuncNames.map(\.utf8.count))
        var lines: [Substring] = []
        bytes.withUnsafeBufferPointer { buffer in
            var start = 0
            while start < buffer.count {
                var end = start
                while end < buffer.count, buffer[end] != UInt8(ascii: "\n") { end += 1 }
                defer { start = end + 1 }
                // ADDRESS T NAME[\t[MODULE]]: the name starts after the second space.
                var nameStart = start, spaces = 0
                while nameStart < end, spaces < 2 {
                    if buffer[nameStart] == UInt8(ascii: " ") { spaces += 1 }
                    nameStart += 1
                }
                guard spaces == 2 else { continue }
                var nameEnd = nameStart
                while nameEnd < end, buffer[nameEnd] != UInt8(ascii: "\t"), buffer[nameEnd] != UInt8(ascii: " ") { nameEnd += 1 }
                let name = UnsafeBufferPointer(rebasing: buffer[nameStart..<nameEnd])
                let wanted = Self.starts(name, with: bpfPrefix) || name.elementsEqual(callBaseName)
                    || mapOperationEndings.contains { Self.ends(name, with: $0) }
                    || (kfuncLengths.contains(name.count) && kfuncNames.contains(String(decoding: name, as: UTF8.self)))
                if wanted { lines.append(Substring(String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<end]), as: UTF8.self))) }
            }
        }
        return fromKallsyms(lines, kfuncNames: kfuncNames, kfuncsByBTFID: kfuncsByBTFID)
    }

    private static let bpfPrefix = Array("bpf_".utf8)
    private static let callBaseName = Array("__bpf_call_base".utf8)
    private static let mapOperationEndings = ["_elem", "_map_redirect", "_map_lookup", "_hash_lookup"].map { Array($0.utf8) }

    private static func starts(_ name: UnsafeBufferPointer<UInt8>, with prefix: [UInt8]) -> Bool {
        guard name.count >= prefix.count else { return false }
        for index in prefix.indices where name[index] != prefix[index] { return false }
        return true
    }

    private static func ends(_ name: UnsafeBufferPointer<UInt8>, with suffix: [UInt8]) -> Bool {
        guard name.count > suffix.count else { return false }
        let offset = name.count - suffix.count
        for index in suffix.indices where name[offset + index] != suffix[index] { return false }
        return true
    }

    /// Builds the table from /proc/kallsyms text (`ADDRESS TYPE NAME [MODULE]` lines): the
    /// text symbols that are helpers (`bpf_…`, built in), map operations (named after the
    /// helper, `HelperNaming`) and kfuncs (`kfuncNames`, modules included), by offset from
    /// `__bpf_call_base`. Nil when `__bpf_call_base` is missing or addresses are hidden
    /// (all zero).
    public static func fromKallsyms(_ lines: some Sequence<Substring>, kfuncNames: Set<String> = [], kfuncsByBTFID: [UInt32: String] = [:]) -> HelperCallScanner? {
        var base: Int64?
        var candidates: [(address: UInt64, name: String)] = []
        for line in lines {
            let parts = line.split(maxSplits: 3, omittingEmptySubsequences: true) { $0 == " " || $0 == "\t" }
            guard parts.count >= 3, parts[1] == "T" || parts[1] == "t", let address = UInt64(parts[0], radix: 16) else { continue }
            let name = String(parts[2])
            let builtIn = parts.count == 3  // module symbols have a 4th column
            if name == "__bpf_call_base" {
                base = Int64(bitPattern: address)
            } else if kfuncNames.contains(name) || HelperNaming.isMapOperation(name) {
                candidates.append((address, HelperNaming.helperName(forSymbol: name)))
            } else if name.hasPrefix("bpf_"), builtIn {
                candidates.append((address, name))
            }
        }
        guard let base, base != 0 else { return nil }
        var table: [Int64: String] = [:]
        for candidate in candidates {
            let offset = Int64(bitPattern: candidate.address) &- base
            guard offset >= Int64(Int32.min), offset <= Int64(Int32.max) else { continue }
            // Keep the first name for an address (aliases are rare).
            if table[offset] == nil { table[offset] = candidate.name }
        }
        return HelperCallScanner(functionsByOffset: table, kfuncsByBTFID: kfuncsByBTFID, callBase: UInt64(bitPattern: base))
    }
}
