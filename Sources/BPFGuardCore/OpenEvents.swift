/// An audit event the pre-filter has seen a BPF record of: records of one (node, serial).
struct EventKey: Hashable, Sendable {
    var serial: UInt64
    var seconds: UInt64
    var node: [UInt8]?
}

/// One BPF event being assembled, its records sorted for libauparse: BPF records first, then
/// the SYSCALL and other context records, PROCTITLE last (libauparse completes an event
/// whose last record is a PROCTITLE), and an EOE.
struct OpenEvent: Sendable {
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

    var byteCount: Int { bpfLines.count + contextLines.count + proctitleLines.count }

    /// How many parts of at most `maximumBPFRecordsPerPart` BPF records the event is
    /// handed on in.
    func partCount(maximumBPFRecordsPerPart: Int) -> Int {
        max(1, (bpfRecordCount + maximumBPFRecordsPerPart - 1) / maximumBPFRecordsPerPart)
    }

    /// Part `part` of the event's lines for libauparse: its share of the BPF records, the
    /// whole context and an EOE.
    func render(part: Int, maximumBPFRecordsPerPart: Int, into out: inout [UInt8]) {
        var start = 0, lines = 0
        let first = part * maximumBPFRecordsPerPart
        while start < bpfLines.count, lines < first {
            if bpfLines[start] == UInt8(ascii: "\n") { lines += 1 }
            start += 1
        }
        var end = start
        lines = 0
        while end < bpfLines.count, lines < maximumBPFRecordsPerPart {
            if bpfLines[end] == UInt8(ascii: "\n") { lines += 1 }
            end += 1
        }
        out += bpfLines[start..<end]
        out += contextLines
        out += proctitleLines
        if let node = key.node { out += Array("node=".utf8) + node + [UInt8(ascii: " ")] }
        out += Array("type=EOE msg=audit(\(timestamp)):\n".utf8)
    }
}

/// The pre-filter's open events, in arrival order, found by key, by serial and by the
/// programs they load. Removal is lazy in the order list (compacted as it grows).
struct OpenEvents: Sendable {
    private struct LoadKey: Hashable, Sendable {
        var node: [UInt8]?
        var programID: UInt32
    }

    private var table: [UInt64: OpenEvent] = [:]
    private var order: [UInt64] = []
    private var head = 0
    private var incompleteByKey: [EventKey: UInt64] = [:]
    private var incompleteSerials: [UInt64: Int] = [:]
    private var loadsByProgram: [LoadKey: UInt64] = [:]
    private var waitersByID: [UInt64: [UInt64]] = [:]
    private var nextID: UInt64 = 0
    private(set) var byteCount = 0

    var isEmpty: Bool { table.isEmpty }
    var incompleteCount: Int { incompleteByKey.count }

    subscript(id: UInt64) -> OpenEvent { table[id]! }

    func contains(_ id: UInt64) -> Bool { table[id] != nil }

    func incompleteID(for key: EventKey) -> UInt64? { incompleteByKey[key] }

    /// A cheap test before building a key (per record).
    func hasIncomplete(serial: UInt64) -> Bool { incompleteSerials[serial] != nil }

    mutating func open(key: EventKey, timestamp: AuditTimestamp, openedAt: UInt64?, arrival: UInt64) -> UInt64 {
        nextID &+= 1
        let id = nextID
        table[id] = OpenEvent(key: key, timestamp: timestamp, openedAt: openedAt, openedArrival: arrival)
        order.append(id)
        incompleteByKey[key] = id
        incompleteSerials[key.serial, default: 0] += 1
        return id
    }

    mutating func append(_ line: UnsafeBufferPointer<UInt8>, type: BPFRecordFilter.RecordType, to id: UInt64) {
        byteCount += line.count + 1
        switch type {
        case .bpf:
            table[id]!.bpfLines.append(contentsOf: line)
            table[id]!.bpfLines.append(UInt8(ascii: "\n"))
            table[id]!.bpfRecordCount += 1
        case .proctitle:
            table[id]!.proctitleLines.append(contentsOf: line)
            table[id]!.proctitleLines.append(UInt8(ascii: "\n"))
        case .syscall, .other:
            table[id]!.contextLines.append(contentsOf: line)
            table[id]!.contextLines.append(UInt8(ascii: "\n"))
            if type == .other { table[id]!.contextRecordCount += 1 }
        }
    }

    mutating func markOwnEOE(_ id: UInt64) { table[id]!.hasOwnEOE = true }

    /// No more records join the event.
    mutating func markComplete(_ id: UInt64) {
        guard let event = table[id], !event.complete else { return }
        table[id]!.complete = true
        incompleteByKey.removeValue(forKey: event.key)
        if let count = incompleteSerials[event.key.serial], count > 1 {
            incompleteSerials[event.key.serial] = count - 1
        } else {
            incompleteSerials.removeValue(forKey: event.key.serial)
        }
    }

    mutating func noteLoad(of programID: UInt32, node: [UInt8]?, in id: UInt64) {
        loadsByProgram[LoadKey(node: node, programID: programID)] = id
        table[id]!.loads.append(programID)
    }

    /// The open event that loads `programID` on `node`, if any.
    func openLoad(of programID: UInt32, node: [UInt8]?) -> UInt64? {
        loadsByProgram[LoadKey(node: node, programID: programID)]
    }

    mutating func makeWait(_ id: UInt64, for load: UInt64) {
        guard table[id]?.waitsFor == nil else { return }
        table[id]!.waitsFor = load
        waitersByID[load, default: []].append(id)
    }

    /// Whether the event waits for another that is still open.
    func isWaiting(_ id: UInt64) -> Bool {
        guard let load = table[id]?.waitsFor else { return false }
        return table[load] != nil
    }

    func waiters(of id: UInt64) -> [UInt64] { waitersByID[id] ?? [] }

    /// The oldest open event (complete or not).
    mutating func oldest() -> UInt64? {
        while head < order.count, table[order[head]] == nil { head += 1 }
        return head < order.count ? order[head] : nil
    }

    /// The oldest event still taking records.
    mutating func oldestIncomplete() -> UInt64? {
        _ = oldest()
        var index = head
        while index < order.count {
            if let event = table[order[index]], !event.complete { return order[index] }
            index += 1
        }
        return nil
    }

    mutating func remove(_ id: UInt64) -> OpenEvent {
        markComplete(id)
        let event = table.removeValue(forKey: id)!
        byteCount -= event.byteCount
        for programID in event.loads {
            let key = LoadKey(node: event.key.node, programID: programID)
            if loadsByProgram[key] == id { loadsByProgram.removeValue(forKey: key) }
        }
        waitersByID.removeValue(forKey: id)
        if order.count > 1024, order.count > 2 * table.count {
            // Live input releases out of order: drop the removed ids.
            order = order[head...].filter { table[$0] != nil }
            head = 0
        }
        return event
    }
}
