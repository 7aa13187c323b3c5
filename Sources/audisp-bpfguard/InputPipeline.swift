import BPFGuardAudit
import BPFGuardCore

/// Audit records in, alerts out: the audit event stream (line reader → pre-filter →
/// libauparse) → rule engine → alert folding → alert output. Shared by plugin mode and
/// --replay.
final class InputPipeline {
    private(set) var engine: Engine
    private let output: AlertOutput
    let folding: AlertFoldingStage
    private let diagnostics: DiagnosticLog
    private var stream: AuditEventStream!
    private var reportedMalformedBPFRecords: UInt64 = 0

    /// nil: no kernel lookups (`--replay` without `--lookup`, `--no-lookup`).
    let lookups: KernelLookups?

    /// Live input (plugin mode): events are released as they complete, and events without
    /// EOE complete by the monotonic clock. Replayed logs keep arrival order.
    let live: Bool

    init(policy: Policy, output: AlertOutput, diagnostics: DiagnosticLog, prefilter: Bool = true, lookups: KernelLookups? = nil,
         live: Bool) throws(AuditFeedError) {
        self.engine = Engine(policy: policy)
        self.lookups = lookups
        self.live = live
        self.output = output
        self.folding = AlertFoldingStage(policy: policy, output: output)
        self.diagnostics = diagnostics
        let clock: (() -> UInt64)? = live ? { Clock.monotonicMilliseconds() } : nil
        self.stream = try AuditEventStream(
            prefilter: prefilter, clock: clock,
            onMalformedLine: { [unowned self] sample in self.reportMalformedLine(sample) },
            onEvents: { [unowned self] events in self.handle(events) })
    }

    /// Malformed input lines and BPF records skipped so far.
    var malformed: UInt64 { stream.malformed }

    /// Alerts the output could not write.
    var droppedAlerts: UInt64 { output.droppedAlerts }

    var statistics: EngineStatistics {
        var statistics = engine.statistics
        statistics.malformed = stream.malformed
        statistics.records = stream.records
        statistics.filteredRecords = stream.filteredRecords
        statistics.trimmedRecords = stream.trimmedRecords
        statistics.forcedEvents = stream.forcedCompletions
        return statistics
    }

    /// Consumes a chunk of input bytes.
    func consume(_ bytes: UnsafeRawBufferPointer) {
        stream.consume(bytes)
        reportMalformedBPFRecords()
        output.flush()
    }

    /// No input for a while: complete events that will get no more records.
    func idle() {
        stream.idle()
        folding.closeWindowsByClock()
        output.flush()
    }

    /// Whether events wait for more records (the input loop then wakes up more often).
    var hasOpenEvents: Bool { stream.hasOpenEvents }

    /// Completes live events without EOE whose wait is over.
    func tick() {
        guard stream.hasOpenEvents else { return }
        stream.tick()
        output.flush()
    }

    /// End of input: everything pending is completed.
    func finish() {
        stream.finish()
        reportMalformedBPFRecords()
        folding.flush()
        output.flush()
    }

    /// Loads the kernel's current programs into the table (plugin start-up).
    func takeInventory(_ lookups: KernelLookups) -> Int {
        lookups.takeInventory(into: &engine)
    }

    func replacePolicy(_ policy: Policy) {
        lookups?.configuredNode = policy.settings.localNode
        folding.replacePolicy(policy)
        engine.replacePolicy(policy)
        output.setFacility(policy.settings.facility)
    }

    private func handle(_ events: [BPFEvent]) {
        engine.countEvent()
        for event in events {
            let enrichment = lookups?.enrichment(for: event)
            if let alert = engine.process(event, enrichment: enrichment) { folding.take(alert) }
        }
    }

    /// The first malformed lines are reported one by one, then every 1000th, so that a
    /// flood of bad input cannot flood the log.
    private func reportMalformedLine(_ sample: [UInt8]) {
        let count = stream.malformedLines
        guard count <= 5 || count % 1000 == 0 else { return }
        diagnostics.log(.warning, "skipped malformed audit input: \(count) so far (last line began \(AlertEscaping.quoted(sample)))")
    }

    private func reportMalformedBPFRecords() {
        let count = stream.malformedBPFRecords
        guard count > reportedMalformedBPFRecords else { return }
        if count <= 5 || count / 1000 != reportedMalformedBPFRecords / 1000 {
            diagnostics.log(.warning, "skipped BPF records without a valid prog-id and op: \(count) so far")
        }
        reportedMalformedBPFRecords = count
    }
}
