import BPFGuardCore
import Glibc

/// dpkg's database (`/var/lib/dpkg`): the owner of a path from the `info/*.list` files,
/// corrected by `diversions` and the /usr merge, and its MD5 from `info/PACKAGE.md5sums`.
///
/// The path index (`PackagePathIndex`) is built on the first lookup, once, and again only
/// after the database changed (`status`, `diversions` or the `info` directory).
final class DpkgDatabase: PackageDatabase {
    let name = "dpkg"
    /// The file system root the database describes ("" for this host; a test tree).
    let root: String
    let administrativeDirectory: String

    private var index: PackagePathIndex?
    /// The last build found no readable status file: not tried again until the database
    /// changes (`forget`).
    private var unreadable = false
    private var diversions = DpkgDiversions()
    private var spellings = PathSpellings(mergedDirectories: [])
    /// How long the last index build took and how big it is (state report, benchmark).
    private(set) var indexBuildMilliseconds: UInt64 = 0
    private(set) var indexBuilds = 0

    /// nil when there is no dpkg database (no `status` file).
    init?(root: String = "", administrativeDirectory: String = "/var/lib/dpkg") {
        self.root = root
        self.administrativeDirectory = root + administrativeDirectory
        guard access(self.administrativeDirectory + "/status", R_OK) == 0 else { return nil }
    }

    var pathIndex: PackagePathIndex? { index }

    func stamps() -> [FileStamp?] {
        ["/status", "/diversions", "/info"].map { FileStamp.of(path: administrativeDirectory + $0) }
    }

    func forget() {
        index = nil
        unreadable = false
    }

    func prepare() -> String {
        if index == nil && !unreadable { buildIndex() }
        guard let index else { return "dpkg (unreadable)" }
        return "dpkg (\(index.packageNames.count) packages, \(index.count) paths, \(indexBuildMilliseconds) ms)"
    }

    func lookup(_ path: [UInt8]) -> PackageLookup {
        if index == nil && !unreadable { buildIndex() }
        guard let index else { return .unavailable }
        var listCache: [String: [UInt8]] = [:]
        let owner = DpkgOwnership.owner(
            of: path, spellings: spellings, diversions: diversions,
            candidates: { index.candidates(for: $0) },
            lists: { infoName, recorded in
                let list = listCache[infoName] ?? self.infoFile(infoName, "list") ?? []
                listCache[infoName] = list
                return DpkgFileList.contains(recorded, in: list)
            })
        guard let owner else { return .notOwned }
        var digests: [RecordedDigest] = []
        if let sums = infoFile(owner.infoName, "md5sums"), let digest = DpkgMD5Sums.digest(of: owner.recordedPath, in: sums) {
            digests.append(RecordedDigest(algorithm: .md5, bytes: digest))
        }
        return .owned(package: owner.packageName, digests: digests)
    }

    /// `info/NAME.SUFFIX`, or nil.
    private func infoFile(_ infoName: String, _ suffix: String) -> [UInt8]? {
        try? FileIO.readFile("\(administrativeDirectory)/info/\(infoName).\(suffix)", limit: 64 << 20)
    }

    /// Reads every `.list` of a package that has files on disk into the path index, with
    /// the diversions and the merged directories of this root.
    private func buildIndex() {
        let started = Clock.monotonicMilliseconds()
        defer {
            indexBuildMilliseconds = Clock.monotonicMilliseconds() - started
            indexBuilds += 1
        }
        guard let status = try? FileIO.readFile(administrativeDirectory + "/status", limit: 256 << 20) else {
            unreadable = true
            return
        }
        let installed = DpkgStatus.packagesWithFiles(in: status)
        diversions = (try? FileIO.readFile(administrativeDirectory + "/diversions", limit: 64 << 20)).map(DpkgDiversions.init(parsing:)) ?? DpkgDiversions()
        spellings = PathSpellings(mergedDirectories: PathSpellings.mergeCandidates.filter(isMergedDirectory))
        guard let directory = opendir(administrativeDirectory + "/info") else {
            unreadable = true
            return
        }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let fileName = DirectoryEntryName.string(entry)
            guard fileName.hasSuffix(".list") else { continue }
            let infoName = String(fileName.dropLast(5))
            if installed.contains(infoName) { names.append(infoName) }
        }
        var built = PackagePathIndex()
        for infoName in names.sorted() {
            guard let list = infoFile(infoName, "list") else { continue }
            built.add(package: infoName, paths: DpkgFileList.leafPaths(in: list))
        }
        built.finish()
        index = built
    }

    /// Whether `/bin` (etc.) of this root is a symbolic link to `usr/bin` (or `/usr/bin`).
    private func isMergedDirectory(_ directory: String) -> Bool {
        var target = [CChar](repeating: 0, count: 256)
        let count = readlink(root + directory, &target, target.count - 1)
        guard count > 0 else { return false }
        let link = String(decoding: target[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return link == "usr" + directory || link == "/usr" + directory
    }
}
