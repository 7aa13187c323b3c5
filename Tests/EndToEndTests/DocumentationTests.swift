import Foundation
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

    @Test func readmeFoldingExampleIsWhatTheBinaryPrints() throws {
        let readme = try Self.text("README.md")
        let run = ChildProcess.run([Paths.plugin, "--policy", temporaryFile("alert short-lived op=unload lifetime<1s priority=notice\n"),
                                    "--replay", Paths.fixture("captured/root-known-loader.log")])
        #expect(run.policyAlertLines.count == 6)
        let summary = try #require(run.policyAlertLines.last)
        #expect(summary.contains(" repeated=378 "))
        #expect(readme.contains("\n```\n\(summary)\n```\n"), "the README shows the summary line")
    }

    @Test func readmeECSExampleIsWhatTheBinaryPrints() throws {
        let readme = try Self.text("README.md")
        let begin = try #require(readme.range(of: "<!-- ecs-example:begin -->\n```json\n"))
        let end = try #require(readme.range(of: "```\n<!-- ecs-example:end -->"))
        let documented = try JSONSerialization.jsonObject(with: Data(readme[begin.upperBound..<end.lowerBound].utf8)) as? NSDictionary
        let run = ChildProcess.run([Paths.plugin, "--policy", Paths.repository + "/Packaging/bpfguard.policy", "--output", "ecs",
                                    "--replay", Paths.fixture("captured/node-prefix.log")])
        // The README's command runs in the repository: the policy's path is relative there.
        let first = try #require(run.stdoutLines.first).replacingOccurrences(of: Paths.repository + "/", with: "")
        let printed = try JSONSerialization.jsonObject(with: Data(first.utf8)) as? NSDictionary
        #expect(documented != nil)
        #expect(documented == printed)
    }

    @Test func defaultPolicyIsValidWithoutWarnings() {
        let run = ChildProcess.run([Paths.plugin, "--check", "--policy", Paths.repository + "/Packaging/bpfguard.policy"])
        #expect(run.exitStatus == 0)
        #expect(run.stderr.isEmpty, "warnings: \(run.stderrText)")
    }
}
