/// A JSON value built in order and rendered on one line: the nested objects of an ECS
/// document. Strings go through AlertEscaping.json, so the output is always valid JSON.
indirect enum JSONValue: Sendable {
    /// Arbitrary bytes (paths, command names), kept when valid UTF-8.
    case string([UInt8])
    /// JSON text already rendered (numbers, the values of AlertFormatter.jsonValue).
    case raw(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    static func text(_ text: String) -> JSONValue { .string(Array(text.utf8)) }

    static func number(_ number: some BinaryInteger) -> JSONValue { .raw(String(number)) }

    var rendered: String {
        switch self {
        case .string(let bytes): AlertEscaping.json(bytes)
        case .raw(let text): text
        case .array(let values): "[" + values.map(\.rendered).joined(separator: ",") + "]"
        case .object(let members): "{" + members.map { AlertEscaping.json(Array($0.0.utf8)) + ":" + $0.1.rendered }.joined(separator: ",") + "}"
        }
    }
}
