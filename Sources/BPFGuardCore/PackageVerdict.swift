/// What the package databases said about one executable file: the package that owns its
/// path, and how the file's digest compared with the one recorded. Worked out once per file
/// (and cached by the executable); `LoaderFacts` are per loader, made from a verdict and
/// where the loader runs (`ExaminedLoader`).
public struct PackageVerdict: Hashable, Sendable {
    public var owner: LoaderFacts.Package
    public var digest: DigestCheck

    public init(owner: LoaderFacts.Package, digest: DigestCheck) {
        self.owner = owner
        self.digest = digest
    }

    /// Nothing could be told: no database answered (in time).
    public static let unknown = PackageVerdict(owner: .unknown, digest: .unavailable)
}

/// What is known about a loader before the package databases are asked: the executable
/// the facts name (the record's `exe`, or the ` (deleted)` link /proc showed) and where the
/// loader runs. Its facts follow from a verdict on the file at its path.
public struct ExaminedLoader: Hashable, Sendable {
    public var exe: [UInt8]?
    public var placement: LoaderPlacement

    public init(exe: [UInt8]?, placement: LoaderPlacement) {
        self.exe = exe
        self.placement = placement
    }

    /// The loader's facts, given what the databases said about its file.
    public func facts(_ verdict: PackageVerdict) -> LoaderFacts {
        LoaderTrustRules.facts(exe: exe, placement: placement, owner: verdict.owner, digest: verdict.digest)
    }

    /// The facts without a verdict (none came in time, or none could be asked for): the
    /// container and a deleted executable are still told, package and trust are `?`.
    public var factsWithoutVerdict: LoaderFacts { facts(.unknown) }
}
