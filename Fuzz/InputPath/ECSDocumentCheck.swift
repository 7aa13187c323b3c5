/// Checks an `--output ecs` document: one valid JSON object on one line whose `message` is
/// exactly the alert line (read as `--output json` strings are), and whose `@timestamp` is
/// there.
enum ECSDocumentCheck {
    static func check(_ document: String, line: String) {
        let bytes = Array(document.utf8)
        fuzzCheck(!bytes.contains(UInt8(ascii: "\n")) && !bytes.contains(UInt8(ascii: "\r")), "ECS document is not one line: \(fuzzShow(bytes))")
        guard case .success(.object(let members)) = JSONReader.parse(bytes) else {
            fuzzFailure("ECS document is not a valid JSON object: \(fuzzShow(bytes))")
        }
        let message = members.first { $0.key == Array("message".utf8) }?.value
        fuzzCheck(message.map { AlertJSONCheck.isString($0, holding: Array(line.utf8)) } == true,
                  "ECS message is not the alert line \(line): \(fuzzShow(bytes))")
        fuzzCheck(members.contains { $0.key == Array("@timestamp".utf8) }, "ECS document without @timestamp: \(fuzzShow(bytes))")
    }
}
