import Testing
@testable import BPFGuardCore

/// Built-in alerts about audit itself (issue 12, section 2), from records as the kernel and
/// auditd write them (Tests/Fixtures/captured/audit-config-changes.log).
@Suite struct AuditChangeTests {
    func change(_ kind: AuditChange.Kind, _ fields: [(String, String)], process: ProcessContext? = nil) -> AuditChange {
        AuditChange(kind: kind, timestamp: stamp(1000, serial: 7), fields: fields.map { (name: $0.0, value: $0.1) }, process: process)
    }

    @Test func whatRaisesAnAlert() {
        func label(_ change: AuditChange) -> String? { AuditChangeJudge.alert(for: change)?.label }
        #expect(label(change(.configChange, [("op", "set"), ("audit_enabled", "0"), ("old", "1")])) == "audit-disabled")
        #expect(label(change(.configChange, [("op", "set"), ("audit_enabled", "2"), ("old", "1")])) == nil, "locking is not disabling")
        #expect(label(change(.configChange, [("op", "set"), ("audit_backlog_limit", "320"), ("old", "64")])) == nil)
        #expect(label(change(.configChange, [("op", "add_rule"), ("key", "(null)"), ("list", "1")])) == "audit-rules-changed", "never,task")
        #expect(label(change(.configChange, [("op", "add_rule"), ("list", "5")])) == "audit-rules-changed", "exclude")
        #expect(label(change(.configChange, [("op", "add_rule"), ("list", "4")])) == nil, "an exit rule of unknown action")
        var auditctl = process(exe: "/usr/sbin/auditctl")
        auditctl.cmdline = Array("auditctl -a never,exit -F arch=b64 -S bpf".utf8)
        #expect(label(change(.configChange, [("op", "add_rule"), ("list", "4")], process: auditctl)) == "audit-rules-changed")
        auditctl.cmdline = Array("auditctl -a always,exit -F arch=b64 -S bpf -F a0=5".utf8)
        #expect(label(change(.configChange, [("op", "add_rule"), ("list", "4")], process: auditctl)) == nil)
        #expect(label(change(.configChange, [("op", "remove_rule"), ("key", "\"bpf-load\""), ("list", "4")])) == "audit-rules-changed")
        #expect(label(change(.daemonEnd, [("op", "terminate"), ("auid", "0"), ("uid", "0"), ("pid", "15189")])) == "audit-disabled")
        #expect(label(change(.daemonAbort, [("op", "abort")])) == "audit-disabled")
        #expect(label(change(.daemonResume, [("op", "resume")])) == "audit-resumed")
    }

    @Test func theAlertSaysWhatChangedAndWhoChangedIt() throws {
        let alert = try #require(AuditChangeJudge.alert(for: change(.configChange, [("op", "remove_rule"), ("key", "\"bpf-load\""), ("list", "4")],
                                                                   process: process(exe: "/usr/sbin/auditctl"))))
        #expect(AlertFormatter.line(fields: alert.fields)
                == "alert=audit-rules-changed priority=crit change=\"a rule was removed from the exit list key=bpf-load\" uid=0 auid=unset pid=100 comm=\"loader\" exe=\"/usr/sbin/auditctl\" event=1000.000:7 rule=builtin")
        let daemon = try #require(AuditChangeJudge.alert(for: change(.daemonEnd, [("op", "terminate"), ("auid", "0"), ("uid", "0"), ("pid", "15189")])))
        #expect(daemon.process?.pid == 15189, "a DAEMON record names auditd's process in its own fields")
    }

    @Test func loadsWithoutContextAreSaidOnceAnHour() {
        var reporter = MissingContextReporter()
        #expect(reporter.loadWithoutContext(at: stamp(1000), node: nil)?.loads == 1)
        for second in UInt64(1001)..<1100 { #expect(reporter.loadWithoutContext(at: stamp(second), node: nil) == nil) }
        let next = reporter.loadWithoutContext(at: stamp(1000 + 3600), node: nil)
        #expect(next?.loads == 100, "the 99 since the first alert and this one")
        #expect(next?.change.contains("(101 since start)") == true)
        #expect(reporter.total == 101)
    }

    @Test func builtinAlertsAreNeverFoldedOrCapped() throws {
        let policy = try compiledPolicy("max_alerts_per_minute = 1\nfold_burst = 1\nalert any op=load\n")
        var folder = AlertFolder(policy: policy)
        var out: [OutgoingAlert] = []
        for index in 0..<5 {
            folder.takeBuiltin(AuditAlert(label: "audit-disabled", priority: .crit, change: "x", node: nil, timestamp: stamp(1000, UInt32(index))), into: &out)
        }
        #expect(out.count == 5)
        #expect(folder.statistics.raised == 5 && folder.statistics.sent == 5)
    }
}
