import BPFGuardAudit
import BPFGuardCore

/// One input through the whole input path as the plugin runs it (`InputPipeline` of the
/// executable): `AuditEventStream` (line reader → pre-filter → libauparse → BPF events) →
/// `Engine` with the shipped policy (and invented kernel lookups) → `AlertFormatter` text and
/// JSON, checking every alert and the counters along the way.
final class InputPathRun {
    private let mode: InputPathMode
    private let payload: UnsafeBufferPointer<UInt8>
    private var tape: InputTape
    private var engine: Engine
    private let lookups: InventedLookups
    private var stream: AuditEventStream!
    /// The fake monotonic clock of live mode, in milliseconds.
    private var now: UInt64 = 1_000_000
    private var counters = CounterWatch()
    private var alerts: UInt64 = 0
    private var step = "start"

    init(mode: InputPathMode, payload: UnsafeBufferPointer<UInt8>, policy: Policy) {
        self.mode = mode
        self.payload = payload
        self.tape = InputTape(payload, start: Int(mode.seed))
        self.engine = Engine(policy: policy)
        self.lookups = InventedLookups(localNode: policy.settings.localNode)
    }

    func run() {
        let clock: (() -> UInt64)? = mode.live ? { [unowned self] in self.now } : nil
        do {
            stream = try AuditEventStream(prefilter: mode.prefilter, clock: clock) { [unowned self] events in self.handle(events) }
        } catch {
            fuzzFailure("AuditEventStream: \(error)")
        }
        var offset = 0
        while offset < payload.count {
            let count = min(chunkLength(), payload.count - offset)
            step = "consume(\(offset)..<\(offset + count))"
            stream.consume(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: payload[offset..<(offset + count)])))
            observeCounters()
            offset += count
            if mode.live { advanceClock() }
        }
        step = "finish"
        stream.finish()
        observeCounters()
        fuzzCheck(engine.statistics.alerts == alerts, "engine counted \(engine.statistics.alerts) alerts, \(alerts) were returned")
    }

    /// Chunks as reads from a pipe return them: mostly whole buffers, sometimes a few bytes.
    private func chunkLength() -> Int {
        switch tape.below(4) {
        case 0: return 1 + tape.below(16)
        case 1: return 1 + tape.below(512)
        default: return 1 + tape.below(65536)
        }
    }

    /// Live mode between reads: the clock moves on (sometimes past the pre-filter's wait for
    /// events without EOE), `tick` completes what waited long enough, and a long pause is
    /// idle input (`idle` also ages libauparse's events).
    private func advanceClock() {
        let pause = UInt64(tape.oneIn(8) ? tape.below(5000) : tape.below(200))
        now &+= pause
        step = "tick at \(now) ms"
        stream.tick()
        observeCounters()
        if pause >= 500 {
            step = "idle at \(now) ms"
            stream.idle()
            observeCounters()
        }
    }

    private func handle(_ events: [BPFEvent]) {
        engine.countEvent()
        for event in events {
            let enrichment = mode.lookups ? lookups.enrichment(for: event, tape: &tape) : nil
            guard let alert = engine.process(event, enrichment: enrichment) else { continue }
            alerts += 1
            AlertLineCheck.check(AlertFormatter.line(alert), of: alert)
            AlertJSONCheck.check(AlertFormatter.json(alert), of: alert)
        }
        let statistics = engine.statistics
        fuzzCheck(statistics.loads &+ statistics.unloads == statistics.bpfEvents,
                  "loads \(statistics.loads) + unloads \(statistics.unloads) != bpf_events \(statistics.bpfEvents)")
        fuzzCheck(engine.programs.count <= engine.policy.settings.maxPrograms,
                  "program table holds \(engine.programs.count) > max_programs \(engine.policy.settings.maxPrograms)")
    }

    /// Every counter of the summary line (`EngineStatistics.summary`, and what the stream
    /// adds to it); none may ever go back.
    private func observeCounters() {
        let statistics = engine.statistics
        counters.observe([
            ("records", stream.records), ("filtered", stream.filteredRecords), ("events", statistics.events),
            ("bpf_events", statistics.bpfEvents), ("loads", statistics.loads), ("unloads", statistics.unloads),
            ("unmatched_unloads", statistics.unmatchedUnloads), ("zero_id_unloads", statistics.zeroIDUnloads),
            ("alerts", statistics.alerts), ("malformed", stream.malformed), ("malformed_lines", stream.malformedLines),
            ("malformed_bpf_records", stream.malformedBPFRecords), ("evicted", engine.programs.evictions),
        ], after: "\(step) (\(mode))")
    }
}
