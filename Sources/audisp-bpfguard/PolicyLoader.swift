import BPFGuardCore

/// Reads and compiles the policy file.
enum PolicyLoader {
    enum Failure: Error {
        /// The file could not be read.
        case unreadable(path: String, SystemCallError)
        /// The file has errors (every diagnostic, warnings included).
        case invalid([PolicyDiagnostic])

        /// One line per problem, compiler-style.
        var lines: [String] {
            switch self {
            // The compiler-style form of every other policy error, so that tools read it too.
            case .unreadable(let path, let error): ["\(path):1:1: error: cannot read the policy: \(error)"]
            case .invalid(let diagnostics): diagnostics.map(\.description)
            }
        }
    }

    /// The policy and its warnings.
    static func load(_ path: String) -> Result<(policy: Policy, warnings: [PolicyDiagnostic]), Failure> {
        loadWithText(path).map { ($0.policy, $0.warnings) }
    }

    /// The policy, its warnings and the file's bytes (learning mode writes the base policy's
    /// text back, unchanged, around the rules it proposes).
    static func loadWithText(_ path: String) -> Result<(policy: Policy, warnings: [PolicyDiagnostic], text: [UInt8]), Failure> {
        let bytes: [UInt8]
        do {
            bytes = try FileIO.readFile(path)
        } catch {
            return .failure(.unreadable(path: path, error))
        }
        let result = PolicyParser.parse(bytes: bytes, path: path, resolver: SystemNameResolver())
        guard let policy = result.policy else { return .failure(.invalid(result.diagnostics)) }
        return .success((policy, result.warnings, bytes))
    }
}
