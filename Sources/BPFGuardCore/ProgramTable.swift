/// Identifies a live program: prog-ids are per kernel, so per audit node.
public struct ProgramKey: Hashable, Sendable {
    public var node: String?
    public var programID: UInt32

    public init(node: String?, programID: UInt32) {
        self.node = node
        self.programID = programID
    }
}

/// What the LOAD event said about a program.
public struct LoadedProgram: Hashable, Sendable {
    public var loader: ProcessContext?
    public var loadedAt: AuditTimestamp
    /// The kernel's description, looked up at LOAD (or at start-up).
    public var program: ProgramLookup
    public var identity: LoaderIdentity?

    public init(loader: ProcessContext?, loadedAt: AuditTimestamp, program: ProgramLookup = .notDone, identity: LoaderIdentity? = nil) {
        self.loader = loader
        self.loadedAt = loadedAt
        self.program = program
        self.identity = identity
    }
}

/// The programs loaded and not yet unloaded, bounded: inserting beyond `capacity` evicts the
/// oldest entry (by insertion) and counts it.
public struct ProgramTable: Sendable {
    public private(set) var capacity: Int
    public private(set) var evictions: UInt64 = 0

    private var entries: [ProgramKey: (program: LoadedProgram, generation: UInt64)] = [:]
    /// Insertion order with lazy deletion: a key whose generation no longer matches the
    /// entry's has been removed or replaced. Compacted when it grows to twice the live count.
    private var order: [(key: ProgramKey, generation: UInt64)] = []
    private var orderStart = 0
    private var nextGeneration: UInt64 = 0

    public init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    public var count: Int { entries.count }

    /// Size of the insertion-order index, stale entries included (bounded by compaction).
    var orderedKeyCount: Int { order.count }

    public func program(for key: ProgramKey) -> LoadedProgram? { entries[key]?.program }

    /// Records a LOAD; a second LOAD of the same key replaces the first.
    public mutating func insert(_ program: LoadedProgram, for key: ProgramKey) {
        nextGeneration += 1
        entries[key] = (program, nextGeneration)
        order.append((key, nextGeneration))
        evictOverflow()
        compactIfNeeded()
    }

    /// Records an UNLOAD: returns and forgets the program.
    public mutating func remove(_ key: ProgramKey) -> LoadedProgram? {
        let removed = entries.removeValue(forKey: key)?.program
        compactIfNeeded()
        return removed
    }

    /// Changes the bound (on policy reload); shrinking evicts the oldest entries.
    public mutating func setCapacity(_ newCapacity: Int) {
        precondition(newCapacity > 0)
        capacity = newCapacity
        evictOverflow()
        compactIfNeeded()
    }

    private mutating func evictOverflow() {
        while entries.count > capacity, orderStart < order.count {
            let oldest = order[orderStart]
            orderStart += 1
            if entries[oldest.key]?.generation == oldest.generation {
                entries.removeValue(forKey: oldest.key)
                evictions += 1
            }
        }
    }

    private mutating func compactIfNeeded() {
        let pending = order.count - orderStart
        guard order.count > 64, pending > 2 * entries.count || orderStart > order.count / 2 else { return }
        order = order[orderStart...].filter { entries[$0.key]?.generation == $0.generation }
        orderStart = 0
    }
}
