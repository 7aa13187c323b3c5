import BPFGuardCore
import CPluginSupport
import Glibc

/// Plugin mode: audit records from auditd on standard input until end of input or SIGTERM.
///
/// The loop blocks only in poll(2) on standard input, with a timeout, so that signals are
/// acted on promptly and events without an EOE record are completed by libauparse's
/// aging within about two seconds.
struct PluginRunner {
    static let pollTimeoutMilliseconds: Int32 = 500
    /// While events wait for completion, the loop wakes up this often to complete them.
    static let openEventPollMilliseconds: Int32 = 50
    static let ageIntervalMilliseconds: UInt64 = 1000

    let policyPath: String
    let pipeline: InputPipeline
    let diagnostics: DiagnosticLog
    let queue: OutputQueue
    /// The writer of the plugin's own syslog messages (the alert queue when alerts go to syslog).
    let diagnosticQueue: OutputQueue?
    let stateFilePath: String
    /// The periodic scan (persist and unseen programs); nil without kernel lookups.
    let reconciliation: ProgramReconciliationStage?
    /// How long alerts still queued at exit may take to leave.
    static let exitDrainMilliseconds = 3000

    func run() -> Int32 {
        let reloader = PolicyReloader(path: policyPath)
        var buffer = [UInt8](repeating: 0, count: 65536)
        var lastAged = Clock.monotonicMilliseconds()
        var lastHeartbeat = lastAged
        var endOfInput = false
        while !endOfInput {
            let signals = bpfguard_take_signals()
            if signals.reload != 0 {
                // Pending fold summaries leave under the policy in force, whatever the reload gives.
                pipeline.folding.flush()
                if !reloader.request() { apply(PolicyLoader.load(policyPath)) }
            }
            if let outcome = reloader.take() { apply(outcome) }
            if signals.report != 0 { writeStateReport() }
            if signals.stop != 0 {
                diagnostics.log(.info, "stopping on \(signals.stop == SIGINT ? "SIGINT" : "SIGTERM") from the parent process")
                drainAvailableInput(&buffer)
                break
            }
            // Standard input, and the answers of loader recovery, of the periodic scan and of the
            // facts worker (fd -1, ignored, without lookups).
            var descriptors = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0),
                               pollfd(fd: pipeline.recoveryWakeDescriptor, events: Int16(POLLIN), revents: 0),
                               pollfd(fd: reconciliation?.wakeDescriptor ?? -1, events: Int16(POLLIN), revents: 0),
                               pollfd(fd: pipeline.factsWakeDescriptor, events: Int16(POLLIN), revents: 0)]
            let timeout = pipeline.hasOpenEvents || reloader.isRunning ? Self.openEventPollMilliseconds : Self.pollTimeoutMilliseconds
            let ready = poll(&descriptors, nfds_t(descriptors.count), timeout)
            if ready < 0 {
                if errno == EINTR { continue }
                diagnostics.log(.err, "poll on standard input failed: \(String(cString: strerror(errno)))")
                break
            }
            if descriptors[0].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { Glibc.read(0, $0.baseAddress, $0.count) }
                if count > 0 {
                    buffer.withUnsafeBytes { pipeline.consume(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    endOfInput = true
                    if count < 0 { diagnostics.log(.err, "reading standard input failed: \(String(cString: strerror(errno)))") }
                }
            }
            pipeline.tick(recoveryWoken: descriptors[1].revents != 0, factsWoken: descriptors[3].revents != 0)
            reconciliation?.tick(pipeline, woken: descriptors[2].revents != 0)
            let now = Clock.monotonicMilliseconds()
            if ready == 0 || now - lastAged >= Self.ageIntervalMilliseconds {
                pipeline.idle()
                lastAged = now
            }
            let heartbeat = pipeline.engine.policy.settings.heartbeatMilliseconds
            if heartbeat > 0, now &- lastHeartbeat >= heartbeat {
                diagnostics.log(.info, "heartbeat: \(countersSummary)")
                lastHeartbeat = now
            }
        }
        pipeline.finish()
        reconciliation?.finish(pipeline)
        // Alerts first, so that the summary counts those that could not be written.
        let drained = queue.drain(milliseconds: Self.exitDrainMilliseconds)
        if !drained { queue.countQueuedAsDropped() }
        diagnostics.log(.info, "exiting: \(countersSummary)")
        if !drained {
            FileIO.printError("audisp-bpfguard: output still blocked at exit: queued alerts are lost")
        }
        if let diagnosticQueue { diagnosticQueue.drain(milliseconds: 500) }
        return 0
    }

    /// The counters of the exit summary and the heartbeat.
    private var countersSummary: String {
        let table = pipeline.engine.programs
        let lookupSummary = (pipeline.lookupSummary.map { " " + $0 } ?? "") + (reconciliation.map { " " + $0.summary } ?? "")
        return "\(pipeline.statistics.summary(evicted: table.evictions, livePrograms: table.count, dropped: queue.droppedAlerts)) \(pipeline.folding.statistics.summary)\(lookupSummary)"
    }

    /// After SIGTERM: auditd sends it just before it exits and closes our standard input, so
    /// the records it wrote last are read up to end of input — for at most
    /// `stopReadMilliseconds`, so that a writer that never stops cannot keep us.
    static let stopReadMilliseconds: UInt64 = 2000

    private func drainAvailableInput(_ buffer: inout [UInt8]) {
        let deadline = Clock.monotonicMilliseconds() + Self.stopReadMilliseconds
        while true {
            let now = Clock.monotonicMilliseconds()
            guard now < deadline else { return }
            var descriptor = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Int32(deadline - now))
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { return }
            let count = buffer.withUnsafeMutableBytes { Glibc.read(0, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return }
            buffer.withUnsafeBytes { pipeline.consume(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        }
    }

    /// After SIGHUP: a valid new policy replaces the old one; an invalid one is reported and
    /// the old one stays in force. The program table is kept.
    private func apply(_ outcome: PolicyReloader.Outcome) {
        switch outcome {
        case .success(let loaded):
            for warning in loaded.warnings { diagnostics.log(.warning, warning.description) }
            if loaded.policy.settings.facility != diagnostics.facility {
                Syslog.open(facility: loaded.policy.settings.facility)
                diagnostics.facility = loaded.policy.settings.facility
            }
            pipeline.replacePolicy(loaded.policy)
            diagnostics.log(.info, "policy reloaded from \(policyPath): \(loaded.policy.summary)")
        case .failure(let failure):
            for line in failure.lines { diagnostics.log(.err, line) }
            diagnostics.log(.err, "policy reload failed: keeping the policy in force (\(pipeline.engine.policy.summary))")
        }
    }

    /// SIGUSR1: counters, live programs, policy and hits per rule, to the state file.
    private func writeStateReport() {
        let engine = pipeline.engine
        let text = StateReport.text(policyPath: policyPath, engine: engine, statistics: pipeline.statistics,
                                    alerts: pipeline.folding.statistics, dropped: queue.droppedAlerts, recovery: pipeline.recoveryStatistics,
                                    counters: pipeline.auditCounters + pipeline.loaderFactsCounters + (reconciliation?.counters ?? []))
        if let failure = StateReport.write(text, to: stateFilePath) {
            diagnostics.log(.err, "cannot write the state report to \(stateFilePath): \(failure)")
        } else {
            diagnostics.log(.info, "state report written to \(stateFilePath)")
        }
    }
}
