import Testing
@testable import BPFGuardCore

@Suite struct AuditLineReaderTests {
    /// Feeds `chunks` and returns the lines handed on (as text) and the reader.
    func read(_ chunks: [String], maximumLineLength: Int = 65536, finish: Bool = true) -> (lines: [String], reader: AuditLineReader, samples: [String]) {
        var reader = AuditLineReader(maximumLineLength: maximumLineLength)
        var lines: [String] = []
        var samples: [String] = []
        for chunk in chunks {
            Array(chunk.utf8).withUnsafeBytes { bytes in
                reader.consume(bytes, malformed: { samples.append(String(decoding: $0, as: UTF8.self)) }) { line, _ in
                    lines.append(String(decoding: line, as: UTF8.self))
                }
            }
        }
        if finish {
            reader.finish(malformed: { samples.append(String(decoding: $0, as: UTF8.self)) }) { line, _ in
                lines.append(String(decoding: line, as: UTF8.self))
            }
        }
        return (lines, reader, samples)
    }

    static let bpf = "type=BPF msg=audit(1795942353.035:3): prog-id=97 op=LOAD"
    static let eoe = "type=EOE msg=audit(1795942353.035:3):"

    @Test func linesSplitAcrossChunks() {
        let text = Self.bpf + "\n" + Self.eoe + "\n"
        let result = read([String(text.prefix(10)), String(text.dropFirst(10).prefix(50)), String(text.dropFirst(60))])
        #expect(result.lines == [Self.bpf, Self.eoe])
        #expect(result.reader.malformedLines == 0)
        #expect(result.reader.bufferedByteCount == 0)
    }

    @Test func lastLineWithoutNewlineAtEndOfInput() {
        let withoutFinish = read([Self.bpf], finish: false)
        #expect(withoutFinish.lines.isEmpty)
        #expect(read([Self.bpf]).lines == [Self.bpf])
    }

    @Test func malformedLinesAreSkippedAndCounted() {
        let result = read(["garbage\n", Self.bpf + "\n", "type=BPF msg=audit(abc): x\n", "type=bpf msg=audit(1.1:1): lower\n", Self.eoe + "\r\n"])
        #expect(result.lines == [Self.bpf, Self.eoe])
        #expect(result.reader.malformedLines == 3)
        #expect(result.samples == ["garbage", "type=BPF msg=audit(abc): x", "type=bpf msg=audit(1.1:1): lower"])
    }

    @Test func ausearchSeparatorsAndBlankLinesAreNotMalformed() {
        let result = read(["----\ntime->Wed Aug 23 01:13:23 2023\n\n   \n" + Self.bpf + "\n"])
        #expect(result.lines == [Self.bpf])
        #expect(result.reader.malformedLines == 0)
    }

    @Test func overlongLinesAreDroppedWithoutGrowingTheBuffer() {
        let long = "type=BPF msg=audit(1.000:1): " + String(repeating: "x", count: 500)
        let result = read([String(long.prefix(100)), String(long.dropFirst(100).prefix(300)), String(long.dropFirst(400)) + "\n" + Self.bpf + "\n"],
                          maximumLineLength: 200)
        #expect(result.lines == [Self.bpf])
        #expect(result.reader.malformedLines == 1)
        #expect(result.reader.bufferedByteCount == 0)
        let inOneChunk = read([long + "\n" + Self.bpf + "\n"], maximumLineLength: 200)
        #expect(inOneChunk.lines == [Self.bpf])
        #expect(inOneChunk.reader.malformedLines == 1)
        #expect(inOneChunk.samples == [String(long.prefix(80))])
    }

    @Test func headers() {
        func header(_ line: String) -> AuditRecordHeader? {
            Array(line.utf8).withUnsafeBufferPointer { AuditRecordHeader.parse($0) }
        }
        let plain = header(Self.bpf)
        #expect(plain?.timestamp == AuditTimestamp(seconds: 1795942353, milliseconds: 35, serial: 3))
        #expect(plain?.node == nil)
        #expect(plain?.type == 5..<8)
        let node = header("node=sensor-a type=UNKNOWN[1334] msg=audit(1574867053.120:84665): prog-id=76 op=UNLOAD")
        #expect(node?.node == 5..<13)
        #expect(node.map { Array(Self.nodeLine[$0.type]) } == Array("UNKNOWN[1334]".utf8))
        #expect(header("node= type=BPF msg=audit(1.000:1): x") == nil)
        #expect(header("type=BPF msg=audit(1.1000:1): x") == nil, "milliseconds are below 1000")
        #expect(header("type=BPF msg=audit(99999999999999999999999.000:1): x") == nil)
        #expect(header("type=BPF msg=audit(12/19/2023 13:44:22.917:1976) : x") == nil, "ausearch -i output is not a raw log")
    }

    static let nodeLine = Array("node=sensor-a type=UNKNOWN[1334] msg=audit(1574867053.120:84665): prog-id=76 op=UNLOAD".utf8)

    @Test func timestampText() {
        #expect(AuditTimestamp(seconds: 5, milliseconds: 7, serial: 9).description == "5.007:9")
        #expect(AuditTimestamp(seconds: 5, milliseconds: 70, serial: 9).description == "5.070:9")
        #expect(AuditTimestamp(seconds: 5, milliseconds: 700, serial: 9).description == "5.700:9")
        #expect(stamp(10, 0).milliseconds(since: stamp(11, 0)) == 0, "a clock step backwards gives 0, not a wrap")
    }
}

/// Header values that would overflow time arithmetic, or change how libauparse cuts a line,
/// make the line malformed (issue 8: a stamp of 18446744073709551615 s trapped the plugin).
@Suite struct AuditRecordHeaderBoundsTests {
    func header(_ line: String) -> AuditRecordHeader? {
        Array(line.utf8).withUnsafeBufferPointer { AuditRecordHeader.parse($0) }
    }

    @Test func stampsBeyondYear9999AreMalformed() {
        for seconds in ["18446744073709551615", "9223372036854775807", "18000000000000000", "253402300800"] {
            #expect(header("type=BPF msg=audit(\(seconds).000:1): prog-id=5 op=LOAD") == nil, "\(seconds)")
        }
        #expect(header("type=BPF msg=audit(253402300799.999:18446744073709551615): prog-id=5 op=LOAD")?.timestamp.totalMilliseconds
                == 253_402_300_799_999)
    }

    @Test func nodeNamesAreBoundedAndPrintable() {
        let longest = String(repeating: "n", count: AuditRecordHeader.maximumNodeLength)
        #expect(header("node=\(longest) type=BPF msg=audit(1.000:1): prog-id=5 op=LOAD")?.node?.count == AuditRecordHeader.maximumNodeLength)
        for node in [longest + "n", String(repeating: "x", count: 341), "a\u{1D}b", "a\u{01}b", "a\u{7F}b"] {
            #expect(header("node=\(node) type=BPF msg=audit(1.000:1): prog-id=5 op=LOAD") == nil, "\(Array(node.utf8).prefix(8))")
        }
        #expect(header("node=h\u{E9}te type=BPF msg=audit(1.000:1): prog-id=5 op=LOAD") != nil, "UTF-8 host names stay valid")
        var invalid = Array("node=h".utf8) + [0xFF] + Array(" type=BPF msg=audit(1.000:1): prog-id=5 op=LOAD".utf8)
        #expect(invalid.withUnsafeBufferPointer { AuditRecordHeader.parse($0) } == nil, "invalid UTF-8 would become U+FFFD and merge nodes")
        invalid = Array("node=h".utf8) + [0xC3, 0xA9] + Array(" type=BPF msg=audit(1.000:1): prog-id=5 op=LOAD".utf8)
        #expect(invalid.withUnsafeBufferPointer { AuditRecordHeader.parse($0) } != nil)
    }

    @Test func aMalformedStampIsCountedAndTheNextRecordStillCounts() {
        var reader = AuditLineReader()
        var records = 0
        let text = "type=BPF msg=audit(18446744073709551615.000:1): prog-id=5 op=LOAD\ntype=BPF msg=audit(1.000:2): prog-id=5 op=UNLOAD\n"
        Array(text.utf8).withUnsafeBytes { reader.consume($0) { _, _ in records += 1 } }
        #expect(records == 1)
        #expect(reader.malformedLines == 1)
    }
}
