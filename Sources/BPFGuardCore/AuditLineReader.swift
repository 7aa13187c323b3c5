/// Cuts a byte stream into audit record lines, bounded in memory.
///
/// Complete lines that look like audit records are handed on; blank lines and the
/// separators ausearch prints (`----`, `time->…`) are skipped silently; anything else,
/// and any line longer than `maximumLineLength`, is skipped and counted as malformed.
public struct AuditLineReader: Sendable {
    public static let defaultMaximumLineLength = 65536

    public let maximumLineLength: Int
    public private(set) var malformedLines: UInt64 = 0
    /// The first bytes of the most recent malformed line, for the log.
    public private(set) var lastMalformedSample: [UInt8] = []

    private var pending: [UInt8] = []
    /// True while the rest of an over-long line is being discarded.
    private var discarding = false

    public init(maximumLineLength: Int = AuditLineReader.defaultMaximumLineLength) {
        self.maximumLineLength = maximumLineLength
    }

    /// Bytes held back waiting for their newline.
    public var bufferedByteCount: Int { pending.count }

    /// Feeds `bytes`; calls `handle` with each complete record line (without its newline)
    /// and its parsed header.
    public mutating func consume(_ bytes: UnsafeRawBufferPointer, _ handle: (UnsafeBufferPointer<UInt8>, AuditRecordHeader) -> Void) {
        let input = bytes.bindMemory(to: UInt8.self)
        var start = 0
        while start < input.count {
            guard let newline = input[start...].firstIndex(of: UInt8(ascii: "\n")) else {
                // No newline: keep the tail for the next call, unless it is already too long.
                if discarding { return }
                if pending.count + (input.count - start) > maximumLineLength {
                    noteMalformed(pending.isEmpty ? Array(input[start...].prefix(80)) : Array(pending.prefix(80)))
                    pending.removeAll(keepingCapacity: false)
                    discarding = true
                } else {
                    pending.append(contentsOf: input[start...])
                }
                return
            }
            if discarding {
                discarding = false
            } else if pending.isEmpty {
                handleLine(UnsafeBufferPointer(rebasing: input[start..<newline]), handle)
            } else {
                pending.append(contentsOf: input[start..<newline])
                if pending.count > maximumLineLength {
                    noteMalformed(Array(pending.prefix(80)))
                } else {
                    pending.withUnsafeBufferPointer { handleLine($0, handle) }
                }
                pending.removeAll(keepingCapacity: true)
            }
            start = newline + 1
        }
    }

    /// At end of input: a last line without a newline is still a line.
    public mutating func finish(_ handle: (UnsafeBufferPointer<UInt8>, AuditRecordHeader) -> Void) {
        defer { pending.removeAll(); discarding = false }
        guard !discarding, !pending.isEmpty else { return }
        pending.withUnsafeBufferPointer { handleLine($0, handle) }
    }

    private mutating func handleLine(_ line: UnsafeBufferPointer<UInt8>, _ handle: (UnsafeBufferPointer<UInt8>, AuditRecordHeader) -> Void) {
        var line = line
        if line.last == UInt8(ascii: "\r") { line = UnsafeBufferPointer(rebasing: line.dropLast()) }
        if let header = AuditRecordHeader.parse(line) {
            if line.count > maximumLineLength { noteMalformed(Array(line.prefix(80))); return }
            handle(line, header)
            return
        }
        if Self.isSeparator(line) { return }
        noteMalformed(Array(line.prefix(80)))
    }

    private mutating func noteMalformed(_ sample: [UInt8]) {
        malformedLines += 1
        lastMalformedSample = sample
    }

    private static let timeArrow = Array("time->".utf8)

    /// Blank lines and ausearch's `----` / `time->DATE` separators.
    static func isSeparator(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { return true }
        if line.count >= 4, line.allSatisfy({ $0 == UInt8(ascii: "-") }) { return true }
        return line.starts(with: timeArrow)
    }
}
