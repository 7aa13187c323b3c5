/// `/var/lib/dpkg/diversions`: what `dpkg-divert` set up, three lines per diversion — the
/// path a package would install (`from`), where other packages' file of that name goes
/// instead (`to`), and the package that made the diversion (`:` for a local one, made by
/// the administrator). The diverting package's own file stays at `from`.
public struct DpkgDiversions: Sendable {
    public struct Diversion: Hashable, Sendable {
        public var from: [UInt8]
        public var to: [UInt8]
        /// nil for a local diversion.
        public var package: String?
    }

    public private(set) var diversions: [Diversion] = []
    private var byFrom: [[UInt8]: Int] = [:]
    private var byTo: [[UInt8]: Int] = [:]

    public init() {}

    /// Parses the file; an incomplete last diversion is ignored.
    public init(parsing bytes: [UInt8]) {
        var lines: [[UInt8]] = []
        for line in ByteLines(bytes: bytes) {
            lines.append(Array(line))
            guard lines.count == 3 else { continue }
            let package = lines[2] == [UInt8(ascii: ":")] ? nil : String(decoding: lines[2], as: UTF8.self)
            let diversion = Diversion(from: lines[0], to: lines[1], package: package)
            byFrom[diversion.from] = diversions.count
            byTo[diversion.to] = diversions.count
            diversions.append(diversion)
            lines.removeAll()
        }
    }

    /// The diversion that sends other packages' `path` elsewhere.
    public func diversion(from path: [UInt8]) -> Diversion? {
        byFrom[path].map { diversions[$0] }
    }

    /// The diversion whose destination is `path`.
    public func diversion(to path: [UInt8]) -> Diversion? {
        byTo[path].map { diversions[$0] }
    }
}
