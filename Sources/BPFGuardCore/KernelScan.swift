/// One program the kernel had loaded at a scan: its id, when it was loaded and by whom.
public struct ScannedProgram: Hashable, Sendable {
    public var programID: UInt32
    /// Boot-clock nanoseconds (`bpf_prog_info.load_time`): with the id, what tells this
    /// program from a later one that reuses the id.
    public var loadTime: UInt64
    /// `bpf_prog_info.created_by_uid`.
    public var createdByUID: UInt32

    public init(programID: UInt32, loadTime: UInt64, createdByUID: UInt32) {
        self.programID = programID
        self.loadTime = loadTime
        self.createdByUID = createdByUID
    }
}

/// What the executable's periodic scan gathered, handed to the core as values: the loaders
/// it was asked about, looked at in /proc first, then every program the kernel had loaded.
/// (In that order: a program still loaded after its loader was seen gone has outlived it.)
public struct KernelScan: Sendable {
    /// The wall-clock time of the scan, the alerts' event time (serial 0: no audit event).
    public var time: AuditTimestamp
    /// Boot-clock nanoseconds when the loaders were looked at (before the kernel walk).
    public var loadersCheckedAt: UInt64
    /// Boot-clock nanoseconds when the kernel walk ended.
    public var bootTime: UInt64
    /// Every loaded program, by id.
    public var programs: [ScannedProgram]
    /// The loaders asked about, by pid: what `/proc/PID/stat` said, nil when there was no
    /// such process. A pid absent here was not looked at.
    public var loaders: [UInt32: ProcessStart?]
    /// The kernel's clock ticks per second (`sysconf(_SC_CLK_TCK)`).
    public var ticksPerSecond: UInt64

    public init(time: AuditTimestamp, loadersCheckedAt: UInt64, bootTime: UInt64, programs: [ScannedProgram],
                loaders: [UInt32: ProcessStart?], ticksPerSecond: UInt64) {
        self.time = time
        self.loadersCheckedAt = loadersCheckedAt
        self.bootTime = bootTime
        self.programs = programs
        self.loaders = loaders
        self.ticksPerSecond = ticksPerSecond
    }
}
