/// A byte-level pre-filter in front of libauparse: it assembles the records of BPF events
/// (same node and serial as a BPF record) and of changes to audit itself (CONFIG_CHANGE,
/// auditd's DAEMON_END/ABORT/RESUME; kept with the BPF records), drops everything else (or, in pass-through mode
/// for `--no-prefilter`, hands everything else on at once), and hands libauparse each BPF
/// event only once the event is complete, ending with a PROCTITLE or an EOE record.
///
/// Why the filter decides when an event is complete, not libauparse: the kernel stamps every
/// record of a syscall with the syscall's *entry* time, and other processes' records arrive
/// between an event's records. libauparse completes an event once a record 2 s newer by its
/// stamp arrives, so a slow `bpf()` load (a long verification) would lose its SYSCALL record.
/// Here a BPF event waits for the records of its own (node, serial) until its EOE, or until a
/// bound far larger than any real syscall counted in *arrival* — `liveWaitMilliseconds` of
/// the monotonic clock for live input, `replayWaitRecords` records for replayed logs — and
/// the arrival of other events never completes it (only the memory bounds below can).
///
/// Ordering: an UNLOAD of a program whose LOAD event is still open waits for that LOAD event
/// (a second thread may close the new program's descriptor before `bpf()` returns, so the
/// UNLOAD event can come before the LOAD's SYSCALL record): the engine always sees a
/// program's LOAD before its UNLOAD, with the loader. Live input releases events as they
/// complete; replayed logs (`orderedRelease`) keep arrival order.
///
/// libauparse appends a record by walking its event's list from the head, so an event is
/// handed on in parts of at most `maximumBPFRecordsPerPart` BPF records, each with the
/// event's SYSCALL/PROCTITLE context (and an EOE when it has no PROCTITLE); records of an event other than BPF,
/// SYSCALL and PROCTITLE beyond `maximumContextRecords` are dropped (counted). Everything
/// is bounded: the look-back arenas, `maximumOpenEvents`, `maximumOpenBytes` and
/// `maximumEventBytes` (beyond them the oldest event is completed early, counted).
public struct BPFRecordFilter: Sendable {
    public static let defaultArenaBytes = 128 * 1024
    public static let maximumOpenEvents = 32768
    public static let maximumOpenBytes = 16 << 20
    public static let maximumEventBytes = 4 << 20
    public static let maximumContextRecords = 64
    public static let maximumBPFRecordsPerPart = 256
    /// Pass-through mode: records of one non-BPF event handed to libauparse at most.
    public static let maximumPassedThroughRecordsPerEvent = 1024

    /// How long a live BPF event without EOE waits for more records of its own. The kernel
    /// writes the BPF record inside the syscall and the SYSCALL record at its exit; they
    /// reach the plugin microseconds to milliseconds apart.
    public var liveWaitMilliseconds: UInt64 = 2000
    /// How many records may arrive after a replayed BPF event without EOE before it is
    /// complete (a replayed log has no arrival clock: records stand in for time).
    public var replayWaitRecords: UInt64 = 20_000 {
        didSet { arrivalDeadline = 0 }
    }

    let orderedRelease: Bool
    let passThrough: Bool
    /// Whether SYSCALL records go to libauparse trimmed (`SyscallRecordTrimming`): not in
    /// pass-through mode, the reference that hands libauparse every record whole.
    let trimsSyscallRecords: Bool
    var lookBack: RecordLookBack
    var events = OpenEvents()
    /// Records taken so far (the replay arrival clock).
    var arrivals: UInt64 = 0
    /// Replayed logs: no incomplete event's wait ends before this arrival (the oldest one's
    /// may end later when it has completed since: then the next look sets it again).
    var arrivalDeadline = UInt64.max
    /// Pass-through mode: records handed on per recent (serial) of non-BPF events.
    var passedThroughCounts: [UInt64: Int] = [:]
    var scratch: [UInt8] = []

    /// Records passed on (an event's own EOE counts as passed: libauparse gets an EOE written by
    /// the filter, or none after a PROCTITLE), and records kept from libauparse for good
    /// (counted when the look-back gives them up, or at end of input: the count never goes
    /// back); EOE records the filter added to events that had none.
    public internal(set) var passedRecords: UInt64 = 0
    public internal(set) var droppedRecords: UInt64 = 0
    public internal(set) var addedEOERecords: UInt64 = 0
    /// Events completed before their EOE or wait because a memory bound was reached.
    public internal(set) var forcedCompletions: UInt64 = 0
    /// Records of an event beyond `maximumContextRecords` (or, in pass-through mode,
    /// `maximumPassedThroughRecordsPerEvent`) that were not handed on.
    public internal(set) var trimmedRecords: UInt64 = 0

    /// `passThrough`: records that are not part of a BPF event go to libauparse at once
    /// (`--no-prefilter`); otherwise they are dropped.
    /// `trimsSyscallRecords` (default: unless `passThrough`): see `SyscallRecordTrimming`.
    public init(arenaBytes: Int = BPFRecordFilter.defaultArenaBytes, orderedRelease: Bool = false, passThrough: Bool = false,
                trimsSyscallRecords: Bool? = nil) {
        self.lookBack = RecordLookBack(arenaBytes: arenaBytes)
        self.orderedRelease = orderedRelease
        self.passThrough = passThrough
        self.trimsSyscallRecords = trimsSyscallRecords ?? !passThrough
    }

    /// Receives bytes for libauparse (whole lines). The flag is true for each part of an
    /// event handed on in parts: the caller must feed libauparse each part before the next,
    /// since libauparse releases complete events of equal stamps in no fixed order.
    public typealias Pass = (UnsafeBufferPointer<UInt8>, _ isPart: Bool) -> Void

    /// Whether events wait for completion (a live caller should call `tick` soon).
    public var hasOpenEvents: Bool { !events.isEmpty }

    /// Whether the header's type is the BPF record (type 1334, by name or number).
    public static func isBPFRecord(_ line: UnsafeBufferPointer<UInt8>, _ header: AuditRecordHeader) -> Bool {
        isBPFType(UnsafeBufferPointer(rebasing: line[header.type]))
    }

    private static func isBPFType(_ type: UnsafeBufferPointer<UInt8>) -> Bool {
        ByteSearch.equals(type, "BPF") || ByteSearch.equals(type, "UNKNOWN[1334]")
    }

    /// Whether the record opens an event the plugin needs: a BPF record, or a change to audit
    /// itself (CONFIG_CHANGE; auditd's DAEMON_END, DAEMON_ABORT, DAEMON_RESUME).
    public static func opensEvent(_ line: UnsafeBufferPointer<UInt8>, _ header: AuditRecordHeader) -> Bool {
        let type = UnsafeBufferPointer(rebasing: line[header.type])
        switch type.first {
        case UInt8(ascii: "B"), UInt8(ascii: "U"): return isBPFType(type)
        case UInt8(ascii: "C"): return ByteSearch.equals(type, "CONFIG_CHANGE")
        case UInt8(ascii: "D"):
            return ByteSearch.equals(type, "DAEMON_END") || ByteSearch.equals(type, "DAEMON_ABORT") || ByteSearch.equals(type, "DAEMON_RESUME")
        default: return false
        }
    }

    /// Takes one record line (without newline). `pass` receives bytes for libauparse (lines
    /// with newlines). `now` is the monotonic clock in milliseconds for live input, nil for
    /// replayed logs; it is read only when a BPF event opens, not per record.
    public mutating func process(_ line: UnsafeBufferPointer<UInt8>, _ header: AuditRecordHeader, now: @autoclosure () -> UInt64?,
                                 pass: Pass) {
        arrivals &+= 1
        if !orderedRelease || !events.isEmpty { completeByArrival(pass: pass) }
        let timestamp = header.timestamp
        if Self.opensEvent(line, header) {
            let key = EventKey(serial: timestamp.serial, seconds: timestamp.seconds, node: header.node.map { Array(line[$0]) })
            let program = Self.program(in: line, header)
            let id: UInt64
            if let existing = events.incompleteID(for: key) {
                id = existing
            } else {
                makeRoom(for: line.count, pass: pass)
                id = events.open(key: key, timestamp: timestamp, openedAt: now(), arrival: arrivals)
                arrivalDeadline = min(arrivalDeadline, arrivals.addingSaturated(replayWaitRecords))
                for kept in lookBack.take(serial: key.serial, seconds: key.seconds, node: key.node) {
                    kept.withUnsafeBufferPointer { line in
                        let (type, bodyStart) = Self.recordType(ofLine: line)
                        addRecord(line, type: type, bodyStart: bodyStart, to: id, pass: pass)
                    }
                    passedRecords += 1
                }
            }
            if let (operation, programID) = program {
                if operation == .unload, let load = events.openLoad(of: programID, node: key.node), load != id {
                    events.makeWait(id, for: load)
                }
                if operation == .load { events.noteLoad(of: programID, node: key.node, in: id) }
            }
            passedRecords += 1
            addRecord(line, type: .bpf, bodyStart: header.bodyStart, to: id, pass: pass)
            return
        }

        if let id = events.incompleteID(serial: timestamp.serial, seconds: timestamp.seconds, node: header.node, of: line) {
            let type = UnsafeBufferPointer(rebasing: line[header.type])
            if ByteSearch.equals(type, "EOE") {
                passedRecords += 1
                events.markOwnEOE(id)
                complete(id, pass: pass)
            } else {
                passedRecords += 1
                addRecord(line, type: Self.recordType(of: type), bodyStart: header.bodyStart, to: id, pass: pass)
            }
            return
        }
        if passThrough {
            passOn(line, serial: timestamp.serial, pass: pass)
        } else {
            // Counted as dropped once the look-back gives it up (a later BPF record of its
            // event may still take it): the counter never goes back.
            droppedRecords += UInt64(lookBack.keep(line, serial: timestamp.serial, seconds: timestamp.seconds, node: header.node))
        }
    }

    /// Completes live events that waited `liveWaitMilliseconds` for more records.
    public mutating func tick(now: UInt64, pass: Pass) {
        while let id = events.oldestIncomplete(), let opened = events[id].openedAt,
              now >= opened.addingSaturated(liveWaitMilliseconds) {
            complete(id, pass: pass)
        }
    }

    /// End of input: completes and releases every open event.
    public mutating func finish(pass: Pass) {
        while let id = events.oldestIncomplete() { complete(id, pass: pass) }
        passedThroughCounts.removeAll()
        droppedRecords += UInt64(lookBack.discardAll())
    }

    // MARK: - Records of open events

    enum RecordType { case bpf, syscall, proctitle, other }

    private static func recordType(of type: UnsafeBufferPointer<UInt8>) -> RecordType {
        if ByteSearch.equals(type, "SYSCALL") { return .syscall }
        if ByteSearch.equals(type, "PROCTITLE") { return .proctitle }
        if isBPFType(type) || ByteSearch.equals(type, "CONFIG_CHANGE") { return .bpf }
        return .other
    }

    /// The type and body offset of a kept line (look-back keeps lines only).
    private static func recordType(ofLine line: UnsafeBufferPointer<UInt8>) -> (RecordType, bodyStart: Int) {
        guard let header = AuditRecordHeader.parse(line) else { return (.other, 0) }
        return (recordType(of: UnsafeBufferPointer(rebasing: line[header.type])), header.bodyStart)
    }

    private mutating func addRecord(_ line: UnsafeBufferPointer<UInt8>, type: RecordType, bodyStart: Int, to id: UInt64, pass: Pass) {
        if type == .other && events[id].contextRecordCount >= Self.maximumContextRecords {
            trimmedRecords += 1
            passedRecords -= 1
            droppedRecords += 1
            return
        }
        if events[id].byteCount + line.count + 1 > Self.maximumEventBytes {
            // Pathological (tens of thousands of BPF records in one syscall): hand on what
            // is held, and let the rest form an event of its own.
            forcedCompletions += 1
            let key = events[id].key, timestamp = events[id].timestamp, openedAt = events[id].openedAt
            complete(id, pass: pass)
            let next = events.open(key: key, timestamp: timestamp, openedAt: openedAt, arrival: arrivals)
            arrivalDeadline = min(arrivalDeadline, arrivals.addingSaturated(replayWaitRecords))
            events.append(line, type: type, to: next, trimmingFrom: trimsSyscallRecords ? bodyStart : nil)
            return
        }
        makeRoom(for: line.count, opening: false, excluding: id, pass: pass)
        events.append(line, type: type, to: id, trimmingFrom: trimsSyscallRecords ? bodyStart : nil)
    }

    /// Completes the oldest events while the bounds would be exceeded by `bytes` more (and,
    /// when `opening`, by one more event).
    private mutating func makeRoom(for bytes: Int, opening: Bool = true, excluding kept: UInt64? = nil, pass: Pass) {
        while (opening && events.incompleteCount >= Self.maximumOpenEvents) || events.byteCount + bytes + 1 > Self.maximumOpenBytes,
              let oldest = events.oldestIncomplete(), oldest != kept {
            forcedCompletions += 1
            complete(oldest, pass: pass)
        }
    }

    /// Replayed logs: events that waited `replayWaitRecords` arrivals are complete.
    private mutating func completeByArrival(pass: Pass) {
        guard orderedRelease, arrivals >= arrivalDeadline else { return }
        arrivalDeadline = .max
        while let id = events.oldestIncomplete() {
            let deadline = events[id].openedArrival.addingSaturated(replayWaitRecords)
            guard deadline <= arrivals else {
                arrivalDeadline = deadline
                return
            }
            complete(id, pass: pass)
        }
    }

    /// Marks the event complete and releases what may go: live, the event itself unless it
    /// waits for its program's LOAD event, then the events that waited for it; replayed,
    /// every complete event at the head of arrival order.
    private mutating func complete(_ id: UInt64, pass: Pass) {
        events.markComplete(id)
        if orderedRelease {
            while let head = events.oldest(), events[head].complete { release(head, pass: pass) }
            return
        }
        var ready = [id]
        while let next = ready.popLast() {
            guard events.contains(next), events[next].complete, !events.isWaiting(next) else { continue }
            let waiters = events.waiters(of: next)
            release(next, pass: pass)
            ready += waiters.reversed()
        }
    }

    private mutating func release(_ id: UInt64, pass: Pass) {
        events.markComplete(id)
        if !events.hasOwnEOE(id), !events.endsWithProcessTitle(id) { addedEOERecords += 1 }
        let parts = events.partCount(id, maximumBPFRecordsPerPart: Self.maximumBPFRecordsPerPart)
        for part in 0..<parts {
            events.render(id, part: part, maximumBPFRecordsPerPart: Self.maximumBPFRecordsPerPart, into: &scratch)
            scratch.withUnsafeBufferPointer { pass($0, parts > 1) }
            scratch.removeAll(keepingCapacity: scratch.count <= 1 << 20)
        }
        events.remove(id)
    }

    /// Pass-through mode: a record of no BPF event goes on at once, bounded per event.
    private mutating func passOn(_ line: UnsafeBufferPointer<UInt8>, serial: UInt64, pass: Pass) {
        if passedThroughCounts.count >= 4096 { passedThroughCounts.removeAll(keepingCapacity: true) }
        let count = passedThroughCounts[serial, default: 0]
        guard count < Self.maximumPassedThroughRecordsPerEvent else {
            trimmedRecords += 1
            droppedRecords += 1
            return
        }
        passedThroughCounts[serial] = count + 1
        passedRecords += 1
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: line)
        scratch.append(UInt8(ascii: "\n"))
        scratch.withUnsafeBufferPointer { pass($0, false) }
        scratch.removeAll(keepingCapacity: true)
    }

    // MARK: - BPF record fields

    /// `prog-id=N` and `op=` (or the never-released `event=`) of a BPF record, if readable.
    static func program(in line: UnsafeBufferPointer<UInt8>, _ header: AuditRecordHeader) -> (BPFOperation, UInt32)? {
        let body = UnsafeBufferPointer(rebasing: line[header.bodyStart...])
        // The kernel's form, ` prog-id=N op=OP`, read in order: both are the first occurrences
        // the search below would find (the prog-id's digits hold no space).
        if ByteSearch.matches(" prog-id=", in: body, at: 0) {
            var end = 9
            while end < body.count, body[end] != UInt8(ascii: " "), body[end] != 0x1D { end &+= 1 }
            if ByteSearch.matches(" op=", in: body, at: end), let id = programID(UnsafeBufferPointer(rebasing: body[9..<end])) {
                var opEnd = end &+ 4
                while opEnd < body.count, body[opEnd] != UInt8(ascii: " "), body[opEnd] != 0x1D { opEnd &+= 1 }
                if let operation = BPFOperation(recordBytes: UnsafeBufferPointer(rebasing: body[(end &+ 4)..<opEnd])) {
                    return (operation, id)
                }
            }
        }
        guard let id = value(of: " prog-id=", in: body).flatMap(programID),
              let opText = value(of: " op=", in: body) ?? value(of: " event=", in: body),
              let operation = BPFOperation(recordBytes: opText)
        else { return nil }
        return (operation, id)
    }

    /// A prog-id as `UInt32(String)` reads it: plain digits without a String.
    private static func programID(_ text: UnsafeBufferPointer<UInt8>) -> UInt32? {
        guard !text.isEmpty, text.count <= 10, text.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return UInt32(String(decoding: text, as: UTF8.self))
        }
        let value = text.reduce(UInt64(0)) { $0 &* 10 &+ UInt64($1 &- UInt8(ascii: "0")) }
        return value <= UInt64(UInt32.max) ? UInt32(value) : nil
    }

    /// The value after `key` (up to a space or the ENRICHED separator), at its first occurrence.
    private static func value(of key: StaticString, in body: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8>? {
        guard let found = ByteSearch.firstOffset(of: key, in: body) else { return nil }
        let start = found + key.utf8CodeUnitCount
        var end = start
        while end < body.count, body[end] != UInt8(ascii: " "), body[end] != 0x1D { end += 1 }
        return UnsafeBufferPointer(rebasing: body[start..<end])
    }
}

extension UInt64 {
    /// `self + other`, or `UInt64.max` instead of trapping (bounds computed from input).
    @inlinable public func addingSaturated(_ other: UInt64) -> UInt64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}
