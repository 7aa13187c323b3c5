import Glibc
import Testing
@testable import BPFGuardCore

/// The value types of learning mode: UTC dates, policy value text, rotated log order,
/// bounded value sets and lifetime summaries.
@Suite struct LearningValuesTests {
    @Test func utcDatesAgreeWithGmtime() {
        var random = RandomInputTests.Generator(state: 3)
        let samples: [UInt64] = [0, 59, 86_399, 86_400, 951_782_400, 951_868_800, 1_795_945_910, 4_102_444_800, 253_402_300_799]
            + (0..<2000).map { _ in UInt64.random(in: 0...253_402_300_799, using: &random) }
        for seconds in samples {
            var time = time_t(seconds)
            var parts = tm()
            gmtime_r(&time, &parts)
            let date = UTCDateTime(secondsSinceEpoch: seconds)
            #expect(date.year == Int64(parts.tm_year) + 1900 && date.month == Int(parts.tm_mon) + 1 && date.day == Int(parts.tm_mday), "\(seconds)")
            #expect(date.hour == Int(parts.tm_hour) && date.minute == Int(parts.tm_min) && date.second == Int(parts.tm_sec))
        }
        #expect(UTCDateTime(secondsSinceEpoch: 1_795_945_910).description == "2026-11-29T09:51:50Z")
        #expect(UTCDateTime(secondsSinceEpoch: 951_782_400).dateText == "2000-02-29")
        #expect(UTCDateTime.dayNumber(secondsSinceEpoch: 86_399) == 0 && UTCDateTime.dayNumber(secondsSinceEpoch: 86_400) == 1)
    }

    @Test func policyValuesReadBackAsTheSameBytes() throws {
        var random = RandomInputTests.Generator(state: 9)
        for _ in 0..<2000 {
            let bytes = RandomInputTests.bytes(&random)
            guard !bytes.isEmpty else { continue }
            let text = "%s = \(PolicyValueText.literal(bytes))\nallow op=load exe=%s\n"
            let policy = try compiledPolicy(text)
            let matches = { (exe: [UInt8]) in policy.rules[0].matches(RuleSubject(event: load(1), loader: ProcessContext(exe: exe))) }
            #expect(matches(bytes), "\(PolicyValueText.literal(bytes))")
            #expect(!matches(bytes + [0x41]) && !matches(Array(bytes.dropLast())))
            #expect(!PolicyValueText.literal(bytes).utf8.contains { $0 < 0x20 || $0 > 0x7E })
        }
        #expect(PolicyValueText.literal(Array("/usr/bin/x".utf8)) == "/usr/bin/x")
        #expect(PolicyValueText.literal(Array("?".utf8)) == "\"?\"")
        #expect(PolicyValueText.literal(Array("%set".utf8)) == "\"%set\"")
        #expect(PolicyValueText.literal(Array("/a*b".utf8)) == "\"/a\\*b\"")
        #expect(PolicyValueText.pattern(Array("/usr/bin/python3.".utf8).map { .byte($0) } + [.star]) == "/usr/bin/python3.*")
    }

    @Test func rotatedLogsAreReadOldestFirst() {
        #expect(RotatedLogOrder.ordered(["/var/log/audit/audit.log", "/var/log/audit/audit.log.1", "/var/log/audit/audit.log.10",
                                         "/var/log/audit/audit.log.2"])
                == ["/var/log/audit/audit.log.10", "/var/log/audit/audit.log.2", "/var/log/audit/audit.log.1", "/var/log/audit/audit.log"])
        // Other files keep their places; the family fills the places it held.
        #expect(RotatedLogOrder.ordered(["a.log", "audit.log", "-", "audit.log.1", "b.txt"]) == ["a.log", "audit.log.1", "-", "audit.log", "b.txt"])
        #expect(RotatedLogOrder.ordered(["x.2", "y.1", "x.3"]) == ["x.3", "y.1", "x.2"])
        #expect(RotatedLogOrder.rotation(of: "dir.1/audit.log") == ("dir.1/audit.log", 0))
        #expect(RotatedLogOrder.rotation(of: "audit.log.") == ("audit.log.", 0))
        #expect(RotatedLogOrder.rotation(of: "audit.log.1234567890") == ("audit.log.1234567890", 0))
    }

    @Test func smallestValuesDoNotDependOnOrder() {
        var random = RandomInputTests.Generator(state: 4)
        let values = (0..<200).map { _ in UInt32.random(in: 0..<50, using: &random) }
        var forward = SmallestValues<UInt32>(limit: 5), backward = SmallestValues<UInt32>(limit: 5)
        values.forEach { forward.insert($0) }
        values.reversed().forEach { backward.insert($0) }
        #expect(forward == backward)
        #expect(forward.values == Array(Set(values)).sorted().prefix(5).map { $0 })
        #expect(forward.overflowed)
        var few = SmallestValues<UInt32>(limit: 5)
        [3, 1, 3].forEach { few.insert($0) }
        #expect(few.values == [1, 3] && !few.overflowed)
        var merged = few
        merged.merge(forward)
        #expect(merged.values == forward.values && merged.overflowed)
    }

    @Test func lifetimeSummaries() {
        var summary = LifetimeSummary()
        #expect(summary.text == nil)
        [200, 1500, 1500].forEach { summary.add($0) }
        #expect(summary.text == "200ms to 1.5s, most 1s-10s (2 of 3)")
        var same = LifetimeSummary()
        same.add(2500)
        #expect(same.text == "2.5s")
        var long = LifetimeSummary()
        [5, 90_000_000, 200_000_000].forEach { long.add($0) }
        #expect(long.text == "5ms to 2d7h, most 1d or more (2 of 3)")
        #expect(["0ms", "999ms", "1s", "59.9s", "1m", "1m5s", "2h30m", "3d"] == [0, 999, 1000, 59_999, 60_000, 65_000, 9_000_000, 259_200_000].map(LifetimeSummary.duration))
    }
}
