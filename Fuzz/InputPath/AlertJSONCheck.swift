import BPFGuardCore

/// Checks an alert's JSON line: one valid JSON object on one line, with the text line's keys
/// in the same order in snake_case, numbers as numbers, unknown values as null, helpers as an
/// array, and every string that was valid UTF-8 given back byte for byte.
enum AlertJSONCheck {
    /// Keys whose known values are JSON numbers (`auid` too, unless `unset`; `rule` unless
    /// `default`); `lifetime` is a number of milliseconds.
    private static let numericKeys: Set<String> = ["prog-id", "created-by-uid", "uid", "auid", "euid", "pid", "ppid", "lifetime", "rule"]

    static func check(_ json: String, of alert: Alert) {
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
        let expected = DocumentedAlertFields.of(alert)
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
            return value == .string(Array(text.utf8))
        case .quoted(let bytes), .token(let bytes):
            guard case .string(let decoded) = value else { return false }
            // Bytes that are not UTF-8 have a documented textual form; valid UTF-8 is kept.
            return String(validating: bytes, as: UTF8.self) == nil || decoded == bytes
        case .names(let names):
            return value == .array(names.map { .string(Array($0.utf8)) })
        }
    }
}
