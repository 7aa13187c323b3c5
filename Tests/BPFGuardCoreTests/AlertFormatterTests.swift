import Testing
@testable import BPFGuardCore

/// The alert line has the documented keys in the documented order, and no input can break
/// it or forge a field; JSON output carries the same keys.
@Suite struct AlertFormatterTests {
    func alert(_ subject: RuleSubject, label: String = "unknown-exe", priority: SyslogPriority = .warning, rule: RuleReference = .line(4)) -> Alert {
        Alert(label: label, priority: priority, subject: subject, rule: rule)
    }

    @Test func loadLine() {
        let subject = RuleSubject(event: load(866, at: stamp(1795940760, 7, serial: 6598)), loader: process(uid: 0, pid: 4242, comm: "ld", exe: "/tmp/ld"))
        #expect(AlertFormatter.line(alert(subject)) ==
            "alert=unknown-exe priority=warning op=LOAD prog-id=866 uid=0 auid=unset euid=0 pid=4242 ppid=1 comm=\"ld\" exe=\"/tmp/ld\" cmdline=? event=1795940760.007:6598 rule=4")
    }

    @Test func unloadLineWithNodeAndLifetime() {
        let subject = RuleSubject(event: unload(12, at: stamp(1795940761, 500, serial: 7), node: "sensor-a"),
                                  loader: process(uid: 1000, auid: 1000, pid: 9, comm: "c", exe: "/e"), lifetimeMilliseconds: 250)
        #expect(AlertFormatter.line(alert(subject, label: "short-lived", priority: .notice, rule: .defaultSetting)) ==
            "alert=short-lived priority=notice op=UNLOAD prog-id=12 node=sensor-a uid=1000 auid=1000 euid=1000 pid=9 ppid=1 comm=\"c\" exe=\"/e\" cmdline=? lifetime=250ms event=1795940761.500:7 rule=default")
    }

    @Test func unknownValuesPrintAsQuestionMarks() {
        let subject = RuleSubject(event: unload(3), loader: nil)
        #expect(AlertFormatter.line(alert(subject)) ==
            "alert=unknown-exe priority=warning op=UNLOAD prog-id=3 uid=? auid=? euid=? pid=? ppid=? comm=? exe=? cmdline=? lifetime=? event=1001.000:1 rule=4")
    }

    @Test func hostileStringsCannotBreakTheLineOrForgeFields() {
        var loader = process()
        loader.exe = Array("/tmp/x\" uid=0 alert=\"none\nalert=fake".utf8)
        loader.comm = [0x1B, UInt8(ascii: "["), 0x7F, 0xC3, 0xA9, UInt8(ascii: "\\")]
        let line = AlertFormatter.line(alert(RuleSubject(event: load(1), loader: loader)))
        #expect(!line.contains("\n"))
        #expect(line.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }, "the line is printable ASCII")
        #expect(line.contains(#"exe="/tmp/x\" uid=0 alert=\"none\x0aalert=fake""#))
        #expect(line.contains(#"comm="\x1b[\x7f\xc3\xa9\\""#))
        // Parsing the line back as key=value pairs yields each key once.
        let keys = Self.keys(of: line)
        #expect(keys == ["alert", "priority", "op", "prog-id", "uid", "auid", "euid", "pid", "ppid", "comm", "exe", "cmdline", "event", "rule"])
    }

    @Test func hostileNodeNamesAreQuoted() {
        let subject = RuleSubject(event: load(1, node: "a b=c"), loader: process())
        let line = AlertFormatter.line(alert(subject))
        #expect(line.contains(#"node="a b=c" uid=0"#))
        #expect(Self.keys(of: line).filter { $0 == "b" }.isEmpty)
    }

    @Test func json() {
        let subject = RuleSubject(event: unload(12, at: stamp(1795940761, 5, serial: 7), node: "n1"),
                                  loader: process(uid: 0, auid: 1000, pid: 9, comm: "c\"q", exe: "/é"), lifetimeMilliseconds: 1500)
        #expect(AlertFormatter.json(alert(subject, label: "short-lived", priority: .notice, rule: .line(9))) ==
            #"{"alert":"short-lived","priority":"notice","op":"UNLOAD","prog_id":12,"node":"n1","uid":0,"auid":1000,"euid":0,"pid":9,"ppid":1,"comm":"c\"q","exe":"/é","cmdline":null,"lifetime":1500,"event":"1795940761.005:7","rule":9}"#)
        let unknown = AlertFormatter.json(alert(RuleSubject(event: load(3, by: nil), loader: nil), rule: .defaultSetting))
        #expect(unknown == #"{"alert":"unknown-exe","priority":"warning","op":"LOAD","prog_id":3,"uid":null,"auid":null,"euid":null,"pid":null,"ppid":null,"comm":null,"exe":null,"cmdline":null,"event":"1000.000:1","rule":"default"}"#)
        var unset = process()
        unset.auid = ProcessContext.unsetID
        #expect(AlertFormatter.json(alert(RuleSubject(event: load(3), loader: unset))).contains(#""auid":"unset""#))
    }

    @Test func jsonEscaping() {
        #expect(AlertEscaping.json(Array("a\nb\t\u{1}\u{7f}\\\"".utf8)) == #""a\nb\t\u0001\u007f\\\\\"""#, "a backslash is the text \\")
        #expect(AlertEscaping.json([0x2F, 0xFF, 0xC3]) == #""/\\xff\\xc3""#, "invalid UTF-8 becomes \\xHH text")
        #expect(AlertEscaping.json(Array("\u{2028}é😀".utf8)) == "\"\\u2028é😀\"")
        #expect(AlertEscaping.json([0xED, 0xA0, 0x80]) == #""\\xed\\xa0\\x80""#, "UTF-16 surrogates are not valid UTF-8")
        // Issue 8: the byte 0xFF and the literal text \xff must not give the same JSON.
        #expect(AlertEscaping.json([0xFF]) != AlertEscaping.json(Array("\\xff".utf8)))
        #expect(AlertEscaping.json(Array("\\xff".utf8)) == #""\\\\xff""#)
    }

    @Test func quotedEscaping() {
        #expect(AlertEscaping.quoted(Array("a b".utf8)) == "\"a b\"")
        #expect(AlertEscaping.quoted([0x00, 0x0A, 0x22, 0x5C, 0x80]) == #""\x00\x0a\"\\\x80""#)
        #expect(AlertEscaping.token(Array("host-1.example:5".utf8)) == "host-1.example:5")
        #expect(AlertEscaping.token([]) == "\"\"")
    }

    /// Keys of a `key=value …` line whose values are bare words or quoted strings with
    /// backslash escapes.
    static func keys(of line: String) -> [String] {
        fields(of: line).map(\.key)
    }

    /// The `key=value` pairs of a line, values as written (quotes and escapes kept).
    static func fields(of line: String) -> [(key: String, value: String)] {
        var fields: [(key: String, value: String)] = []
        var bytes = Array(line.utf8)[...]
        while !bytes.isEmpty {
            let key = bytes.prefix { $0 != UInt8(ascii: "=") }
            bytes = bytes.dropFirst(key.count + 1)
            let valueStart = bytes.startIndex
            if bytes.first == UInt8(ascii: "\"") {
                bytes = bytes.dropFirst()
                while let byte = bytes.first, byte != UInt8(ascii: "\"") {
                    bytes = bytes.dropFirst(byte == UInt8(ascii: "\\") ? 2 : 1)
                }
                bytes = bytes.dropFirst()
            } else {
                bytes = bytes.drop { $0 != UInt8(ascii: " ") }
            }
            let value = Array(line.utf8)[valueStart..<bytes.startIndex]
            fields.append((String(decoding: key, as: UTF8.self), String(decoding: value, as: UTF8.self)))
            bytes = bytes.drop { $0 == UInt8(ascii: " ") }
        }
        return fields
    }
}
