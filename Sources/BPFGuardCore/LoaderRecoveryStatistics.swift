/// Counters of loader recovery from /proc (LOADs without SYSCALL context), reported in the
/// exit summary and the state report. Every request ends as exactly one of recovered, not
/// found, timed out or shed (or is still pending).
public struct LoaderRecoveryStatistics: Hashable, Sendable, NamedCounters {
    /// LOADs that needed their loader recovered.
    public var requests: UInt64 = 0
    /// Passes over /proc the recovery worker made (one pass answers every request waiting
    /// when it starts).
    public var passes: UInt64 = 0
    /// Answered in time with the process holding the program.
    public var recovered: UInt64 = 0
    /// Answered in time: no process held it (or the pass ran out of budget before finding it,
    /// or the program was unloaded first).
    public var notFound: UInt64 = 0
    /// Not answered within the bounded wait: the event went on with `identity=none`.
    public var timedOut: UInt64 = 0
    /// Not asked or not waited for because a bound was reached (the worker's requests or the
    /// queue of pending events): the event went on with `identity=none`.
    public var shed: UInt64 = 0

    public init() {}

    /// The counters as `name=value` pairs, in the order of the summary and the state report.
    public var counters: [(name: String, value: UInt64)] {
        [("recovery_requests", requests), ("recovery_passes", passes), ("recovered_loaders", recovered),
         ("unrecovered_loaders", notFound), ("recovery_timeouts", timedOut), ("recovery_shed", shed)]
    }
}
