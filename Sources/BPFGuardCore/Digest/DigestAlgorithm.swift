/// A file digest algorithm of a package database: dpkg's md5sums are MD5; an rpm header
/// names its algorithm by an OpenPGP hash number (`FILEDIGESTALGO`, MD5 when absent).
public enum DigestAlgorithm: String, Hashable, Sendable, CaseIterable {
    case md5 = "MD5"
    case sha1 = "SHA-1"
    case sha224 = "SHA-224"
    case sha256 = "SHA-256"
    case sha384 = "SHA-384"
    case sha512 = "SHA-512"

    /// The algorithm of an OpenPGP hash algorithm number (RFC 4880 9.4), as rpm stores it;
    /// nil for the ones rpm never uses for files (RIPEMD-160, MD2, TIGER, HAVAL).
    public init?(openPGPNumber: UInt32) {
        switch openPGPNumber {
        case 1: self = .md5
        case 2: self = .sha1
        case 8: self = .sha256
        case 9: self = .sha384
        case 10: self = .sha512
        case 11: self = .sha224
        default: return nil
        }
    }

    /// Bytes of a digest.
    public var length: Int {
        switch self {
        case .md5: 16
        case .sha1: 20
        case .sha224: 28
        case .sha256: 32
        case .sha384: 48
        case .sha512: 64
        }
    }

    /// The digest of `bytes` in one call.
    public func digest(_ bytes: [UInt8]) -> [UInt8] {
        var digester = Digester(self)
        bytes.withUnsafeBytes { digester.update($0) }
        return digester.finish()
    }
}

/// An incremental digest of one of the `DigestAlgorithm`s: feed chunks, then finish once.
public struct Digester: Sendable {
    private enum Running: Sendable {
        case md5(BlockDigest<MD5State>)
        case sha1(BlockDigest<SHA1State>)
        case sha256(BlockDigest<SHA2State<UInt32>>)
        case sha512(BlockDigest<SHA2State<UInt64>>)
    }

    public let algorithm: DigestAlgorithm
    private var running: Running

    public init(_ algorithm: DigestAlgorithm) {
        self.algorithm = algorithm
        switch algorithm {
        case .md5: running = .md5(BlockDigest(MD5State()))
        case .sha1: running = .sha1(BlockDigest(SHA1State()))
        case .sha224: running = .sha256(BlockDigest(.sha224()))
        case .sha256: running = .sha256(BlockDigest(.sha256()))
        case .sha384: running = .sha512(BlockDigest(.sha384()))
        case .sha512: running = .sha512(BlockDigest(.sha512()))
        }
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        switch running {
        case .md5(var state): state.update(bytes); running = .md5(state)
        case .sha1(var state): state.update(bytes); running = .sha1(state)
        case .sha256(var state): state.update(bytes); running = .sha256(state)
        case .sha512(var state): state.update(bytes); running = .sha512(state)
        }
    }

    public mutating func finish() -> [UInt8] {
        switch running {
        case .md5(var state): state.finish()
        case .sha1(var state): state.finish()
        case .sha256(var state): state.finish()
        case .sha512(var state): state.finish()
        }
    }
}

/// Hexadecimal text of digests, as package databases write them.
public enum HexDigits {
    /// Lower-case hex of `bytes`.
    public static func text(_ bytes: some Sequence<UInt8>) -> String {
        ProgramInfo.tagText(bytes)
    }

    /// The bytes of a hex string (either case), or nil when it is not one.
    public static func bytes(_ text: some Collection<UInt8>) -> [UInt8]? {
        guard text.count % 2 == 0 else { return nil }
        var result: [UInt8] = []
        result.reserveCapacity(text.count / 2)
        var high: UInt8?
        for character in text {
            guard let value = PolicyValueSyntax.hexValue(character) else { return nil }
            if let first = high {
                result.append(first << 4 | value)
                high = nil
            } else {
                high = value
            }
        }
        return result
    }
}
