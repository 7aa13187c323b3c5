/// Escaping that keeps every alert on one line and every field unforgeable.
public enum AlertEscaping {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// `"…"` with `\\`, `\"` and `\xHH` for control bytes, DEL and every non-ASCII byte:
    /// the result is printable ASCII, contains no unescaped quote, and no newline.
    public static func quoted(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        out.reserveCapacity(bytes.count + 2)
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case 0x20...0x7E: out.append(byte)
            default: out += [UInt8(ascii: "\\"), UInt8(ascii: "x"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]]
            }
        }
        out.append(UInt8(ascii: "\""))
        return String(decoding: out, as: UTF8.self)
    }

    /// A value printed bare when it is made only of `[A-Za-z0-9._:-]` (host names, labels),
    /// quoted otherwise.
    public static func token(_ bytes: [UInt8]) -> String {
        let bare = !bytes.isEmpty && bytes.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "-")
        }
        return bare ? String(decoding: bytes, as: UTF8.self) : quoted(bytes)
    }

    /// A JSON string literal. Valid UTF-8 is kept; `"` and control characters are escaped;
    /// a byte that is not valid UTF-8 becomes the text `\xHH`, and a backslash the text `\\`
    /// (in JSON: `\\xHH`, `\\\\`), so that the string's text is the value in one escape
    /// language — the byte 0xFF and the four characters `\xff` never look the same — and the
    /// output is always valid JSON on one line.
    public static func json(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte < 0x80 {
                switch byte {
                case UInt8(ascii: "\\"): out += Array("\\\\\\\\".utf8)
                case UInt8(ascii: "\""): out += Array("\\\"".utf8)
                case UInt8(ascii: "\n"): out += Array("\\n".utf8)
                case UInt8(ascii: "\t"): out += Array("\\t".utf8)
                case UInt8(ascii: "\r"): out += Array("\\r".utf8)
                case 0..<0x20, 0x7F:
                    out += Array("\\u00".utf8) + [hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]]
                default: out.append(byte)
                }
                index += 1
                continue
            }
            let length = validUTF8Length(bytes, at: index)
            if length > 0 {
                let scalarBytes = bytes[index..<(index + length)]
                // U+2028 and U+2029 break JavaScript consumers of "JSON lines".
                if scalarBytes.elementsEqual([0xE2, 0x80, 0xA8]) { out += Array("\\u2028".utf8) }
                else if scalarBytes.elementsEqual([0xE2, 0x80, 0xA9]) { out += Array("\\u2029".utf8) }
                else { out += scalarBytes }
                index += length
            } else {
                out += Array("\\\\x".utf8) + [hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]]
                index += 1
            }
        }
        out.append(UInt8(ascii: "\""))
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `bytes` are well-formed UTF-8.
    public static func isValidUTF8(_ bytes: some Collection<UInt8>) -> Bool {
        let array = Array(bytes)
        var index = 0
        while index < array.count {
            if array[index] < 0x80 { index += 1; continue }
            let length = validUTF8Length(array, at: index)
            guard length > 0 else { return false }
            index += length
        }
        return true
    }

    /// Length of the well-formed UTF-8 sequence starting at `index`, or 0.
    static func validUTF8Length(_ bytes: [UInt8], at index: Int) -> Int {
        let lead = bytes[index]
        let length: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: return 0
        }
        guard index + length <= bytes.count else { return 0 }
        for offset in 1..<length {
            let byte = bytes[index + offset]
            let (lo, hi): (UInt8, UInt8) = offset == 1 ? (low, high) : (0x80, 0xBF)
            guard byte >= lo && byte <= hi else { return 0 }
        }
        return length
    }
}
