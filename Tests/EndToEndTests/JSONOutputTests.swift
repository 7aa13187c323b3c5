import Foundation
import Testing

/// `--output json`: one valid JSON object per line, the alert's keys in snake_case, numbers
/// as numbers, null for unknown values.
@Suite struct JSONOutputTests {
    /// The policy's alerts, or with `builtin`, only the built-in alerts about audit itself
    /// (`"rule":"builtin"`: every capture ends with auditd's DAEMON_END).
    func objects(_ fixture: String, policy: String, builtin: Bool = false) throws -> [[String: Any]] {
        let run = ChildProcess.run([Paths.plugin, "--policy", temporaryFile(policy), "--output", "json", "--replay", Paths.fixture(fixture)])
        #expect(run.exitStatus == 0)
        return try run.stdoutLines.map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
            return try #require(object as? [String: Any])
        }.filter { ($0["rule"] as? String == "builtin") == builtin }
    }

    @Test func keysTypesAndValues() throws {
        let objects = try objects("captured/space-in-path.log", policy: "alert any\n")
        #expect(objects.count == 2)
        let load = objects[0], unload = objects[1]
        #expect(load["alert"] as? String == "any")
        #expect(load["op"] as? String == "LOAD")
        #expect(load["prog_id"] as? Int == 2168)
        #expect(load["uid"] as? Int == 0)
        #expect(load["auid"] as? String == "unset")
        #expect(load["exe"] as? String == "/tmp/bpfguard capture/load er")
        #expect(load["comm"] as? String == "load er")
        #expect(load["rule"] as? Int == 1)
        #expect(load["lifetime"] == nil, "no lifetime on a LOAD")
        #expect((load["event"] as? String)?.hasSuffix(":43092") == true)
        #expect(unload["lifetime"] as? Int == 204)
    }

    @Test func unknownValuesAreNull() throws {
        let objects = try objects("handmade/standalone-no-syscall.log", policy: "default = alert\nfold_window = 0\n")
        #expect(objects.count == 12)
        let first = try #require(objects.first)
        #expect(first["uid"] is NSNull)
        #expect(first["exe"] is NSNull)
        #expect(first["rule"] as? String == "default")
        #expect(first["alert"] as? String == "default")
    }

    @Test func builtinAlertsAboutAuditItself() throws {
        let builtin = try objects("handmade/standalone-no-syscall.log", policy: "default = alert\nfold_window = 0\n", builtin: true)
        let noContext = try #require(builtin.first { $0["alert"] as? String == "no-audit-context" })
        #expect(noContext["loads"] as? Int == 1)
        #expect(noContext["priority"] as? String == "warning")
        #expect((noContext["change"] as? String)?.contains("-a never,task") == true)
        // The fixture's loads are years apart: once at the first, again an hour (or more) later.
        let later = builtin.filter { $0["alert"] as? String == "no-audit-context" }.dropFirst()
        #expect(later.map { $0["loads"] as? Int } == [7], "the second counts the loads since the first")
        let disabled = try objects("captured/audit-config-changes.log", policy: "alert any\n", builtin: true)
        let labels = disabled.compactMap { $0["alert"] as? String }
        #expect(labels.contains("audit-disabled"))
        #expect(labels.contains("audit-rules-changed"))
        #expect(disabled.allSatisfy { $0["priority"] as? String == "crit" })
    }

    @Test func nodeKey() throws {
        let objects = try objects("captured/node-prefix.log", policy: "alert any\n")
        #expect(objects.allSatisfy { $0["node"] as? String == "sensor-a" })
    }
}
