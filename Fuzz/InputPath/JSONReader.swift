/// A strict reader of one JSON text (RFC 8259): the alert's JSON line must be a valid
/// object, whatever the input was. Strings come back as their UTF-8 bytes, numbers as their
/// text; a reader that accepts what a SIEM would reject is useless here, so this one accepts
/// nothing more than the grammar (no lone surrogates, no control bytes in strings, no
/// trailing text).
struct JSONReader {
    indirect enum Value: Equatable {
        case null
        case bool(Bool)
        case number(String)
        case string([UInt8])
        case array([Value])
        case object([Member])
    }

    struct Member: Equatable {
        var key: [UInt8]
        var value: Value
    }

    struct Failure: Error {
        var message: String
        var offset: Int
    }

    private let bytes: [UInt8]
    private var index = 0
    private static let maximumDepth = 64

    /// The value of `text`, or why it is not JSON.
    static func parse(_ text: [UInt8]) -> Result<Value, Failure> {
        var reader = JSONReader(bytes: text)
        do {
            reader.skipWhitespace()
            let value = try reader.value(depth: 0)
            reader.skipWhitespace()
            guard reader.index == text.count else { throw Failure(message: "text after the value", offset: reader.index) }
            return .success(value)
        } catch let failure as Failure {
            return .failure(failure)
        } catch {
            return .failure(Failure(message: "\(error)", offset: reader.index))
        }
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private func fail(_ message: String) -> Failure { Failure(message: message, offset: index) }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
    }

    private mutating func expect(_ literal: String) throws {
        for byte in literal.utf8 {
            guard current == byte else { throw fail("expected \(literal)") }
            index += 1
        }
    }

    private mutating func value(depth: Int) throws -> Value {
        guard depth < Self.maximumDepth else { throw fail("nested too deep") }
        switch current ?? 0 {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw fail("expected a value")
        }
    }

    private mutating func object(depth: Int) throws -> Value {
        var members: [Member] = []
        try elements(closedBy: "}") { reader in
            guard reader.current == UInt8(ascii: "\"") else { throw reader.fail("expected a key") }
            let key = try reader.string()
            reader.skipWhitespace()
            try reader.expect(":")
            reader.skipWhitespace()
            members.append(Member(key: key, value: try reader.value(depth: depth + 1)))
        }
        return .object(members)
    }

    private mutating func array(depth: Int) throws -> Value {
        var values: [Value] = []
        try elements(closedBy: "]") { reader in values.append(try reader.value(depth: depth + 1)) }
        return .array(values)
    }

    /// After an opening bracket: comma-separated elements, each read by `element`, then `close`.
    private mutating func elements(closedBy close: Character, _ element: (inout JSONReader) throws -> Void) throws {
        index += 1
        skipWhitespace()
        if current == close.asciiValue { index += 1; return }
        while true {
            skipWhitespace()
            try element(&self)
            skipWhitespace()
            if current == UInt8(ascii: ",") { index += 1; continue }
            try expect(String(close))
            return
        }
    }

    private mutating func number() throws -> String {
        let start = index
        if current == UInt8(ascii: "-") { index += 1 }
        if current == UInt8(ascii: "0") {
            index += 1
        } else {
            guard try digits() > 0 else { throw fail("expected digits") }
        }
        if current == UInt8(ascii: ".") {
            index += 1
            guard try digits() > 0 else { throw fail("expected digits after '.'") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard try digits() > 0 else { throw fail("expected exponent digits") }
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func digits() throws -> Int {
        let start = index
        while let byte = current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { index += 1 }
        return index - start
    }

    /// A string literal's bytes (escapes resolved, as UTF-8).
    private mutating func string() throws -> [UInt8] {
        index += 1
        var result: [UInt8] = []
        while true {
            guard let byte = current else { throw fail("unterminated string") }
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return result
            case UInt8(ascii: "\\"):
                index += 1
                guard let escape = current else { throw fail("unterminated escape") }
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): result.append(escape)
                case UInt8(ascii: "b"): result.append(0x08)
                case UInt8(ascii: "f"): result.append(0x0C)
                case UInt8(ascii: "n"): result.append(0x0A)
                case UInt8(ascii: "r"): result.append(0x0D)
                case UInt8(ascii: "t"): result.append(0x09)
                case UInt8(ascii: "u"): result += try unicodeEscape()
                default: throw fail("unknown escape")
                }
            case 0x00..<0x20:
                throw fail("control byte in a string")
            case 0x80...:
                let length = Self.utf8SequenceLength(bytes, at: index)
                guard length > 0 else { throw fail("invalid UTF-8") }
                result += bytes[index..<(index + length)]
                index += length
            default:
                result.append(byte)
                index += 1
            }
        }
    }

    /// After `\u`: four hex digits, a surrogate pair as two escapes; as UTF-8.
    private mutating func unicodeEscape() throws -> [UInt8] {
        var scalar = try hex4()
        if (0xD800...0xDBFF).contains(scalar) {
            try expect("\\u")
            let low = try hex4()
            guard (0xDC00...0xDFFF).contains(low) else { throw fail("high surrogate without low surrogate") }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00...0xDFFF).contains(scalar) {
            throw fail("lone low surrogate")
        }
        guard let unicode = Unicode.Scalar(scalar) else { throw fail("invalid scalar") }
        return Array(String(Character(unicode)).utf8)
    }

    private mutating func hex4() throws -> UInt32 {
        guard index + 4 <= bytes.count, let value = UInt32(String(decoding: bytes[index..<(index + 4)], as: UTF8.self), radix: 16),
              bytes[index..<(index + 4)].allSatisfy({ $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "-") })
        else { throw fail("expected four hex digits") }
        index += 4
        return value
    }

    /// Length of the well-formed UTF-8 sequence at `index`, or 0 (the standard library's
    /// decoder rejects overlong forms, surrogates and values past U+10FFFF).
    static func utf8SequenceLength(_ bytes: [UInt8], at index: Int) -> Int {
        var iterator = bytes[index...].makeIterator()
        var decoder = UTF8()
        guard case .scalarValue(let scalar) = decoder.decode(&iterator) else { return 0 }
        return UTF8.width(scalar)
    }
}
