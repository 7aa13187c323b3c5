import Testing
import BPFGuardCore
@testable import BPFGuardAudit

/// How the extractor reads libauparse's fields without Strings (issue 10, section 3): names
/// matched as integers, values decoded in place, repeated values handed out again. Each agrees
/// with the plain Swift it replaced, on fixed and random inputs (fixed seeds).
@Suite struct FieldReadingTests {
    /// A small deterministic generator (xorshift64*): fixed seeds, failures reproduce.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        init(state: UInt64) { self.state = state | 1 }
        mutating func next() -> UInt64 {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return state &* 0x2545_F491_4F6C_DD1D
        }
    }

    static func withCString<Result>(_ text: [UInt8], _ body: (UnsafePointer<CChar>) -> Result) -> Result {
        (text + [0]).withUnsafeBufferPointer { body(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self)) }
    }

    @Test func everyNameIsRecognisedAndNothingElse() {
        for name in AuditFieldName.allCases {
            #expect(Self.withCString(Array(name.text.utf8)) { AuditFieldName(cString: $0) } == name, "\(name.text)")
        }
        let others = ["", "a0", "a1", "ui", "uidx", "Uid", "arch", "items", "suid", "fsuid", "egid", "proctitl", "proctitlee",
                      "proctitleX", "PROCTITLE", "prog-i", "prog-idd", "syscal", "syscalls", "events", "o", "opp", "exe ",
                      String(repeating: "x", count: 300)]
        for other in others {
            #expect(Self.withCString(Array(other.utf8)) { AuditFieldName(cString: $0) } == nil, "\(other)")
        }
        var random = Generator(state: 30)
        let letters = Array("abcdeilmoprstuy-".utf8)
        for _ in 0..<20000 {
            let name = (0..<Int.random(in: 0...10, using: &random)).map { _ in letters.randomElement(using: &random)! }
            let expected = AuditFieldName.allCases.first { Array($0.text.utf8) == name }
            #expect(Self.withCString(name) { AuditFieldName(cString: $0) } == expected, "\(String(decoding: name, as: UTF8.self))")
        }
    }

    /// The string decoding as it was before it read bytes in place: the reference.
    static func referenceString(_ bytes: [UInt8]) -> [UInt8]? {
        if bytes.count >= 2, bytes.first == UInt8(ascii: "\""), bytes.last == UInt8(ascii: "\"") { return Array(bytes[1..<(bytes.count - 1)]) }
        if bytes == Array("(null)".utf8) || bytes.isEmpty || bytes == [UInt8(ascii: "?")] { return nil }
        if bytes.count % 2 == 0, let decoded = referenceHex(bytes) { return decoded }
        return bytes
    }

    static func referenceHex(_ digits: [UInt8]) -> [UInt8]? {
        guard !digits.isEmpty, digits.count % 2 == 0 else { return nil }
        var result: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index...(index + 1)], as: UTF8.self), radix: 16),
                  digits[index] != UInt8(ascii: "+"), digits[index] != UInt8(ascii: "-")
            else { return nil }
            result.append(byte)
        }
        return result
    }

    @Test func valuesDecodeAsBefore() {
        var random = Generator(state: 31)
        let alphabet = Array("0123456789abcdefABCDEFxX\"-+?()null ".utf8) + [0xC3, 0xA9, 0xFF]
        var samples = ["", "?", "(null)", "(none)", "\"\"", "\"", "\"a b\"", "2F62696E", "2f62696e", "2F6", "-1", "-0", "+5", "0",
                       "4294967295", "4294967296", "00000000000000000000042", "99999999999999999999"].map { Array($0.utf8) }
        for _ in 0..<5000 {
            samples.append((0..<Int.random(in: 0...12, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
        }
        for bytes in samples {
            let text = String(decoding: bytes, as: UTF8.self)
            bytes.withUnsafeBufferPointer { buffer in
                #expect(AuditFieldDecoding.string(buffer) == Self.referenceString(bytes), "\(text)")
                #expect(AuditFieldDecoding.id(buffer) == (text == "-1" ? ProcessContext.unsetID : UInt32(text)), "\(text)")
                #expect(AuditFieldDecoding.number(buffer) == UInt32(text), "\(text)")
                #expect(AuditFieldDecoding.text(buffer) == Array(text.utf8), "\(text)")
            }
        }
    }

    /// A repeated raw value gets its decoded value again, in the same storage; any other value
    /// is decoded, whatever was kept before.
    @Test func repeatedValuesAreHandedOutAgain() {
        var field = RepeatedFieldValues.Field()
        var decodings = 0
        func value(_ text: String) -> [UInt8]? {
            Array(text.utf8).withUnsafeBufferPointer { bytes in
                field.value(of: bytes) { decodings += 1; return AuditFieldDecoding.string($0) }
            }
        }
        let first = value("2F746D702F78")
        #expect(first == Array("/tmp/x".utf8))
        let again = value("2F746D702F78")
        #expect(again == first && decodings == 1)
        #expect(first!.withUnsafeBufferPointer { $0.baseAddress } == again!.withUnsafeBufferPointer { $0.baseAddress })
        #expect(value("2F746D702F79") == Array("/tmp/y".utf8) && decodings == 2)
        #expect(value("") == nil && value(String(repeating: "41", count: RepeatedFieldValues.longestRawValue)) != nil)

        var random = Generator(state: 32)
        let pool = (0..<200).map { _ in (0..<Int.random(in: 1...40, using: &random)).map { _ in UInt8.random(in: 0x30...0x46, using: &random) } }
        for _ in 0..<5000 {
            let bytes = pool.randomElement(using: &random)!
            let got = bytes.withUnsafeBufferPointer { buffer in field.value(of: buffer) { AuditFieldDecoding.string($0) } }
            #expect(got == Self.referenceString(bytes))
        }
    }

    /// Events that repeat every string of a loader share one `ProcessStrings`; a change in any
    /// string (or its absence) makes another one.
    @Test func loadersRepeatingTheirStringsShareThem() {
        var recent = RepeatedFieldValues()
        var fields = SyscallFields()
        fields.uid = 0
        fields.exe = Array("/usr/sbin/bpftool".utf8)
        fields.comm = Array("bpftool".utf8)
        let title = Array("bpftool prog load".utf8)
        let first = recent.context(fields, commandLine: title)
        fields.pid = 42
        let second = recent.context(fields, commandLine: title)
        #expect(second.strings === first.strings && second.pid == 42 && second.exe == fields.exe && second.cmdline == title)
        fields.key = Array("k".utf8)
        let third = recent.context(fields, commandLine: title)
        #expect(third.strings !== first.strings && third.key == Array("k".utf8))
        let fourth = recent.context(fields, commandLine: nil)
        #expect(fourth.strings !== third.strings && fourth.cmdline == nil)
        fields.exe = Array("/usr/sbin/bpftool".utf8)
        #expect(recent.context(fields, commandLine: nil).strings !== fourth.strings, "equal bytes in another array: not taken for the same")
        #expect(recent.context(fields, commandLine: nil) == fourth, "but equal")
    }
}
