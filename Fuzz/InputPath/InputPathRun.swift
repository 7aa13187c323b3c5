import BPFGuardAudit
import BPFGuardCore

/// One input through the whole input path as the plugin runs it (`InputPipeline` and
/// `AlertFoldingStage` of the executable): `AuditEventStream` (line reader → pre-filter →
/// libauparse → BPF events) → `Engine` with the shipped policy (and invented kernel lookups)
/// → `AlertFolder` → the text line, JSON and ECS renderings of every line that leaves,
/// checking each of them and the counters along the way.
final class InputPathRun {
    private let mode: InputPathMode
    private let payload: UnsafeBufferPointer<UInt8>
    private var tape: InputTape
    private var engine: Engine
    private var folder: AlertFolder
    private let lookups: InventedLookups
    private var stream: AuditEventStream!
    /// With the pre-filter on: the same input through a second stream that hands libauparse
    /// every SYSCALL record whole. Its events and changes to audit must be the trimmed ones
    /// (`SyscallRecordTrimming` must not change what libauparse reads).
    private var untrimmed: AuditEventStream?
    private var events: [BPFEvent] = [], untrimmedEvents: [BPFEvent] = []
    private var changes: [String] = [], untrimmedChanges: [String] = []
    /// The fake monotonic clock of live mode, in milliseconds.
    private var now: UInt64 = 1_000_000
    /// The folder's event time and the clock when it last moved (`AlertFoldingStage`).
    private var anchor: (eventTime: UInt64, clock: UInt64)?
    private var pending: [OutgoingAlert] = []
    private var counters = CounterWatch()
    /// Alerts the lines that left stand for (an alert 1, a summary its count, a cap note
    /// what it held).
    private var accounted: UInt64 = 0
    /// Built-in alerts about audit itself raised (the folder counts them with the engine's).
    private var builtin: UInt64 = 0
    private var missingContext = MissingContextReporter()
    private var step = "start"
    private static let ecsContext = ECSContext(hostName: "fuzz-host", policyPath: "/etc/audit/bpfguard.policy")

    init(mode: InputPathMode, payload: UnsafeBufferPointer<UInt8>, policy: Policy) {
        self.mode = mode
        self.payload = payload
        self.tape = InputTape(payload, start: Int(mode.seed))
        self.engine = Engine(policy: policy)
        self.folder = AlertFolder(policy: policy)
        self.lookups = InventedLookups(localNode: policy.settings.localNode)
    }

    func run() {
        let clock: (() -> UInt64)? = mode.live ? { [unowned self] in self.now } : nil
        do {
            stream = try AuditEventStream(prefilter: mode.prefilter, clock: clock) { [unowned self] events in self.handle(events) }
            if mode.prefilter {
                untrimmed = try AuditEventStream(trimsSyscallRecords: false, clock: clock) { [unowned self] in untrimmedEvents += $0 }
                untrimmed?.onAuditChange = { [unowned self] in untrimmedChanges.append(Self.describe($0)) }
            }
        } catch {
            fuzzFailure("AuditEventStream: \(error)")
        }
        // Changes to audit itself (CONFIG_CHANGE, DAEMON records): built-in alerts, as the
        // executable's InputPipeline raises them.
        stream.onAuditChange = { [unowned self] change in
            changes.append(Self.describe(change))
            guard let alert = AuditChangeJudge.alert(for: change) else { return }
            builtin &+= 1
            folder.takeBuiltin(alert, into: &pending)
            emitPending()
        }
        var offset = 0
        while offset < payload.count {
            let count = min(chunkLength(), payload.count - offset)
            step = "consume(\(offset)..<\(offset + count))"
            let chunk = UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: payload[offset..<(offset + count)]))
            stream.consume(chunk)
            untrimmed?.consume(chunk)
            observeCounters()
            offset += count
            if mode.live { advanceClock() }
        }
        step = "finish"
        stream.finish()
        untrimmed?.finish()
        if untrimmed != nil {
            fuzzCheck(events == untrimmedEvents, "trimmed SYSCALL records gave other events than whole ones:\n\(events)\n\(untrimmedEvents)")
            fuzzCheck(changes == untrimmedChanges, "trimmed SYSCALL records gave other changes to audit:\n\(changes)\n\(untrimmedChanges)")
        }
        folder.flush(into: &pending)
        emitPending()
        observeCounters()
        let statistics = folder.statistics
        fuzzCheck(engine.statistics.alerts &+ builtin == statistics.raised,
                  "engine raised \(engine.statistics.alerts) alerts and \(builtin) built-in ones, the folder took \(statistics.raised)")
        fuzzCheck(accounted == statistics.raised, "the lines that left stand for \(accounted) alerts, \(statistics.raised) were raised")
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
    /// idle input: `idle` ages libauparse's events, and fold windows close by the clock.
    private func advanceClock() {
        let pause = UInt64(tape.oneIn(8) ? tape.below(5000) : tape.below(200))
        now &+= pause
        step = "tick at \(now) ms"
        stream.tick()
        untrimmed?.tick()
        observeCounters()
        guard pause >= 500 else { return }
        step = "idle at \(now) ms"
        stream.idle()
        untrimmed?.idle()
        if let anchor, folder.hasOpenWindows, now &- anchor.clock > 500 {
            folder.advance(to: anchor.eventTime &+ (now &- anchor.clock - 500), into: &pending)
            emitPending()
        }
        observeCounters()
    }

    /// A change to audit itself, whole, for the comparison of the two streams.
    private static func describe(_ change: AuditChange) -> String {
        "\(change.kind) \(change.node ?? "-") \(change.timestamp) \(change.fields.map { "\($0.name)=\($0.value)" }) \(String(describing: change.process))"
    }

    private func handle(_ events: [BPFEvent]) {
        self.events += events
        engine.countEvent()
        for event in events {
            if event.operation == .load, event.process == nil,
               let alert = missingContext.loadWithoutContext(at: event.timestamp, node: event.node) {
                builtin &+= 1
                folder.takeBuiltin(alert, into: &pending)
                emitPending()
            }
            let enrichment = mode.lookups ? lookups.enrichment(for: event, tape: &tape) : nil
            guard let alert = engine.process(event, enrichment: enrichment) else { continue }
            let before = folder.now
            folder.take(alert, into: &pending)
            if let eventTime = folder.now, eventTime != before { anchor = (eventTime, now) }
            emitPending()
        }
        let statistics = engine.statistics
        fuzzCheck(statistics.loads &+ statistics.unloads == statistics.bpfEvents,
                  "loads \(statistics.loads) + unloads \(statistics.unloads) != bpf_events \(statistics.bpfEvents)")
        fuzzCheck(engine.programs.count <= engine.policy.settings.maxPrograms,
                  "program table holds \(engine.programs.count) > max_programs \(engine.policy.settings.maxPrograms)")
    }

    /// Every line that leaves the folder, in its three renderings.
    private func emitPending() {
        for outgoing in pending {
            let expected = DocumentedAlertFields.of(outgoing)
            let line = outgoing.line
            AlertLineCheck.check(line, expected: expected)
            AlertJSONCheck.check(outgoing.json, expected: expected)
            ECSDocumentCheck.check(ECSFormatter.document(outgoing, context: Self.ecsContext), line: line)
            switch outgoing {
            case .single: accounted &+= 1
            case .repeated(let repeated):
                fuzzCheck(repeated.count >= 1 && repeated.first.totalMilliseconds <= repeated.last.totalMilliseconds, "summary \(line)")
                accounted &+= repeated.count
            case .capped(let capped):
                fuzzCheck(capped.held == capped.labels.reduce(0) { $0 &+ $1.count }, "cap note's labels do not add up to held: \(line)")
                accounted &+= capped.held
            case .audit(let alert):
                fuzzCheck(AuditAlert.labels.contains(alert.label), "built-in alert with an unknown label: \(line)")
                accounted &+= 1
            }
        }
        pending.removeAll(keepingCapacity: true)
        let statistics = folder.statistics
        fuzzCheck(statistics.raised == statistics.sent &+ statistics.folded &+ statistics.capped, "folder: \(statistics.summary)")
    }

    /// Every counter of the summary line (`EngineStatistics.summary`, the folder's, and what
    /// the stream adds to them); none may ever go back.
    private func observeCounters() {
        let statistics = engine.statistics, folding = folder.statistics
        counters.observe([
            ("records", stream.records), ("filtered", stream.filteredRecords), ("trimmed", stream.trimmedRecords),
            ("forced_events", stream.forcedCompletions), ("events", statistics.events),
            ("bpf_events", statistics.bpfEvents), ("loads", statistics.loads), ("unloads", statistics.unloads),
            ("unmatched_unloads", statistics.unmatchedUnloads), ("zero_id_unloads", statistics.zeroIDUnloads),
            ("alerts", statistics.alerts), ("malformed", stream.malformed), ("malformed_lines", stream.malformedLines),
            ("malformed_bpf_records", stream.malformedBPFRecords), ("evicted_allowed", engine.programs.allowedEvictions),
            ("evicted_alerted", engine.programs.alertedEvictions),
            ("alerts_raised", folding.raised), ("alerts_sent", folding.sent), ("alerts_folded", folding.folded),
            ("alerts_capped", folding.capped),
        ], after: "\(step) (\(mode))")
    }
}
