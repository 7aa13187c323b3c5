/// Counters of the reconciliation of the records with the kernel's programs (periodic
/// scans, `op=persist` and `op=unseen`), reported in the exit summary and the state report.
public struct ReconciliationStatistics: Hashable, Sendable, NamedCounters {
    /// Scans decided.
    public var scans: UInt64 = 0
    /// Programs found outliving their loader (each once).
    public var persisting: UInt64 = 0
    /// Programs found loaded without a LOAD record (each once).
    public var unseen: UInt64 = 0
    /// Programs loaded at start-up that the previous run did not know.
    public var startUpSuspects: UInt64 = 0
    /// Suspects whose LOAD record arrived before they were reported.
    public var announcedLate: UInt64 = 0
    /// Scans whose unseen decisions waited because the input was behind.
    public var deferredScans: UInt64 = 0
    /// Programs not taken as suspects because `ProgramReconciler.maximumSuspects` were
    /// pending (a later scan takes them).
    public var suspectsShed: UInt64 = 0

    public init() {}

    /// The counters as `name=value` pairs, in the order of the summary and the state report.
    public var counters: [(name: String, value: UInt64)] {
        [("scans", scans), ("persisting_programs", persisting), ("unseen_programs", unseen),
         ("startup_suspects", startUpSuspects), ("announced_late", announcedLate),
         ("deferred_scans", deferredScans), ("suspects_shed", suspectsShed)]
    }
}
