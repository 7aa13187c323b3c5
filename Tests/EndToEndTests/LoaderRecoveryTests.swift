import Glibc
import Testing

/// Loader recovery from /proc for LOADs without SYSCALL context, through the built plugin
/// with real programs: the holders are counted, a host full of descriptors and a flood of
/// context-less LOADs cost few passes over /proc and every LOAD still gives its alert in
/// order, and an UNLOAD never overtakes its waiting LOAD. Needs root and a C compiler.
@Suite(.serialized, .enabled(if: BPFLoader.isAvailable, "\(BPFLoader.unavailableReason ?? "")"))
struct LoaderRecoveryTests {
    /// Folds nothing and caps nothing: every alert is its own line.
    static let policy = """
    fold_window = 0
    max_alerts_per_minute = 0
    alert shared op=load holders>1 priority=crit
    alert any op=load
    alert gone op=unload
    """

    /// A standalone BPF record (no SYSCALL context), stamped `seconds.milliseconds`.
    static func standalone(_ operation: String, _ id: UInt32, serial: Int, seconds: Int = now(), milliseconds: Int = 0) -> String {
        let ms = String(milliseconds)
        return "type=BPF msg=audit(\(seconds).\(String(repeating: "0", count: 3 - ms.count))\(ms):\(serial)): prog-id=\(id) op=\(operation)\n"
    }

    static func now() -> Int {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return time.tv_sec
    }

    func startPlugin(_ extra: [String] = []) -> ChildProcess {
        let plugin = ChildProcess([Paths.plugin, "--policy", temporaryFile(Self.policy)] + scratchKnownPrograms() + extra)
        plugin.waitFor(seconds: 10) { $0.stderrText.contains("started") }
        return plugin
    }

    /// A counter of the exit summary (`name=N`).
    static func counter(_ name: String, in text: String) -> Int? {
        guard let range = text.firstRange(of: " \(name)=") else { return nil }
        return Int(text[range.upperBound...].prefix { $0.isNumber })
    }

    @Test func aProgramHeldByTwoProcessesSaysSo() throws {
        let loader = try #require(BPFLoader.Running(["--fork", "--name", "two_holders"]))
        #expect(loader.process.waitFor(seconds: 10) { $0.stdoutLines.contains { $0.hasPrefix("forked pid=") } })
        let child = try #require(loader.process.stdoutLines.first { $0.hasPrefix("forked pid=") }.flatMap { Int32($0.dropFirst(11)) })
        let id = loader.programIDs[0]

        let plugin = startPlugin(["--output", "stdout"])
        plugin.write(Self.standalone("LOAD", id, serial: 1))
        #expect(plugin.waitFor(seconds: 15) { $0.alerts.count == 1 }, "a standalone record completes by aging")
        let alert = try #require(plugin.alerts.first)
        #expect(alert["alert"] == "shared", "holders>1 matched")
        #expect(alert["identity"] == "proc")
        #expect(alert["holders"] == "2", "the loader and its child hold the program")
        #expect([String(loader.pid), String(child)].contains(alert["pid"] ?? ""), "pid \(alert["pid"] ?? "") is one of the holders")
        #expect(alert["exe"] == BPFLoader.path)
        #expect(alert["comm"] == "bpfload")
        #expect(alert["prog-name"] == "two_holders")
        let keys = alert.keys
        #expect(keys.firstIndex(of: "holders") == keys.firstIndex(of: "identity").map { $0 + 1 }, "holders follows identity")
        plugin.closeStdin()
        #expect(plugin.wait() == 0)
        #expect(Self.counter("recovery_requests", in: plugin.stderrText) == 1)
        #expect(Self.counter("recovered_loaders", in: plugin.stderrText) == 1)

        let json = startPlugin(["--output", "json"])
        json.write(Self.standalone("LOAD", id, serial: 2))
        #expect(json.waitFor(seconds: 15) { $0.stdoutLines.count == 2 })  // the alert, after no-audit-context
        #expect(json.stdoutText.contains("\"identity\":\"proc\",\"holders\":2,"), "JSON: \(json.stdoutText)")
        json.closeStdin()
        json.wait()

        // --replay --lookup goes the same way, and waits for the answer at end of input.
        let log = temporaryFile(Self.standalone("LOAD", id, serial: 3), name: "log")
        let replay = ChildProcess.run([Paths.plugin, "--policy", temporaryFile(Self.policy), "--lookup", "--replay", log])
        #expect(replay.exitStatus == 0)
        #expect(replay.alerts.first?["holders"] == "2")
        #expect(replay.alerts.first?["identity"] == "proc")
        withExtendedLifetime(loader) {}  // holds the program until here
    }

    @Test func aProgramNobodyHoldsHasNoLoader() throws {
        let loader = try #require(BPFLoader.Running(["--name", "nobody_holds"]))
        let id = loader.programIDs[0]
        loader.stop()
        let plugin = startPlugin(["--output", "stdout"])
        plugin.write(Self.standalone("LOAD", id, serial: 1))
        #expect(plugin.waitFor(seconds: 15) { $0.alerts.count == 1 })
        let alert = try #require(plugin.alerts.first)
        #expect(alert["identity"] == "none")
        #expect(alert["holders"] == nil, "no holders key without a recovered loader")
        #expect(alert["exe"] == "?")
        plugin.closeStdin()
        #expect(plugin.wait() == 0)
        #expect(Self.counter("unrecovered_loaders", in: plugin.stderrText) == 1)
    }

    @Test func aFloodOnAHostFullOfDescriptorsCostsFewPasses() throws {
        let holder = try #require(BPFLoader.Running(["--fds", "19000", "--name", "fd_holder"]))
        let descriptors = try #require(opendir("/proc/\(holder.pid)/fd"))
        var open = 0
        while readdir(descriptors) != nil { open += 1 }
        closedir(descriptors)
        #expect(open >= 19_000, "the holder has \(open) descriptors")

        let stateFile = temporaryFile("", name: "state")
        let plugin = startPlugin(["--output", "stdout", "--state-file", stateFile])
        let seconds = Self.now()
        let count = 3000
        // Programs that do not exist: every LOAD needs recovery and none is found.
        let ids = (0..<count).map { UInt32(4_000_000_000 + $0) }
        plugin.write(ids.enumerated().map { Self.standalone("LOAD", $0.element, serial: 1000 + $0.offset, seconds: seconds) }.joined())
        #expect(plugin.waitFor(seconds: 60) { $0.stdoutLines.count >= count })
        let report = try plugin.stateReport(at: stateFile)
        plugin.closeStdin()
        #expect(plugin.wait() == 0)

        let alerts = plugin.alerts
        #expect(alerts.count == count, "exactly one alert per LOAD")
        #expect(alerts.map { $0["prog-id"] ?? "" } == ids.map(String.init), "alerts in input order")
        #expect(alerts.allSatisfy { $0["identity"] == "none" && $0["holders"] == nil })
        let summary = plugin.stderrText
        #expect(Self.counter("recovery_requests", in: summary) == count)
        #expect(Self.counter("recovered_loaders", in: summary) == 0)
        #expect(Self.counter("recovery_shed", in: summary) == 0, "3000 requests fit the bounds")
        #expect(Self.counter("dropped", in: summary) == 0)
        let passes = try #require(Self.counter("recovery_passes", in: summary))
        #expect(passes >= 1)
        #expect(passes * 20 <= count, "one pass answers many requests: \(passes) passes for \(count) requests")
        let outcomes = ["unrecovered_loaders", "recovery_timeouts", "recovery_shed", "recovered_loaders"].compactMap { Self.counter($0, in: summary) }
        #expect(outcomes.reduce(0, +) == count, "every request ends one way: \(summary)")
        #expect(report.contains("\nrecovery_requests = \(count)\n"), "state report: \(report)")
        #expect(report.contains("\nrecovery_passes = "))
        #expect(report.contains("\nrecovery_timeouts = "))
        withExtendedLifetime(holder) {}  // holds its descriptors until here
    }

    @Test func anUnloadWaitsBehindItsLoad() throws {
        let loader = try #require(BPFLoader.Running(["--name", "load_unload"]))
        let id = loader.programIDs[0]
        let plugin = startPlugin(["--output", "stdout"])
        let seconds = Self.now()
        plugin.write(Self.standalone("LOAD", id, serial: 1, seconds: seconds) + Self.standalone("UNLOAD", id, serial: 2, seconds: seconds, milliseconds: 300))
        #expect(plugin.waitFor(seconds: 15) { $0.alerts.count == 2 })
        plugin.closeStdin()
        #expect(plugin.wait() == 0)
        let alerts = plugin.alerts
        #expect(alerts.map { $0["op"] ?? "" } == ["LOAD", "UNLOAD"], "the engine sees the LOAD first")
        #expect(alerts.last?["lifetime"] == "300ms")
        #expect(Self.counter("unmatched_unloads", in: plugin.stderrText) == 0)
        #expect(Self.counter("recovery_requests", in: plugin.stderrText) == 1)
        withExtendedLifetime(loader) {}
    }
}
