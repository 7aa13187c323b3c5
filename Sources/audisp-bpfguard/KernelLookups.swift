import BPFGuardCore
import Glibc

/// Everything the plugin asks the kernel about a BPF event: the program by prog-id (at
/// once, on the input thread: one bpf() call) and, for a LOAD without SYSCALL context, the
/// process holding it (from /proc, on the recovery worker thread). Counts what it did. The
/// loader's facts are gathered by `LoaderFactsStage` (on the facts worker when not cached).
final class KernelLookups {
    let programs: KernelPrograms
    /// The worker that recovers loaders from /proc (started with `startRecovery`).
    let recovery: LoaderRecovery
    /// Package, trust and container of loaders; nil leaves them unknown.
    let loaderFacts: LoaderFactsGatherer?
    /// Events from this node are local too (auditd's `name_format` puts a node on local
    /// records); events from other nodes are never looked up. The policy's `local_node`,
    /// else the name auditd.conf gives this host.
    var localNode: String? { configuredNode ?? auditdNode }
    /// The policy's `local_node` (replaced on reload).
    var configuredNode: String?
    /// The node name read from auditd.conf at start-up.
    let auditdNode: String?

    private(set) var lookups: UInt64 = 0
    private(set) var gone: UInt64 = 0
    private(set) var failures: UInt64 = 0
    private(set) var lastFailure: String?

    init(programs: KernelPrograms, recovery: LoaderRecovery = LoaderRecovery(), loaderFacts: LoaderFactsGatherer? = nil,
         configuredNode: String?, auditdNode: String? = nil) {
        self.programs = programs
        self.recovery = recovery
        self.loaderFacts = loaderFacts
        self.configuredNode = configuredNode
        self.auditdNode = auditdNode
    }

    func isLocal(_ event: BPFEvent) -> Bool {
        event.node == nil || event.node == localNode
    }

    /// Whether the event is a local LOAD without SYSCALL context, whose loader is to be
    /// recovered from /proc.
    func needsRecovery(_ event: BPFEvent) -> Bool {
        event.operation == .load && event.process == nil && isLocal(event)
    }

    /// Starts the recovery worker; its thread gets the capabilities of the calling thread,
    /// so call it after privileges are dropped. Until it runs, requests are refused (shed).
    func startRecovery() -> Bool {
        recovery.start()
    }

    /// The kernel's description of the event's program (UNLOADs and remote events get
    /// none of their own).
    func enrichment(for event: BPFEvent) -> Engine.Enrichment {
        guard event.operation == .load, isLocal(event) else { return Engine.Enrichment(program: .notDone) }
        lookups += 1
        let program = programs.lookup(event.programID)
        switch program {
        case .gone: gone += 1
        case .failed(let message): failures += 1; lastFailure = message
        case .found, .notDone: break
        }
        return Engine.Enrichment(program: program)
    }

    /// The enrichment with the loader's facts gathered at once, on this thread, however long
    /// the package databases take: for `--generate-policy`, which may wait.
    func enrichmentWithLoaderFacts(for event: BPFEvent) -> Engine.Enrichment {
        var enrichment = enrichment(for: event)
        if event.operation == .load, isLocal(event), let process = event.process, let loaderFacts {
            enrichment.loaderFacts = loaderFacts.gather(exe: process.exe, pid: process.pid)
        }
        return enrichment
    }

    /// Puts every program loaded now into the engine's table (start-up and restarts), with
    /// its kernel load time converted to wall-clock time. Returns how many.
    func takeInventory(into engine: inout Engine) -> Int {
        var realtime = timespec(), boottime = timespec()
        clock_gettime(CLOCK_REALTIME, &realtime)
        clock_gettime(CLOCK_BOOTTIME, &boottime)
        let bootEpochNanoseconds = (Int64(realtime.tv_sec) - Int64(boottime.tv_sec)) * 1_000_000_000
            + (Int64(realtime.tv_nsec) - Int64(boottime.tv_nsec))
        var count = 0
        for id in KernelPrograms.loadedProgramIDs() {
            guard case .found(let info) = programs.lookup(id) else { continue }
            let loadedNanoseconds = bootEpochNanoseconds + Int64(info.loadTimeNanoseconds)
            let milliseconds = UInt64(max(0, loadedNanoseconds / 1_000_000))
            engine.addInventory(programID: id, node: localNode, info: info,
                                loadedAt: AuditTimestamp(seconds: milliseconds / 1000, milliseconds: UInt32(milliseconds % 1000), serial: 0))
            count += 1
        }
        return count
    }

    /// The program lookups' counters.
    var programSummary: String { "lookups=\(lookups) gone=\(gone) lookup_errors=\(failures)" }

    /// The exit summary's lookup counters, with those of loader recovery.
    func summary(recovery statistics: LoaderRecoveryStatistics) -> String {
        "\(programSummary) \(statistics.summary)"
    }
}
