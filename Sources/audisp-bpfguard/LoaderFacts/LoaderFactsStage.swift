import BPFGuardCore

/// The stage of the input path between loader recovery and the engine: each local LOAD
/// with a loader gets its `exe-package`, `exe-trusted` and `container`.
///
/// The loader is examined at once (cheap: /proc, an open, the database stamps, the cache).
/// When the verdict on its file is cached, the event goes on at once, with no thread hop.
/// Otherwise the facts worker is asked (one question per file: LOADs of a file whose
/// question is outstanding share it) and the event waits, in order, in `PendingLoaderFacts`
/// (with every event behind it) until the verdict arrives or `waitMilliseconds` pass; then
/// it goes on with `exe-package=?` and `exe-trusted=?`, counted in `facts_timeouts`.
///
/// The input loop never blocks here in plugin mode. `--replay` may block: there each
/// question is waited for (up to `replayWaitMilliseconds`), so that replay keeps the facts
/// whatever the machine's speed.
final class LoaderFactsStage: HoldingStage {
    /// How long an event waits for its verdict (monotonic time): well above a cold answer
    /// (dpkg's index of 2,000 packages read again, 125 to 250 ms; a 60 MiB file hashed, 265
    /// ms: BENCHMARKS.md), and short enough that alerts stay prompt.
    static let waitMilliseconds: UInt64 = 1000
    /// The wait in `--replay`, where blocking is allowed: only a stuck file system reaches it.
    static let replayWaitMilliseconds: UInt64 = 60_000
    /// Events held at most: memory stays bounded whatever the flood.
    static let capacity = 8192

    typealias Released = PendingEvents.Released

    let gatherer: LoaderFactsGatherer
    let worker: LoaderFactsWorker
    /// Whether the input loop may block (`--replay`).
    let mayBlock: Bool
    private let isLocal: (BPFEvent) -> Bool
    private let clock: () -> UInt64
    private let wait: UInt64
    private var pending = PendingLoaderFacts(capacity: LoaderFactsStage.capacity)
    /// The outstanding question of each file (per cache generation), so that LOADs of one
    /// file share it.
    private var outstanding: [OutstandingKey: UInt64] = [:]
    private var outstandingKeys: [UInt64: OutstandingKey] = [:]
    private var nextRequest: UInt64 = 0
    private var requests: UInt64 = 0

    private struct OutstandingKey: Hashable {
        var key: TrustCache.Key
        var generation: UInt64
    }

    /// `isLocal`: whether an event is this host's (others are not looked up); `clock`:
    /// monotonic milliseconds (tests pass their own).
    init(gatherer: LoaderFactsGatherer, worker: LoaderFactsWorker, mayBlock: Bool, isLocal: @escaping (BPFEvent) -> Bool,
         waitMilliseconds: UInt64? = nil, clock: @escaping () -> UInt64 = Clock.monotonicMilliseconds) {
        self.gatherer = gatherer
        self.worker = worker
        self.mayBlock = mayBlock
        self.isLocal = isLocal
        self.clock = clock
        self.wait = waitMilliseconds ?? (mayBlock ? Self.replayWaitMilliseconds : Self.waitMilliseconds)
    }

    /// Starts the worker (after privileges are dropped). Until it runs, questions are
    /// refused: the LOADs needing them go on with `?` (shed).
    func start() -> Bool { worker.start() }

    static let notStartedWarning = "cannot start the loader facts thread: LOADs of executables not in the cache get exe-package=? and exe-trusted=?"

    /// Whether events are held (the input loop then wakes up often to release them).
    var hasPending: Bool { !pending.isEmpty }

    var headDeadline: UInt64? { pending.headDeadline }

    func waitForAnswers(until deadline: UInt64) {
        worker.waitForAnswers(until: deadline)
    }

    var statistics: LoaderFactsStatistics {
        var statistics = pending.statistics
        statistics.requests = requests
        statistics.indexRebuilds = worker.counters.indexRebuilds
        return statistics
    }

    /// `loader_facts=… trust_cache_hits=… files_hashed=… too_large_to_hash=… [dpkg_index_…]`.
    var summary: String { LoaderFactsGatherer.summary(gatherer.inputCounters, worker.counters) }

    /// The state report's counters: the summary's and the waits'.
    var counters: [(name: String, value: UInt64)] {
        let verdicts = worker.counters
        let input = gatherer.inputCounters
        return [("loader_facts", input.gathered), ("trust_cache_hits", input.cacheHits), ("files_hashed", verdicts.filesHashed),
                ("too_large_to_hash", verdicts.tooLarge)] + statistics.counters
    }

    /// Takes one event from loader recovery; returns the events that leave now, in order.
    func admit(_ item: Released) -> [Released] {
        var item = item
        var wait = PendingLoaderFacts.Wait.notNeeded
        if let loader = loader(of: item) {
            switch gatherer.examine(exe: loader.exe, pid: loader.pid) {
            case .known(let facts):
                item.enrichment?.loaderFacts = facts
            case .needsVerdict(let examined, let question):
                wait = ask(question).map { .waiting(request: $0, deadline: clock() &+ self.wait, loader: examined) } ?? .shed(examined)
            }
        }
        if pending.isEmpty, case .notNeeded = wait { return [item] }
        var released = pending.isFull ? pending.releaseHead().map { [$0] } ?? [] : []
        pending.append(item, wait: wait)
        released += mayBlock ? drain() : pending.releaseReady(now: clock())
        return released
    }

    /// Takes the worker's answers; returns the events that leave now (answered, or their
    /// wait is over). `woken`: the wake-up descriptor was readable (it is reset first, so
    /// that an answer arriving meanwhile wakes the loop again).
    func collectAnswers(woken: Bool = false) -> [Released] {
        if woken { worker.clearWakeUp() }
        for answer in worker.takeAnswers() {
            if let key = outstandingKeys.removeValue(forKey: answer.request) { outstanding.removeValue(forKey: key) }
            pending.answer(request: answer.request, with: answer.verdict)
        }
        return pending.isEmpty ? [] : pending.releaseReady(now: clock())
    }

    /// End of input: waits for the outstanding verdicts, each at most until its deadline,
    /// and releases everything.
    func finish() -> [Released] { drain() }

    /// The question's request: the outstanding one for the same file, or a new one; nil when
    /// the worker refused it.
    private func ask(_ question: VerdictQuestion) -> UInt64? {
        let key = OutstandingKey(key: question.key, generation: question.generation)
        if let request = outstanding[key] { return request }
        let request = nextRequest
        guard worker.ask(request: request, question: question) else { return nil }
        nextRequest &+= 1
        requests &+= 1
        outstanding[key] = request
        outstandingKeys[request] = key
        return request
    }

    /// The loader to describe: a local LOAD's, from its SYSCALL record or recovered from
    /// /proc. nil without lookups (no enrichment), for UNLOADs and other nodes' events.
    private func loader(of item: Released) -> ProcessContext? {
        guard item.enrichment != nil, item.event.operation == .load, isLocal(item.event) else { return nil }
        return item.event.process ?? item.enrichment?.recoveredLoader
    }
}
