/// Interned byte strings with reference counts: the program table stores a 4-byte reference
/// instead of each loader's `exe`, `comm`, … (shared by many programs), and a string is
/// freed when the last program that uses it is gone.
struct ByteStringPool: Sendable {
    /// Reference 0 means "no string".
    private var strings: [[UInt8]] = [[]]
    private var counts: [UInt32] = [0]
    private var indexByBytes: [HashedBytes: UInt32] = [:]
    private var free: [UInt32] = []

    var count: Int { indexByBytes.count }

    /// A reference to `bytes` (0 for nil), counted once more.
    mutating func retain(_ bytes: [UInt8]?) -> UInt32 {
        guard let bytes else { return 0 }
        if let reference = indexByBytes[HashedBytes(bytes)] {
            counts[Int(reference)] += 1
            return reference
        }
        let reference: UInt32
        if let reused = free.popLast() {
            reference = reused
            strings[Int(reused)] = bytes
            counts[Int(reused)] = 1
        } else {
            reference = UInt32(strings.count)
            strings.append(bytes)
            counts.append(1)
        }
        indexByBytes[HashedBytes(bytes)] = reference
        return reference
    }

    /// Counts a reference once less; the string is dropped at zero.
    mutating func release(_ reference: UInt32) {
        guard reference != 0 else { return }
        let index = Int(reference)
        counts[index] -= 1
        if counts[index] == 0 {
            indexByBytes.removeValue(forKey: HashedBytes(strings[index]))
            strings[index] = []
            free.append(reference)
        }
    }

    /// The reference of `bytes` if the pool holds it (not counted).
    func reference(of bytes: [UInt8]) -> UInt32? {
        indexByBytes[HashedBytes(bytes)]
    }

    func bytes(_ reference: UInt32) -> [UInt8]? {
        reference == 0 ? nil : strings[Int(reference)]
    }
}
