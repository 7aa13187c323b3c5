import BPFGuardCore
import Glibc

/// The SIGUSR1 state report, written as `NAME = VALUE` lines (as auditd's own plugins do)
/// to a file that is replaced atomically.
enum StateReport {
    static let defaultPath = "/run/audit/audisp-bpfguard.state"

    /// `recovery`: the loader recovery counters, nil without kernel lookups; `counters`: those
    /// about audit itself, then those of the periodic scan (absent without it).
    static func text(policyPath: String, engine: Engine, statistics: EngineStatistics, alerts: AlertFolder.Statistics, dropped: UInt64,
                     recovery: LoaderRecoveryStatistics? = nil, counters: [(name: String, value: UInt64)] = []) -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var lines = [
            "audisp-bpfguard \(bpfguardVersion) state report",
            "time = \(now.tv_sec)",
            "policy = \(policyPath)",
            "policy_summary = \(engine.policy.summary)",
            "records = \(statistics.records)",
            "filtered_records = \(statistics.filteredRecords)",
            "events = \(statistics.events)",
            "bpf_events = \(statistics.bpfEvents)",
            "loads = \(statistics.loads)",
            "unloads = \(statistics.unloads)",
            "unmatched_unloads = \(statistics.unmatchedUnloads)",
            "prog_id_zero_unloads = \(statistics.zeroIDUnloads)",
            "alerts = \(statistics.alerts)",
            "alerts_raised = \(alerts.raised)",
            "alerts_sent = \(alerts.sent)",
            "alerts_folded = \(alerts.folded)",
            "alerts_capped = \(alerts.capped)",
            "dropped = \(dropped)",
            "malformed = \(statistics.malformed)",
            "trimmed_records = \(statistics.trimmedRecords)",
            "forced_events = \(statistics.forcedEvents)",
            "evicted = \(engine.programs.evictions)",
            "evicted_allowed = \(engine.programs.allowedEvictions)",
            "evicted_alerted = \(engine.programs.alertedEvictions)",
            "live_programs = \(engine.programs.count)",
            "max_programs = \(engine.policy.settings.maxPrograms)",
        ]
        for counter in (recovery?.counters ?? []) + counters { lines.append("\(counter.name) = \(counter.value)") }
        for (rule, hits) in zip(engine.policy.rules, engine.ruleHits) {
            let action: String
            switch rule.action {
            case .allow: action = "allow"
            case .alert(let label, _): action = "alert \(label)"
            }
            lines.append("rule_hits line \(rule.line) (\(action)) = \(hits)")
        }
        lines.append("rule_hits default (\(engine.policy.settings.defaultAction.rawValue)) = \(engine.defaultHits)")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes `text` to `path` through a temporary file and rename(2).
    static func write(_ text: String, to path: String) -> SystemCallError? {
        AtomicFile.write(Array(text.utf8), to: path)
    }
}
