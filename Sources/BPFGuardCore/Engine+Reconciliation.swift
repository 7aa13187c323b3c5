/// The policy's decisions on what a scan of the kernel found (`ProgramReconciler`): the same
/// rules as for records, with `op=persist` and `op=unseen`. Each program is reported once.
extension Engine {
    /// A program that outlived its loader: evaluated with the loader fields its LOAD
    /// recorded (its command line and loader facts included) and its `lifetime` so far; the
    /// table remembers it was reported. Nil when the policy allows it, or when the program has
    /// left the table since the scan.
    public mutating func persisting(_ found: ProgramReconciler.Reconciliation.Persisting, at time: AuditTimestamp) -> Alert? {
        guard let loaded = programs.program(for: found.key), programs.markPersistReported(found.key) else { return nil }
        let event = BPFEvent(operation: .persist, programID: found.key.programID, node: found.key.node, timestamp: time)
        let subject = RuleSubject(event: event, loader: loaded.loader, lifetimeMilliseconds: found.lifetimeMilliseconds,
                                  program: loaded.program, identity: loaded.identity, holders: loaded.holders, facts: loaded.facts)
        return alert(for: Outcome(subject: subject, decision: decide(subject)))
    }

    /// A program no LOAD record announced: its loader is unknown, so the loader fields hold
    /// only the kernel's `created_by_uid` (`identity=kernel`, as for the start-up inventory);
    /// `program` is the kernel lookup's description. The table keeps it as a known program,
    /// so it is reported once.
    public mutating func unseen(_ found: ProgramReconciler.Reconciliation.Unseen, node: String?, program: ProgramLookup,
                                at time: AuditTimestamp) -> Alert? {
        let key = ProgramKey(node: node, programID: found.program.programID)
        let loader = ProcessContext(uid: found.program.createdByUID)
        let event = BPFEvent(operation: .unseen, programID: key.programID, node: node, timestamp: time)
        let subject = RuleSubject(event: event, loader: loader, lifetimeMilliseconds: found.lifetimeMilliseconds,
                                  program: program, identity: .kernel)
        let decision = decide(subject)
        // Kept as known (a program gone since the scan has nothing to keep; a failed lookup
        // keeps no load time, and its id alone then stands for it).
        if program != .gone {
            programs.insert(LoadedProgram(loader: loader, loadedAt: AuditTimestamp.before(time, milliseconds: found.lifetimeMilliseconds),
                                          program: program, identity: .kernel),
                            for: key, alerted: decision.alert != nil)
        }
        return alert(for: Outcome(subject: subject, decision: decision))
    }
}

extension AuditTimestamp {
    /// The time `milliseconds` before `time` (serial 0), not before the epoch.
    static func before(_ time: AuditTimestamp, milliseconds: UInt64) -> AuditTimestamp {
        let total = time.totalMilliseconds > milliseconds ? time.totalMilliseconds - milliseconds : 0
        return AuditTimestamp(seconds: total / 1000, milliseconds: UInt32(total % 1000), serial: 0)
    }
}
