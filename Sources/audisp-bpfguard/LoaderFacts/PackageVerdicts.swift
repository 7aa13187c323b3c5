import BPFGuardCore

/// One file to judge: the cache key, the file opened for it (its bytes are hashed, even if
/// the path names another file or the loader has exited by then), and the cache's
/// generation when it was asked.
struct VerdictQuestion: @unchecked Sendable {
    var key: TrustCache.Key
    /// nil: not to be hashed (deleted, or it could not be opened).
    var file: ExecutableFile?
    var generation: UInt64
}

/// What the verdicts cost, for the exit summary and the state report.
struct VerdictCounters: Hashable, Sendable {
    var filesHashed: UInt64 = 0
    var bytesHashed: UInt64 = 0
    var tooLarge: UInt64 = 0
    /// The package databases were dropped after a change (read again at the next question).
    var indexRebuilds: UInt64 = 0
    /// `dpkg_index_packages=… dpkg_index_paths=… dpkg_index_kib=… dpkg_index_ms=…` once the
    /// index is built.
    var indexSummary: String?
}

/// What answers questions about files: the package databases (`PackageDatabaseVerdicts`),
/// or a stand-in in tests. Used by one thread at a time: the facts worker once it runs.
protocol PackageVerdictSource: AnyObject {
    func verdict(for question: VerdictQuestion) -> PackageVerdict
    var counters: VerdictCounters { get }
    /// Reads what the questions need ahead of them (plugin start-up); a short description.
    func prepare() -> String
}

/// The verdicts of dpkg and rpm: the owner of the path (dpkg first), and the file's digest
/// compared with the one its package recorded. A file larger than `maximumHashedBytes` is
/// not hashed. The slow part of loader facts — the dpkg index read again after a change
/// (35 to 400 ms), a large file hashed (265 ms for 60 MiB) — happens here.
final class PackageDatabaseVerdicts: PackageVerdictSource {
    let databases: [PackageDatabase]
    let maximumHashedBytes: Int64
    private(set) var counters = VerdictCounters()
    /// The cache generation whose database contents are loaded.
    private var generation: UInt64 = 0

    init(databases: [PackageDatabase], maximumHashedBytes: Int64) {
        self.databases = databases
        self.maximumHashedBytes = maximumHashedBytes
    }

    func prepare() -> String {
        defer { refreshIndexSummary() }
        return databases.isEmpty ? "none" : databases.map { $0.prepare() }.joined(separator: ", ")
    }

    func verdict(for question: VerdictQuestion) -> PackageVerdict {
        if question.generation != generation {
            // The input thread saw a database change: what was read from them is stale.
            generation = question.generation
            for database in databases { database.forget() }
            counters.indexRebuilds &+= 1
        }
        defer { refreshIndexSummary() }
        var owner = LoaderFacts.Package.unknown
        var recorded: [RecordedDigest] = []
        for database in databases {
            switch database.lookup(question.key.path) {
            case .owned(let package, let digests):
                owner = .named(package)
                recorded = digests
            case .notOwned:
                owner = .none
                continue
            case .unavailable:
                continue
            }
            break
        }
        var digest = DigestCheck.unavailable
        if case .named = owner, let file = question.file {
            digest = file.check(against: recorded, limit: maximumHashedBytes, counters: &counters)
        }
        return PackageVerdict(owner: owner, digest: digest)
    }

    private func refreshIndexSummary() {
        guard let dpkg = databases.lazy.compactMap({ $0 as? DpkgDatabase }).first, let index = dpkg.pathIndex else {
            counters.indexSummary = nil
            return
        }
        counters.indexSummary = "dpkg_index_packages=\(index.packageNames.count) dpkg_index_paths=\(index.count) dpkg_index_kib=\(index.approximateBytes / 1024) dpkg_index_ms=\(dpkg.indexBuildMilliseconds)"
    }
}
