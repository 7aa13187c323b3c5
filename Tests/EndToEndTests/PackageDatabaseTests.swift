import Glibc
import Testing
import BPFGuardCore
@testable import audisp_bpfguard

/// The package databases as the plugin reads them: dpkg from a tree made of the real
/// fixture files and from this machine's /var/lib/dpkg, rpm (through librpm, opened at run
/// time) from a database built here with rpmbuild and `rpm --root`.
@Suite struct PackageDatabaseTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// A root with /var/lib/dpkg made of Tests/Fixtures/dpkg and, when `merged`, /bin and
    /// /sbin links to usr/bin and usr/sbin.
    static func fixtureRoot(merged: Bool) throws -> TestTree {
        let tree = TestTree("dpkg-root")
        for name in ["status", "diversions"] {
            tree.write("var/lib/dpkg/" + name, try readFile(Paths.fixture("dpkg/" + name)))
        }
        for package in ["bpftool", "dash", "iproute2", "libbpf-tools", "libc6:amd64", "libpq-dev", "postgresql-common"] {
            for suffix in ["list", "md5sums"] {
                tree.write("var/lib/dpkg/info/\(package).\(suffix)", try readFile(Paths.fixture("dpkg/info/\(package).\(suffix)")))
            }
        }
        if merged {
            tree.makeDirectories(tree.path + "/usr/bin")
            tree.link("bin", to: "usr/bin")
            tree.link("sbin", to: "usr/sbin")
        }
        return tree
    }

    @Test func dpkgFixtureTree() throws {
        let tree = try Self.fixtureRoot(merged: true)
        let database = try #require(DpkgDatabase(root: tree.path))
        #expect(database.lookup(Self.bytes("/usr/bin/ip")) == .owned(package: "iproute2", digests: [
            RecordedDigest(algorithm: .md5, bytes: HexDigits.bytes(Array("3b7f2ca18247c3b2ecba344246fb3a85".utf8))!),
        ]))
        #expect(database.lookup(Self.bytes("/usr/bin/pg_config.libpq-dev")) == .owned(package: "libpq-dev", digests: [
            RecordedDigest(algorithm: .md5, bytes: HexDigits.bytes(Array("fc44e4e3d2057bcbe0a408fa6c669935".utf8))!),
        ]))
        #expect(database.lookup(Self.bytes("/usr/local/bin/ip")) == .notOwned)
        #expect(database.indexBuilds == 1, "the index is built once")
        #expect(database.pathIndex?.count ?? 0 > 500)

        let unmerged = try Self.fixtureRoot(merged: false)
        #expect(DpkgDatabase(root: unmerged.path)?.lookup(Self.bytes("/usr/bin/ip")) == .notOwned,
                "without the /bin link, /usr/bin/ip is not dpkg's /bin/ip")
        #expect(DpkgDatabase(root: TestTree("empty").path) == nil, "no status file: no dpkg database")
    }

    @Test func dpkgNoticesChanges() throws {
        let tree = try Self.fixtureRoot(merged: true)
        let database = try #require(DpkgDatabase(root: tree.path))
        let before = database.stamps()
        #expect(database.lookup(Self.bytes("/usr/sbin/bpftool")) != .notOwned)
        // A package appears: dpkg writes its list and rewrites the status file.
        tree.write("var/lib/dpkg/info/bpfguard-extra.list", "/usr/bin/bpfguard-extra\n")
        let status = try readFile(tree.path + "/var/lib/dpkg/status")
        tree.write("var/lib/dpkg/status", status + Self.bytes("\nPackage: bpfguard-extra\nStatus: install ok installed\nArchitecture: all\n"))
        #expect(database.stamps() != before)
        #expect(database.lookup(Self.bytes("/usr/bin/bpfguard-extra")) == .notOwned, "not before the database is forgotten")
        database.forget()
        #expect(database.lookup(Self.bytes("/usr/bin/bpfguard-extra")) == .owned(package: "bpfguard-extra", digests: []))
        #expect(database.indexBuilds == 2)
    }

    static let hasLiveDatabase = access("/var/lib/dpkg/status", R_OK) == 0

    @Test(.enabled(if: hasLiveDatabase, "no dpkg database on this machine"))
    func dpkgOfThisMachine() throws {
        let database = try #require(DpkgDatabase())
        for path in ["/usr/sbin/runqlat", "/usr/bin/ls", "/usr/sbin/bpftool", "/usr/bin/ip"] where access(path, F_OK) == 0 {
            guard case .owned(let package, let digests) = database.lookup(Self.bytes(path)) else {
                Issue.record("\(path) has no owner")
                continue
            }
            let query = ChildProcess.run(["/usr/bin/dpkg-query", "-S", path]).stdoutText + ChildProcess.run(["/usr/bin/dpkg-query", "-S", String(path.dropFirst(4))]).stdoutText
            #expect(query.contains(package + ":") || query.contains(package + ", "), "\(path): \(package) vs \(query)")
            #expect(digests.map { HexDigits.text($0.bytes) } == [digestText("md5sum", path)], "\(path)")
        }
        #expect(database.lookup(Self.bytes("/usr/local/bin/nothing-here")) == .notOwned)
        let index = try #require(database.pathIndex)
        print("dpkg index of this machine: \(index.packageNames.count) packages, \(index.count) paths, ~\(index.approximateBytes / 1024) KiB, built in \(database.indexBuildMilliseconds) ms")
        #expect(index.packageNames.count > 100)
    }

    // MARK: - rpm

    static let rpmTools: String? = {
        let missing = ["/usr/bin/rpm", "/usr/bin/rpmbuild"].filter { (tool: String) in access(tool, X_OK) != 0 }
        if !missing.isEmpty { return "missing \(missing.joined(separator: ", ")) (apt-get install rpm)" }
        if RPMLibrary.open() == nil { return "no librpm (\(RPMLibrary.sonames.joined(separator: ", ")))" }
        return nil
    }()

    /// Builds a package holding a copy of /usr/bin/true at `/usr/bin/NAME`, with file
    /// digests in `algorithm` (rpm's number), and installs it into an rpm database under
    /// `root` (`/var/lib/rpm`). Returns the package file.
    static func installTestPackage(_ name: String, algorithm: Int, into root: TestTree, build: TestTree) throws -> String {
        build.write("SPECS/\(name).spec", """
        Name: \(name)
        Version: 1.0
        Release: 1
        Summary: audisp-bpfguard test package
        License: MIT
        %description
        A copy of /usr/bin/true, looked up in an rpm database by the tests.
        %install
        mkdir -p %{buildroot}/usr/bin
        cp /usr/bin/true %{buildroot}/usr/bin/\(name)
        %files
        /usr/bin/\(name)

        """)
        let built = ChildProcess.run(["/usr/bin/rpmbuild", "--define", "_topdir \(build.path)", "--define", "debug_package %{nil}",
                                      "--define", "__os_install_post %{nil}", "--define", "_build_id_links none", "--define", "_binary_filedigest_algorithm \(algorithm)",
                                      "-bb", build.path + "/SPECS/\(name).spec"])
        try #require(built.exitStatus == 0, "rpmbuild: \(built.stderrText)")
        let package = build.path + "/RPMS/\(ChildProcess.run(["/usr/bin/uname", "-m"]).stdoutText.prefix { $0 != "\n" })/\(name)-1.0-1.\(ChildProcess.run(["/usr/bin/uname", "-m"]).stdoutText.prefix { $0 != "\n" }).rpm"
        let installed = ChildProcess.run(["/usr/bin/rpm", "--root", root.path, "--dbpath", "/var/lib/rpm", "-i", "--nodeps", "--noscripts", package])
        try #require(installed.exitStatus == 0, "rpm -i: \(installed.stderrText)")
        return package
    }

    @Test(.enabled(if: rpmTools == nil, "\(rpmTools ?? "")"))
    func rpmDatabaseBuiltHere() throws {
        let root = TestTree("rpm-root"), build = TestTree("rpm-build")
        _ = ChildProcess.run(["/usr/bin/rpm", "--root", root.path, "--dbpath", "/var/lib/rpm", "--initdb"])
        try Self.installTestPackage("bpfguard-sha256", algorithm: 8, into: root, build: build)
        try Self.installTestPackage("bpfguard-md5", algorithm: 1, into: root, build: build)
        let database = try #require(RPMDatabase(root: root.path, databaseDirectory: "/var/lib/rpm"))
        #expect(RPMLibrary.sonames.contains(database.library.soname))

        let sha = database.lookup(Self.bytes("/usr/bin/bpfguard-sha256"))
        #expect(sha == .owned(package: "bpfguard-sha256", digests: [
            RecordedDigest(algorithm: .sha256, bytes: HexDigits.bytes(Array(digestText("sha256sum", "/usr/bin/true").utf8))!),
        ]))
        let md5 = database.lookup(Self.bytes("/usr/bin/bpfguard-md5"))
        #expect(md5 == .owned(package: "bpfguard-md5", digests: [
            RecordedDigest(algorithm: .md5, bytes: HexDigits.bytes(Array(digestText("md5sum", "/usr/bin/true").utf8))!),
        ]))
        #expect(database.lookup(Self.bytes("/usr/bin/true")) == .notOwned)
        #expect(database.lookup(Self.bytes("/usr/bin")) == .notOwned, "directories are not in the file index")

        // The installed file against the recorded digests, then altered.
        var counters = VerdictCounters()
        guard case .owned(_, let digests) = sha else { return }
        let installed = try #require(ExecutableFile(path: root.path + "/usr/bin/bpfguard-sha256", followLink: false))
        #expect(installed.check(against: digests, limit: 1 << 30, counters: &counters) == .match)
        #expect(installed.check(against: digests, limit: 100, counters: &counters) == .unavailable, "too large to hash")
        #expect(counters.tooLarge == 1)
        let fd = open(root.path + "/usr/bin/bpfguard-sha256", O_WRONLY | O_APPEND)
        _ = Glibc.write(fd, "x", 1)
        Glibc.close(fd)
        let altered = try #require(ExecutableFile(path: root.path + "/usr/bin/bpfguard-sha256", followLink: false))
        #expect(altered.check(against: digests, limit: 1 << 30, counters: &counters) == .mismatch)
        #expect(altered.stamp != installed.stamp, "the trust cache key changes with the file")

        // A change of the database (another package) changes its stamps.
        let before = database.stamps()
        let other = TestTree("rpm-build2")
        try Self.installTestPackage("bpfguard-later", algorithm: 8, into: root, build: other)
        #expect(database.stamps() != before)
        database.forget()
        if case .owned(let name, _) = database.lookup(Self.bytes("/usr/bin/bpfguard-later")) { #expect(name == "bpfguard-later") } else { Issue.record("not found after forget()") }
    }

    @Test(.enabled(if: rpmTools == nil, "\(rpmTools ?? "")"))
    func noRPMDatabaseMeansNoRPMLookups() {
        #expect(RPMDatabase(root: TestTree("no-rpm").path) == nil, "librpm is there but no database under this root")
    }
}
