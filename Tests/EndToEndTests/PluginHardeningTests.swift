import Glibc
import Testing

/// Plugin mode under signals and outputs an attacker or an accident can arrange (issue 8,
/// sections 4 and 5): nothing stops it but auditd, nothing blocks its input loop, and no
/// alert is lost without being counted.
@Suite struct PluginHardeningTests {
    func startPlugin(_ extra: [String] = []) -> ChildProcess {
        let policy = temporaryFile(PluginModeTests.policy)
        return ChildProcess([Paths.plugin, "--policy", policy, "--output", "stdout", "--no-lookup"] + extra)
    }

    @Test func sigintFromAnotherProcessIsIgnored() {
        let plugin = startPlugin()
        #expect(plugin.waitFor(seconds: 10) { $0.stderrText.contains("started") })
        let killer = ChildProcess.run(["/bin/kill", "-INT", String(plugin.pid)])
        #expect(killer.exitStatus == 0)
        plugin.pump(milliseconds: 700)
        #expect(plugin.isRunning, "a stray SIGINT must not switch detection off")
        plugin.write(PluginModeTests.loadEvent(serial: 5, progID: 8, uid: 1000))
        #expect(plugin.waitFor(seconds: 10) { $0.stdoutLines.count == 1 })
        plugin.closeStdin()
        #expect(plugin.wait() == 0)
        #expect(!plugin.stderrText.contains("stopping on"))
    }

    @Test func sigintFromTheParentStopsItAndIsNamed() {
        let plugin = startPlugin()
        #expect(plugin.waitFor(seconds: 10) { $0.stderrText.contains("started") })
        plugin.signal(SIGINT)  // the test is the plugin's parent
        #expect(plugin.wait(seconds: 10) == 0)
        #expect(plugin.stderrText.contains("stopping on SIGINT from the parent process"))
    }

    @Test func sighupDuringStartUpDoesNotKillIt() {
        for _ in 0..<5 {
            let plugin = startPlugin()
            // As early as we can: before the policy is even read.
            plugin.signal(SIGHUP)
            plugin.pump(milliseconds: 5)
            plugin.signal(SIGHUP)
            #expect(plugin.waitFor(seconds: 10) { $0.stderrText.contains("started") || !$0.isRunning })
            #expect(plugin.isRunning, "SIGHUP at start-up killed the plugin: \(plugin.stderrText)")
            plugin.closeStdin()
            #expect(plugin.wait() == 0)
        }
    }

    @Test func aFIFOAtTheStateFilesTemporaryPathDoesNotBlockInput() throws {
        let stateFile = temporaryFile("", name: "state")
        unlink(stateFile + ".tmp")
        #expect(mkfifo(stateFile + ".tmp", 0o600) == 0)
        let plugin = startPlugin(["--state-file", stateFile])
        #expect(plugin.waitFor(seconds: 10) { $0.stderrText.contains("started") })
        plugin.signal(SIGUSR1)
        plugin.write(PluginModeTests.loadEvent(serial: 5, progID: 8, uid: 1000))
        #expect(plugin.waitFor(seconds: 10) { $0.stdoutLines.count == 1 }, "the input loop blocked on the FIFO")
        #expect(plugin.waitFor(seconds: 10) { $0.stderrText.contains("state report written to \(stateFile)") })
        var info = stat()
        #expect(lstat(stateFile, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG)
        let report = String(decoding: try readFile(stateFile), as: UTF8.self)
        #expect(report.contains("\nevicted_alerted = 0\n"))
        plugin.closeStdin()
        #expect(plugin.wait() == 0)
    }

    @Test func alertsToAClosedStandardOutputAreCounted() {
        for format in ["stdout", "json"] {
            let policy = temporaryFile(PluginModeTests.policy)
            let plugin = ChildProcess([Paths.plugin, "--policy", policy, "--output", format, "--no-lookup"])
            #expect(plugin.waitFor(seconds: 10) { $0.stderrText.contains("started") })
            plugin.closeStdout()
            for serial in 1...3 { plugin.write(PluginModeTests.loadEvent(serial: serial, progID: serial, uid: 1000)) }
            plugin.closeStdin()
            #expect(plugin.wait() == 0)
            #expect(plugin.stderrText.contains(" alerts=3 dropped=3 "), "\(format): \(plugin.stderrText)")
        }
    }

    @Test func replayToAClosedStandardOutputCountsTheLostAlerts() {
        let policy = temporaryFile("alert any op=load\n")
        let log = temporaryFile((1...3).map { PluginModeTests.loadEvent(serial: $0, progID: $0) }.joined(), name: "log")
        let replay = ChildProcess([Paths.plugin, "--policy", policy, "--replay", log])
        replay.closeStdout()
        #expect(replay.wait() == 0)
        #expect(replay.stderrText.contains(" alerts=3 dropped=3 "), "\(replay.stderrText)")
    }
}

/// A reload runs beside the input loop: a policy that takes long to read does not stop alerts.
@Suite struct PolicyReloadTests {
    @Test func inputIsReadWhileAReloadWaits() throws {
        let policyPath = temporaryFile(PluginModeTests.policy)
        let plugin = ChildProcess([Paths.plugin, "--policy", policyPath, "--output", "stdout", "--no-lookup"])
        #expect(plugin.waitFor(seconds: 10) { $0.stderrText.contains("started") })
        // The policy becomes a FIFO: reading it blocks until we write the new text.
        unlink(policyPath)
        #expect(mkfifo(policyPath, 0o600) == 0)
        plugin.signal(SIGHUP)
        plugin.write(PluginModeTests.loadEvent(serial: 1, progID: 1, uid: 1000))
        #expect(plugin.waitFor(seconds: 10) { $0.stdoutLines.count == 1 }, "the input loop waited for the reload")
        #expect(plugin.stdoutLines.first?.hasPrefix("alert=unexpected-uid ") == true, "the old policy is in force meanwhile")
        let writer = open(policyPath, O_WRONLY)
        #expect(writer >= 0)
        let text = Array("alert renamed op=load\n".utf8)
        #expect(text.withUnsafeBytes { Glibc.write(writer, $0.baseAddress, $0.count) } == text.count)
        close(writer)
        #expect(plugin.waitFor(seconds: 10) { $0.stderrText.contains("policy reloaded from \(policyPath)") })
        plugin.write(PluginModeTests.loadEvent(serial: 2, progID: 2, uid: 1000))
        #expect(plugin.waitFor(seconds: 10) { $0.stdoutLines.count == 2 })
        #expect(plugin.stdoutLines.last?.hasPrefix("alert=renamed ") == true)
        plugin.closeStdin()
        #expect(plugin.wait() == 0)
    }
}

/// `heartbeat`: a line with the counters at every interval, so that silence can be noticed.
@Suite struct HeartbeatTests {
    @Test func theCountersAreLoggedAtTheInterval() {
        let policy = temporaryFile("heartbeat = 1s\nalert any op=load\n")
        let plugin = ChildProcess([Paths.plugin, "--policy", policy, "--output", "stdout", "--no-lookup"])
        plugin.write(PluginModeTests.loadEvent(serial: 1, progID: 1))
        #expect(plugin.waitFor(seconds: 10) { $0.stderrText.components(separatedBy: "heartbeat: ").count >= 3 }, "two heartbeats")
        #expect(plugin.stderrText.contains("heartbeat: records=4 "))
        #expect(plugin.stderrText.contains(" loads=1 "))
        plugin.closeStdin()
        #expect(plugin.wait() == 0)

        let quiet = ChildProcess([Paths.plugin, "--policy", temporaryFile("heartbeat = 0\nalert any op=load\n"), "--output", "stdout", "--no-lookup"])
        quiet.pump(milliseconds: 1500)
        quiet.closeStdin()
        #expect(quiet.wait() == 0)
        #expect(!quiet.stderrText.contains("heartbeat:"))
    }

    @Test func badValuesAreErrors() {
        let run = ChildProcess.run([Paths.plugin, "--check", "--policy", temporaryFile("heartbeat = 10ms\nalert any op=load\n")])
        #expect(run.exitStatus == 1)
        #expect(run.stderrText.contains(":1:13: error: expected a duration from 1s to 1d such as 15m (0 turns it off) for setting 'heartbeat', found '10ms'"))
    }
}
