/// Counters kept by the engine and the input path, reported at exit and in the state report.
public struct EngineStatistics: Hashable, Sendable {
    /// Audit record lines read.
    public var records: UInt64 = 0
    /// Records the pre-filter kept away from libauparse (not part of a BPF event).
    public var filteredRecords: UInt64 = 0
    /// Complete audit events assembled by libauparse (BPF or not; with the pre-filter,
    /// only BPF events reach it).
    public var events: UInt64 = 0
    public var bpfEvents: UInt64 = 0
    public var loads: UInt64 = 0
    public var unloads: UInt64 = 0
    /// UNLOADs whose LOAD was not seen (before start-up, evicted, or prog-id=0).
    public var unmatchedUnloads: UInt64 = 0
    /// UNLOADs with `prog-id=0` (kernels 5.15–6.1), never matched to a load.
    public var zeroIDUnloads: UInt64 = 0
    public var alerts: UInt64 = 0
    /// Input lines or BPF records that could not be used (skipped).
    public var malformed: UInt64 = 0
    /// Records of over-long events not handed to libauparse (memory and time bounds).
    public var trimmedRecords: UInt64 = 0
    /// BPF events completed before their EOE because a memory bound was reached.
    public var forcedEvents: UInt64 = 0

    public init() {}

    /// `events=N bpf_events=N …` for log lines.
    public func summary(evicted: UInt64, livePrograms: Int, dropped: UInt64 = 0) -> String {
        "records=\(records) filtered=\(filteredRecords) events=\(events) bpf_events=\(bpfEvents) loads=\(loads) unloads=\(unloads) unmatched_unloads=\(unmatchedUnloads) alerts=\(alerts) dropped=\(dropped) malformed=\(malformed) trimmed=\(trimmedRecords) forced_events=\(forcedEvents) evicted=\(evicted) live_programs=\(livePrograms)"
    }
}
