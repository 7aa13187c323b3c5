/// What reconciliation with the kernel needs of a live program in the table.
public struct TrackedProgram: Hashable, Sendable {
    /// What the kernel lookup at LOAD (or at start-up) said of the program's load time.
    public enum KernelLoadTime: Hashable, Sendable {
        /// Boot-clock nanoseconds (`bpf_prog_info.load_time`).
        case at(UInt64)
        /// Not looked up, or the lookup failed.
        case unknown
        /// The program was already unloaded when looked up: its id was free then.
        case goneAtLoad
    }

    public var key: ProgramKey
    public var kernelLoadTime: KernelLoadTime
    /// The loader's pid, when the loader is known.
    public var loaderPID: UInt32?
    public var identity: LoaderIdentity?
    /// Its persist alert was raised.
    public var persistReported: Bool

    public init(key: ProgramKey, kernelLoadTime: KernelLoadTime, loaderPID: UInt32?, identity: LoaderIdentity?, persistReported: Bool) {
        self.key = key
        self.kernelLoadTime = kernelLoadTime
        self.loaderPID = loaderPID
        self.identity = identity
        self.persistReported = persistReported
    }

    /// Whether the kernel's program with this id, loaded at `loadTime`, is this one: prog-ids
    /// are reused after the kernel's counter wraps, so a different load time is a different
    /// program; without a load time the id decides, unless the id was free at LOAD.
    public func isSameProgram(loadedAt loadTime: UInt64) -> Bool {
        switch kernelLoadTime {
        case .at(let known): known == loadTime
        case .unknown: true
        case .goneAtLoad: false
        }
    }
}
