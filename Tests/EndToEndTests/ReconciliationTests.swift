import Glibc
import Testing

/// The periodic scan through the built plugin, in plugin mode, with real programs: a pinned
/// program whose loader exits persists (bpfload and bpftool), one its loader holds and
/// unloads does not, a program no LOAD record announced is unseen, and the known-programs
/// file carries what a run knew to the next one, so that a program loaded while the plugin
/// was down is unseen and one loaded before the plugin was first started is not. Needs
/// root, bpffs (mounted here when missing) and a C compiler.
@Suite(.serialized, .enabled(if: BPFLoader.isAvailable, "\(BPFLoader.unavailableReason ?? "")"))
struct ReconciliationTests {
    /// Short scans; nothing folded: one line per alert.
    static let policy = """
    scan_interval = 1s
    fold_window = 0
    max_alerts_per_minute = 0
    alert outlived op=persist
    alert unannounced op=unseen priority=crit
    alert loaded op=load
    """

    /// A scan interval, the announcement grace (5 s) and slack for a busy machine.
    static let unseenWithinSeconds = 12.0

    init() throws {
        let mounted = ChildProcess.run(["/bin/sh", "-c", "grep -q ' /sys/fs/bpf bpf ' /proc/mounts || mount -t bpf bpf /sys/fs/bpf"])
        try #require(mounted.exitStatus == 0, "bpffs is not mounted and cannot be: \(mounted.stderrText)")
    }

    static func startPlugin(knownPrograms: [String] = scratchKnownPrograms()) -> ChildProcess {
        let plugin = ChildProcess([Paths.plugin, "--policy", temporaryFile(policy), "--output", "stdout"] + knownPrograms)
        plugin.waitFor(seconds: 10) { $0.stderrText.contains("started") }
        return plugin
    }

    /// A pin path of this test process.
    static func pin(_ name: String) -> String { "/sys/fs/bpf/bpfguard_rc_\(getpid())_\(name)" }

    /// Loads one program with bpfload and pins it at `pin`: bpfload exits at once. Its
    /// prog-id and pid.
    static func loadPinned(_ pin: String, name: String) throws -> (id: UInt32, pid: Int32) {
        let loader = ChildProcess.run([BPFLoader.path!, "--pin", pin, "--name", name])
        try #require(loader.exitStatus == 0, "bpfload --pin failed: \(loader.stderrText)")
        let id = try #require(programID(in: loader.stdoutText))
        return (id, loader.pid)
    }

    static func programID(in text: String) -> UInt32? {
        guard let range = text.range(of: "prog-id=") else { return nil }
        return UInt32(text[range.upperBound...].prefix { $0.isNumber })
    }

    /// The LOAD event of program `id` by process `pid` running `exe`, as the kernel writes it.
    static func loadEvent(_ id: UInt32, pid: Int32, exe: String, comm: String, serial: Int) -> String {
        let time = KernelLookupTests.now()
        return "type=BPF msg=audit(\(time):\(serial)): prog-id=\(id) op=LOAD\n"
            + "type=SYSCALL msg=audit(\(time):\(serial)): arch=c000003e syscall=321 success=yes exit=3 a0=5 a1=7ffd a2=90 a3=0 items=0 ppid=1 pid=\(pid) auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"\(comm)\" exe=\"\(exe)\" key=(null)\n"
            + "type=EOE msg=audit(\(time):\(serial)):\n"
    }

    /// The plugin's alerts about program `id` (other tests may load programs meanwhile).
    static func alerts(_ plugin: ChildProcess, about id: UInt32) -> [AlertLine] {
        plugin.alerts.filter { $0["prog-id"] == String(id) }
    }

    static func counter(_ name: String, in text: String) -> Int? {
        guard let range = text.range(of: " \(name)=") else { return nil }
        return Int(text[range.upperBound...].prefix { $0.isNumber })
    }

    // MARK: - Persist

    @Test func aPinnedProgramOutlivesItsLoader() throws {
        let plugin = Self.startPlugin()
        let pin = Self.pin("persist")
        defer { unlink(pin) }
        let (id, pid) = try Self.loadPinned(pin, name: "rc_persist")
        plugin.write(Self.loadEvent(id, pid: pid, exe: BPFLoader.path!, comm: "bpfload", serial: 1))
        #expect(plugin.waitFor(seconds: 10) { Self.alerts($0, about: id).contains { $0["op"] == "PERSIST" } },
                "a persist alert within a scan interval: \(plugin.stdoutText)")
        let alerts = Self.alerts(plugin, about: id)
        #expect(alerts.map { $0["alert"] ?? "" } == ["loaded", "outlived"], "its LOAD, then once outlived; never unseen: \(plugin.stdoutText)")
        let persist = try #require(alerts.last)
        #expect(persist["pid"] == String(pid))
        #expect(persist["exe"] == BPFLoader.path)
        #expect(persist["identity"] == "audit")
        #expect(persist["prog-name"] == "rc_persist")
        #expect(persist["rule"] == "4")
        let lifetime = try #require(persist["lifetime"].flatMap { Int($0.dropLast(2)) })
        #expect(lifetime >= 0 && lifetime < 30_000, "the lifetime so far: \(persist["lifetime"] ?? "")")
        // Further scans say nothing more about it.
        usleep(2_500_000)
        plugin.pump(milliseconds: 100)
        #expect(Self.alerts(plugin, about: id).count == 2)
        plugin.closeStdin()
        #expect(plugin.wait() == 0)
        #expect((Self.counter("persisting_programs", in: plugin.stderrText) ?? 0) >= 1)
    }

    @Test(.enabled(if: TinyBPFObject.unavailableReason == nil, "\(TinyBPFObject.unavailableReason ?? "")"))
    func aProgramPinnedByBpftoolOutlivesIt() throws {
        let object = try #require(TinyBPFObject.path)
        let bpftool = TinyBPFObject.bpftool
        let plugin = Self.startPlugin()
        let pin = Self.pin("bpftool")
        defer { unlink(pin) }
        let load = ChildProcess.run([bpftool, "prog", "load", object, pin])
        try #require(load.exitStatus == 0, "bpftool prog load failed: \(load.stderrText)")
        let shown = ChildProcess.run([bpftool, "prog", "show", "pinned", pin])
        let id = try #require(UInt32(shown.stdoutText.prefix { $0.isNumber }), "bpftool prog show: \(shown.stdoutText)")
        plugin.write(Self.loadEvent(id, pid: load.pid, exe: bpftool, comm: "bpftool", serial: 1))
        #expect(plugin.waitFor(seconds: 10) { Self.alerts($0, about: id).contains { $0["op"] == "PERSIST" } }, "\(plugin.stdoutText)")
        let persist = try #require(Self.alerts(plugin, about: id).last)
        #expect(persist["exe"] == bpftool)
        #expect(persist["prog-name"] == "bpfguard_tiny")
        #expect(persist["prog-type"] == "socket_filter")
        plugin.closeStdin()
        plugin.wait()
    }

    @Test func aProgramItsLoaderHoldsAndUnloadsDoesNotPersist() throws {
        let plugin = Self.startPlugin()
        // Held 2.5 s (a couple of scans see the loader running), then closed: unloaded.
        let loader = ChildProcess([BPFLoader.path!, "--name", "rc_held", "--hold", "2500"])
        loader.waitFor(seconds: 10) { !$0.stdoutLines.isEmpty }
        let id = try #require(Self.programID(in: loader.stdoutText))
        plugin.write(Self.loadEvent(id, pid: loader.pid, exe: BPFLoader.path!, comm: "bpfload", serial: 1))
        loader.wait(seconds: 10)
        plugin.write("type=BPF msg=audit(\(KernelLookupTests.now()):2): prog-id=\(id) op=UNLOAD\n")
        usleep(3_000_000)  // three more scans
        plugin.closeStdin()
        #expect(plugin.wait() == 0)
        #expect(Self.alerts(plugin, about: id).map { $0["alert"] ?? "" } == ["loaded"], "\(plugin.stdoutText)")
        #expect((Self.counter("scans", in: plugin.stderrText) ?? 0) >= 3, "scans ran while it was held: \(plugin.stderrText)")
    }

    // MARK: - Unseen

    @Test func aProgramNoRecordAnnouncedIsUnseen() throws {
        let plugin = Self.startPlugin()
        let pin = Self.pin("unseen")
        defer { unlink(pin) }
        // As if audit were disabled: the plugin never gets its LOAD.
        let (id, _) = try Self.loadPinned(pin, name: "rc_unseen")
        #expect(plugin.waitFor(seconds: Self.unseenWithinSeconds) { !Self.alerts($0, about: id).isEmpty }, "\(plugin.stderrText)")
        let alerts = Self.alerts(plugin, about: id)
        #expect(alerts.count == 1)
        let unseen = try #require(alerts.first)
        #expect(unseen["alert"] == "unannounced")
        #expect(unseen["priority"] == "crit")
        #expect(unseen["op"] == "UNSEEN")
        #expect(unseen["identity"] == "kernel")
        #expect(unseen["created-by-uid"] == "0")
        #expect(unseen["prog-name"] == "rc_unseen")
        #expect(unseen["exe"] == "?", "its loader is unknown")
        #expect(unseen["event"]?.hasSuffix(":0") == true, "no audit event: serial 0")
        usleep(2_000_000)
        plugin.pump(milliseconds: 100)
        #expect(Self.alerts(plugin, about: id).count == 1, "reported once")
        plugin.closeStdin()
        plugin.wait()
    }

    @Test func aRestartDoesNotLaunderAProgramLoadedWhileThePluginWasDown() throws {
        let state = scratchKnownPrograms()
        let before = Self.pin("before_first_start")
        let gap = Self.pin("gap")
        defer { unlink(before); unlink(gap) }
        let (beforeID, _) = try Self.loadPinned(before, name: "rc_before")

        let first = Self.startPlugin(knownPrograms: state)
        #expect(first.stderrText.contains("(first start)"))
        // The state is written after each scan: wait until it lists the program, then kill.
        #expect(first.waitFor(seconds: 10) { _ in
            ((try? readFile(state[1])).map { String(decoding: $0, as: UTF8.self) } ?? "").contains("\n\(beforeID) ")
        }, "the known-programs file lists the program loaded before the first start")
        first.signal(SIGKILL)
        first.wait()

        let (gapID, _) = try Self.loadPinned(gap, name: "rc_gap")
        let second = Self.startPlugin(knownPrograms: state)
        #expect(second.stderrText.contains("loaded since it stopped"), "\(second.stderrText)")
        #expect(second.waitFor(seconds: Self.unseenWithinSeconds) { !Self.alerts($0, about: gapID).isEmpty }, "\(second.stderrText)")
        #expect(Self.alerts(second, about: gapID).first?["alert"] == "unannounced")
        usleep(1_500_000)
        second.closeStdin()
        #expect(second.wait() == 0)
        #expect(Self.alerts(first, about: beforeID).isEmpty, "loaded before the plugin was first started: inventory, not unseen")
        #expect(Self.alerts(second, about: beforeID).isEmpty, "known to the previous run")

        // The clean exit wrote both as known: a third run reports neither.
        let text = String(decoding: try readFile(state[1]), as: UTF8.self)
        #expect(text.hasPrefix("audisp-bpfguard known programs 1\nboot_id = "))
        #expect(text.contains("\n\(beforeID) ") && text.contains("\n\(gapID) "))
    }

    @Test func aLoadRecordAfterARestartAnnouncesTheProgram() throws {
        // auditd hands a restarted plugin the record that revealed the old one's death.
        let state = scratchKnownPrograms()
        let first = Self.startPlugin(knownPrograms: state)
        first.closeStdin()
        #expect(first.wait() == 0)
        let pin = Self.pin("late_record")
        defer { unlink(pin) }
        let (id, pid) = try Self.loadPinned(pin, name: "rc_late")
        let second = Self.startPlugin(knownPrograms: state)
        second.write(Self.loadEvent(id, pid: pid, exe: BPFLoader.path!, comm: "bpfload", serial: 1))
        #expect(second.waitFor(seconds: 10) { Self.alerts($0, about: id).contains { $0["op"] == "PERSIST" } })
        usleep(UInt32(Self.unseenWithinSeconds * 1_000_000) / 2)
        second.closeStdin()
        second.wait()
        #expect(Self.alerts(second, about: id).map { $0["alert"] ?? "" } == ["loaded", "outlived"], "never unseen: \(second.stdoutText)")
        #expect((Self.counter("announced_late", in: second.stderrText) ?? 0) >= 1)
    }

    @Test func aDamagedStateFileIsReportedAndIgnored() throws {
        let state = scratchKnownPrograms()
        replaceFileCreating(state[1], with: "audisp-bpfguard known programs 1\nboot_id = nonsense\n")
        let pin = Self.pin("damaged")
        defer { unlink(pin) }
        let (id, _) = try Self.loadPinned(pin, name: "rc_damaged")
        let plugin = Self.startPlugin(knownPrograms: state)
        #expect(plugin.stderrText.contains("is damaged or not ours (line 2: expected 'boot_id = UUID'): ignored"), "\(plugin.stderrText)")
        usleep(UInt32(Self.unseenWithinSeconds * 1_000_000) / 2)
        plugin.closeStdin()
        #expect(plugin.wait() == 0)
        #expect(Self.alerts(plugin, about: id).isEmpty, "taken as inventory")
        let text = String(decoding: try readFile(state[1]), as: UTF8.self)
        #expect(text.contains("\n\(id) "), "replaced by a good file at exit")
    }
}

/// Creates or truncates a file with `content`.
private func replaceFileCreating(_ path: String, with content: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o640)
    precondition(fd >= 0)
    let bytes = Array(content.utf8)
    _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    close(fd)
}

/// A one-program BPF object file (a socket filter returning 0), built once with clang
/// `-target bpf` for `bpftool prog load`.
enum TinyBPFObject {
    static let source = """
    __attribute__((section("socket"), used)) int bpfguard_tiny(void *ctx) { return 0; }
    __attribute__((section("license"), used)) char _license[] = "GPL";
    """

    /// A clang that has the BPF target: the system's, or the Swift toolchain's.
    static let clang: String? = {
        var candidates = ["/usr/bin/clang"]
        if let path = getenv("PATH").map({ String(cString: $0) }) {
            candidates += path.split(separator: ":").map { "\($0)/clang" }
        }
        return candidates.first { access($0, X_OK) == 0 && ChildProcess.run([$0, "-print-targets"]).stdoutText.contains(" bpf ") }
    }()

    static let bpftool = "/usr/sbin/bpftool"

    /// Why the bpftool test cannot run here (printed as the reason it is skipped).
    static var unavailableReason: String? {
        if access(bpftool, X_OK) != 0 { return "\(bpftool) is not installed (apt-get install bpftool)" }
        if clang == nil { return "no clang with the BPF target to build the object bpftool loads" }
        if path == nil { return "building the BPF object failed" }
        return nil
    }

    static let path: String? = {
        guard let clang else { return nil }
        let file = temporaryFile(source, name: "tiny-bpf")
        let output = file + ".o"
        let build = ChildProcess.run([clang, "-O2", "-target", "bpf", "-x", "c", "-c", file, "-o", output])
        guard build.exitStatus == 0 else {
            print("building the BPF object failed: \(build.stderrText)")
            return nil
        }
        return output
    }()
}
