import Testing

/// Generated audit streams with the orderings real kernels produce and that used to strip a
/// loader (issue 8, section 3): a slow load whose SYSCALL record comes after records many
/// seconds newer, a program closed by another thread before `bpf()` returns (its UNLOAD
/// event between the LOAD's BPF and SYSCALL records), other processes' records between an
/// event's records, and large events. The pre-filter, `--no-prefilter` and live plugin mode
/// must give the same alerts, and every alert keeps its loader.
@Suite struct EventOrderingTests {
    /// SplitMix64: fixed seeds, so a failing stream is reproducible.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// One alert line per LOAD and UNLOAD: nothing folded or capped.
    static let policy = "fold_window = 0\nmax_alerts_per_minute = 0\nalert load op=load\nalert unload op=unload\n"

    static func stamp(_ milliseconds: Int, _ serial: Int) -> String {
        "msg=audit(\(1_795_900_000 + milliseconds / 1000).\(threeDigits(milliseconds % 1000)):\(serial))"
    }

    static func syscall(_ ms: Int, _ serial: Int, number: Int, pid: Int, exe: String) -> String {
        "type=SYSCALL \(stamp(ms, serial)): arch=c000003e syscall=\(number) success=yes exit=0 a0=5 a1=0 a2=0 a3=0 items=0 ppid=1 pid=\(pid) auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm=\"agent\" exe=\"\(exe)\" key=(null)"
    }

    /// One event's records: BPF records, SYSCALL, PROCTITLE, EOE.
    static func event(_ ms: Int, _ serial: Int, _ bpf: [(Int, String)], pid: Int, exe: String, number: Int) -> [String] {
        bpf.map { "type=BPF \(stamp(ms, serial)): prog-id=\($0.0) op=\($0.1)" }
            + [syscall(ms, serial, number: number, pid: pid, exe: exe), "type=PROCTITLE \(stamp(ms, serial)): proctitle=6167656E74", "type=EOE \(stamp(ms, serial)):"]
    }

    /// Another process's event (an openat with a PATH record).
    static func noise(_ ms: Int, _ serial: Int) -> [String] {
        [syscall(ms, serial, number: 257, pid: 9, exe: "/usr/bin/cat"), "type=PATH \(stamp(ms, serial)): item=0 name=\"/etc/hosts\"", "type=EOE \(stamp(ms, serial)):"]
    }

    /// A stream of `programs` loads and unloads with the orderings above mixed in at random.
    static func stream(seed: UInt64, programs: Int = 40) -> String {
        var random = Generator(state: seed)
        var lines: [String] = []
        var serial = 1000
        var now = 0
        var pendingUnloads: [(Int, Int)] = []  // (program, time)
        for index in 0..<programs {
            let program = 500 + index
            let exe = "/opt/agent-\(index % 3)/bin/agent"
            now += Int.random(in: 1...400, using: &random)
            serial += 1
            let loadSerial = serial, loadTime = now
            let load = event(loadTime, loadSerial, [(program, "LOAD")], pid: 100 + index, exe: exe, number: 321)
            switch Int.random(in: 0..<5, using: &random) {
            case 0:
                // A slow verifier: records stamped 2–4 s later arrive before the SYSCALL record.
                lines.append(load[0])
                for _ in 0..<Int.random(in: 1...3, using: &random) {
                    serial += 1
                    lines += noise(loadTime + Int.random(in: 2000...4000, using: &random), serial)
                }
                lines += load[1...]
            case 1:
                // Another thread closes the program before bpf() returns.
                lines.append(load[0])
                serial += 1
                lines += event(loadTime + Int.random(in: 0...3, using: &random), serial, [(program, "UNLOAD")], pid: 200 + index, exe: exe, number: 3)
                lines += load[1...]
                continue
            case 2:
                // Other processes' records between the event's records.
                for record in load {
                    lines.append(record)
                    if Bool.random(using: &random) { serial += 1; lines += noise(loadTime, serial).shuffled(using: &random) }
                }
            default:
                lines += load
            }
            pendingUnloads.append((program, loadTime + Int.random(in: 5...1500, using: &random)))
        }
        // Unloads: some one by one, the rest in one large event (a process exiting with many
        // programs open: close_range).
        let split = pendingUnloads.count / 2
        for (program, time) in pendingUnloads[..<split] {
            serial += 1
            lines += event(max(time, now + 1), serial, [(program, "UNLOAD")], pid: 300, exe: "/usr/bin/agentctl", number: 3)
        }
        serial += 1
        let many = pendingUnloads[split...].map { ($0.0, "UNLOAD") } + (0..<700).map { (90_000 + $0, "UNLOAD") }
        lines += event(now + 2000, serial, many, pid: 301, exe: "/usr/bin/agentctl", number: 436)
        return lines.joined(separator: "\n") + "\n"
    }

    func replay(_ path: String, _ policy: String, _ extra: [String]) -> ChildProcess {
        let run = ChildProcess.run([Paths.plugin, "--policy", policy] + extra + ["--replay", path])
        #expect(run.exitStatus == 0, "\(run.stderrText)")
        return run
    }

    @Test(arguments: 0..<30)
    func everyModeKeepsTheLoader(seed: Int) {
        let text = Self.stream(seed: UInt64(seed) &* 7919)
        let path = temporaryFile(text, name: "ordering.log")
        let policy = temporaryFile(Self.policy)
        let filtered = replay(path, policy, [])
        let unfiltered = replay(path, policy, ["--no-prefilter"])
        #expect(filtered.stdoutText == unfiltered.stdoutText, "seed \(seed): the pre-filter changed the alerts")
        let lines = filtered.stdoutLines
        #expect(lines.count == 2 * 40 + 700, "seed \(seed): one alert per LOAD and UNLOAD")
        // The 700 extra programs of the large event were never loaded: no loader to show.
        let known = lines.filter { !$0.contains("prog-id=9") }
        #expect(!known.contains { $0.contains(" uid=? ") || $0.contains(" exe=?") }, "seed \(seed): an alert lost its loader")
        let unloads = lines.filter { $0.contains(" op=UNLOAD ") && !$0.contains("prog-id=9") }
        #expect(unloads.count == 40)
        #expect(!unloads.contains { $0.contains(" uid=? ") }, "seed \(seed): an UNLOAD did not find its LOAD")

        // Live: events leave as they complete, so the order may differ; the alerts may not.
        let plugin = ChildProcess([Paths.plugin, "--policy", policy, "--output", "stdout", "--no-lookup"])
        plugin.write(text)
        plugin.closeStdin()
        #expect(plugin.wait() == 0)
        #expect(plugin.stdoutLines.sorted() == lines.sorted(), "seed \(seed): live plugin mode differs from --replay")
    }
}

/// Milliseconds as three digits.
private func threeDigits(_ value: Int) -> String {
    let digits = String(value)
    return String(repeating: "0", count: max(0, 3 - digits.count)) + digits
}
