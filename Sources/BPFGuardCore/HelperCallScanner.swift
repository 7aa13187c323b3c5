/// Names the helper functions a program calls, from its translated instructions.
///
/// The kernel dumps a helper call (`BPF_JMP | BPF_CALL`, source register 0) with `imm` set to
/// the helper's address minus `__bpf_call_base` (when the reader may see kernel addresses;
/// otherwise 0), and a tail call as `imm = BPF_FUNC_tail_call`. With the kernel's symbol
/// table the offset names the function: `bpf_send_signal`, `bpf_probe_write_user`, …
public struct HelperCallScanner: Sendable {
    /// Kernel functions by their offset from `__bpf_call_base`.
    public let functionsByOffset: [Int64: String]

    public init(functionsByOffset: [Int64: String]) {
        self.functionsByOffset = functionsByOffset
    }

    static let callOpcode: UInt8 = 0x85  // BPF_JMP | BPF_CALL
    static let tailCallHelperID: Int32 = 12  // BPF_FUNC_tail_call

    /// Helper names called by `instructions` (8 bytes each, little-endian), sorted and
    /// unique; an unnamed address is `unknown`.
    public func helpers(in instructions: [UInt8]) -> [String] {
        var names = Set<String>()
        var index = 0
        while index + 8 <= instructions.count {
            defer { index += 8 }
            guard instructions[index] == Self.callOpcode, instructions[index + 1] >> 4 == 0 else { continue }
            let imm = Int32(bitPattern: UInt32(instructions[index + 4]) | UInt32(instructions[index + 5]) << 8
                | UInt32(instructions[index + 6]) << 16 | UInt32(instructions[index + 7]) << 24)
            if let name = functionsByOffset[Int64(imm)] {
                names.insert(name)
            } else if imm == Self.tailCallHelperID {
                names.insert("bpf_tail_call")
            } else {
                names.insert("unknown")
            }
        }
        return names.sorted()
    }

    /// Builds the table from the bytes of /proc/kallsyms, looking only at the lines of text
    /// symbols named `bpf_…` or `__bpf_call_base` (the file has some 100,000 lines).
    public static func fromKallsyms(bytes: [UInt8]) -> HelperCallScanner? {
        let bpfPrefix = Array(" bpf_".utf8), callBase = Array(" __bpf_call_base".utf8)
        var lines: [Substring] = []
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
            // ADDRESS T NAME: the name starts after the second space.
            var space = start
            var spaces = 0
            while space < end, spaces < 2 {
                if bytes[space] == UInt8(ascii: " ") { spaces += 1 }
                if spaces < 2 { space += 1 }
            }
            if spaces == 2 {
                let rest = bytes[space..<end]
                if rest.starts(with: bpfPrefix) || rest.elementsEqual(callBase) {
                    lines.append(Substring(String(decoding: bytes[start..<end], as: UTF8.self)))
                }
            }
            start = end + 1
        }
        return fromKallsyms(lines)
    }

    /// Builds the table from /proc/kallsyms text (`ADDRESS TYPE NAME [MODULE]` lines): the
    /// text symbols whose name starts with `bpf_`, by offset from `__bpf_call_base`. Nil when
    /// `__bpf_call_base` is missing or addresses are hidden (all zero).
    public static func fromKallsyms(_ lines: some Sequence<Substring>) -> HelperCallScanner? {
        var base: Int64?
        var candidates: [(address: UInt64, name: String)] = []
        for line in lines {
            let parts = line.split(maxSplits: 3, omittingEmptySubsequences: true) { $0 == " " || $0 == "\t" }
            guard parts.count >= 3, parts[1] == "T" || parts[1] == "t", let address = UInt64(parts[0], radix: 16) else { continue }
            let name = parts[2]
            if name == "__bpf_call_base" {
                base = Int64(bitPattern: address)
            } else if name.hasPrefix("bpf_"), parts.count == 3 {  // module symbols have a 4th column
                candidates.append((address, String(name)))
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
        return HelperCallScanner(functionsByOffset: table)
    }
}
