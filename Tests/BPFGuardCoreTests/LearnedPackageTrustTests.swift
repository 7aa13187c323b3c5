import Testing
@testable import BPFGuardCore

/// Learning mode with the loader facts of `--lookup`: groups are keyed by package and
/// trust too, a trusted group's rules require them, a replaced or deleted executable is
/// never proposed, and an executable no package owns is allowed by path with a remark.
@Suite struct LearnedPackageTrustTests {
    static let agent = process(comm: "agentd", exe: "/usr/sbin/agentd")
    static let trusted = LoaderFacts(package: .named("agent"), trust: .yes, container: .unknown)
    static let replaced = LoaderFacts(package: .named("agent"), trust: .no, container: .unknown)

    /// Programs 1…n of `agent` at one-second steps, each with the facts `facts(id)`.
    static func events(_ count: Int) -> [BPFEvent] {
        (1...count).flatMap { Learning.program(UInt32($0), by: agent, at: 1_795_945_910 + UInt64($0)) }
    }

    /// Kernel lookups as the executable gives them: facts for LOADs, nothing for UNLOADs.
    static func enrichment(_ facts: @escaping (UInt32) -> LoaderFacts) -> (BPFEvent) -> Engine.Enrichment? {
        { event in Engine.Enrichment(program: .notDone, loaderFacts: event.operation == .load ? facts(event.programID) : .unknown) }
    }

    /// The labels of the alerts `policy` raises for `events` with these lookups.
    static func alerts(_ events: [BPFEvent], policy: Policy, _ enrichment: (BPFEvent) -> Engine.Enrichment?) -> [String] {
        var engine = Engine(policy: policy)
        return events.compactMap { engine.process($0, enrichment: enrichment($0)).map { "\($0.label) \($0.subject.event.programID)" } }
    }

    @Test func aReplacedBinaryAtTheSamePathIsRefusedAndTheTrustedOnesRuleRequiresThePackage() throws {
        // Programs 1-3: the packaged file; 4: another file at the same path.
        let events = Self.events(4)
        let lookups = Self.enrichment { $0 == 4 ? Self.replaced : Self.trusted }
        let result = Learning.generate(try Learning.learner(events, enrichment: lookups))
        let text = Learning.text(result)
        #expect(result.proposed == 1 && result.commented == 0 && result.refused == 1)
        #expect(text.contains("""
        #   exe-package agent, exe-trusted=yes: the rules require both (another file at this path does not pass)
        %learned_agentd = /usr/sbin/agentd
        allow op=load uid=0 exe=%learned_agentd exe-package=agent exe-trusted=yes

        """))
        #expect(text.contains("# %learned_agentd: 3 loads on 1 day, 3 unloads;"))
        #expect(text.contains("#   \"/usr/sbin/agentd\": 1 load: exe-trusted=no: not the file package agent installed (replaced or modified)\n"))

        // The learned policy silences the packaged file's loads, not the replaced one's.
        let parsed = parse(text)
        #expect(parsed.diagnostics.isEmpty, "\(parsed.diagnostics)")
        let learned = try #require(parsed.policy)
        let base = try Learning.policy(Learning.shippedPolicyText)
        #expect(Self.alerts(events, policy: base, lookups) == ["unknown-exe 1", "unknown-exe 2", "unknown-exe 3", "replaced-exe 4"])
        #expect(Self.alerts(events, policy: learned, lookups) == ["replaced-exe 4"])
        // Replayed without lookups (trust unknown), the learned rule allows nothing.
        #expect(Self.alerts(events, policy: learned, { _ in nil }).count == 4)
    }

    @Test func deletedOrUntrustedLoadsAreNeverProposed() throws {
        let deleted = LoaderFacts(package: .named("agent"), trust: .deleted, container: .unknown)
        for (facts, reason) in [(Self.replaced, "exe-trusted=no: not the file package agent installed (replaced or modified)"),
                                (deleted, "deleted executable")] {
            let result = Learning.generate(try Learning.learner(Self.events(5), enrichment: Self.enrichment { _ in facts }))
            #expect(result.proposed + result.commented == 0 && result.refused == 1)
            #expect(Learning.text(result).contains("#   \"/usr/sbin/agentd\": 5 loads: \(reason)\n"))
        }
        #expect(LoaderSafety.refusals(loader: Self.agent, program: .notDone, facts: Self.replaced) == [.untrustedExecutable(package: "agent")])
        #expect(LoaderSafety.refusals(loader: Self.agent, program: .notDone, facts: deleted) == [.deletedExecutable])
        #expect(LoaderSafety.refusals(loader: process(exe: "/usr/sbin/agentd (deleted)"), program: .notDone, facts: deleted) == [.deletedExecutable])
        #expect(LoaderSafety.refusals(loader: Self.agent, program: .notDone, facts: Self.trusted).isEmpty)
    }

    @Test func executablesNoPackageOwnsOrOfUnknownTrustAreAllowedByPath() throws {
        let cases: [(LoaderFacts, String)] = [
            (LoaderFacts(package: .none, trust: .none, container: .no), "exe-package=none: not package-owned; allowed by path only"),
            (LoaderFacts(package: .named("agent"), trust: .unknown, container: .unknown), "exe-package agent, exe-trusted=?: allowed by path only"),
            (.unknown, "exe-package and exe-trusted unknown: allowed by path only"),
        ]
        for (facts, note) in cases {
            let text = Learning.text(Learning.generate(try Learning.learner(Self.events(3), enrichment: Self.enrichment { _ in facts })))
            #expect(text.contains("#   \(note)\n%learned_agentd = /usr/sbin/agentd\nallow op=load uid=0 exe=%learned_agentd\n"), "\(facts)")
            #expect(!text.contains("exe=%learned_agentd exe-package"), "no package conditions in the learned rule")
        }
    }

    @Test func theSamePathWithDifferentTrustMakesTwoGroupsInAFixedOrder() throws {
        // Loads of one path seen from another node carry no facts (`?`): a group of their own.
        let events = Self.events(6)
        let lookups = Self.enrichment { $0 <= 3 ? Self.trusted : .unknown }
        let text = Learning.text(Learning.generate(try Learning.learner(events, enrichment: lookups)))
        #expect(text.contains("\nallow op=load uid=0 exe=%learned_agentd\n"))
        #expect(text.contains("\nallow op=load uid=0 exe=%learned_agentd_2 exe-package=agent exe-trusted=yes\n"))
        #expect(try #require(text.firstRange(of: "%learned_agentd = ")).lowerBound < (try #require(text.firstRange(of: "%learned_agentd_2 = "))).lowerBound)
        // Reversed lookups give the same bytes for the same split.
        let reversed = Learning.text(Learning.generate(try Learning.learner(events.reversed().filter { $0.operation == .load }
            + events.filter { $0.operation == .unload }, enrichment: lookups)))
        #expect(reversed == text)
        #expect(parse(text).diagnostics.isEmpty)
    }

    @Test func withoutLookupsNothingChanges() throws {
        let text = Learning.text(Learning.generate(try Learning.learner(Self.events(3))))
        #expect(text.contains("#   program types not looked up (no --lookup); lifetimes 5s\n%learned_agentd = /usr/sbin/agentd\nallow op=load uid=0 exe=%learned_agentd\n"))
        #expect(!text.contains("exe-package"))
        #expect(LearnedPackageTrust(nil) == .notLookedUp && LearnedPackageTrust(nil).note == nil && LearnedPackageTrust(nil).conditions.isEmpty)
    }
}
