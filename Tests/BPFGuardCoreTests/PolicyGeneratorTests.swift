import Testing
@testable import BPFGuardCore

/// Learning mode from events to policy text: what is proposed, commented out or refused,
/// that the text compiles and silences exactly what it proposes, and that it does not
/// depend on the order of the events.
@Suite struct PolicyGeneratorTests {
    static let netmon = process(exe: "/usr/local/libexec/bpfguard-capture/netmon")

    /// What lookups said of bpftool's load (program 8): package-verified, and unloaded before
    /// the lookup, as its feature probes are. The shipped policy allows that; nothing else
    /// here is looked up.
    static func mixedEnrichment(_ event: BPFEvent) -> Engine.Enrichment? {
        guard event.programID == 8, event.operation == .load else { return nil }
        return Engine.Enrichment(program: .gone, loaderFacts: LoaderFacts(package: .named("bpftool"), trust: .yes, container: .no))
    }

    /// Loads by a known agent, a /tmp loader, a non-root loader, a deleted executable, a
    /// standalone record and bpftool (allowed by the shipped policy on its facts).
    static let mixed: [BPFEvent] = {
        var events: [BPFEvent] = []
        events += Learning.program(1, by: netmon, at: 1_795_945_910, lifetime: 1500)
        events += Learning.program(2, by: netmon, at: 1_795_945_912, lifetime: 200)
        events += Learning.program(3, by: netmon, at: 1_795_945_914, lifetime: 1500)
        events += Learning.program(4, by: process(exe: "/tmp/bpfguard-capture/bpfload"), at: 1_795_945_916, lifetime: 100)
        events += Learning.program(5, by: process(uid: 65534, exe: "/usr/local/sbin/capbpf"), at: 1_795_945_917)
        events += Learning.program(6, by: process(exe: "/usr/local/sbin/vanish (deleted)"), at: 1_795_945_918)
        events += Learning.program(7, by: nil, at: 1_795_945_919)
        events += Learning.program(8, by: process(exe: "/usr/sbin/bpftool"), at: 1_795_945_920, lifetime: 10)
        return events
    }()

    @Test func proposesWhatTheBaseAlertsOnAndNothingUnsafe() throws {
        let result = Learning.generate(try Learning.learner(Self.mixed, enrichment: Self.mixedEnrichment))
        let text = Learning.text(result)
        #expect(result.proposed == 1 && result.commented == 0 && result.refused == 4)
        #expect(text.contains("\n%learned_netmon = /usr/local/libexec/bpfguard-capture/netmon\nallow op=load uid=0 exe=%learned_netmon\n"))
        #expect(text.contains("\nallow op=unload uid=0 exe=%learned_netmon\n"))
        #expect(text.contains("# %learned_netmon: 3 loads on 1 day, 3 unloads; from 2026-11-29T09:51:50Z to 2026-11-29T09:51:55Z\n"))
        #expect(text.contains("#   program types not looked up (no --lookup); lifetimes 200ms to 1.5s, most 1s-10s (2 of 3)\n"))
        #expect(text.contains("#   \"/tmp/bpfguard-capture/bpfload\": 1 load: in a world-writable place or home directory (/tmp/)\n"))
        #expect(text.contains("#   \"/usr/local/sbin/capbpf\": 1 load by uid 65534: non-root loader\n"))
        #expect(text.contains("#   \"/usr/local/sbin/vanish (deleted)\": 1 load: deleted executable\n"))
        #expect(text.contains("#   (unknown executable): 1 load: no loader: the BPF record came without its SYSCALL record\n"))
        #expect(text.contains("# Already allowed by the base policy:\n#   \"/usr/sbin/bpftool\" (program type unknown): 1 load\n"))

        // It compiles without warnings, silences netmon and nothing else.
        let parsed = parse(text)
        #expect(parsed.diagnostics.isEmpty, "\(parsed.diagnostics)")
        let learned = try #require(parsed.policy)
        let before = Learning.alerts(Self.mixed, policy: try Learning.policy(Learning.shippedPolicyText))
        let after = Learning.alerts(Self.mixed, policy: learned)
        // (Replayed without facts, bpftool is not trusted: bpftool-load, short-lived.)
        #expect(before == ["unknown-exe", "unknown-exe", "short-lived", "unknown-exe", "writable-dir-exe", "short-lived",
                           "unexpected-uid", "deleted-exe", "unexpected-uid", "bpftool-load", "short-lived"])
        #expect(after == ["writable-dir-exe", "short-lived", "unexpected-uid", "deleted-exe", "unexpected-uid", "bpftool-load", "short-lived"])
    }

    @Test func thresholdsCommentGroupsOutForReview() throws {
        let twice = Array(Self.mixed.prefix(4))
        let few = Learning.text(Learning.generate(try Learning.learner(twice)))
        #expect(few.contains("#!!!! review: seen 2 times on 1 day, fewer than --min-count 3 loads\n"))
        #expect(few.contains("\n# %learned_netmon = /usr/local/libexec/bpfguard-capture/netmon\n# allow op=load uid=0 exe=%learned_netmon\n"))
        #expect(few.contains("\n# allow op=unload uid=0 exe=%learned_netmon\n"))
        #expect(parse(few).diagnostics.isEmpty)
        #expect(Learning.generate(try Learning.learner(twice), minCount: 2).proposed == 1)

        // Days are UTC days of the records' stamps: 23:59:59 and 00:00:00 are two days.
        let midnight: UInt64 = 1_795_996_800
        let acrossMidnight = Learning.program(1, by: Self.netmon, at: midnight - 1) + Learning.program(2, by: Self.netmon, at: midnight)
            + Learning.program(3, by: Self.netmon, at: midnight + 3600)
        let learner = try Learning.learner(acrossMidnight)
        #expect(Learning.generate(learner, minDays: 2).proposed == 1)
        #expect(Learning.text(Learning.generate(learner, minDays: 3)).contains("#!!!! review: seen 3 times on 2 days, on fewer than --min-days 3 days\n"))
        let sameDay = Learning.program(1, by: Self.netmon, at: midnight) + Learning.program(2, by: Self.netmon, at: midnight + 1)
            + Learning.program(3, by: Self.netmon, at: midnight + 86_399)
        #expect(Learning.generate(try Learning.learner(sameDay), minDays: 2).proposed == 0)
    }

    @Test func theSameEventsInAnyOrderGiveTheSameBytes() throws {
        // Programs of several loaders on several nodes; each program's LOAD stays before its UNLOAD.
        let loaders = ["/usr/libexec/a", "/usr/libexec/b", "/opt/c-1.0/c", "/usr/bin/python3.11", "/tmp/x", "/usr/sbin/bpftool"]
        var programs: [[BPFEvent]] = []
        for id in 1...60 {
            let exe = loaders[id % loaders.count]
            programs.append(Learning.program(UInt32(id), by: process(uid: id % 7 == 0 ? 1000 : 0, auid: UInt32(id % 3), exe: exe),
                                             at: 1_795_945_910 + UInt64(id * 5000), lifetime: UInt64(id * 37), node: ["n1", "n2", nil][id / loaders.count % 3]))
        }
        let reference = Learning.generate(try Learning.learner(programs.flatMap { $0 })).text
        var random = RandomInputTests.Generator(state: 11)
        for _ in 0..<5 {
            // Interleave the programs at random, each keeping its own order.
            var queues = programs.shuffled(using: &random)
            var events: [BPFEvent] = []
            while !queues.isEmpty {
                let index = Int.random(in: 0..<queues.count, using: &random)
                events.append(queues[index].removeFirst())
                if queues[index].isEmpty { queues.remove(at: index) }
            }
            #expect(Learning.generate(try Learning.learner(events)).text == reference)
        }
        let text = String(decoding: reference, as: UTF8.self)
        #expect(text.contains("# Nodes: n1, n2.\n"))
        #expect(text.contains("\n%learned_a = /usr/libexec/a\n") && text.contains("#   nodes n1, n2\n"))
    }

    @Test func executablesCannotForgeRulesOrComments() throws {
        var random = RandomInputTests.Generator(state: 5)
        for _ in 0..<300 {
            let exe = Array("/usr/libexec/".utf8) + RandomInputTests.bytes(&random, maximum: 30).filter { $0 != UInt8(ascii: "/") && $0 != 0 }
            var loader = process()
            loader.exe = exe
            loader.comm = RandomInputTests.bytes(&random, maximum: 16)
            loader.tty = RandomInputTests.bytes(&random, maximum: 8)
            let events = (1...3).flatMap { Learning.program(UInt32($0), by: loader, at: 1_795_945_910 + UInt64($0), lifetime: 10) }
            let text = Learning.text(Learning.generate(try Learning.learner(events)))
            let parsed = parse(text)
            let learned = try #require(parsed.policy, "\(parsed.diagnostics)")
            #expect(parsed.diagnostics.isEmpty)
            let base = try Learning.policy(Learning.shippedPolicyText)
            // Only the two learned rules are added, and they allow exactly this executable.
            let glob = VersionedPathGlobs.glob(exe) != nil
            #expect(learned.rules.count == base.rules.count + 2 || (GenericLoaders.isGeneric(exe) && learned.rules.count == base.rules.count))
            if !GenericLoaders.isGeneric(exe) {
                #expect(Learning.alerts(events, policy: learned).isEmpty)
                var other = loader
                other.exe = exe + [UInt8(ascii: "x")]
                #expect(Learning.alerts(Learning.program(9, by: other, at: 1_795_946_000), policy: learned) == ["unknown-exe"] || glob)
            }
        }
    }

    @Test func globsNeedSafeDirectoriesAndUnsafeOnesRefuse() throws {
        let events = (1...3).flatMap { Learning.program(UInt32($0), by: process(exe: "/usr/lib/jvm/java-17-openjdk-amd64/bin/java"), at: 1_795_945_910 + UInt64($0)) }
        let learner = try Learning.learner(events)
        #expect(PolicyGenerator.directoriesToCheck(learner).map { String(decoding: $0, as: UTF8.self) }
                == ["/", "/usr", "/usr/lib", "/usr/lib/jvm", "/usr/lib/jvm/java-17-openjdk-amd64", "/usr/lib/jvm/java-17-openjdk-amd64/bin"])
        let globbed = Learning.text(Learning.generate(learner))
        #expect(globbed.contains("\n%learned_java = /usr/lib/jvm/*/bin/java\n"))
        #expect(globbed.contains("#   globbed: Java installation\n"))

        var facts = Learning.safeFacts(learner)
        facts[Array("/usr/lib/jvm".utf8)] = .missing
        facts[Array("/usr/lib/jvm/java-17-openjdk-amd64".utf8)] = .missing
        facts[Array("/usr/lib/jvm/java-17-openjdk-amd64/bin".utf8)] = .missing
        let literal = Learning.text(Learning.generate(learner, facts: facts))
        #expect(literal.contains("\n%learned_java = /usr/lib/jvm/java-17-openjdk-amd64/bin/java\n"))
        #expect(literal.contains("#   not globbed (Java installation): directory \"/usr/lib/jvm\" does not exist on this host\n"))
        #expect(literal.contains("#   not checked: directory \"/usr/lib/jvm/java-17-openjdk-amd64/bin\" does not exist on this host\n"))

        facts = Learning.safeFacts(learner)
        facts[Array("/usr/lib/jvm/java-17-openjdk-amd64".utf8)] = .directory(ownerUID: 1000, mode: 0o755)
        let refused = Learning.generate(learner, facts: facts)
        #expect(refused.proposed == 0 && refused.refused == 1)
        #expect(Learning.text(refused).contains(
            "#   \"/usr/lib/jvm/java-17-openjdk-amd64/bin/java\": 3 loads: directory \"/usr/lib/jvm/java-17-openjdk-amd64\" is owned by uid 1000\n"))
    }

    @Test func genericLoadersAreCommentedOutWithANarrowerRule() throws {
        var python = process(auid: 1000, exe: "/usr/bin/python3.11")
        python.tty = Array("pts0".utf8)
        let events = (1...4).flatMap { Learning.program(UInt32($0), by: python, at: 1_795_945_910 + UInt64($0)) }
        let text = Learning.text(Learning.generate(try Learning.learner(events)))
        #expect(text.contains("""
        #!!!! generic loader: allowing it allows whatever a script or command line makes it load; narrow the rule:
        #!!!!   allow op=load uid=0 exe=%learned_python3 auid=1000 tty="pts0"
        # %learned_python3 = /usr/bin/python3.*
        # allow op=load uid=0 exe=%learned_python3

        """))
        #expect(parse(text).diagnostics.isEmpty)
    }

    @Test func programTypesFromLookupsSplitGroups() throws {
        func info(_ type: UInt32, _ name: String) -> ProgramInfo {
            ProgramInfo(type: BPFProgramType(rawValue: type), name: Array(name.utf8), tag: "0011223344556677", createdByUID: 0, helpers: [])
        }
        let lookups: [UInt32: ProgramLookup] = [1: .found(info(2, "probe_a")), 2: .found(info(2, "probe_b")), 3: .found(info(1, "sock")), 4: .gone]
        let events = (1...4).flatMap { Learning.program(UInt32($0), by: Self.netmon, at: 1_795_945_910 + UInt64($0)) }
        let learner = try Learning.learner(events) { event in
            event.operation == .load ? Engine.Enrichment(program: lookups[event.programID]!) : Engine.Enrichment(program: .notDone)
        }
        let text = Learning.text(Learning.generate(learner, minCount: 1))
        #expect(text.contains("\nallow op=load uid=0 exe=%learned_netmon prog-type=?\n"))
        #expect(text.contains("\nallow op=load uid=0 exe=%learned_netmon_kprobe prog-type=kprobe\n"))
        #expect(text.contains("\nallow op=load uid=0 exe=%learned_netmon_socket_filter prog-type=socket_filter\n"))
        #expect(text.contains("#   program type kprobe; names \"probe_a\", \"probe_b\"; lifetimes 5s, most 1s-10s (2 of 2)\n") == false)
        #expect(text.contains("#   program type kprobe; names \"probe_a\", \"probe_b\"; lifetimes 5s\n"))
        #expect(parse(text).diagnostics.isEmpty)
    }

    @Test func nothingToPropose() throws {
        let onlyRefused = Learning.generate(try Learning.learner(Array(Self.mixed[6...]), enrichment: Self.mixedEnrichment))
        #expect(onlyRefused.proposed + onlyRefused.commented == 0)
        let text = Learning.text(onlyRefused)
        #expect(text.contains("# Nothing to propose: every load is allowed by the base policy already, or is never allowed (below).\n"))
        #expect(!text.contains("learned loads"))
        // The base text follows the header unchanged.
        #expect(text.hasSuffix("\n\n" + String(decoding: Learning.shippedPolicyText, as: UTF8.self)))
        #expect(Learning.text(Learning.generate(try Learning.learner([])))
            .contains("# Logs: no BPF program load or unload.\n# Nothing to propose: the logs hold no program load.\n"))
    }
}
