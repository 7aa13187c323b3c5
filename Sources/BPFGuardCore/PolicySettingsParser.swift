/// The `NAME = VALUE` settings of a policy file: each value checked, each error placed at
/// the value's line and column.
extension PolicyParser {
    static let maximumFoldBurst = 10_000
    /// The longest fold window (`fold_window`, a rule's `fold=`): a day.
    static let maximumFoldWindow: UInt64 = 86_400_000

    mutating func parseSetting(_ line: PolicyLexer.Line, equals: Int, into settings: inout PolicySettings, seen: inout [String: Int]) {
        let nameToken = PolicyLexer.trimmed(PolicyToken(bytes: Array(line.bytes[..<equals]), column: 1))
        let valueToken = PolicyLexer.trimmed(PolicyToken(bytes: Array(line.bytes[(equals + 1)...]), column: equals + 2))
        let name = nameToken.text
        guard Self.knownSettings.contains(name) else {
            error(line.number, nameToken.column, "unknown setting '\(name)' (known settings: \(Self.knownSettings.joined(separator: ", ")))")
            return
        }
        if let previous = seen[name] {
            error(line.number, nameToken.column, "setting '\(name)' is already set on line \(previous)")
            return
        }
        seen[name] = line.number
        guard case .success(let decoded) = PolicyValueSyntax.decode(valueToken.bytes), !decoded.elements.isEmpty else {
            error(line.number, valueToken.column, "expected a value for setting '\(name)'")
            return
        }
        let value = decoded.text
        switch name {
        case "facility":
            if let facility = SyslogFacility(name: value) {
                settings.facility = facility
            } else {
                error(line.number, valueToken.column, "unknown syslog facility '\(value)' (expected one of: \(SyslogFacility.allNames))")
            }
        case "default":
            if let action = PolicySettings.DefaultAction(rawValue: value) {
                settings.defaultAction = action
            } else {
                error(line.number, valueToken.column, "expected 'allow' or 'alert' for setting 'default', found '\(value)'")
            }
        case "default_priority":
            if let priority = SyslogPriority(name: value) {
                settings.defaultPriority = priority
            } else {
                error(line.number, valueToken.column, "unknown priority '\(value)' (expected one of: \(SyslogPriority.allNames))")
            }
        case "local_node":
            if Self.isName(value) {
                settings.localNode = value
            } else {
                error(line.number, valueToken.column, "expected a node name (letters, digits, '_', '-', '.') for setting 'local_node', found '\(value)'")
            }
        case "queue_size":
            if let count = PolicyValueSyntax.number(value[...], maximum: 1_000_000), count >= 16 {
                settings.queueSize = Int(count)
            } else {
                error(line.number, valueToken.column, "expected a number from 16 to 1000000 for setting 'queue_size', found '\(value)'")
            }
        case "fold_window":
            if value == "0" {
                settings.foldWindowMilliseconds = 0
            } else if let window = Self.foldWindow(value) {
                settings.foldWindowMilliseconds = window
            } else {
                error(line.number, valueToken.column, "expected a duration from 0 to 1d such as 30s or 5m (0 turns folding off) for setting 'fold_window', found '\(value)'")
            }
        case "heartbeat":
            if value == "0" {
                settings.heartbeatMilliseconds = 0
            } else if let interval = PolicyValueSyntax.duration(value[...]), interval >= 1000, interval <= Self.maximumFoldWindow {
                settings.heartbeatMilliseconds = interval
            } else {
                error(line.number, valueToken.column, "expected a duration from 1s to 1d such as 15m (0 turns it off) for setting 'heartbeat', found '\(value)'")
            }
        case "fold_burst":
            if let count = PolicyValueSyntax.number(value[...], maximum: UInt64(Self.maximumFoldBurst)), count > 0 {
                settings.foldBurst = Int(count)
            } else {
                error(line.number, valueToken.column, "expected a number from 1 to \(Self.maximumFoldBurst) for setting 'fold_burst', found '\(value)'")
            }
        case "fold_by":
            if let keys = parseFoldKeys(valueToken, line: line.number) { settings.foldBy = keys }
        case "max_alerts_per_minute":
            if let count = PolicyValueSyntax.number(value[...], maximum: 1_000_000) {
                settings.maxAlertsPerMinute = Int(count)
            } else {
                error(line.number, valueToken.column, "expected a number from 0 to 1000000 (0: no cap) for setting 'max_alerts_per_minute', found '\(value)'")
            }
        case "scan_interval":
            if let interval = Self.scanInterval(value) {
                settings.scanIntervalMilliseconds = interval
            } else {
                error(line.number, valueToken.column, "expected a duration from 1s to 10m such as 10s (0 turns scans off) for setting 'scan_interval', found '\(value)'")
            }
        default: // max_programs
            if let count = PolicyValueSyntax.number(value[...], maximum: UInt64(Self.maximumPrograms)), count > 0 {
                settings.maxPrograms = Int(count)
            } else {
                error(line.number, valueToken.column, "expected a number from 1 to \(Self.maximumPrograms) for setting 'max_programs', found '\(value)'")
            }
        }
    }

    /// A fold window: a duration up to a day (`0s` is 0, off).
    static func foldWindow(_ text: String) -> UInt64? {
        guard let window = PolicyValueSyntax.duration(text[...]), window <= maximumFoldWindow else { return nil }
        return window
    }

    /// The shortest and longest `scan_interval`. At most 10 minutes: a scan takes a program
    /// it saw at the previous scan for the same one without asking its load time again,
    /// which holds as long as the kernel cannot hand out 2^31 program ids in between.
    static let scanIntervalBounds: ClosedRange<UInt64> = 1000...600_000

    /// A scan interval: `0` or `0s` (off) or a duration within `scanIntervalBounds`.
    static func scanInterval(_ text: String) -> UInt64? {
        if text == "0" { return 0 }
        guard let interval = PolicyValueSyntax.duration(text[...]), interval == 0 || scanIntervalBounds.contains(interval) else { return nil }
        return interval
    }

    /// `fold_by = KEY, KEY, …`: alert keys, each once.
    private mutating func parseFoldKeys(_ token: PolicyToken, line: Int) -> [AlertKey]? {
        var keys: [AlertKey] = []
        var failed = false
        for item in PolicyLexer.commaSeparated(token.bytes[...], firstColumn: token.column) {
            // An item may be quoted, as any setting's value.
            guard case .success(let decoded) = PolicyValueSyntax.decode(item.bytes) else {
                error(line, item.column, "unknown alert key '\(item.text)' for setting 'fold_by' (known keys: \(AlertKey.allNames))")
                failed = true
                continue
            }
            let name = decoded.text
            if name.isEmpty {
                error(line, item.column, "empty key in setting 'fold_by'")
                failed = true
            } else if name == "event" {
                error(line, item.column, "'event' differs for every alert, so nothing would fold: use fold_window = 0 to turn folding off")
                failed = true
            } else if let key = AlertKey(name: name) {
                if keys.contains(key) {
                    error(line, item.column, "key '\(name)' is listed twice in setting 'fold_by'")
                    failed = true
                }
                keys.append(key)
            } else {
                error(line, item.column, "unknown alert key '\(name)' for setting 'fold_by' (known keys: \(AlertKey.allNames))")
                failed = true
            }
        }
        return failed ? nil : keys
    }

    /// A rule's `fold=DURATION` (alert rules only, once): its alerts' fold window.
    mutating func parseRuleFold(_ word: PolicyToken, line: Int, isAlert: Bool, into window: inout UInt64?) -> Bool {
        let value = String(word.text.dropFirst(5))
        if !isAlert {
            error(line, word.column, "'fold=' applies to alert rules only")
        } else if window != nil {
            error(line, word.column, "the rule already has a fold window")
        } else if value == "0" {
            window = 0
            return true
        } else if let duration = Self.foldWindow(value) {
            window = duration
            return true
        } else {
            error(line, word.column + 5, "expected a duration from 0 to 1d such as 30s or 5m (0: never folded) after 'fold=', found '\(value)'")
        }
        return false
    }
}
