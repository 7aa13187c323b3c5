import Glibc
import Testing
@testable import audisp_bpfguard

/// The facts worker in plugin mode, after the plugin has dropped its privileges: it reads a
/// dpkg database and a package's file that only CAP_DAC_READ_SEARCH lets root read, the
/// alerts keep the input order, a database change is read again on the worker, and the
/// exit summary and the state report count it all. The database is a hand-made one,
/// bind-mounted over /var/lib/dpkg in a private mount namespace of the plugin's own.
@Suite(.serialized, .enabled(if: geteuid() == 0 && access("/usr/bin/unshare", X_OK) == 0,
                             "needs root and unshare: a dpkg database bind-mounted over /var/lib/dpkg for the plugin alone"))
struct LoaderFactsWorkerPluginTests {
    static let policy = "fold_window = 0\nmax_alerts_per_minute = 0\nalert any op=load\n"
    static let nobody: uid_t = 65534

    /// A dpkg database in which package `bpfguard-worker` owns `TREE/private/tool` (a copy of
    /// /usr/bin/true with its real MD5); the file lists, the digests and the tool's directory
    /// belong to nobody with no access for others.
    final class PrivateDatabase {
        let tree = TestTree("facts-worker")
        var tool: String { tree.path + "/private/tool" }
        var database: String { tree.path + "/dpkg" }

        init() throws {
            tree.write("private/tool", try readFile("/usr/bin/true"), mode: 0o500)
            tree.write("dpkg/status", "Package: bpfguard-worker\nStatus: install ok installed\nArchitecture: all\n")
            tree.write("dpkg/diversions", "")
            tree.write("dpkg/info/bpfguard-worker.list", "/.\n\(tree.path)\n\(tree.path)/private\n\(tool)\n", mode: 0o600)
            writeDigest(of: "/usr/bin/true")
            for path in [tool, tree.path + "/private", database + "/info", database + "/info/bpfguard-worker.list"] {
                chown(path, LoaderFactsWorkerPluginTests.nobody, LoaderFactsWorkerPluginTests.nobody)
            }
            chmod(tree.path + "/private", 0o700)
            chmod(database + "/info", 0o700)
        }

        /// The package's recorded digest: that of `file`.
        func writeDigest(of file: String) {
            let path = tree.write("dpkg/info/bpfguard-worker.md5sums", "\(digestText("md5sum", file))  \(tool.dropFirst())\n", mode: 0o600)
            chown(path, LoaderFactsWorkerPluginTests.nobody, LoaderFactsWorkerPluginTests.nobody)
        }
    }

    static func event(_ serial: Int, exe: String, node: String? = nil) -> String {
        // The pid runs nothing: the facts come from the path.
        LoaderFactsPluginTests.loadEvent(UInt32(4_000_000_000 + serial), serial: serial, pid: 4_000_000, comm: "tool", exe: exe,
                                         arguments: [exe], node: node)
    }

    @Test func theWorkerReadsWhatOnlyItsCapabilitiesAllowAndCountsItsWork() throws {
        let database = try PrivateDatabase()
        let stateFile = temporaryFile("", name: "state")
        let plugin = ChildProcess(["/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
                                   #"/bin/mount --bind "$0" /var/lib/dpkg && exec "$@""#, database.database,
                                   Paths.plugin, "--policy", temporaryFile(Self.policy), "--output", "stdout", "--state-file", stateFile]
                                  + scratchKnownPrograms())
        #expect(plugin.waitFor(seconds: 10) { $0.stderrText.contains("started") }, "\(plugin.stderrText)")
        #expect(plugin.stderrText.contains("package databases: dpkg (1 packages"), "\(plugin.stderrText)")

        let other = database.tree.write("elsewhere/other", try readFile("/usr/bin/true"), mode: 0o755)
        plugin.write(Self.event(1, exe: database.tool) + Self.event(2, exe: database.tool, node: "remote") + Self.event(3, exe: other)
                     + Self.event(4, exe: database.tool))
        #expect(plugin.waitFor(seconds: 10) { $0.alerts.count == 4 })
        // An upgrade records other bytes for the tool: dpkg rewrites its digests and status.
        database.writeDigest(of: "/usr/bin/false")
        database.tree.write("dpkg/status", "Package: bpfguard-worker\nStatus: install ok installed\nArchitecture: all\nVersion: 2\n")
        plugin.write(Self.event(5, exe: database.tool))
        #expect(plugin.waitFor(seconds: 10) { $0.alerts.count == 5 })
        let report = try plugin.stateReport(at: stateFile)
        plugin.closeStdin()
        #expect(plugin.wait() == 0)

        let alerts = plugin.alerts
        #expect(alerts.map { $0["prog-id"] ?? "" } == (1...5).map { String(4_000_000_000 + $0) }, "input order")
        #expect(alerts.map { $0["exe-package"] ?? "" } == ["bpfguard-worker", "?", "none", "bpfguard-worker", "bpfguard-worker"])
        #expect(alerts.map { $0["exe-trusted"] ?? "" } == ["yes", "?", "none", "yes", "no"],
                "the digests read by the worker with the plugin's remaining capabilities, then again after the change")
        let summary = plugin.stderrText
        // Three files to judge (the tool, the other file, the tool after the change), each
        // hashed once and asked once.
        for (name, value) in [("loader_facts", 4), ("files_hashed", 2), ("facts_requests", 3), ("facts_timeouts", 0), ("facts_shed", 0),
                              ("facts_index_rebuilds", 1)] {
            #expect(LoaderRecoveryTests.counter(name, in: summary) == value, "\(name) in \(summary)")
            #expect(report.contains("\n\(name) = \(value)\n"), "\(name) in the state report: \(report)")
        }
        // The second LOAD of the tool shared the first one's question, or came after its
        // verdict and found it cached: every local LOAD is one or the other.
        let hits = try #require(LoaderRecoveryTests.counter("trust_cache_hits", in: summary))
        let waits = try #require(LoaderRecoveryTests.counter("facts_waits", in: summary))
        #expect(hits + waits == 4, "\(summary)")
        #expect(report.contains("\nfacts_waits = \(waits)\n"))
    }
}
