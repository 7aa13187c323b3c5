import Glibc
import Testing

/// The man pages render without warnings, and they and the README's policy reference list
/// exactly the options, fields and settings the program knows (Packaging/man/check.sh).
@Suite struct ManPageTests {
    static let missingTools: String? = {
        let tools: [String] = ["/usr/bin/man", "/usr/bin/mandoc", "/usr/bin/groff"].filter { (path: String) in access(path, X_OK) != 0 }
        return tools.isEmpty ? nil : "missing \(tools.joined(separator: ", ")) (apt-get install man-db mandoc groff-base)"
    }()

    @Test(.enabled(if: missingTools == nil, "\(missingTools ?? "")"))
    func lintAndAgreement() {
        let run = ChildProcess.run(["/bin/bash", Paths.repository + "/Packaging/man/check.sh", Paths.plugin])
        #expect(run.exitStatus == 0, "\(run.stdoutText)\(run.stderrText)")
        #expect(run.stdoutText.contains("ok: README.md field table = fields of the parser"))
        #expect(!run.stdoutText.contains("FAIL"))
    }
}
