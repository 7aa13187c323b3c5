/// Reconciles what the audit records said with what the kernel has: which programs outlived
/// their loader (`op=persist`) and which are loaded although no LOAD record announced them
/// (`op=unseen`: records lost, audit disabled, a load outside any audited context, or a
/// load while the plugin was not running). Pure: the executable's periodic scan gathers
/// the facts (`KernelScan`), this decides, and the engine evaluates the policy for each.
///
/// A program found in the kernel and not in the program table is not unseen at once: its
/// LOAD record may still be on its way (auditd's queue, an event waiting for its EOE or for
/// its loader's recovery). It becomes a suspect, and is reported only when it is still
/// unannounced `announcementGrace` after its load (or after start-up, for programs the
/// previous run did not know: auditd hands a restarted plugin the record that revealed the
/// old one's death). A suspect whose LOAD arrives, or that is unloaded, is forgotten.
public struct ProgramReconciler: Sendable {
    /// How long a LOAD record may take to reach the engine before its program counts as
    /// unannounced: above libauparse's 2 s wait for an event's end and loader recovery's
    /// 1 s, in boot-clock nanoseconds.
    public static let announcementGrace: UInt64 = 5_000_000_000
    /// Undecided programs kept at most (a kernel holding more unannounced programs has them
    /// reported over several scans).
    public static let maximumSuspects = 65536

    struct Suspect: Hashable, Sendable {
        var program: ScannedProgram
        /// Boot-clock nanoseconds before which it is not reported.
        var notBefore: UInt64
        /// Found at start-up: the inventory entry in the table does not announce it.
        var atStartUp: Bool
    }

    private(set) var suspects: [UInt32: Suspect] = [:]
    public private(set) var statistics = ReconciliationStatistics()

    public init() {}

    // MARK: - Start-up

    /// What the previous run left, as far as start-up is concerned.
    public enum PreviousRun: Sendable {
        /// No state file: the plugin's first start (programs loaded now are inventory).
        case none
        /// A state file of an earlier boot: load times are not comparable; inventory.
        case otherBoot
        /// The state file could not be used (reported by the caller); inventory.
        case unusable
        /// The programs the previous run accounted for, in this boot.
        case known(KnownPrograms)
    }

    /// What start-up made of the inventory.
    public struct StartUp: Hashable, Sendable {
        /// Programs loaded now that the previous run knew.
        public var known = 0
        /// Programs loaded now that the previous run did not know: loaded in the gap, to be
        /// reported unseen unless their LOAD record arrives.
        public var suspects = 0
        /// Programs the previous run knew that are gone.
        public var gone = 0
    }

    /// Compares the programs loaded at start-up with what the previous run accounted for:
    /// a restart must not launder a program loaded while no plugin was reading. `now`: the
    /// boot clock at start-up.
    public mutating func startUp(inventory: [ScannedProgram], previous: PreviousRun, now: UInt64) -> StartUp {
        var outcome = StartUp()
        guard case .known(let state) = previous else {
            outcome.known = inventory.count
            return outcome
        }
        var remembered: [UInt32: UInt64?] = [:]
        for program in state.programs { remembered[program.programID] = program.loadTime }
        var stillLoaded = 0
        for program in inventory {
            if let remembered = remembered[program.programID], remembered == nil || remembered == program.loadTime {
                outcome.known += 1
                stillLoaded += 1
            } else {
                guard suspects.count < Self.maximumSuspects else { statistics.suspectsShed &+= 1; continue }
                suspects[program.programID] = Suspect(program: program, notBefore: saturatingSum(now, Self.announcementGrace), atStartUp: true)
                outcome.suspects += 1
            }
        }
        outcome.gone = max(0, remembered.count - stillLoaded)
        statistics.startUpSuspects = UInt64(outcome.suspects)
        return outcome
    }

    // MARK: - Scans

    /// The pids of the loaders to look at in /proc before the next kernel walk: the known
    /// loaders of this host's programs whose persist alert was not raised yet.
    public func loadersToCheck(_ engine: Engine, nodes: [String?]) -> [UInt32] {
        var pids = Set<UInt32>()
        for program in engine.programs.trackedPrograms(nodes: nodes) where Self.mayPersist(program) {
            if let pid = program.loaderPID { pids.insert(pid) }
        }
        return pids.sorted()
    }

    /// The decisions of one scan.
    public struct Reconciliation: Sendable {
        public struct Persisting: Hashable, Sendable {
            public var key: ProgramKey
            /// From the kernel's load time to the scan.
            public var lifetimeMilliseconds: UInt64
        }

        public struct Unseen: Hashable, Sendable {
            public var program: ScannedProgram
            public var lifetimeMilliseconds: UInt64
        }

        public var persisting: [Persisting] = []
        public var unseen: [Unseen] = []
    }

    /// Decides what one scan found: programs of this host (`nodes`: none and this host's
    /// name) whose loader has exited while the program is still loaded, and programs loaded
    /// without a LOAD record. `mayDecideUnseen`: the input is not behind (no event waits and
    /// no backlog of records), so a missing LOAD is not merely late; otherwise suspects wait
    /// for a later scan. At most `maximumUnseen` are reported; the others stay suspects, due
    /// at once. Prunes the table's memory of evicted programs to those still loaded.
    public mutating func reconcile(_ scan: KernelScan, engine: inout Engine, nodes: [String?], mayDecideUnseen: Bool,
                                   maximumUnseen: Int = .max) -> Reconciliation {
        statistics.scans &+= 1
        var result = Reconciliation()
        var kernel: [UInt32: ScannedProgram] = [:]
        kernel.reserveCapacity(scan.programs.count)
        for program in scan.programs { kernel[program.programID] = program }

        for tracked in engine.programs.trackedPrograms(nodes: nodes) where Self.mayPersist(tracked) {
            guard let pid = tracked.loaderPID, let looked = scan.loaders[pid],
                  let program = kernel[tracked.key.programID], tracked.isSameProgram(loadedAt: program.loadTime),
                  // Loaded after its loader was looked at: that look says nothing about it.
                  program.loadTime < scan.loadersCheckedAt,
                  ProcessStart.loaderHasExited(looked, loadTime: program.loadTime, ticksPerSecond: scan.ticksPerSecond)
            else { continue }
            result.persisting.append(.init(key: tracked.key, lifetimeMilliseconds: Self.milliseconds(from: program.loadTime, to: scan.bootTime)))
        }
        statistics.persisting &+= UInt64(result.persisting.count)

        engine.programs.evictedPrograms.keep { id, loadTime in kernel[id]?.loadTime == loadTime }
        for (id, suspect) in suspects where kernel[id]?.loadTime != suspect.program.loadTime {
            suspects.removeValue(forKey: id)  // unloaded (or its id reused) before it was decided
        }
        for program in scan.programs {
            let tracked = engine.programs.trackedProgram(program.programID, nodes: nodes)
            let announced = tracked.map { $0.isSameProgram(loadedAt: program.loadTime) } ?? false
            if var suspect = suspects[program.programID] {
                if announced && (!suspect.atStartUp || tracked?.identity != .kernel) {
                    suspects.removeValue(forKey: program.programID)
                    statistics.announcedLate &+= 1
                    continue
                }
                suspect.program = program
                suspects[program.programID] = suspect
            } else {
                if announced || engine.programs.evictedPrograms.contains(programID: program.programID, loadTime: program.loadTime) { continue }
                guard suspects.count < Self.maximumSuspects else {
                    statistics.suspectsShed &+= 1
                    continue
                }
                suspects[program.programID] = Suspect(program: program, notBefore: saturatingSum(program.loadTime, Self.announcementGrace), atStartUp: false)
            }
            guard mayDecideUnseen, result.unseen.count < maximumUnseen, let suspect = suspects[program.programID],
                  scan.bootTime >= suspect.notBefore else { continue }
            suspects.removeValue(forKey: program.programID)
            result.unseen.append(.init(program: program, lifetimeMilliseconds: Self.milliseconds(from: program.loadTime, to: scan.bootTime)))
        }
        if !mayDecideUnseen { statistics.deferredScans &+= 1 }
        statistics.unseen &+= UInt64(result.unseen.count)
        return result
    }

    /// When the earliest undecided suspect may be decided (boot-clock nanoseconds): a scan
    /// then reports it without waiting a whole interval.
    public var nextDecision: UInt64? { suspects.values.map(\.notBefore).min() }

    /// Undecided suspects.
    public var pendingSuspects: Int { suspects.count }

    // MARK: - State for the next run

    /// The programs of this host the plugin accounts for, for the state file: those of the
    /// table (announced, inventory, reported unseen) and the evicted ones, not the suspects
    /// still undecided (the next run must find those again).
    public func knownPrograms(_ engine: Engine, nodes: [String?]) -> [KnownPrograms.Program] {
        var programs: [KnownPrograms.Program] = []
        for tracked in engine.programs.trackedPrograms(nodes: nodes) where suspects[tracked.key.programID] == nil {
            switch tracked.kernelLoadTime {
            case .at(let loadTime): programs.append(.init(programID: tracked.key.programID, loadTime: loadTime))
            case .unknown: programs.append(.init(programID: tracked.key.programID, loadTime: nil))
            case .goneAtLoad: break
            }
        }
        for (id, loadTime) in engine.programs.evictedPrograms.notes where suspects[id] == nil {
            programs.append(.init(programID: id, loadTime: loadTime))
        }
        programs.sort { $0.programID < $1.programID }
        return programs
    }

    // MARK: - Helpers

    /// Whether a tracked program is watched for outliving its loader: its loader is a known
    /// process (from the record or /proc) and it was not reported yet.
    static func mayPersist(_ program: TrackedProgram) -> Bool {
        !program.persistReported && program.loaderPID != nil && (program.identity == .audit || program.identity == .proc)
    }

    static func milliseconds(from start: UInt64, to end: UInt64) -> UInt64 {
        end > start ? (end - start) / 1_000_000 : 0
    }
}
