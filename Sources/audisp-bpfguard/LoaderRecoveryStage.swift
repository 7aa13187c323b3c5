import BPFGuardCore

/// The stage of the input path between the audit event stream and the engine when kernel
/// lookups are on: each event's program is looked up at once; a LOAD without SYSCALL
/// context asks the recovery worker for its loader and waits, in order, in `PendingEvents`
/// (with every event behind it) until the answer arrives or `waitMilliseconds` pass.
/// Events leave in input order, as values for the engine.
///
/// The input loop never blocks here in plugin mode: when the queue is full the head goes
/// on without an answer (shed). `--replay` may block, so there the head waits (bounded)
/// instead, and replay keeps the answers plugin mode would get.
final class LoaderRecoveryStage: HoldingStage {
    /// How long an event waits for its loader to be recovered before it goes on with
    /// `identity=none` (monotonic time, counted as timed out): above the worker's answer
    /// time on an idle machine (the pass interval and a full pass: 600 ms) with room for a
    /// busy one, and short enough that alerts stay prompt (libauparse itself ages events
    /// without EOE for 2 s).
    static let waitMilliseconds: UInt64 = 1000
    /// Events held at most: memory stays bounded whatever the flood (a few MB).
    static let capacity = 8192

    typealias Released = PendingEvents.Released

    let lookups: KernelLookups
    /// Whether the input loop may block (`--replay`): a full queue then waits for its head.
    let mayBlock: Bool
    private var pending = PendingEvents(capacity: LoaderRecoveryStage.capacity)

    init(lookups: KernelLookups, mayBlock: Bool) {
        self.lookups = lookups
        self.mayBlock = mayBlock
    }

    /// Counters of loader recovery (the worker's passes included).
    var statistics: LoaderRecoveryStatistics {
        var statistics = pending.statistics
        statistics.passes = lookups.recovery.passes
        return statistics
    }

    /// Whether events are held (the input loop then wakes up often to release them).
    var hasPending: Bool { !pending.isEmpty }

    var headDeadline: UInt64? { pending.headDeadline }

    func waitForAnswers(until deadline: UInt64) {
        lookups.recovery.waitForAnswers(until: deadline)
    }

    /// Takes one event from the stream; returns the events that leave now, in order.
    func admit(_ event: BPFEvent) -> [Released] {
        let enrichment = lookups.enrichment(for: event)
        let needsRecovery = lookups.needsRecovery(event)
        if pending.isEmpty && !needsRecovery { return [Released(event: event, enrichment: enrichment)] }
        var released = pending.isFull ? makeRoom() : []
        var recovery = PendingEvents.Recovery.notNeeded
        if needsRecovery {
            let accepted = lookups.recovery.request(token: pending.nextToken, programID: event.programID)
            recovery = accepted ? .waiting(deadline: Clock.monotonicMilliseconds() + Self.waitMilliseconds) : .shed
        }
        pending.append(event, enrichment: enrichment, recovery: recovery)
        released += pending.releaseReady(now: Clock.monotonicMilliseconds())
        return released
    }

    /// Takes the worker's answers; returns the events that leave now (answered, or their
    /// wait is over). `woken`: the wake-up descriptor was readable (it is reset first, so
    /// that an answer arriving meanwhile wakes the loop again).
    func collectAnswers(woken: Bool = false) -> [Released] {
        if woken { lookups.recovery.clearWakeUp() }
        guard !pending.isEmpty else {
            _ = lookups.recovery.takeAnswers()  // late answers of events that went on
            return []
        }
        for answer in lookups.recovery.takeAnswers() { pending.answer(token: answer.token, with: answer.loader) }
        return pending.releaseReady(now: Clock.monotonicMilliseconds())
    }

    /// End of input: waits for the outstanding answers, each at most until its deadline,
    /// and releases everything.
    func finish() -> [Released] { drain() }

    /// The queue is full: the head goes on without its answer (plugin mode), or is waited
    /// for until its deadline (`--replay`).
    private func makeRoom() -> [Released] {
        guard mayBlock else { return pending.releaseHead(timedOut: false).map { [$0] } ?? [] }
        var released: [Released] = []
        while pending.isFull {
            released += collectAnswers()
            if pending.isFull, let deadline = pending.headDeadline {
                lookups.recovery.waitForAnswers(until: deadline)
                lookups.recovery.clearWakeUp()
            }
        }
        return released
    }
}
