import BPFGuardCore

/// Decodes the raw values of audit record fields.
///
/// The extractor decodes straight from libauparse's C strings (`UnsafeBufferPointer`), with
/// one allocation for a string value and none for a number: on a BPF-dense stream every
/// event's SYSCALL record passes through here.
public enum AuditFieldDecoding {
    /// An untrusted string field (`comm`, `exe`, `key`, `tty`): `"text"` → text; an even-length
    /// hex string → its bytes (the kernel hex-encodes values with spaces, quotes or
    /// control bytes); `(null)` → nil (no value); anything else is taken as it is.
    public static func string(_ raw: some Collection<UInt8>) -> [UInt8]? {
        Array(raw).withUnsafeBufferPointer { string($0) }
    }

    /// The same from bytes in place.
    public static func string(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        let count = bytes.count
        if count >= 2, bytes[0] == UInt8(ascii: "\""), bytes[count - 1] == UInt8(ascii: "\"") {
            return Array(UnsafeBufferPointer(rebasing: bytes[1..<(count - 1)]))
        }
        if count == 0 || isNull(bytes) || (count == 1 && bytes[0] == UInt8(ascii: "?")) { return nil }
        if count % 2 == 0, let decoded = hex(bytes) { return decoded }
        return Array(bytes)
    }

    /// `(null)`, compared without an array of its own.
    private static func isNull(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.count == 6 && bytes[0] == UInt8(ascii: "(") && bytes[1] == UInt8(ascii: "n") && bytes[2] == UInt8(ascii: "u")
            && bytes[3] == UInt8(ascii: "l") && bytes[4] == UInt8(ascii: "l") && bytes[5] == UInt8(ascii: ")")
    }

    /// Bytes from upper- or lower-case hex digits, or nil.
    public static func hex(_ digits: [UInt8]) -> [UInt8]? {
        digits.withUnsafeBufferPointer { hex($0) }
    }

    /// The same from bytes in place.
    public static func hex(_ digits: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard digits.count % 2 == 0, !digits.isEmpty else { return nil }
        // Checked before anything is allocated: most values that are not hex fail at once.
        for digit in digits where hexDigit(digit) == nil { return nil }
        return [UInt8](unsafeUninitializedCapacity: digits.count / 2) { result, initialized in
            var index = 0
            while index < digits.count {
                // Every digit was checked above.
                result[index / 2] = (hexDigit(digits[index]) ?? 0) << 4 | (hexDigit(digits[index + 1]) ?? 0)
                index += 2
            }
            initialized = digits.count / 2
        }
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

    /// A decimal number as `UInt32(String)` reads it (`prog-id`; no `-1` for unset).
    public static func number(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32? {
        guard let value = digits(bytes) else { return UInt32(String(decoding: bytes, as: UTF8.self)) }
        return value
    }

    /// Text that libauparse produced (an interpretation), as its UTF-8 bytes: what
    /// `Array(String(cString:).utf8)` gives, without the String when it is plain ASCII
    /// (invalid UTF-8 is repaired the same way).
    public static func text(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        for byte in bytes where byte >= 0x80 { return Array(String(decoding: bytes, as: UTF8.self).utf8) }
        return Array(bytes)
    }

    /// The same from bytes in place: plain digits are read without a String (any other
    /// form takes the path above, so both agree on every input).
    public static func id(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32? {
        guard let value = digits(bytes) else { return id(bytes[...]) }
        return value
    }

    /// Plain decimal digits: `.some(nil)` when they overflow a UInt32, nil when `bytes` is
    /// not only digits (or empty).
    private static func digits(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32?? {
        guard !bytes.isEmpty else { return nil }
        var value: UInt32 = 0
        var overflowed = false
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = shifted.addingReportingOverflow(UInt32(byte - UInt8(ascii: "0")))
            overflowed = overflowed || overflow1 || overflow2
            value = sum
        }
        return .some(overflowed ? nil : value)
    }
}
