/// The start of an audit record line: `[node=NAME ]type=TYPE msg=audit(SEC.MSEC:SERIAL):`.
public struct AuditRecordHeader: Hashable, Sendable {
    /// Byte range of NAME in the line, when there is a `node=` prefix.
    public var node: Range<Int>?
    /// Byte range of TYPE (`BPF`, `SYSCALL`, `UNKNOWN[1334]`).
    public var type: Range<Int>
    public var timestamp: AuditTimestamp
    /// Offset of the first byte after `):`.
    public var bodyStart: Int

    /// Parses the header of `line` (without its newline); nil when the line is not an audit record.
    public static func parse(_ line: UnsafeBufferPointer<UInt8>) -> AuditRecordHeader? {
        var index = 0
        var node: Range<Int>?
        if ByteSearch.matches("node=", in: line, at: 0) {
            let start = 5
            index = start
            var nonASCII = false
            while index < line.count, line[index] != UInt8(ascii: " ") {
                // Control bytes (0x1D separates ENRICHED fields) would change how libauparse
                // cuts the line, and libauparse reads only the first 340 bytes of a node.
                guard line[index] > 0x20, line[index] != 0x7F else { return nil }
                nonASCII = nonASCII || line[index] >= 0x80
                index += 1
            }
            guard index > start, index - start <= maximumNodeLength, index < line.count else { return nil }
            // Node names become text: two names that differ only in invalid UTF-8 would merge.
            if nonASCII, !AlertEscaping.isValidUTF8(line[start..<index]) { return nil }
            node = start..<index
            index += 1
        }
        guard ByteSearch.matches("type=", in: line, at: index) else { return nil }
        index += 5
        let typeStart = index
        // Up to the space; only upper-case letters, digits, `_`, `[` and `]`.
        while index < line.count, line[index] != UInt8(ascii: " ") {
            let byte = line[index]
            let isUpper = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")
            let isDigit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
            guard isUpper || isDigit || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "[") || byte == UInt8(ascii: "]") else { return nil }
            index += 1
        }
        guard index > typeStart else { return nil }
        let type = typeStart..<index
        guard ByteSearch.matches(" msg=audit(", in: line, at: index) else { return nil }
        index += 11
        guard let seconds = number(in: line, at: &index), skip(UInt8(ascii: "."), in: line, at: &index),
              seconds <= maximumSeconds,
              let milliseconds = number(in: line, at: &index), milliseconds < 1000, skip(UInt8(ascii: ":"), in: line, at: &index),
              let serial = number(in: line, at: &index), skip(UInt8(ascii: ")"), in: line, at: &index),
              skip(UInt8(ascii: ":"), in: line, at: &index)
        else { return nil }
        return AuditRecordHeader(
            node: node, type: type,
            timestamp: AuditTimestamp(seconds: seconds, milliseconds: UInt32(milliseconds), serial: serial),
            bodyStart: index
        )
    }

    /// The longest node name accepted (a host name is at most 253 bytes); longer names are
    /// malformed input.
    public static let maximumNodeLength = 255
    /// The latest time accepted, 9999-12-31T23:59:59Z: later stamps cannot come from a
    /// kernel clock, and bounding them keeps time arithmetic (milliseconds) from overflowing.
    public static let maximumSeconds: UInt64 = 253_402_300_799

    private static func skip(_ byte: UInt8, in line: UnsafeBufferPointer<UInt8>, at index: inout Int) -> Bool {
        guard index < line.count, line[index] == byte else { return false }
        index += 1
        return true
    }

    /// 1 to 20 decimal digits that fit a UInt64. Up to 19 digits cannot overflow, so only a
    /// 20-digit number is read again with checks (every record has three numbers).
    private static func number(in line: UnsafeBufferPointer<UInt8>, at index: inout Int) -> UInt64? {
        let start = index
        var value: UInt64 = 0
        while index < line.count, line[index] &- UInt8(ascii: "0") < 10 {
            value = value &* 10 &+ UInt64(line[index] &- UInt8(ascii: "0"))
            index += 1
        }
        let digits = index - start
        guard digits > 0, digits <= 20 else { return nil }
        guard digits == 20 else { return value }
        value = 0
        for position in start..<index {
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = shifted.addingReportingOverflow(UInt64(line[position] &- UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
        }
        return value
    }
}
