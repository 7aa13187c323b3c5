/// Programs of this host the program table evicted (it was full) while the kernel may still
/// hold them: their LOAD was seen, so a scan of the kernel's programs must not report them
/// as unannounced. Kept by id with the kernel's load time, bounded like the table (the
/// oldest note goes first), and pruned by each scan to the programs still loaded.
public struct EvictedPrograms: Sendable {
    public private(set) var capacity: Int
    /// Notes dropped to stay within `capacity`: such a program, still loaded, can be
    /// reported unseen.
    public private(set) var overflows: UInt64 = 0
    private var loadTimes: [UInt32: UInt64] = [:]
    /// Notes in the order they were made; an id whose load time changed or that was pruned
    /// is skipped when its turn comes (lazy deletion, compacted as it grows).
    private var order: [(programID: UInt32, loadTime: UInt64)] = []
    private var start = 0

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    public var count: Int { loadTimes.count }

    /// The notes: load time by id.
    public var notes: [UInt32: UInt64] { loadTimes }

    public func contains(programID: UInt32, loadTime: UInt64) -> Bool {
        loadTimes[programID] == loadTime
    }

    /// Notes an evicted program (the kernel has one program per id: a newer note replaces
    /// an older one).
    public mutating func note(programID: UInt32, loadTime: UInt64) {
        loadTimes[programID] = loadTime
        order.append((programID, loadTime))
        trim()
    }

    /// Keeps only the notes `isLoaded` accepts (the programs a scan found still loaded).
    public mutating func keep(where isLoaded: (_ programID: UInt32, _ loadTime: UInt64) -> Bool) {
        loadTimes = loadTimes.filter { isLoaded($0.key, $0.value) }
        compact()
    }

    public mutating func setCapacity(_ newCapacity: Int) {
        capacity = max(1, newCapacity)
        trim()
    }

    private mutating func trim() {
        while loadTimes.count > capacity, start < order.count {
            let oldest = order[start]
            start += 1
            if loadTimes[oldest.programID] == oldest.loadTime {
                loadTimes.removeValue(forKey: oldest.programID)
                overflows &+= 1
            }
        }
        if (start > 64 && start > order.count / 2) || order.count - start > 2 * loadTimes.count + 64 { compact() }
    }

    /// Drops the order's stale and consumed items.
    private mutating func compact() {
        var seen = Set<UInt32>()
        var kept: [(programID: UInt32, loadTime: UInt64)] = []
        // The latest note of each id is the live one; walk from the newest.
        for item in order[start...].reversed() where loadTimes[item.programID] == item.loadTime && seen.insert(item.programID).inserted {
            kept.append(item)
        }
        order = kept.reversed()
        start = 0
    }
}
