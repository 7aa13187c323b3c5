import BPFGuardCore

/// The package databases' verdicts per file, shared by the input thread and the facts
/// worker: the input thread reads it, so that a warm answer costs a table look-up and no
/// thread hop; the worker fills it. At most `capacity` verdicts (emptied when full).
///
/// Each filling belongs to a generation: when a package database changes the input thread
/// empties the cache and starts a new one, and a verdict worked out under an older
/// generation (from the old database) is not stored.
final class TrustCache: @unchecked Sendable {
    static let capacity = 4096

    /// The file a verdict is about: its path, and the stamp of the file opened for it (nil:
    /// it could not be opened, or is not to be hashed). Other bytes at the path make another key.
    struct Key: Hashable, Sendable {
        var path: [UInt8]
        var stamp: FileStamp?
    }

    private let monitor = Monitor()
    private var verdicts: [Key: PackageVerdict] = [:]
    private var currentGeneration: UInt64 = 0

    var generation: UInt64 { monitor.withLock { currentGeneration } }

    func verdict(for key: Key) -> PackageVerdict? {
        monitor.withLock { verdicts[key] }
    }

    /// Keeps `verdict`, unless the databases changed since it was asked for.
    func store(_ verdict: PackageVerdict, for key: Key, generation: UInt64) {
        monitor.withLock {
            guard generation == currentGeneration else { return }
            if verdicts.count >= Self.capacity { verdicts.removeAll(keepingCapacity: true) }
            verdicts[key] = verdict
        }
    }

    /// A package database changed: forgets every verdict and starts a new generation.
    func invalidate() {
        monitor.withLock {
            verdicts.removeAll(keepingCapacity: true)
            currentGeneration &+= 1
        }
    }
}
