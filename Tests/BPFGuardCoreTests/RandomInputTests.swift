import Testing
@testable import BPFGuardCore

/// Random inputs (fixed seeds, so failures reproduce): no value can break an alert line or
/// forge a field, the policy parser never crashes and always points inside the file, and
/// the line reader never loses a record line among garbage.
@Suite struct RandomInputTests {
    /// A small deterministic generator (SplitMix64).
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Random bytes, biased towards the ones that matter for escaping.
    static func bytes(_ random: inout Generator, maximum: Int = 40) -> [UInt8] {
        let special: [UInt8] = [0x22, 0x5C, 0x20, 0x3D, 0x0A, 0x0D, 0x00, 0x1D, 0x7F, 0xC3, 0xA9, 0xFF, 0x2A, 0x3F]
        return (0..<Int.random(in: 0...maximum, using: &random)).map { _ in
            Bool.random(using: &random) ? special.randomElement(using: &random)! : UInt8.random(in: 0...255, using: &random)
        }
    }

    /// Undoes AlertEscaping.quoted.
    static func unquote(_ text: Substring) -> [UInt8] {
        var bytes = Array(text.utf8)[...]
        bytes = bytes.dropFirst().dropLast()
        var result: [UInt8] = []
        while let byte = bytes.first {
            bytes = bytes.dropFirst()
            guard byte == UInt8(ascii: "\\") else { result.append(byte); continue }
            let next = bytes.removeFirst()
            if next == UInt8(ascii: "x") {
                let hex = String(decoding: bytes.prefix(2), as: UTF8.self)
                result.append(UInt8(hex, radix: 16)!)
                bytes = bytes.dropFirst(2)
            } else {
                result.append(next)
            }
        }
        return result
    }

    /// A LOAD by a loader with random comm, exe and cmdline, on a random node (none when empty).
    static func subject(_ random: inout Generator, exeMaximum: Int = 120, nodeMaximum: Int = 12) -> (subject: RuleSubject, node: String) {
        var loader = process()
        loader.comm = bytes(&random)
        loader.exe = bytes(&random, maximum: exeMaximum)
        loader.cmdline = bytes(&random, maximum: ProcessTitle.maximumLength)
        let node = String(decoding: bytes(&random, maximum: nodeMaximum), as: UTF8.self)
        return (RuleSubject(event: load(1, node: node.isEmpty ? nil : node), loader: loader), node)
    }

    @Test func alertLinesSurviveAnyBytes() {
        var random = Generator(state: 1)
        for _ in 0..<2000 {
            let (subject, node) = Self.subject(&random)
            let line = AlertFormatter.line(Alert(label: "x", priority: .warning, subject: subject, rule: .line(1)))
            #expect(line.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }, "\(line)")
            let keys = AlertFormatterTests.keys(of: line)
            let expected = ["alert", "priority", "op", "prog-id"] + (node.isEmpty ? [] : ["node"])
                + ["uid", "auid", "euid", "pid", "ppid", "comm", "exe", "cmdline", "event", "rule"]
            #expect(keys == expected, "\(line)")
            // The quoted values give back the exact bytes.
            let fields = AlertFormatterTests.fields(of: line)
            #expect(fields.first { $0.key == "exe" }.map { Self.unquote(Substring($0.value)) } == subject.loader!.exe!)
            #expect(fields.first { $0.key == "cmdline" }.map { Self.unquote(Substring($0.value)) } == subject.loader!.cmdline!)
            let json = AlertFormatter.json(Alert(label: "x", priority: .warning, subject: subject, rule: .line(1)))
            #expect(!json.contains("\n") && json.hasPrefix("{") && json.hasSuffix("}"))
            #expect(String(validating: Array(json.utf8), as: UTF8.self) != nil, "JSON output is valid UTF-8")
        }
    }

    @Test func thePolicyParserTakesAnything() {
        var random = Generator(state: 2)
        let words = ["allow", "alert", "x", "op=load", "uid!=0", "exe=%s", "%s", "=", ",", "\"", "#", "priority=crit",
                     "lifetime<1s", "uid=1-2", "default", "facility", "\\", "helpers=%s", "?", "*", "\n", " ", "\t"]
        for _ in 0..<2000 {
            var text = ""
            for _ in 0..<Int.random(in: 0...30, using: &random) {
                text += Bool.random(using: &random) ? words.randomElement(using: &random)!
                    : String(decoding: Self.bytes(&random, maximum: 6), as: UTF8.self)
                if Int.random(in: 0..<4, using: &random) == 0 { text += " " }
            }
            let result = parse(text)
            let lineCount = text.utf8.filter { $0 == 0x0A }.count + 1  // "\r\n" is one Character: count bytes
            for diagnostic in result.diagnostics {
                #expect(diagnostic.line >= 1 && diagnostic.line <= max(1, lineCount), "\(diagnostic) in \(text.debugDescription)")
                #expect(diagnostic.column >= 1)
                #expect(!diagnostic.description.contains("\n"))
            }
            #expect((result.policy == nil) == !result.errors.isEmpty)
        }
    }

    @Test func recordLinesSurviveGarbage() {
        var random = Generator(state: 3)
        let record = "type=BPF msg=audit(1700000000.000:1): prog-id=5 op=LOAD"
        var input: [UInt8] = []
        var expected = 0
        for _ in 0..<3000 {
            if Bool.random(using: &random) {
                input += Array(record.utf8) + [0x0A]
                expected += 1
            } else {
                input += Self.bytes(&random, maximum: 200).filter { $0 != 0x0A } + [0x0A]
            }
        }
        var reader = AuditLineReader(maximumLineLength: 150)
        var seen = 0
        var offset = 0
        while offset < input.count {
            let size = Int.random(in: 1...700, using: &random)
            let chunk = Array(input[offset..<min(input.count, offset + size)])
            chunk.withUnsafeBytes { bytes in reader.consume(bytes) { line, _ in if String(decoding: line, as: UTF8.self) == record { seen += 1 } } }
            offset += size
        }
        reader.finish { _, _ in }
        #expect(seen == expected, "no record line is lost, however the input is cut")
        #expect(reader.bufferedByteCount == 0)
    }
}
