import Glibc
import Testing

/// Plugin mode on standard input, as auditd drives it: alerts without waiting for more
/// input, aging of events without EOE, SIGHUP reload, SIGTERM and end of input.
@Suite struct PluginModeTests {
    static let policy = """
    %loaders = /usr/sbin/bpftool
    allow                   op=load uid=0 exe=%loaders
    alert unexpected-uid    op=load uid!=0               priority=crit
    alert unknown-exe       op=load exe!=%loaders
    alert short-lived       op=unload lifetime<1s        priority=notice
    """

    static func loadEvent(serial: Int, progID: Int, seconds: Int = 1795942353, uid: Int = 0, exe: String = "/usr/sbin/bpftool") -> String {
        """
        type=BPF msg=audit(\(seconds).035:\(serial)): prog-id=\(progID) op=LOAD
        type=SYSCALL msg=audit(\(seconds).035:\(serial)): arch=c000003e syscall=321 success=yes exit=3 a0=5 a1=7ffcf295b100 a2=90 a3=0 items=0 ppid=2481 pid=2485 auid=4294967295 uid=\(uid) gid=0 euid=\(uid) suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="loader" exe="\(exe)" key=(null)
        type=PROCTITLE msg=audit(\(seconds).035:\(serial)): proctitle=6C6F61646572
        type=EOE msg=audit(\(seconds).035:\(serial)):

        """
    }

    static func standaloneUnload(serial: Int, progID: Int, seconds: Int = 1795942353, milliseconds: String = "500") -> String {
        "type=BPF msg=audit(\(seconds).\(milliseconds):\(serial)): prog-id=\(progID) op=UNLOAD\n"
    }

    func startPlugin(policy: String = PluginModeTests.policy) -> (ChildProcess, String) {
        let path = temporaryFile(policy)
        // Kernel lookups are tested in KernelLookupTests; these records name no real program.
        return (ChildProcess([Paths.plugin, "--policy", path, "--output", "stdout", "--no-lookup"]), path)
    }

    @Test func alertLeavesAsSoonAsItsEventEndsWithEOE() {
        let (plugin, _) = startPlugin()
        plugin.write(Self.loadEvent(serial: 10, progID: 77, exe: "/tmp/evil"))
        // No further input: libauparse would hold the EOE line back until more bytes come.
        let arrived = plugin.waitFor(seconds: 10) { $0.stdoutLines.count == 1 }
        #expect(arrived, "the alert must not wait for unrelated traffic")
        #expect(plugin.stdoutLines.first == "alert=unknown-exe priority=warning op=LOAD prog-id=77 uid=0 auid=unset euid=0 pid=2485 ppid=2481 comm=\"loader\" exe=\"/tmp/evil\" cmdline=\"loader\" event=1795942353.035:10 rule=4")
        #expect(plugin.isRunning)
        plugin.closeStdin()
        #expect(plugin.wait() == 0)
    }

    @Test func standaloneRecordsCompleteByAging() {
        let (plugin, _) = startPlugin(policy: "alert gone op=unload\n")
        // A standalone record stamped now: it has no EOE and completes only by aging.
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        plugin.write(Self.standaloneUnload(serial: 11, progID: 5, seconds: Int(now.tv_sec), milliseconds: "000"))
        let arrived = plugin.waitFor(seconds: 15) { $0.stdoutLines.count == 1 }
        #expect(arrived, "an event without EOE completes by aging while input is idle")
        #expect(plugin.stdoutLines.first?.hasPrefix("alert=gone priority=warning op=UNLOAD prog-id=5 uid=? ") == true)
        #expect(plugin.isRunning)
        plugin.signal(SIGTERM)
        #expect(plugin.wait() == 0)
    }

    @Test func sighupReloadsThePolicyAndKeepsTheProgramTable() {
        let (plugin, path) = startPlugin(policy: "alert first-policy op=load\n")
        plugin.write(Self.loadEvent(serial: 1, progID: 40, seconds: 1795942353))
        #expect(plugin.waitFor(seconds: 10) { $0.stdoutLines.count == 1 })
        #expect(plugin.stdoutLines.last?.hasPrefix("alert=first-policy ") == true)

        replaceFile(path, with: "alert second-policy op=unload lifetime>=1m\n")
        plugin.signal(SIGHUP)
        #expect(plugin.waitFor(seconds: 10) { $0.stderrText.contains("policy reloaded from \(path): 1 rules (0 allow, 1 alert)") })

        // Loaded before the reload, unloaded 2 minutes later: the lifetime is still known.
        plugin.write(Self.loadEvent(serial: 2, progID: 41, seconds: 1795942360))
        plugin.write(Self.standaloneUnload(serial: 3, progID: 40, seconds: 1795942473))
        plugin.closeStdin()
        #expect(plugin.wait() == 0)
        #expect(plugin.stdoutLines.count == 2, "the old rule no longer fires: \(plugin.stdoutLines)")
        #expect(plugin.stdoutLines.last?.hasPrefix("alert=second-policy priority=warning op=UNLOAD prog-id=40 uid=0 ") == true)
        #expect(plugin.stdoutLines.last?.contains(" lifetime=120465ms event=1795942473.500:3 rule=1") == true)
    }

    @Test func invalidPolicyOnReloadKeepsTheOldOne() {
        let (plugin, path) = startPlugin(policy: "alert kept op=load\n")
        #expect(plugin.waitFor(seconds: 10) { $0.stderrText.contains("started") })
        replaceFile(path, with: "alert broken op=load bogus=1\n")
        plugin.signal(SIGHUP)
        #expect(plugin.waitFor(seconds: 10) { $0.stderrText.contains("policy reload failed: keeping the policy in force") })
        #expect(plugin.stderrText.contains("\(path):1:22: error: unknown field 'bogus'"))
        plugin.write(Self.loadEvent(serial: 1, progID: 3))
        #expect(plugin.waitFor(seconds: 10) { $0.stdoutLines.count == 1 })
        #expect(plugin.stdoutLines.first?.hasPrefix("alert=kept ") == true)
        plugin.signal(SIGTERM)
        #expect(plugin.wait() == 0)
    }

    @Test func sigtermFromTheParentFlushesPendingEventsAndExits() {
        let (plugin, _) = startPlugin(policy: "alert gone op=unload\n")
        plugin.write(Self.standaloneUnload(serial: 7, progID: 9))  // old timestamp, no EOE: pending
        #expect(plugin.waitFor(seconds: 1) { $0.stderrText.contains("started") })
        plugin.signal(SIGTERM)
        #expect(plugin.wait(seconds: 10) == 0, "SIGTERM from auditd (the parent) stops the plugin promptly")
        #expect(plugin.stdoutLines.contains { $0.hasPrefix("alert=gone priority=warning op=UNLOAD prog-id=9 ") })
        #expect(plugin.stderrText.contains("stopping on SIGTERM"))
    }

    @Test func sigtermFromAnotherProcessIsIgnored() {
        let (plugin, _) = startPlugin()
        #expect(plugin.waitFor(seconds: 10) { $0.stderrText.contains("started") })
        let killer = ChildProcess.run(["/bin/kill", "-TERM", String(plugin.pid)])
        #expect(killer.exitStatus == 0)
        plugin.pump(milliseconds: 700)
        #expect(plugin.isRunning, "only auditd (the parent) may stop the plugin with SIGTERM")
        plugin.write(Self.loadEvent(serial: 5, progID: 8, uid: 1000))
        #expect(plugin.waitFor(seconds: 10) { $0.stdoutLines.count == 1 })
        plugin.closeStdin()
        #expect(plugin.wait() == 0)
    }

    @Test func malformedInputIsSkippedCountedAndReported() {
        let (plugin, _) = startPlugin()
        plugin.write("this is not an audit record\n\u{0}\u{1}binary\n")
        plugin.write(String(repeating: "A", count: 200_000) + "\n")
        plugin.write(Self.loadEvent(serial: 5, progID: 8, uid: 1000))
        #expect(plugin.waitFor(seconds: 10) { $0.stdoutLines.count == 1 })
        #expect(plugin.stdoutLines.first?.hasPrefix("alert=unexpected-uid priority=crit op=LOAD prog-id=8 uid=1000 ") == true)
        #expect(plugin.stderrText.contains("skipped malformed audit input: 1 so far (last line began \"this is not an audit record\")"))
        #expect(plugin.stderrText.contains("skipped malformed audit input: 3 so far"))
        plugin.closeStdin()
        #expect(plugin.wait() == 0)
        #expect(plugin.stderrText.contains("exiting: records=4 filtered=0 events=1 bpf_events=1 loads=1 unloads=0 unmatched_unloads=0 alerts=1 dropped=0 malformed=3 "))
    }

    @Test func endOfInputExitsZeroWithASummary() {
        let (plugin, _) = startPlugin()
        plugin.write(Self.loadEvent(serial: 1, progID: 2) + Self.standaloneUnload(serial: 2, progID: 2, milliseconds: "100"))
        plugin.closeStdin()
        #expect(plugin.wait() == 0)
        #expect(plugin.stdoutLines.count == 1, "only the short-lived unload alerts: \(plugin.stdoutLines)")
        #expect(plugin.stdoutLines.first?.contains("lifetime=65ms") == true)
        #expect(plugin.stderrText.contains("exiting: records=5 filtered=0 events=2 bpf_events=2 loads=1 unloads=1 unmatched_unloads=0 alerts=1 "))
    }

    @Test func sigusr1WritesTheStateReport() throws {
        let stateFile = temporaryFile("", name: "state")
        let policyPath = temporaryFile(Self.policy)
        let plugin = ChildProcess([Paths.plugin, "--policy", policyPath, "--output", "stdout", "--no-lookup", "--state-file", stateFile])
        plugin.write(Self.loadEvent(serial: 1, progID: 2, uid: 1000) + Self.loadEvent(serial: 3, progID: 4))
        #expect(plugin.waitFor(seconds: 10) { $0.stdoutLines.count == 1 })
        plugin.signal(SIGUSR1)
        #expect(plugin.waitFor(seconds: 10) { $0.stderrText.contains("state report written to \(stateFile)") })
        let report = String(decoding: try readFile(stateFile), as: UTF8.self)
        #expect(report.hasPrefix("audisp-bpfguard "))
        for line in ["policy = \(policyPath)", "bpf_events = 2", "loads = 2", "alerts = 1", "dropped = 0", "malformed = 0",
                     "live_programs = 2", "evicted = 0", "rule_hits line 2 (allow) = 1", "rule_hits line 3 (alert unexpected-uid) = 1",
                     "rule_hits line 4 (alert unknown-exe) = 0", "rule_hits default (allow) = 0"] {
            #expect(report.contains("\n" + line + "\n"), "missing '\(line)' in:\n\(report)")
        }
        plugin.closeStdin()
        #expect(plugin.wait() == 0)
    }

    @Test func aStandaloneRecordDoesNotHoldBackTheNextAlert() {
        let (plugin, _) = startPlugin(policy: "alert any\n")
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let seconds = Int(now.tv_sec)
        // A standalone UNLOAD (no EOE will ever come), then a complete LOAD event.
        plugin.write(Self.standaloneUnload(serial: 20, progID: 5, seconds: seconds, milliseconds: "000"))
        plugin.write(Self.loadEvent(serial: 21, progID: 6, seconds: seconds))
        #expect(plugin.waitFor(seconds: 15) { $0.stdoutLines.count == 2 })
        #expect(plugin.stdoutLines.first?.contains("op=LOAD prog-id=6 ") == true,
                "the complete event is not held behind the standalone one: \(plugin.stdoutLines)")
        #expect(plugin.stdoutLines.last?.contains("op=UNLOAD prog-id=5 ") == true)
        plugin.closeStdin()
        #expect(plugin.wait() == 0)
    }
}
