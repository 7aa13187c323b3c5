import Testing
@testable import BPFGuardCore

/// The narrower rules suggested for a generic loader: by the command lines seen — exact
/// values, a few at most, or a glob after the whole arguments they all begin with — and
/// each one passes the parser and allows its loads once uncommented.
@Suite struct GenericLoaderSuggestionTests {
    static func bpftool(_ cmdline: String?) -> ProcessContext {
        var loader = process(comm: "bpftool", exe: "/usr/sbin/bpftool")
        loader.cmdline = cmdline.map { Array($0.utf8) }
        return loader
    }

    /// A base where bpftool is not allowed: the shipped policy without its load allow for
    /// %bpf_tools (the set stays in use by the unload allow).
    static let base: [UInt8] = {
        let text = String(decoding: Learning.shippedPolicyText, as: UTF8.self)
        return Array(text.replacing("allow                   op=load exe=%bpf_tools\n", with: "").utf8)
    }()

    static func events(_ cmdlines: [String?]) -> [BPFEvent] {
        cmdlines.enumerated().flatMap { Learning.program(UInt32($0.offset + 1), by: bpftool($0.element), at: 1_795_945_910 + UInt64($0.offset)) }
    }

    static func generated(_ events: [BPFEvent]) throws -> String {
        Learning.text(Learning.generate(try Learning.learner(events, base: base), base: base))
    }

    /// The suggestion put in force: its rules and the group's set uncommented, the plain
    /// rule left commented out.
    static func uncommented(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            if line.hasPrefix("#!!!!   allow ") { return String(line.dropFirst("#!!!!   ".count)) }
            if line.hasPrefix("# %learned_") && line.contains(" = ") { return String(line.dropFirst(2)) }
            return String(line)
        }.joined(separator: "\n")
    }

    /// The suggested rules, without their `#!!!!   `.
    static func suggestions(_ text: String) -> [String] {
        text.split(separator: "\n").filter { $0.hasPrefix("#!!!!   allow ") }.map { String($0.dropFirst("#!!!!   ".count)) }
    }

    /// Parses the uncommented suggestion: no diagnostic, and the alerts it leaves for `events`.
    static func alertsUnderSuggestion(_ text: String, _ events: [BPFEvent]) throws -> [String] {
        let parsed = parse(uncommented(text))
        #expect(parsed.diagnostics.isEmpty, "\(parsed.diagnostics)")
        var engine = Engine(policy: try #require(parsed.policy))
        return events.compactMap { event in engine.process(event).map { "\($0.label) \(event.programID)" } }
    }

    @Test func aFewCommandLinesAreSuggestedExactly() throws {
        let seen = ["/usr/sbin/bpftool feature probe kernel", "bpftool prog show", "/usr/sbin/bpftool feature probe kernel", "bpftool prog show"]
        let text = try Self.generated(Self.events(seen))
        #expect(text.contains("""
        #!!!! generic loader: allowing it allows whatever a script or command line makes it load; narrow the rule:
        #!!!!   allow op=load uid=0 exe=%learned_bpftool auid=unset cmdline="/usr/sbin/bpftool feature probe kernel"
        #!!!!   allow op=load uid=0 exe=%learned_bpftool auid=unset cmdline="bpftool prog show"
        #!!!!   (cmdline narrows, never trusts: the loader writes it itself, and the kernel keeps its first 128 bytes)
        # %learned_bpftool = /usr/sbin/bpftool
        # allow op=load uid=0 exe=%learned_bpftool

        """))
        #expect(parse(text).diagnostics.isEmpty)
        // In force: the loads it was learned from pass, another command line of bpftool does not.
        let other = Learning.program(9, by: Self.bpftool("bpftool prog load evil.o /sys/fs/bpf/x"), at: 1_795_946_000)
        #expect(try Self.alertsUnderSuggestion(text, Self.events(seen) + other) == ["bpftool-load 9"])
    }

    @Test func manyCommandLinesWithCommonArgumentsGetAGlobAfterThem() throws {
        var seen = (1...5).map { "bpftool prog load /usr/lib/agent/probe.o /sys/fs/bpf/probe\($0)" }
        let text = try Self.generated(Self.events(seen))
        #expect(Self.suggestions(text) == ["allow op=load uid=0 exe=%learned_bpftool auid=unset cmdline=\"bpftool prog load /usr/lib/agent/probe.o *\""])
        let outside = Learning.program(9, by: Self.bpftool("bpftool prog load /tmp/evil.o /sys/fs/bpf/probe1"), at: 1_795_946_000)
            + Learning.program(10, by: Self.bpftool("bpftool prog load /usr/lib/agent/probe.ox"), at: 1_795_946_001)
        #expect(try Self.alertsUnderSuggestion(text, Self.events(seen) + outside) == ["bpftool-load 9", "bpftool-load 10"])

        // A load whose command line is the common arguments alone gets its exact rule too.
        seen.append("bpftool prog load /usr/lib/agent/probe.o")
        let withBare = try Self.generated(Self.events(seen))
        #expect(Self.suggestions(withBare) == [
            "allow op=load uid=0 exe=%learned_bpftool auid=unset cmdline=\"bpftool prog load /usr/lib/agent/probe.o\"",
            "allow op=load uid=0 exe=%learned_bpftool auid=unset cmdline=\"bpftool prog load /usr/lib/agent/probe.o *\"",
        ])
        #expect(try Self.alertsUnderSuggestion(withBare, Self.events(seen)).isEmpty)
    }

    @Test func commandLinesWithTooLittleInCommonGetNoCmdline() throws {
        let text = try Self.generated(Self.events(["bpftool prog show", "bpftool map show", "bpftool net show", "bpftool feature probe"]))
        #expect(Self.suggestions(text) == ["allow op=load uid=0 exe=%learned_bpftool auid=unset"])
        #expect(text.contains("#!!!!   (more than 3 command lines, with fewer than 2 arguments in common: no cmdline to suggest)\n"))
        #expect(!text.contains("cmdline narrows"))
        #expect(try Self.alertsUnderSuggestion(text, Self.events(["bpftool prog show"])).isEmpty)
    }

    @Test func loadsWithoutACommandLineAreNamedAndOthersKeepTheRuleParseable() throws {
        // No PROCTITLE for two loads; two login uids (no auid condition); one terminal.
        var events = Self.events(["bpftool prog show", nil, "bpftool prog show", nil])
        events = events.map { event in
            var event = event
            if event.programID == 3, event.operation == .load { event.process?.auid = 1000 }
            event.process?.tty = Array("pts1".utf8)
            return event
        }
        let text = try Self.generated(events)
        #expect(Self.suggestions(text) == ["allow op=load uid=0 exe=%learned_bpftool tty=\"pts1\" cmdline=\"bpftool prog show\""])
        #expect(text.contains("#!!!!   (2 loads came without a command line (no PROCTITLE record): a cmdline rule does not match them)\n"))
        #expect(try Self.alertsUnderSuggestion(text, events) == ["bpftool-load 2", "bpftool-load 4"])
    }

    @Test func commandLineBytesAreWrittenAsValuesThatCannotForgeAnything() throws {
        var random = RandomInputTests.Generator(state: 7)
        for round in 0..<200 {
            // Any bytes a process can put in its argument area (NUL: the blank between arguments).
            var cmdline = Array("bpftool ".utf8) + RandomInputTests.bytes(&random, maximum: 40)
            if round % 4 == 0 { cmdline += Array("\" * #\n\\x2a allow %x ?".utf8) }
            let text = ProcessTitle.text(cmdline)
            var loader = Self.bpftool(nil)
            loader.cmdline = text
            let events = (1...3).flatMap { Learning.program(UInt32($0), by: loader, at: 1_795_945_910 + UInt64($0)) }
            let generated = Learning.text(Learning.generate(try Learning.learner(events, base: Self.base), base: Self.base))
            #expect(Self.suggestions(generated).count == 1)
            #expect(parse(generated).diagnostics.isEmpty)
            #expect(try Self.alertsUnderSuggestion(generated, events).isEmpty, "\(text)")
            // A `*` or `?` in the command line is literal: one more byte does not match.
            var longer = loader
            longer.cmdline = text + [UInt8(ascii: "x")]
            #expect(try Self.alertsUnderSuggestion(generated, events + Learning.program(9, by: longer, at: 1_795_946_000)) == ["bpftool-load 9"])
        }
    }

    @Test func theSummaryDoesNotDependOnOrder() {
        let lines = ["bpftool prog load a.o /sys/fs/bpf/1", "bpftool prog load a.o /sys/fs/bpf/2", "bpftool prog load a.o", "bpftool prog load a.o /x",
                     "bpftool prog load a.o /sys/fs/bpf/3"].map { Array($0.utf8) }
        var reference = CommandLineSummary()
        for line in lines { reference.add(line) }
        #expect(reference.commonArguments == ["bpftool", "prog", "load", "a.o"].map { Array($0.utf8) })
        #expect(reference.values.overflowed)
        var random = RandomInputTests.Generator(state: 3)
        for _ in 0..<20 {
            let shuffled = lines.shuffled(using: &random)
            var first = CommandLineSummary(), second = CommandLineSummary()
            for line in shuffled.prefix(2) { first.add(line) }
            for line in shuffled.dropFirst(2) { second.add(line) }
            first.merge(second)
            #expect(first == reference)
        }
        #expect(reference.suggestedPatterns.map { PolicyValueText.pattern($0) } == ["\"bpftool prog load a.o\"", "\"bpftool prog load a.o *\""])
    }
}
