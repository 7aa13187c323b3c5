import Testing

/// The README says what the main command prints; keep it true.
@Suite struct DocumentationTests {
    static func text(_ relative: String) throws -> String {
        String(decoding: try readFile(Paths.repository + "/" + relative), as: UTF8.self)
    }

    @Test func readmeMainCommandPrintsTheDocumentedAlerts() throws {
        let readme = try Self.text("README.md")
        let firstLines = readme.split(separator: "\n").prefix(12).joined(separator: "\n")
        let command = ".build/release/audisp-bpfguard --policy Packaging/bpfguard.policy --replay Examples/sample-audit.log"
        #expect(firstLines.contains(command), "the README's first command replays the sample")
        #expect(firstLines.contains("\nswift test\n"), "the README's second command runs the tests")

        let begin = try #require(readme.range(of: "<!-- sample-output:begin -->\n```\n"))
        let end = try #require(readme.range(of: "```\n<!-- sample-output:end -->"))
        let documented = String(readme[begin.upperBound..<end.lowerBound])

        let run = ChildProcess.run([Paths.plugin, "--policy", Paths.repository + "/Packaging/bpfguard.policy",
                                    "--replay", Paths.repository + "/Examples/sample-audit.log"])
        #expect(run.exitStatus == 0)
        #expect(!documented.isEmpty)
        #expect(run.stdoutText == documented)
    }

    @Test func defaultPolicyIsValidWithoutWarnings() {
        let run = ChildProcess.run([Paths.plugin, "--check", "--policy", Paths.repository + "/Packaging/bpfguard.policy"])
        #expect(run.exitStatus == 0)
        #expect(run.stderr.isEmpty, "warnings: \(run.stderrText)")
    }
}
