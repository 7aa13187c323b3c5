/// A piece of a policy line with its 1-based column.
struct PolicyToken {
    var bytes: [UInt8]
    var column: Int

    var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// Splits policy text into lines without comments, and lines into tokens, honouring
/// double quotes (a `#`, a space or a comma inside quotes is part of the value).
struct PolicyLexer {
    struct Line {
        var number: Int
        /// The line up to its comment, trailing blanks removed.
        var bytes: [UInt8]
        /// Column of the opening quote of an unterminated string, if any.
        var unterminatedQuoteColumn: Int?
    }

    static func lines(of text: [UInt8]) -> [Line] {
        var result: [Line] = []
        var number = 0
        var start = 0
        while start <= text.count {
            var end = start
            while end < text.count, text[end] != UInt8(ascii: "\n") { end += 1 }
            number += 1
            if start == text.count && end == start && number > 1 { break }
            var raw = Array(text[start..<end])
            if raw.last == UInt8(ascii: "\r") { raw.removeLast() }
            result.append(stripComment(raw, number: number))
            start = end + 1
        }
        return result
    }

    private static func stripComment(_ raw: [UInt8], number: Int) -> Line {
        var inQuote = false
        var quoteColumn = 0
        var index = 0
        var cut = raw.count
        while index < raw.count {
            let byte = raw[index]
            if byte == UInt8(ascii: "\\") { index += 2; continue }
            if byte == UInt8(ascii: "\"") {
                inQuote.toggle()
                quoteColumn = index + 1
            } else if byte == UInt8(ascii: "#"), !inQuote {
                cut = index
                break
            }
            index += 1
        }
        var bytes = Array(raw[..<cut])
        while let last = bytes.last, isBlank(last) { bytes.removeLast() }
        return Line(number: number, bytes: bytes, unterminatedQuoteColumn: inQuote ? quoteColumn : nil)
    }

    static func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

    /// Splits `bytes` (starting at column `firstColumn`) at unquoted bytes for which
    /// `isSeparator` holds; with `keepEmpty`, empty pieces between separators are returned.
    static func split(_ bytes: ArraySlice<UInt8>, firstColumn: Int, keepEmpty: Bool, isSeparator: (UInt8) -> Bool) -> [PolicyToken] {
        var tokens: [PolicyToken] = []
        var current: [UInt8] = []
        var currentColumn = firstColumn
        var inQuote = false
        var escaped = false
        var column = firstColumn
        for byte in bytes {
            defer { column += 1 }
            if escaped {
                escaped = false
                current.append(byte)
                continue
            }
            if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                inQuote.toggle()
            } else if !inQuote, isSeparator(byte) {
                if !current.isEmpty || keepEmpty { tokens.append(PolicyToken(bytes: current, column: currentColumn)) }
                current = []
                currentColumn = column + 1
                continue
            }
            if current.isEmpty { currentColumn = column }
            current.append(byte)
        }
        if !current.isEmpty || keepEmpty { tokens.append(PolicyToken(bytes: current, column: currentColumn)) }
        return tokens
    }

    /// Whitespace-separated words.
    static func words(_ bytes: ArraySlice<UInt8>, firstColumn: Int) -> [PolicyToken] {
        split(bytes, firstColumn: firstColumn, keepEmpty: false, isSeparator: isBlank)
    }

    /// Comma-separated items, blanks around each removed; columns point at the item's text.
    static func commaSeparated(_ bytes: ArraySlice<UInt8>, firstColumn: Int) -> [PolicyToken] {
        split(bytes, firstColumn: firstColumn, keepEmpty: true) { $0 == UInt8(ascii: ",") }.map(trimmed)
    }

    static func trimmed(_ token: PolicyToken) -> PolicyToken {
        var bytes = token.bytes[...]
        var column = token.column
        while let first = bytes.first, isBlank(first) { bytes.removeFirst(); column += 1 }
        while let last = bytes.last, isBlank(last) { bytes.removeLast() }
        return PolicyToken(bytes: Array(bytes), column: column)
    }
}
