import Glibc
import Testing
@testable import BPFGuardCore

/// ECS documents: `@timestamp` in ISO 8601 UTC computed without Foundation (checked against
/// the C library's gmtime_r), the fields taken from the alert, and valid JSON whatever the
/// alert holds. That every key is an ECS field of the right type is checked end to end
/// against ECS's own field list (EndToEndTests/ECSOutputTests).
@Suite struct ECSFormatterTests {
    static let context = ECSContext(hostName: "sensor-b", policyPath: "/etc/audit/bpfguard.policy")

    /// gmtime_r's reading of a time, in the ISO form.
    static func libcISO8601(milliseconds: UInt64) -> String {
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func padded(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(padded(parts.tm_year + 1900, 4))-\(padded(parts.tm_mon + 1, 2))-\(padded(parts.tm_mday, 2))T"
            + "\(padded(parts.tm_hour, 2)):\(padded(parts.tm_min, 2)):\(padded(parts.tm_sec, 2)).\(padded(Int32(milliseconds % 1000), 3))Z"
    }

    @Test func timestampsAgreeWithTheCLibrary() {
        var random = RandomInputTests.Generator(state: 3)
        // The epoch, leap days, century rules, the end of 9999, and random times up to then.
        var times: [UInt64] = [0, 951_782_400_000, 951_868_799_999, 4_107_542_400_000, 1_795_943_321_831, 253_402_300_799_999]
        for _ in 0..<20_000 { times.append(UInt64.random(in: 0...253_402_300_799_999, using: &random)) }
        for time in times {
            #expect(UTCTimestampText.iso8601(milliseconds: time) == Self.libcISO8601(milliseconds: time), "\(time)")
        }
        #expect(UTCTimestampText.iso8601(milliseconds: 1_795_943_321_831) == "2026-11-29T09:08:41.831Z")
    }

    @Test func alertDocument() {
        var loader = process(uid: 1000, auid: 1000, pid: 4242, comm: "ld", exe: "/tmp/ld")
        loader.euid = 0
        let info = ProgramInfo(type: BPFProgramType(rawValue: 2), name: Array("probe".utf8), tag: "c0c8c81851fbeb13", createdByUID: 0,
                               helpers: ["bpf_send_signal"])
        let subject = RuleSubject(event: load(866, at: stamp(1795943321, 831, serial: 43075)), loader: loader, program: .found(info), identity: .audit)
        let alert = Alert(label: "dangerous-helper", priority: .crit, subject: subject, rule: .line(72))
        let document = ECSFormatter.document(.single(alert), context: Self.context)
        #expect(document.hasPrefix(#"{"@timestamp":"2026-11-29T09:08:41.831Z","message":"alert=dangerous-helper priority=crit op=LOAD prog-id=866 prog-type=kprobe "#))
        for member in [
            #""ecs":{"version":"9.4.0"}"#,
            #""event":{"kind":"alert","category":["driver"],"type":["start"],"action":"loaded-bpf-program","module":"bpfguard","dataset":"bpfguard.alert","provider":"auditd","severity":2,"id":"1795943321.831:43075"}"#,
            #""rule":{"name":"dangerous-helper","id":"/etc/audit/bpfguard.policy:72","ruleset":"/etc/audit/bpfguard.policy"}"#,
            #""process":{"executable":"/tmp/ld","name":"ld","pid":4242,"parent":{"pid":1}}"#,
            #""user":{"id":"1000","effective":{"id":"0"}}"#,
            #""host":{"name":"sensor-b"}"#,
            #""bpfguard":{"priority":"crit","prog_id":866,"prog_type":"kprobe","prog_name":"probe","prog_tag":"c0c8c81851fbeb13","helpers":["bpf_send_signal"],"created_by_uid":0,"auid":"1000","identity":"audit"}}"#,
        ] {
            #expect(document.contains(member), "\(member) in \(document)")
        }
    }

    @Test func unloadSummaryWithNodeAndUnknownLoader() {
        let first = Alert(label: "short-lived", priority: .notice, subject: RuleSubject(event: unload(5, at: stamp(1000, 250, serial: 9), node: "n1"), loader: nil),
                          rule: .defaultSetting)
        var repeated = RepeatedAlert(first)
        repeated.add(Alert(label: "short-lived", priority: .err, subject: RuleSubject(event: unload(6, at: stamp(1002, 0, serial: 10), node: "n1"), loader: nil),
                           rule: .defaultSetting))
        let document = ECSFormatter.document(.repeated(repeated), context: Self.context)
        #expect(document.contains(#""type":["end"],"action":"unloaded-bpf-program""#))
        #expect(document.contains(#""severity":3,"id":"1000.250:9","start":"1970-01-01T00:16:40.250Z","end":"1970-01-01T00:16:42.000Z"}"#))
        #expect(document.contains(#""rule":{"name":"short-lived","id":"/etc/audit/bpfguard.policy:default""#))
        #expect(!document.contains(#""process""#) && !document.contains(#""user""#), "unknown values are left out")
        #expect(document.contains(#""host":{"name":"n1"}"#))
        #expect(document.hasSuffix(#""bpfguard":{"priority":"err","prog_id":5,"repeated":2}}"#))
    }

    @Test func anyBytesGiveOneLineOfJSON() {
        var random = RandomInputTests.Generator(state: 11)
        for _ in 0..<500 {
            let subject = RandomInputTests.subject(&random, exeMaximum: 80, nodeMaximum: 8).subject
            let document = ECSFormatter.document(.single(Alert(label: "a", priority: .warning, subject: subject, rule: .line(1))), context: Self.context)
            #expect(!document.utf8.contains(UInt8(ascii: "\n")))
            #expect(document.utf8.allSatisfy { $0 >= 0x20 }, "no control bytes outside escapes")
        }
    }
}
