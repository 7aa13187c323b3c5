/// Interned byte strings with reference counts: the program table stores a 4-byte reference
/// instead of each loader's `exe`, `comm`, … (shared by many programs), and a string is
/// freed when the last program that uses it is gone.
///
/// A string retained again in the very storage the pool keeps (the extractor hands out one
/// array per repeated value) is found by that storage's address, without hashing its bytes:
/// in a flood of loads every event retains its loader's strings.
struct ByteStringPool: Sendable {
    /// Reference 0 means "no string".
    private var strings: [[UInt8]] = [[]]
    private var counts: [UInt32] = [0]
    private var indexByBytes: [HashedBytes: UInt32] = [:]
    private var free: [UInt32] = []
    /// References of recently retained strings, by their storage's address: sets of two,
    /// the last found first. (One entry per address slot made strings whose addresses met
    /// in a slot push each other out: a quarter of a flood's retains hashed their bytes.)
    private var recent = [UInt32](repeating: 0, count: 2 * ByteStringPool.recentSets)

    private static let recentSets = 512

    var count: Int { indexByBytes.count }

    /// A reference to `bytes` (0 for nil), counted once more.
    mutating func retain(_ bytes: [UInt8]?) -> UInt32 {
        guard let bytes else { return 0 }
        let first = 2 &* Self.recentSet(of: bytes)
        for way in 0..<2 {
            let candidate = recent[first &+ way]
            // Equal addresses and counts: the same storage (the pool keeps it alive), so the same bytes.
            if candidate != 0, counts[Int(candidate)] > 0, Self.sameStorage(strings[Int(candidate)], bytes) {
                counts[Int(candidate)] += 1
                if way == 1 { recent.swapAt(first, first &+ 1) }
                return candidate
            }
        }
        let reference = retainByValue(bytes)
        recent[first &+ 1] = recent[first]
        recent[first] = reference
        return reference
    }

    private mutating func retainByValue(_ bytes: [UInt8]) -> UInt32 {
        if let reference = indexByBytes[HashedBytes(bytes)] {
            counts[Int(reference)] += 1
            // Keep the newest storage, so that the next retain of it is found by address.
            strings[Int(reference)] = bytes
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

    private static func recentSet(of bytes: [UInt8]) -> Int {
        let address = UInt64(bytes.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) })
        return Int(truncatingIfNeeded: ((address >> 4) &* 0x9E37_79B9_7F4A_7C15) >> 40) & (recentSets - 1)
    }

    private static func sameStorage(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.count == b.count
            && a.withUnsafeBufferPointer { first in b.withUnsafeBufferPointer { second in first.baseAddress == second.baseAddress } }
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
