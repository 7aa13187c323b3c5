/// A byte-level pre-filter in front of libauparse: passes the BPF records and the records
/// that share their event (same serial and node), and drops everything else, so that only
/// the events the plugin needs pay for a full parse.
///
/// Records of an event may arrive before its BPF record (and events may interleave): the
/// filter keeps a bounded look-back of recent records and, when a BPF record arrives, first
/// passes the earlier records of its event, in their original order. Memory is bounded: the
/// look-back is two arenas of `arenaBytes` each, and at most `maximumOpenEvents` events are
/// followed at once.
public struct BPFRecordFilter: Sendable {
    public static let defaultArenaBytes = 128 * 1024
    public static let maximumOpenEvents = 64

    /// An event the filter has seen a BPF record of: its later records pass too.
    private struct EventKey: Equatable {
        var serial: UInt64
        var seconds: UInt64
        var node: [UInt8]?
    }

    /// A dropped record kept for look-back.
    private struct Kept {
        var start: Int
        var count: Int
        var serial: UInt64
        var seconds: UInt64
        /// Node name range within the kept line, if any.
        var node: Range<Int>?
        var consumed = false
    }

    private struct Arena {
        var bytes: [UInt8] = []
        var records: [Kept] = []
    }

    private let arenaBytes: Int
    private var current = Arena()
    private var previous = Arena()
    private var open: [EventKey] = []

    /// Records passed on and records dropped.
    public private(set) var passedRecords: UInt64 = 0
    public private(set) var droppedRecords: UInt64 = 0

    public init(arenaBytes: Int = BPFRecordFilter.defaultArenaBytes) {
        self.arenaBytes = arenaBytes
        current.bytes.reserveCapacity(arenaBytes)
        previous.bytes.reserveCapacity(arenaBytes)
    }

    private static let bpfType = Array("BPF".utf8)
    private static let unknownBPFType = Array("UNKNOWN[1334]".utf8)
    private static let eoeType = Array("EOE".utf8)

    /// Whether the header's type is the BPF record (type 1334, by name or number).
    public static func isBPFRecord(_ line: UnsafeBufferPointer<UInt8>, _ header: AuditRecordHeader) -> Bool {
        let type = UnsafeBufferPointer(rebasing: line[header.type])
        return type.elementsEqual(bpfType) || type.elementsEqual(unknownBPFType)
    }

    /// Takes one record line; calls `pass` with the lines to hand on (earlier records of
    /// the event first, then this one), or keeps it for look-back.
    public mutating func process(_ line: UnsafeBufferPointer<UInt8>, _ header: AuditRecordHeader, pass: (UnsafeBufferPointer<UInt8>) -> Void) {
        let serial = header.timestamp.serial
        let seconds = header.timestamp.seconds
        if Self.isBPFRecord(line, header) {
            let key = EventKey(serial: serial, seconds: seconds, node: header.node.map { Array(line[$0]) })
            if !open.contains(key) {
                passKept(matching: key, pass: pass)
                if open.count == Self.maximumOpenEvents { open.removeFirst() }
                open.append(key)
            }
            passedRecords += 1
            pass(line)
            return
        }
        if let index = openIndex(serial: serial, seconds: seconds, line: line, header: header) {
            passedRecords += 1
            pass(line)
            if UnsafeBufferPointer(rebasing: line[header.type]).elementsEqual(Self.eoeType) { open.remove(at: index) }
            return
        }
        keep(line, header)
    }

    private func openIndex(serial: UInt64, seconds: UInt64, line: UnsafeBufferPointer<UInt8>, header: AuditRecordHeader) -> Int? {
        for index in open.indices where open[index].serial == serial && open[index].seconds == seconds {
            switch (open[index].node, header.node) {
            case (nil, nil): return index
            case (let node?, let range?) where UnsafeBufferPointer(rebasing: line[range]).elementsEqual(node): return index
            default: continue
            }
        }
        return nil
    }

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

    private mutating func passKept(matching key: EventKey, pass: (UnsafeBufferPointer<UInt8>) -> Void) {
        Self.passKept(in: &previous, matching: key, passed: &passedRecords, dropped: &droppedRecords, pass: pass)
        Self.passKept(in: &current, matching: key, passed: &passedRecords, dropped: &droppedRecords, pass: pass)
    }

    private static func passKept(in arena: inout Arena, matching key: EventKey, passed: inout UInt64, dropped: inout UInt64, pass: (UnsafeBufferPointer<UInt8>) -> Void) {
        for index in arena.records.indices {
            let record = arena.records[index]
            guard !record.consumed, record.serial == key.serial, record.seconds == key.seconds else { continue }
            let matches = arena.bytes.withUnsafeBufferPointer { bytes -> Bool in
                let line = UnsafeBufferPointer(rebasing: bytes[record.start..<(record.start + record.count)])
                switch (key.node, record.node) {
                case (nil, nil): return true
                case (let node?, let range?): return UnsafeBufferPointer(rebasing: line[range]).elementsEqual(node)
                default: return false
                }
            }
            guard matches else { continue }
            arena.records[index].consumed = true
            arena.bytes.withUnsafeBufferPointer { bytes in
                pass(UnsafeBufferPointer(rebasing: bytes[record.start..<(record.start + record.count)]))
            }
            passed += 1
            dropped -= 1
        }
    }
}
