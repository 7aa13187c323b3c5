/// The comments of a generated policy: its header (what was learned, what was already
/// allowed, what is never allowed and why) and the statistics above each learned group.
/// Every byte from the logs is escaped (`AlertEscaping`): no executable name can end a
/// comment line and forge a rule.
enum LearnedPolicyText {
    static let blockTitle = "learned by audisp-bpfguard --generate-policy"

    static func header(_ learner: PolicyLearner, options: PolicyGenerator.Options, proposed: Int, commented: Int,
                       refused: [(key: PolicyLearner.ObservationKey, observation: PolicyLearner.Observation)]) -> [String] {
        let totals = learner.totals
        var lines = [
            "# Policy proposed by audisp-bpfguard --generate-policy from audit logs, on the base",
            "# policy \(AlertEscaping.quoted(Array(options.basePath.utf8))). It installs nothing. Review the blocks between",
            "# \"# ==== ... learned\" and \"# ==== end of learned\" lines below (a group commented out",
            "# and marked #!!!! needs a decision), then check, install and reload the policy:",
            "#     audisp-bpfguard --check --policy NEW.policy",
            "#     install -m 0640 NEW.policy /etc/audit/bpfguard.policy && auditctl --signal hup",
            "#",
        ]
        if let first = totals.first, let last = totals.last {
            lines.append("# Logs: \(count(totals.loads, "load")) and \(count(totals.unloads, "unload")) \(period(first, last)) (\(count(totals.days, "day"))).")
        } else {
            lines.append("# Logs: no BPF program load or unload.")
        }
        if totals.nodes.count > 0 { lines.append("# Nodes: \(list(totals.nodes)).") }
        var skipped: [String] = []
        if options.skippedLines > 0 { skipped.append("\(count(options.skippedLines, "malformed line")) skipped") }
        if learner.unloadsWithoutLoad > 0 { skipped.append("\(count(learner.unloadsWithoutLoad, "unload")) of programs whose load is not in the logs") }
        if learner.untrackedLoads > 0 {
            skipped.append("\(count(learner.untrackedLoads, "load")) beyond \(PolicyLearner.observationLimit) distinct loaders, counted only")
        }
        if !skipped.isEmpty { lines.append("# Also: \(skipped.joined(separator: "; ")).") }
        let threshold = "a group needs \(count(options.minCount, "load")) (--min-count) on \(count(UInt64(options.minDays), "day")) (--min-days)"
        if proposed + commented == 0 {
            lines.append(totals.loads == 0
                ? "# Nothing to propose: the logs hold no program load."
                : "# Nothing to propose: every load is allowed by the base policy already, or is never allowed (below).")
        } else {
            lines.append("# Proposed: \(count(UInt64(proposed), "group")) allowed, \(commented) commented out; \(threshold).")
        }
        let allowed = sortedObservations(learner.observations.filter { $0.key.disposition == .allowedByBase }.map { ($0.key, $0.value) })
        if !allowed.isEmpty {
            lines += ["#", "# Already allowed by the base policy:"]
            lines += allowed.map { "#   \(loader($0.key)): \(count($0.observation.statistics.loads, "load"))" }
        }
        if !refused.isEmpty {
            lines += ["#", "# Never allowed (the safety rules of audisp-bpfguard(8), LEARNING MODE):"]
            for (key, observation) in sortedObservations(refused) {
                guard case .refused(let reasons) = key.disposition else { continue }
                var who = ""
                if reasons.contains(.nonRootLoader) { who = " by uid \(list(observation.statistics.uids))" }
                lines.append("#   \(loader(key)): \(count(observation.statistics.loads, "load"))\(who): \(reasons.map(\.text).joined(separator: "; "))")
            }
        }
        return lines
    }

    /// The statistics of a group, under its set's name.
    static func groupComment(_ group: LoaderGroup, setName: String) -> [String] {
        let statistics = group.statistics
        var lines: [String] = []
        var span = ""
        if let first = statistics.first, let last = statistics.last { span = "; " + period(first, last) }
        lines.append("# %\(setName): \(count(statistics.loads, "load")) on \(count(statistics.days, "day")), "
                     + "\(count(statistics.unloads, "unload"))\(span)")
        var loader = ["\(group.executables.count > 1 ? "exes" : "exe") \(list(group.executables))", "uid \(list(statistics.uids))"]
        if statistics.auids.count > 0 { loader.append("auid \(list(statistics.auids, auditID))") }
        if statistics.comms.count > 0 { loader.append("comm \(list(statistics.comms))") }
        if statistics.ttys.count > 0 { loader.append("tty \(list(statistics.ttys))") }
        lines.append("#   " + loader.joined(separator: "; "))
        var programs: [String] = []
        switch group.key.programType {
        case .notLookedUp: programs.append("program types not looked up (no --lookup)")
        case .unknown: programs.append("program type unknown (gone before the lookup)")
        case .named:
            programs.append("program type \(list(statistics.programTypes))")
            if statistics.programNames.count > 0 { programs.append("names \(list(statistics.programNames))") }
        }
        if let lifetimes = statistics.lifetimes.text { programs.append("lifetimes \(lifetimes)") }
        if statistics.loads > statistics.unloads { programs.append("\(statistics.loads - statistics.unloads) still loaded at the end") }
        lines.append("#   " + programs.joined(separator: "; "))
        if statistics.nodes.count > 0 { lines.append("#   nodes \(list(statistics.nodes))") }
        if let note = group.key.trust.note { lines.append("#   \(note)") }
        lines += group.notes.values.map { "#   \($0)" }
        return lines
    }

    static func loader(_ key: PolicyLearner.ObservationKey) -> String {
        let exe = key.executable.map(AlertEscaping.quoted) ?? "(unknown executable)"
        switch key.programType {
        case .notLookedUp: return exe
        case .unknown: return "\(exe) (program type unknown)"
        case .named(let name): return "\(exe) (\(name))"
        }
    }

    static func sortedObservations(
        _ items: [(key: PolicyLearner.ObservationKey, observation: PolicyLearner.Observation)]
    ) -> [(key: PolicyLearner.ObservationKey, observation: PolicyLearner.Observation)] {
        func order(_ key: PolicyLearner.ObservationKey) -> (String, LearnedProgramType, String) {
            var reasons = ""
            if case .refused(let list) = key.disposition { reasons = list.map(\.text).joined(separator: ";") }
            return (key.executable.map(AlertEscaping.quoted) ?? "", key.programType, reasons)
        }
        return items.sorted { order($0.key) < order($1.key) }
    }

    static func count(_ number: UInt64, _ noun: String) -> String {
        "\(number) \(noun)\(number == 1 ? "" : "s")"
    }

    static func count<Value>(_ values: SmallestValues<Value>, _ noun: String) -> String {
        (values.overflowed ? "more than " : "") + count(UInt64(values.count), noun)
    }

    static func list<Value>(_ values: SmallestValues<Value>, _ text: (Value) -> String = { "\($0)" }) -> String {
        values.values.map(text).joined(separator: ", ") + (values.overflowed ? ", ..." : "")
    }

    static func auditID(_ id: UInt32) -> String {
        id == ProcessContext.unsetID ? "unset" : String(id)
    }

    /// `from T1 to T2`, or `at T` when they are the same second.
    static func period(_ first: UInt64, _ last: UInt64) -> String {
        first / 1000 == last / 1000 ? "at \(time(first))" : "from \(time(first)) to \(time(last))"
    }

    static func time(_ milliseconds: UInt64) -> String {
        UTCDateTime(secondsSinceEpoch: milliseconds / 1000).description
    }
}
