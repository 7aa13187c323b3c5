import Testing
@testable import BPFGuardCore

/// Folding and the per-minute cap: the first alerts of a key leave at once, the rest are
/// counted into one summary per window, windows run on event time alone, and every raised
/// alert is accounted for (raised = sent + folded + capped).
@Suite struct AlertFolderTests {
    static func alert(_ id: UInt32, at milliseconds: UInt64, exe: String = "/opt/a", label: String = "unknown-exe",
                      priority: SyslogPriority = .warning, line: Int = 3, node: String? = nil) -> Alert {
        let time = stamp(milliseconds / 1000, UInt32(milliseconds % 1000), serial: UInt64(id))
        let subject = RuleSubject(event: load(id, at: time, node: node), loader: process(exe: exe))
        return Alert(label: label, priority: priority, subject: subject, rule: .line(line))
    }

    /// `count` alerts of one executable, `step` ms apart.
    static func alerts(_ count: Int, from start: UInt64, step: UInt64 = 1, exe: String = "/opt/a", label: String = "unknown-exe",
                       line: Int = 3, firstID: UInt32 = 0) -> [Alert] {
        var alerts: [Alert] = []
        for index in 0..<count {
            let time: UInt64 = start + UInt64(index) * step
            alerts.append(alert(firstID + UInt32(index), at: time, exe: exe, label: label, line: line))
        }
        return alerts
    }

    static func folder(_ policyText: String = "alert unknown-exe op=load\n") throws -> AlertFolder {
        AlertFolder(policy: try compiledPolicy(policyText))
    }

    /// Feeds alerts, then flushes; returns every line that left.
    static func run(_ folder: inout AlertFolder, _ alerts: [Alert], flush: Bool = true) -> [OutgoingAlert] {
        var output: [OutgoingAlert] = []
        for alert in alerts { folder.take(alert, into: &output) }
        if flush { folder.flush(into: &output) }
        return output
    }

    static func represented(_ line: OutgoingAlert) -> UInt64 {
        switch line {
        case .single, .audit: 1
        case .repeated(let repeated): repeated.count
        case .capped(let capped): capped.held
        }
    }

    /// Alerts whose loader strings are the very same arrays (as the extractor hands them out)
    /// find their group again without hashing (`FoldGroupMemo`); a group's slot reused by
    /// another key after its window closed is not taken for the old one.
    @Test func alertsSharingTheirLoaderStringsFoldIntoTheirOwnGroups() throws {
        var folder = try Self.folder()
        let loaderA = process(exe: "/opt/a"), loaderB = process(exe: "/opt/b"), loaderC = process(exe: "/opt/c")
        func alert(_ id: UInt32, at milliseconds: UInt64, _ loader: ProcessContext) -> Alert {
            let time = stamp(milliseconds / 1000, UInt32(milliseconds % 1000), serial: UInt64(id))
            return Alert(label: "unknown-exe", priority: .warning, subject: RuleSubject(event: load(id, at: time), loader: loader), rule: .line(3))
        }
        // A's window opens first, B's 30 s later; once A's has closed (B's still open), C's
        // window takes A's freed slot, and then A alerts again: its remembered slot is C's now.
        var alerts: [Alert] = []
        for index in 0..<8 { alerts.append(alert(UInt32(index), at: 1_000_000 + UInt64(index), loaderA)) }
        for index in 0..<8 { alerts.append(alert(UInt32(100 + index), at: 1_030_000 + UInt64(index), loaderB)) }
        for index in 0..<3 { alerts.append(alert(UInt32(200 + index), at: 1_061_000 + UInt64(index), loaderC)) }
        for index in 0..<3 { alerts.append(alert(UInt32(300 + index), at: 1_062_000 + UInt64(index), loaderA)) }
        for index in 0..<2 { alerts.append(alert(UInt32(400 + index), at: 1_063_000 + UInt64(index), loaderC)) }
        let output = Self.run(&folder, alerts)
        func represented(_ exe: String) -> UInt64 {
            output.filter { $0.line.contains("exe=\"\(exe)\"") }.map(Self.represented).reduce(0, +)
        }
        #expect(represented("/opt/a") == 11)
        #expect(represented("/opt/b") == 8)
        #expect(represented("/opt/c") == 5)
        let singlesOfA = output.filter { if case .single = $0, $0.line.contains("exe=\"/opt/a\"") { true } else { false } }.count
        #expect(singlesOfA == 5 + 3, "A's second window is its own: its 3 alerts leave at once")
    }

    @Test func burstLeavesAtOnceAndTheRestIsOneSummary() throws {
        var folder = try Self.folder()
        let alerts = (0..<12).map { Self.alert(UInt32(100 + $0), at: 1_000_000 + UInt64($0) * 100) }
        var output: [OutgoingAlert] = []
        for alert in alerts { folder.take(alert, into: &output) }
        #expect(output.count == 5, "the first fold_burst alerts leave at once")
        #expect(output.map(\.line) == alerts.prefix(5).map(AlertFormatter.line), "unchanged")
        folder.flush(into: &output)
        #expect(output.count == 6)
        guard case .repeated(let summary) = output.last else {
            Issue.record("the last line is a summary: \(output.last.map(\.line) ?? "none")")
            return
        }
        #expect(summary.count == 7)
        #expect(summary.first == alerts[5].subject.event.timestamp)
        #expect(summary.last == alerts[11].subject.event.timestamp)
        #expect(summary.alert.subject.event.programID == 105, "the keys of the first folded alert")
        #expect(output.last!.line == "alert=unknown-exe priority=warning op=LOAD prog-id=105 uid=0 auid=unset euid=0 pid=100 ppid=1 comm=\"loader\" exe=\"/opt/a\" cmdline=? repeated=7 first=1000.500 last=1001.100 event=1000.500:105 rule=3")
        #expect(output.last!.json.contains(#""exe":"/opt/a","cmdline":null,"repeated":7,"first":"1000.500","last":"1001.100","event":"1000.500:105","rule":3}"#))
        #expect(folder.statistics == AlertFolder.Statistics(raised: 12, sent: 5, folded: 7, capped: 0))
    }

    @Test func keysSeparateGroups() throws {
        var folder = try Self.folder()
        var alerts: [Alert] = []
        for index in 0..<30 {
            let exe = ["/opt/a", "/opt/b", "/opt/c"][index % 3]
            alerts.append(Self.alert(UInt32(index), at: 5_000_000 + UInt64(index), exe: exe))
        }
        let output = Self.run(&folder, alerts)
        #expect(output.count == 18, "three groups of five alerts and one summary")
        let summaries = output.compactMap { if case .repeated(let repeated) = $0 { repeated } else { nil } }
        #expect(summaries.map { String(decoding: $0.alert.subject.loader!.exe!, as: UTF8.self) } == ["/opt/a", "/opt/b", "/opt/c"])
        #expect(summaries.allSatisfy { $0.count == 5 })
        // Another node, another label: other groups.
        var other = try Self.folder()
        let mixed = (0..<6).map { Self.alert(UInt32($0), at: 1000, node: "n1") } + (0..<6).map { Self.alert(UInt32($0), at: 1000, label: "other") }
        #expect(Self.run(&other, mixed).count == 12)
    }

    @Test func foldByNamesTheKeys() throws {
        // Folding by label alone puts every executable in one group.
        var folder = try Self.folder("fold_by = label\nalert unknown-exe op=load\n")
        let alerts = (0..<9).map { Self.alert(UInt32($0), at: 1000 + UInt64($0), exe: "/opt/\($0)") }
        let output = Self.run(&folder, alerts)
        #expect(output.count == 6)
        #expect(output.map(Self.represented).reduce(0, +) == 9)
    }

    @Test func windowsRunOnEventTime() throws {
        var folder = try Self.folder("fold_window = 10s\nfold_burst = 2\nalert unknown-exe op=load\n")
        // 3 alerts in the first window; the 4th, 10 s after the first, opens a new window:
        // the first window's summary leaves before it.
        let alerts = [0, 1_000, 9_999, 10_000, 10_001, 10_002].enumerated().map { Self.alert(UInt32($0.offset), at: 7_000_000 + UInt64($0.element)) }
        var output: [OutgoingAlert] = []
        for alert in alerts { folder.take(alert, into: &output) }
        #expect(output.map(Self.represented) == [1, 1, 1, 1, 1], "two, the summary of one, two")
        if case .repeated(let summary) = output[2] { #expect(summary.count == 1) } else { Issue.record("third line: \(output[2].line)") }
        // Advancing event time closes the second window without another alert.
        folder.advance(to: 7_019_999, into: &output)
        #expect(output.count == 5)
        folder.advance(to: 7_020_000, into: &output)
        #expect(output.count == 6)
        #expect(folder.openWindows == 0)
    }

    @Test func ruleFoldOverridesTheWindow() throws {
        let policy = "fold_window = 0\nalert folded op=load exe=/opt/a fold=1m\nalert never op=load exe=/opt/b priority=crit fold=0\nalert plain op=load\n"
        var folder = try Self.folder(policy)
        let folded = Self.alerts(8, from: 1000, exe: "/opt/a", label: "folded", line: 2)
        let never = Self.alerts(8, from: 2000, exe: "/opt/b", label: "never", line: 3)
        let alerts = folded + never + Self.alerts(8, from: 3000, exe: "/opt/c", label: "plain", line: 4)
        let output = Self.run(&folder, alerts)
        #expect(output.filter { $0.line.contains("alert=folded ") }.count == 6)
        #expect(output.filter { $0.line.contains("alert=never ") }.count == 8)
        #expect(output.filter { $0.line.contains("alert=plain ") }.count == 8, "fold_window = 0: folding off")
    }

    @Test func summaryTakesTheHighestPriority() throws {
        var folder = try Self.folder("fold_by = exe\nfold_burst = 1\nalert a op=load\n")
        let alerts = [Self.alert(1, at: 10, priority: .info), Self.alert(2, at: 20, priority: .notice),
                      Self.alert(3, at: 30, priority: .crit), Self.alert(4, at: 40, priority: .warning)]
        let output = Self.run(&folder, alerts)
        #expect(output.count == 2)
        #expect(output.last?.priority == .crit)
        #expect(output.last?.line.hasPrefix("alert=unknown-exe priority=crit op=LOAD prog-id=2 ") == true)
    }

    @Test func eventsOutOfOrderStayInTheirWindow() throws {
        var folder = try Self.folder("fold_burst = 1\nalert a op=load\n")
        let alerts = [Self.alert(1, at: 50_000), Self.alert(2, at: 52_000), Self.alert(3, at: 49_000), Self.alert(4, at: 51_000)]
        let output = Self.run(&folder, alerts)
        guard case .repeated(let summary) = output.last else { Issue.record("no summary"); return }
        #expect(summary.count == 3)
        #expect(summary.first.totalMilliseconds == 49_000)
        #expect(summary.last.totalMilliseconds == 52_000)
    }

    @Test func capHoldsBackAndSaysHowManyByLabel() throws {
        var folder = try Self.folder("max_alerts_per_minute = 4\nfold_by = exe\nalert a op=load\n")
        // Ten executables, one alert each, within a minute: four leave, six are held.
        var alerts: [Alert] = []
        for index in 0..<10 {
            let priority: SyslogPriority = index == 7 ? .crit : .warning
            alerts.append(Self.alert(UInt32(index), at: 100_000 + UInt64(index) * 10, exe: "/opt/\(index)",
                                     label: index % 2 == 0 ? "even" : "odd", priority: priority))
        }
        // The next minute: let through again.
        alerts.append(Self.alert(99, at: 170_000, exe: "/opt/late"))
        var output: [OutgoingAlert] = []
        for alert in alerts { folder.take(alert, into: &output) }
        #expect(output.count == 6, "four alerts, the note, the alert of the next minute")
        guard case .capped(let capped) = output[4] else { Issue.record("the fifth line is the note: \(output[4].line)"); return }
        #expect(capped.held == 6)
        #expect(output[4].line == "alert=alerts-capped priority=crit held=6 labels=even:3,odd:3 first=100.040 last=100.090")
        #expect(output[4].json == #"{"alert":"alerts-capped","priority":"crit","held":6,"labels":{"even":3,"odd":3},"first":"100.040","last":"100.090"}"#)
        #expect(folder.statistics == AlertFolder.Statistics(raised: 11, sent: 5, folded: 0, capped: 6))
    }

    @Test func aSummaryHeldBackByTheCapCountsAsCapped() throws {
        var folder = try Self.folder("max_alerts_per_minute = 5\nfold_window = 30s\nalert a op=load\n")
        let alerts = Self.alerts(9, from: 1_000) + Self.alerts(2, from: 30_000, exe: "/opt/other", firstID: 50)
        var output: [OutgoingAlert] = []
        for alert in alerts { folder.take(alert, into: &output) }
        #expect(folder.statistics == AlertFolder.Statistics(raised: 11, sent: 5, folded: 4, capped: 2))
        // The group's window (30 s) ends within the cap's minute: its summary is held too.
        folder.advance(to: 31_001, into: &output)
        #expect(folder.statistics == AlertFolder.Statistics(raised: 11, sent: 5, folded: 0, capped: 6))
        folder.flush(into: &output)
        guard case .capped(let capped) = output.last else { Issue.record("the note comes last"); return }
        #expect(capped.held == 6)
        #expect(capped.labels == [LabelCount(label: "unknown-exe", count: 6)])
    }

    @Test func windowsAreBounded() throws {
        var folder = try Self.folder("fold_by = exe\nfold_burst = 1\nmax_alerts_per_minute = 0\nalert a op=load\n")
        var output: [OutgoingAlert] = []
        // Twice the bound of distinct keys, each alerting twice: the oldest windows close
        // early, with their summaries, and nothing is lost.
        for index in 0..<(2 * AlertFolder.maximumWindows) {
            folder.take(Self.alert(UInt32(index), at: 1000, exe: "/x/\(index)"), into: &output)
            folder.take(Self.alert(UInt32(index), at: 1000, exe: "/x/\(index)"), into: &output)
            #expect(folder.openWindows <= AlertFolder.maximumWindows)
        }
        folder.flush(into: &output)
        #expect(output.map(Self.represented).reduce(0, +) == UInt64(4 * AlertFolder.maximumWindows))
    }

    @Test func closingDoesNotDependOnHowOftenTimeAdvances() throws {
        // The same alerts, with event time advanced between them in steps of 1 ms, 700 ms or
        // not at all (replay): the same lines in the same order.
        let policy = "fold_window = 3s\nfold_burst = 2\nmax_alerts_per_minute = 7\nalert a op=load\n"
        var random = RandomInputTests.Generator(state: 7)
        var time: UInt64 = 1_000_000
        var alerts: [Alert] = []
        for index in 0..<400 {
            time += UInt64.random(in: 0...300, using: &random)
            alerts.append(Self.alert(UInt32(index), at: time, exe: "/opt/\(Int.random(in: 0..<4, using: &random))"))
        }
        func lines(step: UInt64?) throws -> [String] {
            var folder = try Self.folder(policy)
            var output: [OutgoingAlert] = []
            var clock: UInt64 = 1_000_000
            for alert in alerts {
                if let step {
                    while clock + step < alert.subject.event.timestamp.totalMilliseconds {
                        clock += step
                        folder.advance(to: clock, into: &output)
                    }
                }
                folder.take(alert, into: &output)
            }
            folder.flush(into: &output)
            return output.map(\.line)
        }
        let replayed = try lines(step: nil)
        #expect(replayed.contains { $0.hasPrefix("alert=alerts-capped ") } && replayed.contains { $0.contains(" repeated=") })
        #expect(try lines(step: 1) == replayed)
        #expect(try lines(step: 700) == replayed)
    }

    @Test func replacingThePolicyFlushesUnderTheOldOne() throws {
        var folder = try Self.folder("alert a op=load\n")
        var output = Self.run(&folder, (0..<8).map { Self.alert(UInt32($0), at: 1000) }, flush: false)
        #expect(output.count == 5)
        folder.replacePolicy(try compiledPolicy("fold_window = 0\nalert a op=load\n"), into: &output)
        #expect(output.count == 6)
        #expect(output.last?.line.contains(" repeated=3 ") == true)
        output = Self.run(&folder, (0..<8).map { Self.alert(UInt32($0), at: 2000) })
        #expect(output.count == 8, "the new policy does not fold")
        #expect(folder.statistics == AlertFolder.Statistics(raised: 16, sent: 13, folded: 3, capped: 0))
    }

    @Test func everyAlertIsAccountedForOnRandomSequences() throws {
        var random = RandomInputTests.Generator(state: 42)
        for round in 0..<60 {
            let window = [0, 1, 2_000, 60_000][round % 4]
            let policy = "fold_window = \(window)ms\nfold_burst = \(Int.random(in: 1...4, using: &random))\n"
                + "max_alerts_per_minute = \(Int.random(in: 0...6, using: &random))\nfold_by = label, exe\nalert a op=load\n"
                + "alert b op=load fold=\(Int.random(in: 0...5, using: &random))s\n"
            var folder = try Self.folder(policy)
            var output: [OutgoingAlert] = []
            var time: UInt64 = UInt64.random(in: 0...UInt64.max / 2, using: &random)
            for index in 0..<Int.random(in: 0...300, using: &random) {
                // Mostly forward in time, sometimes back, sometimes a leap.
                switch Int.random(in: 0..<20, using: &random) {
                case 0: time &-= UInt64.random(in: 0...5_000, using: &random)
                case 1: time &+= UInt64.random(in: 0...200_000, using: &random)
                default: time &+= UInt64.random(in: 0...400, using: &random)
                }
                let label = Bool.random(using: &random) ? "a" : "b"
                let alert = Self.alert(UInt32(index), at: time % 4_000_000_000_000, exe: "/e/\(Int.random(in: 0..<3, using: &random))",
                                       label: label, priority: SyslogPriority.allCases.randomElement(using: &random)!, line: label == "a" ? 5 : 6)
                folder.take(alert, into: &output)
                if Int.random(in: 0..<30, using: &random) == 0 { folder.advance(to: time &+ 1_000, into: &output) }
                if Int.random(in: 0..<150, using: &random) == 0 { folder.replacePolicy(try compiledPolicy(policy), into: &output) }
                let statistics = folder.statistics
                #expect(statistics.raised == statistics.sent + statistics.folded + statistics.capped, "round \(round): \(statistics)")
            }
            folder.flush(into: &output)
            let statistics = folder.statistics
            #expect(statistics.raised == statistics.sent + statistics.folded + statistics.capped)
            // What left stands for every raised alert: each line once.
            #expect(output.map(Self.represented).reduce(0, +) == statistics.raised, "round \(round)")
            #expect(output.filter { if case .single = $0 { true } else { false } }.count == Int(statistics.sent))
            #expect(folder.hasOpenWindows == false)
        }
    }
}
