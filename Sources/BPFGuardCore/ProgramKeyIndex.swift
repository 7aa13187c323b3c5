/// The program table's index from a packed key (node reference, prog-id) to the slot of its
/// entry: open addressing with linear probing, each key beside its slot.
///
/// Why not a `Dictionary`: at the table's bound (65,536 programs by default) the index is
/// far larger than the caches, and a flood of loads touches it twice per LOAD (the insert,
/// which also finds the program it replaces, and the eviction of the oldest). Swift's
/// dictionary keeps its keys and its values in separate arrays, so each of those missed the
/// cache two or three times; here an operation reads one 16-byte bucket and, rarely, its
/// neighbours on the same cache line. On the BPF-dense benchmark the table's size alone cost
/// a tenth of the plugin's time (issue 10, section 3).
///
/// The kernel numbers programs in sequence, so a flood loads ids N, N+1, N+2… and evicts the
/// ids loaded 65,536 earlier in the same order. The keys of a run of 16 ids (the key without
/// its four low bits) are placed by the standard library's hash, seeded per process, so that
/// input cannot choose keys that collide beyond a run; within a run the low bits follow on
/// (`home = hash(key >> 4) + key & 15`), so that consecutive ids share cache lines. The
/// bucket's place is kept in it, so that growing and deleting never hash again. At most three
/// quarters of the buckets are used, as in Swift's dictionary (the default bound of 65,536
/// programs, plus the one inserted before the oldest is evicted, fills half of 131,072
/// buckets: 2 MiB), and deletion shifts the following entries back (no tombstones: lookups
/// never slow down with churn).
struct ProgramKeyIndex: Sendable {
    private struct Bucket: Sendable {
        var key: UInt64 = 0
        var slot: UInt32 = 0
        /// The key's hash with the top bit set; 0: an empty bucket.
        var tag: UInt32 = 0
    }

    private var buckets = [Bucket](repeating: Bucket(), count: ProgramKeyIndex.initialBuckets)
    private var mask = ProgramKeyIndex.initialBuckets - 1
    private(set) var count = 0

    private static let initialBuckets = 64
    private static let usedBit: UInt32 = 0x8000_0000

    /// Ids of one run of consecutive keys placed side by side.
    private static let runBits: UInt64 = 4

    private static func tag(of key: UInt64) -> UInt32 {
        let run = UInt32(truncatingIfNeeded: (key >> runBits).hashValue)
        return (run &+ UInt32(truncatingIfNeeded: key & ((1 << runBits) - 1))) | usedBit
    }

    private func home(_ tag: UInt32) -> Int { Int(tag & ~Self.usedBit) & mask }

    /// The slot of `key`, if it is indexed.
    subscript(key: UInt64) -> UInt32? {
        let tag = Self.tag(of: key)
        var index = home(tag)
        while buckets[index].tag != 0 {
            if buckets[index].tag == tag, buckets[index].key == key { return buckets[index].slot }
            index = (index &+ 1) & mask
        }
        return nil
    }

    /// Indexes `key` at `slot`; returns the slot it had before, if any.
    mutating func updateValue(_ slot: UInt32, forKey key: UInt64) -> UInt32? {
        if (count &+ 1) &* 4 > buckets.count &* 3 { grow() }
        let tag = Self.tag(of: key)
        var index = home(tag)
        while buckets[index].tag != 0 {
            if buckets[index].tag == tag, buckets[index].key == key {
                let previous = buckets[index].slot
                buckets[index].slot = slot
                return previous
            }
            index = (index &+ 1) & mask
        }
        buckets[index] = Bucket(key: key, slot: slot, tag: tag)
        count &+= 1
        return nil
    }

    /// Forgets `key`; returns its slot, if it was indexed.
    @discardableResult
    mutating func removeValue(forKey key: UInt64) -> UInt32? {
        let tag = Self.tag(of: key)
        var index = home(tag)
        while buckets[index].tag != 0 {
            if buckets[index].tag == tag, buckets[index].key == key {
                let slot = buckets[index].slot
                closeHole(at: index)
                count &-= 1
                return slot
            }
            index = (index &+ 1) & mask
        }
        return nil
    }

    /// Empties bucket `hole`, moving back each following entry of the run whose probe
    /// started at or before the hole (it would no longer be found past an empty bucket).
    private mutating func closeHole(at start: Int) {
        var hole = start
        var next = (start &+ 1) & mask
        while buckets[next].tag != 0 {
            let wanted = home(buckets[next].tag)
            // Stays when its home lies cyclically in (hole, next].
            let stays = hole <= next ? (hole < wanted && wanted <= next) : (hole < wanted || wanted <= next)
            if !stays {
                buckets[hole] = buckets[next]
                hole = next
            }
            next = (next &+ 1) & mask
        }
        buckets[hole] = Bucket()
    }

    /// Twice the buckets, every entry placed again by its kept hash.
    private mutating func grow() {
        let old = buckets
        buckets = [Bucket](repeating: Bucket(), count: old.count &* 2)
        mask = buckets.count &- 1
        for bucket in old where bucket.tag != 0 {
            var index = home(bucket.tag)
            while buckets[index].tag != 0 { index = (index &+ 1) & mask }
            buckets[index] = bucket
        }
    }
}
