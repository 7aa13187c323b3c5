/// The small table by which learning mode turns a versioned executable path into a glob,
/// so that a policy learned today still allows the loader after its next upgrade
/// (AppArmor's `aa-logprof` globs paths the same way). One component at most is replaced,
/// the first one, from the left, that an entry matches:
///
/// | entry | example | becomes |
/// |---|---|---|
/// | interpreter version (file name `NAME.N[.N…]`) | `/usr/bin/python3.11` | `/usr/bin/python3.*` |
/// | Java installation | `/usr/lib/jvm/java-17-openjdk-amd64/bin/java` | `/usr/lib/jvm/*/bin/java` |
/// | versioned directory in /opt (`NAME-N…`) | `/opt/agent-1.2.3/bin/agent` | `/opt/agent-*/bin/agent` |
/// | kernel tools directory | `/usr/lib/linux-tools/6.8.0-45-generic/bpftool` | `/usr/lib/linux-tools/*/bpftool` |
/// | kernel-versioned package directory | `/usr/lib/linux-tools-6.8.0-45/bpftool` | `/usr/lib/linux-tools-*/bpftool` |
/// | kernel modules and sources | `/lib/modules/6.1.0-13-amd64/…`, `/usr/src/kernels/5.14.0/…` | `/lib/modules/*/…` |
///
/// A `*` matches any bytes, `/` included: the generator proposes a glob only when every
/// directory from `/` down to the `anchor` (the directory whose entries the `*` stands for)
/// is owned by root and not writable by its group or others, so that only root can add
/// what the glob would match (see `DirectoryFact`).
public enum VersionedPathGlobs {
    public enum Entry: String, Hashable, Sendable, CaseIterable {
        case interpreterVersion = "interpreter version"
        case javaInstallation = "Java installation"
        case optVersion = "versioned directory in /opt"
        case kernelToolsDirectory = "kernel tools directory"
        case kernelPackageDirectory = "kernel-versioned package directory"
        case kernelModules = "kernel modules and sources"
    }

    public struct Match: Hashable, Sendable {
        public var pattern: [Glob.Element]
        public var entry: Entry
        /// The directory whose entries the `*` stands for.
        public var anchor: [UInt8]
    }

    /// The glob for `path` (an absolute executable path), or nil when no entry applies.
    public static func glob(_ path: [UInt8]) -> Match? {
        guard path.first == UInt8(ascii: "/") else { return nil }
        let components = path.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).map(Array.init)
        for index in components.indices {
            let parents = components[..<index].map { String(decoding: $0, as: UTF8.self) }
            let isDirectory = index < components.count - 1
            guard let found = replacement(for: components[index], under: parents, isDirectory: isDirectory) else { continue }
            let (replacement, entry) = found
            var pattern: [Glob.Element] = []
            for (position, component) in components.enumerated() {
                pattern.append(.byte(UInt8(ascii: "/")))
                pattern += position == index ? replacement : component.map { .byte($0) }
            }
            let anchor = Array(("/" + parents.joined(separator: "/")).utf8)
            return Match(pattern: pattern, entry: entry, anchor: anchor)
        }
        return nil
    }

    /// What replaces one path component, given the components above it.
    private static func replacement(for component: [UInt8], under parents: [String], isDirectory: Bool) -> ([Glob.Element], Entry)? {
        let star: [Glob.Element] = [.star]
        if isDirectory {
            switch parents {
            case ["usr", "lib", "jvm"]:
                return (star, .javaInstallation)
            case ["opt"]:
                return versionSuffix(component).map { (prefix($0, of: component), .optVersion) }
            case ["usr", "lib", "linux-tools"]:
                return startsWithDigit(component) ? (star, .kernelToolsDirectory) : nil
            case ["usr", "lib"], ["usr", "src"]:
                guard component.starts(with: Array("linux-".utf8)), let start = versionSuffix(component) else { return nil }
                return (prefix(start, of: component), .kernelPackageDirectory)
            case ["lib", "modules"], ["usr", "lib", "modules"], ["usr", "src", "kernels"]:
                return startsWithDigit(component) ? (star, .kernelModules) : nil
            default:
                return nil
            }
        }
        return interpreterVersion(component).map { (prefix($0, of: component), .interpreterVersion) }
    }

    /// `bytes[..<start]` then a star.
    private static func prefix(_ start: Int, of bytes: [UInt8]) -> [Glob.Element] {
        bytes[..<start].map { .byte($0) } + [.star]
    }

    /// For `NAME-VERSION` with a non-empty NAME and a VERSION that begins with a digit: the
    /// index where VERSION begins (after the first such dash).
    private static func versionSuffix(_ component: [UInt8]) -> Int? {
        var index = 1
        while index + 1 < component.count {
            if component[index] == UInt8(ascii: "-"), isDigit(component[index + 1]) { return index + 1 }
            index += 1
        }
        return nil
    }

    /// For a file name `NAME.N[.N…]` (NAME begins with a letter and holds no dot, the N are
    /// numbers): the index just after NAME's dot.
    private static func interpreterVersion(_ name: [UInt8]) -> Int? {
        guard let dot = name.firstIndex(of: UInt8(ascii: ".")), dot > 0, isLetter(name[0]) else { return nil }
        let version = name[(dot + 1)...]
        guard let first = version.first, isDigit(first), let last = version.last, isDigit(last),
              version.allSatisfy({ isDigit($0) || $0 == UInt8(ascii: ".") }),
              !version.indices.dropFirst().contains(where: { version[$0] == UInt8(ascii: ".") && version[$0 - 1] == UInt8(ascii: ".") }),
              name[..<dot].allSatisfy({ isLetter($0) || isDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") })
        else { return nil }
        return dot + 1
    }

    private static func startsWithDigit(_ bytes: some Collection<UInt8>) -> Bool {
        bytes.first.map(isDigit) ?? false
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }
}
