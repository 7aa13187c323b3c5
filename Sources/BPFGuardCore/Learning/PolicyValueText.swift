/// Writes values in the policy language (bpfguard.policy(5)) so that the parser reads back
/// exactly the same bytes.
///
/// Learning mode writes executables taken from audit records, which may hold any byte: a
/// path must neither break its line nor forge a condition, a literal `*` must not become a
/// glob, and `?` or a leading `%` must not turn into "unknown" or a set reference.
public enum PolicyValueText {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// A literal string value.
    public static func literal(_ bytes: [UInt8]) -> String {
        pattern(bytes.map { .byte($0) })
    }

    /// A string pattern: `.star` elements are written as glob stars, every other byte
    /// literally. Bare when the bytes are plain path characters, double-quoted otherwise.
    public static func pattern(_ elements: [Glob.Element]) -> String {
        let bare = !elements.isEmpty && elements.allSatisfy { element in
            if case .byte(let byte) = element { return isPlain(byte) }
            return true
        }
        var out: [UInt8] = bare ? [] : [UInt8(ascii: "\"")]
        for element in elements {
            guard case .byte(let byte) = element else {
                out.append(UInt8(ascii: "*"))
                continue
            }
            switch byte {
            case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "*"): out += [UInt8(ascii: "\\"), byte]
            case 0x20...0x7E: out.append(byte)
            default: out += [UInt8(ascii: "\\"), UInt8(ascii: "x"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]]
            }
        }
        if !bare { out.append(UInt8(ascii: "\"")) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Bytes that need no quotes anywhere in a value: letters, digits and `/ . _ - + : @ ~`.
    /// (`%` and `?` are not among them: a bare `%x` is a set and a bare `?` is "unknown".)
    private static func isPlain(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "/"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: ":"),
             UInt8(ascii: "@"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }
}
