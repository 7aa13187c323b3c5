import BPFGuardCore
import Glibc

/// What the gatherer did, for the exit summary and the state report.
struct LoaderFactsCounters {
    var gathered: UInt64 = 0
    var cacheHits: UInt64 = 0
    var filesHashed: UInt64 = 0
    var bytesHashed: UInt64 = 0
    var tooLarge: UInt64 = 0
    var databaseChanges: UInt64 = 0
}

/// `exe-package`, `exe-trusted` and `container` of a loader: a small synchronous service,
/// `gather(exe:pid:)`, called for each LOAD with kernel lookups.
///
/// - The loader's placement (root, mount namespace, cgroup) comes from /proc while it lives
///   (`LoaderInspector`, plugin mode only: a replayed pid is long gone or reused).
/// - The file: `/proc/PID/exe` when its link still names the record's `exe`, else the path
///   opened with `O_NOFOLLOW`.
/// - Its owner and recorded digest: dpkg, then rpm (`PackageDatabase`).
/// - The verdict per file is cached by (path, device, inode, size, mtime, ctime), at most
///   `cacheCapacity` entries: a file is looked up and hashed once, not per program. The
///   cache and the dpkg index are dropped when a package database changes.
/// - A file larger than `maximumHashedBytes` is not hashed (`exe-trusted=?`).
final class LoaderFactsGatherer {
    static let defaultMaximumHashedBytes: Int64 = 64 << 20
    static let cacheCapacity = 4096

    let databases: [PackageDatabase]
    let inspector: LoaderInspector?
    let maximumHashedBytes: Int64
    private(set) var counters = LoaderFactsCounters()

    private struct CacheKey: Hashable {
        var path: [UInt8]
        /// nil: the file could not be opened.
        var stamp: FileStamp?
    }

    private struct Verdict {
        var owner: LoaderFacts.Package
        var digest: DigestCheck
    }

    private var cache: [CacheKey: Verdict] = [:]
    private var databaseStamps: [[FileStamp?]]

    /// `inspectsProcesses`: plugin mode (live loaders); false for `--replay --lookup`, where
    /// the facts come from the path alone.
    init(databases: [PackageDatabase], inspectsProcesses: Bool, maximumHashedBytes: Int64 = defaultMaximumHashedBytes) {
        self.databases = databases
        self.inspector = inspectsProcesses ? LoaderInspector() : nil
        self.maximumHashedBytes = maximumHashedBytes
        databaseStamps = databases.map { $0.stamps() }
    }

    /// The package databases of this host: dpkg and rpm, those present.
    static func hostDatabases() -> [PackageDatabase] {
        let candidates: [PackageDatabase?] = [DpkgDatabase(), RPMDatabase()]
        return candidates.compactMap { $0 }
    }

    /// Reads the package databases now (plugin start-up), so that the first LOAD does not
    /// wait for dpkg's index; says what was read.
    func prepare() -> String {
        databases.isEmpty ? "none" : databases.map { $0.prepare() }.joined(separator: ", ")
    }

    /// The facts of the loader that ran `exe` as process `pid`.
    func gather(exe: [UInt8]?, pid: UInt32?) -> LoaderFacts {
        counters.gathered += 1
        noticeDatabaseChanges()
        var exe = exe
        var placement = LoaderPlacement.unknown
        var procExe: String?
        if let inspector, let pid {
            let inspection = inspector.inspect(pid: pid, exe: exe)
            placement = inspection.placement
            if inspection.runsRecordedExe {
                procExe = "\(inspector.procRoot)/\(pid)/exe"
                // Replaced since the load (an upgrade): the loader runs a deleted file.
                if let link = inspection.link, LoaderTrustRules.isDeleted(link) { exe = link }
            }
        }
        guard let path = LoaderTrustRules.lookupPath(exe: exe, placement: placement) else {
            return LoaderTrustRules.facts(exe: exe, placement: placement, owner: .unknown, digest: .unavailable)
        }
        let verdict = self.verdict(path: path, procExe: procExe, hash: !LoaderTrustRules.isDeleted(exe ?? []))
        return LoaderTrustRules.facts(exe: exe, placement: placement, owner: verdict.owner, digest: verdict.digest)
    }

    private func verdict(path: [UInt8], procExe: String?, hash: Bool) -> Verdict {
        let file = hash ? procExe.flatMap { ExecutableFile(path: $0, followLink: true) }
            ?? ExecutableFile(path: String(decoding: path, as: UTF8.self), followLink: false) : nil
        // A file that cannot be opened (gone, not regular, or not to be hashed) is cached
        // under its path alone; once it can be opened, its stamp makes another key.
        let key = CacheKey(path: path, stamp: file?.stamp)
        if let cached = cache[key] {
            counters.cacheHits += 1
            return cached
        }
        var owner = LoaderFacts.Package.unknown
        var recorded: [RecordedDigest] = []
        for database in databases {
            switch database.lookup(path) {
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
        if case .named = owner, let file { digest = file.check(against: recorded, limit: maximumHashedBytes, counters: &counters) }
        let verdict = Verdict(owner: owner, digest: digest)
        if cache.count >= Self.cacheCapacity { cache.removeAll(keepingCapacity: true) }
        cache[key] = verdict
        return verdict
    }

    /// A package database changed (install, removal, upgrade): forget its answers.
    private func noticeDatabaseChanges() {
        for (index, database) in databases.enumerated() {
            let stamps = database.stamps()
            guard stamps != databaseStamps[index] else { continue }
            databaseStamps[index] = stamps
            database.forget()
            cache.removeAll(keepingCapacity: true)
            counters.databaseChanges += 1
        }
    }

    var summary: String {
        var text = "loader_facts=\(counters.gathered) trust_cache_hits=\(counters.cacheHits) files_hashed=\(counters.filesHashed) too_large_to_hash=\(counters.tooLarge)"
        if let dpkg = databases.lazy.compactMap({ $0 as? DpkgDatabase }).first, let index = dpkg.pathIndex {
            text += " dpkg_index_packages=\(index.packageNames.count) dpkg_index_paths=\(index.count) dpkg_index_kib=\(index.approximateBytes / 1024) dpkg_index_ms=\(dpkg.indexBuildMilliseconds)"
        }
        return text
    }
}
