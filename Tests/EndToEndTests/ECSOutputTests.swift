import Foundation
import Glibc
import Testing

/// `--output ecs`: every key outside `bpfguard.` is a field of the Elastic Common Schema with
/// a JSON value of its type, by ECS's own generated field list (Tests/Fixtures/ecs/fields.csv,
/// ECS 9.4.0), for alerts, fold summaries and the cap's notes of real captures.
@Suite struct ECSOutputTests {
    struct ECSField {
        var type: String
        var isArray: Bool
    }

    /// Field name → type and whether ECS says it is an array, from the CSV (RFC 4180 quoting).
    static let schema: [String: ECSField] = {
        guard let bytes = try? readFile(Paths.fixture("ecs/fields.csv")) else { return [:] }
        var rows: [[String]] = []
        var row: [String] = [], cell: [UInt8] = []
        var quoted = false, index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\"") { cell.append(byte); index += 1 } else { quoted = false }
                } else {
                    cell.append(byte)
                }
            } else if byte == UInt8(ascii: "\"") {
                quoted = true
            } else if byte == UInt8(ascii: ",") {
                row.append(String(decoding: cell, as: UTF8.self)); cell = []
            } else if byte == UInt8(ascii: "\n") {
                row.append(String(decoding: cell, as: UTF8.self)); cell = []
                rows.append(row); row = []
            } else {
                cell.append(byte)
            }
            index += 1
        }
        var schema: [String: ECSField] = [:]
        for row in rows.dropFirst() where row.count >= 7 {
            schema[row[3]] = ECSField(type: row[4], isArray: row[6].contains("array"))
        }
        return schema
    }()

    /// Leaf keys of a document, dotted (`event.kind`), with their values.
    static func flatten(_ object: [String: Any], prefix: String = "") -> [(String, Any)] {
        object.flatMap { key, value -> [(String, Any)] in
            let path = prefix.isEmpty ? key : prefix + "." + key
            if let nested = value as? [String: Any] { return flatten(nested, prefix: path) }
            return [(path, value)]
        }
    }

    static let isoDate = try! NSRegularExpression(pattern: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"#)

    /// Why a value does not suit its ECS field, or nil.
    static func problem(_ key: String, _ value: Any) -> String? {
        guard let field = schema[key] else { return "\(key) is not an ECS field" }
        var values: [Any] = [value]
        if field.isArray {
            guard let array = value as? [Any] else { return "\(key) must be an array" }
            values = array
        } else if value is [Any] {
            return "\(key) must not be an array"
        }
        for value in values {
            switch field.type {
            case "keyword", "constant_keyword", "wildcard", "match_only_text", "text":
                guard value is String else { return "\(key) (\(field.type)) must be a string: \(value)" }
            case "long", "integer", "short", "byte", "unsigned_long":
                guard !(value is String), value as? Int != nil else { return "\(key) (\(field.type)) must be an integer: \(value)" }
            case "date":
                guard let text = value as? String,
                      isoDate.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil else { return "\(key) (date) must be ISO 8601: \(value)" }
            default:
                return "\(key) has type \(field.type), which the plugin does not emit"
            }
        }
        return nil
    }

    func documents(_ fixtures: [String], policy: String, _ extra: [String] = []) throws -> [[String: Any]] {
        let run = ChildProcess.run([Paths.plugin, "--policy", policy, "--output", "ecs"] + extra + ["--replay"] + fixtures.map(Paths.fixture))
        #expect(run.exitStatus == 0, "\(run.stderrText)")
        return try run.stdoutLines.map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
        }
    }

    func checkSchema(_ documents: [[String: Any]]) {
        for document in documents {
            for (key, value) in Self.flatten(document) where !key.hasPrefix("bpfguard.") {
                if let problem = Self.problem(key, value) { Issue.record("\(problem) in \(document)") }
            }
        }
    }

    @Test func theFieldListIsECS() {
        #expect(Self.schema.count > 1500, "Tests/Fixtures/ecs/fields.csv read")
        #expect(Self.schema["@timestamp"]?.type == "date")
        #expect(Self.schema["event.category"]?.isArray == true)
        // The checker refuses what is not ECS.
        #expect(Self.problem("event.severity", "4") != nil)
        #expect(Self.problem("event.category", "driver") != nil)
        #expect(Self.problem("user.id", 0) != nil)
        #expect(Self.problem("@timestamp", "2026-11-29 09:08:59") != nil)
        #expect(Self.problem("event.prog_id", 1) != nil)
        #expect(Self.problem("event.severity", 4) == nil && Self.problem("event.type", ["end"]) == nil)
    }

    @Test func alertsSummariesAndNotesAreECS() throws {
        let fixtures = ["captured/root-known-loader.log", "captured/node-prefix.log", "captured/space-in-path.log", "captured/deleted-exe.log",
                        "captured/unprivileged-capbpf.log", "handmade/standalone-no-syscall.log", "handmade/two-nodes-same-prog-ids.log"]
        let everything = temporaryFile("max_alerts_per_minute = 20\nalert load op=load\nalert unload op=unload\n")
        let documents = try documents(fixtures, policy: everything)
            + documents(fixtures, policy: Paths.repository + "/Packaging/bpfguard.policy")
        checkSchema(documents)
        let messages = documents.compactMap { $0["message"] as? String }
        #expect(messages.count == documents.count)
        #expect(messages.contains { $0.contains(" repeated=") }, "fold summaries are among them")
        #expect(messages.contains { $0.hasPrefix("alert=alerts-capped ") }, "and the cap's notes")
        #expect(documents.contains { ($0["host"] as? [String: Any])?["name"] as? String == "sensor-a" }, "node names as host.name")
    }

    @Test func builtinAlertsAboutAuditAreECS() throws {
        let documents = try documents(["captured/audit-config-changes.log", "handmade/standalone-no-syscall.log"],
                                      policy: Paths.repository + "/Packaging/bpfguard.policy")
        checkSchema(documents)
        let builtin = documents.filter { (($0["rule"] as? [String: Any])?["ruleset"] as? String) == "builtin" }
        #expect(builtin.count >= 8, "\(builtin.count) built-in documents")
        #expect(builtin.allSatisfy { (($0["event"] as? [String: Any])?["category"] as? [String]) == ["configuration"] })
    }

    @Test func fieldsComeFromTheAlert() throws {
        // The last policy alert (the capture ends with auditd's DAEMON_END: a built-in alert).
        let document = try #require(try documents(["captured/space-in-path.log"], policy: temporaryFile("alert any\n"))
            .last { (($0["rule"] as? [String: Any])?["ruleset"] as? String) != "builtin" })
        let event = try #require(document["event"] as? [String: Any])
        #expect(document["@timestamp"] as? String == "2026-11-29T09:08:59.043Z")
        #expect(event["kind"] as? String == "alert")
        #expect(event["category"] as? [String] == ["driver"])
        #expect(event["type"] as? [String] == ["end"])
        #expect(event["action"] as? String == "unloaded-bpf-program")
        #expect(event["id"] as? String == "1795943339.043:43093")
        #expect(event["severity"] as? Int == 4)
        let process = try #require(document["process"] as? [String: Any])
        #expect(process["executable"] as? String == "/tmp/bpfguard capture/load er")
        #expect(process["name"] as? String == "load er")
        #expect(process["pid"] as? Int == 23814)
        #expect((process["parent"] as? [String: Any])?["pid"] as? Int == 22860)
        #expect((document["user"] as? [String: Any])?["id"] as? String == "0")
        let bpfguard = try #require(document["bpfguard"] as? [String: Any])
        #expect(bpfguard["lifetime"] as? Int == 204)
        #expect(bpfguard["prog_id"] as? Int == 2168)
        #expect((document["message"] as? String)?.hasPrefix("alert=any priority=warning op=UNLOAD prog-id=2168 ") == true)
    }

    @Test(.enabled(if: BPFLoader.isAvailable, "\(BPFLoader.unavailableReason ?? "")"))
    func kernelLookupFieldsStayUnderBPFGuard() throws {
        let program = try #require(BPFLoader.Running(["--type", "kprobe", "--helper", "send_signal", "--name", "ecs_probe"]))
        let log = KernelLookupTests.loadEvent(program.programIDs[0], serial: 1)
        let run = ChildProcess.run([Paths.plugin, "--policy", temporaryFile("alert any\n"), "--output", "ecs", "--lookup", "--replay", "-"], stdin: log)
        let object = try JSONSerialization.jsonObject(with: Data((run.stdoutLines.first ?? "").utf8))
        let document = try #require(object as? [String: Any])
        checkSchema([document])
        let bpfguard = try #require(document["bpfguard"] as? [String: Any])
        #expect(bpfguard["prog_type"] as? String == "kprobe")
        #expect(bpfguard["prog_name"] as? String == "ecs_probe")
        #expect(bpfguard["helpers"] as? [String] == ["bpf_send_signal"])
        #expect(bpfguard["identity"] as? String == "audit")
    }
}
