import Testing
@testable import BPFGuardCore

/// `IncompleteEvents` (the pre-filter's events still taking records) against a plain list
/// doing the same operations: few events (looked through), many (by serial), and the way back.
@Suite struct IncompleteEventsTests {
    typealias Generator = ProgramKeyIndexTests.Generator

    /// A record line `node=N type=BPF …` and the range of its node, as the header gives it.
    static func line(node: [UInt8]?) -> ([UInt8], Range<Int>?) {
        guard let node else { return (Array("type=BPF".utf8), nil) }
        return (Array("node=".utf8) + node + Array(" type=BPF".utf8), 5..<(5 + node.count))
    }

    @Test(arguments: [3, 12, 40])
    func randomOperationsAgreeWithAList(_ open: Int) {
        var events = IncompleteEvents()
        var model: [(id: UInt64, key: EventKey)] = []
        var random = Generator(state: 0x51ED_2701 &+ UInt64(open))
        let nodes: [[UInt8]?] = [nil, Array("a".utf8), Array("host-b".utf8)]
        var nextID: UInt64 = 1
        var sawIndexed = false, sawListedAgain = false
        for _ in 0..<20_000 {
            // Keys from a small space, so that serials and keys repeat: several events of one
            // serial (another node or second) are common.
            let key = EventKey(serial: random.next() % 6, seconds: 100 + random.next() % 2, node: nodes[Int(random.next() % 3)])
            let known = model.first { $0.key == key }
            if random.next() % 2 == 0, known == nil, model.count < open {
                events.insert(nextID, key: key)
                model.append((nextID, key))
                nextID += 1
            } else if let entry = known ?? (model.isEmpty ? nil : model[Int(random.next() % UInt64(model.count))]) {
                events.remove(entry.id, key: entry.key)
                model.removeAll { $0.id == entry.id }
            }
            #expect(events.count == model.count)
            if model.count > IncompleteEvents.listed { sawIndexed = true }
            if sawIndexed, model.count <= 1 { sawListedAgain = true }
            // Every key of the space, open or not, is found as the model has it, both ways.
            for serial in 0..<UInt64(6) {
                for seconds in [UInt64(100), 101] {
                    for node in nodes {
                        let probe = EventKey(serial: serial, seconds: seconds, node: node)
                        let expected = model.first { $0.key == probe }?.id
                        #expect(events.id(for: probe) == expected)
                        let (line, range) = Self.line(node: node)
                        let found = line.withUnsafeBufferPointer { events.id(serial: serial, seconds: seconds, node: range, of: $0) }
                        #expect(found == expected)
                    }
                }
            }
        }
        if open > IncompleteEvents.listed {
            #expect(sawIndexed && sawListedAgain, "the run went beyond the list and back")
        }
    }
}
