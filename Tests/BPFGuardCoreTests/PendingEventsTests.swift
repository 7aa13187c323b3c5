import Testing
@testable import BPFGuardCore

/// The ordered wait of events behind LOADs whose loader is recovered from /proc: input
/// order kept, bounded waits, every request counted once.
@Suite struct PendingEventsTests {
    static let enrichment = Engine.Enrichment(program: .gone)
    static let holder = RecoveredLoader(process: process(uid: 1000, pid: 4242, comm: "agent", exe: "/opt/agent"), holders: 2)

    static func ids(_ released: [PendingEvents.Released]) -> [UInt32] { released.map(\.event.programID) }

    /// Every request ends as exactly one outcome.
    static func balanced(_ statistics: LoaderRecoveryStatistics) -> Bool {
        statistics.requests == statistics.recovered + statistics.notFound + statistics.timedOut + statistics.shed
    }

    @Test func eventsBehindAWaitingLoadWaitInOrder() {
        var pending = PendingEvents(capacity: 10)
        let token = pending.nextToken
        pending.append(load(1, by: nil), enrichment: Self.enrichment, recovery: .waiting(deadline: 1500))
        pending.append(load(2), enrichment: Self.enrichment, recovery: .notNeeded)
        pending.append(unload(2), enrichment: Self.enrichment, recovery: .notNeeded)
        #expect(pending.releaseReady(now: 1000).isEmpty, "the head waits, and so does everything behind it")
        #expect(pending.headDeadline == 1500)
        pending.answer(token: token, with: Self.holder)
        let released = pending.releaseReady(now: 1001)
        #expect(Self.ids(released) == [1, 2, 2])
        #expect(released.map(\.event.operation) == [.load, .load, .unload])
        #expect(released[0].enrichment?.recoveredLoader == Self.holder.process)
        #expect(released[0].enrichment?.holders == 2)
        #expect(released[0].enrichment?.program == .gone, "the program lookup made at arrival is kept")
        #expect(released[1].enrichment?.recoveredLoader == nil)
        #expect(pending.isEmpty)
        #expect(pending.statistics.requests == 1)
        #expect(pending.statistics.recovered == 1)
        #expect(Self.balanced(pending.statistics))
    }

    @Test func aHeadWaitsUntilItsDeadlineThenGoesOnWithoutALoader() {
        var pending = PendingEvents(capacity: 10)
        let first = pending.nextToken
        pending.append(load(1, by: nil), enrichment: Self.enrichment, recovery: .waiting(deadline: 500))
        let second = pending.nextToken
        pending.append(load(2, by: nil), enrichment: Self.enrichment, recovery: .waiting(deadline: 600))
        pending.answer(token: second, with: nil)
        #expect(pending.releaseReady(now: 499).isEmpty, "an answered event still waits behind its head")
        let released = pending.releaseReady(now: 500)
        #expect(Self.ids(released) == [1, 2])
        #expect(released[0].enrichment?.recoveredLoader == nil)
        pending.answer(token: first, with: Self.holder)  // too late: ignored
        #expect(pending.statistics.timedOut == 1)
        #expect(pending.statistics.notFound == 1)
        #expect(pending.statistics.recovered == 0)
        #expect(Self.balanced(pending.statistics))
    }

    @Test func anUnloadAnswersTheWaitingLoadOfItsProgram() {
        var pending = PendingEvents(capacity: 10)
        pending.append(load(7, by: nil), enrichment: Self.enrichment, recovery: .waiting(deadline: 9000))
        pending.append(load(8, node: "other", by: nil), enrichment: Self.enrichment, recovery: .notNeeded)
        pending.append(unload(7, node: "other"), enrichment: Self.enrichment, recovery: .notNeeded)
        #expect(pending.releaseReady(now: 0).isEmpty, "another node's prog-id 7 is another program")
        pending.append(unload(7), enrichment: Self.enrichment, recovery: .notNeeded)
        let released = pending.releaseReady(now: 0)
        #expect(Self.ids(released) == [7, 8, 7, 7], "an unloaded program has no holder left to find: no need to wait")
        #expect(released.first?.event.operation == .load)
        #expect(pending.statistics.notFound == 1)
        #expect(Self.balanced(pending.statistics))
    }

    @Test func shedRequestsAndForcedHeadsAreCounted() {
        var pending = PendingEvents(capacity: 3)
        pending.append(load(1, by: nil), enrichment: Self.enrichment, recovery: .waiting(deadline: 100))
        pending.append(load(2, by: nil), enrichment: Self.enrichment, recovery: .shed)
        pending.append(load(3), enrichment: Self.enrichment, recovery: .notNeeded)
        #expect(pending.isFull)
        let head = pending.releaseHead(timedOut: false)
        #expect(head?.event.programID == 1)
        #expect(head?.enrichment?.recoveredLoader == nil)
        #expect(!pending.isFull)
        #expect(Self.ids(pending.releaseReady(now: 0)) == [2, 3], "a shed event does not wait")
        #expect(pending.releaseHead(timedOut: true) == nil)
        #expect(pending.statistics.requests == 2)
        #expect(pending.statistics.shed == 2)
        #expect(Self.balanced(pending.statistics))
    }

    @Test func manyEventsKeepTheirOrderAndTokens() {
        var pending = PendingEvents(capacity: 3000)
        var released: [UInt32] = []
        var tokens: [UInt64] = []
        for round in 0..<5 {
            for index in 0..<2500 {
                let id = UInt32(round * 2500 + index + 1)
                if index % 3 == 0 {
                    tokens.append(pending.nextToken)
                    pending.append(load(id, by: nil), enrichment: Self.enrichment, recovery: .waiting(deadline: 10_000))
                } else {
                    pending.append(load(id), enrichment: Self.enrichment, recovery: .notNeeded)
                }
            }
            for token in tokens.reversed() { pending.answer(token: token, with: token % 2 == 0 ? Self.holder : nil) }
            tokens.removeAll()
            released += Self.ids(pending.releaseReady(now: 0))
            #expect(pending.isEmpty)
        }
        #expect(released == Array(1...12_500))
        #expect(pending.statistics.requests == 5 * 834)
        #expect(pending.statistics.timedOut == 0)
        #expect(Self.balanced(pending.statistics))
    }
}
