import BPFGuardCore

/// A package manager's database, asked who owns a path and what digest it recorded.
protocol PackageDatabase: AnyObject {
    /// A short name for messages: `dpkg`, `rpm`.
    var name: String { get }
    /// The owner of `path` (as the kernel names it), with the digests recorded for it.
    func lookup(_ path: [UInt8]) -> PackageLookup
    /// Stamps of the files that change when packages are installed or removed; a change
    /// makes the plugin forget what it learned from the database. Called on the input
    /// thread while the facts worker looks paths up: it reads nothing the lookups change.
    func stamps() -> [FileStamp?]
    /// Drops what was read from the database (it changed).
    func forget()
    /// Reads what lookups need ahead of them (plugin start-up); a short description of it.
    func prepare() -> String
}

/// The answer of a package database about one path.
enum PackageLookup: Equatable {
    /// Owned: the package name and the digests recorded for the file (one per package that
    /// ships it; empty when none is recorded, e.g. a dpkg conffile).
    case owned(package: String, digests: [RecordedDigest])
    case notOwned
    /// The database could not be read.
    case unavailable
}

struct RecordedDigest: Equatable {
    var algorithm: DigestAlgorithm
    var bytes: [UInt8]
}
