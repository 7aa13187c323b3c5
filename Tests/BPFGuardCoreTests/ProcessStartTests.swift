import Glibc
import Testing
@testable import BPFGuardCore

/// `/proc/PID/stat` as the periodic scan reads it to tell whether a loader has exited, on
/// files of this machine (Tests/Fixtures/proc, made as Tests/Fixtures/README.md says) and on
/// this process's own file.
@Suite struct ProcessStartTests {
    @Test func aCommandNameWithParenthesesAndBlanksDoesNotShiftTheFields() throws {
        // comm "a) (b c": the fields are counted from the last ')'.
        let start = try #require(ProcessStart(stat: try ProcParsingTests.fixture("stat-comm-with-parens.txt")))
        #expect(start.state == UInt8(ascii: "S"))
        #expect(start.startTicks == 430_425)
    }

    @Test func aZombieHasExited() throws {
        let zombie = try #require(ProcessStart(stat: try ProcParsingTests.fixture("stat-zombie.txt")))
        #expect(zombie.state == UInt8(ascii: "Z"))
        #expect(ProcessStart.loaderHasExited(zombie, loadTime: 9_000_000_000_000, ticksPerSecond: 100),
                "a zombie's pid is still taken, but the loader is gone")
    }

    @Test func startTimeAgainstTheLoadTime() throws {
        let running = try #require(ProcessStart(stat: try ProcParsingTests.fixture("stat-comm-with-parens.txt")))
        // Started at 4304.25 s after boot (430425 ticks of 10 ms).
        #expect(!ProcessStart.loaderHasExited(running, loadTime: 4_305_000_000_000, ticksPerSecond: 100), "started before the load: the loader")
        #expect(!ProcessStart.loaderHasExited(running, loadTime: 4_304_250_000_000, ticksPerSecond: 100), "the same tick counts as the loader")
        #expect(ProcessStart.loaderHasExited(running, loadTime: 4_304_000_000_000, ticksPerSecond: 100),
                "started after the load: another process has the pid")
        #expect(ProcessStart.loaderHasExited(nil, loadTime: 1, ticksPerSecond: 100), "no process with the pid")
    }

    @Test func thisProcessIsReadAsRunning() throws {
        let own = try ProcParsingTests.contents(of: "/proc/self/stat")
        let start = try #require(ProcessStart(stat: own))
        #expect(Array("RSD".utf8).contains(start.state), "alive (the main thread of the test runner may sleep)")
        var boot = timespec()
        clock_gettime(CLOCK_BOOTTIME, &boot)
        let now = UInt64(boot.tv_sec) * 1_000_000_000 + UInt64(boot.tv_nsec)
        let ticks = UInt64(sysconf(Int32(_SC_CLK_TCK)))
        #expect(!ProcessStart.loaderHasExited(start, loadTime: now, ticksPerSecond: ticks), "this process started before now")
    }

    @Test func malformedTextIsRefused() {
        #expect(ProcessStart(stat: []) == nil)
        #expect(ProcessStart(stat: Array("123 (x) S 1 2 3".utf8)) == nil, "too few fields")
        #expect(ProcessStart(stat: Array("123 x S 1".utf8)) == nil, "no command in parentheses")
        let fields = (0..<18).map { _ in "0" }.joined(separator: " ")
        #expect(ProcessStart(stat: Array("1 (x) S \(fields) 18446744073709551616".utf8)) == nil, "start time beyond 64 bits")
        #expect(ProcessStart(stat: Array("1 (x) SS \(fields) 5".utf8)) == nil, "state is one letter")
        let valid = try? #require(ProcessStart(stat: Array("1 (x) S \(fields) 5".utf8)))
        #expect(valid?.startTicks == 5)
        #expect(ProcessStart.loaderHasExited(ProcessStart(state: UInt8(ascii: "S"), startTicks: .max), loadTime: .max, ticksPerSecond: 100),
                "a start time that overflows in nanoseconds is after any load")
    }
}
