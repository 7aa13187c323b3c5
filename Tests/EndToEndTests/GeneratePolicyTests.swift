import Glibc
import Testing

/// `--generate-policy` through the binary, on the real captures of Tests/Fixtures: the
/// policy it prints passes `--check` as is, replaying the same logs with it silences what it
/// allows and nothing else, a later capture is flagged for its new loader only, and the
/// output is the same bytes for the same logs.
@Suite struct GeneratePolicyTests {
    static let shipped = Paths.repository + "/Packaging/bpfguard.policy"

    static func generate(_ logs: [String], base: String = shipped, _ extra: [String] = [], stdin: String = "") -> ChildProcess {
        ChildProcess.run([Paths.plugin, "--generate-policy", "--policy", base] + extra + logs, stdin: stdin)
    }

    /// The alert lines of a replay, without `rule=` (the learned blocks move the base's lines).
    static func alerts(_ logs: [String], policy: String) -> [String] {
        let run = ChildProcess.run([Paths.plugin, "--policy", policy, "--replay"] + logs)
        #expect(run.exitStatus == 0, "\(run.stderrText)")
        return run.policyAlertLines.map { String($0[..<($0.range(of: " rule=")?.lowerBound ?? $0.endIndex)]) }
    }

    /// The executables (escaped as alerts print them) of the groups proposed uncommented.
    static func allowedExecutables(_ policy: String) -> Set<String> {
        let lines = policy.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var result = Set<String>()
        for line in lines where line.hasPrefix("%learned_") {
            let name = String(line.dropFirst().prefix { $0 != " " })
            guard let comment = lines.firstIndex(where: { $0.hasPrefix("# %\(name): ") }) else { continue }
            var exes = lines[comment + 1]
            exes = String(exes[exes.index(exes.startIndex, offsetBy: "#   ".count)...].prefix { $0 != ";" })
            for part in exes.split(separator: "\"", omittingEmptySubsequences: false).enumerated() where part.offset % 2 == 1 {
                result.insert("exe=\"\(part.element)\"")
            }
        }
        return result
    }

    static func exe(of alert: String) -> String {
        guard let start = alert.range(of: " exe=\"") else { return "" }
        var end = start.upperBound
        while end < alert.endIndex, alert[end] != "\"" {
            end = alert.index(after: end)
            if alert[alert.index(before: end)] == "\\" { end = alert.index(after: end) }
        }
        return "exe=\"" + alert[start.upperBound..<end] + "\""
    }

    @Test(arguments: FixtureReplayTests.allFixtures + ["../../Examples/sample-audit.log"])
    func theGeneratedPolicyPassesCheckAndSilencesExactlyWhatItAllows(fixture: String) throws {
        let log = Paths.fixture(fixture)
        let run = Self.generate([log], ["--min-count", "1"])
        #expect(run.exitStatus == 0, "\(run.stderrText)")
        let policy = temporaryFile(run.stdoutText, name: "learned")
        defer { unlink(policy) }
        let check = ChildProcess.run([Paths.plugin, "--check", "--policy", policy])
        #expect(check.exitStatus == 0 && check.stderr.isEmpty, "\(fixture): \(check.stderrText)")

        let allowed = Self.allowedExecutables(run.stdoutText)
        let before = Self.alerts([log], policy: Self.shipped)
        let after = Self.alerts([log], policy: policy)
        #expect(after == before.filter { !allowed.contains(Self.exe(of: $0)) }, "\(fixture): allowed \(allowed)")
        // A group is proposed because the base alerted on its loads: those alerts are gone.
        if !allowed.isEmpty { #expect(after.count < before.count, "\(fixture)") }
    }

    @Test func whatMustNeverBeAllowedStillAlerts() throws {
        let log = Paths.repository + "/Examples/sample-audit.log"
        let run = Self.generate([log], ["--min-count", "1"])
        #expect(run.exitStatus == 0)
        let text = run.stdoutText
        #expect(text.contains("#   \"/tmp/bpfguard-capture/bpfload\": 1 load by uid 65534: in a world-writable place or home directory (/tmp/); non-root loader\n"))
        #expect(text.contains("#   \"/tmp/bpfguard-capture/vanish2 (deleted)\": 1 load: deleted executable; in a world-writable place or home directory (/tmp/)\n"))
        #expect(text.contains("\nallow op=load uid=0 exe=%learned_netmon\n"))
        #expect(!text.contains("/tmp/bpfguard-capture/bpfload\n") && !text.contains("%learned_bpfload"))
        let policy = temporaryFile(text, name: "learned")
        defer { unlink(policy) }
        let labels = Self.alerts([log], policy: policy).map { String($0.prefix { $0 != " " }) }
        for label in ["alert=writable-dir-exe", "alert=unexpected-uid", "alert=deleted-exe"] {
            #expect(labels.contains(label))
        }
        #expect(!Self.alerts([log], policy: policy).contains { $0.contains("netmon") })
    }

    @Test func learningFromOneCaptureFlagsExactlyTheNewLoadersOfALaterOne() throws {
        let earlier = Paths.fixture("captured/system-path.log"), later = Paths.fixture("handmade/later-new-loader.log")
        let run = Self.generate([earlier])
        #expect(run.exitStatus == 0)
        let policy = temporaryFile(run.stdoutText, name: "learned")
        defer { unlink(policy) }
        let before = Self.alerts([later], policy: Self.shipped)
        let after = Self.alerts([later], policy: policy)
        #expect(Set(before.map { $0.contains("comm=\"netmon\"") ? "netmon" : "other" }) == ["netmon", "other"])
        #expect(after == before.filter { !$0.contains("comm=\"netmon\"") })
        #expect(after.map { String($0.prefix(40)) } == [
            "alert=unknown-exe priority=warning op=LO", "alert=unknown-exe priority=warning op=LO",
            "alert=unknown-exe priority=warning op=LO", "alert=short-lived priority=notice op=UNL",
        ])
        #expect(after.allSatisfy { $0.contains("exe=\"/usr/local/libexec/bpfguard-capture/flowmon\"") })
    }

    @Test func groupsSeenOnTooFewDaysAreCommentedOut() {
        let earlier = Paths.fixture("captured/system-path.log"), later = Paths.fixture("handmade/later-new-loader.log")
        let both = Self.generate([earlier, later], ["--min-days", "2"]).stdoutText
        #expect(both.contains("# %learned_netmon: 6 loads on 2 days, 6 unloads; from 2026-11-29T09:51:50Z to 2026-12-06T09:51:53Z\n"))
        #expect(both.contains("\nallow op=load uid=0 exe=%learned_netmon\n"))
        #expect(both.contains("#!!!! review: seen 3 times on 1 day, on fewer than --min-days 2 days\n# %learned_flowmon = "))
        let one = Self.generate([earlier], ["--min-days", "2"]).stdoutText
        #expect(one.contains("\n# allow op=load uid=0 exe=%learned_netmon\n"))
    }

    @Test func theSameLogsGiveTheSameBytes() throws {
        let earlier = Paths.fixture("captured/system-path.log"), later = Paths.fixture("handmade/later-new-loader.log")
        let first = Self.generate([earlier, later, Paths.fixture("captured/deleted-exe.log")])
        #expect(first.exitStatus == 0 && !first.stdout.isEmpty)
        #expect(Self.generate([earlier, later, Paths.fixture("captured/deleted-exe.log")]).stdout == first.stdout)
        // Logs that share no program: any order gives the same policy.
        #expect(Self.generate([Paths.fixture("captured/deleted-exe.log"), later, earlier]).stdout == first.stdout)
        // Standard input is one more log.
        let text = String(decoding: try readFile(earlier) + readFile(later) + readFile(Paths.fixture("captured/deleted-exe.log")), as: UTF8.self)
        #expect(Self.generate(["-"], stdin: text).stdout == first.stdout)
    }

    @Test func rotatedLogsAreReadOldestFirst() throws {
        // system-path.log cut after the LOAD of prog-id 9506: its UNLOAD is in the newer file.
        let lines = String(decoding: try readFile(Paths.fixture("captured/system-path.log")), as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false)
        let cut = try #require(lines.firstIndex { $0.contains("prog-id=9506 op=UNLOAD") })
        var template = Array("/tmp/bpfguard-rotated-XXXXXX".utf8CString)
        let directory = try #require(mkdtemp(&template).map { String(cString: $0) })
        let older = directory + "/audit.log.1", newer = directory + "/audit.log"
        replaceOrCreate(older, lines[..<cut].joined(separator: "\n") + "\n")
        replaceOrCreate(newer, lines[cut...].joined(separator: "\n"))
        defer { unlink(older); unlink(newer); rmdir(directory) }

        let given = Self.generate([newer, older])
        let ordered = Self.generate([older, newer])
        #expect(given.exitStatus == 0 && given.stdout == ordered.stdout)
        #expect(given.stdoutText.contains("lifetimes 200ms to 1.5s, most 1s-10s (2 of 3)"))
        #expect(!given.stdoutText.contains("whose load is not in the logs"))
        // Read the other way round (through standard input), the UNLOAD comes first.
        let reversed = Self.generate(["-"], stdin: String(decoding: try readFile(newer) + readFile(older), as: UTF8.self))
        #expect(reversed.stdoutText.contains("# Also: 1 unload of programs whose load is not in the logs.\n"))
    }

    func replaceOrCreate(_ path: String, _ content: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        precondition(fd >= 0)
        let bytes = Array(content.utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    /// The README's learning-mode example is what the binary prints: the header, and the two
    /// learned blocks, with `[...]` for the base policy's lines between them.
    @Test func readmeExampleIsWhatTheBinaryPrints() throws {
        let readme = try DocumentationTests.text("README.md")
        let command = ".build/release/audisp-bpfguard --generate-policy --policy\nPackaging/bpfguard.policy Examples/sample-audit.log"
        #expect(readme.contains(command))
        let begin = try #require(readme.range(of: "<!-- generate-policy-output:begin -->\n```\n"))
        let end = try #require(readme.range(of: "```\n<!-- generate-policy-output:end -->"))
        let documented = String(readme[begin.upperBound..<end.lowerBound])

        let run = Self.generate([Paths.repository + "/Examples/sample-audit.log"])
        #expect(run.exitStatus == 0)
        // The command runs in the source tree: the header names the base as given there.
        let output = run.stdoutText.replacing("\"\(Self.shipped)\"", with: "\"Packaging/bpfguard.policy\"")
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let header = lines.prefix { !$0.isEmpty }
        func block(_ first: String, _ last: String) throws -> ArraySlice<String> {
            let start = try #require(lines.firstIndex(of: first)), stop = try #require(lines.firstIndex(of: last))
            return lines[start...stop]
        }
        let loads = try block("# ==== loads learned by audisp-bpfguard --generate-policy ====", "# ==== end of learned loads ====")
        let unloads = try block("# ==== unloads learned by audisp-bpfguard --generate-policy ====", "# ==== end of learned unloads ====")
        let excerpt = (Array(header) + ["[...]"] + loads + ["[...]"] + unloads).joined(separator: "\n") + "\n"
        #expect(documented == excerpt)
    }

    @Test(arguments: [
        (["--generate-policy"], "--generate-policy needs at least one audit log ('-' for standard input)"),
        (["--generate-policy", "--check", "x.log"], "--generate-policy cannot be used with --check"),
        (["--generate-policy", "--replay", "x.log"], "--generate-policy cannot be used with --replay"),
        (["--generate-policy", "--output", "json", "x.log"], "--output has no effect with --generate-policy (the policy goes to standard output)"),
        (["--generate-policy", "--min-count", "0", "x.log"], "option '--min-count' needs a number from 1 to 1000000000"),
        (["--generate-policy", "--min-days=5000", "x.log"], "option '--min-days' needs a number from 1 to 4096"),
        (["--min-days", "2", "--replay", "x.log"], "--min-days applies to --generate-policy only"),
        (["--generate-policy=yes", "x.log"], "option '--generate-policy' takes no value"),
    ])
    func usageErrorsExit2(arguments: [String], message: String) {
        let run = ChildProcess.run([Paths.plugin] + arguments)
        #expect(run.exitStatus == 2)
        #expect(run.stderrText.contains("audisp-bpfguard: error: \(message)\n"), "\(run.stderrText)")
        #expect(run.stdout.isEmpty)
    }

    @Test func anUnreadableLogOrBasePrintsNoPolicy() {
        let missing = Self.generate([Paths.fixture("captured/system-path.log"), "/nonexistent/audit.log"])
        #expect(missing.exitStatus == 1)
        #expect(missing.stdout.isEmpty)
        #expect(missing.stderrText.contains("/nonexistent/audit.log: cannot open: "))
        let base = temporaryFile("alert x op=load\nallow exe_path=/x\n")
        defer { unlink(base) }
        let invalid = Self.generate([Paths.fixture("captured/system-path.log")], base: base)
        #expect(invalid.exitStatus == 1)
        #expect(invalid.stdout.isEmpty)
        #expect(invalid.stderrText.contains("\(base):2:7: error: unknown field 'exe_path'"))
    }
}

/// `--generate-policy --lookup` on programs really loaded: groups split by the program type
/// the kernel reports, and a program calling a dangerous helper is never proposed.
@Suite(.serialized, .enabled(if: BPFLoader.isAvailable, "\(BPFLoader.unavailableReason ?? "")"))
struct GeneratePolicyLookupTests {
    @Test func programTypesFromTheKernelSplitGroups() throws {
        let probe = try #require(BPFLoader.Running(["--type", "kprobe", "--name", "learn_probe"]))
        let filter = try #require(BPFLoader.Running(["--type", "socket_filter", "--name", "learn_sock"]))
        let signaller = try #require(BPFLoader.Running(["--type", "kprobe", "--helper", "send_signal", "--name", "learn_signal"]))
        let log = KernelLookupTests.loadEvent(probe.programIDs[0], serial: 1) + KernelLookupTests.loadEvent(filter.programIDs[0], serial: 2)
            + KernelLookupTests.loadEvent(signaller.programIDs[0], serial: 3)
        let run = GeneratePolicyTests.generate(["-"], ["--lookup", "--min-count", "1"], stdin: log)
        #expect(run.exitStatus == 0, "\(run.stderrText)")
        let text = run.stdoutText
        #expect(text.contains("\nallow op=load uid=0 exe=%learned_bpfload prog-type=kprobe\n"))
        #expect(text.contains("\nallow op=load uid=0 exe=%learned_bpfload_socket_filter prog-type=socket_filter\n"))
        #expect(text.contains("#   program type kprobe; names \"learn_probe\"; 1 still loaded at the end\n"))
        #expect(text.contains("#   \"/usr/local/sbin/bpfload\" (kprobe): 1 load: the program calls a dangerous helper\n"))
        #expect(run.stderrText.contains(" lookups=3 gone=0 lookup_errors=0"))
        let check = ChildProcess.run([Paths.plugin, "--check", "--policy", temporaryFile(text, name: "learned")])
        #expect(check.exitStatus == 0 && check.stderr.isEmpty, "\(check.stderrText)")
    }
}
