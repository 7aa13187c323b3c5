import BPFGuardCore

/// Decodes the raw values of audit record fields.
public enum AuditFieldDecoding {
    /// An untrusted string field (`comm`, `exe`, `key`, `tty`): `"text"` → text; an even-length
    /// hex string → its bytes (the kernel hex-encodes values with spaces, quotes or
    /// control bytes); `(null)` → nil (no value); anything else is taken as it is.
    public static func string(_ raw: some Collection<UInt8>) -> [UInt8]? {
        let bytes = Array(raw)
        if bytes.count >= 2, bytes.first == UInt8(ascii: "\""), bytes.last == UInt8(ascii: "\"") {
            return Array(bytes[1..<(bytes.count - 1)])
        }
        if bytes == Array("(null)".utf8) || bytes.isEmpty || bytes == [UInt8(ascii: "?")] { return nil }
        if bytes.count % 2 == 0, let decoded = hex(bytes) { return decoded }
        return bytes
    }

    /// Bytes from upper- or lower-case hex digits, or nil.
    public static func hex(_ digits: [UInt8]) -> [UInt8]? {
        guard digits.count % 2 == 0, !digits.isEmpty else { return nil }
        var result: [UInt8] = []
        result.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = hexDigit(digits[index]), let low = hexDigit(digits[index + 1]) else { return nil }
            result.append(high << 4 | low)
            index += 2
        }
        return result
    }

    private static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// A decimal id (`uid=1000`) or nil; the kernel's `-1` for an unset id is 4294967295.
    public static func id(_ raw: some Collection<UInt8>) -> UInt32? {
        let text = String(decoding: raw, as: UTF8.self)
        if text == "-1" { return ProcessContext.unsetID }
        return UInt32(text)
    }
}
