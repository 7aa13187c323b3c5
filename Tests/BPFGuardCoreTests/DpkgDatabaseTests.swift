import Testing
@testable import BPFGuardCore

/// dpkg's database files, parsed from real copies (Tests/Fixtures/dpkg, taken from this
/// machine) and from the live /var/lib/dpkg when there is one.
@Suite struct DpkgDatabaseTests {
    static func fixture(_ name: String) throws -> [UInt8] {
        try #require(TestFiles.read(TestFiles.fixture("dpkg/" + name)), "fixture dpkg/\(name)")
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    static let liveDatabase = "/var/lib/dpkg"
    static let hasLiveDatabase = TestFiles.exists(liveDatabase + "/status")

    @Test func listLeavesDropDirectoriesWithContents() throws {
        let list = try Self.fixture("info/libbpf-tools.list")
        let leaves = DpkgFileList.leafPaths(in: list).map { String(decoding: $0, as: UTF8.self) }
        #expect(leaves.contains("/usr/sbin/runqlat"))
        #expect(leaves.contains("/usr/sbin/runqlat.bt") || leaves.contains("/usr/share/doc/libbpf-tools/copyright"))
        #expect(!leaves.contains("/usr/sbin"), "a directory with contents is not a leaf")
        #expect(!leaves.contains("/usr"))
        #expect(!leaves.contains("/."))
        #expect(DpkgFileList.contains(Self.bytes("/usr/sbin"), in: list), "but it is a line of the list")
        #expect(!DpkgFileList.contains(Self.bytes("/usr/sbin/runqla"), in: list), "whole lines only")
        // Every md5sums entry (a regular file) is a leaf.
        let sums = String(decoding: try Self.fixture("info/libbpf-tools.md5sums"), as: UTF8.self)
        for line in sums.split(separator: "\n") {
            #expect(leaves.contains("/" + line.dropFirst(34)), "\(line)")
        }
    }

    @Test func emptyDirectoriesAndTheLastLineAreLeaves() {
        let list = Self.bytes("/.\n/etc\n/etc/empty.d\n/usr\n/usr/bin\n/usr/bin/tool\n/usr/bin/tool2")
        let leaves = DpkgFileList.leafPaths(in: list).map { String(decoding: $0, as: UTF8.self) }
        #expect(leaves == ["/etc/empty.d", "/usr/bin/tool", "/usr/bin/tool2"])
        #expect(DpkgFileList.leafPaths(in: []).isEmpty)
        #expect(DpkgFileList.leafPaths(in: Self.bytes("/a/b\n/a/bc\n")).map { String(decoding: $0, as: UTF8.self) } == ["/a/b", "/a/bc"],
                "a sibling with a longer name is not a child")
    }

    @Test func md5sumsDigestOfAnAbsolutePath() throws {
        let sums = try Self.fixture("info/iproute2.md5sums")
        #expect(DpkgMD5Sums.digest(of: Self.bytes("/bin/ip"), in: sums).map(HexDigits.text) == "3b7f2ca18247c3b2ecba344246fb3a85")
        #expect(DpkgMD5Sums.digest(of: Self.bytes("/sbin/tc"), in: sums).map(HexDigits.text) == "11f414247729c45e52fb0a9489b46da8")
        #expect(DpkgMD5Sums.digest(of: Self.bytes("/usr/bin/ip"), in: sums) == nil, "recorded as /bin/ip")
        #expect(DpkgMD5Sums.digest(of: Self.bytes("bin/ip"), in: sums) == nil, "paths are absolute")
        #expect(DpkgMD5Sums.digest(of: Self.bytes("/bin/i"), in: sums) == nil)
        let odd = Self.bytes("0123456789abcdef0123456789abcdef *usr/bin/x\nshort\nzz23456789abcdef0123456789abcdef  usr/bin/y\n")
        #expect(DpkgMD5Sums.digest(of: Self.bytes("/usr/bin/x"), in: odd)?.count == 16, "binary-mode marker")
        #expect(DpkgMD5Sums.digest(of: Self.bytes("/usr/bin/y"), in: odd) == nil, "not hex")
    }

    @Test func diversionsOfThisMachine() throws {
        let diversions = DpkgDiversions(parsing: try Self.fixture("diversions"))
        #expect(diversions.diversions.count == 8)
        let pgConfig = try #require(diversions.diversion(from: Self.bytes("/usr/bin/pg_config")))
        #expect(pgConfig.to == Self.bytes("/usr/bin/pg_config.libpq-dev"))
        #expect(pgConfig.package == "postgresql-common")
        #expect(diversions.diversion(to: Self.bytes("/usr/bin/pg_config.libpq-dev")) == pgConfig)
        #expect(diversions.diversion(from: Self.bytes("/bin/sh"))?.package == "dash")
        #expect(diversions.diversion(from: Self.bytes("/usr/bin/ip")) == nil)
        let local = DpkgDiversions(parsing: Self.bytes("/usr/bin/a\n/usr/bin/a.orig\n:\n/usr/bin/b\n/usr/bin/b.x\n"))
        #expect(local.diversions.count == 1, "an incomplete diversion is ignored")
        #expect(local.diversion(from: Self.bytes("/usr/bin/a"))?.package == nil, "':' is a local diversion")
    }

    @Test func statusNamesThePackagesWithFiles() throws {
        let names = DpkgStatus.packagesWithFiles(in: try Self.fixture("status"))
        #expect(names.isSuperset(of: ["bpftool", "dash", "iproute2", "libbpf-tools", "libc6", "libc6:amd64", "libpq-dev", "postgresql-common"]))
        #expect(!names.contains("dash:amd64"), "only Multi-Arch: same packages have qualified info files")
        // Hand-made: a package removed but not purged, one never installed, one half-configured.
        let text = """
        Package: gone
        Status: deinstall ok config-files
        Architecture: amd64

        Package: never
        Status: purge ok not-installed

        Package: halfway
        Status: install reinstreq half-configured
        Architecture: amd64
        Description: a line
         continued: with a colon
        """
        #expect(DpkgStatus.packagesWithFiles(in: Self.bytes(text)) == ["halfway"])
    }

    @Test func usrMergeSpellings() {
        let merged = PathSpellings(mergedDirectories: ["/bin", "/sbin"])
        #expect(merged.spellings(of: Self.bytes("/usr/bin/ip")) == [Self.bytes("/usr/bin/ip"), Self.bytes("/bin/ip")])
        #expect(merged.spellings(of: Self.bytes("/bin/ip")) == [Self.bytes("/bin/ip"), Self.bytes("/usr/bin/ip")])
        #expect(merged.spellings(of: Self.bytes("/usr/binx/ip")) == [Self.bytes("/usr/binx/ip")])
        #expect(merged.spellings(of: Self.bytes("/usr/lib/x")) == [Self.bytes("/usr/lib/x")], "/lib is not merged here")
        #expect(PathSpellings(mergedDirectories: []).spellings(of: Self.bytes("/usr/bin/ip")) == [Self.bytes("/usr/bin/ip")])
    }

    /// The fixture database: its lists in an index, confirmed against the lists themselves.
    struct FixtureDatabase {
        var index = PackagePathIndex()
        var lists: [String: [UInt8]] = [:]
        var diversions: DpkgDiversions

        init() throws {
            for name in ["bpftool", "dash", "iproute2", "libbpf-tools", "libc6:amd64", "libpq-dev", "postgresql-common"] {
                let list = try DpkgDatabaseTests.fixture("info/\(name).list")
                lists[name] = list
                index.add(package: name, paths: DpkgFileList.leafPaths(in: list))
            }
            index.finish()
            diversions = DpkgDiversions(parsing: try DpkgDatabaseTests.fixture("diversions"))
        }

        func owner(_ path: String, merged: [String] = ["/bin", "/sbin", "/lib", "/lib64"]) -> DpkgOwnership.Owner? {
            DpkgOwnership.owner(of: Array(path.utf8), spellings: PathSpellings(mergedDirectories: merged), diversions: diversions,
                                candidates: { index.candidates(for: $0) },
                                lists: { DpkgFileList.contains($1, in: lists[$0] ?? []) })
        }
    }

    @Test func ownersWithTheUsrMergeAndDiversions() throws {
        let database = try FixtureDatabase()
        let ip = try #require(database.owner("/usr/bin/ip"))
        #expect(ip.packageName == "iproute2")
        #expect(ip.recordedPath == Self.bytes("/bin/ip"), "dpkg recorded the unmerged name")
        #expect(database.owner("/usr/bin/ip", merged: []) == nil, "the other spelling only where /bin is a link")
        #expect(database.owner("/usr/sbin/tc")?.recordedPath == Self.bytes("/sbin/tc"))
        #expect(database.owner("/usr/sbin/runqlat")?.packageName == "libbpf-tools")
        #expect(database.owner("/usr/sbin/bpftool")?.packageName == "bpftool")
        // postgresql-common diverts libpq-dev's pg_config to pg_config.libpq-dev.
        let diverter = try #require(database.owner("/usr/bin/pg_config"))
        #expect(diverter.infoName == "postgresql-common")
        let diverted = try #require(database.owner("/usr/bin/pg_config.libpq-dev"))
        #expect(diverted.infoName == "libpq-dev")
        #expect(diverted.recordedPath == Self.bytes("/usr/bin/pg_config"), "its md5sums line has the original name")
        // A Multi-Arch: same package: the name without its architecture.
        let loader = try #require(database.owner("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"))
        #expect(loader.infoName == "libc6:amd64")
        #expect(loader.packageName == "libc6")
        #expect(database.owner("/usr/local/bin/bpftool") == nil)
        #expect(database.owner("/usr/sbin") == nil, "a directory is nobody's executable")
        #expect(database.owner("/tmp/usr/sbin/runqlat") == nil)
    }

    @Test func localDiversionsAndDivertedFilesOfOtherPackages() throws {
        var index = PackagePathIndex()
        let lists = ["tool": Self.bytes("/usr/bin/t\n"), "wrapper": Self.bytes("/usr/bin/w\n")]
        for (name, list) in lists { index.add(package: name, paths: DpkgFileList.leafPaths(in: list)) }
        index.finish()
        func owner(_ path: String, _ diversions: String) -> String? {
            DpkgOwnership.owner(of: Self.bytes(path), spellings: PathSpellings(mergedDirectories: []),
                                diversions: DpkgDiversions(parsing: Self.bytes(diversions)),
                                candidates: { index.candidates(for: $0) },
                                lists: { DpkgFileList.contains($1, in: lists[$0] ?? []) })?.infoName
        }
        // Hand-made: the administrator diverted tool's /usr/bin/t away.
        #expect(owner("/usr/bin/t", "/usr/bin/t\n/usr/bin/t.dist\n:\n") == nil, "the file at a locally diverted path is the admin's")
        #expect(owner("/usr/bin/t.dist", "/usr/bin/t\n/usr/bin/t.dist\n:\n") == "tool")
        // A package diverts a file it does not ship.
        #expect(owner("/usr/bin/t", "/usr/bin/t\n/usr/bin/t.real\nwrapper\n") == nil)
        #expect(owner("/usr/bin/t.real", "/usr/bin/t\n/usr/bin/t.real\nwrapper\n") == "tool")
    }

    @Test func indexCandidates() {
        var index = PackagePathIndex()
        index.add(package: "a", paths: [Self.bytes("/usr/bin/x")[...], Self.bytes("/usr/bin/shared")[...]])
        index.add(package: "b", paths: [Self.bytes("/usr/bin/y")[...], Self.bytes("/usr/bin/shared")[...]])
        index.finish()
        #expect(index.count == 4)
        #expect(index.candidates(for: Self.bytes("/usr/bin/x")) == ["a"])
        #expect(index.candidates(for: Self.bytes("/usr/bin/shared")) == ["a", "b"])
        #expect(index.candidates(for: Self.bytes("/usr/bin/z")).isEmpty)
        #expect(index.candidates(for: []).isEmpty)
        #expect(PackagePathIndex().candidates(for: Self.bytes("/x")).isEmpty)
    }

    /// The whole live database: every .list of an installed package indexed, then the
    /// owners of executables agree with dpkg-query, and their MD5 with the md5sums files.
    @Test(.enabled(if: hasLiveDatabase, "no dpkg database at /var/lib/dpkg"))
    func liveDatabaseAgreesWithDpkgQuery() throws {
        let installed = DpkgStatus.packagesWithFiles(in: try #require(TestFiles.read(Self.liveDatabase + "/status")))
        #expect(installed.contains("dpkg"))
        var index = PackagePathIndex()
        var lists: [String: [UInt8]] = [:]
        for name in installed.sorted() {
            guard let list = TestFiles.read("\(Self.liveDatabase)/info/\(name).list") else { continue }
            lists[name] = list
            index.add(package: name, paths: DpkgFileList.leafPaths(in: list))
        }
        index.finish()
        #expect(index.count > 1000)
        let diversions = DpkgDiversions(parsing: TestFiles.read(Self.liveDatabase + "/diversions") ?? [])
        let merged = PathSpellings.mergeCandidates.filter { TestFiles.output(of: "readlink \($0)").hasPrefix("usr/") }
        let spellings = PathSpellings(mergedDirectories: merged)
        let executables = ["/usr/bin/dpkg", "/usr/bin/ls", "/usr/sbin/runqlat", "/usr/sbin/bpftool", "/usr/bin/ip", "/usr/sbin/tc",
                           "/usr/bin/bpftrace", "/usr/bin/python3.11", "/usr/bin/perl"].filter(TestFiles.exists)
        try #require(executables.count >= 3)
        for path in executables {
            let owner = try #require(DpkgOwnership.owner(of: Self.bytes(path), spellings: spellings, diversions: diversions,
                                                         candidates: { index.candidates(for: $0) },
                                                         lists: { DpkgFileList.contains($1, in: lists[$0] ?? []) }), "\(path)")
            let query = TestFiles.output(of: "dpkg-query -S \(String(decoding: owner.recordedPath, as: UTF8.self)) 2>/dev/null")
            #expect(query.hasPrefix(owner.packageName + ":") || query.hasPrefix(owner.infoName + ":"), "\(path): \(query)")
            let sums = try #require(TestFiles.read("\(Self.liveDatabase)/info/\(owner.infoName).md5sums"))
            let recorded = try #require(DpkgMD5Sums.digest(of: owner.recordedPath, in: sums), "\(path) has an md5sums line")
            #expect(DigestAlgorithm.md5.digest(try #require(TestFiles.read(path))) == recorded, "\(path) is as installed")
        }
    }
}
