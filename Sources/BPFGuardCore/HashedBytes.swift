/// A byte string as a dictionary or set key, hashed in one call over its bytes.
///
/// `[UInt8]`'s own `hash(into:)` feeds the hasher one byte at a time; on a BPF-dense stream
/// every event looks up its loader's strings (interning in the program table, the policy's
/// sets of executables), and that byte-by-byte hashing was one of the plugin's largest costs.
/// Equality is the bytes' equality.
struct HashedBytes: Hashable, Sendable {
    var bytes: [UInt8]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}
