/// The /proc files that tell who holds a BPF program, read by the executable and parsed
/// here: a process holds a program when one of its descriptors is the program itself or a
/// BPF link to it (`/proc/PID/fd/N` points to `anon_inode:bpf-prog` or
/// `anon_inode:bpf_link`), and that descriptor's `/proc/PID/fdinfo/N` names the program in
/// a `prog_id:` line. Telling the two descriptor kinds apart from the link target first
/// spares reading the fdinfo of every other descriptor (one readlink instead of an open,
/// read and close: a host may hold tens of thousands of descriptors).
public enum ProcDescriptorParsing {
    private static let programTarget = Array("anon_inode:bpf-prog".utf8)
    private static let linkTarget = Array("anon_inode:bpf_link".utf8)
    private static let programIDKey = Array("prog_id:".utf8)

    /// Whether a descriptor whose `/proc/PID/fd/N` link reads `target` may name a program
    /// in its fdinfo (a BPF program or a BPF link descriptor).
    public static func mayHoldProgram(linkTarget target: UnsafeRawBufferPointer) -> Bool {
        target.elementsEqual(programTarget) || target.elementsEqual(linkTarget)
    }

    /// The program an fdinfo file names (`prog_id:\tN`), or nil when it names none (other
    /// descriptor kinds, a malformed or overlong number).
    public static func programID(fdinfo: UnsafeRawBufferPointer) -> UInt32? {
        var lineStart = 0
        while lineStart < fdinfo.count {
            var lineEnd = lineStart
            while lineEnd < fdinfo.count && fdinfo[lineEnd] != 0x0A { lineEnd += 1 }
            let line = UnsafeRawBufferPointer(rebasing: fdinfo[lineStart..<lineEnd])
            if line.starts(with: programIDKey) {
                return decimal(UnsafeRawBufferPointer(rebasing: line[programIDKey.count...]))
            }
            lineStart = lineEnd + 1
        }
        return nil
    }

    /// A decimal number after optional blanks, alone on its line (trailing blanks allowed);
    /// nil when it is empty, not decimal or does not fit 32 bits.
    public static func decimal(_ bytes: UnsafeRawBufferPointer) -> UInt32? {
        var value: UInt32 = 0
        var digits = 0
        var index = 0
        while index < bytes.count && (bytes[index] == 0x09 || bytes[index] == 0x20) { index += 1 }
        while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt32(bytes[index] - 0x30))
            guard !overflow1 && !overflow2 else { return nil }
            value = sum
            digits += 1
            index += 1
        }
        while index < bytes.count && (bytes[index] == 0x09 || bytes[index] == 0x20 || bytes[index] == 0x0A) { index += 1 }
        return digits > 0 && index == bytes.count ? value : nil
    }
}
