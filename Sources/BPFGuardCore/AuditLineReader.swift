/// Cuts a byte stream into audit record lines, bounded in memory.
///
/// Complete lines that look like audit records are handed on; blank lines and the
/// separators ausearch prints (`----`, `time->…`) are skipped silently; anything else,
/// and any line longer than `maximumLineLength`, is skipped and counted as malformed.
public struct AuditLineReader: Sendable {
    public static let defaultMaximumLineLength = 65536

    public let maximumLineLength: Int
    public private(set) var malformedLines: UInt64 = 0
    /// Record lines handed on.
    public private(set) var recordLines: UInt64 = 0
    /// How many bytes of a malformed line are kept to report it.
    public static let sampleLength = 80

    private var pending: [UInt8] = []
    /// True while the rest of an over-long line is being discarded.
    private var discarding = false

    public init(maximumLineLength: Int = AuditLineReader.defaultMaximumLineLength) {
        self.maximumLineLength = maximumLineLength
    }

    /// Bytes held back waiting for their newline.
    public var bufferedByteCount: Int { pending.count }

    public typealias RecordHandler = (UnsafeBufferPointer<UInt8>, AuditRecordHeader) -> Void
    /// Receives the first bytes of each malformed line.
    public typealias MalformedHandler = ([UInt8]) -> Void

    /// Feeds `bytes`; calls `handle` with each complete record line (without its newline)
    /// and its parsed header, and `malformed` with the start of each line skipped.
    public mutating func consume(_ bytes: UnsafeRawBufferPointer, malformed: MalformedHandler = { _ in }, _ handle: RecordHandler) {
        let input = bytes.bindMemory(to: UInt8.self)
        var start = 0
        while start < input.count {
            guard let newline = ByteSearch.firstIndex(of: UInt8(ascii: "\n"), in: input, from: start) else {
                // No newline: keep the tail for the next call, unless it is already too long.
                if discarding { return }
                if pending.count + (input.count - start) > maximumLineLength {
                    malformedLines += 1
                    malformed(pending.isEmpty ? Array(input[start...].prefix(Self.sampleLength)) : Array(pending.prefix(Self.sampleLength)))
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
                handleLine(UnsafeBufferPointer(rebasing: input[start..<newline]), malformed, handle)
            } else {
                pending.append(contentsOf: input[start..<newline])
                let line = pending
                pending.removeAll(keepingCapacity: true)
                line.withUnsafeBufferPointer { handleLine($0, malformed, handle) }
            }
            start = newline + 1
        }
    }

    /// At end of input: a last line without a newline is still a line.
    public mutating func finish(malformed: MalformedHandler = { _ in }, _ handle: RecordHandler) {
        defer { pending.removeAll(); discarding = false }
        guard !discarding, !pending.isEmpty else { return }
        let line = pending
        line.withUnsafeBufferPointer { handleLine($0, malformed, handle) }
    }

    private mutating func handleLine(_ line: UnsafeBufferPointer<UInt8>, _ malformed: MalformedHandler, _ handle: RecordHandler) {
        var line = line
        if line.last == UInt8(ascii: "\r") { line = UnsafeBufferPointer(rebasing: line.dropLast()) }
        if line.count <= maximumLineLength, let header = AuditRecordHeader.parse(line) {
            recordLines &+= 1
            handle(line, header)
            return
        }
        if line.count <= maximumLineLength, Self.isSeparator(line) { return }
        malformedLines += 1
        malformed(Array(line.prefix(Self.sampleLength)))
    }

    private static let timeArrow = Array("time->".utf8)

    /// Blank lines and ausearch's `----` / `time->DATE` separators.
    static func isSeparator(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { return true }
        if line.count >= 4, line.allSatisfy({ $0 == UInt8(ascii: "-") }) { return true }
        return line.starts(with: timeArrow)
    }
}
