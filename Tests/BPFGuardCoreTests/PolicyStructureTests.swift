import Testing
@testable import BPFGuardCore

/// Ordering in learning mode: which base alerts stay above learned rules, where the learned
/// blocks go, and what happens when a base puts its catch-all above its guards.
@Suite struct PolicyStructureTests {
    static func labels(_ policy: Policy, _ indices: some Sequence<Int>) -> [String] {
        indices.map { index in
            if case .alert(let label, _) = policy.rules[index].action { return label }
            return "allow@\(policy.rules[index].line)"
        }
    }

    @Test func theShippedPolicysGuardsAndInsertionPoints() throws {
        let policy = try Learning.policy(Learning.shippedPolicyText)
        let guards = policy.rules.indices.filter { PolicyStructure.isGuard(policy.rules[$0]) }
        #expect(Self.labels(policy, guards) == ["deleted-exe", "deleted-exe", "memfd-exe", "unnamed-exe", "unexpected-uid", "writable-dir-exe",
                                                "replaced-exe", "dangerous-helper", "persist-writable-dir-exe", "persist-network-attach"],
                "the last two guard op=persist only: no learned rule goes near them")
        for persistGuard in guards.suffix(2).map({ policy.rules[$0] }) {
            #expect(!PolicyStructure.applies(persistGuard, to: .load) && !PolicyStructure.applies(persistGuard, to: .unload))
        }
        let structure = PolicyStructure(policy: policy)
        #expect(Self.labels(policy, [structure.insertionIndex(for: .load)]) == ["bpftool-load"])
        #expect(Self.labels(policy, [structure.insertionIndex(for: .unload)]) == ["short-lived"])
        #expect(structure.lastGuard(for: .unload) == nil)
    }

    @Test func guardsAreAlertsOnWhoLoadedWhatItCallsAndWhereItLives() throws {
        let policy = try compiledPolicy("""
        %known = /usr/sbin/bpftool
        alert a op=load exe=*
        alert b op=load exe!=%known
        alert c op=unload uid!=0
        alert d op=load comm=/tmp/*
        alert e op=load exe=/opt/*
        alert f op=load prog-type=kprobe
        allow op=load helpers=bpf_send_signal
        alert g op=load helpers=bpf_send_signal
        alert h op=load exe="/memfd:*"
        alert i op=load auid=1000
        """)
        let guards = policy.rules.indices.filter { PolicyStructure.isGuard(policy.rules[$0]) }
        #expect(Self.labels(policy, guards) == ["c", "d", "g", "h", "i"])
        #expect(PolicyStructure.applies(policy.rules[2], to: .unload))
        #expect(!PolicyStructure.applies(policy.rules[2], to: .load))
        let structure = PolicyStructure(policy: policy)
        #expect(structure.lastGuard(for: .load) == 9)
        #expect(structure.lastGuard(for: .unload) == 2)
        // No alert for loads below the last guard: the end; for unloads the first alert
        // below `c` that applies to unloads (rule `a` and the others say op=load).
        #expect(structure.insertionIndex(for: .load) == policy.rules.count)
        #expect(structure.insertionIndex(for: .unload) == policy.rules.count)
    }

    @Test func learnedBlocksGoAboveTheCommentsOfTheirRule() throws {
        let base = Array("""
        %tools = /usr/sbin/bpftool
        alert odd-uid op=load uid!=0
        allow op=load exe=%tools

        # Everything else is unknown.
        # (two comment lines)
        alert unknown op=load
        alert short op=unload lifetime<1s
        """.utf8)
        let loader = process(exe: "/usr/libexec/agent")
        let events = (1...3).flatMap { Learning.program(UInt32($0), by: loader, at: 1000 + UInt64($0), lifetime: 100) }
        let text = Learning.text(Learning.generate(try Learning.learner(events, base: base), base: base))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let loadsStart = try #require(lines.firstIndex { $0.hasPrefix("# ==== loads") })
        let loadsEnd = try #require(lines.firstIndex { $0 == "# ==== end of learned loads ====" })
        #expect(lines[loadsStart - 2] == "allow op=load exe=%tools")
        #expect(lines[loadsEnd + 1] == "")
        #expect(lines[loadsEnd + 2] == "# Everything else is unknown.")
        let unloadsStart = try #require(lines.firstIndex { $0.hasPrefix("# ==== unloads") })
        #expect(lines[unloadsStart - 2] == "alert unknown op=load")
        #expect(lines[unloadsStart + 2] == "allow op=unload uid=0 exe=%learned_agent")
        #expect(lines.last == "" && lines[lines.count - 2] == "alert short op=unload lifetime<1s")
        // The learned policy silences the agent and keeps the guard.
        let learned = try compiledPolicy(text)
        #expect(Learning.alerts(events, policy: learned).isEmpty)
        #expect(Learning.alerts(Learning.program(9, by: process(uid: 1000, exe: "/usr/libexec/agent"), at: 2000), policy: learned) == ["odd-uid"])
    }

    @Test func aCatchAllAboveTheGuardsCommentsTheGroupOut() throws {
        let base = Array("""
        alert unknown op=load exe!=/usr/sbin/bpftool
        alert odd-uid op=load uid!=0
        alert login op=load auid=1000
        """.utf8)
        let agent = process(exe: "/usr/libexec/agent"), bpftool = process(auid: 1000, exe: "/usr/sbin/bpftool")
        var events: [BPFEvent] = []
        for id: UInt32 in 1...3 { events += Learning.program(id, by: agent, at: 1000 + UInt64(id)) }
        for id: UInt32 in 4...6 { events += Learning.program(id, by: bpftool, at: 1000 + UInt64(id)) }
        let result = Learning.generate(try Learning.learner(events, base: base), base: base)
        let text = Learning.text(result)
        #expect(result.proposed == 0 && result.commented == 1 && result.refused == 1)
        #expect(text.contains("#!!!! the base policy's alert 'unknown' decides these loads above its guards"))
        #expect(text.contains("\n# allow op=load uid=0 exe=%learned_agent\n"))
        #expect(text.contains("#   \"/usr/sbin/bpftool\": 3 loads: the base policy's alert 'login' (line 3) stays above learned rules\n"))
        // At the end: after the last guard there is no alert for loads.
        #expect(text.hasSuffix("# ==== end of learned loads ====\n"))
        #expect(try compiledPolicy(text).rules.count == 3)
    }
}
