/// Who installed the file at a path, by dpkg's database: the package lists, corrected by
/// the diversions and the /usr merge.
public enum DpkgOwnership {
    public struct Owner: Hashable, Sendable {
        /// The package's info file name: `NAME`, or `NAME:ARCH` for `Multi-Arch: same`.
        public var infoName: String
        /// The path as the package records it (its md5sums line has this path).
        public var recordedPath: [UInt8]

        /// The package name without its architecture qualifier.
        public var packageName: String { Self.packageName(infoName) }

        static func packageName(_ infoName: String) -> String {
            infoName.firstIndex(of: ":").map { String(infoName[..<$0]) } ?? infoName
        }
    }

    /// The package owning `path`, or nil when none does.
    ///
    /// - `candidates`: the info names that may list a path (the index);
    /// - `lists`: whether a package's `.list` really has the path (the confirmation).
    ///
    /// For each spelling of the path: when it is where a diversion sends other packages'
    /// file, the owner is the package (other than the diverting one) that ships the
    /// original name; when it is a diverted name, only the diverting package's own file can
    /// be there (a local diversion's file is nobody's); otherwise any package listing it.
    public static func owner(
        of path: [UInt8], spellings: PathSpellings, diversions: DpkgDiversions,
        candidates: ([UInt8]) -> [String], lists: (String, [UInt8]) -> Bool
    ) -> Owner? {
        for spelling in spellings.spellings(of: path) {
            if let diversion = diversions.diversion(to: spelling) {
                let shipped = diversion.from
                for name in candidates(shipped) where Owner.packageName(name) != diversion.package && lists(name, shipped) {
                    return Owner(infoName: name, recordedPath: shipped)
                }
            } else if let diversion = diversions.diversion(from: spelling) {
                guard let diverter = diversion.package else { continue }
                for name in candidates(spelling) where Owner.packageName(name) == diverter && lists(name, spelling) {
                    return Owner(infoName: name, recordedPath: spelling)
                }
            } else {
                for name in candidates(spelling) where lists(name, spelling) {
                    return Owner(infoName: name, recordedPath: spelling)
                }
            }
        }
        return nil
    }
}
