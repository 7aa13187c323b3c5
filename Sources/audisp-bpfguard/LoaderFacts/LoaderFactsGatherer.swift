import BPFGuardCore
import Glibc

/// What the input side of the loader facts did, for the exit summary and the state report.
struct LoaderFactsCounters: Hashable, Sendable {
    /// Loaders examined (LOADs with a loader to describe).
    var gathered: UInt64 = 0
    /// Verdicts found in the cache.
    var cacheHits: UInt64 = 0
    /// Package database changes noticed (each empties the cache).
    var databaseChanges: UInt64 = 0
}

/// `exe-package`, `exe-trusted` and `container` of a loader, in two parts so that the slow
/// one can run elsewhere:
///
/// - `examine(exe:pid:)`, cheap, on the input thread: the loader's placement (root, mount
///   namespace, cgroup) from /proc while it lives (`LoaderInspector`, plugin mode only: a
///   replayed pid is long gone or reused); the file — `/proc/PID/exe` when its link still
///   names the record's `exe`, else the path opened with `O_NOFOLLOW`; the database stamps
///   (a change empties the cache); and the cached verdict on the file, by (path, device,
///   inode, size, mtime, ctime). Either the facts are known then, or a question remains.
/// - the verdict on a file not in the cache (`verdicts`: dpkg, then rpm, and the file's
///   digest), on the facts worker (`LoaderFactsStage`), or at once with `gather(exe:pid:)`
///   where waiting is fine (`--generate-policy`, tests).
final class LoaderFactsGatherer {
    static let defaultMaximumHashedBytes: Int64 = 64 << 20

    let inspector: LoaderInspector?
    let cache = TrustCache()
    /// The worker's once it runs (`LoaderFactsWorker`): then only `gather` must not be used.
    let verdicts: PackageVerdictSource
    /// Watched for changes (their stamps only: `stamps()` reads nothing lookups change).
    private let watchedDatabases: [PackageDatabase]
    private var databaseStamps: [[FileStamp?]]
    private(set) var inputCounters = LoaderFactsCounters()

    /// `inspectsProcesses`: plugin mode (live loaders); false for `--replay --lookup`, where
    /// the facts come from the path alone.
    convenience init(databases: [PackageDatabase], inspectsProcesses: Bool, maximumHashedBytes: Int64 = defaultMaximumHashedBytes) {
        self.init(verdicts: PackageDatabaseVerdicts(databases: databases, maximumHashedBytes: maximumHashedBytes),
                  watching: databases, inspectsProcesses: inspectsProcesses)
    }

    /// `verdicts` answers the questions; `databases` are those whose changes empty the cache.
    init(verdicts: PackageVerdictSource, watching databases: [PackageDatabase], inspectsProcesses: Bool) {
        self.verdicts = verdicts
        self.watchedDatabases = databases
        self.inspector = inspectsProcesses ? LoaderInspector() : nil
        databaseStamps = databases.map { $0.stamps() }
    }

    /// The package databases of this host: dpkg and rpm, those present.
    static func hostDatabases() -> [PackageDatabase] {
        let candidates: [PackageDatabase?] = [DpkgDatabase(), RPMDatabase()]
        return candidates.compactMap { $0 }
    }

    /// Reads the package databases now (plugin start-up, before the worker starts), so that
    /// the first LOAD does not wait for dpkg's index; says what was read.
    func prepare() -> String {
        verdicts.prepare()
    }

    /// What examining a loader gave.
    enum Examination {
        /// The facts, at once: nothing to look up, or the file's verdict was cached.
        case known(LoaderFacts)
        /// The facts follow from the verdict on `question`'s file.
        case needsVerdict(ExaminedLoader, VerdictQuestion)
    }

    /// The cheap part, for the loader that ran `exe` as process `pid`.
    func examine(exe: [UInt8]?, pid: UInt32?) -> Examination {
        inputCounters.gathered &+= 1
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
        let loader = ExaminedLoader(exe: exe, placement: placement)
        guard let path = LoaderTrustRules.lookupPath(exe: exe, placement: placement) else {
            return .known(loader.factsWithoutVerdict)
        }
        let hash = !LoaderTrustRules.isDeleted(exe ?? [])
        let file = hash ? procExe.flatMap { ExecutableFile(path: $0, followLink: true) }
            ?? ExecutableFile(path: String(decoding: path, as: UTF8.self), followLink: false) : nil
        // A file that cannot be opened (gone, not regular, or not to be hashed) is cached
        // under its path alone; once it can be opened, its stamp makes another key.
        let key = TrustCache.Key(path: path, stamp: file?.stamp)
        if let cached = cache.verdict(for: key) {
            inputCounters.cacheHits &+= 1
            return .known(loader.facts(cached))
        }
        return .needsVerdict(loader, VerdictQuestion(key: key, file: file, generation: cache.generation))
    }

    /// The facts at once, the verdict worked out on this thread when not cached. Not while
    /// a `LoaderFactsWorker` runs on `verdicts`.
    func gather(exe: [UInt8]?, pid: UInt32?) -> LoaderFacts {
        switch examine(exe: exe, pid: pid) {
        case .known(let facts):
            return facts
        case .needsVerdict(let loader, let question):
            let verdict = verdicts.verdict(for: question)
            cache.store(verdict, for: question.key, generation: question.generation)
            return loader.facts(verdict)
        }
    }

    /// A package database changed (install, removal, upgrade): forget its answers. The
    /// verdicts' side drops what it read at its next question (of the new generation).
    private func noticeDatabaseChanges() {
        let stamps = watchedDatabases.map { $0.stamps() }
        guard stamps != databaseStamps else { return }
        databaseStamps = stamps
        cache.invalidate()
        inputCounters.databaseChanges &+= 1
    }

    /// The summary's counters, given the verdicts' (the worker's copy once it runs).
    static func summary(_ input: LoaderFactsCounters, _ verdicts: VerdictCounters) -> String {
        "loader_facts=\(input.gathered) trust_cache_hits=\(input.cacheHits) files_hashed=\(verdicts.filesHashed) too_large_to_hash=\(verdicts.tooLarge)"
            + (verdicts.indexSummary.map { " " + $0 } ?? "")
    }

    /// The summary when the verdicts are worked out on this thread (`gather`).
    var summary: String { Self.summary(inputCounters, verdicts.counters) }

    /// Both sides' counters, for `gather`'s callers (tests).
    var counters: (gathered: UInt64, cacheHits: UInt64, databaseChanges: UInt64, filesHashed: UInt64, tooLarge: UInt64) {
        let verdictCounters = verdicts.counters
        return (inputCounters.gathered, inputCounters.cacheHits, inputCounters.databaseChanges, verdictCounters.filesHashed, verdictCounters.tooLarge)
    }
}
