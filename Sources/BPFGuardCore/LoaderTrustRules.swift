/// Where a loader runs, compared with the host (PID 1): its root directory and mount
/// namespace from /proc, and its cgroup. nil: could not be told (the loader is gone, the
/// pid was reused, /proc refused, or the event is replayed from a log).
public struct LoaderPlacement: Hashable, Sendable {
    public var sameRoot: Bool?
    public var sameMountNamespace: Bool?
    /// The cgroup path names a container runtime's (`ContainerCgroup`).
    public var containerCgroup: Bool?

    public init(sameRoot: Bool? = nil, sameMountNamespace: Bool? = nil, containerCgroup: Bool? = nil) {
        self.sameRoot = sameRoot
        self.sameMountNamespace = sameMountNamespace
        self.containerCgroup = containerCgroup
    }

    public static let unknown = LoaderPlacement()

    /// `yes` when the root is not the host's or the cgroup is a container's; `no` when
    /// root, mount namespace and cgroup are all the host's; `?` otherwise (only the mount
    /// namespace differs — a sandboxed service or `unshare -m` — or nothing could be read).
    public var container: LoaderFacts.Container {
        if sameRoot == false || containerCgroup == true { return .yes }
        if sameRoot == true && sameMountNamespace == true && containerCgroup == false { return .no }
        return .unknown
    }

    /// Whether the `exe` path may be looked up in the host's tree: not when the loader's
    /// root or mount namespace is its own (a chroot, a container, a private mount can show
    /// `/usr/sbin/bpftool` for other bytes). An unknown placement (loader gone, replay)
    /// leaves the path to describe the host's file.
    public var pathIsHosts: Bool {
        sameRoot != false && sameMountNamespace != false && containerCgroup != true
    }
}

/// The outcome of comparing an executable with the package database's digest.
public enum DigestCheck: Hashable, Sendable {
    case match
    case mismatch
    /// Not compared: too large, unreadable, not a regular file, no digest recorded.
    case unavailable
}

/// The rules that turn what was gathered about a loader into `exe-package`, `exe-trusted`
/// and `container`. Kept apart from the gathering so that they hold whatever the source.
public enum LoaderTrustRules {
    /// What the kernel writes when it cannot name the executable's path (`exe=<too_long>`).
    public static let tooLongExe = Array("<too_long>".utf8)
    public static let deletedSuffix = Array(" (deleted)".utf8)

    /// The path to look up in the package databases for `exe`: without ` (deleted)`; nil
    /// when there is none to trust — no exe, `<too_long>`, not an absolute path, or a
    /// loader whose root or mount namespace is not the host's.
    public static func lookupPath(exe: [UInt8]?, placement: LoaderPlacement) -> [UInt8]? {
        guard let exe, exe != tooLongExe, exe.first == UInt8(ascii: "/"), placement.pathIsHosts else { return nil }
        return isDeleted(exe) ? Array(exe.dropLast(deletedSuffix.count)) : exe
    }

    public static func isDeleted(_ exe: [UInt8]) -> Bool {
        exe.count > deletedSuffix.count && exe.suffix(deletedSuffix.count).elementsEqual(deletedSuffix)
    }

    /// The facts: `owner` and `digest` are what the package databases said about
    /// `lookupPath(exe:placement:)` (ignored when it is nil).
    ///
    /// - container: from the placement;
    /// - no path to trust (`<too_long>`, own root or mount namespace, container): package
    ///   and trust unknown — never `exe-trusted=yes`;
    /// - a deleted executable: `exe-trusted=deleted`, the package of the path it had;
    /// - otherwise the owner, and `yes`/`no` by the digest (`none` without owner).
    public static func facts(exe: [UInt8]?, placement: LoaderPlacement, owner: LoaderFacts.Package, digest: DigestCheck) -> LoaderFacts {
        let container = placement.container
        guard let exe, lookupPath(exe: exe, placement: placement) != nil else {
            return LoaderFacts(package: .unknown, trust: .unknown, container: container)
        }
        if isDeleted(exe) { return LoaderFacts(package: owner, trust: .deleted, container: container) }
        let trust: LoaderFacts.Trust
        switch (owner, digest) {
        case (.unknown, _): trust = .unknown
        case (.none, _): trust = .none
        case (.named, .match): trust = .yes
        case (.named, .mismatch): trust = .no
        case (.named, .unavailable): trust = .unknown
        }
        return LoaderFacts(package: owner, trust: trust, container: container)
    }

    /// The engine's guarantee, whatever the gatherer said: without an executable path the
    /// kernel could name (no exe, `<too_long>`) and in a container, the package and trust
    /// are unknown; a deleted executable is never trusted.
    public static func constrained(_ facts: LoaderFacts, exe: [UInt8]?) -> LoaderFacts {
        var result = facts
        if exe == nil || exe == tooLongExe || facts.container == .yes {
            result.package = .unknown
            result.trust = .unknown
        } else if let exe, isDeleted(exe), result.trust != .unknown {
            result.trust = .deleted
        }
        return result
    }
}
