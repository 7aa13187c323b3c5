/// The fold groups recent alerts joined, found again by the *identity* of their key values:
/// a loader string that is the very array a recent alert had (the extractor hands one array
/// out for a repeated value), and labels, nodes and program types that are equal strings.
///
/// Why: in a flood nearly every alert joins the open window of a recent one, and finding it
/// hashed the alert's key values (the label, the executable's path…) and compared them byte
/// by byte with the group's. Here a repeated key costs a few compares. A remembered group is
/// used only while its slot holds it (`FoldGroups.generation`), and an entry keeps its arrays
/// alive, so an equal address means the same bytes. Keys with other values (numbers, lists)
/// are not remembered: they take the hashed path.
struct FoldGroupMemo {
    private struct Entry {
        var readings: [FieldReading] = []
        var slot: Int32 = -1
        var generation: UInt32 = 0
    }

    private var entries = [Entry](repeating: Entry(), count: FoldGroupMemo.size)
    private static let size = 16

    /// The entry `readings` would be kept in, or nil when they cannot be remembered.
    private static func index(of readings: [FieldReading]) -> Int? {
        var mix: UInt = 0
        for reading in readings {
            switch reading {
            case .text(let text?): mix = mix &* 31 &+ UInt(text.utf8.count)
            case .text(nil), .bytes(nil): mix = mix &* 31 &+ 1
            case .bytes(let bytes?): mix = mix &* 31 &+ (bytes.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } >> 4)
            case .value: return nil
            }
        }
        return Int(truncatingIfNeeded: mix ^ (mix >> 7)) & (size - 1)
    }

    /// The slot and generation remembered for these readings, if any.
    func group(for readings: [FieldReading]) -> (slot: Int32, generation: UInt32)? {
        guard let index = Self.index(of: readings) else { return nil }
        let entry = entries[index]
        guard entry.slot >= 0, entry.readings.count == readings.count else { return nil }
        for position in readings.indices where !entry.readings[position].isSame(as: readings[position]) { return nil }
        return (entry.slot, entry.generation)
    }

    /// Remembers the group these readings belong to.
    mutating func remember(_ readings: [FieldReading], slot: Int32, generation: UInt32) {
        guard let index = Self.index(of: readings) else { return }
        entries[index] = Entry(readings: readings, slot: slot, generation: generation)
    }
}

extension FieldReading {
    /// The same value for the memo: equal strings, or the very same array.
    func isSame(as other: FieldReading) -> Bool {
        switch (self, other) {
        case (.text(let a), .text(let b)): return a == b
        case (.bytes(nil), .bytes(nil)): return true
        case (.bytes(let a?), .bytes(let b?)):
            return a.count == b.count
                && a.withUnsafeBufferPointer { first in b.withUnsafeBufferPointer { first.baseAddress == $0.baseAddress } }
        default: return false
        }
    }
}
