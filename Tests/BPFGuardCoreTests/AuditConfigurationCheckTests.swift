import Glibc
import Testing
@testable import BPFGuardCore

/// `--check-audit`'s judgement on configurations built like the kernel reports them.
@Suite struct AuditConfigurationCheckTests {
    static let x86_64: UInt32 = 0xC000_003E
    static let i386: UInt32 = 0x4000_0003
    static let bpf = [x86_64: 321, i386: 357]

    static func mask(_ syscalls: [Int]) -> [UInt32] {
        var mask = [UInt32](repeating: 0, count: 64)
        for number in syscalls { mask[number / 32] |= 1 << UInt32(number % 32) }
        return mask
    }

    static func rule(list: UInt32, action: UInt32, syscalls: [Int] = [], fields: [(UInt32, UInt32, UInt32)] = []) -> AuditRuleData {
        AuditRuleData(list: list, action: action, syscallMask: mask(syscalls), fields: fields.map { (field: $0.0, op: $0.1, value: $0.2) }, text: "rule")
    }

    func errors(_ rules: [AuditRuleData], enabled: UInt32 = 2) -> Int {
        AuditConfigurationCheck.findings(AuditConfiguration(enabled: enabled, backlogLimit: 8192, daemonPID: 1, rules: rules), bpfSyscalls: Self.bpf)
            .filter { $0.severity == .error }.count
    }

    @Test func aGoodConfigurationHasNoFindings() {
        let failedLoads = Self.rule(list: 4, action: 2, syscalls: [321], fields: [(11, 0x4000_0000, Self.x86_64), (0, 0x4000_0000, 5)])
        let findings = AuditConfigurationCheck.findings(AuditConfiguration(enabled: 2, backlogLimit: 8192, daemonPID: 1, rules: [failedLoads]), bpfSyscalls: Self.bpf)
        #expect(findings.isEmpty, "\(findings)")
    }

    @Test func whatBlindsThePlugin() {
        #expect(errors([], enabled: 0) == 1, "audit disabled")
        #expect(errors([Self.rule(list: 1, action: 0)]) == 1, "-a never,task")
        #expect(errors([Self.rule(list: 1 | 0x10, action: 0)]) == 1, "-A never,task (prepended)")
        #expect(errors([Self.rule(list: 1, action: 2)]) == 0, "-a always,task hides nothing")
        #expect(errors([Self.rule(list: 4, action: 0, syscalls: [321], fields: [(11, 0x4000_0000, Self.x86_64)])]) == 1, "never,exit -S bpf (b64)")
        #expect(errors([Self.rule(list: 4, action: 0, syscalls: [321], fields: [(11, 0x4000_0000, Self.i386)])]) == 0, "321 is not bpf on i386")
        #expect(errors([Self.rule(list: 4, action: 0, syscalls: [357], fields: [(11, 0x4000_0000, Self.i386)])]) == 1, "never,exit -S bpf (b32)")
        #expect(errors([Self.rule(list: 4, action: 0, syscalls: Array(0..<2048))]) == 1, "never,exit -S all")
        #expect(errors([Self.rule(list: 4, action: 0, syscalls: [59])]) == 0, "never,exit -S execve")
        #expect(errors([Self.rule(list: 5, action: 2, fields: [(12, 0x4000_0000, 1334)])]) == 1, "exclude msgtype=BPF")
        #expect(errors([Self.rule(list: 5, action: 2, fields: [(12, 0x4000_0000, 1300)])]) == 0, "exclude msgtype=SYSCALL")
        #expect(errors([Self.rule(list: 5, action: 2, fields: [(12, 0x6000_0000, 1300), (12, 0x5000_0000, 1399)])]) == 1, "exclude a range holding 1334")
        #expect(errors([Self.rule(list: 5, action: 2, fields: [(1, 0x4000_0000, 1000)])]) == 1, "exclude by uid drops BPF records too")
    }

    @Test func warningsAndNotesDoNotFail() {
        let findings = AuditConfigurationCheck.findings(AuditConfiguration(enabled: 1, backlogLimit: 64, daemonPID: 0, rules: []), bpfSyscalls: Self.bpf)
        #expect(findings.map(\.severity) == [.warning, .warning, .note])
        #expect(findings[0].description.hasPrefix("audit: warning: backlog limit 64 is under 8192"))
    }
}

/// auditd.conf's `name_format` and `name`, read as auditd reads them.
@Suite struct AuditdNodeNamingTests {
    @Test func theFormatsAuditdKnows() {
        func naming(_ text: String) -> AuditdNodeNaming { AuditdNodeNaming.parse(auditdConf: Array(text.utf8)) }
        #expect(naming("local_events = yes\nname_format = NONE\n").format == .none)
        #expect(naming("name_format=hostname").nodeName(hostname: "web 1", canonicalName: nil, numericAddress: nil) == "web_1")
        #expect(naming("  NAME_FORMAT = fqd  # comment\n").nodeName(hostname: "web1", canonicalName: "web1.example.org", numericAddress: nil) == "web1.example.org")
        #expect(naming("name_format = numeric\r\n").nodeName(hostname: "web1", canonicalName: nil, numericAddress: "10.0.0.7") == "10.0.0.7")
        #expect(naming("name_format = user\nname = rack7-db\n").nodeName(hostname: "web1", canonicalName: nil, numericAddress: nil) == "rack7-db")
        #expect(naming("name_format = user\n").nodeName(hostname: "web1", canonicalName: nil, numericAddress: nil) == nil, "auditd refuses user without name")
        #expect(naming("# name_format = hostname\n").format == .none)
    }

    @Test func thisMachinesAuditdConf() throws {
        guard let file = fopen("/etc/audit/auditd.conf", "r") else { print("skipped: no /etc/audit/auditd.conf (apt-get install auditd)"); return }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count == 0 { break }
            bytes += chunk[..<count]
        }
        fclose(file)
        // Debian's default: name_format = NONE.
        let naming = AuditdNodeNaming.parse(auditdConf: bytes)
        let text = String(decoding: bytes, as: UTF8.self)
        let line = text.split(separator: "\n").first { $0.lowercased().hasPrefix("name_format") }
        let expected = line.map { String($0.split(separator: "=")[1].filter { $0 != " " && $0 != "\t" }).lowercased() } ?? "none"
        #expect(naming.format.rawValue == expected)
    }
}
