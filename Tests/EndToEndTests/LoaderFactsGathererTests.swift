import Glibc
import Testing
import BPFGuardCore
@testable import audisp_bpfguard

/// The gatherer on real files and real processes of this machine: package-owned executables,
/// a copy outside any package, a packaged file altered, a deleted one, a loader in a chroot
/// and one in a private mount namespace, a reused pid.
@Suite(.serialized, .enabled(if: geteuid() == 0, "not root: reading other processes' /proc entries and chroot need root"))
struct LoaderFactsGathererTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// A dpkg database (hand-made, in a scratch tree) in which package `bpfguard-tool` owns
    /// `TREE/opt/tool`, a copy of /usr/bin/sleep, with its real MD5.
    final class FakePackage {
        let tree = TestTree("trust")
        var tool: String { tree.path + "/opt/tool" }

        init() throws {
            tree.write("opt/tool", try readFile("/usr/bin/sleep"), mode: 0o755)
            tree.write("var/lib/dpkg/status", "Package: bpfguard-tool\nStatus: install ok installed\nArchitecture: all\n")
            tree.write("var/lib/dpkg/diversions", "")
            tree.write("var/lib/dpkg/info/bpfguard-tool.list", "/.\n\(tree.path)\n\(tree.path)/opt\n\(tool)\n")
            tree.write("var/lib/dpkg/info/bpfguard-tool.md5sums", "\(digestText("md5sum", tool))  \(tool.dropFirst())\n")
        }

        func database() throws -> DpkgDatabase {
            try #require(DpkgDatabase(root: "", administrativeDirectory: tree.path + "/var/lib/dpkg"))
        }
    }

    @Test func packagedAlteredAndReplacedFiles() throws {
        let package = try FakePackage()
        let gatherer = LoaderFactsGatherer(databases: [try package.database()], inspectsProcesses: false)
        let exe = Self.bytes(package.tool)
        #expect(gatherer.gather(exe: exe, pid: nil) == LoaderFacts(package: .named("bpfguard-tool"), trust: .yes, container: .unknown))
        #expect(gatherer.gather(exe: exe, pid: nil).trust == .yes)
        #expect(gatherer.counters.cacheHits == 1, "the second gather is answered from the cache")
        #expect(gatherer.counters.filesHashed == 1)

        // Other bytes at the packaged path: the file's stamp changes, so does the verdict.
        package.tree.write("opt/tool", try readFile("/usr/bin/true"), mode: 0o755)
        #expect(gatherer.gather(exe: exe, pid: nil).trust == .no)
        #expect(gatherer.counters.filesHashed == 2)

        // A symbolic link in the packaged file's place is not followed.
        unlink(package.tool)
        package.tree.link("opt/tool", to: "/usr/bin/sleep")
        #expect(gatherer.gather(exe: exe, pid: nil) == LoaderFacts(package: .named("bpfguard-tool"), trust: .unknown, container: .unknown))

        // Outside any package; deleted.
        #expect(gatherer.gather(exe: Self.bytes(package.tree.path + "/opt/other"), pid: nil).package == LoaderFacts.Package.none)
        #expect(gatherer.gather(exe: exe + LoaderTrustRules.deletedSuffix, pid: nil)
                == LoaderFacts(package: .named("bpfguard-tool"), trust: .deleted, container: .unknown))
        #expect(gatherer.gather(exe: nil, pid: nil) == .unknown)
        #expect(gatherer.gather(exe: LoaderTrustRules.tooLongExe, pid: nil) == .unknown)
    }

    @Test func theDatabaseChangingEmptiesTheCache() throws {
        let package = try FakePackage()
        let gatherer = LoaderFactsGatherer(databases: [try package.database()], inspectsProcesses: false)
        let exe = Self.bytes(package.tool)
        #expect(gatherer.gather(exe: exe, pid: nil).trust == .yes)
        // The package is upgraded: its md5sums now say other bytes, and dpkg rewrites status.
        package.tree.write("var/lib/dpkg/info/bpfguard-tool.md5sums", "\(digestText("md5sum", "/usr/bin/true"))  \(package.tool.dropFirst())\n")
        package.tree.write("var/lib/dpkg/status", "Package: bpfguard-tool\nStatus: install ok installed\nArchitecture: all\nVersion: 2\n")
        #expect(gatherer.gather(exe: exe, pid: nil).trust == .no)
        #expect(gatherer.counters.databaseChanges == 1)
    }

    @Test func sizeLimit() throws {
        let package = try FakePackage()
        let gatherer = LoaderFactsGatherer(databases: [try package.database()], inspectsProcesses: false, maximumHashedBytes: 1000)
        #expect(gatherer.gather(exe: Self.bytes(package.tool), pid: nil) == LoaderFacts(package: .named("bpfguard-tool"), trust: .unknown, container: .unknown))
        #expect(gatherer.counters.tooLarge == 1)
    }

    static let hasDpkg = access("/var/lib/dpkg/status", R_OK) == 0

    /// Live processes: the host's own, then one in a chroot and one in a private mount
    /// namespace, all showing a packaged path.
    @Test(.enabled(if: hasDpkg, "no dpkg database on this machine"))
    func liveProcesses() throws {
        let gatherer = LoaderFactsGatherer(databases: LoaderFactsGatherer.hostDatabases(), inspectsProcesses: true)
        let sleeper = ChildProcess(["/usr/bin/sleep", "30"])
        let pid = UInt32(sleeper.pid)
        try #require(Self.waitForExecutable(pid, "/usr/bin/sleep"))
        #expect(gatherer.gather(exe: Self.bytes("/usr/bin/sleep"), pid: pid) == LoaderFacts(package: .named("coreutils"), trust: .yes, container: .no))
        // A record whose pid now runs another program: the pid was reused. The path decides.
        #expect(gatherer.gather(exe: Self.bytes("/usr/bin/ls"), pid: pid) == LoaderFacts(package: .named("coreutils"), trust: .yes, container: .unknown))
        // The process is gone.
        sleeper.signal(SIGKILL)
        sleeper.wait()
        #expect(gatherer.gather(exe: Self.bytes("/usr/bin/sleep"), pid: pid).container == .unknown)

        // A private mount namespace: same root, own mounts (it could bind other bytes over
        // the path): never trusted, and not known to be a container.
        let unshared = ChildProcess(["/usr/bin/unshare", "--mount", "--propagation", "private", "/usr/bin/sleep", "30"])
        try #require(Self.waitForExecutable(UInt32(unshared.pid), "/usr/bin/sleep") || Self.child(of: unshared.pid).map { Self.waitForExecutable($0, "/usr/bin/sleep") } == true,
                     "unshare ran sleep")
        let inner = try #require(Self.child(of: unshared.pid))
        #expect(gatherer.gather(exe: Self.bytes("/usr/bin/sleep"), pid: inner) == LoaderFacts(package: .unknown, trust: .unknown, container: .unknown))
    }

    @Test(.enabled(if: BPFLoader.compiler != nil, "no C compiler for the static test program"))
    func aLoaderInAChrootIsAContainer() throws {
        // A static program placed in a chroot as /usr/sbin/bpftool: the kernel would record
        // exe=/usr/sbin/bpftool (relative to the chroot) for other bytes than the package's.
        let tree = TestTree("chroot")
        let source = tree.write("sleeper.c", "#include <unistd.h>\nint main(void) { sleep(30); return 0; }\n")
        tree.makeDirectories(tree.path + "/root/usr/sbin")
        let built = ChildProcess.run([BPFLoader.compiler!, "-static", "-O2", "-o", tree.path + "/root/usr/sbin/bpftool", source])
        try #require(built.exitStatus == 0, "static build: \(built.stderrText)")
        let jailed = ChildProcess(["/usr/sbin/chroot", tree.path + "/root", "/usr/sbin/bpftool"])
        defer { jailed.signal(SIGKILL); jailed.wait() }
        try #require(Self.waitForExecutable(UInt32(jailed.pid), tree.path + "/root/usr/sbin/bpftool"), "chroot ran the program")
        let gatherer = LoaderFactsGatherer(databases: LoaderFactsGatherer.hostDatabases(), inspectsProcesses: true)
        let facts = gatherer.gather(exe: Self.bytes("/usr/sbin/bpftool"), pid: UInt32(jailed.pid))
        #expect(facts == LoaderFacts(package: .unknown, trust: .unknown, container: .yes))
        #expect(gatherer.counters.filesHashed == 0, "nothing of the host is read for it")
    }

    @Test func aDeletedExecutableOfALiveProcess() throws {
        let tree = TestTree("deleted")
        let copy = tree.write("sleep-copy", try readFile("/usr/bin/sleep"), mode: 0o755)
        let running = ChildProcess([copy, "30"])
        defer { running.signal(SIGKILL); running.wait() }
        try #require(Self.waitForExecutable(UInt32(running.pid), copy))
        unlink(copy)
        let gatherer = LoaderFactsGatherer(databases: LoaderFactsGatherer.hostDatabases(), inspectsProcesses: true)
        // The record was written before the unlink (plain path) or after it (with the suffix).
        for exe in [copy, copy + " (deleted)"] {
            let facts = gatherer.gather(exe: Self.bytes(exe), pid: UInt32(running.pid))
            #expect(facts.trust == .deleted, "\(exe)")
            #expect(facts.container == .no)
        }
    }

    /// Waits (at most 10 s) until process `pid` runs `path` (it has exec'd it).
    static func waitForExecutable(_ pid: UInt32, _ path: String) -> Bool {
        let deadline = ChildProcess.now() + 10
        while ChildProcess.now() < deadline {
            if LoaderInspector.link("/proc/\(pid)/exe") == Array(path.utf8) { return true }
            usleep(20_000)
        }
        return false
    }

    /// The first child of `pid` (unshare forks or execs its command).
    static func child(of pid: pid_t) -> UInt32? {
        guard let children = try? readFile("/proc/\(pid)/task/\(pid)/children") else { return nil }
        let text = String(decoding: children, as: UTF8.self)
        if let first = text.split(separator: " ").first, let child = UInt32(first) { return child }
        // unshare without --fork execs the command in place.
        return UInt32(pid)
    }
}
