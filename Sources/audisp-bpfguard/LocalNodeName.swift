import BPFGuardCore
import Glibc

/// The node name auditd gives this host's own records, read from auditd.conf and resolved
/// the way auditd resolves it, for when the policy sets no `local_node`.
enum LocalNodeName {
    static let defaultConfPath = "/etc/audit/auditd.conf"

    /// The name and where it came from (for the start-up message).
    static func resolve(confPath: String = defaultConfPath) -> (name: String?, source: String) {
        guard let bytes = try? FileIO.readFile(confPath, limit: 1 << 20) else {
            return (nil, "\(confPath) unreadable: records without node= are this host's")
        }
        let naming = AuditdNodeNaming.parse(auditdConf: bytes)
        guard naming.format != .none else { return (nil, "\(confPath): name_format = none") }
        let host = hostname()
        var canonical: String?, numeric: String?
        if naming.format == .fqd || naming.format == .numeric, let host {
            (canonical, numeric) = resolved(host)
        }
        let name = naming.nodeName(hostname: host, canonicalName: canonical, numericAddress: numeric)
        return (name, "\(confPath): name_format = \(naming.format.rawValue)")
    }

    private static func hostname() -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The canonical name and the first address of `host` (AI_ADDRCONFIG, as auditd asks).
    private static func resolved(_ host: String) -> (canonical: String?, numeric: String?) {
        var hints = addrinfo()
        hints.ai_flags = AI_ADDRCONFIG | AI_CANONNAME
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return (nil, nil) }
        defer { freeaddrinfo(list) }
        let canonical = first.pointee.ai_canonname.map { String(cString: $0) }
        var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        let numeric = getnameinfo(first.pointee.ai_addr, first.pointee.ai_addrlen, &text, socklen_t(text.count), nil, 0, NI_NUMERICHOST) == 0
            ? String(cString: text) : nil
        return (canonical, numeric)
    }
}
