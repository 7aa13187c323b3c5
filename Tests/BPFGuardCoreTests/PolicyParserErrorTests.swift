import Testing
@testable import BPFGuardCore

/// Every kind of policy error is reported at its line and column with what was expected.
@Suite struct PolicyParserErrorTests {
    /// The single error of `text`, as printed.
    func onlyError(_ text: String) -> String {
        let result = parse(text)
        #expect(result.policy == nil, "a policy with errors must not be returned")
        #expect(result.errors.count == 1, "expected one error, got: \(result.errors)")
        return result.errors.first?.description ?? ""
    }

    @Test func unknownFieldNamesTheKnownFields() {
        let message = onlyError("allow op=load exe_path=/usr/bin/x\n")
        #expect(message.hasPrefix("test.policy:1:15: error: unknown field 'exe_path' (known fields: op, prog-id, prog-type, prog-name, prog-tag, helpers, created-by-uid, info, node, uid,"))
        #expect(message.contains("unloader-exe"))
    }

    @Test func aDecodedControlCharacterCannotBreakTheDiagnosticLine() {
        // Found by the policy-parser fuzz target (Tests/Fixtures/regressions).
        let message = onlyError("alert forged op=lo\\x0aad\n")
        #expect(message.hasPrefix("test.policy:1:17: error: ") && message.hasSuffix(", found 'lo\\x0aad'"), "\(message)")
        let forged = onlyError("alert x op=x\\x0atest.policy:9:9:\\x20error:\\x20forged\\x1b[2K\n")
        #expect(!forged.contains("\n") && !forged.contains("\u{1B}"), "\(forged)")
    }

    @Test func conditionWithoutOperator() {
        #expect(onlyError("allow uid\n") == "test.policy:1:7: error: expected a condition FIELD OP VALUE (no blanks around the operator), found 'uid'")
    }

    @Test func conditionWithoutValue() {
        #expect(onlyError("alert x uid!=\n") == "test.policy:1:14: error: expected a value after 'uid!='")
    }

    @Test func missingFieldName() {
        #expect(onlyError("allow =3\n") == "test.policy:1:7: error: expected a field name before '=3'")
    }

    @Test func unknownSetting() {
        #expect(onlyError("\nfacilty = daemon\n") == "test.policy:2:1: error: unknown setting 'facilty' (known settings: facility, default, default_priority, max_programs, queue_size, local_node, fold_window, fold_burst, fold_by, max_alerts_per_minute, heartbeat, scan_interval)")
    }

    @Test func duplicateSetting() {
        #expect(onlyError("default = allow\ndefault = alert\n") == "test.policy:2:1: error: setting 'default' is already set on line 1")
    }

    @Test func badSettingValues() {
        #expect(onlyError("facility = LOG_NOPE\n").hasPrefix("test.policy:1:12: error: unknown syslog facility 'LOG_NOPE' (expected one of: user, mail, daemon, auth,"))
        #expect(onlyError("default = deny\n") == "test.policy:1:11: error: expected 'allow' or 'alert' for setting 'default', found 'deny'")
        #expect(onlyError("max_programs = 0\n") == "test.policy:1:16: error: expected a number from 1 to 10000000 for setting 'max_programs', found '0'")
        #expect(onlyError("max_programs = lots\n").contains("found 'lots'"))
        #expect(onlyError("queue_size = 8\n") == "test.policy:1:14: error: expected a number from 16 to 1000000 for setting 'queue_size', found '8'")
        #expect(onlyError("local_node = \"a b\"\n") == "test.policy:1:14: error: expected a node name (letters, digits, '_', '-', '.') for setting 'local_node', found 'a b'")
        #expect(onlyError("default_priority = loud\n") == "test.policy:1:20: error: unknown priority 'loud' (expected one of: emerg, alert, crit, err, warning, notice, info, debug)")
        #expect(onlyError("default =\n") == "test.policy:1:10: error: expected a value for setting 'default'")
    }

    @Test func unknownStatement() {
        #expect(onlyError("deny uid=0\n") == "test.policy:1:1: error: expected a setting (NAME = VALUE), a set (%NAME = V1, V2) or a rule ('allow CONDITION…' or 'alert LABEL CONDITION…'), found 'deny'")
    }

    @Test func alertLabels() {
        #expect(onlyError("alert\n") == "test.policy:1:6: error: expected an alert label after 'alert'")
        #expect(onlyError("alert uid=0\n") == "test.policy:1:7: error: expected an alert label after 'alert' (letters, digits, '_', '-', '.'), found 'uid=0'")
        #expect(onlyError("alert \"bad label\" uid=0\n").contains("found '\"bad label\"'"))
    }

    @Test func priorities() {
        #expect(onlyError("alert x uid=0 priority=loud\n") == "test.policy:1:24: error: unknown priority 'loud' (expected one of: emerg, alert, crit, err, warning, notice, info, debug)")
        #expect(onlyError("allow uid=0 priority=crit\n") == "test.policy:1:13: error: 'priority=' applies to alert rules only")
        #expect(onlyError("alert x priority=crit uid=0 priority=info\n") == "test.policy:1:29: error: the rule already has a priority")
    }

    @Test func operatorsOnTheWrongKindOfField() {
        #expect(onlyError("alert x exe<3\n") == "test.policy:1:12: error: operator '<' compares numbers; 'exe' is a string field (use = or !=)")
        #expect(onlyError("alert x op>=load\n").contains("'op' is a load/unload field"))
        #expect(onlyError("alert x uid<1000-2000\n") == "test.policy:1:13: error: operator '<' needs a single value, not the range '1000-2000'")
        #expect(onlyError("alert x uid<?\n") == "test.policy:1:13: error: '?' (unknown) can only be tested with = or !=")
        #expect(onlyError("alert x uid=10*\n") == "test.policy:1:13: error: '*' globs apply to string fields only; 'uid' is not one")
    }

    @Test func badValues() {
        #expect(onlyError("alert x op=start\n") == "test.policy:1:12: error: expected 'load', 'unload', 'persist' or 'unseen' for 'op', found 'start'")
        #expect(onlyError("alert x pid=12ab\n") == "test.policy:1:13: error: expected a number or a range such as 100-199 for 'pid', found '12ab'")
        #expect(onlyError("alert x pid=99999999999\n").contains("found '99999999999'"))
        #expect(onlyError("alert x lifetime<1 \n") == "test.policy:1:18: error: expected a duration such as 250ms, 2s or 5m (or a range such as 1s-5m) for 'lifetime', found '1'")
        #expect(onlyError("alert x lifetime<2w\n").contains("found '2w'"))
        #expect(onlyError("alert x uid=mallory\n") == "test.policy:1:13: error: unknown user 'mallory' for 'uid' (not a number and not in the password database)")
        #expect(onlyError("alert x gid=wheel\n") == "test.policy:1:13: error: unknown group 'wheel' for 'gid' (not a number and not in the group database)")
        #expect(onlyError("alert x uid=unset\n") == "test.policy:1:13: error: 'unset' applies to auid and ses only")
        #expect(onlyError("alert x ses=root\n") == "test.policy:1:13: error: expected a number, a range such as 1-100, or 'unset' for 'ses', found 'root'")
        #expect(onlyError("alert x uid=2000-1000\n") == "test.policy:1:13: error: range '2000-1000' is empty: its start is greater than its end")
    }

    @Test func stringsAndEscapes() {
        #expect(onlyError("alert x exe=\"/tmp/a b\n") == "test.policy:1:13: error: unterminated string: a '\"' opened here is not closed on this line")
        #expect(onlyError("alert x exe=/tmp/\\q\n") == "test.policy:1:18: error: unknown escape '\\q' (use \\\\, \\\", \\* or \\xHH)")
        #expect(onlyError("alert x exe=/tmp/\\xZ1\n") == "test.policy:1:18: error: \\x must be followed by two hexadecimal digits")
    }

    @Test func sets() {
        #expect(onlyError("alert x exe=%missing\n") == "test.policy:1:13: error: undefined set '%missing' (no sets are defined)")
        #expect(onlyError("%a = 1\nalert x uid=%b\n") == "test.policy:2:13: error: undefined set '%b' (defined sets: %a)")
        #expect(onlyError("%a = 1\nalert x uid<%a\n") == "test.policy:2:12: error: a set can only be tested with = (is a member) or != (is not a member), not '<'")
        #expect(onlyError("%a = 1\n%a = 2\nalert x uid=%a\n") == "test.policy:2:1: error: set '%a' is already defined on line 1")
        #expect(onlyError("%a =\n") == "test.policy:1:5: error: set '%a' has no members")
        #expect(onlyError("%a = 1,,2\nalert x uid=%a\n") == "test.policy:1:8: error: empty member in set '%a'")
        #expect(onlyError("%a = 1,\n") == "test.policy:1:7: error: the set ends with a comma but no member follows")
        #expect(onlyError("% = 1\n") == "test.policy:1:1: error: expected a set name after '%' (letters, digits, '_', '-', '.'), found '%'")
        #expect(onlyError("%a 1, 2\n") == "test.policy:1:1: error: expected '=' after the set name: %NAME = V1, V2, …")
    }

    @Test func setMembersAreCheckedWhereTheSetIsUsed() {
        // The member is reported at its own place, with the use that needs it.
        let message = onlyError("%ids = 0,\n   1000, bogus\nalert x uid!=%ids\n")
        #expect(message == "test.policy:2:10: error: unknown user 'bogus' for 'uid' (not a number and not in the password database) (member of set '%ids', used with 'uid' on line 3)")
    }

    @Test func everyErrorInTheFileIsReported() {
        let result = parse("""
        facility = nowhere
        allow op=load bogus=1
        alert x uid<abc priority=loud
        garbage
        %s = /a,
        """)
        #expect(result.policy == nil)
        #expect(result.errors.map { "\($0.line):\($0.column)" } == ["1:12", "2:15", "3:13", "3:26", "4:1", "5:8"])
    }

    @Test func errorsUseThePathGiven() {
        let result = PolicyParser.parse("alert x bogus=1\n", path: "/etc/audit/bpfguard.policy", resolver: TableResolver())
        #expect(result.errors.first?.description.hasPrefix("/etc/audit/bpfguard.policy:1:9: error: unknown field 'bogus'") == true)
    }

    @Test func warnings() {
        let result = parse("%unused = 1\nallow\nalert x uid=0\n")
        #expect(result.policy != nil, "warnings do not reject a policy")
        #expect(result.warnings.map(\.description) == [
            "test.policy:1:1: warning: set '%unused' is defined but never used",
            "test.policy:3:1: warning: rule is never reached: the rule on line 2 has no condition and matches every event",
        ])
    }
}

/// Policies that used to pass silently or cost without bound (issue 8, section 5).
@Suite struct PolicyHardeningTests {
    @Test func aCROnlyPolicyAndAPolicyWithoutRulesAreWarnedAbout() {
        let result = parse("# policy\ralert x op=load\r")
        #expect(result.policy?.rules.isEmpty == true)
        #expect(result.warnings.map(\.description) == [
            "test.policy:1:1: warning: the file's lines end in CR only (old Mac style): it is read as one line; convert it to LF line endings",
            "test.policy:1:1: warning: the policy has no rules: every event gets the default (allow), and nothing is detected unless default = alert",
        ])
        #expect(parse("alert x op=load\r\n").warnings.isEmpty, "CRLF files are fine")
    }

    @Test func aLargeSetUsedByManyRulesIsCompiledOnceAndShared() throws {
        let members = (0..<5000).map { "/opt/vendor\($0)/bin/agent" }.joined(separator: ",\n  ")
        let rules = (0..<200).map { "allow op=load exe=%big uid=\($0)" }.joined(separator: "\n")
        let policy = try compiledPolicy("%big = \(members), /usr/lib/*/agent\n\(rules)\nalert other op=load\n")
        var sets: [ObjectIdentifier] = []
        for rule in policy.rules {
            for condition in rule.conditions { if case .set(let set) = condition.pattern { sets.append(ObjectIdentifier(set)) } }
        }
        #expect(sets.count == 200)
        #expect(Set(sets).count == 1, "one compiled set shared by every rule")
        let member = RuleSubject(event: load(1, by: process(uid: 150, exe: "/opt/vendor4321/bin/agent")), loader: process(uid: 150, exe: "/opt/vendor4321/bin/agent"))
        #expect(decide(policy, member) == nil)
        let globbed = RuleSubject(event: load(1), loader: process(uid: 3, exe: "/usr/lib/x86/agent"))
        #expect(decide(policy, globbed) == nil, "glob members still match")
        let other = RuleSubject(event: load(1), loader: process(uid: 3, exe: "/opt/vendor/bin/agent"))
        #expect(decide(policy, other) == "other")
    }

    @Test func aSetFailingForAFieldIsReportedOnce() {
        let result = parse("%s = abc, 12\nalert a op=load uid=%s\nalert b op=load uid=%s\n")
        #expect(result.errors.count == 1, "\(result.errors.map(\.description))")
    }
}
