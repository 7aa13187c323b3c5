/// A problem found in a policy file, printed compiler-style: `PATH:LINE:COL: error: MESSAGE`.
public struct PolicyDiagnostic: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning }

    public var path: String
    public var line: Int
    public var column: Int
    public var severity: Severity
    public var message: String

    public init(path: String, line: Int, column: Int, severity: Severity = .error, message: String) {
        self.path = path
        self.line = line
        self.column = column
        self.severity = severity
        self.message = message
    }

    /// One line whatever the policy held: a message may quote a value whose escapes decoded
    /// to control characters (`op=lo\x0aad`), which would otherwise start a forged line.
    public var description: String { "\(Self.oneLine(path)):\(line):\(column): \(severity.rawValue): \(Self.oneLine(message))" }

    /// `text` with C0 and C1 control characters, DEL and the Unicode line and paragraph
    /// separators shown as `\xHH` / `\u{HHHH}`.
    static func oneLine(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0..<0x20, 0x7F...0x9F:
                let hex = String(scalar.value, radix: 16)
                result += "\\x" + (hex.count == 1 ? "0" : "") + hex
            case 0x2028, 0x2029:
                result += "\\u{\(String(scalar.value, radix: 16))}"
            default:
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}

/// Resolves the user and group names a policy may use in place of numeric ids.
/// The executable answers from the password and group databases; tests supply a table.
public protocol NameResolver {
    func userID(named name: String) -> UInt32?
    func groupID(named name: String) -> UInt32?
}

/// The result of parsing a policy: a policy when there is no error, and every diagnostic.
public struct PolicyParseResult: Sendable {
    public var policy: Policy?
    public var diagnostics: [PolicyDiagnostic]

    public var errors: [PolicyDiagnostic] { diagnostics.filter { $0.severity == .error } }
    public var warnings: [PolicyDiagnostic] { diagnostics.filter { $0.severity == .warning } }
}
