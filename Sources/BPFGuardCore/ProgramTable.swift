/// Identifies a live program: prog-ids are per kernel, so per audit node. The kernel has at
/// most one program per id at a time, so the table too; since ids are reused once the
/// kernel's counter wraps, the load time the kernel lookup gave at LOAD (in the program's
/// description) tells whether the kernel's program with that id now is still the same one
/// (`TrackedProgram.isSameProgram`).
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
    /// With identity proc: how many processes held the program when it was recovered.
    public var holders: UInt32?
    /// The loader's package, trust and container at LOAD (nil without lookups).
    public var facts: LoaderFacts?

    public init(loader: ProcessContext?, loadedAt: AuditTimestamp, program: ProgramLookup = .notDone, identity: LoaderIdentity? = nil,
                holders: UInt32? = nil, facts: LoaderFacts? = nil) {
        self.loader = loader
        self.loadedAt = loadedAt
        self.program = program
        self.identity = identity
        self.holders = holders
        self.facts = facts
    }
}

/// The programs loaded and not yet unloaded, bounded: inserting beyond `capacity` evicts the
/// oldest entry (by insertion) and counts it. Programs whose LOAD the policy allowed are
/// evicted before those it alerted on: a flood of allowed loads must not push a suspicious
/// program out and hide its short life.
///
/// Compact, since a host may hold many programs (issue 5: 100,000 live programs in a few
/// megabytes): each entry is a fixed-size record in chunks of 4096 (no large reallocation
/// as the table grows), the loader's strings and the node are interned with reference
/// counts, and the kernel's description of a program (plugin mode only) is kept aside.
public struct ProgramTable: Sendable {
    public private(set) var capacity: Int
    /// Evictions of programs whose LOAD was allowed, and of programs it alerted on.
    public private(set) var allowedEvictions: UInt64 = 0
    public private(set) var alertedEvictions: UInt64 = 0
    public var evictions: UInt64 { allowedEvictions + alertedEvictions }

    /// A loader, without heap storage: numbers, and references into the string pool.
    private struct StoredProcess {
        var uid: UInt32 = 0, auid: UInt32 = 0, euid: UInt32 = 0, gid: UInt32 = 0
        var pid: UInt32 = 0, ppid: UInt32 = 0, ses: UInt32 = 0
        var tty: UInt32 = 0, comm: UInt32 = 0, exe: UInt32 = 0, key: UInt32 = 0, syscall: UInt32 = 0, cmdline: UInt32 = 0
        /// Bit per number field that is present (uid … ses), and bit 7: a loader at all.
        var present: UInt8 = 0
    }

    private struct Entry {
        var key: UInt64 = 0
        var loader = StoredProcess()
        var loadedMilliseconds: UInt64 = 0
        var serial: UInt64 = 0
        var node: UInt32 = 0
        var generation: UInt32 = 0
        /// 0 when unknown (a recovered loader has at least one holder). Placed here, it
        /// fits the entry's padding (the stride stays 96 bytes).
        var holders: UInt32 = 0
        /// The identity's code (bits 0-6) and bit 7: its persist alert was raised.
        var identity: UInt8 = 0
        /// The loader facts: `StoredFacts`.
        var facts = StoredFacts()
        var hasDescription = false
        var occupied = false
        var alerted = false
    }

    /// Insertion order of one eviction class, with lazy deletion: a slot whose generation no
    /// longer matches has been removed or reused. Compacted when it grows to twice the live count.
    private struct InsertionOrder: Sendable {
        var items: [(slot: UInt32, generation: UInt32)] = []
        var start = 0
        var pending: Int { items.count - start }
    }

    private static let chunkSize = 4096
    private var chunks: [[Entry]] = []
    private var freeSlots: [UInt32] = []
    private var slotByKey = ProgramKeyIndex()
    private var strings = ByteStringPool()
    /// Kernel descriptions (found, gone, failed) by slot; absent for `.notDone`.
    private var descriptions: [UInt32: ProgramLookup] = [:]
    /// Insertion order of allowed and of alerted programs.
    private var allowedOrder = InsertionOrder()
    private var alertedOrder = InsertionOrder()
    private var alertedCount = 0
    private var nextGeneration: UInt32 = 0
    /// Programs evicted while the kernel may still hold them: their LOAD was seen, so a
    /// scan must not take them for unannounced ones.
    var evictedPrograms: EvictedPrograms

    private static let persistReportedBit: UInt8 = 0x80

    public init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        self.evictedPrograms = EvictedPrograms(capacity: capacity)
    }

    public var count: Int { slotByKey.count }

    /// Size of the insertion-order indexes, stale entries included (bounded by compaction).
    var orderedKeyCount: Int { allowedOrder.items.count + alertedOrder.items.count }

    /// Distinct strings held for the live programs (bounded by them).
    var internedStringCount: Int { strings.count }

    public func program(for key: ProgramKey) -> LoadedProgram? {
        guard let reference = nodeReference(key.node), let slot = slotByKey[Self.packed(reference, key.programID)] else { return nil }
        return loadedProgram(at: slot)
    }

    /// Records a LOAD; a second LOAD of the same key replaces the first. `alerted`: the policy
    /// alerted on the LOAD (such programs are evicted last).
    public mutating func insert(_ program: LoadedProgram, for key: ProgramKey, alerted: Bool = false) {
        let node = strings.retain(key.node.map { Array($0.utf8) })
        let packedKey = Self.packed(node, key.programID)
        nextGeneration &+= 1
        var entry = Entry()
        entry.key = packedKey
        entry.node = node
        entry.loader = store(program.loader)
        entry.loadedMilliseconds = program.loadedAt.totalMilliseconds
        entry.serial = program.loadedAt.serial
        entry.generation = nextGeneration
        entry.identity = Self.code(program.identity)
        entry.holders = program.holders ?? 0
        entry.facts = StoredFacts(program.facts, strings: &strings)
        entry.occupied = true
        entry.alerted = alerted
        let slot = allocateSlot()
        if program.program != .notDone {
            entry.hasDescription = true
            descriptions[slot] = program.program
        }
        self[slot] = entry
        // One probe of the key index: the program a second LOAD of the key replaces comes
        // back from the update (a lookup, then an insert, cost two probes of a large table).
        if let replaced = slotByKey.updateValue(slot, forKey: packedKey) { release(slot: replaced, keepingKey: true) }
        if alerted {
            alertedOrder.items.append((slot, nextGeneration))
            alertedCount += 1
        } else {
            allowedOrder.items.append((slot, nextGeneration))
        }
        evictOverflow()
        compactIfNeeded()
    }

    /// Records an UNLOAD: returns and forgets the program.
    public mutating func remove(_ key: ProgramKey) -> LoadedProgram? {
        guard let reference = nodeReference(key.node), let slot = slotByKey[Self.packed(reference, key.programID)] else { return nil }
        let program = loadedProgram(at: slot)
        release(slot: slot)
        compactIfNeeded()
        return program
    }

    /// Changes the bound (on policy reload); shrinking evicts the oldest entries.
    public mutating func setCapacity(_ newCapacity: Int) {
        precondition(newCapacity > 0)
        capacity = newCapacity
        evictedPrograms.setCapacity(newCapacity)
        evictOverflow()
        compactIfNeeded()
    }

    // MARK: - Slots

    private subscript(slot: UInt32) -> Entry {
        get { chunks[Int(slot) / Self.chunkSize][Int(slot) % Self.chunkSize] }
        set { chunks[Int(slot) / Self.chunkSize][Int(slot) % Self.chunkSize] = newValue }
    }

    private mutating func allocateSlot() -> UInt32 {
        if let slot = freeSlots.popLast() { return slot }
        if chunks.isEmpty || chunks[chunks.count - 1].count == Self.chunkSize {
            var chunk: [Entry] = []
            chunk.reserveCapacity(Self.chunkSize)
            chunks.append(chunk)
        }
        chunks[chunks.count - 1].append(Entry())
        return UInt32((chunks.count - 1) * Self.chunkSize + chunks[chunks.count - 1].count - 1)
    }

    /// `keepingKey`: the key's index entry already names another slot (a replacing LOAD).
    private mutating func release(slot: UInt32, keepingKey: Bool = false) {
        let entry = self[slot]
        guard entry.occupied else { return }
        if !keepingKey { slotByKey.removeValue(forKey: entry.key) }
        // One call each (a loop over an array of them cost an allocation per release).
        strings.release(entry.loader.tty)
        strings.release(entry.loader.comm)
        strings.release(entry.loader.exe)
        strings.release(entry.loader.key)
        strings.release(entry.loader.syscall)
        strings.release(entry.loader.cmdline)
        strings.release(entry.node)
        strings.release(entry.facts.package)
        if entry.hasDescription { descriptions.removeValue(forKey: slot) }
        if entry.alerted { alertedCount -= 1 }
        self[slot] = Entry()
        freeSlots.append(slot)
    }

    private mutating func evictOverflow() {
        while slotByKey.count > capacity {
            if evictOldest(alerted: false) {
                allowedEvictions += 1
            } else if evictOldest(alerted: true) {
                alertedEvictions += 1
            } else {
                break
            }
        }
    }

    /// Evicts the oldest live entry of one class; false when it has none.
    private mutating func evictOldest(alerted: Bool) -> Bool {
        var order = alerted ? alertedOrder : allowedOrder
        defer { if alerted { alertedOrder = order } else { allowedOrder = order } }
        while order.start < order.items.count {
            let oldest = order.items[order.start]
            order.start += 1
            let entry = self[oldest.slot]
            if entry.occupied && entry.generation == oldest.generation {
                if entry.hasDescription, case .found(let info) = descriptions[oldest.slot] {
                    evictedPrograms.note(programID: UInt32(truncatingIfNeeded: entry.key), loadTime: info.loadTimeNanoseconds)
                }
                release(slot: oldest.slot)
                return true
            }
        }
        return false
    }

    private mutating func compactIfNeeded() {
        allowedOrder = compacted(allowedOrder, live: slotByKey.count - alertedCount)
        alertedOrder = compacted(alertedOrder, live: alertedCount)
    }

    private func compacted(_ order: InsertionOrder, live: Int) -> InsertionOrder {
        guard order.items.count > 64, order.pending > 2 * live || order.start > order.items.count / 2 else { return order }
        var kept: [(slot: UInt32, generation: UInt32)] = []
        kept.reserveCapacity(live)
        for item in order.items[order.start...] {
            let entry = self[item.slot]
            if entry.occupied && entry.generation == item.generation { kept.append(item) }
        }
        return InsertionOrder(items: kept, start: 0)
    }

    // MARK: - Conversions

    private static func packed(_ node: UInt32, _ programID: UInt32) -> UInt64 {
        UInt64(node) << 32 | UInt64(programID)
    }

    private func nodeReference(_ node: String?) -> UInt32? {
        guard let node else { return 0 }
        return strings.reference(of: Array(node.utf8))
    }

    private mutating func store(_ process: ProcessContext?) -> StoredProcess {
        var stored = StoredProcess()
        guard let process else { return stored }
        stored.present = 1 << 7
        // One field at a time (an array of the seven numbers cost an allocation per LOAD).
        stored.uid = Self.number(process.uid, bit: 0, into: &stored.present)
        stored.auid = Self.number(process.auid, bit: 1, into: &stored.present)
        stored.euid = Self.number(process.euid, bit: 2, into: &stored.present)
        stored.gid = Self.number(process.gid, bit: 3, into: &stored.present)
        stored.pid = Self.number(process.pid, bit: 4, into: &stored.present)
        stored.ppid = Self.number(process.ppid, bit: 5, into: &stored.present)
        stored.ses = Self.number(process.ses, bit: 6, into: &stored.present)
        let strings = process.strings
        stored.tty = self.strings.retain(strings.tty)
        stored.comm = self.strings.retain(strings.comm)
        stored.exe = self.strings.retain(strings.exe)
        stored.key = self.strings.retain(strings.key)
        stored.syscall = self.strings.retain(strings.syscall)
        stored.cmdline = self.strings.retain(strings.cmdline)
        return stored
    }

    /// A number field as stored: its value (0 when absent) and its bit in `present`.
    private static func number(_ value: UInt32?, bit: UInt8, into present: inout UInt8) -> UInt32 {
        guard let value else { return 0 }
        present |= 1 << bit
        return value
    }

    private func process(_ stored: StoredProcess) -> ProcessContext? {
        guard stored.present & 1 << 7 != 0 else { return nil }
        func number(_ bit: UInt8, _ value: UInt32) -> UInt32? { stored.present & 1 << bit != 0 ? value : nil }
        return ProcessContext(
            uid: number(0, stored.uid), auid: number(1, stored.auid), euid: number(2, stored.euid), gid: number(3, stored.gid),
            pid: number(4, stored.pid), ppid: number(5, stored.ppid), ses: number(6, stored.ses),
            tty: strings.bytes(stored.tty), comm: strings.bytes(stored.comm), exe: strings.bytes(stored.exe),
            key: strings.bytes(stored.key), syscall: strings.bytes(stored.syscall), cmdline: strings.bytes(stored.cmdline)
        )
    }

    private func loadedProgram(at slot: UInt32) -> LoadedProgram? {
        let entry = self[slot]
        guard entry.occupied else { return nil }
        let loadedAt = AuditTimestamp(seconds: entry.loadedMilliseconds / 1000, milliseconds: UInt32(entry.loadedMilliseconds % 1000), serial: entry.serial)
        return LoadedProgram(loader: process(entry.loader), loadedAt: loadedAt,
                             program: entry.hasDescription ? descriptions[slot] ?? .notDone : .notDone,
                             identity: Self.identity(entry.identity), holders: entry.holders == 0 ? nil : entry.holders,
                             facts: entry.facts.facts(strings: strings))
    }

    private static let identities: [LoaderIdentity?] = [nil, .audit, .proc, .kernel, LoaderIdentity.none]

    private static func code(_ identity: LoaderIdentity?) -> UInt8 {
        UInt8(identities.firstIndex(of: identity) ?? 0)
    }

    private static func identity(_ code: UInt8) -> LoaderIdentity? {
        let index = Int(code & ~persistReportedBit)
        return index < identities.count ? identities[index] : nil
    }

    // MARK: - Reconciliation with the kernel

    /// The live programs of the given nodes (this host's: none and its own name), without
    /// their strings: what a scan of the kernel's programs is reconciled with.
    public func trackedPrograms(nodes: [String?]) -> [TrackedProgram] {
        let references = nodes.compactMap { nodeReference($0) }
        var tracked: [TrackedProgram] = []
        for (chunkIndex, chunk) in chunks.enumerated() {
            for (index, entry) in chunk.enumerated() where entry.occupied && references.contains(entry.node) {
                tracked.append(trackedProgram(entry, slot: UInt32(chunkIndex * Self.chunkSize + index)))
            }
        }
        return tracked
    }

    /// The live program with `programID` on one of `nodes`, if the table has one.
    public func trackedProgram(_ programID: UInt32, nodes: [String?]) -> TrackedProgram? {
        for node in nodes {
            if let reference = nodeReference(node), let slot = slotByKey[Self.packed(reference, programID)] {
                return trackedProgram(self[slot], slot: slot)
            }
        }
        return nil
    }

    /// Notes that the program's persist alert was raised (each program gets one). False
    /// when the table no longer has it.
    @discardableResult
    public mutating func markPersistReported(_ key: ProgramKey) -> Bool {
        guard let reference = nodeReference(key.node), let slot = slotByKey[Self.packed(reference, key.programID)] else { return false }
        self[slot].identity |= Self.persistReportedBit
        return true
    }

    private func trackedProgram(_ entry: Entry, slot: UInt32) -> TrackedProgram {
        var loadTime: TrackedProgram.KernelLoadTime = .unknown
        if entry.hasDescription {
            switch descriptions[slot] {
            case .found(let info): loadTime = .at(info.loadTimeNanoseconds)
            case .gone: loadTime = .goneAtLoad
            default: break
            }
        }
        let node = entry.node == 0 ? nil : strings.bytes(entry.node).map { String(decoding: $0, as: UTF8.self) }
        return TrackedProgram(
            key: ProgramKey(node: node, programID: UInt32(truncatingIfNeeded: entry.key)), kernelLoadTime: loadTime,
            loaderPID: entry.loader.present & (1 << 7 | 1 << 4) == (1 << 7 | 1 << 4) ? entry.loader.pid : nil,
            identity: Self.identity(entry.identity), persistReported: entry.identity & Self.persistReportedBit != 0)
    }
}
