/// Recent records the pre-filter dropped, kept so that the records of an event that arrive
/// before its BPF record can be recovered when it does. Two arenas of `arenaBytes` in turn:
/// memory is bounded and old records fall out as new ones come.
///
/// A bitmap of the serials each arena holds lets a new BPF event skip the scan when its
/// serial was not seen (a flood of BPF events would otherwise scan both arenas each time).
struct RecordLookBack: Sendable {
    private struct Kept: Sendable {
        var start: Int
        var count: Int
        var serial: UInt64
        var seconds: UInt64
        var node: Range<Int>?
        var consumed = false
    }

    private struct Arena: Sendable {
        var bytes: [UInt8] = []
        var records: [Kept] = []
        var serials = [UInt64](repeating: 0, count: RecordLookBack.bitmapWords)

        mutating func clear() {
            bytes.removeAll(keepingCapacity: true)
            records.removeAll(keepingCapacity: true)
            for index in serials.indices { serials[index] = 0 }
        }

        func mayHold(_ serial: UInt64) -> Bool {
            let bit = Int(truncatingIfNeeded: serial) & (RecordLookBack.bitmapWords * 64 - 1)
            return serials[bit >> 6] & (1 << UInt64(bit & 63)) != 0
        }

        mutating func note(_ serial: UInt64) {
            let bit = Int(truncatingIfNeeded: serial) & (RecordLookBack.bitmapWords * 64 - 1)
            serials[bit >> 6] |= 1 << UInt64(bit & 63)
        }
    }

    static let bitmapWords = 64

    private let arenaBytes: Int
    private var current = Arena()
    private var previous = Arena()

    init(arenaBytes: Int) {
        self.arenaBytes = arenaBytes
        current.bytes.reserveCapacity(arenaBytes)
        previous.bytes.reserveCapacity(arenaBytes)
    }

    /// Keeps a dropped record; returns how many records are given up for good now (those of
    /// the arena that is cleared that no BPF event took, or this line when it cannot be kept).
    mutating func keep(_ line: UnsafeBufferPointer<UInt8>, serial: UInt64, seconds: UInt64, node: Range<Int>?) -> Int {
        var givenUp = 0
        if current.bytes.count + line.count > arenaBytes {
            swap(&current, &previous)
            givenUp = current.records.count { !$0.consumed }
            current.clear()
        }
        guard line.count <= arenaBytes else { return givenUp + 1 }
        let start = current.bytes.count
        current.bytes.append(contentsOf: line)
        current.records.append(Kept(start: start, count: line.count, serial: serial, seconds: seconds, node: node))
        current.note(serial)
        return givenUp
    }

    /// End of input: every record still kept is given up; returns how many.
    mutating func discardAll() -> Int {
        let givenUp = previous.records.count { !$0.consumed } + current.records.count { !$0.consumed }
        previous.clear()
        current.clear()
        return givenUp
    }

    /// Takes the kept records of (serial, seconds, node), oldest first.
    mutating func take(serial: UInt64, seconds: UInt64, node: [UInt8]?) -> [[UInt8]] {
        var taken: [[UInt8]] = []
        take(from: &previous, serial: serial, seconds: seconds, node: node, into: &taken)
        take(from: &current, serial: serial, seconds: seconds, node: node, into: &taken)
        return taken
    }

    private func take(from arena: inout Arena, serial: UInt64, seconds: UInt64, node: [UInt8]?, into taken: inout [[UInt8]]) {
        guard arena.mayHold(serial) else { return }
        for position in arena.records.indices {
            let record = arena.records[position]
            guard !record.consumed, record.serial == serial, record.seconds == seconds else { continue }
            let line = arena.bytes[record.start..<(record.start + record.count)]
            let matches: Bool
            switch (node, record.node) {
            case (nil, nil): matches = true
            case (let node?, let range?): matches = line.dropFirst(range.lowerBound).prefix(range.count).elementsEqual(node)
            default: matches = false
            }
            guard matches else { continue }
            arena.records[position].consumed = true
            taken.append(Array(line))
        }
    }
}
