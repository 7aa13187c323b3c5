/// What the plugin found out, with kernel lookups, about a loader's executable and where
/// the loader runs: the package that owns the file, whether the file is the one the
/// package database recorded, and whether the loader runs in a container. Gathered by the
/// executable (files, /proc, package databases) once per executable and handed to the
/// engine as this value.
public struct LoaderFacts: Hashable, Sendable {
    /// `exe-package`: the owning package, `none`, or unknown.
    public enum Package: Hashable, Sendable {
        case named(String)
        case none
        case unknown
    }

    /// `exe-trusted`.
    public enum Trust: String, Hashable, Sendable {
        /// The file's digest equals the package database's.
        case yes
        /// It differs.
        case no
        /// The executable was deleted (` (deleted)`, common right after an upgrade).
        case deleted
        /// No package owns the path.
        case none
        /// Not known: no lookup, too large to hash, unreadable, no recorded digest,
        /// container, another node.
        case unknown = "?"
    }

    /// `container`.
    public enum Container: String, Hashable, Sendable {
        case yes, no
        case unknown = "?"
    }

    public var package: Package
    public var trust: Trust
    public var container: Container

    public init(package: Package, trust: Trust, container: Container) {
        self.package = package
        self.trust = trust
        self.container = container
    }

    /// Nothing known (events of other nodes, a loader without an executable).
    public static let unknown = LoaderFacts(package: .unknown, trust: .unknown, container: .unknown)
}
