import Testing
@testable import BPFGuardCore

/// The ordered wait of events behind LOADs whose loader's package verdict is worked out on
/// the facts worker: input order kept, one verdict answering every LOAD of its file, bounded
/// waits that end with `?`, every wait counted once.
@Suite struct PendingLoaderFactsTests {
    static let enrichment = Engine.Enrichment(program: .gone)
    static let host = LoaderPlacement(sameRoot: true, sameMountNamespace: true, containerCgroup: false)
    static let tool = ExaminedLoader(exe: Array("/usr/sbin/bpftool".utf8), placement: host)
    static let trusted = PackageVerdict(owner: .named("bpftool"), digest: .match)

    static func item(_ event: BPFEvent) -> PendingLoaderFacts.Released { .init(event: event, enrichment: enrichment) }
    static func ids(_ released: [PendingLoaderFacts.Released]) -> [UInt32] { released.map(\.event.programID) }

    @Test func eventsBehindAWaitingLoadWaitInOrderAndOneVerdictAnswersEveryLoadOfTheFile() {
        var pending = PendingLoaderFacts(capacity: 10)
        pending.append(Self.item(load(1)), wait: .waiting(request: 7, deadline: 1500, loader: Self.tool))
        pending.append(Self.item(load(2, node: "elsewhere")), wait: .notNeeded)
        pending.append(Self.item(unload(1)), wait: .notNeeded)
        pending.append(Self.item(load(3)), wait: .waiting(request: 7, deadline: 1600, loader: Self.tool))
        #expect(pending.releaseReady(now: 1000).isEmpty, "the head waits, and so does everything behind it")
        #expect(pending.headDeadline == 1500)
        pending.answer(request: 8, with: PackageVerdict(owner: .none, digest: .unavailable))  // another file's: no effect
        #expect(pending.releaseReady(now: 1001).isEmpty)
        pending.answer(request: 7, with: Self.trusted)
        let released = pending.releaseReady(now: 1002)
        #expect(Self.ids(released) == [1, 2, 1, 3])
        #expect(released.map(\.event.operation) == [.load, .load, .unload, .load])
        let facts = released.map { $0.enrichment?.loaderFacts }
        #expect(facts[0] == LoaderFacts(package: .named("bpftool"), trust: .yes, container: .no))
        #expect(facts[3] == facts[0], "the second LOAD of the file shares the question")
        #expect(facts[1] == .unknown, "an event that needs no verdict keeps what it had")
        #expect(released[0].enrichment?.program == .gone, "the program lookup made at arrival is kept")
        #expect(pending.isEmpty)
        #expect(pending.statistics.waits == 2)
        #expect(pending.statistics.timedOut == 0)
        #expect(pending.statistics.shed == 0)
    }

    @Test func aHeadWaitsUntilItsDeadlineThenGoesOnWithUnknownPackageAndTrust() {
        var pending = PendingLoaderFacts(capacity: 10)
        pending.append(Self.item(load(1)), wait: .waiting(request: 1, deadline: 500, loader: Self.tool))
        pending.append(Self.item(load(2)), wait: .waiting(request: 2, deadline: 600, loader: Self.tool))
        pending.answer(request: 2, with: Self.trusted)
        #expect(pending.releaseReady(now: 499).isEmpty, "an answered event still waits behind its head")
        let released = pending.releaseReady(now: 500)
        #expect(Self.ids(released) == [1, 2])
        #expect(released[0].enrichment?.loaderFacts == LoaderFacts(package: .unknown, trust: .unknown, container: .no),
                "what /proc told at once (the container) is kept; package and trust are ?")
        #expect(released[1].enrichment?.loaderFacts.trust == .yes)
        pending.answer(request: 1, with: Self.trusted)  // too late: nobody waits for it
        #expect(pending.isEmpty)
        #expect(pending.statistics.waits == 2)
        #expect(pending.statistics.timedOut == 1)
    }

    @Test func aDeletedExecutableStaysDeletedWithoutAVerdict() {
        var pending = PendingLoaderFacts(capacity: 10)
        let deleted = ExaminedLoader(exe: Array("/usr/sbin/bpftool (deleted)".utf8), placement: Self.host)
        pending.append(Self.item(load(1)), wait: .waiting(request: 1, deadline: 500, loader: deleted))
        pending.append(Self.item(load(2)), wait: .shed(deleted))
        let released = pending.releaseReady(now: 500)
        #expect(released.map { $0.enrichment?.loaderFacts.trust } == [.deleted, .deleted])
        #expect(released.map { $0.enrichment?.loaderFacts.package } == [.unknown, .unknown])
        #expect(pending.statistics.timedOut == 1)
        #expect(pending.statistics.shed == 1)
    }

    @Test func aShedLoadGoesOnInOrderWithoutWaiting() {
        var pending = PendingLoaderFacts(capacity: 10)
        pending.append(Self.item(load(1)), wait: .shed(Self.tool))
        let released = pending.releaseReady(now: 0)
        #expect(Self.ids(released) == [1])
        #expect(released[0].enrichment?.loaderFacts == LoaderFacts(package: .unknown, trust: .unknown, container: .no))
        #expect(pending.statistics.shed == 1)
        #expect(pending.statistics.waits == 0)
    }

    @Test func aFullQueueReleasesItsHeadWithoutAVerdict() {
        var pending = PendingLoaderFacts(capacity: 2)
        pending.append(Self.item(load(1)), wait: .waiting(request: 1, deadline: 9000, loader: Self.tool))
        pending.append(Self.item(load(2)), wait: .notNeeded)
        #expect(pending.isFull)
        let head = pending.releaseHead()
        #expect(head?.event.programID == 1)
        #expect(head?.enrichment?.loaderFacts.package == .unknown)
        #expect(!pending.isFull)
        pending.append(Self.item(load(3)), wait: .notNeeded)
        #expect(Self.ids(pending.releaseReady(now: 0)) == [2, 3])
        #expect(pending.statistics.shed == 1)
        #expect(pending.statistics.timedOut == 0)
        #expect(pending.releaseHead() == nil)
    }

    @Test func manyEventsLeaveInOrderAcrossCompactions() {
        var pending = PendingLoaderFacts(capacity: 5000)
        var released: [UInt32] = []
        for round in 0..<3 {
            for offset in 0..<3000 {
                let id = UInt32(round * 3000 + offset)
                pending.append(Self.item(load(id)), wait: offset % 100 == 0 ? .waiting(request: UInt64(id), deadline: 10, loader: Self.tool) : .notNeeded)
                if offset % 7 == 0 { pending.answer(request: UInt64(id - id % 100), with: Self.trusted) }
                released += Self.ids(pending.releaseReady(now: 0))
            }
            released += Self.ids(pending.releaseReady(now: 10))
        }
        #expect(released == (0..<9000).map(UInt32.init))
        #expect(pending.statistics.waits == 90)
        #expect(pending.statistics.timedOut == 0, "every question of the head was answered by its 7th event")
    }
}
