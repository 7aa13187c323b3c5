/// How auditd names this host in its records' `node=` prefix (auditd.conf `name_format` and
/// `name`), so that the plugin recognises its own host's records without a hand-set
/// `local_node`: those are the only ones it may look up in its own kernel.
public struct AuditdNodeNaming: Hashable, Sendable {
    public enum Format: String, Hashable, Sendable {
        /// No `node=` prefix (the default).
        case none
        /// gethostname(2), spaces replaced by `_`.
        case hostname
        /// The host name's canonical (fully qualified) name from the resolver.
        case fqd
        /// The host name's first address from the resolver.
        case numeric
        /// The `name` setting.
        case user
    }

    public var format: Format
    /// The `name` setting (used with `user`).
    public var name: String?

    public init(format: Format, name: String? = nil) {
        self.format = format
        self.name = name
    }

    /// Reads `name_format` and `name` from auditd.conf text (`key = value` lines, `#`
    /// comments; keys and the format's value are case-insensitive, as auditd reads them).
    /// An unknown format reads as `none`, which is what auditd refuses to start with anyway.
    public static func parse(auditdConf bytes: [UInt8]) -> AuditdNodeNaming {
        var naming = AuditdNodeNaming(format: .none)
        for rawLine in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            var line = rawLine[...]
            if let hash = line.firstIndex(of: UInt8(ascii: "#")) { line = line[..<hash] }
            guard let equals = line.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let key = trimmed(line[..<equals]).lowercased()
            let value = trimmed(line[(equals + 1)...])
            switch key {
            case "name_format": naming.format = Format(rawValue: value.lowercased()) ?? .none
            case "name": naming.name = value.isEmpty ? nil : value
            default: continue
            }
        }
        return naming
    }

    /// The node name auditd writes for this host, given what the resolver says; nil when
    /// records carry no node (or the name cannot be told).
    public func nodeName(hostname: String?, canonicalName: String?, numericAddress: String?) -> String? {
        switch format {
        case .none: nil
        case .hostname: hostname.map { String($0.map { $0 == " " ? "_" : $0 }) }
        case .fqd: canonicalName
        case .numeric: numericAddress
        case .user: name
        }
    }

    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> String {
        let blank: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }
        let start = bytes.firstIndex { !blank($0) } ?? bytes.endIndex
        let end = bytes.lastIndex { !blank($0) }.map { $0 + 1 } ?? start
        return start < end ? String(decoding: bytes[start..<end], as: UTF8.self) : ""
    }
}
