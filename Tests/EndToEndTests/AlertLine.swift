/// An alert line parsed back into its fields (values unquoted and unescaped as text).
struct AlertLine {
    var keys: [String] = []
    var values: [String: String] = [:]

    init(_ line: String) {
        var bytes = Array(line.utf8)[...]
        while !bytes.isEmpty {
            let key = String(decoding: bytes.prefix { $0 != UInt8(ascii: "=") }, as: UTF8.self)
            bytes = bytes.dropFirst(key.utf8.count + 1)
            var value: [UInt8] = []
            if bytes.first == UInt8(ascii: "\"") {
                bytes = bytes.dropFirst()
                while let byte = bytes.first, byte != UInt8(ascii: "\"") {
                    if byte == UInt8(ascii: "\\") {
                        value.append(UInt8(ascii: "\\"))
                        value.append(bytes.dropFirst().first ?? 0)
                        bytes = bytes.dropFirst(2)
                    } else {
                        value.append(byte)
                        bytes = bytes.dropFirst()
                    }
                }
                bytes = bytes.dropFirst()
            } else {
                value = Array(bytes.prefix { $0 != UInt8(ascii: " ") })
                bytes = bytes.dropFirst(value.count)
            }
            bytes = bytes.drop { $0 == UInt8(ascii: " ") }
            keys.append(key)
            values[key] = String(decoding: value, as: UTF8.self)
        }
    }

    subscript(key: String) -> String? { values[key] }

    /// How many alerts the line stands for: `repeated=N` for a fold summary, else 1.
    var represented: Int { values["repeated"].flatMap { Int($0) } ?? 1 }
}

extension ChildProcess {
    /// The policy's alerts (built-in alerts about audit itself, `rule=builtin`, left out:
    /// every capture ends with auditd's DAEMON_END, which raises one).
    var alerts: [AlertLine] { allAlerts.filter { $0["rule"] != "builtin" } }

    /// Every alert line, built-in ones included.
    var allAlerts: [AlertLine] { stdoutLines.map(AlertLine.init) }

    /// The text lines of the policy's alerts (built-in alerts left out).
    var policyAlertLines: [String] { stdoutLines.filter { !$0.hasSuffix(" rule=builtin") } }
}
