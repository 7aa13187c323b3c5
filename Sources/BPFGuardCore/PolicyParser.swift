/// Parses and compiles a policy file. Every error in the file is reported, each with its
/// line and column; a policy is returned only when there is none.
///
/// Grammar (one statement per line, `#` starts a comment outside quotes):
///
///     NAME = VALUE                          setting
///     %NAME = V1, V2, …                     set (continues on the next line after a trailing comma)
///     allow CONDITION…                      rule
///     alert LABEL CONDITION… [priority=LEVEL] [fold=DURATION]
///     CONDITION := FIELD OP VALUE           OP: = != < <= > >=
public struct PolicyParser {
    public static let knownSettings = [
        "facility", "default", "default_priority", "max_programs", "queue_size", "local_node",
        "fold_window", "fold_burst", "fold_by", "max_alerts_per_minute", "heartbeat", "scan_interval",
    ]
    public static let maximumPrograms = 10_000_000

    private let path: String
    private let resolver: any NameResolver
    private var diagnostics: [PolicyDiagnostic] = []

    private struct SetDefinition {
        var name: String
        var line: Int
        var column: Int
        var members: [(token: PolicyToken, line: Int)]
        var used = false
        /// Compiled once per field it is tested with (nil: its members failed to compile
        /// for that field, already reported).
        var compiled: [RuleField: CompiledSet?] = [:]
    }

    private struct RuleLine {
        var line: PolicyLexer.Line
        var words: [PolicyToken]
    }

    public static func parse(_ text: String, path: String, resolver: any NameResolver) -> PolicyParseResult {
        parse(bytes: Array(text.utf8), path: path, resolver: resolver)
    }

    public static func parse(bytes: [UInt8], path: String, resolver: any NameResolver) -> PolicyParseResult {
        var parser = PolicyParser(path: path, resolver: resolver)
        let policy = parser.run(bytes)
        let diagnostics = parser.diagnostics.sorted { ($0.line, $0.column) < ($1.line, $1.column) }
        let hasErrors = diagnostics.contains { $0.severity == .error }
        return PolicyParseResult(policy: hasErrors ? nil : policy, diagnostics: diagnostics)
    }

    private init(path: String, resolver: any NameResolver) {
        self.path = path
        self.resolver = resolver
    }

    mutating func error(_ line: Int, _ column: Int, _ message: String) {
        diagnostics.append(PolicyDiagnostic(path: path, line: line, column: column, message: message))
    }

    private mutating func warning(_ line: Int, _ column: Int, _ message: String) {
        diagnostics.append(PolicyDiagnostic(path: path, line: line, column: column, severity: .warning, message: message))
    }

    // MARK: - Statements

    private mutating func run(_ text: [UInt8]) -> Policy {
        var settings = PolicySettings()
        var settingLines: [String: Int] = [:]
        var sets: [String: SetDefinition] = [:]
        var setOrder: [String] = []
        var ruleLines: [RuleLine] = []

        let lines = PolicyLexer.lines(of: text)
        var index = 0
        while index < lines.count {
            let line = lines[index]
            index += 1
            if let column = line.unterminatedQuoteColumn {
                error(line.number, column, "unterminated string: a '\"' opened here is not closed on this line")
                continue
            }
            let firstContent = line.bytes.firstIndex { !PolicyLexer.isBlank($0) }
            guard let start = firstContent else { continue }
            let words = PolicyLexer.words(line.bytes[...], firstColumn: 1)
            let keyword = words[0].text
            if line.bytes[start] == UInt8(ascii: "%") {
                // A set, possibly continued on the following lines after a trailing comma.
                // Blank and comment-only lines inside a continued set are passed over.
                var continuation: [PolicyLexer.Line] = []
                var last = line
                while last.bytes.last == UInt8(ascii: ","), index < lines.count {
                    let next = lines[index]
                    index += 1
                    if next.bytes.allSatisfy(PolicyLexer.isBlank) && next.unterminatedQuoteColumn == nil { continue }
                    last = next
                    continuation.append(last)
                }
                if let definition = parseSet(line, continuation: continuation, existing: &sets) {
                    sets[definition.name] = definition
                    setOrder.append(definition.name)
                }
            } else if keyword == "allow" || keyword == "alert" {
                ruleLines.append(RuleLine(line: line, words: words))
            } else if let equals = unquotedEquals(in: line.bytes), !line.bytes[..<equals].contains(where: PolicyLexer.isBlank)
                        || PolicyLexer.words(line.bytes[..<equals], firstColumn: 1).count == 1 {
                parseSetting(line, equals: equals, into: &settings, seen: &settingLines)
            } else {
                error(line.number, words[0].column,
                      "expected a setting (NAME = VALUE), a set (%NAME = V1, V2) or a rule ('allow CONDITION…' or 'alert LABEL CONDITION…'), found '\(keyword)'")
            }
        }

        var rules: [Rule] = []
        for ruleLine in ruleLines {
            if let rule = parseRule(ruleLine, sets: &sets) { rules.append(rule) }
        }
        for name in setOrder {
            if let definition = sets[name], !definition.used {
                warning(definition.line, definition.column, "set '%\(name)' is defined but never used")
            }
        }
        if text.contains(UInt8(ascii: "\r")) && !text.contains(UInt8(ascii: "\n")) {
            warning(1, 1, "the file's lines end in CR only (old Mac style): it is read as one line; convert it to LF line endings")
        }
        if ruleLines.isEmpty {
            warning(1, 1, "the policy has no rules: every event gets the default (\(settings.defaultAction.rawValue)), and nothing is detected unless default = alert")
        }
        if let catchAll = rules.firstIndex(where: { $0.conditions.isEmpty }), catchAll + 1 < rules.count {
            for rule in rules[(catchAll + 1)...] {
                warning(rule.line, 1, "rule is never reached: the rule on line \(rules[catchAll].line) has no condition and matches every event")
            }
        }
        return Policy(path: path, settings: settings, rules: rules, setNames: setOrder)
    }

    private func unquotedEquals(in bytes: [UInt8]) -> Int? {
        var inQuote = false
        for (index, byte) in bytes.enumerated() {
            if byte == UInt8(ascii: "\"") { inQuote.toggle() }
            if byte == UInt8(ascii: "="), !inQuote { return index }
        }
        return nil
    }

    static func isName(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
        }
    }

    /// `existing`: the sets defined above; those this one includes (`%NAME` unquoted as a
    /// member) are marked used.
    private mutating func parseSet(_ line: PolicyLexer.Line, continuation: [PolicyLexer.Line], existing: inout [String: SetDefinition]) -> SetDefinition? {
        guard let equals = unquotedEquals(in: line.bytes) else {
            error(line.number, 1, "expected '=' after the set name: %NAME = V1, V2, …")
            return nil
        }
        let nameToken = PolicyLexer.trimmed(PolicyToken(bytes: Array(line.bytes[..<equals]), column: 1))
        let name = String(nameToken.text.dropFirst())
        guard Self.isName(name) else {
            error(line.number, nameToken.column, "expected a set name after '%' (letters, digits, '_', '-', '.'), found '\(nameToken.text)'")
            return nil
        }
        if let previous = existing[name] {
            error(line.number, nameToken.column, "set '%\(name)' is already defined on line \(previous.line)")
            return nil
        }
        var members: [(token: PolicyToken, line: Int)] = []
        var pieces: [(line: PolicyLexer.Line, bytes: ArraySlice<UInt8>, column: Int)] = [(line, line.bytes[(equals + 1)...], equals + 2)]
        for next in continuation {
            if let column = next.unterminatedQuoteColumn {
                error(next.number, column, "unterminated string: a '\"' opened here is not closed on this line")
                continue
            }
            pieces.append((next, next.bytes[...], 1))
        }
        var valid = true
        for (pieceIndex, piece) in pieces.enumerated() {
            var items = PolicyLexer.commaSeparated(piece.bytes, firstColumn: piece.column)
            let isLastPiece = pieceIndex == pieces.count - 1
            // A trailing comma continues the set on the next line; it leaves one empty item.
            if items.count > 1, items.last?.bytes.isEmpty == true {
                let trailing = items.removeLast()
                if isLastPiece {
                    error(piece.line.number, trailing.column - 1, "the set ends with a comma but no member follows")
                    valid = false
                }
            }
            for item in items {
                if item.bytes.isEmpty {
                    if items.count > 1 || !isLastPiece || pieceIndex > 0 {
                        error(piece.line.number, item.column, "empty member in set '%\(name)'")
                        valid = false
                    }
                } else if item.bytes.first == UInt8(ascii: "%") {
                    // Another set, defined above: its members, in its place.
                    let included = String(decoding: item.bytes.dropFirst(), as: UTF8.self)
                    if included == name {
                        error(piece.line.number, item.column, "set '%\(name)' cannot include itself")
                        valid = false
                    } else if let other = existing[included] {
                        existing[included]?.used = true
                        members += other.members
                    } else {
                        error(piece.line.number, item.column,
                              "undefined set '%\(included)' in set '%\(name)' (a set includes only sets defined above it; write a value beginning with '%' quoted)")
                        valid = false
                    }
                } else {
                    members.append((item, piece.line.number))
                }
            }
        }
        // An invalid set is still defined (its errors are reported), so that its uses do not
        // add "undefined set" errors of their own.
        if members.isEmpty && valid {
            error(line.number, equals + 2, "set '%\(name)' has no members")
        }
        return SetDefinition(name: name, line: line.number, column: nameToken.column, members: members)
    }

    private mutating func parseRule(_ ruleLine: RuleLine, sets: inout [String: SetDefinition]) -> Rule? {
        let lineNumber = ruleLine.line.number
        var words = ruleLine.words[...]
        let keyword = words.removeFirst()
        var label = ""
        var failed = false
        if keyword.text == "alert" {
            guard let labelToken = words.first else {
                error(lineNumber, keyword.column + 5, "expected an alert label after 'alert'")
                return nil
            }
            if labelToken.text == OutgoingAlert.cappedLabel {
                error(lineNumber, labelToken.column, "the label '\(OutgoingAlert.cappedLabel)' is the plugin's own, for the summary of alerts held back by max_alerts_per_minute")
                failed = true
                words.removeFirst()
            } else if Self.isName(labelToken.text) {
                label = labelToken.text
                words.removeFirst()
            } else {
                error(lineNumber, labelToken.column, "expected an alert label after 'alert' (letters, digits, '_', '-', '.'), found '\(labelToken.text)'")
                failed = true
                if labelToken.bytes.contains(UInt8(ascii: "=")) == false { words.removeFirst() }
            }
        }
        var priority: SyslogPriority?
        var foldWindow: UInt64?
        var conditions: [Condition] = []
        for word in words {
            if word.text.hasPrefix("fold=") {
                if !parseRuleFold(word, line: lineNumber, isAlert: keyword.text == "alert", into: &foldWindow) { failed = true }
                continue
            }
            if word.text.hasPrefix("priority=") {
                let valueColumn = word.column + 9
                if keyword.text != "alert" {
                    error(lineNumber, word.column, "'priority=' applies to alert rules only")
                    failed = true
                } else if priority != nil {
                    error(lineNumber, word.column, "the rule already has a priority")
                    failed = true
                } else if let level = SyslogPriority(name: word.text.dropFirst(9)) {
                    priority = level
                } else {
                    error(lineNumber, valueColumn, "unknown priority '\(word.text.dropFirst(9))' (expected one of: \(SyslogPriority.allNames))")
                    failed = true
                }
                continue
            }
            if let condition = parseCondition(word, line: lineNumber, sets: &sets) {
                conditions.append(condition)
            } else {
                failed = true
            }
        }
        if failed { return nil }
        let action: RuleAction = keyword.text == "alert" ? .alert(label: label, priority: priority ?? .warning) : .allow
        return Rule(action: action, conditions: conditions, line: lineNumber, foldWindowMilliseconds: foldWindow)
    }

    // MARK: - Conditions

    private mutating func parseCondition(_ word: PolicyToken, line: Int, sets: inout [String: SetDefinition]) -> Condition? {
        let bytes = word.bytes
        var nameEnd = 0
        while nameEnd < bytes.count, ![UInt8(ascii: "="), UInt8(ascii: "!"), UInt8(ascii: "<"), UInt8(ascii: ">")].contains(bytes[nameEnd]) {
            nameEnd += 1
        }
        let fieldName = String(decoding: bytes[..<nameEnd], as: UTF8.self)
        guard nameEnd < bytes.count else {
            error(line, word.column, "expected a condition FIELD OP VALUE (no blanks around the operator), found '\(word.text)'")
            return nil
        }
        guard let field = RuleField(name: fieldName) else {
            error(line, word.column, fieldName.isEmpty
                ? "expected a field name before '\(String(decoding: bytes[nameEnd...].prefix(2), as: UTF8.self))'"
                : "unknown field '\(fieldName)' (known fields: \(RuleField.allNames))")
            return nil
        }
        var operatorEnd = nameEnd
        var comparison: ComparisonOperator?
        for candidate in [ComparisonOperator.notEqual, .lessOrEqual, .greaterOrEqual, .equal, .less, .greater] {
            let symbol = Array(candidate.rawValue.utf8)
            if bytes[nameEnd...].starts(with: symbol) {
                comparison = candidate
                operatorEnd = nameEnd + symbol.count
                break
            }
        }
        guard let comparison else {
            error(line, word.column + nameEnd, "expected an operator (=, !=, <, <=, >, >=) after '\(fieldName)'")
            return nil
        }
        let valueColumn = word.column + operatorEnd
        let raw = Array(bytes[operatorEnd...])
        guard !raw.isEmpty else {
            error(line, valueColumn, "expected a value after '\(fieldName)\(comparison.rawValue)'")
            return nil
        }
        if raw.first == UInt8(ascii: "%") {
            return setCondition(field: field, comparison: comparison, raw: raw, line: line, column: valueColumn, sets: &sets)
        }
        guard let pattern = compileValue(raw, for: field, comparison: comparison, line: line, column: valueColumn, context: "") else {
            return nil
        }
        return Condition(field: field, comparison: comparison, pattern: pattern)
    }

    private mutating func setCondition(
        field: RuleField, comparison: ComparisonOperator, raw: [UInt8], line: Int, column: Int, sets: inout [String: SetDefinition]
    ) -> Condition? {
        let name = String(decoding: raw.dropFirst(), as: UTF8.self)
        guard !comparison.isOrdering else {
            error(line, column - comparison.rawValue.count, "a set can only be tested with = (is a member) or != (is not a member), not '\(comparison.rawValue)'")
            return nil
        }
        guard var definition = sets[name] else {
            let known = sets.keys.sorted().map { "%" + $0 }.joined(separator: ", ")
            error(line, column, "undefined set '%\(name)'" + (known.isEmpty ? " (no sets are defined)" : " (defined sets: \(known))"))
            return nil
        }
        definition.used = true
        if let compiled = definition.compiled[field] {
            sets[name] = definition
            return compiled.map { Condition(field: field, comparison: comparison, pattern: .set($0)) }
        }
        var members: [ValuePattern] = []
        var failed = false
        for member in definition.members {
            let context = " (member of set '%\(name)', used with '\(field.name)' on line \(line))"
            if let pattern = compileValue(member.token.bytes, for: field, comparison: .equal, line: member.line, column: member.token.column, context: context) {
                members.append(pattern)
            } else {
                failed = true
            }
        }
        let compiled = failed ? nil : CompiledSet(name: name, members: members)
        definition.compiled[field] = .some(compiled)
        sets[name] = definition
        return compiled.map { Condition(field: field, comparison: comparison, pattern: .set($0)) }
    }

    /// Compiles one literal value for `field`. Errors are placed at `line:column`, with
    /// `context` appended (used for set members, which are checked where the set is used).
    private mutating func compileValue(
        _ raw: [UInt8], for field: RuleField, comparison: ComparisonOperator, line: Int, column: Int, context: String
    ) -> ValuePattern? {
        let decoded: PolicyValueSyntax.Decoded
        switch PolicyValueSyntax.decode(raw) {
        case .success(let value): decoded = value
        case .failure(let failure):
            error(line, column + failure.offset, failure.message + context)
            return nil
        }
        let text = decoded.text
        if text == "?" && !decoded.wasQuoted {
            if comparison.isOrdering {
                error(line, column, "'?' (unknown) can only be tested with = or !=" + context)
                return nil
            }
            return .unknown
        }
        let kind = field.kind
        if comparison.isOrdering, kind == .string || kind == .operation || kind == .names {
            let kindName = kind == .string ? "string" : kind == .names ? "name-set" : "load/unload"
            error(line, column - comparison.rawValue.count,
                  "operator '\(comparison.rawValue)' compares numbers; '\(field.name)' is a \(kindName) field (use = or !=)" + context)
            return nil
        }
        if decoded.hasStar, kind != .string && kind != .names {
            error(line, column, "'*' globs apply to string fields only; '\(field.name)' is not one" + context)
            return nil
        }
        switch kind {
        case .operation:
            if let op = BPFOperation(policyValue: text) { return .operation(op) }
            error(line, column, "expected 'load', 'unload', 'persist' or 'unseen' for 'op', found '\(text)'" + context)
            return nil
        case .string, .names:
            return .glob(Glob(decoded.elements))
        case .duration:
            return numericPattern(text[...], comparison: comparison, line: line, column: column, context: context,
                                  expected: "a duration such as 250ms, 2s or 5m (or a range such as 1s-5m)",
                                  field: field, parse: PolicyValueSyntax.duration)
        case .number:
            return numericPattern(text[...], comparison: comparison, line: line, column: column, context: context,
                                  expected: "a number or a range such as 100-199", field: field) {
                PolicyValueSyntax.number($0, maximum: UInt64(UInt32.max))
            }
        case .userID, .groupID, .auditID:
            return idPattern(text, kind: kind, comparison: comparison, field: field, line: line, column: column, context: context)
        }
    }

    private mutating func idPattern(
        _ text: String, kind: RuleField.Kind, comparison: ComparisonOperator, field: RuleField, line: Int, column: Int, context: String
    ) -> ValuePattern? {
        let numeric: (Substring) -> UInt64? = { PolicyValueSyntax.number($0, maximum: UInt64(UInt32.max)) }
        if text == "unset" {
            if case .auditID = kind { return .range(UInt64(ProcessContext.unsetID)...UInt64(ProcessContext.unsetID)) }
            error(line, column, "'unset' applies to auid and ses only" + context)
            return nil
        }
        if case .some(let range) = PolicyValueSyntax.range(text[...], parse: numeric) {
            return checkedRange(range, text: text, comparison: comparison, line: line, column: column, context: context)
        }
        switch kind {
        case .groupID:
            if let gid = resolver.groupID(named: text) { return .range(UInt64(gid)...UInt64(gid)) }
            error(line, column, "unknown group '\(text)' for '\(field.name)' (not a number and not in the group database)" + context)
        case .auditID(allowsUserNames: false):
            error(line, column, "expected a number, a range such as 1-100, or 'unset' for '\(field.name)', found '\(text)'" + context)
        default:
            if let uid = resolver.userID(named: text) { return .range(UInt64(uid)...UInt64(uid)) }
            error(line, column, "unknown user '\(text)' for '\(field.name)' (not a number and not in the password database)" + context)
        }
        return nil
    }

    private mutating func numericPattern(
        _ text: Substring, comparison: ComparisonOperator, line: Int, column: Int, context: String,
        expected: String, field: RuleField, parse: (Substring) -> UInt64?
    ) -> ValuePattern? {
        guard case .some(let range) = PolicyValueSyntax.range(text, parse: parse) else {
            error(line, column, "expected \(expected) for '\(field.name)', found '\(text)'" + context)
            return nil
        }
        return checkedRange(range, text: String(text), comparison: comparison, line: line, column: column, context: context)
    }

    private mutating func checkedRange(
        _ range: ClosedRange<UInt64>?, text: String, comparison: ComparisonOperator, line: Int, column: Int, context: String
    ) -> ValuePattern? {
        guard let range else {
            error(line, column, "range '\(text)' is empty: its start is greater than its end" + context)
            return nil
        }
        if comparison.isOrdering, range.count > 1 {
            error(line, column, "operator '\(comparison.rawValue)' needs a single value, not the range '\(text)'" + context)
            return nil
        }
        return .range(range)
    }
}
