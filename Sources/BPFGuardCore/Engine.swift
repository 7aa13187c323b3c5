/// The rule engine: keeps the program table, evaluates the policy for each BPF event and
/// returns the alerts to raise. Pure: no I/O, no clock (times come from the records).
public struct Engine: Sendable {
    public private(set) var policy: Policy
    public internal(set) var programs: ProgramTable
    public var statistics = EngineStatistics()
    /// Matches per rule, indexed like `policy.rules`, and for the default setting.
    public private(set) var ruleHits: [UInt64]
    public private(set) var defaultHits: UInt64 = 0

    public init(policy: Policy) {
        self.policy = policy
        self.programs = ProgramTable(capacity: policy.settings.maxPrograms)
        self.ruleHits = Array(repeating: 0, count: policy.rules.count)
    }

    /// Puts a new policy in force; the program table is kept (resized to its max_programs).
    public mutating func replacePolicy(_ newPolicy: Policy) {
        policy = newPolicy
        programs.setCapacity(newPolicy.settings.maxPrograms)
        ruleHits = Array(repeating: 0, count: newPolicy.rules.count)
        defaultHits = 0
    }

    /// Records an assembled audit event that held no BPF record.
    public mutating func countEvent() {
        statistics.events += 1
    }

    /// What the kernel and /proc said about a LOAD, when kernel lookups are on.
    public struct Enrichment: Sendable {
        public var program: ProgramLookup
        /// The process found holding the program, for a LOAD without SYSCALL context.
        public var recoveredLoader: ProcessContext?
        /// How many distinct processes held the program when it was recovered (the first
        /// one found is not necessarily its loader).
        public var holders: UInt32?
        /// The loader's package, trust and container (unknown when not gathered).
        public var loaderFacts: LoaderFacts

        public init(program: ProgramLookup, recoveredLoader: ProcessContext? = nil, holders: UInt32? = nil, loaderFacts: LoaderFacts = .unknown) {
            self.program = program
            self.recoveredLoader = recoveredLoader
            self.holders = holders
            self.loaderFacts = loaderFacts
        }
    }

    /// Records a program found loaded at start-up (kernel inventory), so that its lifetime
    /// and creator are known when it is unloaded.
    public mutating func addInventory(programID: UInt32, node: String? = nil, info: ProgramInfo, loadedAt: AuditTimestamp) {
        let loader = ProcessContext(uid: info.createdByUID)
        programs.insert(LoadedProgram(loader: loader, loadedAt: loadedAt, program: .found(info), identity: .kernel),
                        for: ProgramKey(node: node, programID: programID))
    }

    /// Handles one BPF load or unload; returns the alert to raise, if any. `enrichment` is
    /// nil when kernel lookups are off.
    public mutating func process(_ event: BPFEvent, enrichment: Enrichment? = nil) -> Alert? {
        let outcome = evaluate(event, enrichment: enrichment)
        return alert(for: outcome)
    }

    /// What the policy decided for one event, and the subject it decided on.
    public struct Outcome: Sendable {
        public var subject: RuleSubject
        public var decision: Decision
    }

    /// Handles one BPF load or unload like `process` (program table, statistics, hits), and
    /// returns the decision with its subject, allowed events included: learning mode
    /// (`--generate-policy`) files every load and unload by what the base policy decided.
    public mutating func evaluate(_ event: BPFEvent, enrichment: Enrichment? = nil) -> Outcome {
        statistics.bpfEvents += 1
        let subject: RuleSubject
        let key = ProgramKey(node: event.node, programID: event.programID)
        switch event.operation {
        case .load:
            statistics.loads += 1
            var loader = event.process
            var identity: LoaderIdentity?
            var holders: UInt32?
            if let enrichment {
                if loader == nil { loader = enrichment.recoveredLoader }
                identity = event.process != nil ? .audit : loader != nil ? .proc : LoaderIdentity.none
                if identity == .proc { holders = enrichment.holders }
            }
            let program = enrichment?.program ?? .notDone
            let facts = enrichment.map { LoaderTrustRules.constrained($0.loaderFacts, exe: loader?.exe) }
            subject = RuleSubject(event: event, loader: loader, program: program, identity: identity, holders: holders, facts: facts)
            let decision = decide(subject)
            programs.insert(LoadedProgram(loader: loader, loadedAt: event.timestamp, program: program, identity: identity, holders: holders,
                                          facts: facts),
                            for: key, alerted: decision.alert != nil)
            return Outcome(subject: subject, decision: decision)
        case .unload:
            statistics.unloads += 1
            var loaded: LoadedProgram?
            if event.programID == 0 {
                statistics.zeroIDUnloads += 1
            } else {
                loaded = programs.remove(key)
            }
            if loaded == nil { statistics.unmatchedUnloads += 1 }
            var identity = loaded?.identity
            if enrichment != nil && identity == nil { identity = loaded?.loader == nil ? LoaderIdentity.none : .audit }
            subject = RuleSubject(
                event: event,
                loader: loaded?.loader,
                unloader: event.process,
                lifetimeMilliseconds: loaded.map { event.timestamp.milliseconds(since: $0.loadedAt) },
                program: loaded?.program ?? .notDone,
                identity: identity,
                holders: loaded?.holders,
                facts: enrichment == nil ? loaded?.facts : loaded?.facts ?? .unknown
            )
        case .persist, .unseen:
            // Never from a record (see `BPFOperation.init(recordValue:)`): the scan's own
            // path is `persisting` and `unseen` (Engine+Reconciliation). Evaluated as given.
            subject = RuleSubject(event: event, loader: event.process)
        }
        return Outcome(subject: subject, decision: decide(subject))
    }

    /// Evaluates the policy and counts the rule's hit.
    mutating func decide(_ subject: RuleSubject) -> Decision {
        let decision = policy.evaluate(subject)
        if let index = decision.ruleIndex { ruleHits[index] += 1 } else { defaultHits += 1 }
        return decision
    }

    /// The alert of an outcome that raises one. Consumes it: its subject moves into the
    /// alert rather than being copied (a subject is large, and nearly every event of a
    /// flood raises an alert).
    mutating func alert(for outcome: consuming Outcome) -> Alert? {
        guard case .alert(let label, let priority) = outcome.decision.action else { return nil }
        statistics.alerts += 1
        return Alert(label: label, priority: priority, subject: outcome.subject, rule: outcome.decision.rule)
    }
}
