import BPFGuardCore

/// Reads an alert line back as a log consumer would — `key=value` pairs separated by single
/// spaces, a value bare or double-quoted with `\\`, `\"` and `\xHH` escapes — and aborts when
/// the line is not one printable line, a key is missing, extra or out of order, or a value
/// does not give back exactly what the alert held (a forged or mangled field).
enum AlertLineCheck {
    /// Checks `line` against the fields it must hold (`DocumentedAlertFields`).
    static func check(_ line: String, expected: [(key: String, value: DocumentedAlertFields.Value)]) {
        let bytes = Array(line.utf8)
        fuzzCheck(bytes.allSatisfy { $0 >= 0x20 && $0 <= 0x7E }, "alert line holds a control or non-ASCII byte: \(fuzzShow(bytes))")
        let pairs = read(bytes)
        fuzzCheck(pairs.map(\.key) == expected.map(\.key),
                  "alert keys \(pairs.map(\.key)) are not the documented \(expected.map(\.key)): \(line)")
        for (pair, field) in zip(pairs, expected) {
            fuzzCheck(matches(pair.raw, field.value), "\(field.key)=\(fuzzShow(pair.raw)) does not give back \(field.value): \(line)")
        }
    }

    /// Splits a line into its pairs; aborts on anything that is not `key=value( key=value)*`.
    static func read(_ bytes: [UInt8]) -> [(key: String, raw: [UInt8])] {
        var pairs: [(key: String, raw: [UInt8])] = []
        var index = 0
        while true {
            let keyStart = index
            while index < bytes.count, isKeyByte(bytes[index]) { index += 1 }
            fuzzCheck(index > keyStart && index < bytes.count && bytes[index] == UInt8(ascii: "="),
                      "no key=value at byte \(keyStart): \(fuzzShow(bytes))")
            let key = String(decoding: bytes[keyStart..<index], as: UTF8.self)
            index += 1
            let valueStart = index
            while index < bytes.count, bytes[index] != UInt8(ascii: " ") {
                if bytes[index] == UInt8(ascii: "\"") {
                    index = endOfQuoted(bytes, from: index)
                } else {
                    fuzzCheck(bytes[index] != UInt8(ascii: "=") && bytes[index] != UInt8(ascii: "\\"),
                              "'=' or '\\' outside quotes in the value of \(key): \(fuzzShow(bytes))")
                    index += 1
                }
            }
            fuzzCheck(index > valueStart, "empty value for \(key): \(fuzzShow(bytes))")
            pairs.append((key, Array(bytes[valueStart..<index])))
            if index == bytes.count { return pairs }
            index += 1  // the single space between pairs
        }
    }

    private static func isKeyByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || byte == UInt8(ascii: "-")
    }

    /// The index after the closing quote of the quoted run starting at `start`.
    private static func endOfQuoted(_ bytes: [UInt8], from start: Int) -> Int {
        var index = start + 1
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""): return index + 1
            case UInt8(ascii: "\\"):
                fuzzCheck(index + 1 < bytes.count, "a quoted value ends in a backslash: \(fuzzShow(bytes))")
                let next = bytes[index + 1]
                if next == UInt8(ascii: "x") {
                    fuzzCheck(index + 3 < bytes.count && isLowerHex(bytes[index + 2]) && isLowerHex(bytes[index + 3]),
                              "\\x without two hex digits: \(fuzzShow(bytes))")
                    index += 4
                } else {
                    fuzzCheck(next == UInt8(ascii: "\\") || next == UInt8(ascii: "\""), "unknown escape \\\(fuzzShow([next])): \(fuzzShow(bytes))")
                    index += 2
                }
            default: index += 1
            }
        }
        fuzzFailure("unterminated quoted value: \(fuzzShow(bytes))")
    }

    private static func isLowerHex(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
    }

    /// The bytes of a value that is exactly one quoted run, or nil.
    static func unquote(_ raw: ArraySlice<UInt8>) -> [UInt8]? {
        guard raw.count >= 2, raw.first == UInt8(ascii: "\""), raw.last == UInt8(ascii: "\"") else { return nil }
        var result: [UInt8] = []
        var index = raw.startIndex + 1
        let end = raw.endIndex - 1
        while index < end {
            let byte = raw[index]
            if byte == UInt8(ascii: "\"") { return nil }  // two quoted runs
            guard byte == UInt8(ascii: "\\") else { result.append(byte); index += 1; continue }
            guard index + 1 < end else { return nil }
            if raw[index + 1] == UInt8(ascii: "x") {
                guard index + 3 < end, let value = UInt8(String(decoding: raw[(index + 2)...(index + 3)], as: UTF8.self), radix: 16)
                else { return nil }
                result.append(value)
                index += 4
            } else {
                result.append(raw[index + 1])
                index += 2
            }
        }
        return result
    }

    /// Bytes a token may show bare.
    static func isBareToken(_ bytes: [UInt8]) -> Bool {
        !bytes.isEmpty && bytes.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "-")
        }
    }

    private static func matches(_ raw: [UInt8], _ value: DocumentedAlertFields.Value) -> Bool {
        switch value {
        case .unknown: return raw == [UInt8(ascii: "?")]
        case .bare(let text): return raw == Array(text.utf8)
        case .quoted(let bytes): return unquote(raw[...]) == bytes
        case .token(let bytes): return matchesToken(raw[...], bytes)
        case .names(let names):
            if names.isEmpty { return raw == Array("none".utf8) }
            let parts = splitOutsideQuotes(raw, at: UInt8(ascii: ","))
            return parts.count == names.count && zip(parts, names).allSatisfy { matchesToken($0, Array($1.utf8)) }
        case .counts(let counts):
            // `LABEL:N,…`: a label is a plain word (no ':'), so N follows the last colon.
            let parts = splitOutsideQuotes(raw, at: UInt8(ascii: ","))
            return parts.count == counts.count && zip(parts, counts).allSatisfy { part, count in
                guard let colon = part.lastIndex(of: UInt8(ascii: ":")) else { return false }
                return matchesToken(part[..<colon], Array(count.label.utf8)) && part[(colon + 1)...].elementsEqual(String(count.count).utf8)
            }
        }
    }

    private static func matchesToken(_ raw: ArraySlice<UInt8>, _ bytes: [UInt8]) -> Bool {
        isBareToken(bytes) ? raw.elementsEqual(bytes) : unquote(raw) == bytes
    }

    private static func splitOutsideQuotes(_ raw: [UInt8], at separator: UInt8) -> [ArraySlice<UInt8>] {
        var parts: [ArraySlice<UInt8>] = []
        var start = 0, index = 0, inQuotes = false
        while index < raw.count {
            let byte = raw[index]
            if inQuotes && byte == UInt8(ascii: "\\") { index += 2; continue }
            if byte == UInt8(ascii: "\"") { inQuotes.toggle() }
            if !inQuotes && byte == separator { parts.append(raw[start..<index]); start = index + 1 }
            index += 1
        }
        parts.append(raw[start..<min(index, raw.count)])
        return parts
    }
}
