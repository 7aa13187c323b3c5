import Testing
@testable import BPFGuardCore

/// `op=persist` and `op=unseen` in policies and alerts, the `scan_interval` setting, and
/// that a record cannot claim to be one of them.
@Suite struct ObservedOperationsTests {
    static func subject(_ operation: BPFOperation, loader: ProcessContext? = process(), lifetime: UInt64? = 1500) -> RuleSubject {
        RuleSubject(event: BPFEvent(operation: operation, programID: 12, timestamp: stamp(1_800_000_000, 250, serial: 0)), loader: loader,
                    lifetimeMilliseconds: lifetime)
    }

    @Test func policiesNameTheOperationsInAnyCase() throws {
        let policy = try compiledPolicy("""
        alert p op=persist
        alert u op=UNSEEN
        alert long op!=load lifetime>1h
        alert other
        """)
        #expect(decide(policy, Self.subject(.persist)) == "p")
        #expect(decide(policy, Self.subject(.unseen)) == "u")
        #expect(decide(policy, Self.subject(.unload, lifetime: 7_200_000)) == "long")
        #expect(decide(policy, Self.subject(.load)) == "other", "a rule without op applies to every operation")
        #expect(BPFOperation(policyValue: "Persist") == .persist)
        #expect(BPFOperation.allCases.map(\.policyName) == ["load", "unload", "persist", "unseen"])
    }

    @Test func aRecordCannotClaimAnObservedOperation() {
        for value in ["PERSIST", "persist", "UNSEEN", "unseen"] {
            #expect(BPFOperation(recordValue: value) == nil, "\(value)")
        }
        let line = Array("type=BPF msg=audit(1800000000.250:7): prog-id=12 op=PERSIST".utf8)
        let parsed = line.withUnsafeBufferPointer { buffer in
            AuditRecordHeader.parse(buffer).flatMap { BPFRecordFilter.program(in: buffer, $0) }
        }
        #expect(parsed == nil, "the pre-filter refuses it like any BPF record without a valid op")
    }

    @Test func alertLinesCarryTheLifetimeSoFar() {
        let persist = Alert(label: "outlived", priority: .warning, subject: Self.subject(.persist), rule: .line(3))
        #expect(AlertFormatter.line(persist)
                == "alert=outlived priority=warning op=PERSIST prog-id=12 uid=0 auid=unset euid=0 pid=100 ppid=1 comm=\"loader\" exe=\"/usr/sbin/bpftool\" cmdline=? lifetime=1500ms event=1800000000.250:0 rule=3")
        let unseen = Alert(label: "u", priority: .crit, subject: Self.subject(.unseen, loader: ProcessContext(uid: 1000), lifetime: nil), rule: .line(4))
        #expect(AlertFormatter.json(unseen).contains(#""op":"UNSEEN","prog_id":12,"uid":1000,"auid":null"#))
        #expect(AlertFormatter.json(unseen).contains(#""lifetime":null,"#))
    }

    @Test func ecsSaysTheScanSawIt() {
        let context = ECSContext(hostName: "h", policyPath: "/p")
        for (operation, action) in [(BPFOperation.persist, "bpf-program-outlived-loader"), (.unseen, "unannounced-bpf-program")] {
            let alert = Alert(label: "x", priority: .crit, subject: Self.subject(operation), rule: .line(1))
            let document = ECSFormatter.document(.single(alert), context: context)
            #expect(document.contains(#""type":["info"],"action":"\#(action)""#), "\(document)")
            #expect(document.contains(#""provider":"audisp-bpfguard""#))
            #expect(document.contains(#""lifetime":1500"#))
        }
    }

    @Test func scanIntervalSetting() throws {
        #expect(try compiledPolicy("").settings.scanIntervalMilliseconds == 10_000)
        #expect(try compiledPolicy("scan_interval = 1s").settings.scanIntervalMilliseconds == 1000)
        #expect(try compiledPolicy("scan_interval = 10m").settings.scanIntervalMilliseconds == 600_000)
        #expect(try compiledPolicy("scan_interval = 0").settings.scanIntervalMilliseconds == 0)
        #expect(try compiledPolicy("scan_interval = 0s").settings.scanIntervalMilliseconds == 0)
        let expected = "expected a duration from 1s to 10m such as 10s (0 turns scans off) for setting 'scan_interval'"
        for bad in ["500ms", "11m", "1h", "fast", "-1s"] {
            let errors = parse("scan_interval = \(bad)\n").errors.map(\.description)
            #expect(errors == ["test.policy:1:17: error: \(expected), found '\(bad)'"], "\(bad)")
        }
    }

    @Test func theDefaultPolicyFlagsGenericAndUnknownLoadersAndEveryUnseenProgram() throws {
        let repository = String(#filePath.prefix(upTo: #filePath.firstRange(of: "/Tests/")!.lowerBound))
        let text = try ProcParsingTests.contents(of: repository + "/Packaging/bpfguard.policy")
        let result = PolicyParser.parse(bytes: text, path: "bpfguard.policy", resolver: TableResolver())
        let policy = try #require(result.policy, "\(result.diagnostics)")
        #expect(policy.settings.scanIntervalMilliseconds == 10_000)
        func persisting(_ exe: String) -> (String, SyslogPriority)? {
            policy.evaluate(Self.subject(.persist, loader: process(exe: exe))).alert
        }
        for generic in ["/usr/sbin/bpftool", "/usr/bin/bpftrace", "/usr/sbin/ip", "/usr/bin/tc", "/usr/bin/python3.11", "/usr/bin/perl", "/usr/bin/dash", "/bin/bash"] {
            #expect(persisting(generic)?.0 == "persist-generic-loader", "\(generic)")
        }
        for known in ["/usr/lib/systemd/systemd", "/usr/bin/runc", "/usr/bin/crun", "/usr/bin/cilium-agent"] {
            let verified = RuleSubject(event: Self.subject(.persist).event, loader: process(exe: known), lifetimeMilliseconds: 1500,
                                       facts: LoaderFacts(package: .named("pkg"), trust: .yes, container: .no))
            #expect(policy.evaluate(verified).alert == nil, "\(known) keeps programs by design, with its package's bytes")
            #expect(persisting(known)?.0 == "persist-unknown-exe", "\(known) by its path alone")
        }
        #expect(persisting("/opt/vendor/agent")?.0 == "persist-unknown-exe")
        #expect(persisting("/tmp/x")?.0 == "persist-writable-dir-exe")
        #expect(persisting("/tmp/x")?.1 == .crit)
        #expect(policy.evaluate(Self.subject(.unseen, loader: ProcessContext(uid: 0))).alert?.label == "unseen")
        #expect(policy.evaluate(Self.subject(.unseen, loader: ProcessContext(uid: 0))).alert?.priority == .crit)
        #expect(policy.evaluate(Self.subject(.persist, loader: nil)).alert?.label == "persist-unknown-exe", "an unknown loader too")
    }
}
