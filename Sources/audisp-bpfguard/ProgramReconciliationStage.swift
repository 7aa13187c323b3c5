import BPFGuardCore
import Glibc

/// Plugin mode's periodic scan (policy `scan_interval`, with kernel lookups): a live-only
/// timer in the input loop asks the worker (`ReconciliationWorker`) to look at the known
/// loaders in /proc and walk the kernel's programs; when the result arrives, the core
/// (`ProgramReconciler`) decides which programs outlived their loader and which no LOAD
/// announced, and the engine evaluates the policy for each (`op=persist`, `op=unseen`).
/// Within a second of every change, and at exit, the programs the plugin accounts for go
/// to the known-programs file, which the next run compares with its start-up inventory.
///
/// The input loop does only the cheap parts: it lists the loaders to check, reconciles
/// the walk with the program table (one table look-up per program) and looks up the few
/// unseen programs (at most `maximumUnseenPerScan` per scan).
final class ProgramReconciliationStage {
    /// Unseen programs reported per scan at most (each is looked up on the input thread,
    /// as a LOAD is); the rest are reported by the scans that follow, at least
    /// `minimumScanGapMilliseconds` apart.
    static let maximumUnseenPerScan = 256
    /// The closest two scans ever are (an early scan decides suspects as they come due).
    static let minimumScanGapMilliseconds: UInt64 = 1000
    /// Standard input holding this much unread means the input is behind: a missing LOAD
    /// may only be late, so unseen decisions wait.
    static let backlogBytes: Int32 = 32768

    let worker: ReconciliationWorker
    let store: KnownProgramsStore
    private let lookups: KernelLookups
    private let diagnostics: DiagnosticLog
    private(set) var reconciler = ProgramReconciler()
    /// This boot's id: without it nothing is read or written.
    private let bootID: String?
    /// Boot-clock milliseconds of the next scan and of the last one asked for.
    private var nextScan: UInt64 = 0
    private var lastScan: UInt64 = 0
    private var lastWritten: [KnownPrograms.Program]?
    /// What the table's content depends on, when the file was last brought up to date, and
    /// when (boot-clock milliseconds).
    private var lastWrittenSignature: [UInt64] = []
    private var lastWriteCheck: UInt64 = 0
    /// The file follows changes at most this often: a plugin killed right after a change
    /// has the next instance report the programs of that last second unseen.
    static let writeGapMilliseconds: UInt64 = 1000
    private(set) var writeFailures: UInt64 = 0

    init(lookups: KernelLookups, store: KnownProgramsStore, diagnostics: DiagnosticLog, worker: ReconciliationWorker = ReconciliationWorker()) {
        self.lookups = lookups
        self.store = store
        self.diagnostics = diagnostics
        self.worker = worker
        self.bootID = KnownProgramsStore.currentBootID()
    }

    /// This host's nodes: records without `node=`, and with this host's name.
    private var nodes: [String?] {
        guard let node = lookups.localNode else { return [nil] }
        return [nil, node]
    }

    /// Start-up, after the inventory: programs loaded now that the previous run did not know
    /// were loaded while no plugin was reading, and become suspects (reported unseen unless
    /// their LOAD record arrives). Logs what it found.
    func startUp(engine: Engine) {
        let now = Self.bootMilliseconds()
        lastScan = now
        nextScan = saturatingAdd(now, engine.policy.settings.scanIntervalMilliseconds)
        guard let bootID else {
            diagnostics.log(.err, "cannot read this boot's id (\(KnownProgramsStore.bootIDPath)): the known-programs file is neither read nor written")
            return
        }
        let (previous, message) = store.readPrevious(bootID: bootID)
        if let (priority, text) = message { diagnostics.log(priority, text) }
        let inventory = engine.programs.trackedPrograms(nodes: nodes).compactMap { tracked -> ScannedProgram? in
            guard tracked.identity == .kernel, case .at(let loadTime) = tracked.kernelLoadTime else { return nil }
            return ScannedProgram(programID: tracked.key.programID, loadTime: loadTime, createdByUID: 0)
        }
        let outcome = reconciler.startUp(inventory: inventory, previous: previous, now: ReconciliationClock.bootNanoseconds())
        if case .known = previous {
            diagnostics.log(outcome.suspects > 0 ? .warning : .info,
                            "known programs of the previous run: \(outcome.known) still loaded, \(outcome.gone) gone; \(outcome.suspects) loaded since it stopped"
                            + (outcome.suspects > 0 ? " (reported unseen unless their LOAD record arrives)" : ""))
        }
        scheduleEarlyDecision(now: now)
    }

    /// Starts the worker thread (after privileges are dropped).
    func start() -> Bool { worker.start() }

    var wakeDescriptor: Int32 { worker.wakeDescriptor }

    /// Called on every turn of the input loop: takes the worker's results (`woken`: its
    /// descriptor was readable) and asks for the next scan when it is due.
    func tick(_ pipeline: InputPipeline, woken: Bool) {
        if woken {
            worker.clearWakeUp()
            for failure in worker.takeWriteFailures() {
                writeFailures &+= 1
                diagnostics.log(.err, "cannot write the known-programs file: \(failure)")
            }
            if let scan = worker.takeScan() { apply(scan, pipeline) }
        }
        followChanges(pipeline.engine)
        let interval = pipeline.engine.policy.settings.scanIntervalMilliseconds
        guard interval > 0 else { return }
        let now = Self.bootMilliseconds()
        nextScan = min(nextScan, saturatingAdd(lastScan, interval))
        guard now >= nextScan, now >= saturatingAdd(lastScan, Self.minimumScanGapMilliseconds), !worker.isScanning else { return }
        if worker.requestScan(loaders: reconciler.loadersToCheck(pipeline.engine, nodes: nodes)) {
            lastScan = now
            nextScan = saturatingAdd(now, interval)
        }
    }

    /// At exit (after the input is finished): the known programs go to the file, waited
    /// for at most `exitWriteMilliseconds`.
    func finish(_ pipeline: InputPipeline) {
        writeKnownPrograms(pipeline.engine, force: true)
        let deadline = Clock.monotonicMilliseconds() + Self.exitWriteMilliseconds
        while worker.isWriting && Clock.monotonicMilliseconds() < deadline { usleep(10_000) }
        for failure in worker.takeWriteFailures() {
            writeFailures &+= 1
            diagnostics.log(.err, "cannot write the known-programs file: \(failure)")
        }
        if worker.isWriting { diagnostics.log(.err, "the known-programs file \(store.path) was not written within \(Self.exitWriteMilliseconds) ms at exit") }
    }

    static let exitWriteMilliseconds: UInt64 = 2000

    /// The counters of the exit summary and the state report.
    var counters: [(name: String, value: UInt64)] {
        reconciler.statistics.counters + [("suspects_pending", UInt64(reconciler.pendingSuspects)), ("state_write_errors", writeFailures)]
    }

    var summary: String {
        NamedCounterText.summary(counters) + " " + worker.walkSummary
    }

    // MARK: - Private

    private func apply(_ scan: KernelScan, _ pipeline: InputPipeline) {
        let mayDecideUnseen = !pipeline.hasOpenEvents && Self.pendingInputBytes() < Self.backlogBytes
        let node = lookups.localNode
        let nodes = self.nodes
        pipeline.raise { engine in
            let decided = reconciler.reconcile(scan, engine: &engine, nodes: nodes, mayDecideUnseen: mayDecideUnseen,
                                               maximumUnseen: Self.maximumUnseenPerScan)
            var alerts: [Alert] = []
            for found in decided.persisting {
                if let alert = engine.persisting(found, at: scan.time) { alerts.append(alert) }
            }
            for found in decided.unseen {
                let program = lookups.programs.lookup(found.program.programID)
                if let alert = engine.unseen(found, node: node, program: program, at: scan.time) { alerts.append(alert) }
            }
            return alerts
        }
        scheduleEarlyDecision(now: Self.bootMilliseconds())
    }

    /// Brings the known-programs file up to date when the table may have changed (loads,
    /// unloads, evictions, unseen programs, decided suspects), at most once a second.
    private func followChanges(_ engine: Engine) {
        let now = Self.bootMilliseconds()
        guard now >= saturatingAdd(lastWriteCheck, Self.writeGapMilliseconds) else { return }
        let signature = [engine.statistics.loads, engine.statistics.unloads, engine.programs.evictions,
                         reconciler.statistics.unseen, UInt64(reconciler.pendingSuspects)]
        guard signature != lastWrittenSignature else { return }
        lastWriteCheck = now
        lastWrittenSignature = signature
        writeKnownPrograms(engine, force: false)
    }

    /// A suspect due before the next regular scan gets a scan of its own then.
    private func scheduleEarlyDecision(now: UInt64) {
        guard let due = reconciler.nextDecision else { return }
        nextScan = min(nextScan, max(due / 1_000_000 + 1, now))
    }

    /// Hands the known programs to the worker when they changed since the last write.
    private func writeKnownPrograms(_ engine: Engine, force: Bool) {
        guard let bootID else { return }
        let programs = reconciler.knownPrograms(engine, nodes: nodes)
        guard force || programs != lastWritten else { return }
        lastWritten = programs
        if programs.count > KnownPrograms.maximumPrograms {
            diagnostics.log(.warning, "the known-programs file holds \(KnownPrograms.maximumPrograms) programs at most: \(programs.count - KnownPrograms.maximumPrograms) left out")
        }
        worker.requestWrite(KnownPrograms(bootID: bootID, written: ReconciliationClock.bootNanoseconds(), programs: programs), to: store.path)
    }

    private static func bootMilliseconds() -> UInt64 { ReconciliationClock.bootNanoseconds() / 1_000_000 }

    /// Bytes waiting on standard input (FIONREAD); 0 when it cannot be told.
    private static func pendingInputBytes() -> Int32 {
        var count: Int32 = 0
        let status = withUnsafeMutablePointer(to: &count) { ioctl(0, UInt(FIONREAD), $0) }
        return status == 0 ? count : 0
    }

    private func saturatingAdd(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }
}
