/// Decoding of the literal values a policy writes: quoted strings with escapes, numbers,
/// ranges and durations.
enum PolicyValueSyntax {
    /// A value with quotes removed and escapes applied; unescaped `*` are glob stars.
    struct Decoded {
        var elements: [Glob.Element]
        var wasQuoted: Bool

        var hasStar: Bool { elements.contains(.star) }

        /// The bytes, stars included as `*`.
        var bytes: [UInt8] {
            elements.map { if case .byte(let byte) = $0 { byte } else { UInt8(ascii: "*") } }
        }

        var text: String { String(decoding: bytes, as: UTF8.self) }
    }

    /// A bad escape: its 0-based offset in the value and what is wrong.
    struct DecodingError: Error {
        var offset: Int
        var message: String
    }

    /// Removes double quotes and applies `\\`, `\"`, `\*` and `\xHH`.
    static func decode(_ raw: [UInt8]) -> Result<Decoded, DecodingError> {
        var elements: [Glob.Element] = []
        var quoted = false
        var index = 0
        while index < raw.count {
            let byte = raw[index]
            switch byte {
            case UInt8(ascii: "\""):
                quoted = true
                index += 1
            case UInt8(ascii: "\\"):
                guard index + 1 < raw.count else {
                    return .failure(DecodingError(offset: index, message: "a backslash must be followed by \\, \", * or xHH"))
                }
                let next = raw[index + 1]
                if next == UInt8(ascii: "x") {
                    guard index + 3 < raw.count,
                          let high = hexValue(raw[index + 2]), let low = hexValue(raw[index + 3])
                    else { return .failure(DecodingError(offset: index, message: "\\x must be followed by two hexadecimal digits")) }
                    elements.append(.byte(high << 4 | low))
                    index += 4
                } else if next == UInt8(ascii: "\\") || next == UInt8(ascii: "\"") || next == UInt8(ascii: "*") {
                    elements.append(.byte(next))
                    index += 2
                } else {
                    return .failure(DecodingError(offset: index, message: "unknown escape '\\\(String(decoding: [next], as: UTF8.self))' (use \\\\, \\\", \\* or \\xHH)"))
                }
            case UInt8(ascii: "*"):
                elements.append(.star)
                index += 1
            default:
                elements.append(.byte(byte))
                index += 1
            }
        }
        return .success(Decoded(elements: elements, wasQuoted: quoted))
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// A decimal number no larger than `maximum`.
    static func number(_ text: Substring, maximum: UInt64) -> UInt64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let value = UInt64(text), value <= maximum
        else { return nil }
        return value
    }

    /// `250ms`, `2s`, `5m`, `1h`, `1d` in milliseconds.
    static func duration(_ text: Substring) -> UInt64? {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        let unit = text.dropFirst(digits.count)
        guard let count = number(digits, maximum: UInt64(UInt32.max)) else { return nil }
        let scale: UInt64
        switch unit {
        case "ms": scale = 1
        case "s": scale = 1000
        case "m", "min": scale = 60_000
        case "h": scale = 3_600_000
        case "d": scale = 86_400_000
        default: return nil
        }
        return count * scale
    }

    /// A duration as the policy writes it: `60s`, `250ms`, `0s`.
    static func durationText(_ milliseconds: UInt64) -> String {
        milliseconds % 1000 == 0 ? "\(milliseconds / 1000)s" : "\(milliseconds)ms"
    }

    /// Splits `A-B` at its single `-` when both sides satisfy `parse`; `A` alone is `A...A`.
    static func range(_ text: Substring, parse: (Substring) -> UInt64?) -> ClosedRange<UInt64>?? {
        if let single = parse(text) { return .some(single...single) }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let low = parse(parts[0]), let high = parse(parts[1]) else { return nil }
        guard low <= high else { return .some(nil) }
        return .some(low...high)
    }
}
