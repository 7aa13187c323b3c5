import Glibc
import Testing

/// Folding through the binary: a replayed flood becomes a handful of lines whose counts add
/// up, plugin mode prints what a replay prints, and no pending count is left behind when a
/// window closes by the clock, at SIGHUP, at SIGTERM or at end of input.
@Suite struct FoldingTests {
    static let defaultPolicy = Paths.repository + "/Packaging/bpfguard.policy"

    /// A complete event (BPF, SYSCALL, PROCTITLE, EOE) at `milliseconds` since the epoch: a
    /// LOAD by `exe` in bpf(2), or an UNLOAD in close(2).
    static func event(serial: Int, progID: Int, milliseconds: UInt64, exe: String, unload: Bool = false) -> String {
        let stamp = "\(milliseconds / 1000).\(String(String(1000 + milliseconds % 1000).dropFirst())):\(serial)"
        let syscall = unload ? "syscall=3 success=yes exit=0 a0=a" : "syscall=321 success=yes exit=3 a0=5"
        let comm = exe.split(separator: "/").last.map(String.init) ?? "loader"
        return """
        type=BPF msg=audit(\(stamp)): prog-id=\(progID) op=\(unload ? "UNLOAD" : "LOAD")
        type=SYSCALL msg=audit(\(stamp)): arch=c000003e \(syscall) a1=7ffcf295b100 a2=90 a3=0 items=0 ppid=2481 pid=\(2485 + progID % 7) auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="\(comm)" exe="\(exe)" key=(null)
        type=PROCTITLE msg=audit(\(stamp)): proctitle=6C6F61646572
        type=EOE msg=audit(\(stamp)):

        """
    }

    /// `count` LOADs spread evenly over `seconds`, the executables taking turns.
    static func flood(count: Int, seconds: UInt64, executables: [String], start: UInt64 = 1_795_950_000_000) -> String {
        var text = ""
        text.reserveCapacity(count * 520)
        for index in 0..<count {
            let time = start + UInt64(index) * seconds * 1000 / UInt64(count)
            text += event(serial: 50_000 + index, progID: 10_000 + index, milliseconds: time, exe: executables[index % executables.count])
        }
        return text
    }

    func replay(_ text: String, policy: String = FoldingTests.defaultPolicy, _ extra: [String] = []) -> ChildProcess {
        let log = temporaryFile(text, name: "flood")
        let run = ChildProcess.run([Paths.plugin, "--policy", policy] + extra + ["--replay", log])
        #expect(run.exitStatus == 0, "\(run.stderrText)")
        return run
    }

    func startPlugin(policy: String, _ extra: [String] = []) -> ChildProcess {
        startPlugin(policyPath: temporaryFile(policy), extra)
    }

    func startPlugin(policyPath: String, _ extra: [String] = []) -> ChildProcess {
        ChildProcess([Paths.plugin, "--policy", policyPath, "--output", "stdout", "--no-lookup"] + extra)
    }

    @Test func aFloodFromOneUnknownExecutableIsAFewLines() {
        let run = replay(Self.flood(count: 10_000, seconds: 30, executables: ["/usr/local/bin/agent"]))
        let alerts = run.alerts
        #expect(alerts.count <= 5 + 1, "fold_burst + 1 lines: \(alerts.count)")
        #expect(alerts.map(\.represented).reduce(0, +) == 10_000)
        #expect(alerts.allSatisfy { $0["alert"] == "unknown-exe" && $0["exe"] == "/usr/local/bin/agent" })
        let summary = alerts.last
        #expect(summary?["repeated"] == "9995")
        #expect(summary?["first"] == "1795950000.015" && summary?["last"] == "1795950029.997")
        #expect(summary?.keys.suffix(5) == ["repeated", "first", "last", "event", "rule"])
        #expect(run.stderrText.contains(" alerts=10000 "))
        #expect(run.stderrText.contains(" alerts_raised=10000 alerts_sent=5 alerts_folded=9995 alerts_capped=0"))
    }

    @Test func threeExecutablesAreThreeGroups() {
        let executables = ["/usr/local/bin/a", "/usr/local/bin/b", "/usr/local/bin/c"]
        let alerts = replay(Self.flood(count: 10_000, seconds: 30, executables: executables)).alerts
        #expect(alerts.count == 18)
        for exe in executables {
            let group = alerts.filter { $0["exe"] == exe }
            #expect(group.count == 6, "\(exe): five alerts and one summary")
            #expect(group.map(\.represented).reduce(0, +) == (exe.hasSuffix("a") ? 3334 : 3333))
        }
    }

    @Test func pluginModePrintsWhatReplayPrints() {
        // Several windows closing mid-stream, unloads, two rules, and the cap at work.
        let policy = "fold_window = 20s\nfold_burst = 3\nmax_alerts_per_minute = 40\nalert load op=load\nalert short op=unload lifetime<1s priority=notice\n"
        var text = ""
        for index in 0..<3000 {
            let time = 1_795_950_000_000 + UInt64(index) * 50
            let exe = ["/opt/a", "/opt/b", "/opt/c", "/opt/d\(index / 500)"][index % 4]
            let unload = index % 3 == 2
            text += Self.event(serial: 70_000 + index, progID: unload ? 20_000 + index - 1 : 20_000 + index, milliseconds: time, exe: exe, unload: unload)
        }
        let replayed = replay(text, policy: temporaryFile(policy))
        let plugin = startPlugin(policy: policy)
        // Fed in pieces, as auditd writes.
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + 7000)
            plugin.write(String(decoding: bytes[offset..<end], as: UTF8.self))
            offset = end
        }
        plugin.closeStdin()
        #expect(plugin.wait() == 0)
        #expect(replayed.stdoutLines.contains { $0.contains(" repeated=") } && replayed.stdoutLines.contains { $0.hasPrefix("alert=alerts-capped ") })
        #expect(plugin.stdoutLines == replayed.stdoutLines)
    }

    /// Eight LOADs of one key: five lines at once, three pending.
    func startWithPendingSummary(policy: String, _ extra: [String] = []) -> ChildProcess {
        startWithPendingSummary(policyPath: temporaryFile(policy), extra)
    }

    func startWithPendingSummary(policyPath: String, _ extra: [String] = []) -> ChildProcess {
        let plugin = startPlugin(policyPath: policyPath, extra)
        plugin.write((0..<8).map { Self.event(serial: 100 + $0, progID: 300 + $0, milliseconds: 1_795_950_000_000 + UInt64($0) * 10, exe: "/opt/x") }.joined())
        #expect(plugin.waitFor(seconds: 10) { $0.stdoutLines.count == 5 })
        return plugin
    }

    static let pendingSummary = "alert=x priority=warning op=LOAD prog-id=305 uid=0 auid=unset euid=0 pid=2489 ppid=2481 comm=\"x\" exe=\"/opt/x\" cmdline=\"loader\" repeated=3 first=1795950000.050 last=1795950000.070 event=1795950000.050:105 rule=2"

    @Test func aQuietStreamClosesWindowsByTheClock() {
        let plugin = startWithPendingSummary(policy: "fold_window = 2s\nalert x op=load\n")
        #expect(plugin.stdoutLines.count == 5, "the summary waits for its window to end")
        let arrived = plugin.waitFor(seconds: 15) { $0.stdoutLines.count == 6 }
        #expect(arrived, "with no more input the window closes by the clock")
        #expect(plugin.stdoutLines.last == Self.pendingSummary)
        #expect(plugin.isRunning)
        plugin.closeStdin()
        #expect(plugin.wait() == 0)
        #expect(plugin.stdoutLines.count == 6)
    }

    @Test func sighupFlushesUnderTheOldPolicy() {
        let plugin = startWithPendingSummary(policy: "fold_window = 1h\nalert x op=load\n")
        plugin.signal(SIGHUP)
        #expect(plugin.waitFor(seconds: 10) { $0.stdoutLines.count == 6 })
        #expect(plugin.stdoutLines.last == Self.pendingSummary)
        #expect(plugin.waitFor(seconds: 10) { $0.stderrText.contains("policy reloaded") })
        #expect(plugin.isRunning)
        plugin.closeStdin()
        #expect(plugin.wait() == 0)
        #expect(plugin.stdoutLines.count == 6)
    }

    @Test func sighupFlushesEvenWhenTheNewPolicyIsInvalid() {
        let path = temporaryFile("fold_window = 1h\nalert x op=load\n")
        let plugin = startWithPendingSummary(policyPath: path)
        replaceFile(path, with: "fold_window = forever\n")
        plugin.signal(SIGHUP)
        #expect(plugin.waitFor(seconds: 10) { $0.stdoutLines.count == 6 && $0.stderrText.contains("policy reload failed") })
        #expect(plugin.stdoutLines.last == Self.pendingSummary)
        plugin.closeStdin()
        #expect(plugin.wait() == 0)
    }

    @Test func sigtermFlushes() {
        let plugin = startWithPendingSummary(policy: "fold_window = 1h\nalert x op=load\n")
        plugin.signal(SIGTERM)
        #expect(plugin.wait(seconds: 10) == 0)
        #expect(plugin.stdoutLines.count == 6)
        #expect(plugin.stdoutLines.last == Self.pendingSummary)
        #expect(plugin.stderrText.contains(" alerts_raised=8 alerts_sent=5 alerts_folded=3 alerts_capped=0"))
    }

    @Test func endOfInputFlushes() {
        let plugin = startWithPendingSummary(policy: "fold_window = 1h\nalert x op=load\n")
        plugin.closeStdin()
        #expect(plugin.wait() == 0)
        #expect(plugin.stdoutLines.count == 6)
        #expect(plugin.stdoutLines.last == Self.pendingSummary)
    }

    @Test func theStateReportCountsWhereAlertsWent() throws {
        let stateFile = temporaryFile("", name: "state")
        let plugin = startWithPendingSummary(policy: "fold_window = 1h\nalert x op=load\n", ["--state-file", stateFile])
        plugin.signal(SIGUSR1)
        #expect(plugin.waitFor(seconds: 10) { $0.stderrText.contains("state report written to \(stateFile)") })
        let report = String(decoding: try readFile(stateFile), as: UTF8.self)
        for line in ["alerts = 8", "alerts_raised = 8", "alerts_sent = 5", "alerts_folded = 3", "alerts_capped = 0"] {
            #expect(report.contains("\n" + line + "\n"), "missing '\(line)' in:\n\(report)")
        }
        plugin.closeStdin()
        #expect(plugin.wait() == 0)
    }

    @Test func theCapSaysWhatItHeldBack() {
        // Twenty executables, one LOAD each, within a minute, ten lines a minute.
        let policy = temporaryFile("max_alerts_per_minute = 10\nalert unknown op=load\n")
        let text = (0..<20).map { Self.event(serial: 900 + $0, progID: 900 + $0, milliseconds: 1_795_950_000_000 + UInt64($0) * 100, exe: "/opt/e\($0)") }.joined()
        let run = replay(text, policy: policy)
        #expect(run.stdoutLines.count == 11)
        #expect(run.stdoutLines.last == "alert=alerts-capped priority=warning held=10 labels=unknown:10 first=1795950001.000 last=1795950001.900")
        #expect(run.stderrText.contains(" alerts_raised=20 alerts_sent=10 alerts_folded=0 alerts_capped=10"))
    }
}
