/// Counters of the loader facts' wait for the package databases (`exe-package`,
/// `exe-trusted`), in the exit summary and the state report next to the `recovery_*` ones.
/// A LOAD whose verdict is cached goes on at once and counts in none of them.
public struct LoaderFactsStatistics: Hashable, Sendable, NamedCounters {
    /// Questions sent to the facts worker: one per file not in the cache (LOADs of the same
    /// file while its question is outstanding share it).
    public var requests: UInt64 = 0
    /// LOADs that waited for a verdict (held in order, with every event behind them).
    public var waits: UInt64 = 0
    /// Of those, the LOADs whose verdict did not come within the bounded wait: they went on
    /// with `exe-package=?` and `exe-trusted=?`.
    public var timedOut: UInt64 = 0
    /// LOADs that went on with `?` because a bound was reached (the worker's questions, the
    /// queue of held events) or the worker does not run.
    public var shed: UInt64 = 0
    /// Times the worker dropped what it had read from the package databases because they
    /// changed (install, removal, upgrade): the next question reads them again.
    public var indexRebuilds: UInt64 = 0

    public init() {}

    public var counters: [(name: String, value: UInt64)] {
        [("facts_requests", requests), ("facts_waits", waits), ("facts_timeouts", timedOut), ("facts_shed", shed),
         ("facts_index_rebuilds", indexRebuilds)]
    }
}
