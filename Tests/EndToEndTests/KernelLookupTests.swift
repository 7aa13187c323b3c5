import Glibc
import Testing

/// Kernel lookups against the real kernel: programs loaded by the project's loader are
/// looked up by the plugin when it sees their LOAD (type, name, tag, helpers), context-less
/// loads get their loader from /proc, programs loaded before start-up are inventoried, and
/// the plugin keeps only the capabilities lookups need. Needs root and a C compiler.
@Suite(.serialized, .enabled(if: BPFLoader.isAvailable, "\(BPFLoader.unavailableReason ?? "")"))
struct KernelLookupTests {
    static let policy = """
    %dangerous = bpf_probe_write_user, bpf_override_return, bpf_send_signal, bpf_send_signal_thread
    %tracing = kprobe, tracepoint, raw_tracepoint, tracing, lsm, perf_event
    alert dangerous-helper op=load helpers=%dangerous priority=crit
    alert tracing op=load prog-type=%tracing
    alert any op=load
    alert gone op=unload
    """

    /// A LOAD event as the kernel writes it, for a real prog-id.
    static func loadEvent(_ id: UInt32, serial: Int, pid: Int32 = 4242, withContext: Bool = true) -> String {
        let time = Self.now()
        var text = "type=BPF msg=audit(\(time):\(serial)): prog-id=\(id) op=LOAD\n"
        if withContext {
            text += "type=SYSCALL msg=audit(\(time):\(serial)): arch=c000003e syscall=321 success=yes exit=3 a0=5 a1=7ffd a2=90 a3=0 items=0 ppid=1 pid=\(pid) auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"bpfload\" exe=\"/usr/local/sbin/bpfload\" key=(null)\n"
            text += "type=EOE msg=audit(\(time):\(serial)):\n"
        }
        return text
    }

    static func unloadEvent(_ id: UInt32, serial: Int) -> String {
        "type=BPF msg=audit(\(Self.now()):\(serial)): prog-id=\(id) op=UNLOAD\n"
    }

    /// `SEC.MSEC` now.
    static func now() -> String {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        let ms = time.tv_nsec / 1_000_000
        return "\(time.tv_sec).\(ms < 10 ? "00" : ms < 100 ? "0" : "")\(ms)"
    }

    func startPlugin(_ extra: [String] = []) -> ChildProcess {
        let plugin = ChildProcess([Paths.plugin, "--policy", temporaryFile(Self.policy), "--output", "stdout"] + scratchKnownPrograms() + extra)
        plugin.waitFor(seconds: 10) { $0.stderrText.contains("started") }
        return plugin
    }

    @Test func loadedProgramsAreDescribedAndDangerousHelpersFlagged() throws {
        let signaller = try #require(BPFLoader.Running(["--type", "kprobe", "--helper", "send_signal", "--name", "bg_signal"]))
        let filter = try #require(BPFLoader.Running(["--type", "socket_filter", "--name", "bg_filter"]))
        let xdp = try #require(BPFLoader.Running(["--type", "xdp", "--name", "bg_xdp"]))
        let plugin = startPlugin()
        plugin.write(Self.loadEvent(signaller.programIDs[0], serial: 1) + Self.loadEvent(filter.programIDs[0], serial: 2)
                     + Self.loadEvent(xdp.programIDs[0], serial: 3))
        #expect(plugin.waitFor(seconds: 10) { $0.alerts.count == 3 })
        let alerts = plugin.alerts
        let signal = try #require(alerts.first)
        #expect(signal["alert"] == "dangerous-helper")
        #expect(signal["prog-type"] == "kprobe")
        #expect(signal["prog-name"] == "bg_signal")
        #expect(signal["helpers"] == "bpf_send_signal")
        #expect(signal["created-by-uid"] == "0")
        #expect(signal["identity"] == "audit")
        #expect(signal["prog-tag"]?.count == 16)
        #expect(signal.keys.prefix(9) == ["alert", "priority", "op", "prog-id", "prog-type", "prog-name", "prog-tag", "helpers", "created-by-uid"])
        if access("/usr/sbin/bpftool", X_OK) == 0 {
            let shown = ChildProcess.run(["/usr/sbin/bpftool", "prog", "show", "id", String(signaller.programIDs[0])])
            #expect(shown.stdoutText.contains("tag \(signal["prog-tag"] ?? "-")"), "the tag is the one bpftool shows: \(shown.stdoutText)")
        }
        #expect(alerts[1]["alert"] == "any")
        #expect(alerts[1]["prog-type"] == "socket_filter")
        #expect(alerts[1]["helpers"] == "none")
        #expect(alerts[2]["prog-type"] == "xdp")
        #expect(alerts[2]["prog-name"] == "bg_xdp")
        plugin.closeStdin()
        #expect(plugin.wait() == 0)
        #expect(plugin.stderrText.contains(" lookups=3 gone=0 lookup_errors=0 "))
    }

    @Test func aProgramGoneBeforeItsLookupSaysSo() throws {
        let loader = try #require(BPFLoader.Running(["--name", "short_one"]))
        let id = loader.programIDs[0]
        loader.stop()  // unloaded before the plugin sees the LOAD
        let plugin = startPlugin()
        plugin.write(Self.loadEvent(id, serial: 1))
        #expect(plugin.waitFor(seconds: 10) { $0.alerts.count == 1 })
        let alert = try #require(plugin.alerts.first)
        #expect(alert["info"] == "gone")
        #expect(alert["prog-type"] == "?")
        #expect(alert["helpers"] == "?")
        #expect(alert["exe"] == "/usr/local/sbin/bpfload", "the audit record's loader is still there")
        plugin.closeStdin()
        plugin.wait()
    }

    @Test func aLoadWithoutContextGetsItsLoaderFromProc() throws {
        let loader = try #require(BPFLoader.Running(["--name", "no_context"]))
        let plugin = startPlugin()
        plugin.write(Self.loadEvent(loader.programIDs[0], serial: 1, withContext: false))
        #expect(plugin.waitFor(seconds: 15) { $0.alerts.count == 1 }, "a standalone record completes by aging")
        let alert = try #require(plugin.alerts.first)
        #expect(alert["identity"] == "proc")
        #expect(alert["pid"] == String(loader.pid))
        #expect(alert["exe"] == BPFLoader.path)
        #expect(alert["comm"] == "bpfload")
        #expect(alert["uid"] == "0")
        #expect(alert["prog-name"] == "no_context")
        let noContext = plugin.allAlerts.filter { $0["alert"] == "no-audit-context" }
        #expect(noContext.count == 1, "a load without SYSCALL record raises the built-in alert once")
        #expect(noContext.first?["loads"] == "1")
        #expect(noContext.first?["rule"] == "builtin")
        plugin.closeStdin()
        plugin.wait()
    }

    @Test func aLoadNobodyHoldsSaysIdentityNone() throws {
        // A pinned program is held by bpffs, not by a process.
        let mounted = ChildProcess.run(["/bin/sh", "-c", "grep -q ' /sys/fs/bpf bpf ' /proc/mounts || mount -t bpf bpf /sys/fs/bpf"])
        try #require(mounted.exitStatus == 0, "bpffs is not mounted and cannot be: \(mounted.stderrText)")
        let pin = "/sys/fs/bpf/bpfguard_test_\(getpid())"
        let loader = ChildProcess.run([BPFLoader.path!, "--pin", pin, "--name", "pinned_one"])
        defer { unlink(pin) }
        let id = try #require(loader.stdoutLines.first.flatMap { line in line.split(separator: "=").dropFirst().first.flatMap { UInt32($0.prefix { $0.isNumber }) } })
        let plugin = startPlugin()
        plugin.write(Self.loadEvent(id, serial: 1, withContext: false))
        #expect(plugin.waitFor(seconds: 15) { $0.alerts.count == 1 })
        let alert = try #require(plugin.alerts.first)
        #expect(alert["identity"] == "none")
        #expect(alert["uid"] == "?")
        #expect(alert["alert"] == "any")
        #expect(alert["prog-name"] == "pinned_one")
        plugin.closeStdin()
        plugin.wait()
        #expect(plugin.stderrText.contains(" recovered_loaders=0 unrecovered_loaders=1"))
    }

    @Test func programsLoadedBeforeStartUpHaveALifetime() throws {
        let loader = try #require(BPFLoader.Running(["--type", "tracepoint", "--name", "before_start"]))
        let id = loader.programIDs[0]
        usleep(300_000)
        let plugin = startPlugin()
        #expect(plugin.stderrText.contains("found "))
        loader.stop()
        plugin.write(Self.unloadEvent(id, serial: 5))
        #expect(plugin.waitFor(seconds: 15) { $0.alerts.count == 1 })
        let alert = try #require(plugin.alerts.first)
        #expect(alert["alert"] == "gone")
        #expect(alert["identity"] == "kernel")
        #expect(alert["prog-type"] == "tracepoint")
        #expect(alert["prog-name"] == "before_start")
        #expect(alert["uid"] == "0")
        let lifetime = try #require(alert["lifetime"].flatMap { Int($0.dropLast(2)) })
        #expect(lifetime >= 300, "loaded at least 300 ms before the plugin started: \(alert["lifetime"] ?? "")")
        #expect(lifetime < 60_000)
        plugin.closeStdin()
        plugin.wait()
    }

    @Test func onlyTheCapabilitiesLookupsNeedAreKept() throws {
        func capabilities(_ plugin: ChildProcess) throws -> (effective: String, bounding: String, noNewPrivs: String) {
            let status = String(decoding: try readFile("/proc/\(plugin.pid)/status"), as: UTF8.self)
            func value(_ key: String) -> String {
                status.split(separator: "\n").first { $0.hasPrefix(key) }.map { String($0.dropFirst(key.count).drop { $0 == "\t" || $0 == " " }) } ?? ""
            }
            return (value("CapEff:"), value("CapBnd:"), value("NoNewPrivs:"))
        }
        /// Capabilities are per thread: every thread of the plugin (writers, reloader, loader
        /// recovery) must hold no more than the main thread.
        func threadCapabilities(_ plugin: ChildProcess) throws -> Set<String> {
            guard let tasks = opendir("/proc/\(plugin.pid)/task") else { return [] }
            defer { closedir(tasks) }
            var effective = Set<String>()
            while let entry = readdir(tasks) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                guard Int(name) != nil else { continue }
                let status = String(decoding: try readFile("/proc/\(plugin.pid)/task/\(name)/status"), as: UTF8.self)
                if let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }) {
                    effective.insert(String(line.dropFirst(7).drop { $0 == "\t" || $0 == " " }))
                }
            }
            return effective
        }
        let plugin = startPlugin()
        #expect(plugin.waitFor(seconds: 10) { $0.stderrText.contains("started") })
        let withLookups = try capabilities(plugin)
        let threads = try threadCapabilities(plugin)
        #expect(threads == [withLookups.effective], "a thread kept other capabilities: \(threads)")
        // CAP_DAC_READ_SEARCH (2), CAP_SYS_PTRACE (19), CAP_SYS_ADMIN (21), CAP_SYSLOG (34).
        let expected = String((UInt64(1) << 2 | UInt64(1) << 19 | UInt64(1) << 21 | UInt64(1) << 34), radix: 16)
        #expect(withLookups.effective == String(repeating: "0", count: 16 - expected.count) + expected)
        #expect(withLookups.bounding == withLookups.effective)
        #expect(withLookups.noNewPrivs == "1")
        plugin.closeStdin()
        plugin.wait()

        let without = startPlugin(["--no-lookup"])
        let none = try capabilities(without)
        #expect(none.effective == "0000000000000000")
        #expect(none.bounding == "0000000000000000")
        without.closeStdin()
        without.wait()
    }

    @Test func replayLooksUpOnlyWhenAsked() throws {
        let loader = try #require(BPFLoader.Running(["--name", "replayed"]))
        let log = temporaryFile(Self.loadEvent(loader.programIDs[0], serial: 1), name: "log")
        let policy = temporaryFile(Self.policy)
        let plain = ChildProcess.run([Paths.plugin, "--policy", policy, "--replay", log])
        #expect(plain.alerts.first?["prog-type"] == nil, "no kernel lookups in replay by default")
        let looked = ChildProcess.run([Paths.plugin, "--policy", policy, "--lookup", "--replay", log])
        #expect(looked.alerts.first?["prog-type"] == "socket_filter")
        #expect(looked.alerts.first?["prog-name"] == "replayed")
    }
}

/// The plugin reads how auditd names this host (auditd.conf `name_format`) and looks up the
/// records of that node in its own kernel without a hand-set `local_node` (issue 13).
@Suite(.serialized, .enabled(if: BPFLoader.isAvailable, "\(BPFLoader.unavailableReason ?? "")"))
struct LocalNodeNameTests {
    static let conf = "/etc/audit/auditd.conf"

    @Test func recordsNamedAfterThisHostAreLookedUp() throws {
        guard access(Self.conf, W_OK) == 0 else { print("skipped: \(Self.conf) not writable (not root, or auditd not installed)"); return }
        let original = try readFile(Self.conf)
        defer { replaceFile(Self.conf, with: String(decoding: original, as: UTF8.self)) }
        var text = String(decoding: original, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.lowercased().hasPrefix("name_format") && !$0.lowercased().hasPrefix("name ") && !$0.lowercased().hasPrefix("name=") }
            .joined(separator: "\n")
        text += "\nname_format = user\nname = bpfguard-test-node\n"
        replaceFile(Self.conf, with: text)

        let loader = try #require(BPFLoader.Running(["--name", "node_named"]))
        let policy = temporaryFile("alert any op=load\n")
        let plugin = ChildProcess([Paths.plugin, "--policy", policy, "--output", "stdout"] + scratchKnownPrograms())
        #expect(plugin.waitFor(seconds: 10) { $0.stderrText.contains("started") })
        #expect(plugin.stderrText.contains("this host's node name: bpfguard-test-node (/etc/audit/auditd.conf: name_format = user)"))
        plugin.write(onNode("bpfguard-test-node", KernelLookupTests.loadEvent(loader.programIDs[0], serial: 1)))
        plugin.write(onNode("other-host", KernelLookupTests.loadEvent(loader.programIDs[0], serial: 2)))
        #expect(plugin.waitFor(seconds: 10) { $0.alerts.count == 2 })
        let alerts = plugin.alerts
        #expect(alerts.first?["prog-name"] == "node_named", "this host's records are looked up")
        #expect(alerts.last?["prog-name"] == "?", "another node's records never are")
        plugin.closeStdin()
        plugin.wait()
    }
}

/// Every record line of `event`, prefixed with `node=NAME ` as auditd's name_format writes it.
private func onNode(_ name: String, _ event: String) -> String {
    event.split(separator: "\n").map { "node=\(name) \($0)\n" }.joined()
}
