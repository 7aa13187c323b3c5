import Glibc
import Testing
@testable import audisp_bpfguard

/// Issue 9 live, in plugin mode against the real kernel: the loader's package, trust,
/// container and command line, and every call target of real programs named (map
/// operations, kfuncs), on the project's loader and on a libbpf tool from its Debian package.
@Suite(.serialized, .enabled(if: BPFLoader.isAvailable, "\(BPFLoader.unavailableReason ?? "")"))
struct LoaderFactsPluginTests {
    static let policy = "alert any op=load\n"

    /// A LOAD event as the kernel writes it, for a real program and loader.
    static func loadEvent(_ id: UInt32, serial: Int, pid: pid_t, comm: String, exe: String, arguments: [String], node: String? = nil) -> String {
        let time = KernelLookupTests.now()
        let prefix = node.map { "node=\($0) " } ?? ""
        let digits = Array("0123456789ABCDEF")
        let title = String(arguments.joined(separator: "\u{0}").utf8.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
        return """
        \(prefix)type=BPF msg=audit(\(time):\(serial)): prog-id=\(id) op=LOAD
        \(prefix)type=SYSCALL msg=audit(\(time):\(serial)): arch=c000003e syscall=321 success=yes exit=3 a0=5 a1=7ffd a2=90 a3=0 items=0 ppid=1 pid=\(pid) auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm="\(comm)" exe="\(exe)" key=(null)
        \(prefix)type=PROCTITLE msg=audit(\(time):\(serial)): proctitle=\(title)
        \(prefix)type=EOE msg=audit(\(time):\(serial)):

        """
    }

    func startPlugin() -> ChildProcess {
        let plugin = ChildProcess([Paths.plugin, "--policy", temporaryFile(Self.policy), "--output", "stdout"] + scratchKnownPrograms())
        plugin.waitFor(seconds: 10) { $0.stderrText.contains("started") }
        return plugin
    }

    @Test func theTestLoaderMapOperationsAndKfuncs() throws {
        let kfuncs = KernelFunctionNames.vmlinuxKfuncs()
        let lock = kfuncs.first { $0.value == "bpf_rcu_read_lock" }?.key
        let unlock = kfuncs.first { $0.value == "bpf_rcu_read_unlock" }?.key
        let mapper = try #require(BPFLoader.Running(["--helper", "map_update", "--name", "maps"]))
        let kfuncLoader = try lock.flatMap { lock in try unlock.map { unlock in
            try #require(BPFLoader.Running(["--kfunc", String(lock), "--kfunc", String(unlock), "--name", "kfuncs"]))
        } }
        let plugin = startPlugin()
        var text = Self.loadEvent(mapper.programIDs[0], serial: 1, pid: mapper.pid, comm: "bpfload", exe: BPFLoader.path!,
                                  arguments: [BPFLoader.path!, "--helper", "map_update"])
        if let kfuncLoader {
            text += Self.loadEvent(kfuncLoader.programIDs[0], serial: 2, pid: kfuncLoader.pid, comm: "bpfload", exe: BPFLoader.path!, arguments: [BPFLoader.path!])
        }
        plugin.write(text)
        #expect(plugin.waitFor(seconds: 10) { $0.alerts.count == (kfuncLoader == nil ? 1 : 2) })
        let alerts = plugin.alerts
        let maps = try #require(alerts.first)
        #expect(maps["helpers"] == "bpf_map_update_elem", "the verifier's htab_map_update_elem is named by its helper")
        #expect(maps["exe-package"] == "none", "the test loader is built in /tmp")
        #expect(maps["exe-trusted"] == "none")
        #expect(maps["container"] == "no")
        #expect(maps["cmdline"] == "\(BPFLoader.path!) --helper map_update")
        #expect(Array(maps.keys.drop { $0 != "exe" }.prefix(6)) == ["exe", "cmdline", "exe-package", "exe-trusted", "container", "identity"])
        if kfuncLoader != nil {
            #expect(alerts.last?["helpers"] == "bpf_rcu_read_lock,bpf_rcu_read_unlock", "kfuncs by name")
        } else {
            print("this kernel's BTF tags no bpf_rcu_read_lock/unlock kfunc: kfunc naming not tried live")
        }
        plugin.closeStdin()
        #expect(plugin.wait() == 0)
        #expect(plugin.stderrText.contains(" loader_facts=\(alerts.count) "), "\(plugin.stderrText)")
    }

    /// A LOAD without SYSCALL context: its loader is recovered from /proc (on the recovery
    /// worker), then its facts are gathered when the event goes on, and the command line
    /// comes from /proc too.
    @Test func aRecoveredLoaderGetsItsFactsToo() throws {
        let loader = try #require(BPFLoader.Running(["--name", "recovered_facts"]))
        let plugin = startPlugin()
        plugin.write("type=BPF msg=audit(\(KernelLookupTests.now()):7): prog-id=\(loader.programIDs[0]) op=LOAD\n")
        #expect(plugin.waitFor(seconds: 15) { $0.alerts.count == 1 }, "a standalone record completes by aging")
        let alert = try #require(plugin.alerts.first)
        #expect(alert["identity"] == "proc")
        #expect(alert["exe"] == BPFLoader.path)
        #expect(alert["cmdline"] == "\(BPFLoader.path!) --name recovered_facts --hold 60000")
        #expect(alert["exe-package"] == "none")
        #expect(alert["exe-trusted"] == "none")
        #expect(alert["container"] == "no")
        plugin.closeStdin()
        #expect(plugin.wait() == 0)
    }

    static let runqlat = "/usr/sbin/runqlat"
    static let packagedTool: String? = {
        if access(runqlat, X_OK) != 0 { return "libbpf-tools is not installed (\(runqlat))" }
        if access("/var/lib/dpkg/status", R_OK) != 0 { return "no dpkg database" }
        return nil
    }()

    /// The programs process `pid` holds, from its /proc fdinfo.
    static func heldPrograms(_ pid: pid_t) -> [UInt32] {
        guard let directory = opendir("/proc/\(pid)/fdinfo") else { return [] }
        defer { closedir(directory) }
        var ids: [UInt32] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard Int(name) != nil, let info = try? readFile("/proc/\(pid)/fdinfo/\(name)") else { continue }
            for line in String(decoding: info, as: UTF8.self).split(separator: "\n") where line.hasPrefix("prog_id:") {
                if let id = UInt32(line.dropFirst(8).trimmingPrefix(while: { $0 == "\t" || $0 == " " })) { ids.append(id) }
            }
        }
        return Array(Set(ids)).sorted()
    }

    @Test(.enabled(if: packagedTool == nil, "\(packagedTool ?? "")"))
    func aLibbpfToolFromItsPackage() throws {
        let tool = ChildProcess([Self.runqlat, "1", "30"])
        defer { tool.signal(SIGINT); tool.wait(seconds: 5) }
        var programs: [UInt32] = []
        let deadline = ChildProcess.now() + 15
        while programs.isEmpty && ChildProcess.now() < deadline {
            usleep(200_000)
            programs = Self.heldPrograms(tool.pid)
        }
        try #require(!programs.isEmpty, "runqlat loaded no program: \(tool.stderrText)")
        let plugin = startPlugin()
        var text = ""
        for (index, id) in programs.enumerated() {
            text += Self.loadEvent(id, serial: index + 1, pid: tool.pid, comm: "runqlat", exe: Self.runqlat, arguments: [Self.runqlat, "1", "30"])
        }
        // The same loader seen from another node: nothing is looked up for it.
        text += Self.loadEvent(programs[0], serial: 99, pid: tool.pid, comm: "runqlat", exe: Self.runqlat, arguments: [Self.runqlat], node: "elsewhere")
        plugin.write(text)
        #expect(plugin.waitFor(seconds: 15) { $0.alerts.count == programs.count + 1 })
        let alerts = plugin.alerts
        for alert in alerts.dropLast() {
            #expect(alert["exe-package"] == "libbpf-tools")
            #expect(alert["exe-trusted"] == "yes")
            #expect(alert["container"] == "no")
            #expect(alert["cmdline"] == "\(Self.runqlat) 1 30")
            #expect(alert["prog-type"] != "?")
            #expect(!(alert["helpers"] ?? "unknown").split(separator: ",").contains("unknown"), "every call target named: \(alert["helpers"] ?? "")")
        }
        #expect(alerts.contains { $0["helpers"]?.contains("bpf_map_") == true }, "runqlat's programs use maps")
        let remote = try #require(alerts.last)
        #expect(remote["node"] == "elsewhere")
        #expect(remote["exe-package"] == "?")
        #expect(remote["exe-trusted"] == "?")
        #expect(remote["container"] == "?")
        plugin.closeStdin()
        #expect(plugin.wait() == 0)
        #expect(plugin.stderrText.contains("files_hashed=1 "), "one executable, hashed once: \(plugin.stderrText)")
    }
}
