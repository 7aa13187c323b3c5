import BPFGuardCore

/// A policy the parser returned describes itself truthfully: its summary states its own
/// counts and settings, each rule points at an `allow`/`alert` line of the input (in file
/// order), labels are plain words, settings are within their documented bounds
/// (bpfguard.policy(5)).
enum PolicyShapeCheck {
    static func check(_ policy: Policy, input: [UInt8]) {
        let lines = input.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        var previousLine = 0
        for rule in policy.rules {
            fuzzCheck(rule.line > previousLine && rule.line <= lines.count, "rule line \(rule.line) after \(previousLine) of \(lines.count)")
            previousLine = rule.line
            let text = lines[rule.line - 1].drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            // The word ends at a blank, or at a comment (`allow# …` is a rule without conditions).
            let word = Array(text.prefix { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") && $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "#") })
            fuzzCheck(word == Array("allow".utf8) || word == Array("alert".utf8), "rule on line \(rule.line) which says \(fuzzShow(text))")
            if case .alert(let label, _) = rule.action {
                fuzzCheck(!label.isEmpty && label.utf8.allSatisfy(isLabelByte), "alert label \(fuzzShow(label.utf8))")
            }
        }
        let settings = policy.settings
        fuzzCheck((1...PolicyParser.maximumPrograms).contains(settings.maxPrograms), "max_programs \(settings.maxPrograms)")
        fuzzCheck((16...1_000_000).contains(settings.queueSize), "queue_size \(settings.queueSize)")
        fuzzCheck((1...10_000).contains(settings.foldBurst), "fold_burst \(settings.foldBurst)")
        fuzzCheck(settings.foldWindowMilliseconds <= 86_400_000, "fold_window \(settings.foldWindowMilliseconds) ms")
        fuzzCheck(settings.maxAlertsPerMinute <= 1_000_000, "max_alerts_per_minute \(settings.maxAlertsPerMinute)")
        fuzzCheck(Set(policy.setNames).count == policy.setNames.count, "a set name twice in \(policy.setNames)")
        checkSummary(policy)
    }

    private static func isLabelByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
    }

    /// `N rules (A allow, B alert), S sets, default=…, facility=…, max_programs=…`, read back.
    private static func checkSummary(_ policy: Policy) {
        let summary = policy.summary
        let counts = summary.prefix { $0 != "=" }.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        let allows = policy.rules.filter { $0.action == .allow }.count
        fuzzCheck(counts == [policy.rules.count, allows, policy.rules.count - allows, policy.setNames.count],
                  "summary \(summary) for \(policy.rules.count) rules (\(allows) allow), \(policy.setNames.count) sets")
        let settings = policy.settings
        for (key, value) in [("max_programs", settings.maxPrograms), ("fold_burst", settings.foldBurst),
                             ("max_alerts_per_minute", settings.maxAlertsPerMinute)] {
            fuzzCheck(summary.contains(", \(key)=\(value),") || summary.hasSuffix(", \(key)=\(value)"), "summary \(summary) for \(key)=\(value)")
        }
        fuzzCheck(summary.contains(", default=\(policy.settings.defaultAction.rawValue), facility=\(policy.settings.facility.rawValue), "),
                  "summary \(summary) for default=\(policy.settings.defaultAction.rawValue) facility=\(policy.settings.facility.rawValue)")
    }
}
