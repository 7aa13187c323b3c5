import Testing
@testable import BPFGuardCore

@Suite struct ProgramTableTests {
    @Test func lifetimeFromTheTwoAuditTimestamps() {
        var engine = Engine(policy: Policy(path: "p"))
        _ = engine.process(load(5, at: stamp(100, 900)))
        #expect(engine.programs.count == 1)
        let policy = try! compiledPolicy("alert gone op=unload\n")
        engine.replacePolicy(policy)
        let alert = engine.process(unload(5, at: stamp(102, 150), by: process(uid: 7)))
        #expect(alert?.subject.lifetimeMilliseconds == 1250)
        #expect(alert?.subject.loader == process(), "loader fields are those recorded at LOAD")
        #expect(alert?.subject.unloader?.uid == 7)
        #expect(engine.programs.count == 0, "an UNLOAD removes the entry")
    }

    @Test func unloadWithoutLoadHasUnknownLoaderAndLifetime() {
        var engine = Engine(policy: try! compiledPolicy("alert gone op=unload\n"))
        let alert = engine.process(unload(9))
        #expect(alert?.subject.loader == nil)
        #expect(alert?.subject.lifetimeMilliseconds == nil)
        #expect(engine.statistics.unmatchedUnloads == 1)
    }

    @Test func progIDZeroIsNeverMatched() {
        var engine = Engine(policy: try! compiledPolicy("alert gone op=unload\n"))
        _ = engine.process(load(0))  // cannot happen on a real kernel; must still not match
        let alert = engine.process(unload(0))
        #expect(alert?.subject.loader == nil)
        #expect(alert?.subject.lifetimeMilliseconds == nil)
        #expect(engine.statistics.zeroIDUnloads == 1)
    }

    @Test func twoNodesWithTheSameProgramIDs() {
        var engine = Engine(policy: try! compiledPolicy("alert gone op=unload\n"))
        _ = engine.process(load(50, at: stamp(10), node: "a", by: process(uid: 1)))
        _ = engine.process(load(50, at: stamp(20), node: "b", by: process(uid: 2)))
        let fromB = engine.process(unload(50, at: stamp(21), node: "b"))
        #expect(fromB?.subject.loader?.uid == 2)
        #expect(fromB?.subject.lifetimeMilliseconds == 1000)
        let fromA = engine.process(unload(50, at: stamp(30), node: "a"))
        #expect(fromA?.subject.loader?.uid == 1)
        #expect(fromA?.subject.lifetimeMilliseconds == 20000)
        let local = engine.process(unload(50, at: stamp(31)))
        #expect(local?.subject.loader == nil, "no node is a node of its own")
    }

    @Test func evictsTheOldestAndCounts() {
        var table = ProgramTable(capacity: 3)
        for id in UInt32(1)...5 {
            table.insert(LoadedProgram(loader: nil, loadedAt: stamp(UInt64(id))), for: ProgramKey(node: nil, programID: id))
        }
        #expect(table.count == 3)
        #expect(table.evictions == 2)
        #expect(table.program(for: ProgramKey(node: nil, programID: 1)) == nil)
        #expect(table.program(for: ProgramKey(node: nil, programID: 2)) == nil)
        #expect(table.program(for: ProgramKey(node: nil, programID: 3)) != nil)
    }

    @Test func removedEntriesAreNotEvictedAgain() {
        var table = ProgramTable(capacity: 2)
        let key1 = ProgramKey(node: nil, programID: 1), key2 = ProgramKey(node: nil, programID: 2), key3 = ProgramKey(node: nil, programID: 3)
        table.insert(LoadedProgram(loader: nil, loadedAt: stamp(1)), for: key1)
        table.insert(LoadedProgram(loader: nil, loadedAt: stamp(2)), for: key2)
        _ = table.remove(key1)
        table.insert(LoadedProgram(loader: nil, loadedAt: stamp(3)), for: key3)
        #expect(table.evictions == 0)
        #expect(table.count == 2)
        // Re-inserting key2 makes it the newest: key3 is now the oldest.
        table.insert(LoadedProgram(loader: nil, loadedAt: stamp(4)), for: key2)
        table.insert(LoadedProgram(loader: nil, loadedAt: stamp(5)), for: key1)
        #expect(table.program(for: key3) == nil)
        #expect(table.program(for: key2)?.loadedAt == stamp(4))
        #expect(table.evictions == 1)
    }

    @Test func shrinkingOnReloadEvicts() {
        var engine = Engine(policy: try! compiledPolicy("max_programs = 10\n"))
        for id in UInt32(1)...10 { _ = engine.process(load(id)) }
        engine.replacePolicy(try! compiledPolicy("max_programs = 4\n"))
        #expect(engine.programs.count == 4)
        #expect(engine.programs.evictions == 6)
        #expect(engine.programs.program(for: ProgramKey(node: nil, programID: 10)) != nil)
    }

    @Test func staysBoundedUnderAFlood() {
        var table = ProgramTable(capacity: 100)
        for id in UInt32(1)...100_000 {
            table.insert(LoadedProgram(loader: nil, loadedAt: stamp(1)), for: ProgramKey(node: nil, programID: id))
            if id % 3 == 0 { _ = table.remove(ProgramKey(node: nil, programID: id - 1)) }
        }
        #expect(table.count == 100)
        #expect(table.evictions > 60_000)
        #expect(table.orderedKeyCount <= 4 * 100 + 64, "the insertion-order index is compacted")
    }

    @Test func storesEveryFieldExactly() {
        var table = ProgramTable(capacity: 10)
        var partial = ProcessContext(uid: 5, pid: 9, comm: [0xFF, 0x00, 0x41])
        partial.exe = Array("/a b".utf8)
        let info = ProgramInfo(type: BPFProgramType(rawValue: 2), name: Array("n".utf8), tag: "0011223344556677", createdByUID: 3, helpers: ["bpf_x"])
        let programs: [(LoadedProgram, ProgramKey)] = [
            (LoadedProgram(loader: process(), loadedAt: stamp(1795943000, 999, serial: 4_000_000_000), program: .found(info), identity: .audit), ProgramKey(node: nil, programID: 1)),
            (LoadedProgram(loader: partial, loadedAt: stamp(1, 0, serial: 0), program: .gone, identity: .proc), ProgramKey(node: "n1", programID: 1)),
            (LoadedProgram(loader: nil, loadedAt: stamp(2), program: .failed("EPERM"), identity: LoaderIdentity.none), ProgramKey(node: "n2", programID: 2)),
            (LoadedProgram(loader: ProcessContext(), loadedAt: stamp(3)), ProgramKey(node: nil, programID: 3)),
        ]
        for (program, key) in programs { table.insert(program, for: key) }
        for (program, key) in programs {
            #expect(table.program(for: key) == program)
        }
        #expect(table.program(for: ProgramKey(node: "n3", programID: 1)) == nil)
        for (program, key) in programs { #expect(table.remove(key) == program) }
        #expect(table.count == 0)
        #expect(table.internedStringCount == 0, "strings are freed with the last program that uses them")
    }

    @Test func internedStringsStayBounded() {
        var table = ProgramTable(capacity: 50)
        for id in UInt32(1)...5000 {
            table.insert(LoadedProgram(loader: process(pid: id, exe: "/opt/loader-\(id)"), loadedAt: stamp(1)), for: ProgramKey(node: nil, programID: id))
            if id % 2 == 0 { _ = table.remove(ProgramKey(node: nil, programID: id)) }
        }
        #expect(table.count == 49, "the 50 newest odd ids were kept, less the last insert's even removal")
        // One exe per live program plus the shared comm, tty and syscall strings.
        #expect(table.internedStringCount == 49 + 3)
    }
}

/// Eviction by class (issue 8): a flood of allowed loads does not push out a program the
/// policy alerted on, so its short life is still seen.
@Suite struct ProgramTableEvictionClassTests {
    @Test func allowedProgramsAreEvictedFirst() {
        var table = ProgramTable(capacity: 4)
        table.insert(LoadedProgram(loader: process(), loadedAt: stamp(1)), for: ProgramKey(node: nil, programID: 1), alerted: true)
        for id in UInt32(2)...20 {
            table.insert(LoadedProgram(loader: process(), loadedAt: stamp(1)), for: ProgramKey(node: nil, programID: id))
        }
        #expect(table.program(for: ProgramKey(node: nil, programID: 1)) != nil, "the alerted program survives")
        #expect(table.allowedEvictions == 16)
        #expect(table.alertedEvictions == 0)
        for id in UInt32(30)...35 {
            table.insert(LoadedProgram(loader: process(), loadedAt: stamp(1)), for: ProgramKey(node: nil, programID: id), alerted: true)
        }
        #expect(table.count == 4)
        #expect(table.alertedEvictions == 3, "alerted programs go only when no allowed one is left")
        #expect(table.program(for: ProgramKey(node: nil, programID: 1)) == nil)
    }

    @Test func aShortLivedSuspiciousProgramIsSeenAfterAFloodOfAllowedLoads() throws {
        let policy = try compiledPolicy("""
        max_programs = 1000
        allow op=load exe=/usr/sbin/bpftool
        alert unknown op=load
        alert short-lived op=unload lifetime<1s
        """)
        var engine = Engine(policy: policy)
        #expect(engine.process(load(1, at: stamp(1000), by: process(exe: "/tmp/evil")))?.label == "unknown")
        for id in UInt32(2)...5000 { _ = engine.process(load(id, at: stamp(1000, 100))) }
        let alert = engine.process(unload(1, at: stamp(1000, 500)))
        #expect(alert?.label == "short-lived")
        #expect(alert?.subject.lifetimeMilliseconds == 500)
        #expect(engine.programs.allowedEvictions == 4000)
    }

    // MARK: - What the periodic scan reads

    static func found(_ loadTime: UInt64) -> ProgramLookup {
        .found(ProgramInfo(type: BPFProgramType(rawValue: 1), name: [], tag: "", loadTimeNanoseconds: loadTime, createdByUID: 0, helpers: nil))
    }

    @Test func trackedProgramsCarryTheKernelLoadTimeAndTheLoader() {
        var table = ProgramTable(capacity: 10)
        table.insert(LoadedProgram(loader: process(pid: 41), loadedAt: stamp(1), program: Self.found(77), identity: .audit),
                     for: ProgramKey(node: nil, programID: 1))
        table.insert(LoadedProgram(loader: nil, loadedAt: stamp(1), program: .gone, identity: LoaderIdentity.none), for: ProgramKey(node: "here", programID: 2))
        table.insert(LoadedProgram(loader: ProcessContext(uid: 0), loadedAt: stamp(1), identity: .kernel), for: ProgramKey(node: nil, programID: 3))
        table.insert(LoadedProgram(loader: process(pid: 43), loadedAt: stamp(1)), for: ProgramKey(node: "remote", programID: 4))
        let tracked = table.trackedPrograms(nodes: [nil, "here"]).sorted { $0.key.programID < $1.key.programID }
        #expect(tracked == [
            TrackedProgram(key: ProgramKey(node: nil, programID: 1), kernelLoadTime: .at(77), loaderPID: 41, identity: .audit, persistReported: false),
            TrackedProgram(key: ProgramKey(node: "here", programID: 2), kernelLoadTime: .goneAtLoad, loaderPID: nil, identity: LoaderIdentity.none,
                           persistReported: false),
            TrackedProgram(key: ProgramKey(node: nil, programID: 3), kernelLoadTime: .unknown, loaderPID: nil, identity: .kernel, persistReported: false),
        ], "another node's program is not this kernel's")
        #expect(table.trackedProgram(2, nodes: [nil, "here"])?.key.node == "here")
        #expect(table.trackedProgram(4, nodes: [nil, "here"]) == nil)
        #expect(tracked[0].isSameProgram(loadedAt: 77) && !tracked[0].isSameProgram(loadedAt: 78))
        #expect(!tracked[1].isSameProgram(loadedAt: 77), "its id was free at LOAD")
        #expect(tracked[2].isSameProgram(loadedAt: 5), "no load time: the id decides")
    }

    @Test func thePersistMarkStaysWithTheProgramOnly() {
        var table = ProgramTable(capacity: 10)
        let key = ProgramKey(node: nil, programID: 1)
        table.insert(LoadedProgram(loader: process(pid: 41), loadedAt: stamp(1), program: Self.found(77), identity: .proc, holders: 2), for: key)
        let marked = table.markPersistReported(key)
        #expect(marked)
        #expect(table.trackedProgram(1, nodes: [nil])?.persistReported == true)
        #expect(table.program(for: key)?.identity == .proc, "the mark does not change the identity")
        #expect(table.program(for: key)?.holders == 2)
        table.insert(LoadedProgram(loader: process(pid: 42), loadedAt: stamp(2), program: Self.found(99), identity: .audit), for: key)
        #expect(table.trackedProgram(1, nodes: [nil])?.persistReported == false, "a new LOAD of the id is another program")
        _ = table.remove(key)
        let markedAfterRemoval = table.markPersistReported(key)
        #expect(!markedAfterRemoval)
    }

    @Test func evictedProgramsAreRememberedWithinTheBound() {
        var table = ProgramTable(capacity: 3)
        for id in UInt32(1)...5 {
            table.insert(LoadedProgram(loader: process(), loadedAt: stamp(1), program: Self.found(UInt64(id) * 10)), for: ProgramKey(node: nil, programID: id))
        }
        #expect(table.evictedPrograms.notes == [1: 10, 2: 20])
        #expect(table.evictedPrograms.contains(programID: 1, loadTime: 10) && !table.evictedPrograms.contains(programID: 1, loadTime: 11))
        var memory = EvictedPrograms(capacity: 2)
        for id in UInt32(1)...1000 { memory.note(programID: id, loadTime: UInt64(id)) }
        #expect(memory.notes == [999: 999, 1000: 1000], "the oldest notes go first")
        #expect(memory.overflows == 998)
        memory.keep { id, _ in id == 1000 }
        #expect(memory.notes == [1000: 1000])
        for _ in 0..<10_000 { memory.note(programID: 1000, loadTime: 5) }
        #expect(memory.notes == [1000: 5], "a newer note of the same id replaces the older one")
        #expect(memory.overflows == 998, "replacing is not overflowing")
    }
}
