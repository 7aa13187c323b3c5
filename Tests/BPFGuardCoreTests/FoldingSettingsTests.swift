import Testing
@testable import BPFGuardCore

/// The folding settings and a rule's `fold=`: defaults, accepted values, and errors at the
/// value's line and column.
@Suite struct FoldingSettingsTests {
    func errors(_ text: String) -> [String] {
        let result = parse(text)
        #expect(result.policy == nil)
        return result.errors.map(\.description)
    }

    @Test func defaults() throws {
        let settings = try compiledPolicy("alert a op=load\n").settings
        #expect(settings.foldWindowMilliseconds == 60_000)
        #expect(settings.foldBurst == 5)
        #expect(settings.foldBy == [.label, .field(.node), .field(.exe), .field(.progType)])
        #expect(settings.maxAlertsPerMinute == 600)
    }

    @Test func acceptedValues() throws {
        let policy = try compiledPolicy("""
        fold_window = 0
        fold_burst = 10000
        fold_by = "alert", priority, op, prog-id, prog-type, prog-name, prog-tag, helpers, created-by-uid, info, node, uid, auid, euid, pid, ppid, comm, exe, cmdline, exe-package, exe-trusted, container, identity, lifetime, rule
        max_alerts_per_minute = 1000000
        alert a op=load priority=crit fold=90s
        alert b op=load fold=0
        alert c op=unload fold=250ms priority=info
        """)
        #expect(policy.settings.foldWindowMilliseconds == 0)
        #expect(policy.settings.foldBurst == 10_000)
        #expect(policy.settings.foldBy.count == 25)
        #expect(policy.settings.foldBy.map(\.description).joined(separator: ", ") == AlertKey.allNames)
        #expect(policy.settings.maxAlertsPerMinute == 1_000_000)
        #expect(policy.rules.map(\.foldWindowMilliseconds) == [90_000, 0, 250])
        #expect(policy.rules[2].action == .alert(label: "c", priority: .info))
        #expect(try compiledPolicy("fold_window = 1d\n").settings.foldWindowMilliseconds == 86_400_000)
    }

    @Test func badSettingValues() {
        #expect(errors("fold_window = 5\n") == ["test.policy:1:15: error: expected a duration from 0 to 1d such as 30s or 5m (0 turns folding off) for setting 'fold_window', found '5'"])
        #expect(errors("\nfold_window = 2d\n").first?.hasPrefix("test.policy:2:15: error: expected a duration") == true)
        #expect(errors("fold_burst = 0\n") == ["test.policy:1:14: error: expected a number from 1 to 10000 for setting 'fold_burst', found '0'"])
        #expect(errors("max_alerts_per_minute = -1\n") == ["test.policy:1:25: error: expected a number from 0 to 1000000 (0: no cap) for setting 'max_alerts_per_minute', found '-1'"])
    }

    @Test func foldByNamesAlertKeys() {
        #expect(errors("fold_by = label, exe_path, node\n") == [
            "test.policy:1:18: error: unknown alert key 'exe_path' for setting 'fold_by' (known keys: \(AlertKey.allNames))",
        ])
        #expect(errors("fold_by = exe, gid\n").first?.hasPrefix("test.policy:1:16: error: unknown alert key 'gid'") == true,
                "a field the alert line does not print cannot fold")
        #expect(errors("fold_by = exe,  event\n") == ["test.policy:1:17: error: 'event' differs for every alert, so nothing would fold: use fold_window = 0 to turn folding off"])
        #expect(errors("fold_by = exe, , node\n") == ["test.policy:1:16: error: empty key in setting 'fold_by'"])
        #expect(errors("fold_by = exe, label, exe\n") == ["test.policy:1:23: error: key 'exe' is listed twice in setting 'fold_by'"])
        #expect(errors("fold_by = label, alert\n").first?.contains("key 'alert' is listed twice") == true, "alert and label are one key")
    }

    @Test func ruleFold() {
        #expect(errors("alert a op=load fold=10\n") == ["test.policy:1:22: error: expected a duration from 0 to 1d such as 30s or 5m (0: never folded) after 'fold=', found '10'"])
        #expect(errors("allow op=load fold=1m\n") == ["test.policy:1:15: error: 'fold=' applies to alert rules only"])
        #expect(errors("alert a fold=1m op=load fold=2m\n") == ["test.policy:1:25: error: the rule already has a fold window"])
    }

    @Test func theCapLabelIsReserved() {
        #expect(errors("alert alerts-capped op=load\n") == ["test.policy:1:7: error: the label 'alerts-capped' is the plugin's own, for the summary of alerts held back by max_alerts_per_minute"])
    }
}
