/// What one pass over /proc found for the programs wanted at that moment: for each, the
/// first process seen holding it and how many distinct processes held it.
///
/// The first holder is not necessarily the loader: a loader may hand its descriptor to
/// another process (fork, SCM_RIGHTS, pidfd_getfd), and an attacker can arrange for an
/// allowed binary to hold the program before /proc is scanned. The count lets a policy
/// (`holders>1`) and a reader of the alert see that the identity is ambiguous.
public struct ProgramHolderTally: Sendable {
    public struct Holders: Hashable, Sendable {
        /// The first process found holding the program (in the scan's order).
        public var firstPID: UInt32
        /// Distinct processes found holding it.
        public var count: UInt32
    }

    public let wanted: Set<UInt32>
    private var found: [UInt32: Holders] = [:]
    /// (program, process) pairs already counted: a process may hold several descriptors of
    /// one program. Bounded by the descriptors of wanted programs on the host.
    private var counted: Set<UInt64> = []

    public init(wanted: Set<UInt32>) {
        self.wanted = wanted
    }

    /// Notes that process `pid` holds a descriptor of program `programID`. Returns whether
    /// it counted: false for a program nobody asked for, or a process already counted for
    /// this program.
    @discardableResult
    public mutating func note(programID: UInt32, pid: UInt32) -> Bool {
        guard wanted.contains(programID), counted.insert(UInt64(programID) << 32 | UInt64(pid)).inserted else { return false }
        if var holders = found[programID] {
            holders.count &+= 1
            found[programID] = holders
        } else {
            found[programID] = Holders(firstPID: pid, count: 1)
        }
        return true
    }

    /// The holders found for a program, or nil when none was.
    public func holders(of programID: UInt32) -> Holders? {
        found[programID]
    }
}

/// The loader recovered from /proc for a LOAD without SYSCALL context: the process found
/// holding the program, described from /proc, and how many distinct processes held it.
public struct RecoveredLoader: Hashable, Sendable {
    public var process: ProcessContext
    public var holders: UInt32

    public init(process: ProcessContext, holders: UInt32) {
        self.process = process
        self.holders = holders
    }
}
