import BPFGuardAudit
import BPFGuardCore

/// Audit records in, alerts out: the audit event stream (line reader → pre-filter →
/// libauparse) → kernel lookups and loader recovery (`LoaderRecoveryStage`, when lookups
/// are on) → loader facts (`LoaderFactsStage`) → rule engine → alert folding → alert
/// output. Shared by plugin mode and --replay.
final class InputPipeline {
    /// Unchecked exclusivity: the engine is reached only from the input thread, and the
    /// engine's code (pure Core, no callbacks) cannot reach this pipeline again while it
    /// runs; a dynamic check per access was a measurable part of each event's cost.
    @exclusivity(unchecked) private(set) var engine: Engine
    private let output: AlertOutput
    let folding: AlertFoldingStage
    private let diagnostics: DiagnosticLog
    private var stream: AuditEventStream!
    private var reportedMalformedBPFRecords: UInt64 = 0
    /// Events libauparse completed during the current call into the stream, handled when it
    /// returns (`handlePendingEvents`), in order. Why not at once: handling an event between
    /// two of libauparse's runs interleaved their code, and the two did not fit the processor's
    /// instruction cache together (cachegrind on a BPF-dense stream: a third of the
    /// instruction-cache misses, and under half of the data-cache misses, once handled after
    /// the run). Bounded by the events one call completes. Unchecked exclusivity like the
    /// engine: only the input thread reaches it.
    @exclusivity(unchecked) private var pendingEvents: [BPFEvent] = []

    /// nil: no kernel lookups (`--replay` without `--lookup`, `--no-lookup`).
    let lookups: KernelLookups?
    /// Holds events behind LOADs whose loader is being recovered; nil without lookups.
    private let recovery: LoaderRecoveryStage?
    /// Holds events behind LOADs whose loader's package verdict is being worked out; nil
    /// without lookups or loader facts.
    private let facts: LoaderFactsStage?

    /// Live input (plugin mode): events are released as they complete, and events without
    /// EOE complete by the monotonic clock. Replayed logs keep arrival order.
    let live: Bool

    init(policy: Policy, output: AlertOutput, diagnostics: DiagnosticLog, prefilter: Bool = true, lookups: KernelLookups? = nil,
         live: Bool) throws(AuditFeedError) {
        self.engine = Engine(policy: policy)
        self.lookups = lookups
        self.recovery = lookups.map { LoaderRecoveryStage(lookups: $0, mayBlock: !live) }
        self.facts = lookups.flatMap { lookups in
            lookups.loaderFacts.map { gatherer in
                LoaderFactsStage(gatherer: gatherer, worker: LoaderFactsWorker(source: gatherer.verdicts, cache: gatherer.cache),
                                 mayBlock: !live, isLocal: { [unowned lookups] in lookups.isLocal($0) })
            }
        }
        self.live = live
        self.output = output
        self.folding = AlertFoldingStage(policy: policy, output: output, live: live)
        self.diagnostics = diagnostics
        let clock: (() -> UInt64)? = live ? { Clock.monotonicMilliseconds() } : nil
        self.stream = try AuditEventStream(
            prefilter: prefilter, clock: clock,
            onMalformedLine: { [unowned self] sample in self.reportMalformedLine(sample) },
            onEvents: { [unowned self] events in self.handle(events) })
        self.stream.onAuditChange = { [unowned self] change in
            self.handlePendingEvents()  // (the events before it first, as they came)
            self.auditChanges &+= 1
            if let alert = AuditChangeJudge.alert(for: change) { self.folding.takeBuiltin(alert) }
        }
    }

    /// Loads that came without a SYSCALL record, said once per run and then hourly.
    private(set) var missingContext = MissingContextReporter()
    /// Changes to audit itself seen (CONFIG_CHANGE and auditd's DAEMON records), alerted or not.
    private(set) var auditChanges: UInt64 = 0

    /// The state report's counters about audit itself.
    var auditCounters: [(name: String, value: UInt64)] {
        [("loads_without_context", missingContext.total), ("audit_changes", auditChanges)]
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
        handlePendingEvents()
        if let recovery, recovery.hasPending { deliver(recovery.collectAnswers()) }
        if let facts, facts.hasPending { process(facts.collectAnswers()) }
        reportMalformedBPFRecords()
        output.flush()
    }

    /// No input for a while: complete events that will get no more records.
    func idle() {
        stream.idle()
        handlePendingEvents()
        folding.closeWindowsByClock()
        output.flush()
    }

    /// Whether events wait for more records, for their loader's recovery or for its facts
    /// (the input loop then wakes up more often).
    var hasOpenEvents: Bool { stream.hasOpenEvents || recovery?.hasPending == true || facts?.hasPending == true }

    /// Readable when loader recovery has answers (poll it with standard input); -1 without
    /// lookups.
    var recoveryWakeDescriptor: Int32 { lookups?.recovery.wakeDescriptor ?? -1 }

    /// Readable when the facts worker has verdicts (poll it with standard input); -1 without
    /// loader facts.
    var factsWakeDescriptor: Int32 { facts?.worker.wakeDescriptor ?? -1 }

    /// Completes live events without EOE whose wait is over, and releases events whose
    /// loader recovery or facts were answered or timed out. `recoveryWoken`, `factsWoken`:
    /// the recovery or facts descriptor was readable.
    func tick(recoveryWoken: Bool = false, factsWoken: Bool = false) {
        if let recovery, recoveryWoken || recovery.hasPending {
            deliver(recovery.collectAnswers(woken: recoveryWoken))
            output.flush()
        }
        if let facts, factsWoken || facts.hasPending {
            process(facts.collectAnswers(woken: factsWoken))
            output.flush()
        }
        guard stream.hasOpenEvents else { return }
        stream.tick()
        handlePendingEvents()
        output.flush()
    }

    /// End of input: everything pending is completed (outstanding loader recoveries and
    /// facts are waited for, each until its deadline).
    func finish() {
        stream.finish()
        handlePendingEvents()
        if let recovery { deliver(recovery.finish()) }
        if let facts { process(facts.finish()) }
        reportMalformedBPFRecords()
        folding.flush()
        output.flush()
    }

    /// Starts the loader recovery worker (after privileges are dropped: it gets the
    /// capabilities of this thread). False when it could not start: context-less LOADs
    /// then go on without a loader, counted as shed.
    func startLoaderRecovery() -> Bool {
        lookups?.startRecovery() ?? true
    }

    /// Starts the facts worker (after privileges are dropped, like loader recovery). False
    /// when it could not start: LOADs whose verdict is not cached then go on with
    /// `exe-package=?` and `exe-trusted=?`, counted as shed.
    func startLoaderFacts() -> Bool {
        facts?.start() ?? true
    }

    /// Counters of loader recovery; nil without lookups.
    var recoveryStatistics: LoaderRecoveryStatistics? { recovery?.statistics }

    /// The state report's counters of loader facts (empty without them).
    var loaderFactsCounters: [(name: String, value: UInt64)] { facts?.counters ?? [] }

    /// The lookup, recovery and loader facts counters of the exit summary; nil without lookups.
    var lookupSummary: String? {
        guard let lookups, let recovery else { return nil }
        return lookups.summary(recovery: recovery.statistics) + (facts.map { " \($0.summary) \($0.statistics.summary)" } ?? "")
    }

    /// Loads the kernel's current programs into the table (plugin start-up).
    func takeInventory(_ lookups: KernelLookups) -> Int {
        lookups.takeInventory(into: &engine)
    }

    /// Lets `body` work on the engine outside an audit event (the periodic scan's
    /// decisions) and sends the alerts it returns.
    func raise(_ body: (inout Engine) -> [Alert]) {
        for alert in body(&engine) { folding.take(alert) }
        output.flush()
    }

    func replacePolicy(_ policy: Policy) {
        lookups?.configuredNode = policy.settings.localNode
        folding.replacePolicy(policy)
        engine.replacePolicy(policy)
        output.setFacility(policy.settings.facility)
    }

    private func handle(_ events: [BPFEvent]) {
        engine.countEvent()
        pendingEvents.append(contentsOf: events)
    }

    /// The events completed so far, through loader recovery and facts (or straight) to the
    /// engine and folding, in input order.
    private func handlePendingEvents() {
        guard !pendingEvents.isEmpty else { return }
        defer { pendingEvents.removeAll(keepingCapacity: pendingEvents.count <= 4096) }
        for event in pendingEvents {
            if event.operation == .load, event.process == nil,
               let alert = missingContext.loadWithoutContext(at: event.timestamp, node: event.node) {
                folding.takeBuiltin(alert)
            }
            if let recovery {
                deliver(recovery.admit(event))
            } else {
                process(event, enrichment: nil)
            }
        }
    }

    /// Events out of loader recovery, on to loader facts (or the engine without them).
    private func deliver(_ released: [PendingEvents.Released]) {
        guard let facts else { return process(released) }
        for item in released { process(facts.admit(item)) }
    }

    private func process(_ released: [PendingEvents.Released]) {
        for item in released { process(item.event, enrichment: item.enrichment) }
    }

    /// One event through the engine, in input order.
    private func process(_ event: BPFEvent, enrichment: Engine.Enrichment?) {
        if let alert = engine.process(event, enrichment: enrichment) { folding.take(alert) }
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
