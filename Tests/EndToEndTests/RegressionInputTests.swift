import Foundation
import Glibc
import Testing

/// Every input of Tests/Fixtures/regressions (issue 8's findings and the fuzzers') through the
/// built plugin, in --replay and in plugin mode, with and without the pre-filter: it must exit
/// 0 with the malformed and alert counts and the alert labels that the folder's README states
/// per file (the expected values are read from there). Policies go through --check and a
/// replay of the sample log.
@Suite struct RegressionInputTests {
    static let folder = Paths.fixture("regressions")
    static let shippedPolicy = Paths.repository + "/Packaging/bpfguard.policy"

    /// One row of a README table: the file name, whether generate.sh writes it, the cells.
    struct Row: Sendable, CustomStringConvertible {
        var file: String
        var generated: Bool
        var cells: [String]
        var description: String { file }
    }

    /// The rows of the table under `## heading` in the folder's README.
    static func table(_ heading: String) -> [Row] {
        guard let text = try? readFile(folder + "/README.md") else { return [] }
        var rows: [Row] = []
        var inSection = false
        for line in String(decoding: text, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("## ") { inSection = line == "## \(heading)"; continue }
            guard inSection, line.hasPrefix("| `") else { continue }
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
                .map { $0.trimmingCharacters(in: .whitespaces) }
            let name = cells[0].split(separator: "`")[0]
            rows.append(Row(file: String(name), generated: cells[0].contains("(generated)"), cells: Array(cells)))
        }
        return rows
    }

    static let auditLogs = table("Audit logs")
    static let policies = table("Policies")

    /// The large inputs, written once per test run by generate.sh.
    static let generatedDirectory: String = {
        var template = Array("/tmp/bpfguard-test-regressions-XXXXXX".utf8CString)
        precondition(mkdtemp(&template) != nil)
        let directory = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let run = ChildProcess.run(["/bin/bash", folder + "/generate.sh", directory], seconds: 120)
        precondition(run.exitStatus == 0, "generate.sh failed: \(run.stderrText)")
        return directory
    }()

    /// The path of a listed file; a fuzzer input (`.input-path`) loses its 4-byte mode header.
    static func path(of row: Row) throws -> String {
        let path = (row.generated ? generatedDirectory : folder) + "/" + row.file
        guard row.file.hasSuffix(".input-path") else { return path }
        let log = temporaryFile("", name: "regression-log")
        let bytes = try readFile(path).dropFirst(4)
        let fd = open(log, O_WRONLY | O_TRUNC)
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        Glibc.close(fd)
        return log
    }

    /// `NAME=N` from the plugin's summary line.
    static func counter(_ name: String, in run: ChildProcess) -> Int? {
        guard let line = run.stderrText.split(separator: "\n").last(where: { $0.contains(" alerts=") }),
              let range = line.range(of: " \(name)=") else { return nil }
        return Int(line[range.upperBound...].prefix { $0.isNumber })
    }

    /// `label×count, …` (or `none`) as counts per label.
    static func labels(_ cell: String) -> [String: Int] {
        guard cell != "none" else { return [:] }
        var counts: [String: Int] = [:]
        for item in cell.split(separator: ",") {
            let parts = item.trimmingCharacters(in: .whitespaces).split(separator: "×")
            counts[String(parts[0]), default: 0] += Int(parts[1]) ?? -1
        }
        return counts
    }

    @Test func everyFileIsListedAndEveryListedFileExists() throws {
        let listed = Self.auditLogs + Self.policies
        #expect(Self.auditLogs.count >= 10 && Self.policies.count >= 3, "the README's tables were read")
        let directory = try #require(opendir(Self.folder))
        defer { closedir(directory) }
        var present: Set<String> = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if !name.hasPrefix("."), name != "README.md", name != "generate.sh" { present.insert(name) }
        }
        #expect(present == Set(listed.filter { !$0.generated }.map(\.file)), "files of the folder vs. the README's tables")
        for row in listed where row.generated {
            #expect(access(Self.generatedDirectory + "/" + row.file, R_OK) == 0, "generate.sh writes \(row.file)")
        }
    }

    @Test(arguments: auditLogs)
    func auditLog(_ row: Row) throws {
        let input = try Self.path(of: row)
        let malformed = Int(row.cells[3]), alerts = Int(row.cells[4])
        let labels = Self.labels(row.cells[5])
        #expect(malformed != nil && alerts != nil && labels.values.allSatisfy { $0 >= 0 }, "README row of \(row.file)")
        for prefilter in [[], ["--no-prefilter"]] {
            let options = ["--policy", Self.shippedPolicy] + prefilter
            let replay = ChildProcess.run([Paths.plugin] + options + ["--replay", input], seconds: 180)
            let mode = "\(row.file) --replay \(prefilter)"
            #expect(replay.exitStatus == 0, "\(mode): \(replay.stderrText.suffix(2000))")
            #expect(Self.counter("malformed", in: replay) == malformed, "\(mode): \(replay.stderrText.suffix(600))")
            #expect(Self.counter("alerts", in: replay) == alerts, "\(mode)")
            #expect(Self.labelCounts(replay.alerts) == labels, "\(mode)")

            // Plugin mode: the file through a pipe on standard input, alerts to a file (a
            // burst of alerts must not wait for the test to read them).
            let output = temporaryFile("", name: "regression-alerts")
            let plugin = ChildProcess.run(["/bin/sh", "-c", "input=$1 output=$2; shift 2; cat -- \"$input\" | \"$@\" > \"$output\"", "sh",
                                           input, output, Paths.plugin, "--output", "stdout", "--no-lookup"] + options, seconds: 180)
            let pluginMode = "\(row.file) plugin mode \(prefilter)"
            #expect(plugin.exitStatus == 0, "\(pluginMode): \(plugin.stderrText.suffix(2000))")
            #expect(Self.counter("malformed", in: plugin) == malformed, "\(pluginMode): \(plugin.stderrText.suffix(600))")
            #expect(Self.counter("alerts", in: plugin) == alerts, "\(pluginMode)")
            let lines = String(decoding: try readFile(output), as: UTF8.self).split(separator: "\n").map { AlertLine(String($0)) }
            // Lines the output could not write are counted as dropped (none expected: a file).
            #expect(Self.counter("dropped", in: plugin) == 0, "\(pluginMode): \(plugin.stderrText.suffix(600))")
            #expect(Self.labelCounts(lines) == labels, "\(pluginMode)")
            unlink(output)
        }
    }

    /// Alerts per label, as the lines stand for them: an alert counts 1, a fold summary its
    /// `repeated`, the cap's note its `labels` (`LABEL:N,…`).
    static func labelCounts(_ alerts: [AlertLine]) -> [String: Int] {
        var counts: [String: Int] = [:]
        for alert in alerts {
            if alert["alert"] == "alerts-capped" {
                for item in (alert["labels"] ?? "").split(separator: ",") {
                    let parts = item.split(separator: ":")
                    counts[String(parts.first ?? ""), default: 0] += parts.count == 2 ? Int(parts[1]) ?? -1 : -1
                }
            } else {
                counts[alert["alert"] ?? "?", default: 0] += alert["repeated"].map { Int($0) ?? -1 } ?? 1
            }
        }
        return counts
    }

    @Test func byte0xFFAndTheTextBackslashXFFStayApartInJSON() throws {
        let log = Self.folder + "/exe-byte-0xff-vs-text-backslash-xff.log"
        let run = ChildProcess.run([Paths.plugin, "--policy", Self.shippedPolicy, "--output", "json", "--replay", log])
        #expect(run.exitStatus == 0)
        let exes = try run.stdoutLines.map { line -> String in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return try #require(object["exe"] as? String)
        }
        #expect(exes.count == 2)
        #expect(Set(exes).count == 2, "the byte 0xFF and the text \\xff must not print the same: \(exes)")
        let text = ChildProcess.run([Paths.plugin, "--policy", Self.shippedPolicy, "--replay", log])
        #expect(Set(text.alerts.map { $0["exe"] ?? "" }).count == 2)
    }

    @Test(arguments: policies)
    func policy(_ row: Row) throws {
        let path = try Self.path(of: row)
        let status = Int32(row.cells[3]), says = row.cells[4], alerts = Int(row.cells[5])
        let check = ChildProcess.run([Paths.plugin, "--check", "--policy", path], seconds: 180)
        #expect(check.exitStatus == status, "\(row.file): \(check.stderrText.prefix(2000))")
        let lines = check.stdoutLines + check.stderrText.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.contains(says) }, "\(row.file): --check says \(lines.prefix(20))")
        for line in lines {
            #expect(line.hasPrefix(path + ":"), "\(row.file): every line about the policy names it first: \(line.prefix(300))")
        }
        let replay = ChildProcess.run([Paths.plugin, "--policy", path, "--replay", Paths.repository + "/Examples/sample-audit.log"], seconds: 180)
        if let alerts {
            #expect(replay.exitStatus == 0, "\(row.file): \(replay.stderrText.prefix(2000))")
            #expect(Self.counter("alerts", in: replay) == alerts, "\(row.file)")
        } else {
            #expect(replay.exitStatus == 1, "\(row.file): a refused policy stops the replay")
        }
    }
}
