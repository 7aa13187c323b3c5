import Glibc
import Testing
import BPFGuardCore
@testable import audisp_bpfguard

/// The loader facts stage of the input path with the real worker thread and stand-in
/// package databases: the input side goes on while a verdict is worked out (an index read
/// again, a large file hashed), events leave in input order, a verdict that comes too late
/// gives `?` and is counted, warm verdicts need no thread hop, the bounds shed, and
/// `--replay` waits for the worker.
@Suite(.serialized) struct LoaderFactsStageTests {
    /// Verdicts that wait until the test opens the gate (10 s at most, so that a stage that
    /// waited for them would be seen finishing them, not hang the test).
    final class GatedVerdicts: PackageVerdictSource, @unchecked Sendable {
        let verdict: PackageVerdict
        private let monitor = Monitor()
        private var gate: [Int32] = [-1, -1]
        private var startedCount = 0
        private var finishedCount = 0
        private var generations: [UInt64] = []

        init(_ verdict: PackageVerdict = PackageVerdict(owner: .named("gated"), digest: .match), open: Bool = false) {
            self.verdict = verdict
            precondition(pipe(&gate) == 0)
            if open { openGate() }
        }

        deinit {
            close(gate[0])
            close(gate[1])
        }

        func openGate() { _ = write(gate[1], "x", 1) }

        var started: Int { monitor.withLock { startedCount } }
        var finished: Int { monitor.withLock { finishedCount } }
        var askedGenerations: [UInt64] { monitor.withLock { generations } }

        func verdict(for question: VerdictQuestion) -> PackageVerdict {
            monitor.withLock {
                startedCount += 1
                generations.append(question.generation)
            }
            var descriptor = pollfd(fd: gate[0], events: Int16(POLLIN), revents: 0)
            _ = poll(&descriptor, 1, 10_000)
            monitor.withLock { finishedCount += 1 }
            return verdict
        }

        var counters: VerdictCounters { VerdictCounters() }
        func prepare() -> String { "gated" }
    }

    /// A package database whose stamps the test changes, and that owns every path.
    final class ChangingDatabase: PackageDatabase, @unchecked Sendable {
        let name = "test"
        var version = 1
        private(set) var forgotten = 0
        func lookup(_ path: [UInt8]) -> PackageLookup { .owned(package: "test-package", digests: []) }
        func stamps() -> [FileStamp?] {
            var info = stat()
            info.st_size = version
            return [FileStamp(info)]
        }
        func forget() { forgotten += 1 }
        func prepare() -> String { "test" }
    }

    /// Monotonic milliseconds the test moves.
    final class TestClock: @unchecked Sendable {
        var now: UInt64 = 1_000
    }

    struct Setup {
        let stage: LoaderFactsStage
        let worker: LoaderFactsWorker
        let gatherer: LoaderFactsGatherer
    }

    static func setup(_ source: PackageVerdictSource, databases: [PackageDatabase] = [], mayBlock: Bool = false, capacity: Int = 8,
                      start: Bool = true, clock: TestClock = TestClock()) throws -> Setup {
        let gatherer = LoaderFactsGatherer(verdicts: source, watching: databases, inspectsProcesses: false)
        let worker = LoaderFactsWorker(source: source, cache: gatherer.cache, capacity: capacity)
        if start { try #require(worker.start()) }
        let stage = LoaderFactsStage(gatherer: gatherer, worker: worker, mayBlock: mayBlock, isLocal: { $0.node == nil }, clock: { clock.now })
        return Setup(stage: stage, worker: worker, gatherer: gatherer)
    }

    static func load(_ id: UInt32, exe: String, node: String? = nil) -> PendingEvents.Released {
        let loader = ProcessContext(uid: 0, pid: 4_000_000, comm: Array("loader".utf8), exe: Array(exe.utf8))
        let event = BPFEvent(operation: .load, programID: id, node: node, timestamp: AuditTimestamp(seconds: 1000, milliseconds: 0, serial: UInt64(id)),
                             process: loader)
        return PendingEvents.Released(event: event, enrichment: Engine.Enrichment(program: .gone))
    }

    static func unload(_ id: UInt32) -> PendingEvents.Released {
        let event = BPFEvent(operation: .unload, programID: id, timestamp: AuditTimestamp(seconds: 1001, milliseconds: 0, serial: UInt64(id)))
        return PendingEvents.Released(event: event, enrichment: Engine.Enrichment(program: .notDone))
    }

    /// Waits (10 s at most) for the worker's wake-up, then takes what leaves.
    static func collect(_ setup: Setup, until done: ([PendingEvents.Released]) -> Bool) -> [PendingEvents.Released] {
        var released: [PendingEvents.Released] = []
        let deadline = Clock.monotonicMilliseconds() + 10_000
        while !done(released) && Clock.monotonicMilliseconds() < deadline {
            setup.worker.waitForAnswers(until: min(deadline, Clock.monotonicMilliseconds() + 100))
            released += setup.stage.collectAnswers(woken: true)
        }
        return released
    }

    static func waitUntil(_ condition: () -> Bool) -> Bool {
        let deadline = Clock.monotonicMilliseconds() + 10_000
        while !condition() && Clock.monotonicMilliseconds() < deadline { usleep(5_000) }
        return condition()
    }

    static let sleep = "/usr/bin/sleep"
    static let env = "/usr/bin/env"

    @Test func theInputSideGoesOnWhileTheWorkerIsBusy() throws {
        let source = GatedVerdicts()
        let setup = try Self.setup(source)
        #expect(setup.stage.admit(Self.load(1, exe: Self.sleep)).isEmpty, "a cold LOAD waits for its verdict")
        try #require(Self.waitUntil { source.started == 1 }, "the worker took the question")
        // The worker is busy on it; the input side takes the next events at once.
        #expect(setup.stage.admit(Self.load(2, exe: Self.sleep, node: "elsewhere")).isEmpty, "held behind the waiting LOAD")
        #expect(setup.stage.admit(Self.unload(1)).isEmpty)
        #expect(setup.stage.admit(Self.load(3, exe: Self.sleep)).isEmpty)
        #expect(source.finished == 0, "no admit waited for the verdict")
        #expect(setup.stage.statistics.requests == 1, "LOADs of one file share its question")
        #expect(setup.stage.statistics.waits == 2)
        #expect(setup.stage.hasPending)

        source.openGate()
        let released = Self.collect(setup) { $0.count == 4 }
        #expect(released.map(\.event.programID) == [1, 2, 1, 3], "input order")
        #expect(released.map(\.event.operation) == [.load, .load, .unload, .load])
        let gated = LoaderFacts(package: .named("gated"), trust: .yes, container: .unknown)
        #expect(released.map { $0.enrichment?.loaderFacts } == [gated, .unknown, .unknown, gated])
        #expect(!setup.stage.hasPending)
        let statistics = setup.stage.statistics
        #expect(statistics.timedOut == 0)
        #expect(statistics.shed == 0)
        #expect(source.started == 1, "one verdict for the file")
    }

    @Test func aVerdictThatComesTooLateGivesQuestionMarksAndIsCounted() throws {
        let source = GatedVerdicts()
        let clock = TestClock()
        let setup = try Self.setup(source, clock: clock)
        #expect(setup.stage.admit(Self.load(1, exe: Self.sleep)).isEmpty)
        #expect(setup.stage.admit(Self.load(2, exe: Self.sleep, node: "elsewhere")).isEmpty)
        clock.now += LoaderFactsStage.waitMilliseconds - 1
        #expect(setup.stage.collectAnswers().isEmpty, "within the wait")
        clock.now += 1
        let released = setup.stage.collectAnswers()
        #expect(released.map(\.event.programID) == [1, 2], "the wait is over: both go on, in order")
        #expect(released.first?.enrichment?.loaderFacts == LoaderFacts(package: .unknown, trust: .unknown, container: .unknown))
        #expect(setup.stage.statistics.timedOut == 1)
        #expect(setup.stage.summary.contains("loader_facts=1 trust_cache_hits=0 "), "\(setup.stage.summary)")
        #expect(setup.stage.counters.contains { $0.name == "facts_timeouts" && $0.value == 1 })

        // The late verdict still fills the cache: the next LOAD of the file goes on at once,
        // in the same call, with no question to the worker.
        source.openGate()
        setup.worker.waitForAnswers(until: Clock.monotonicMilliseconds() + 10_000)
        #expect(setup.stage.collectAnswers(woken: true).isEmpty, "nobody waits for the late verdict")
        let warm = setup.stage.admit(Self.load(3, exe: Self.sleep))
        #expect(warm.map(\.event.programID) == [3])
        #expect(warm.first?.enrichment?.loaderFacts.trust == .yes)
        #expect(setup.stage.statistics.requests == 1)
        #expect(source.started == 1)
        #expect(setup.gatherer.inputCounters.cacheHits == 1)
    }

    @Test func boundsShedInsteadOfGrowing() throws {
        let source = GatedVerdicts()
        let setup = try Self.setup(source, capacity: 1)
        #expect(setup.stage.admit(Self.load(1, exe: Self.sleep)).isEmpty)
        // Another file while the one question allowed is outstanding: refused, it goes on
        // with ? — in order, behind the waiting LOAD.
        #expect(setup.stage.admit(Self.load(2, exe: Self.env)).isEmpty)
        #expect(setup.stage.statistics.shed == 1)
        #expect(setup.stage.statistics.requests == 1)
        source.openGate()
        let released = Self.collect(setup) { $0.count == 2 }
        #expect(released.map(\.event.programID) == [1, 2])
        #expect(released.map { $0.enrichment?.loaderFacts.trust } == [.yes, .unknown])
        #expect(setup.stage.summary.contains("loader_facts=2 "))
    }

    @Test func withoutTheWorkerColdLoadsAreShed() throws {
        let setup = try Self.setup(GatedVerdicts(open: true), start: false)
        let released = setup.stage.admit(Self.load(1, exe: Self.sleep))
        #expect(released.map(\.event.programID) == [1], "nothing to wait for")
        #expect(released.first?.enrichment?.loaderFacts.package == .unknown)
        #expect(setup.stage.statistics.shed == 1)
        #expect(setup.stage.statistics.requests == 0)
    }

    @Test func replayWaitsForTheWorker() throws {
        let source = GatedVerdicts(open: true)
        let setup = try Self.setup(source, mayBlock: true)
        let first = setup.stage.admit(Self.load(1, exe: Self.sleep))
        #expect(first.map(\.event.programID) == [1], "the LOAD left with its verdict, in the same call")
        #expect(first.first?.enrichment?.loaderFacts.trust == .yes)
        #expect(setup.stage.admit(Self.load(2, exe: Self.env)).first?.enrichment?.loaderFacts.trust == .yes)
        #expect(setup.stage.admit(Self.load(3, exe: Self.sleep)).first?.enrichment?.loaderFacts.trust == .yes)
        #expect(setup.stage.statistics.requests == 2)
        #expect(setup.stage.statistics.timedOut == 0)
        #expect(setup.gatherer.inputCounters.cacheHits == 1)
        #expect(!setup.stage.hasPending)
    }

    @Test func aDatabaseChangeIsReadAgainOnTheWorker() throws {
        let database = ChangingDatabase()
        let verdicts = PackageDatabaseVerdicts(databases: [database], maximumHashedBytes: 1 << 20)
        let setup = try Self.setup(verdicts, databases: [database], mayBlock: true)
        #expect(setup.stage.admit(Self.load(1, exe: Self.sleep)).first?.enrichment?.loaderFacts.package == .named("test-package"))
        #expect(setup.stage.admit(Self.load(2, exe: Self.sleep)).count == 1)
        #expect(setup.stage.statistics.requests == 1, "the second LOAD is answered from the cache")
        database.version = 2
        #expect(setup.stage.admit(Self.load(3, exe: Self.sleep)).count == 1)
        #expect(setup.stage.statistics.requests == 2, "the change emptied the cache")
        #expect(setup.stage.statistics.indexRebuilds == 1)
        #expect(database.forgotten == 1, "the worker dropped what it had read")
        #expect(setup.gatherer.inputCounters.databaseChanges == 1)
    }
}
