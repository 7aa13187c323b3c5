import Testing
@testable import BPFGuardCore

/// The pre-filter keeps the records of BPF events only, and hands each event on once it is
/// complete, with an EOE.
@Suite struct BPFRecordFilterTests {
    /// Feeds `lines` (`now` per line for live input) and returns what is passed on, as lines.
    final class Run {
        var filter: BPFRecordFilter
        var passed: [String] = []

        init(live: Bool, passThrough: Bool = false) {
            filter = BPFRecordFilter(arenaBytes: 4096, orderedRelease: !live, passThrough: passThrough)
        }

        func feed(_ text: String, now: UInt64? = nil) {
            for line in text.split(separator: "\n") {
                Array(line.utf8).withUnsafeBufferPointer { buffer in
                    guard let header = AuditRecordHeader.parse(buffer) else { Issue.record("not a record: \(line)"); return }
                    filter.process(buffer, header, now: now, pass: collect)
                }
            }
        }

        func tick(_ now: UInt64) { filter.tick(now: now, pass: collect) }
        func finish() { filter.finish(pass: collect) }

        private func collect(_ bytes: UnsafeBufferPointer<UInt8>, isPart: Bool) {
            passed += String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
        }
    }

    static func bpf(_ serial: Int, _ id: Int, _ op: String = "LOAD", seconds: Int = 1000, node: String? = nil) -> String {
        (node.map { "node=\($0) " } ?? "") + "type=BPF msg=audit(\(seconds).000:\(serial)): prog-id=\(id) op=\(op)"
    }
    static func syscall(_ serial: Int, seconds: Int = 1000, node: String? = nil) -> String {
        (node.map { "node=\($0) " } ?? "") + "type=SYSCALL msg=audit(\(seconds).000:\(serial)): arch=c000003e syscall=321 pid=\(serial)"
    }
    static func eoe(_ serial: Int, seconds: Int = 1000, node: String? = nil) -> String {
        (node.map { "node=\($0) " } ?? "") + "type=EOE msg=audit(\(seconds).000:\(serial)):"
    }
    static func other(_ serial: Int, seconds: Int = 1000) -> String {
        "type=PATH msg=audit(\(seconds).000:\(serial)): item=0 name=\"/etc/hostname\""
    }

    @Test func onlyBPFEventsPass() {
        let run = Run(live: true)
        run.feed([Self.syscall(1), Self.other(1), Self.eoe(1), Self.bpf(2, 7), Self.syscall(2), Self.eoe(2), Self.syscall(3), Self.eoe(3)].joined(separator: "\n"), now: 0)
        #expect(run.passed == [Self.bpf(2, 7), Self.syscall(2), Self.eoe(2)])
        #expect(run.filter.droppedRecords == 0, "kept for look-back: not given up yet")
        #expect(run.filter.passedRecords == 3)
        run.finish()
        #expect(run.filter.droppedRecords == 5, "given up at end of input")
        #expect(!run.filter.hasOpenEvents)
    }

    /// The fuzzer's finding: `filtered` went back when the look-back recovered a record.
    @Test func theDroppedCountNeverGoesBack() {
        let run = Run(live: false)
        var last: UInt64 = 0
        for serial in 1...400 {
            run.feed(Self.other(serial))
            if serial % 7 == 0 { run.feed([Self.bpf(serial, serial), Self.eoe(serial)].joined(separator: "\n")) }
            #expect(run.filter.droppedRecords >= last)
            last = run.filter.droppedRecords
        }
        #expect(last > 0, "the 4 KiB arenas gave records up")
        run.finish()
        #expect(run.filter.droppedRecords == 400 - 57, "every record but the 57 recovered ones, once")
    }

    @Test func recordsBeforeTheBPFRecordAreRecovered() {
        let run = Run(live: true)
        run.feed([Self.syscall(5), Self.other(4), Self.other(5), Self.bpf(5, 9), Self.eoe(5)].joined(separator: "\n"), now: 0)
        // BPF records go first, PROCTITLE last: libauparse completes an event that ends in one.
        #expect(run.passed == [Self.bpf(5, 9), Self.syscall(5), Self.other(5), Self.eoe(5)])
    }

    @Test func aStandaloneRecordDoesNotHoldBackLaterEvents() {
        let run = Run(live: true)
        run.feed(Self.bpf(1, 50, "UNLOAD"), now: 100)
        run.feed([Self.bpf(2, 51), Self.syscall(2), Self.eoe(2)].joined(separator: "\n"), now: 110)
        #expect(run.passed == [Self.bpf(2, 51), Self.syscall(2), Self.eoe(2)], "the complete event goes first")
        #expect(run.filter.hasOpenEvents)
        run.tick(2099)
        #expect(run.passed.count == 3, "the standalone record waits for its timeout")
        run.tick(2100)
        #expect(run.passed.suffix(2) == [Self.bpf(1, 50, "UNLOAD"), Self.eoe(1)], "then it gets an EOE of its own")
        #expect(run.filter.addedEOERecords == 1)
        #expect(!run.filter.hasOpenEvents)
    }

    @Test func replayKeepsArrivalOrder() {
        var run = Run(live: false)
        run.feed([Self.bpf(1, 50, "UNLOAD"), Self.bpf(2, 51), Self.syscall(2), Self.eoe(2)].joined(separator: "\n"))
        #expect(run.passed.isEmpty, "the older event is not complete yet")
        run.finish()
        #expect(run.passed == [Self.bpf(1, 50, "UNLOAD"), Self.eoe(1), Self.bpf(2, 51), Self.syscall(2), Self.eoe(2)])
        // A replayed event without EOE completes after `replayWaitRecords` arrivals.
        run = Run(live: false)
        run.filter.replayWaitRecords = 3
        run.feed([Self.bpf(1, 50, "UNLOAD"), Self.other(7), Self.other(8)].joined(separator: "\n"))
        #expect(run.passed.isEmpty)
        run.feed(Self.other(9))
        #expect(run.passed == [Self.bpf(1, 50, "UNLOAD"), Self.eoe(1)])
    }

    /// A slow load: its BPF record is stamped with the syscall's entry time, other records
    /// many seconds newer arrive before its SYSCALL record. Record time never completes it.
    @Test func aSlowLoadKeepsItsSyscallRecord() {
        for live in [true, false] {
            let run = Run(live: live)
            run.feed(Self.bpf(1, 60), now: 0)
            run.feed([Self.other(2, seconds: 1010), Self.bpf(3, 61, seconds: 1012), Self.syscall(3, seconds: 1012), Self.eoe(3, seconds: 1012)]
                .joined(separator: "\n"), now: 5)
            run.feed([Self.syscall(1), Self.eoe(1)].joined(separator: "\n"), now: 10)
            let expected = live ? [Self.bpf(3, 61, seconds: 1012), Self.syscall(3, seconds: 1012), Self.eoe(3, seconds: 1012), Self.bpf(1, 60), Self.syscall(1), Self.eoe(1)]
                                : [Self.bpf(1, 60), Self.syscall(1), Self.eoe(1), Self.bpf(3, 61, seconds: 1012), Self.syscall(3, seconds: 1012), Self.eoe(3, seconds: 1012)]
            #expect(run.passed == expected, "live: \(live)")
        }
    }

    /// A second thread closes the new program before `bpf()` returns: the UNLOAD event comes
    /// between the LOAD's BPF record and its SYSCALL record. The UNLOAD waits for the LOAD.
    @Test func anUnloadWaitsForItsOpenLoad() {
        for live in [true, false] {
            let run = Run(live: live)
            run.feed(Self.bpf(1, 77), now: 0)
            run.feed([Self.bpf(2, 77, "UNLOAD"), Self.syscall(2), Self.eoe(2)].joined(separator: "\n"), now: 5)
            #expect(run.passed.isEmpty, "the UNLOAD waits for its LOAD (live: \(live))")
            run.feed([Self.syscall(1), Self.eoe(1)].joined(separator: "\n"), now: 6)
            #expect(run.passed == [Self.bpf(1, 77), Self.syscall(1), Self.eoe(1), Self.bpf(2, 77, "UNLOAD"), Self.syscall(2), Self.eoe(2)])
        }
        // A LOAD that never gets its SYSCALL record releases its UNLOAD when it times out.
        let run = Run(live: true)
        run.feed(Self.bpf(1, 78), now: 0)
        run.feed([Self.bpf(2, 78, "UNLOAD"), Self.syscall(2), Self.eoe(2)].joined(separator: "\n"), now: 5)
        run.tick(2000)
        #expect(run.passed == [Self.bpf(1, 78), Self.eoe(1), Self.bpf(2, 78, "UNLOAD"), Self.syscall(2), Self.eoe(2)])
    }

    /// The open LOADs are found by looking through the open events while few are open, and
    /// through an index once many events or loads are: an UNLOAD waits for its LOAD either way,
    /// and only for it.
    @Test(arguments: [1, 30, 200])
    func anUnloadFindsItsLoadAmongManyOpenEvents(_ openLoads: Int) {
        let run = Run(live: true)
        // `openLoads` LOAD events without their SYSCALL records yet (one with two programs).
        for serial in 1...openLoads { run.feed(Self.bpf(serial, 1000 + serial), now: 0) }
        run.feed(Self.bpf(1, 5000), now: 0)
        let target = (openLoads + 1) / 2
        run.feed([Self.bpf(9000, 1000 + target, "UNLOAD"), Self.syscall(9000), Self.eoe(9000)].joined(separator: "\n"), now: 1)
        run.feed([Self.bpf(9001, 5000, "UNLOAD"), Self.syscall(9001), Self.eoe(9001)].joined(separator: "\n"), now: 1)
        run.feed([Self.bpf(9002, 77, "UNLOAD"), Self.syscall(9002), Self.eoe(9002)].joined(separator: "\n"), now: 1)
        #expect(run.passed == [Self.bpf(9002, 77, "UNLOAD"), Self.syscall(9002), Self.eoe(9002)], "an UNLOAD of no open LOAD goes at once")
        run.feed([Self.syscall(target), Self.eoe(target)].joined(separator: "\n"), now: 2)
        #expect(Array(run.passed.suffix(6)) == [Self.bpf(target, 1000 + target), Self.syscall(target), Self.eoe(target),
                                               Self.bpf(9000, 1000 + target, "UNLOAD"), Self.syscall(9000), Self.eoe(9000)] || target == 1,
                "the UNLOAD follows its LOAD (\(openLoads) open)")
        run.feed([Self.syscall(1), Self.eoe(1)].joined(separator: "\n"), now: 3)
        #expect(run.passed.suffix(3) == [Self.bpf(9001, 5000, "UNLOAD"), Self.syscall(9001), Self.eoe(9001)],
                "the second program of event 1 is found too (\(openLoads) open)")
        run.tick(5000)
        #expect(!run.filter.hasOpenEvents)
        // Every record once: the three UNLOAD events, event 1 (two BPF records, SYSCALL, EOE),
        // the target's event, and the other LOADs completed by the clock with an EOE added.
        let others = openLoads - (target == 1 ? 1 : 2)
        #expect(run.passed.count == 9 + 4 + (target == 1 ? 0 : 3) + 2 * others)
    }

    /// libauparse appends records by walking the event from its start: a large event is
    /// handed on in parts, each with the context, so that every BPF record keeps its loader.
    @Test func aLargeEventIsHandedOnInPartsWithItsContext() {
        let run = Run(live: false)
        let count = BPFRecordFilter.maximumBPFRecordsPerPart * 2 + 10
        run.feed(((1...count).map { Self.bpf(5, $0, "UNLOAD") } + [Self.syscall(5), Self.eoe(5)]).joined(separator: "\n"))
        #expect(run.passed.filter { $0.hasPrefix("type=BPF") }.count == count)
        #expect(run.passed.filter { $0 == Self.syscall(5) }.count == 3, "each of the three parts carries the SYSCALL record")
        #expect(run.passed.filter { $0 == Self.eoe(5) }.count == 3)
        #expect(run.filter.forcedCompletions == 0)
    }

    @Test func contextRecordsOfAnEventAreBounded() {
        let run = Run(live: false)
        let extra = BPFRecordFilter.maximumContextRecords + 7
        run.feed(([Self.bpf(5, 1)] + (0..<extra).map { _ in Self.other(5) } + [Self.syscall(5), Self.eoe(5)]).joined(separator: "\n"))
        #expect(run.filter.trimmedRecords == 7)
        #expect(run.passed.contains(Self.syscall(5)), "the SYSCALL record is never trimmed")
    }

    @Test func passThroughHandsEverythingElseOnAtOnce() {
        let run = Run(live: true, passThrough: true)
        run.feed([Self.syscall(1), Self.other(1), Self.eoe(1), Self.bpf(2, 7)].joined(separator: "\n"), now: 0)
        #expect(run.passed == [Self.syscall(1), Self.other(1), Self.eoe(1)])
        run.feed([Self.syscall(2), Self.eoe(2)].joined(separator: "\n"), now: 1)
        #expect(run.passed.suffix(3) == [Self.bpf(2, 7), Self.syscall(2), Self.eoe(2)])
        #expect(run.filter.droppedRecords == 0)
    }

    @Test func nodesAreKeptApart() {
        let run = Run(live: true)
        run.feed([Self.bpf(9, 1, node: "a"), Self.syscall(9, node: "b"), Self.syscall(9, node: "a"), Self.eoe(9, node: "a")].joined(separator: "\n"), now: 0)
        #expect(run.passed == [Self.bpf(9, 1, node: "a"), Self.syscall(9, node: "a"), Self.eoe(9, node: "a")])
        run.feed(Self.bpf(10, 2, node: "a"), now: 0)
        run.tick(5000)
        #expect(run.passed.last == Self.eoe(10, node: "a"), "an added EOE carries the node")
    }

    /// Events open at once with one serial (two nodes, or another second) each get their own
    /// records, also once one of them is complete (the filter finds events by serial, and by
    /// key only when several share it).
    @Test func eventsSharingASerialAreKeptApart() {
        let run = Run(live: true)
        run.feed([Self.bpf(7, 1, node: "a"), Self.bpf(7, 2, node: "b"), Self.bpf(7, 3, seconds: 2000),
                  Self.syscall(7, node: "b"), Self.syscall(7, node: "a"), Self.syscall(7, seconds: 2000),
                  Self.eoe(7, node: "b")].joined(separator: "\n"), now: 0)
        #expect(run.passed == [Self.bpf(7, 2, node: "b"), Self.syscall(7, node: "b"), Self.eoe(7, node: "b")])
        run.feed([Self.eoe(7, seconds: 2000), Self.syscall(7, node: "a")].joined(separator: "\n"), now: 0)
        #expect(run.passed.suffix(3) == [Self.bpf(7, 3, seconds: 2000), Self.syscall(7, seconds: 2000), Self.eoe(7, seconds: 2000)])
        run.feed(Self.eoe(7, node: "a"), now: 0)
        #expect(run.passed.suffix(4) == [Self.bpf(7, 1, node: "a"), Self.syscall(7, node: "a"), Self.syscall(7, node: "a"), Self.eoe(7, node: "a")])
        #expect(!run.filter.hasOpenEvents)
        run.feed([Self.syscall(7, node: "a"), Self.eoe(7, node: "a")].joined(separator: "\n"), now: 0)
        #expect(run.passed.count == 10, "records of a released event are not taken for it again")
    }

    @Test func openEventsAreBounded() {
        let run = Run(live: true)
        for serial in 1...(BPFRecordFilter.maximumOpenEvents + 10) { run.feed(Self.bpf(serial, serial), now: 0) }
        #expect(run.passed.count == 20, "the 10 oldest events were completed to make room")
        #expect(run.passed.first == Self.bpf(1, 1))
        #expect(run.filter.forcedCompletions == 10)
    }

    @Test func readsProgramAndOperation() {
        func program(_ line: String) -> String? {
            Array(line.utf8).withUnsafeBufferPointer { buffer in
                AuditRecordHeader.parse(buffer).flatMap { BPFRecordFilter.program(in: buffer, $0) }.map { "\($0.0.rawValue) \($0.1)" }
            }
        }
        #expect(program(Self.bpf(1, 42, "UNLOAD")) == "UNLOAD 42")
        #expect(program("type=UNKNOWN[1334] msg=audit(1.000:1): prog-id=3260 event=UNLOAD") == "UNLOAD 3260")
        #expect(program("type=BPF msg=audit(1.000:1): op=LOAD") == nil)
    }
}
