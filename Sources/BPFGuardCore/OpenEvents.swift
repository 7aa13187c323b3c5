/// One BPF event being assembled, its records sorted for libauparse: BPF records first, then
/// the SYSCALL and other context records, PROCTITLE last, and an EOE only when there is no
/// PROCTITLE. libauparse completes an event at once when its last record is a PROCTITLE (an
/// EOE after it would open an event of its own, parsed and thrown away: a quarter of the
/// records of a BPF-dense stream).
struct OpenEvent: Sendable {
    /// Its id in `OpenEvents`; `OpenEvents.unknownID` in a free slot.
    var id: UInt64
    var key: EventKey
    var timestamp: AuditTimestamp
    /// Monotonic milliseconds when it opened (live input).
    var openedAt: UInt64?
    /// The filter's arrival count when it opened (replayed input).
    var openedArrival: UInt64
    var bpfLines: [UInt8] = []
    var bpfRecordCount = 0
    var contextLines: [UInt8] = []
    /// Context records other than SYSCALL and PROCTITLE.
    var contextRecordCount = 0
    var proctitleLines: [UInt8] = []
    var complete = false
    var hasOwnEOE = false
    /// The open event holding this event's program's LOAD, which must be released first.
    var waitsFor: UInt64?
    /// prog-ids this event loads.
    var loads: [UInt32] = []
    /// Open events that wait for this one (their UNLOAD of a program it loads).
    var waiters: [UInt64] = []

    var byteCount: Int { bpfLines.count + contextLines.count + proctitleLines.count }

    /// How many parts of at most `maximumBPFRecordsPerPart` BPF records the event is
    /// handed on in.
    func partCount(maximumBPFRecordsPerPart: Int) -> Int {
        max(1, (bpfRecordCount + maximumBPFRecordsPerPart - 1) / maximumBPFRecordsPerPart)
    }

    /// Whether the event's parts end with a PROCTITLE record, which completes them (no EOE).
    var endsWithProcessTitle: Bool { !proctitleLines.isEmpty }

    /// Part `part` of the event's lines for libauparse: its share of the BPF records, the
    /// whole context and, unless a PROCTITLE ends it, an EOE.
    /// (Read through a pointer to the event in its slot: no copy of it.)
    static func render(_ event: UnsafePointer<OpenEvent>, part: Int, maximumBPFRecordsPerPart: Int, into out: inout [UInt8]) {
        out.reserveCapacity(out.count + event.pointee.byteCount + 64 + (event.pointee.key.node?.count ?? 0))
        if event.pointee.bpfRecordCount > maximumBPFRecordsPerPart {
            let start = offset(ofLine: part * maximumBPFRecordsPerPart, in: event.pointee.bpfLines, from: 0)
            let end = offset(ofLine: maximumBPFRecordsPerPart, in: event.pointee.bpfLines, from: start)
            out += event.pointee.bpfLines[start..<end]
        } else {
            out += event.pointee.bpfLines
        }
        out += event.pointee.contextLines
        if event.pointee.endsWithProcessTitle {
            out += event.pointee.proctitleLines
            return
        }
        if let node = event.pointee.key.node {
            append("node=", to: &out)
            out += node
            out.append(UInt8(ascii: " "))
        }
        append("type=EOE msg=audit(", to: &out)
        event.pointee.timestamp.appendText(to: &out)
        append("):\n", to: &out)
    }

    private static func append(_ literal: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// The offset just past the `lines`-th newline after `start` (the end when there are fewer).
    private static func offset(ofLine lines: Int, in bytes: [UInt8], from start: Int) -> Int {
        var index = start, seen = 0
        while index < bytes.count, seen < lines {
            if bytes[index] == UInt8(ascii: "\n") { seen += 1 }
            index += 1
        }
        return index
    }

    /// Empties the event for reuse of its slot, keeping small buffers (no allocation for
    /// the next event of a flood).
    mutating func clear(keepingBuffers: Bool) {
        let keep = keepingBuffers && bpfLines.capacity <= Self.keptBufferBytes && contextLines.capacity <= Self.keptBufferBytes
            && proctitleLines.capacity <= Self.keptBufferBytes
        if keep {
            // Only what holds something (each call checks the buffer's uniqueness).
            if !bpfLines.isEmpty { bpfLines.removeAll(keepingCapacity: true) }
            if !contextLines.isEmpty { contextLines.removeAll(keepingCapacity: true) }
            if !proctitleLines.isEmpty { proctitleLines.removeAll(keepingCapacity: true) }
        } else {
            bpfLines = []
            contextLines = []
            proctitleLines = []
        }
        if !loads.isEmpty { loads.removeAll(keepingCapacity: keep && loads.capacity <= 64) }
        if !waiters.isEmpty { waiters.removeAll() }
        bpfRecordCount = 0
        contextRecordCount = 0
        complete = false
        hasOwnEOE = false
        waitsFor = nil
        key.node = nil
    }

    /// The largest buffer a free slot keeps.
    static let keptBufferBytes = 4096
}

/// The pre-filter's open events, in arrival order, found by key, by serial and by the
/// programs they load. Removal is lazy in the order list (compacted as it grows).
///
/// Events live in slots of an array, and an event's id names its slot (low 32 bits) and
/// its opening (high 32 bits), so that reaching an event is an array access, not a hash
/// lookup; a freed slot keeps its small buffers for the next event. On a BPF-dense stream
/// every record reaches several events' fields, and a dictionary of events was the
/// filter's largest cost.
struct OpenEvents: Sendable {
    private struct LoadKey: Hashable, Sendable {
        var node: [UInt8]?
        var programID: UInt32

        func hash(into hasher: inout Hasher) {
            hasher.combine(programID)
            if let node { node.withUnsafeBytes { hasher.combine(bytes: $0) } } else { hasher.combine(-1) }
        }
    }

    private static let unknownID: UInt64 = 0
    /// Slots that keep their buffers when freed (the freed slot is reused first, so a flood
    /// of events cycles through a few of them).
    private static let slotsKeepingBuffers = 64

    private var slots: [OpenEvent] = []
    private var freeSlots: [Int] = []
    private var order: [UInt64] = []
    private var head = 0
    private var incomplete = IncompleteEvents()
    var incompleteCount: Int { incomplete.count }
    /// The event opened last: the records that follow a BPF record are nearly always its
    /// own, and they find it here without hashing (checked: it may have completed since).
    private var lastOpened = OpenEvents.unknownID
    /// The open events' LOADs by program, kept only while many events or loads are open:
    /// below that, an UNLOAD looks through the open events' loads (nearly always one event
    /// with one load), and a flood of loads pays no hashing for an index it never reads.
    private var loadsByProgram: [LoadKey: UInt64] = [:]
    private var loadsIndexed = false
    /// prog-ids noted in the open events.
    private var openLoadCount = 0
    /// Beyond these, `loadsByProgram` is kept (a look through the open events stays cheap).
    private static let eventsLookedThrough = 8
    private static let loadsLookedThrough = 64
    private var openings: UInt32 = 0
    private(set) var count = 0
    private(set) var byteCount = 0

    var isEmpty: Bool { count == 0 }

    subscript(id: UInt64) -> OpenEvent {
        _read { yield slots[Self.slot(of: id)] }
    }

    private static func slot(of id: UInt64) -> Int { Int(truncatingIfNeeded: id & 0xFFFF_FFFF) }

    func contains(_ id: UInt64) -> Bool {
        let slot = Self.slot(of: id)
        return id != Self.unknownID && slot < slots.count && slots[slot].id == id
    }

    func incompleteID(for key: EventKey) -> UInt64? { incomplete.id(for: key) }

    /// The incomplete event of the record with this stamp and node, if any.
    func incompleteID(serial: UInt64, seconds: UInt64, node: Range<Int>?, of line: UnsafeBufferPointer<UInt8>) -> UInt64? {
        // No open event, no lookup (most records of ordinary traffic).
        guard incomplete.count > 0 else { return nil }
        let last = Self.slot(of: lastOpened)
        if last < slots.count, slots[last].id == lastOpened, !slots[last].complete, slots[last].key.serial == serial,
           slots[last].key.seconds == seconds, slots[last].key.hasNode(node, of: line) {
            return lastOpened
        }
        return incomplete.id(serial: serial, seconds: seconds, node: node, of: line)
    }

    mutating func open(key: EventKey, timestamp: AuditTimestamp, openedAt: UInt64?, arrival: UInt64) -> UInt64 {
        openings &+= 1
        if openings == 0 { openings = 1 }
        let id: UInt64
        if let slot = freeSlots.popLast() {
            // A freed slot, with its buffers when it kept them.
            id = UInt64(openings) << 32 | UInt64(slot)
            slots[slot].id = id
            slots[slot].key = key
            slots[slot].timestamp = timestamp
            slots[slot].openedAt = openedAt
            slots[slot].openedArrival = arrival
        } else {
            id = UInt64(openings) << 32 | UInt64(slots.count)
            slots.append(OpenEvent(id: id, key: key, timestamp: timestamp, openedAt: openedAt, openedArrival: arrival))
        }
        count += 1
        order.append(id)
        if !loadsIndexed, count > Self.eventsLookedThrough { indexLoads() }
        lastOpened = id
        incomplete.insert(id, key: key)
        return id
    }

    /// `trimmingFrom`: the body of a SYSCALL record to trim (`SyscallRecordTrimming`), nil to keep it whole.
    mutating func append(_ line: UnsafeBufferPointer<UInt8>, type: BPFRecordFilter.RecordType, to id: UInt64, trimmingFrom bodyStart: Int? = nil) {
        let slot = Self.slot(of: id)
        if type == .syscall, let bodyStart {
            let before = slots[slot].contextLines.count
            SyscallRecordTrimming.append(line, bodyStart: bodyStart, to: &slots[slot].contextLines)
            byteCount += slots[slot].contextLines.count - before
            return
        }
        byteCount += line.count + 1
        switch type {
        case .bpf:
            slots[slot].bpfLines.append(contentsOf: line)
            slots[slot].bpfLines.append(UInt8(ascii: "\n"))
            slots[slot].bpfRecordCount += 1
        case .proctitle:
            slots[slot].proctitleLines.append(contentsOf: line)
            slots[slot].proctitleLines.append(UInt8(ascii: "\n"))
        case .syscall, .other:
            slots[slot].contextLines.append(contentsOf: line)
            slots[slot].contextLines.append(UInt8(ascii: "\n"))
            if type == .other { slots[slot].contextRecordCount += 1 }
        }
    }

    mutating func markOwnEOE(_ id: UInt64) { slots[Self.slot(of: id)].hasOwnEOE = true }

    /// Whether the event had an EOE of its own; whether its parts end with a PROCTITLE; in how
    /// many parts it goes (read in its slot: no copy of the event).
    func hasOwnEOE(_ id: UInt64) -> Bool { slots[Self.slot(of: id)].hasOwnEOE }
    func endsWithProcessTitle(_ id: UInt64) -> Bool { slots[Self.slot(of: id)].endsWithProcessTitle }
    func partCount(_ id: UInt64, maximumBPFRecordsPerPart: Int) -> Int {
        slots[Self.slot(of: id)].partCount(maximumBPFRecordsPerPart: maximumBPFRecordsPerPart)
    }

    /// `OpenEvent.render` of the event, in its slot.
    func render(_ id: UInt64, part: Int, maximumBPFRecordsPerPart: Int, into out: inout [UInt8]) {
        // In place: `slots[i].render(…)` copied the whole event (its five arrays) first.
        slots.withUnsafeBufferPointer { buffer in
            OpenEvent.render(buffer.baseAddress! + Self.slot(of: id), part: part, maximumBPFRecordsPerPart: maximumBPFRecordsPerPart, into: &out)
        }
    }

    /// No more records join the event.
    mutating func markComplete(_ id: UInt64) {
        guard contains(id), !self[id].complete else { return }
        let slot = Self.slot(of: id)
        slots[slot].complete = true
        incomplete.remove(slots[slot].id, key: slots[slot].key)
    }

    mutating func noteLoad(of programID: UInt32, node: [UInt8]?, in id: UInt64) {
        slots[Self.slot(of: id)].loads.append(programID)
        openLoadCount += 1
        if loadsIndexed {
            loadsByProgram[LoadKey(node: node, programID: programID)] = id
        } else if openLoadCount > Self.loadsLookedThrough {
            indexLoads()
        }
    }

    /// The open event that loads `programID` on `node`, if any (the latest noted one).
    func openLoad(of programID: UInt32, node: [UInt8]?) -> UInt64? {
        if loadsIndexed { return loadsByProgram[LoadKey(node: node, programID: programID)] }
        guard openLoadCount > 0 else { return nil }
        var index = order.count
        while index > head {
            index -= 1
            let id = order[index], slot = Self.slot(of: id)
            if contains(id), slots[slot].loads.contains(programID), slots[slot].key.node == node { return id }
        }
        return nil
    }

    /// Starts keeping `loadsByProgram`, from the open events' loads in arrival order.
    private mutating func indexLoads() {
        loadsIndexed = true
        for id in order[head...] where contains(id) {
            let slot = Self.slot(of: id)
            for programID in slots[slot].loads { loadsByProgram[LoadKey(node: slots[slot].key.node, programID: programID)] = id }
        }
    }

    mutating func makeWait(_ id: UInt64, for load: UInt64) {
        guard contains(id), self[id].waitsFor == nil else { return }
        slots[Self.slot(of: id)].waitsFor = load
        if contains(load) { slots[Self.slot(of: load)].waiters.append(id) }
    }

    /// Whether the event waits for another that is still open.
    func isWaiting(_ id: UInt64) -> Bool {
        guard contains(id), let load = self[id].waitsFor else { return false }
        return contains(load)
    }

    func waiters(of id: UInt64) -> [UInt64] { contains(id) ? self[id].waiters : [] }

    /// The oldest open event (complete or not).
    mutating func oldest() -> UInt64? {
        while head < order.count, !contains(order[head]) { head += 1 }
        if head == order.count, head > 0 {
            order.removeAll(keepingCapacity: order.count <= 4096)
            head = 0
        }
        return head < order.count ? order[head] : nil
    }

    /// The oldest event still taking records.
    mutating func oldestIncomplete() -> UInt64? {
        _ = oldest()
        var index = head
        while index < order.count {
            let id = order[index]
            if contains(id), !self[id].complete { return id }
            index += 1
        }
        return nil
    }

    /// Forgets the event (its slot keeps small buffers for the next one).
    mutating func remove(_ id: UInt64) {
        markComplete(id)
        let slot = Self.slot(of: id)
        byteCount -= slots[slot].byteCount
        openLoadCount -= slots[slot].loads.count
        if loadsIndexed {
            for index in slots[slot].loads.indices {
                let key = LoadKey(node: slots[slot].key.node, programID: slots[slot].loads[index])
                if let position = loadsByProgram.index(forKey: key), loadsByProgram.values[position] == id {
                    loadsByProgram.remove(at: position)
                }
            }
        }
        count -= 1
        if loadsIndexed, count <= Self.eventsLookedThrough, openLoadCount <= Self.loadsLookedThrough {
            loadsByProgram.removeAll()
            loadsIndexed = false
        }
        slots[slot].id = Self.unknownID
        slots[slot].clear(keepingBuffers: slot < Self.slotsKeepingBuffers)
        freeSlots.append(slot)
        if order.count > 1024, order.count > 2 * count {
            // Live input releases out of order: drop the removed ids.
            order = order[head...].filter { contains($0) }
            head = 0
        }
    }
}
