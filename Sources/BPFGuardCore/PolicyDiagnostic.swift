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

    public var description: String { "\(path):\(line):\(column): \(severity.rawValue): \(message)" }
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
