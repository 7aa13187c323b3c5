/// Loaders that run whatever they are told to: allowing one by its executable allows every
/// program any script or command line makes it load. Learning mode proposes them commented
/// out, with a `#!!!!` warning and narrower rules to consider (by login uid, terminal and
/// command line: `GenericLoaderSuggestion`).
public enum GenericLoaders {
    /// File names, compared after a trailing version (`python3.11`, `perl5.36.0`) is removed.
    public static let names: Set<String> = [
        "bpftool", "bpftrace", "ip", "tc",
        "python", "perl", "ruby", "node", "lua",
        "sh", "ash", "bash", "dash", "ksh", "mksh", "zsh", "fish", "busybox",
    ]

    /// Whether the executable at `path` is a generic loader.
    public static func isGeneric(_ path: [UInt8]) -> Bool {
        var name = path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).last.map(Array.init) ?? path
        while let last = name.last, (last >= UInt8(ascii: "0") && last <= UInt8(ascii: "9")) || last == UInt8(ascii: ".") {
            name.removeLast()
        }
        return names.contains(String(decoding: name, as: UTF8.self))
    }
}
