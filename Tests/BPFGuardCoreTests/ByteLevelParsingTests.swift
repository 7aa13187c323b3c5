import Testing
@testable import BPFGuardCore

/// The byte-level helpers of the per-record path (issue 10, section 3) agree with the
/// plain Swift they replace, on fixed and random inputs (fixed seeds).
@Suite struct ByteLevelParsingTests {
    typealias Generator = RandomInputTests.Generator

    /// The byte search finds the first occurrence at every offset, eight bytes at a time or
    /// in the tail, and nothing past the end.
    @Test func firstIndexAgreesWithALinearSearch() {
        var random = Generator(state: 10)
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 0...70, using: &random)).map { _ in
                Bool.random(using: &random) ? UInt8(ascii: "\n") : UInt8.random(in: 0...255, using: &random)
            }
            let needle: UInt8 = Bool.random(using: &random) ? UInt8(ascii: "\n") : UInt8.random(in: 0...255, using: &random)
            let start = Int.random(in: 0...(bytes.count + 1), using: &random)
            let expected = start < bytes.count ? bytes[start...].firstIndex(of: needle) : nil
            bytes.withUnsafeBufferPointer { buffer in
                #expect(ByteSearch.firstIndex(of: needle, in: buffer, from: start) == expected, "\(bytes) from \(start)")
            }
        }
    }

    /// The search for any of four bytes (the SYSCALL trimming's word ends) and its one-word
    /// test agree with a linear search, with the bytes near each other and high bytes around.
    @Test func firstIndexOfAnyAgreesWithALinearSearch() {
        var random = Generator(state: 11)
        let alphabet: [UInt8] = [UInt8(ascii: "="), UInt8(ascii: " "), 0, 0x1D, 0x3C, 0x1C, 0xBD, 0xFF, UInt8(ascii: "a")]
        for _ in 0..<3000 {
            let bytes = (0..<Int.random(in: 0...40, using: &random)).map { _ in alphabet.randomElement(using: &random)! }
            let targets = (0..<4).map { _ in alphabet.randomElement(using: &random)! }
            let start = Int.random(in: 0...(bytes.count + 1), using: &random)
            let expected = start < bytes.count ? bytes[start...].firstIndex { targets.contains($0) } : nil
            bytes.withUnsafeBufferPointer { buffer in
                let found = ByteSearch.firstIndex(ofAny: targets[0], targets[1], targets[2], targets[3], in: buffer, from: start)
                #expect(found == expected, "\(bytes) from \(start) for \(targets)")
            }
            guard bytes.count >= 8 else { continue }
            var word: UInt64 = 0
            for index in 0..<8 { word |= UInt64(bytes[index]) << UInt64(8 * index) }
            let inWord = bytes[..<8].firstIndex { targets.contains($0) }
            #expect(ByteSearch.firstMarkedByte(in: word, targets[0], targets[1], targets[2], targets[3]) == inWord, "\(bytes)")
        }
    }

    /// High bytes next to the needle (carries in the word test) do not make false matches.
    @Test func firstIndexWithBytesAroundTheNeedle() {
        for byte in [UInt8(0x00), 0x09, 0x0B, 0x80, 0x8A, 0xFF] {
            let bytes = [UInt8](repeating: byte, count: 19) + [UInt8(ascii: "\n")] + [UInt8](repeating: byte, count: 3)
            bytes.withUnsafeBufferPointer { buffer in
                #expect(ByteSearch.firstIndex(of: UInt8(ascii: "\n"), in: buffer, from: 0) == 19)
                #expect(ByteSearch.firstIndex(of: UInt8(ascii: "\n"), in: buffer, from: 20) == nil)
            }
        }
    }

    @Test func literalsAreComparedAsBytes() {
        func check(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void) { Array(text.utf8).withUnsafeBufferPointer(body) }
        check("type=BPF msg=audit(") { line in
            #expect(ByteSearch.matches("type=", in: line, at: 0))
            #expect(ByteSearch.matches(" msg=audit(", in: line, at: 8))
            #expect(!ByteSearch.matches(" msg=audit((", in: line, at: 8), "longer than what is left")
            #expect(!ByteSearch.matches("type=", in: line, at: -1))
            #expect(ByteSearch.equals(UnsafeBufferPointer(rebasing: line[5..<8]), "BPF"))
            #expect(!ByteSearch.equals(UnsafeBufferPointer(rebasing: line[5..<8]), "BP"))
            #expect(ByteSearch.firstOffset(of: "msg", in: line) == 9)
            #expect(ByteSearch.firstOffset(of: "audit((", in: line) == nil)
            #expect(ByteSearch.firstOffset(of: "", in: line) == nil)
        }
        var random = Generator(state: 11)
        for _ in 0..<500 {
            let text = String(decoding: (0..<Int.random(in: 0...30, using: &random)).map { _ in UInt8(ascii: "a") + UInt8.random(in: 0...2, using: &random) }, as: UTF8.self)
            let bytes = Array(text.utf8)
            let expected = (0..<max(0, bytes.count - 2)).first { bytes[$0..<($0 + 3)].elementsEqual("abc".utf8) }
            check(text) { #expect(ByteSearch.firstOffset(of: "abc", in: $0) == expected, "\(text)") }
        }
    }

    /// The EOE the pre-filter writes carries the stamp as `description` prints it.
    @Test func timestampBytesAreItsDescription() {
        var random = Generator(state: 12)
        var stamps = [AuditTimestamp(seconds: 0, milliseconds: 0, serial: 0),
                      AuditTimestamp(seconds: 1_795_943_378, milliseconds: 5, serial: 43150),
                      AuditTimestamp(seconds: 9, milliseconds: 99, serial: 10),
                      AuditTimestamp(seconds: .max, milliseconds: 999, serial: .max),
                      AuditTimestamp(seconds: 1, milliseconds: 1000, serial: 1)]
        for _ in 0..<200 {
            stamps.append(AuditTimestamp(seconds: UInt64.random(in: 0...UInt64.max, using: &random) >> UInt64.random(in: 0...63, using: &random),
                                         milliseconds: UInt32.random(in: 0...999, using: &random),
                                         serial: UInt64.random(in: 0...UInt64.max, using: &random) >> UInt64.random(in: 0...63, using: &random)))
        }
        for stamp in stamps {
            var bytes = Array("x".utf8)
            stamp.appendText(to: &bytes)
            #expect(bytes == Array("x\(stamp)".utf8))
        }
    }

    /// The stamp's numbers: up to 20 digits that fit a UInt64 (the 20-digit ones checked for
    /// overflow), anything else makes the line malformed.
    @Test func stampNumbers() {
        func serial(_ text: String) -> UInt64? {
            Array("type=BPF msg=audit(1.000:\(text)): prog-id=5 op=LOAD".utf8).withUnsafeBufferPointer {
                AuditRecordHeader.parse($0)?.timestamp.serial
            }
        }
        #expect(serial("18446744073709551615") == .max)
        #expect(serial("18446744073709551616") == nil)
        #expect(serial("99999999999999999999") == nil)
        #expect(serial("00000000000000000001") == 1)
        #expect(serial("000000000000000000001") == nil, "21 digits")
        #expect(serial("9999999999999999999") == 9_999_999_999_999_999_999)
        #expect(serial("") == nil && serial("1a") == nil && serial("0") == 0)
    }

    /// A record's `op=` read from bytes gives what the text does.
    @Test func operationFromBytes() {
        for text in ["LOAD", "load", "UNLOAD", "unload", "Load", "LOAD ", "", "PERSIST", "persist", "UNSEEN", "LOADX", "\u{FF}"] {
            Array(text.utf8).withUnsafeBufferPointer { bytes in
                #expect(BPFOperation(recordBytes: bytes) == BPFOperation(recordValue: text), "\(text)")
            }
        }
        #expect(Array("UNLOAD".utf8).withUnsafeBufferPointer { BPFOperation(recordBytes: $0) } == .unload)
    }

    /// Keys hashed in bulk are equal exactly when their bytes are.
    @Test func hashedBytesKeys() {
        var random = Generator(state: 13)
        var set = Set<HashedBytes>()
        var model = Set<[UInt8]>()
        for _ in 0..<3000 {
            let bytes = RandomInputTests.bytes(&random, maximum: 6)
            #expect(set.insert(HashedBytes(bytes)).inserted == model.insert(bytes).inserted)
        }
        #expect(set.count == model.count)
        #expect(HashedBytes([1, 2]) == HashedBytes([1, 2]) && HashedBytes([1, 2]).hashValue == HashedBytes([1, 2]).hashValue)
        #expect(HashedBytes([1, 2]) != HashedBytes([1, 2, 0]))
    }

    /// The reader counts the record lines it hands on (the stream's `records=`), not the
    /// malformed ones or the separators.
    @Test func readerCountsRecordLines() {
        var reader = AuditLineReader()
        var handed = 0
        let text = "type=EOE msg=audit(1.000:1):\nnot a record\n----\ntype=EOE msg=audit(1.000:2):\ntype=EOE msg=audit(1.000:3):"
        Array(text.utf8).withUnsafeBytes { reader.consume($0) { _, _ in handed += 1 } }
        reader.finish { _, _ in handed += 1 }
        #expect(handed == 3)
        #expect(reader.recordLines == 3)
        #expect(reader.malformedLines == 1)
    }
}
