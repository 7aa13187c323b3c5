/// The learning pass of `--generate-policy`: every BPF event of the logs goes through the
/// rule engine with the base policy, as with `--replay` (same program table, lifetimes and
/// decisions), and each load and unload is filed under its loader — its executable,
/// program type and, with `--lookup`, its package and trust — and what became of it:
/// allowed by the base already, never to be allowed (with why), or a candidate for a
/// learned allow rule.
///
/// Pure: the events come from the executable's audit event stream; the host facts the
/// generator needs later (directories) are asked for by value.
public struct PolicyLearner: Sendable {
    /// What became of a loader's loads under the base policy and the safety rules.
    public enum Disposition: Hashable, Sendable {
        case allowedByBase
        case refused([LoadRefusal])
        case candidate
    }

    /// Loads are filed by executable, program type and disposition; candidates also by what
    /// kernel lookups said of the executable's package and trust.
    public struct ObservationKey: Hashable, Sendable {
        /// nil: the load had no loader, or its loader no executable.
        public var executable: [UInt8]?
        public var programType: LearnedProgramType
        public var disposition: Disposition
        /// `notLookedUp` for the loads that are not candidates: their listing in the header
        /// says why they are not proposed, and the refusals already name a bad trust.
        public var trust: LearnedPackageTrust = .notLookedUp
    }

    public struct Observation: Hashable, Sendable {
        public internal(set) var statistics = LoaderStatistics()
        /// Base rules (indices; `rules.count` for the default) that alerted on the loads.
        public internal(set) var loadAlerts: Set<Int> = []
        /// Base rules that alerted on the unloads of these loads' programs, and how many did.
        public internal(set) var unloadAlerts: Set<Int> = []
        public internal(set) var alertedUnloads: UInt64 = 0
    }

    /// Distinct observations kept; beyond, loads are only counted (`untrackedLoads`).
    public static let observationLimit = 4096

    public private(set) var engine: Engine
    public private(set) var observations: [ObservationKey: Observation] = [:]
    /// Every load and unload of the logs.
    public private(set) var totals = LoaderStatistics()
    public private(set) var untrackedLoads: UInt64 = 0
    /// UNLOADs whose LOAD was not in the logs (or had prog-id 0): no loader to file them under.
    public private(set) var unloadsWithoutLoad: UInt64 = 0

    public init(base: Policy) {
        engine = Engine(policy: base)
    }

    public var base: Policy { engine.policy }

    /// Files one BPF event; `enrichment` is nil when kernel lookups are off.
    public mutating func observe(_ event: BPFEvent, enrichment: Engine.Enrichment? = nil) {
        let outcome = engine.evaluate(event, enrichment: enrichment)
        let subject = outcome.subject
        let base = self.base
        switch event.operation {
        case .load:
            totals.recordLoad(event, loader: subject.loader, program: subject.program)
            let key = Self.key(subject, loadDecision: outcome.decision, base: base)
            guard var observation = observations[key] ?? (observations.count < Self.observationLimit ? Observation() : nil) else {
                untrackedLoads &+= 1
                return
            }
            observation.statistics.recordLoad(event, loader: subject.loader, program: subject.program)
            if key.disposition == .candidate { observation.loadAlerts.insert(outcome.decision.ruleIndex ?? base.rules.count) }
            observations[key] = observation
        case .unload:
            totals.recordUnload(event, lifetimeMilliseconds: subject.lifetimeMilliseconds)
            guard let loader = subject.loader else {
                unloadsWithoutLoad &+= 1
                return
            }
            // The program's LOAD is filed by what the base decided for it: decide it again.
            let load = RuleSubject(event: BPFEvent(operation: .load, programID: event.programID, node: event.node, timestamp: event.timestamp, process: loader),
                                   loader: loader, program: subject.program, identity: subject.identity, facts: subject.facts)
            let key = Self.key(load, loadDecision: base.evaluate(load), base: base)
            guard var observation = observations[key] else { return }
            observation.statistics.recordUnload(event, lifetimeMilliseconds: subject.lifetimeMilliseconds)
            if key.disposition == .candidate, outcome.decision.alert != nil {
                observation.unloadAlerts.insert(outcome.decision.ruleIndex ?? base.rules.count)
                observation.alertedUnloads &+= 1
            }
            observations[key] = observation
        case .persist, .unseen:
            break  // observed by a live scan, never in a log
        }
    }

    /// Where a load is filed.
    static func key(_ subject: RuleSubject, loadDecision: Decision, base: Policy) -> ObservationKey {
        let disposition: Disposition
        let refusals = LoaderSafety.refusals(loader: subject.loader, program: subject.program, facts: subject.facts)
        if loadDecision.alert == nil {
            disposition = .allowedByBase
        } else if !refusals.isEmpty {
            disposition = .refused(refusals)
        } else if let index = loadDecision.ruleIndex, PolicyStructure.isGuard(base.rules[index]), case .alert(let label, _) = base.rules[index].action {
            disposition = .refused([.baseGuard(line: base.rules[index].line, label: label)])
        } else {
            disposition = .candidate
        }
        return ObservationKey(executable: subject.loader?.exe, programType: LearnedProgramType(subject.program), disposition: disposition,
                              trust: disposition == .candidate ? LearnedPackageTrust(subject.facts) : .notLookedUp)
    }
}
