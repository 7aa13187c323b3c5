import Testing
@testable import BPFGuardCore

/// `ProgramKeyIndex` (the program table's open-addressing index) against a `Dictionary`
/// doing the same operations.
@Suite struct ProgramKeyIndexTests {
    /// A small deterministic generator (xorshift), so that a failure repeats.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
    }

    @Test(arguments: [16, 600, 5000])
    func randomOperationsAgreeWithADictionary(_ keySpace: UInt64) {
        var index = ProgramKeyIndex()
        var model: [UInt64: UInt32] = [:]
        var random = Generator(state: 0x9E37_79B9_7F4A_7C15 &+ keySpace)
        var removedPresent = 0
        for step in 0..<200_000 {
            // Keys packed as the table packs them: a node reference above a prog-id.
            let key = (random.next() % 3) << 32 | (random.next() % keySpace)
            switch random.next() % 10 {
            case 0..<5:
                let slot = UInt32(truncatingIfNeeded: step)
                #expect(index.updateValue(slot, forKey: key) == model.updateValue(slot, forKey: key))
            case 5..<8:
                let removed = index.removeValue(forKey: key)
                if removed != nil { removedPresent += 1 }
                #expect(removed == model.removeValue(forKey: key))
            default:
                #expect(index[key] == model[key])
            }
            #expect(index.count == model.count)
        }
        // Every key, present or not, is found as the model has it after all the churn.
        for node in 0..<UInt64(3) {
            for id in 0..<keySpace {
                let key = node << 32 | id
                #expect(index[key] == model[key])
            }
        }
        #expect(removedPresent > 1000, "deletions of present keys were exercised (\(removedPresent))")
    }

    @Test func itGrowsAndEmptiesWithoutLosingAKey() {
        var index = ProgramKeyIndex()
        for id in 0..<UInt64(100_000) { #expect(index.updateValue(UInt32(id), forKey: id) == nil) }
        #expect(index.count == 100_000)
        #expect(index[99_999] == 99_999)
        #expect(index[100_000] == nil)
        for id in stride(from: UInt64(0), to: 100_000, by: 2) { index.removeValue(forKey: id) }
        #expect(index.count == 50_000)
        for id in 0..<UInt64(100_000) where index[id] != (id % 2 == 1 ? UInt32(id) : nil) {
            Issue.record("key \(id) is \(String(describing: index[id]))")
            break
        }
        for id in 0..<UInt64(100_000) { index.removeValue(forKey: id) }
        #expect(index.count == 0)
        #expect(index[1] == nil)
    }
}
