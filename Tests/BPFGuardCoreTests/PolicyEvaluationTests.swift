import Testing
@testable import BPFGuardCore

/// Rules are evaluated first match wins, with sets, ranges, globs, names, durations and the
/// documented semantics of unknown values.
@Suite struct PolicyEvaluationTests {
    static let example = """
    %loaders = /usr/lib/systemd/systemd, /usr/sbin/bpftool
    allow                   op=load uid=0 exe=%loaders
    alert unexpected-uid    op=load uid!=0               priority=crit
    alert unknown-exe       op=load exe!=%loaders
    alert short-lived       op=unload lifetime<1s        priority=notice
    """

    @Test func theIssueExample() throws {
        let policy = try compiledPolicy(Self.example)
        let allowed = policy.evaluate(RuleSubject(event: load(1), loader: process(uid: 0, exe: "/usr/sbin/bpftool")))
        #expect(allowed.alert == nil)
        #expect(allowed.rule == .line(2))

        let byUser = policy.evaluate(RuleSubject(event: load(2), loader: process(uid: 1000, exe: "/usr/sbin/bpftool")))
        #expect(byUser.alert?.label == "unexpected-uid")
        #expect(byUser.alert?.priority == .crit)
        #expect(byUser.rule == .line(3))

        let unknownExe = policy.evaluate(RuleSubject(event: load(3), loader: process(uid: 0, exe: "/tmp/x")))
        #expect(unknownExe.alert?.label == "unknown-exe")
        #expect(unknownExe.alert?.priority == .warning, "the default priority is warning")

        let quick = RuleSubject(event: unload(3), loader: process(), lifetimeMilliseconds: 999)
        #expect(policy.evaluate(quick).alert?.label == "short-lived")
        let slow = RuleSubject(event: unload(3), loader: process(), lifetimeMilliseconds: 1000)
        #expect(policy.evaluate(slow).alert == nil)
        #expect(policy.evaluate(slow).rule == .defaultSetting)
    }

    @Test func firstMatchWins() throws {
        let policy = try compiledPolicy("""
        alert first uid=1000
        alert second uid=1000-2000
        allow uid>=1000
        """)
        #expect(decide(policy, RuleSubject(event: load(1), loader: process(uid: 1000))) == "first")
        #expect(decide(policy, RuleSubject(event: load(1), loader: process(uid: 1500))) == "second")
        #expect(decide(policy, RuleSubject(event: load(1), loader: process(uid: 2001))) == nil)
        #expect(policy.evaluate(RuleSubject(event: load(1), loader: process(uid: 2001))).rule == .line(3))
    }

    @Test func unknownValuesFailClosed() throws {
        let policy = try compiledPolicy("""
        alert not-root op=load uid!=0
        alert old op=load uid<5
        """)
        let standalone = RuleSubject(event: load(7, by: nil), loader: nil)
        #expect(decide(policy, standalone) == "not-root", "uid!=0 flags a load whose loader is unknown")
        let ordering = try compiledPolicy("alert small uid<5\nalert big uid>=5\n")
        #expect(decide(ordering, standalone) == nil, "ordering comparisons never match an unknown value")
    }

    @Test func questionMarkTestsForUnknown() throws {
        let policy = try compiledPolicy("""
        alert unknown-loader exe=?
        alert known-loader exe!=?
        """)
        #expect(decide(policy, RuleSubject(event: load(1, by: nil), loader: nil)) == "unknown-loader")
        #expect(decide(policy, RuleSubject(event: load(1), loader: process())) == "known-loader")
        let literal = try compiledPolicy("alert literal comm=\"?\"\n")
        var questionComm = process()
        questionComm.comm = Array("?".utf8)
        #expect(decide(literal, RuleSubject(event: load(1), loader: questionComm)) == "literal", "a quoted ? is the literal string")
        #expect(decide(literal, RuleSubject(event: load(1, by: nil), loader: nil)) == nil)
    }

    @Test func setsMeanMembership() throws {
        let policy = try compiledPolicy("""
        %admins = root, 1000-1010, systemd-network
        %tools = /usr/sbin/*, "/opt/my tools/loader"
        alert admin-tool uid=%admins exe=%tools
        alert outsider uid!=%admins
        """)
        #expect(decide(policy, RuleSubject(event: load(1), loader: process(uid: 998, exe: "/usr/sbin/bpftool"))) == "admin-tool")
        #expect(decide(policy, RuleSubject(event: load(1), loader: process(uid: 1005, exe: "/opt/my tools/loader"))) == "admin-tool")
        #expect(decide(policy, RuleSubject(event: load(1), loader: process(uid: 0, exe: "/usr/bin/x"))) == nil)
        #expect(decide(policy, RuleSubject(event: load(1), loader: process(uid: 1011))) == "outsider")
        #expect(decide(policy, RuleSubject(event: load(1, by: nil), loader: nil)) == "outsider", "an unknown uid is not a member")
    }

    @Test func aSetIncludesSetsDefinedAboveIt() throws {
        let policy = try compiledPolicy("""
        %bpftool = /usr/sbin/bpftool
        %generic = %bpftool, /usr/bin/ip, "%literal"
        alert generic exe=%generic
        """)
        #expect(decide(policy, RuleSubject(event: load(1), loader: process(exe: "/usr/sbin/bpftool"))) == "generic", "the included set's member")
        #expect(decide(policy, RuleSubject(event: load(1), loader: process(exe: "/usr/bin/ip"))) == "generic")
        #expect(decide(policy, RuleSubject(event: load(1), loader: process(exe: "%literal"))) == "generic", "a quoted % is a value")
        #expect(decide(policy, RuleSubject(event: load(1), loader: process(exe: "%bpftool"))) == nil, "not the literal '%bpftool'")
        #expect(parse("%a = /x\n%b = %a\nalert t exe=%b\n").diagnostics.isEmpty, "an included set counts as used")

        let undefined = parse("%b = %a, /y\nalert t exe=%b\n")
        #expect(undefined.diagnostics.map(\.description) == [
            "test.policy:1:6: error: undefined set '%a' in set '%b' (a set includes only sets defined above it; write a value beginning with '%' quoted)",
        ])
        #expect(parse("%b = /y, %b\nalert t exe=%b\n").diagnostics.first?.description == "test.policy:1:10: error: set '%b' cannot include itself")
    }

    @Test func globs() throws {
        let policy = try compiledPolicy("""
        alert tmp exe=/tmp/*
        alert middle exe=/opt/*/bin/*-agent
        alert star exe="/srv/\\*literal"
        """)
        func label(_ exe: String) -> String? { decide(policy, RuleSubject(event: load(1), loader: process(exe: exe))) }
        #expect(label("/tmp/a/b/c") == "tmp", "* crosses slashes")
        #expect(label("/tmp") == nil)
        #expect(label("/opt/x/bin/cilium-agent") == "middle")
        #expect(label("/opt/x/bin/cilium-agent2") == nil)
        #expect(label("/srv/*literal") == "star")
        #expect(label("/srv/xliteral") == nil)
    }

    @Test func escapesMatchRawBytes() throws {
        let policy = try compiledPolicy("alert odd exe=\"/tmp/\\xff\\\"q\"\n")
        var loader = process()
        loader.exe = Array("/tmp/".utf8) + [0xFF, UInt8(ascii: "\""), UInt8(ascii: "q")]
        #expect(decide(policy, RuleSubject(event: load(1), loader: loader)) == "odd")
    }

    @Test func namesResolveWhenLoaded() throws {
        let policy = try compiledPolicy("alert alice uid=alice\nalert bpf-group gid=bpf\nalert login auid=alice\n")
        #expect(policy.rules[0].conditions[0].pattern == .range(1000...1000))
        #expect(policy.rules[1].conditions[0].pattern == .range(950...950))
        #expect(policy.rules[2].conditions[0].pattern == .range(1000...1000))
    }

    @Test func unsetAuidAndSession() throws {
        let policy = try compiledPolicy("alert no-login auid=unset\nalert session ses!=unset\n")
        #expect(decide(policy, RuleSubject(event: load(1), loader: process(auid: ProcessContext.unsetID))) == "no-login")
        var loggedIn = process(auid: 1000)
        loggedIn.ses = 4
        #expect(decide(policy, RuleSubject(event: load(1), loader: loggedIn)) == "session")
    }

    @Test func durationsAndRanges() throws {
        let policy = try compiledPolicy("""
        alert instant op=unload lifetime<=250ms
        alert minute op=unload lifetime=1s-1m
        alert long op=unload lifetime>1h
        """)
        func label(_ ms: UInt64?) -> String? {
            decide(policy, RuleSubject(event: unload(1), loader: process(), lifetimeMilliseconds: ms))
        }
        #expect(label(250) == "instant")
        #expect(label(251) == nil)
        #expect(label(1000) == "minute")
        #expect(label(60_000) == "minute")
        #expect(label(3_600_001) == "long")
        #expect(label(nil) == nil, "an unknown lifetime matches no comparison")
    }

    @Test func numericComparisons() throws {
        let policy = try compiledPolicy("alert lt pid<10\nalert le pid<=10\nalert gt pid>100\nalert ge pid>=100\nalert ne pid!=50-60\n")
        func label(_ pid: UInt32) -> String? { decide(policy, RuleSubject(event: load(1), loader: process(pid: pid))) }
        #expect(label(9) == "lt")
        #expect(label(10) == "le")
        #expect(label(101) == "gt")
        #expect(label(100) == "ge")
        #expect(label(40) == "ne")
        #expect(label(55) == nil)
    }

    @Test func opAndProgIDAndNode() throws {
        let policy = try compiledPolicy("alert node-b op=UNLOAD node=sensor-b prog-id=5\nalert any-unload op=unload\n")
        #expect(decide(policy, RuleSubject(event: unload(5, node: "sensor-b"), loader: nil)) == "node-b")
        #expect(decide(policy, RuleSubject(event: unload(5, node: "sensor-a"), loader: nil)) == "any-unload")
        #expect(decide(policy, RuleSubject(event: load(5, node: "sensor-b"), loader: process())) == nil)
    }

    @Test func unloaderFields() throws {
        let policy = try compiledPolicy("alert foreign-unload op=unload unloader-uid!=0\nalert by-rm op=unload unloader-exe=/usr/bin/rm unloader-comm=rm unloader-pid=77\n")
        let byUser = RuleSubject(event: unload(5), loader: process(), unloader: process(uid: 1000))
        #expect(decide(policy, byUser) == "foreign-unload")
        let byRoot = RuleSubject(event: unload(5), loader: process(), unloader: process(uid: 0, pid: 77, comm: "rm", exe: "/usr/bin/rm"))
        #expect(decide(policy, byRoot) == "by-rm")
    }

    @Test func defaultAlert() throws {
        let policy = try compiledPolicy("default = alert\ndefault_priority = err\nallow uid=0\n")
        let decision = policy.evaluate(RuleSubject(event: load(1), loader: process(uid: 5)))
        #expect(decision.alert?.label == "default")
        #expect(decision.alert?.priority == .err)
        #expect(decision.rule == .defaultSetting)
        #expect(decision.ruleIndex == nil)
    }

    @Test func settings() throws {
        let policy = try compiledPolicy("facility = LOG_LOCAL3\nmax_programs = 10\nqueue_size = 64\nlocal_node = sensor-a\n# comment\n  \nfold_window = 2m\nfold_burst = 3\nfold_by = alert, exe, uid\nmax_alerts_per_minute = 0\n")
        #expect(policy.settings.queueSize == 64)
        #expect(policy.settings.localNode == "sensor-a")
        #expect(policy.settings.facility == .local3)
        #expect(policy.settings.maxPrograms == 10)
        #expect(policy.settings.defaultAction == .allow)
        #expect(policy.rules.isEmpty)
        #expect(policy.settings.foldWindowMilliseconds == 120_000)
        #expect(policy.settings.foldBurst == 3)
        #expect(policy.settings.foldBy == [.label, .field(.exe), .field(.uid)])
        #expect(policy.settings.maxAlertsPerMinute == 0)
        #expect(policy.summary == "0 rules (0 allow, 0 alert), 0 sets, default=allow, facility=local3, max_programs=10, fold_window=120s, fold_burst=3, fold_by=label,exe,uid, max_alerts_per_minute=0, scan_interval=10s")
    }

    @Test func commentsQuotesAndContinuations() throws {
        let policy = try compiledPolicy("""
        %paths = "/a b/#not-a-comment",   # a comment
                 /c,
                 # systemd
                 /d,

                 /e*
        alert x exe=%paths # trailing comment
        """)
        func label(_ exe: String) -> String? { decide(policy, RuleSubject(event: load(1), loader: process(exe: exe))) }
        #expect(label("/a b/#not-a-comment") == "x")
        #expect(label("/d") == "x")
        #expect(label("/ex") == "x")
        #expect(label("/f") == nil)
        #expect(policy.rules[0].line == 7)
    }
}
