/// A byte-level pre-filter in front of libauparse: it keeps the records of BPF events (same
/// serial and node as a BPF record) and drops everything else, so that only the events the
/// plugin needs pay for a full parse; and it hands libauparse each BPF event only once the
/// event is complete, ending with an EOE record.
///
/// Why whole events: libauparse releases events oldest first, so one event that never gets
/// an EOE (a standalone BPF record: its holder was killed, or no audit context) holds back
/// every later event until its end-of-event timeout. Here an event is complete when its EOE
/// arrives; when it has none, after `standaloneTimeout` of the monotonic clock (live input),
/// once a record `recordTimeout` newer by its audit timestamp arrives, or at end of input —
/// and then the filter adds the EOE itself. Live input releases events as they complete;
/// replayed logs (`orderedRelease`) keep arrival order, as libauparse does.
///
/// Records of an event may arrive before its BPF record (and events interleave): a bounded
/// look-back of recent records lets the filter recover them when the BPF record arrives. An
/// UNLOAD of a program whose LOAD event is still open completes that LOAD event first, so
/// the engine always sees a program's LOAD before its UNLOAD.
///
/// Memory is bounded: two look-back arenas of `arenaBytes`, at most `maximumOpenEvents`
/// open events of at most `maximumEventBytes` each (beyond, the oldest is completed).
public struct BPFRecordFilter: Sendable {
    public static let defaultArenaBytes = 128 * 1024
    public static let maximumOpenEvents = 64
    public static let maximumEventBytes = 256 * 1024

    /// How long a live event without EOE may wait for more records. The kernel writes a BPF
    /// record inside the syscall and the SYSCALL record at its exit, microseconds apart.
    public var standaloneTimeoutMilliseconds: UInt64 = 1000
    /// An event without EOE is complete once a record this much newer arrives (libauparse's
    /// end-of-event timeout).
    public var recordTimeoutMilliseconds: UInt64 = 2000

    /// An event the filter has seen a BPF record of.
    private struct EventKey: Equatable {
        var serial: UInt64
        var seconds: UInt64
        var node: [UInt8]?
    }

    private struct OpenEvent {
        var key: EventKey
        var timestamp: AuditTimestamp
        /// Its lines, each with its newline.
        var bytes: [UInt8] = []
        /// (operation, prog-id) of its BPF records, for the LOAD-before-UNLOAD rule.
        var programs: [(BPFOperation, UInt32)] = []
        /// Monotonic milliseconds when it opened (live input).
        var openedAt: UInt64?
        var complete = false
    }

    /// A dropped record kept for look-back.
    private struct Kept {
        var start: Int
        var count: Int
        var serial: UInt64
        var seconds: UInt64
        var node: Range<Int>?
        var consumed = false
    }

    private struct Arena {
        var bytes: [UInt8] = []
        var records: [Kept] = []
    }

    private let arenaBytes: Int
    private let orderedRelease: Bool
    private var current = Arena()
    private var previous = Arena()
    /// Open events in arrival order.
    private var open: [OpenEvent] = []

    /// Records passed on and records dropped; EOE records the filter added.
    public private(set) var passedRecords: UInt64 = 0
    public private(set) var droppedRecords: UInt64 = 0
    public private(set) var addedEOERecords: UInt64 = 0

    public init(arenaBytes: Int = BPFRecordFilter.defaultArenaBytes, orderedRelease: Bool = false) {
        self.arenaBytes = arenaBytes
        self.orderedRelease = orderedRelease
        current.bytes.reserveCapacity(arenaBytes)
        previous.bytes.reserveCapacity(arenaBytes)
    }

    /// Whether events wait for completion (the caller should call `tick` soon).
    public var hasOpenEvents: Bool { !open.isEmpty }

    private static let bpfType = Array("BPF".utf8)
    private static let unknownBPFType = Array("UNKNOWN[1334]".utf8)
    private static let eoeType = Array("EOE".utf8)

    /// Whether the header's type is the BPF record (type 1334, by name or number).
    public static func isBPFRecord(_ line: UnsafeBufferPointer<UInt8>, _ header: AuditRecordHeader) -> Bool {
        let type = UnsafeBufferPointer(rebasing: line[header.type])
        return type.elementsEqual(bpfType) || type.elementsEqual(unknownBPFType)
    }

    /// Takes one record line (without newline). `pass` receives the bytes of complete
    /// events (lines with newlines). `now` is the monotonic clock in milliseconds for live
    /// input, nil for replayed logs; it is read only when a BPF event opens, not per record.
    public mutating func process(_ line: UnsafeBufferPointer<UInt8>, _ header: AuditRecordHeader, now: @autoclosure () -> UInt64?,
                                 pass: (UnsafeBufferPointer<UInt8>) -> Void) {
        if !open.isEmpty { completeByRecordTime(header.timestamp, pass: pass) }
        let serial = header.timestamp.serial
        let seconds = header.timestamp.seconds
        if Self.isBPFRecord(line, header) {
            let key = EventKey(serial: serial, seconds: seconds, node: header.node.map { Array(line[$0]) })
            let program = Self.program(in: line, header)
            if let program, program.0 == .unload {
                completeOpenLoad(of: program.1, node: key.node, except: key, pass: pass)
            }
            let index: Int
            if let existing = open.firstIndex(where: { $0.key == key && !$0.complete }) {
                index = existing
            } else {
                if open.count >= Self.maximumOpenEvents { completeOldest(pass: pass) }
                open.append(OpenEvent(key: key, timestamp: header.timestamp, openedAt: now()))
                index = open.count - 1
                takeKept(matching: key, into: index)
            }
            if let program { open[index].programs.append(program) }
            append(line, to: index, pass: pass)
            return
        }
        if let index = openIndex(serial: serial, seconds: seconds, line: line, header: header) {
            append(line, to: index, pass: pass)
            if UnsafeBufferPointer(rebasing: line[header.type]).elementsEqual(Self.eoeType) {
                complete(at: index, addEOE: false, pass: pass)
            }
            return
        }
        keep(line, header)
    }

    /// Completes live events that waited `standaloneTimeout` for more records.
    public mutating func tick(now: UInt64, pass: (UnsafeBufferPointer<UInt8>) -> Void) {
        var index = 0
        while index < open.count {
            let event = open[index]
            if !event.complete, let opened = event.openedAt, now >= opened + standaloneTimeoutMilliseconds {
                let countBefore = open.count
                complete(at: index, addEOE: true, pass: pass)
                if open.count < countBefore { continue }  // released and removed
            }
            index += 1
        }
    }

    /// End of input: completes and releases every open event.
    public mutating func finish(pass: (UnsafeBufferPointer<UInt8>) -> Void) {
        while let index = open.firstIndex(where: { !$0.complete }) {
            complete(at: index, addEOE: true, pass: pass)
        }
    }

    // MARK: - Open events

    private func openIndex(serial: UInt64, seconds: UInt64, line: UnsafeBufferPointer<UInt8>, header: AuditRecordHeader) -> Int? {
        for index in open.indices where !open[index].complete && open[index].key.serial == serial && open[index].key.seconds == seconds {
            switch (open[index].key.node, header.node) {
            case (nil, nil): return index
            case (let node?, let range?) where UnsafeBufferPointer(rebasing: line[range]).elementsEqual(node): return index
            default: continue
            }
        }
        return nil
    }

    private mutating func append(_ line: UnsafeBufferPointer<UInt8>, to index: Int, pass: (UnsafeBufferPointer<UInt8>) -> Void) {
        passedRecords += 1
        open[index].bytes.append(contentsOf: line)
        open[index].bytes.append(UInt8(ascii: "\n"))
        if open[index].bytes.count > Self.maximumEventBytes { complete(at: index, addEOE: true, pass: pass) }
    }

    /// Marks the event complete (adding its EOE when it has none) and releases what can go.
    private mutating func complete(at index: Int, addEOE: Bool, pass: (UnsafeBufferPointer<UInt8>) -> Void) {
        if addEOE {
            var eoe: [UInt8] = []
            if let node = open[index].key.node { eoe += Array("node=".utf8) + node + [UInt8(ascii: " ")] }
            eoe += Array("type=EOE msg=audit(\(open[index].timestamp)):\n".utf8)
            open[index].bytes += eoe
            addedEOERecords += 1
        }
        open[index].complete = true
        if orderedRelease {
            while let first = open.first, first.complete {
                first.bytes.withUnsafeBufferPointer(pass)
                open.removeFirst()
            }
        } else {
            open[index].bytes.withUnsafeBufferPointer(pass)
            open.remove(at: index)
        }
    }

    private mutating func completeOldest(pass: (UnsafeBufferPointer<UInt8>) -> Void) {
        if let index = open.firstIndex(where: { !$0.complete }) { complete(at: index, addEOE: true, pass: pass) }
    }

    /// Events without EOE are complete once a record `recordTimeout` newer arrives.
    private mutating func completeByRecordTime(_ timestamp: AuditTimestamp, pass: (UnsafeBufferPointer<UInt8>) -> Void) {
        let now = timestamp.totalMilliseconds
        while let index = open.firstIndex(where: { !$0.complete && $0.timestamp.totalMilliseconds + recordTimeoutMilliseconds <= now }) {
            complete(at: index, addEOE: true, pass: pass)
        }
    }

    /// An UNLOAD of `programID` completes the open event that loaded it (its records are all
    /// in: the loader's syscall returned before the program could be closed).
    private mutating func completeOpenLoad(of programID: UInt32, node: [UInt8]?, except key: EventKey, pass: (UnsafeBufferPointer<UInt8>) -> Void) {
        while let index = open.firstIndex(where: { event in
            !event.complete && event.key != key && event.key.node == node
                && event.programs.contains { $0.0 == .load && $0.1 == programID }
        }) {
            complete(at: index, addEOE: true, pass: pass)
        }
    }

    /// `prog-id=N` and `op=` (or the never-released `event=`) of a BPF record, if readable.
    static func program(in line: UnsafeBufferPointer<UInt8>, _ header: AuditRecordHeader) -> (BPFOperation, UInt32)? {
        let body = UnsafeBufferPointer(rebasing: line[header.bodyStart...])
        guard let id = value(of: progIDKey, in: body).flatMap({ UInt32(String(decoding: $0, as: UTF8.self)) }),
              let opText = value(of: opKey, in: body) ?? value(of: eventKey, in: body),
              let operation = BPFOperation(recordValue: String(decoding: opText, as: UTF8.self))
        else { return nil }
        return (operation, id)
    }

    private static let progIDKey = Array(" prog-id=".utf8)
    private static let opKey = Array(" op=".utf8)
    private static let eventKey = Array(" event=".utf8)

    private static func value(of key: [UInt8], in body: UnsafeBufferPointer<UInt8>) -> ArraySlice<UInt8>? {
        guard body.count >= key.count else { return nil }
        var index = 0
        while index + key.count <= body.count {
            if body[index] == key[0], body[index..<(index + key.count)].elementsEqual(key) {
                let start = index + key.count
                var end = start
                while end < body.count, body[end] != UInt8(ascii: " "), body[end] != 0x1D { end += 1 }
                return ArraySlice(body[start..<end])
            }
            index += 1
        }
        return nil
    }

    // MARK: - Look-back

    private mutating func keep(_ line: UnsafeBufferPointer<UInt8>, _ header: AuditRecordHeader) {
        droppedRecords += 1
        if current.bytes.count + line.count > arenaBytes {
            swap(&current, &previous)
            current.bytes.removeAll(keepingCapacity: true)
            current.records.removeAll(keepingCapacity: true)
        }
        guard line.count <= arenaBytes else { return }
        let start = current.bytes.count
        current.bytes.append(contentsOf: line)
        current.records.append(Kept(start: start, count: line.count, serial: header.timestamp.serial,
                                    seconds: header.timestamp.seconds, node: header.node))
    }

    /// Moves the kept records of `key` (in their order) into the open event at `index`.
    private mutating func takeKept(matching key: EventKey, into index: Int) {
        for arena in [0, 1] {
            var records = arena == 0 ? previous.records : current.records
            let bytes = arena == 0 ? previous.bytes : current.bytes
            var changed = false
            for position in records.indices {
                let record = records[position]
                guard !record.consumed, record.serial == key.serial, record.seconds == key.seconds else { continue }
                let line = bytes[record.start..<(record.start + record.count)]
                let matches: Bool
                switch (key.node, record.node) {
                case (nil, nil): matches = true
                case (let node?, let range?): matches = line.dropFirst(range.lowerBound).prefix(range.count).elementsEqual(node)
                default: matches = false
                }
                guard matches else { continue }
                records[position].consumed = true
                changed = true
                open[index].bytes += line
                open[index].bytes.append(UInt8(ascii: "\n"))
                passedRecords += 1
                droppedRecords -= 1
            }
            if changed {
                if arena == 0 { previous.records = records } else { current.records = records }
            }
        }
    }
}
