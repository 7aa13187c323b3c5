import BPFGuardCore

/// Checks an alert's JSON line: one valid JSON object on one line, with the text line's keys
/// in the same order in snake_case, numbers as numbers, unknown values as null, helpers as an
/// array, the cap's labels as an object, and every string giving back exactly the bytes of
/// the value (its text read in the documented escape language: no two values print the same).
enum AlertJSONCheck {
    /// Keys whose known values are JSON numbers (`auid` too, unless `unset`; `rule` unless
    /// `default` or `builtin`); `lifetime` is a number of milliseconds; `loads` (of
    /// `no-audit-context`) a count.
    private static let numericKeys: Set<String> = [
        "prog-id", "created-by-uid", "uid", "auid", "euid", "pid", "ppid", "holders", "lifetime", "repeated", "held", "rule", "loads",
    ]

    /// Checks `json` against the fields the text line must hold (`DocumentedAlertFields`).
    static func check(_ json: String, expected: [(key: String, value: DocumentedAlertFields.Value)]) {
        let bytes = Array(json.utf8)
        fuzzCheck(!bytes.contains(UInt8(ascii: "\n")) && !bytes.contains(UInt8(ascii: "\r")), "JSON alert is not one line: \(fuzzShow(bytes))")
        let members: [JSONReader.Member]
        switch JSONReader.parse(bytes) {
        case .failure(let failure):
            fuzzFailure("invalid JSON alert (\(failure.message) at byte \(failure.offset)): \(fuzzShow(bytes))")
        case .success(.object(let object)):
            members = object
        case .success:
            fuzzFailure("JSON alert is not an object: \(fuzzShow(bytes))")
        }
        let keys = members.map { String(decoding: $0.key, as: UTF8.self) }
        fuzzCheck(keys == expected.map { String($0.key.map { $0 == "-" ? "_" : $0 }) },
                  "JSON keys \(keys) are not the text line's \(expected.map(\.key)): \(fuzzShow(bytes))")
        for (member, field) in zip(members, expected) {
            fuzzCheck(matches(member.value, field.value, key: field.key),
                      "JSON \(field.key)=\(member.value) does not give back \(field.value): \(fuzzShow(bytes))")
        }
    }

    private static func matches(_ value: JSONReader.Value, _ field: DocumentedAlertFields.Value, key: String) -> Bool {
        switch field {
        case .unknown:
            return value == .null
        case .bare(let text):
            var digits = text
            if key == "lifetime" && digits.hasSuffix("ms") { digits.removeLast(2) }
            if numericKeys.contains(key), !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                return value == .number(digits)
            }
            return isString(value, holding: Array(text.utf8))
        case .quoted(let bytes), .token(let bytes):
            return isString(value, holding: bytes)
        case .names(let names):
            guard case .array(let elements) = value, elements.count == names.count else { return false }
            return zip(elements, names).allSatisfy { isString($0, holding: Array($1.utf8)) }
        case .counts(let counts):
            guard case .object(let members) = value, members.count == counts.count else { return false }
            return zip(members, counts).allSatisfy { member, count in
                valueText(member.key) == Array(count.label.utf8) && member.value == .number(String(count.count))
            }
        }
    }

    /// Whether `value` is a JSON string whose text is `bytes` (`valueText`).
    static func isString(_ value: JSONReader.Value, holding bytes: [UInt8]) -> Bool {
        guard case .string(let text) = value else { return false }
        return valueText(text) == bytes
    }

    /// The bytes a JSON string's text stands for: the text is in one escape language (README,
    /// "Alert format"), `\\` for a backslash and `\xHH` for a byte that is not UTF-8, every
    /// other character itself. nil when the text uses any other escape (then two values could
    /// print the same).
    static func valueText(_ text: [UInt8]) -> [UInt8]? {
        var bytes: [UInt8] = []
        var index = 0
        while index < text.count {
            guard text[index] == UInt8(ascii: "\\") else { bytes.append(text[index]); index += 1; continue }
            guard index + 1 < text.count else { return nil }
            if text[index + 1] == UInt8(ascii: "\\") {
                bytes.append(UInt8(ascii: "\\"))
                index += 2
            } else if text[index + 1] == UInt8(ascii: "x"), index + 3 < text.count,
                      let byte = UInt8(String(decoding: text[(index + 2)...(index + 3)], as: UTF8.self), radix: 16) {
                bytes.append(byte)
                index += 4
            } else {
                return nil
            }
        }
        return bytes
    }
}
