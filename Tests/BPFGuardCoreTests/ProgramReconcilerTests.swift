import Testing
@testable import BPFGuardCore

/// The decisions of the periodic scan, pure: given what a scan found (the kernel's programs,
/// the loaders in /proc) and the program table, which programs outlived their loader and
/// which were loaded without a LOAD record — and how the policy then decides.
@Suite struct ProgramReconcilerTests {
    static let second: UInt64 = 1_000_000_000
    static let policy = """
    allow op=persist exe=/usr/sbin/allowed
    alert outlived op=persist
    alert unannounced op=unseen priority=crit
    alert loaded op=load
    """

    static func info(_ loadTime: UInt64, uid: UInt32 = 0, name: String = "prog") -> ProgramInfo {
        ProgramInfo(type: BPFProgramType(rawValue: 2), name: Array(name.utf8), tag: "0011223344556677", loadTimeNanoseconds: loadTime,
                    createdByUID: uid, helpers: [])
    }

    /// A LOAD of program `id` by process `pid`, which the kernel lookup said was loaded at
    /// `loadTime` (boot clock); `lookup` overrides what the lookup found.
    struct Load {
        var id: UInt32
        var pid: UInt32 = 100
        var loadTime: UInt64
        var exe = "/usr/local/bin/loader"
        var lookup: ProgramLookup?
    }

    static func engine(_ loads: [Load], policy: String = policy, maxPrograms: Int? = nil) throws -> Engine {
        let text = (maxPrograms.map { "max_programs = \($0)\n" } ?? "") + policy
        var engine = Engine(policy: try compiledPolicy(text))
        for item in loads {
            let event = load(item.id, at: stamp(5000 + UInt64(item.id)), by: process(pid: item.pid, exe: item.exe))
            _ = engine.process(event, enrichment: Engine.Enrichment(program: item.lookup ?? .found(info(item.loadTime))))
        }
        return engine
    }

    /// A scan at boot time `at` (seconds), whose loaders were looked at `checked` seconds.
    static func scan(at seconds: UInt64, checked: UInt64? = nil, programs: [(UInt32, UInt64)], uid: UInt32 = 0,
                     loaders: [UInt32: ProcessStart?] = [:]) -> KernelScan {
        KernelScan(time: stamp(1_800_000_000 + seconds, serial: 0), loadersCheckedAt: (checked ?? seconds) * second, bootTime: seconds * second,
                   programs: programs.map { ScannedProgram(programID: $0.0, loadTime: $0.1, createdByUID: uid) },
                   loaders: loaders, ticksPerSecond: 100)
    }

    static let running = ProcessStart(state: UInt8(ascii: "S"), startTicks: 100)  // started at 1 s
    static let gone: ProcessStart? = nil

    // MARK: - Persist

    @Test func aProgramWhoseLoaderExitedPersists() throws {
        var engine = try Self.engine([Load(id: 7, loadTime: 10 * Self.second)])
        var reconciler = ProgramReconciler()
        #expect(reconciler.loadersToCheck(engine, nodes: [nil]) == [100])
        let found = reconciler.reconcile(Self.scan(at: 70, programs: [(7, 10 * Self.second)], loaders: [100: Self.gone]), engine: &engine, nodes: [nil],
                                         mayDecideUnseen: true)
        #expect(found.persisting.map(\.key.programID) == [7])
        #expect(found.persisting.first?.lifetimeMilliseconds == 60_000, "from the kernel's load time to the scan")
        #expect(found.unseen.isEmpty, "its LOAD was seen")
        let persisting = try #require(found.persisting.first)
        let raised = engine.persisting(persisting, at: stamp(1_800_000_070, serial: 0))
        let alert = try #require(raised)
        #expect(alert.label == "outlived")
        let line = AlertFormatter.line(alert)
        #expect(line.hasPrefix("alert=outlived priority=warning op=PERSIST prog-id=7 prog-type=kprobe prog-name=\"prog\""))
        #expect(line.contains(" pid=100 ppid=1 comm=\"loader\" exe=\"/usr/local/bin/loader\" cmdline=? exe-package=? exe-trusted=? container=? identity=audit lifetime=60000ms event=1800000070.000:0 rule=2"),
                "the LOAD's loader fields and the lifetime so far: \(line)")
    }

    @Test func eachProgramIsReportedOnce() throws {
        var engine = try Self.engine([Load(id: 7, loadTime: 10 * Self.second)])
        var reconciler = ProgramReconciler()
        let scan = Self.scan(at: 70, programs: [(7, 10 * Self.second)], loaders: [100: Self.gone])
        let first = reconciler.reconcile(scan, engine: &engine, nodes: [nil], mayDecideUnseen: true)
        let persisting = try #require(first.persisting.first)
        let raised = engine.persisting(persisting, at: scan.time)
        #expect(raised != nil)
        #expect(reconciler.loadersToCheck(engine, nodes: [nil]).isEmpty, "a reported program's loader is not looked at again")
        let second = reconciler.reconcile(scan, engine: &engine, nodes: [nil], mayDecideUnseen: true)
        #expect(second.persisting.isEmpty)
        #expect(reconciler.statistics.persisting == 1)
    }

    @Test func aRunningLoaderOrAnUnloadedProgramDoesNotPersist() throws {
        var engine = try Self.engine([Load(id: 7, loadTime: 10 * Self.second), Load(id: 8, pid: 200, loadTime: 11 * Self.second)])
        var reconciler = ProgramReconciler()
        // 7: its loader (started at 1 s) still runs; 8: unloaded (not in the kernel) while its loader is gone.
        let found = reconciler.reconcile(Self.scan(at: 70, programs: [(7, 10 * Self.second)], loaders: [100: Self.running, 200: Self.gone]),
                                         engine: &engine, nodes: [nil], mayDecideUnseen: true)
        #expect(found.persisting.isEmpty)
    }

    @Test func anotherProcessWithTheLoadersPIDMeansItExited() throws {
        var engine = try Self.engine([Load(id: 7, loadTime: 10 * Self.second)])
        var reconciler = ProgramReconciler()
        let later = ProcessStart(state: UInt8(ascii: "R"), startTicks: 2000)  // started at 20 s, after the load at 10 s
        let zombie = ProcessStart(state: UInt8(ascii: "Z"), startTicks: 100)
        for looked in [later, zombie] {
            var copy = engine
            var fresh = reconciler
            let found = fresh.reconcile(Self.scan(at: 70, programs: [(7, 10 * Self.second)], loaders: [100: looked]), engine: &copy, nodes: [nil],
                                        mayDecideUnseen: true)
            #expect(found.persisting.count == 1, "\(looked)")
        }
        let found = reconciler.reconcile(Self.scan(at: 70, programs: [(7, 10 * Self.second)], loaders: [:]), engine: &engine, nodes: [nil],
                                         mayDecideUnseen: true)
        #expect(found.persisting.isEmpty, "a loader not looked at decides nothing")
    }

    @Test func aReusedIDIsAnotherProgram() throws {
        // The table's 7 was loaded at 10 s and its UNLOAD was lost; the kernel's 7 now was
        // loaded at 50 s by someone else (the id counter wrapped): not 7's loader's program.
        var engine = try Self.engine([Load(id: 7, loadTime: 10 * Self.second)])
        var reconciler = ProgramReconciler()
        let found = reconciler.reconcile(Self.scan(at: 70, programs: [(7, 50 * Self.second)], loaders: [100: Self.gone]), engine: &engine,
                                         nodes: [nil], mayDecideUnseen: true)
        #expect(found.persisting.isEmpty)
        #expect(found.unseen.map(\.program.programID) == [7], "the new program with the old id was never announced")
        #expect(found.unseen.first?.lifetimeMilliseconds == 20_000)
    }

    @Test func aProgramGoneAtItsLoadIsNotTheKernelsProgramWithThatID() throws {
        var engine = try Self.engine([Load(id: 7, loadTime: 0, lookup: .gone), Load(id: 8, loadTime: 0, lookup: .failed("EPERM"))])
        var reconciler = ProgramReconciler()
        let found = reconciler.reconcile(Self.scan(at: 70, programs: [(7, 50 * Self.second), (8, 50 * Self.second)], loaders: [100: Self.gone]),
                                         engine: &engine, nodes: [nil], mayDecideUnseen: true)
        #expect(found.unseen.map(\.program.programID) == [7], "7's id was free at its LOAD: today's 7 is another program")
        #expect(found.persisting.map(\.key.programID) == [8], "8's lookup failed: the id alone stands for it")
    }

    @Test func aProgramLoadedAfterItsLoaderWasLookedAtWaits() throws {
        // The pid was free when looked at (5 s); a new process took it and loaded 7 at 10 s.
        var engine = try Self.engine([Load(id: 7, loadTime: 10 * Self.second)])
        var reconciler = ProgramReconciler()
        let found = reconciler.reconcile(Self.scan(at: 12, checked: 5, programs: [(7, 10 * Self.second)], loaders: [100: Self.gone]),
                                         engine: &engine, nodes: [nil], mayDecideUnseen: true)
        #expect(found.persisting.isEmpty)
        #expect(reconciler.loadersToCheck(engine, nodes: [nil]) == [100], "the next scan looks again")
    }

    @Test func thePolicyDecidesPersistLikeAnyEvent() throws {
        var engine = try Self.engine([Load(id: 7, loadTime: 10 * Self.second, exe: "/usr/sbin/allowed")])
        var reconciler = ProgramReconciler()
        let found = reconciler.reconcile(Self.scan(at: 70, programs: [(7, 10 * Self.second)], loaders: [100: Self.gone]), engine: &engine,
                                         nodes: [nil], mayDecideUnseen: true)
        let persisting = try #require(found.persisting.first)
        let raised = engine.persisting(persisting, at: stamp(1))
        #expect(raised == nil, "allowed by the rule on line 1")
        #expect(engine.ruleHits[0] == 1)
        #expect(engine.statistics.bpfEvents == 1, "a scan's finding is not a BPF event")
    }

    @Test func otherNodesProgramsAreNotThisKernels() throws {
        var engine = Engine(policy: try compiledPolicy(Self.policy))
        _ = engine.process(load(7, node: "remote", by: process(pid: 100)), enrichment: nil)
        var reconciler = ProgramReconciler()
        #expect(reconciler.loadersToCheck(engine, nodes: [nil, "here"]).isEmpty)
        let found = reconciler.reconcile(Self.scan(at: 70, programs: [(7, 10 * Self.second)], loaders: [100: Self.gone]), engine: &engine,
                                         nodes: [nil, "here"], mayDecideUnseen: true)
        #expect(found.persisting.isEmpty)
        #expect(found.unseen.count == 1, "remote's 7 does not announce this kernel's 7")
    }

    // MARK: - Unseen

    @Test func anUnannouncedProgramIsUnseenOnceItsLoadHadTimeToArrive() throws {
        var engine = try Self.engine([])
        var reconciler = ProgramReconciler()
        // Loaded at 68 s, scanned at 70 s: the LOAD record may still be on its way.
        let early = reconciler.reconcile(Self.scan(at: 70, programs: [(9, 68 * Self.second)], uid: 1000), engine: &engine, nodes: [nil],
                                         mayDecideUnseen: true)
        #expect(early.unseen.isEmpty)
        #expect(reconciler.nextDecision == 73 * Self.second, "due 5 s after its load")
        let late = reconciler.reconcile(Self.scan(at: 73, programs: [(9, 68 * Self.second)], uid: 1000), engine: &engine, nodes: [nil],
                                        mayDecideUnseen: true)
        let unseen = try #require(late.unseen.first)
        #expect(unseen.lifetimeMilliseconds == 5000)
        let raised = engine.unseen(unseen, node: nil, program: .found(Self.info(68 * Self.second, uid: 1000)), at: stamp(1_800_000_073, serial: 0))
        let alert = try #require(raised)
        let line = AlertFormatter.line(alert)
        #expect(line == "alert=unannounced priority=crit op=UNSEEN prog-id=9 prog-type=kprobe prog-name=\"prog\" prog-tag=0011223344556677 helpers=none created-by-uid=1000 uid=1000 auid=? euid=? pid=? ppid=? comm=? exe=? cmdline=? exe-package=? exe-trusted=? container=? identity=kernel lifetime=5000ms event=1800000073.000:0 rule=3")
        let again = reconciler.reconcile(Self.scan(at: 80, programs: [(9, 68 * Self.second)]), engine: &engine, nodes: [nil], mayDecideUnseen: true)
        #expect(again.unseen.isEmpty, "reported once: the table now knows it")
        #expect(reconciler.nextDecision == nil)
    }

    @Test func aLateLoadRecordAnnouncesASuspect() throws {
        var engine = try Self.engine([])
        var reconciler = ProgramReconciler()
        _ = reconciler.reconcile(Self.scan(at: 70, programs: [(9, 68 * Self.second)]), engine: &engine, nodes: [nil], mayDecideUnseen: true)
        #expect(reconciler.pendingSuspects == 1)
        _ = engine.process(load(9, by: process(pid: 300)), enrichment: Engine.Enrichment(program: .found(Self.info(68 * Self.second))))
        let found = reconciler.reconcile(Self.scan(at: 80, programs: [(9, 68 * Self.second)]), engine: &engine, nodes: [nil], mayDecideUnseen: true)
        #expect(found.unseen.isEmpty)
        #expect(reconciler.pendingSuspects == 0)
        #expect(reconciler.statistics.announcedLate == 1)
    }

    @Test func aSuspectUnloadedBeforeItWasDecidedIsForgotten() throws {
        var engine = try Self.engine([])
        var reconciler = ProgramReconciler()
        _ = reconciler.reconcile(Self.scan(at: 70, programs: [(9, 68 * Self.second)]), engine: &engine, nodes: [nil], mayDecideUnseen: true)
        let found = reconciler.reconcile(Self.scan(at: 80, programs: []), engine: &engine, nodes: [nil], mayDecideUnseen: true)
        #expect(found.unseen.isEmpty)
        #expect(reconciler.pendingSuspects == 0)
    }

    @Test func decisionsWaitWhileTheInputIsBehind() throws {
        var engine = try Self.engine([])
        var reconciler = ProgramReconciler()
        let behind = reconciler.reconcile(Self.scan(at: 70, programs: [(9, 10 * Self.second)]), engine: &engine, nodes: [nil], mayDecideUnseen: false)
        #expect(behind.unseen.isEmpty)
        #expect(reconciler.statistics.deferredScans == 1)
        let caughtUp = reconciler.reconcile(Self.scan(at: 71, programs: [(9, 10 * Self.second)]), engine: &engine, nodes: [nil], mayDecideUnseen: true)
        #expect(caughtUp.unseen.count == 1)
    }

    @Test func atMostSoManyUnseenPerScan() throws {
        var engine = try Self.engine([])
        var reconciler = ProgramReconciler()
        let programs = (1...10).map { (UInt32($0), UInt64($0) * Self.second) }
        let first = reconciler.reconcile(Self.scan(at: 70, programs: programs), engine: &engine, nodes: [nil], mayDecideUnseen: true, maximumUnseen: 4)
        #expect(first.unseen.map(\.program.programID) == [1, 2, 3, 4])
        #expect(reconciler.nextDecision.map { $0 <= 70 * Self.second } == true, "the rest are due at once")
        for found in first.unseen { _ = engine.unseen(found, node: nil, program: .found(Self.info(found.program.loadTime)), at: stamp(1)) }
        let second = reconciler.reconcile(Self.scan(at: 71, programs: programs), engine: &engine, nodes: [nil], mayDecideUnseen: true, maximumUnseen: 4)
        #expect(second.unseen.map(\.program.programID) == [5, 6, 7, 8])
    }

    @Test func evictedProgramsAreNotUnseen() throws {
        // The table holds 2: the first LOAD is evicted, but it was announced.
        var engine = try Self.engine((1...3).map { Load(id: UInt32($0), loadTime: UInt64($0) * Self.second) }, maxPrograms: 2)
        #expect(engine.programs.evictions == 1)
        var reconciler = ProgramReconciler()
        let programs = (1...3).map { (UInt32($0), UInt64($0) * Self.second) }
        let found = reconciler.reconcile(Self.scan(at: 70, programs: programs), engine: &engine, nodes: [nil], mayDecideUnseen: true)
        #expect(found.unseen.isEmpty)
        #expect(reconciler.knownPrograms(engine, nodes: [nil]).map(\.programID) == [1, 2, 3], "the evicted one is known too")
        _ = reconciler.reconcile(Self.scan(at: 80, programs: Array(programs.dropFirst())), engine: &engine, nodes: [nil], mayDecideUnseen: true)
        #expect(engine.programs.evictedPrograms.count == 0, "forgotten once unloaded")
    }

    // MARK: - Start-up

    static func known(_ programs: [(UInt32, UInt64?)]) -> ProgramReconciler.PreviousRun {
        .known(KnownPrograms(bootID: "0f2c4d61-8a3b-4c5d-9e6f-0a1b2c3d4e5f", written: 1,
                             programs: programs.map { KnownPrograms.Program(programID: $0.0, loadTime: $0.1) }))
    }

    /// An engine whose table holds the start-up inventory (identity kernel).
    static func inventory(_ programs: [(UInt32, UInt64)]) throws -> Engine {
        var engine = Engine(policy: try compiledPolicy(policy))
        for (id, loadTime) in programs {
            engine.addInventory(programID: id, info: info(loadTime), loadedAt: stamp(1000, serial: 0))
        }
        return engine
    }

    @Test func programsLoadedWhileNoPluginRanAreUnseen() throws {
        let loaded: [(UInt32, UInt64)] = [(1, 1 * Self.second), (2, 2 * Self.second), (3, 3 * Self.second), (4, 40 * Self.second)]
        var engine = try Self.inventory(loaded)
        var reconciler = ProgramReconciler()
        // The previous run knew 1 and 2 (2 without a load time), and 4 with another load
        // time (its id was reused since); 5 is gone.
        let outcome = reconciler.startUp(inventory: loaded.map { ScannedProgram(programID: $0.0, loadTime: $0.1, createdByUID: 0) },
                                         previous: Self.known([(1, 1 * Self.second), (2, nil), (4, 4 * Self.second), (5, 5 * Self.second)]),
                                         now: 60 * Self.second)
        #expect(outcome == ProgramReconciler.StartUp(known: 2, suspects: 2, gone: 2))
        let early = reconciler.reconcile(Self.scan(at: 62, programs: loaded), engine: &engine, nodes: [nil], mayDecideUnseen: true)
        #expect(early.unseen.isEmpty, "their LOAD records may come after start-up")
        #expect(reconciler.knownPrograms(engine, nodes: [nil]).map(\.programID) == [1, 2], "undecided suspects are not written as known")
        let found = reconciler.reconcile(Self.scan(at: 65, programs: loaded), engine: &engine, nodes: [nil], mayDecideUnseen: true)
        #expect(found.unseen.map(\.program.programID).sorted() == [3, 4])
        #expect(reconciler.statistics.startUpSuspects == 2)
    }

    @Test func aLoadRecordAfterStartUpAnnouncesAnInventorySuspect() throws {
        let loaded: [(UInt32, UInt64)] = [(3, 3 * Self.second)]
        var engine = try Self.inventory(loaded)
        var reconciler = ProgramReconciler()
        _ = reconciler.startUp(inventory: [ScannedProgram(programID: 3, loadTime: 3 * Self.second, createdByUID: 0)], previous: Self.known([]),
                               now: 60 * Self.second)
        // auditd hands a restarted plugin the record that revealed the old one's death.
        _ = engine.process(load(3, by: process(pid: 300)), enrichment: Engine.Enrichment(program: .found(Self.info(3 * Self.second))))
        let found = reconciler.reconcile(Self.scan(at: 70, programs: loaded), engine: &engine, nodes: [nil], mayDecideUnseen: true)
        #expect(found.unseen.isEmpty)
        #expect(reconciler.statistics.announcedLate == 1)
    }

    @Test func withoutAUsableStateTheInventoryIsTakenAsItIs() throws {
        for previous in [ProgramReconciler.PreviousRun.none, .otherBoot, .unusable] {
            var engine = try Self.inventory([(3, 3 * Self.second)])
            var reconciler = ProgramReconciler()
            let outcome = reconciler.startUp(inventory: [ScannedProgram(programID: 3, loadTime: 3 * Self.second, createdByUID: 0)], previous: previous,
                                             now: 60 * Self.second)
            #expect(outcome.suspects == 0)
            let found = reconciler.reconcile(Self.scan(at: 70, programs: [(3, 3 * Self.second)]), engine: &engine, nodes: [nil], mayDecideUnseen: true)
            #expect(found.unseen.isEmpty, "a program loaded before the plugin was first installed is not unseen")
            #expect(reconciler.knownPrograms(engine, nodes: [nil]).map(\.programID) == [3])
        }
    }
}
