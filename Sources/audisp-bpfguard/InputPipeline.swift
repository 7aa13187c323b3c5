import BPFGuardAudit
import BPFGuardCore

/// Audit records in, alerts out: line reader → libauparse event assembly → rule engine →
/// alert output. Shared by plugin mode and --replay.
final class InputPipeline {
    private(set) var engine: Engine
    private let output: AlertOutput
    private let diagnostics: DiagnosticLog
    private var reader = AuditLineReader()
    /// nil: every record goes to libauparse (`--no-prefilter`).
    private var filter: BPFRecordFilter?
    private var feed: AuditFeed!
    /// Record lines of the current input chunk, each with its newline, fed in one call.
    private var batch: [UInt8] = []
    private var reportedMalformedBPFRecords: UInt64 = 0
    /// Counted here, not read from the reader, which is busy while it reports one.
    private var malformedLines: UInt64 = 0

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
        self.filter = prefilter ? BPFRecordFilter(orderedRelease: !live) : nil
        self.output = output
        self.diagnostics = diagnostics
        self.feed = try AuditFeed { [unowned self] events in self.handle(events) }
    }

    /// Malformed input lines and BPF records skipped so far.
    var malformed: UInt64 { malformedLines + feed.malformedBPFRecords }

    var statistics: EngineStatistics {
        var statistics = engine.statistics
        statistics.malformed = malformed
        statistics.records = records
        statistics.filteredRecords = filter?.droppedRecords ?? 0
        return statistics
    }

    /// Consumes a chunk of input bytes.
    func consume(_ bytes: UnsafeRawBufferPointer) {
        reader.consume(bytes, malformed: reportMalformedLine, take)
        feedBatch()
        reportMalformedBPFRecords()
        output.flush()
    }

    /// No input for a while: complete events that will get no more records.
    func idle() {
        tick()
        feed.ageEvents()
        output.flush()
    }

    /// Whether events wait for more records (the input loop then wakes up more often).
    var hasOpenEvents: Bool { filter?.hasOpenEvents ?? false }

    /// Completes live events without EOE whose wait is over.
    func tick() {
        guard filter?.hasOpenEvents == true else { return }
        filter!.tick(now: Clock.monotonicMilliseconds(), pass: appendEvent)
        feedBatch()
        output.flush()
    }

    /// End of input: everything pending is completed.
    func finish() {
        reader.finish(malformed: reportMalformedLine, take)
        filter?.finish(pass: appendEvent)
        feedBatch()
        feed.flush()
        reportMalformedBPFRecords()
        output.flush()
    }

    /// Loads the kernel's current programs into the table (plugin start-up).
    func takeInventory(_ lookups: KernelLookups) -> Int {
        lookups.takeInventory(into: &engine)
    }

    func replacePolicy(_ policy: Policy) {
        lookups?.localNode = policy.settings.localNode
        engine.replacePolicy(policy)
        output.setFacility(policy.settings.facility)
    }

    /// Records read (valid record lines).
    private var records: UInt64 = 0

    /// One record line: through the pre-filter into the batch for libauparse.
    private func take(_ line: UnsafeBufferPointer<UInt8>, _ header: AuditRecordHeader) {
        records += 1
        if filter != nil {
            filter!.process(line, header, now: live ? Clock.monotonicMilliseconds() : nil, pass: appendEvent)
        } else {
            batch.append(contentsOf: line)
            batch.append(UInt8(ascii: "\n"))
        }
    }

    /// A complete event from the pre-filter: its lines, newlines included.
    private func appendEvent(_ bytes: UnsafeBufferPointer<UInt8>) {
        batch.append(contentsOf: bytes)
    }

    private func feedBatch() {
        guard !batch.isEmpty else { return }
        batch.withUnsafeBytes { feed.feed($0) }
        feed.release()
        batch.removeAll(keepingCapacity: batch.count <= 1 << 20)
    }

    private func handle(_ events: [BPFEvent]) {
        engine.countEvent()
        for event in events {
            let enrichment = lookups?.enrichment(for: event)
            if let alert = engine.process(event, enrichment: enrichment) { output.emit(alert) }
        }
    }

    /// The first malformed lines are reported one by one, then every 1000th, so that a
    /// flood of bad input cannot flood the log.
    private func reportMalformedLine(_ sample: [UInt8]) {
        malformedLines += 1
        let count = malformedLines
        guard count <= 5 || count % 1000 == 0 else { return }
        diagnostics.log(.warning, "skipped malformed audit input: \(count) so far (last line began \(AlertEscaping.quoted(sample)))")
    }

    private func reportMalformedBPFRecords() {
        let count = feed.malformedBPFRecords
        guard count > reportedMalformedBPFRecords else { return }
        if count <= 5 || count / 1000 != reportedMalformedBPFRecords / 1000 {
            diagnostics.log(.warning, "skipped BPF records without a valid prog-id and op: \(count) so far")
        }
        reportedMalformedBPFRecords = count
    }
}
