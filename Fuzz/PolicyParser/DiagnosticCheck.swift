import BPFGuardCore

/// Every diagnostic is one line, `PATH:LINE:COL: error|warning: MESSAGE`, pointing inside the
/// input; they come sorted by position; a policy is returned exactly when none is an error.
enum DiagnosticCheck {
    static let path = "fuzz dir/bpfguard.policy"

    static func check(_ result: PolicyParseResult, input: [UInt8]) {
        let lines = input.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        var previous = (line: 0, column: 0)
        for diagnostic in result.diagnostics {
            let text = Array(diagnostic.description.utf8)
            fuzzCheck(!text.contains(UInt8(ascii: "\n")), "a diagnostic spans lines: \(fuzzShow(text))")
            let prefix = Array((path + ":").utf8)
            fuzzCheck(text.starts(with: prefix), "a diagnostic does not start with the path: \(fuzzShow(text))")
            var index = prefix.count
            let line = number(text, &index), column = number(text, &index)
            fuzzCheck(line != nil && column != nil, "no LINE:COL: after the path: \(fuzzShow(text))")
            let rest = text[index...]
            fuzzCheck(rest.starts(with: Array(" error: ".utf8)) || rest.starts(with: Array(" warning: ".utf8)),
                      "no severity after LINE:COL: \(fuzzShow(text))")
            let lineNumber = line!, columnNumber = column!
            fuzzCheck(lineNumber >= 1 && lineNumber <= lines.count, "line \(lineNumber) outside the \(lines.count) lines: \(fuzzShow(text))")
            fuzzCheck(columnNumber >= 1 && columnNumber <= lines[lineNumber - 1].count + 1,
                      "column \(columnNumber) outside line \(lineNumber) of \(lines[lineNumber - 1].count) bytes: \(fuzzShow(text))")
            fuzzCheck((lineNumber, columnNumber) >= previous, "diagnostics out of order at \(fuzzShow(text))")
            previous = (lineNumber, columnNumber)
        }
        let hasErrors = result.diagnostics.contains { $0.severity == .error }
        fuzzCheck((result.policy == nil) == hasErrors, "policy returned: \(result.policy != nil), errors: \(hasErrors)")
    }

    /// Decimal digits at `index` followed by ':'.
    private static func number(_ text: [UInt8], _ index: inout Int) -> Int? {
        let start = index
        while index < text.count, text[index] >= UInt8(ascii: "0"), text[index] <= UInt8(ascii: "9"), index - start < 18 { index += 1 }
        guard index > start, index < text.count, text[index] == UInt8(ascii: ":") else { return nil }
        defer { index += 1 }
        return Int(String(decoding: text[start..<index], as: UTF8.self))
    }
}
