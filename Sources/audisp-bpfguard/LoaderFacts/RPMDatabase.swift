import BPFGuardCore
import Glibc

/// The rpm database, through librpm (`RPMLibrary`): the packages that own a path
/// (`rpmtsInitIterator` on `RPMDBI_INSTFILENAMES`) and the digest each recorded for that
/// file (`FILEDIGESTS` in the algorithm of `FILEDIGESTALGO`, MD5 when the header has none).
final class RPMDatabase: PackageDatabase {
    let name = "rpm"
    /// Where rpm keeps its database, newest layout first (Fedora 36+ and RHEL 10 use
    /// /usr/lib/sysimage/rpm, with /var/lib/rpm a link to it).
    static let databaseDirectories = ["/usr/lib/sysimage/rpm", "/var/lib/rpm"]
    static let databaseFiles = ["rpmdb.sqlite", "rpmdb.sqlite-wal", "Packages", "Packages.db"]

    let library: RPMLibrary
    let root: String
    let databaseDirectory: String
    private var transactionSet: RPMLibrary.Handle?

    /// nil when librpm cannot be loaded, or no database is found under `root` (`"/"` for
    /// this host). `databaseDirectory` overrides the search (tests).
    init?(root: String = "/", databaseDirectory: String? = nil) {
        let prefix = root == "/" ? "" : root
        guard let directory = databaseDirectory ?? Self.databaseDirectories.first(where: { candidate in
            Self.databaseFiles.contains { access(prefix + candidate + "/" + $0, R_OK) == 0 }
        }) else { return nil }
        guard let library = RPMLibrary.open() else { return nil }
        self.library = library
        self.root = root
        self.databaseDirectory = directory
        _ = library.setLogMask(RPMLibrary.errorsOnlyLogMask)
        guard library.readConfigFiles(nil, nil) == 0 else { return nil }
        // Debian's rpm keeps its database under $HOME by default: name the directory.
        _ = library.defineMacro(nil, "_dbpath \(directory)", RPMLibrary.commandLineMacroLevel)
    }

    deinit {
        if let transactionSet { _ = library.freeTransactionSet(transactionSet) }
    }

    func stamps() -> [FileStamp?] {
        let prefix = root == "/" ? "" : root
        return ([""] + Self.databaseFiles.map { "/" + $0 }).map { FileStamp.of(path: prefix + databaseDirectory + $0) }
    }

    /// A new transaction set (and database handle) after a change.
    func forget() {
        if let transactionSet { _ = library.freeTransactionSet(transactionSet) }
        transactionSet = nil
    }

    func prepare() -> String {
        openIfNeeded() ? "rpm (\(library.soname), \(databaseDirectory))" : "rpm (\(databaseDirectory) cannot be opened)"
    }

    /// Opens the database read-only (a transaction set with its root), once.
    private func openIfNeeded() -> Bool {
        if transactionSet != nil { return true }
        guard let created = library.createTransactionSet() else { return false }
        _ = library.setRootDirectory(created, root)
        guard library.openDatabase(created, O_RDONLY) == 0 else {
            _ = library.freeTransactionSet(created)
            return false
        }
        transactionSet = created
        return true
    }

    func lookup(_ path: [UInt8]) -> PackageLookup {
        guard openIfNeeded() else { return .unavailable }
        let key = path + [0]
        guard let iterator = key.withUnsafeBytes({ library.initIterator(transactionSet, RPMLibrary.installedFileNamesIndex, $0.baseAddress, path.count) })
        else { return .notOwned }
        defer { _ = library.freeIterator(iterator) }
        var owner: String?
        var digests: [RecordedDigest] = []
        while let header = library.nextHeader(iterator) {
            let fileNumber = Int(library.iteratorFileNumber(iterator))
            guard let name = library.format(header, "%{NAME}") else { continue }
            if owner == nil { owner = String(decoding: name, as: UTF8.self) }
            let algorithmText = library.format(header, "%{FILEDIGESTALGO}").map { String(decoding: $0, as: UTF8.self) }
            // An rpm header without FILEDIGESTALGO predates it: its digests are MD5.
            let algorithm = algorithmText.flatMap { UInt32($0) }.map { DigestAlgorithm(openPGPNumber: $0) } ?? .md5
            guard let algorithm, let list = library.format(header, "[%{FILEDIGESTS}\n]") else { continue }
            let lines = list.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            if fileNumber < lines.count, let digest = HexDigits.bytes(lines[fileNumber]), digest.count == algorithm.length {
                digests.append(RecordedDigest(algorithm: algorithm, bytes: digest))
            }
        }
        guard let owner else { return .notOwned }
        return .owned(package: owner, digests: digests)
    }
}
