import Testing

/// `--replay` of the logs captured on a real auditd with real BPF loads, and of the hand-made
/// variants this kernel cannot produce (Tests/Fixtures/README.md says how each was made).
@Suite struct FixtureReplayTests {
    static let defaultPolicy = Paths.repository + "/Packaging/bpfguard.policy"

    func replay(_ fixtures: [String], policy: String? = nil, _ extra: [String] = []) -> ChildProcess {
        let policyPath = policy.map { temporaryFile($0) } ?? Self.defaultPolicy
        let run = ChildProcess.run([Paths.plugin, "--policy", policyPath] + extra + ["--replay"] + fixtures.map(Paths.fixture))
        #expect(run.exitStatus == 0, "replay failed: \(run.stderrText)")
        return run
    }

    func replay(_ fixture: String, policy: String? = nil, _ extra: [String] = []) -> ChildProcess {
        replay([fixture], policy: policy, extra)
    }

    static let allFixtures = [
        "captured/root-known-loader.log", "captured/root-unknown-path.log", "captured/root-unknown-path.audit-log",
        "captured/unprivileged-capbpf.log", "captured/pinned.log", "captured/space-in-path.log", "captured/deleted-exe.log",
        "captured/program-types.log", "captured/raw-format.log", "captured/node-prefix.log", "captured/killed-loader.log",
        "captured/daemon-hup.log", "captured/daemon-hup.audit-log", "captured/with-bpf-rule.log", "captured/busy-sample.log",
        "captured/system-path.log", "captured/audit-config-changes.log",
        "handmade/aarch64-runc.log", "handmade/event-field-never-shipped.log", "handmade/standalone-no-syscall.log",
        "handmade/two-nodes-same-prog-ids.log", "handmade/unknown-1334.log", "handmade/unload-in-close-syscall.log",
        "handmade/unload-prog-id-0.log", "handmade/later-new-loader.log",
    ]

    @Test(arguments: allFixtures)
    func preFilterChangesNoAlert(fixture: String) {
        // Every event alerts under this policy, so every BPF event is compared.
        let everything = "alert load op=load\nalert unload op=unload\n"
        for policy in [nil, everything] {
            let filtered = replay(fixture, policy: policy)
            let unfiltered = replay(fixture, policy: policy, ["--no-prefilter"])
            #expect(filtered.stdoutText == unfiltered.stdoutText)
            #expect(!filtered.stdoutText.isEmpty || policy == nil)
        }
        let json = replay(fixture, policy: everything, ["--output", "json"])
        let jsonUnfiltered = replay(fixture, policy: everything, ["--output", "json", "--no-prefilter"])
        #expect(json.stdoutText == jsonUnfiltered.stdoutText)
        #expect(json.stderrText.contains("malformed=0 "), "\(fixture): \(json.stderrText)")
    }

    @Test func bpftoolFeatureProbeChurnWithoutFactsIsFlaggedAndFolded() {
        // Replayed without lookups bpftool's bytes are not verified, and the default policy
        // trusts no path alone (live, with its package's bytes, the probe is silent:
        // DefaultPolicyTests, Tests/System/tools.sh). 766 alerts, folded into 12 lines.
        let run = replay("captured/root-known-loader.log")
        #expect(Set(run.alerts.map { $0["alert"]! }) == ["bpftool-load", "short-lived"], "\(run.stdoutLines.prefix(3))")
        #expect(run.alerts.count == 12)
        #expect(run.alerts.map(\.represented).reduce(0, +) == 766, "every load and unload accounted for")
        #expect(run.allAlerts.filter { $0["rule"] == "builtin" }.map { $0["alert"] } == ["audit-disabled"], "auditd's stop at the end of the capture")
        #expect(run.stderrText.contains(" bpf_events=766 loads=383 unloads=383 unmatched_unloads=0 alerts=766 "))
        // With a policy that does not exempt it, every probe is a short-lived program: 383
        // alerts within a second, folded into the first five and one summary for the rest.
        let strict = replay("captured/root-known-loader.log", policy: "alert short-lived op=unload lifetime<1s\n")
        #expect(strict.alerts.count == 6)
        #expect(strict.alerts.map(\.represented) == [1, 1, 1, 1, 1, 378])
        #expect(strict.alerts.allSatisfy { $0["exe"] == "/usr/sbin/bpftool" && $0["uid"] == "0" })
        #expect(strict.stderrText.contains(" alerts_raised=384 alerts_sent=6 alerts_folded=378 alerts_capped=0"), "the probes' 383 and auditd's stop")
        let unfolded = replay("captured/root-known-loader.log", policy: "fold_window = 0\nalert short-lived op=unload lifetime<1s\n")
        #expect(unfolded.alerts.count == 383)
    }

    @Test func rootFromAnUnknownPath() {
        for fixture in ["captured/root-unknown-path.log", "captured/root-unknown-path.audit-log"] {
            let alerts = replay(fixture).alerts
            #expect(alerts.map { "\($0["alert"]!) \($0["op"]!) \($0["prog-id"]!) \($0["lifetime"] ?? "-")" } == [
                "writable-dir-exe LOAD 2164 -", "short-lived UNLOAD 2164 100ms", "writable-dir-exe LOAD 2165 -",
            ], "\(fixture): the 2.5 s program is not short-lived")
            #expect(alerts.first?.keys == ["alert", "priority", "op", "prog-id", "uid", "auid", "euid", "pid", "ppid", "comm", "exe", "cmdline", "event", "rule"])
            #expect(alerts.first?["cmdline"] == "/tmp/bpfguard-capture/bpfload --name short_lived --hold 100", "from the PROCTITLE record")
            #expect(alerts.first?["exe"] == "/tmp/bpfguard-capture/bpfload")
            #expect(alerts.first?["priority"] == "crit")
            #expect(alerts.first?["auid"] == "unset")
        }
        // The same logs under a policy that knows no writable-directory rule.
        let alerts = replay("captured/root-unknown-path.log", policy: PluginModeTests.policy).alerts
        #expect(alerts.map { $0["alert"]! } == ["unknown-exe", "short-lived", "unknown-exe"])
        #expect(alerts.map { $0["rule"]! } == ["4", "5", "4"])
    }

    @Test func loaderOutsideTheAllowlist() {
        let alerts = replay("captured/system-path.log").alerts
        #expect(alerts.map { "\($0["alert"]!) \($0["op"]!) \($0["prog-id"]!)" } == [
            "unknown-exe LOAD 9505", "unknown-exe LOAD 9506", "unknown-exe LOAD 9507", "short-lived UNLOAD 9507",
        ])
        #expect(alerts.allSatisfy { $0["exe"] == "/usr/local/libexec/bpfguard-capture/netmon" && $0["priority"] != "crit" })
        #expect(alerts.last?["lifetime"] == "200ms")
    }

    @Test func unprivilegedUserWithCapBPF() {
        let alerts = replay("captured/unprivileged-capbpf.log").alerts
        #expect(alerts.count == 1)
        #expect(alerts.first?["alert"] == "unexpected-uid")
        #expect(alerts.first?["priority"] == "crit")
        #expect(alerts.first?["uid"] == "65534")
        #expect(alerts.first?["euid"] == "65534")
        let byName = replay("captured/unprivileged-capbpf.log", policy: "alert nobody op=load uid=nobody euid=nobody gid=nogroup\n").alerts
        #expect(byName.count == 1, "user and group names resolve when the policy is loaded")
    }

    @Test func pinnedProgramRemovedByRm() {
        let alerts = replay("captured/pinned.log", policy: "alert rm-unload op=unload unloader-exe=/usr/bin/rm unloader-comm=rm unloader-uid=root lifetime>1s\n").alerts
        #expect(alerts.count == 1)
        #expect(alerts.first?["prog-id"] == "2167")
        #expect(alerts.first?["exe"] == "/tmp/bpfguard-capture/bpfload", "loader fields are those of the LOAD")
    }

    @Test func hexEncodedPathWithSpaces() {
        let alerts = replay("captured/space-in-path.log").alerts
        #expect(alerts.map { $0["alert"]! } == ["writable-dir-exe", "short-lived"])
        #expect(alerts.allSatisfy { $0["exe"] == "/tmp/bpfguard capture/load er" && $0["comm"] == "load er" })
        let quoted = replay("captured/space-in-path.log", policy: "alert spaced op=load exe=\"/tmp/bpfguard capture/load er\"\n").alerts
        #expect(quoted.count == 1)
    }

    @Test func deletedExecutables() {
        let alerts = replay("captured/deleted-exe.log").alerts
        #expect(alerts.map { "\($0["alert"]!) \($0["prog-id"]!)" } == ["writable-dir-exe 2169", "deleted-exe 2170", "short-lived 2170"])
        #expect(alerts[1]["exe"] == "/tmp/bpfguard-capture/vanish2 (deleted)")
        let unloads = replay("captured/deleted-exe.log", policy: "alert unloaded-by-deleted op=unload unloader-exe=\"* (deleted)\"\n").alerts
        #expect(unloads.map { $0["prog-id"]! } == ["2169", "2170"])
    }

    @Test func rawFormatGivesTheSameFields() {
        let alerts = replay("captured/raw-format.log").alerts
        #expect(alerts.map { "\($0["alert"]!) \($0["lifetime"] ?? "-")" } == ["writable-dir-exe -", "short-lived 100ms"])
        #expect(alerts.first?["comm"] == "bpfload")
    }

    @Test func nodePrefix() {
        let alerts = replay("captured/node-prefix.log").alerts
        #expect(alerts.count == 2)
        #expect(alerts.allSatisfy { $0["node"] == "sensor-a" })
        #expect(alerts.first?.keys.prefix(5) == ["alert", "priority", "op", "prog-id", "node"])
        #expect(replay("captured/node-prefix.log", policy: "alert a node=sensor-b\n").alerts.isEmpty)
    }

    @Test func killedLoaderGivesStandaloneUnloads() {
        let alerts = replay("captured/killed-loader.log", policy: "alert gone op=unload unloader-exe=? unloader-pid=?\n").alerts
        #expect(alerts.map { $0["prog-id"]! } == ["2177", "2178"])
        #expect(alerts.allSatisfy { $0["exe"] == "/tmp/bpfguard-capture/bpfload" && $0["lifetime"] == "500ms" },
                "a standalone UNLOAD still gets the loader and lifetime recorded at LOAD")
    }

    @Test func auditRuleKey() {
        let alerts = replay("captured/with-bpf-rule.log", policy: "alert keyed op=load key=bpf-load syscall=bpf\n").alerts
        #expect(alerts.map { $0["prog-id"]! } == ["2181", "2182"])
    }

    @Test func busySample() {
        let run = replay("captured/busy-sample.log", policy: "alert any op=load auid=0 ses=2\n")
        #expect(run.alerts.map { $0["prog-id"]! } == ["2183", "2184", "2185", "2186", "2187", "2188"])
        #expect(run.stderrText.contains("records=26962 "))
        #expect(run.stderrText.contains(" bpf_events=12 loads=6 unloads=6 unmatched_unloads=0 "))
    }

    @Test func progIDZeroUnloadsAreNeverMatched() {
        let alerts = replay("handmade/unload-prog-id-0.log", policy: "alert gone op=unload\n").alerts
        #expect(alerts.map { $0["prog-id"]! } == ["0", "0"])
        #expect(alerts.allSatisfy { $0["lifetime"] == "?" && $0["exe"] == "?" })
    }

    @Test func twoNodesWithTheSameProgramIDs() {
        let alerts = replay("handmade/two-nodes-same-prog-ids.log", policy: "alert gone op=unload\n").alerts
        let summary = alerts.map { "\($0["node"]!) \($0["prog-id"]!) \($0["exe"]!) \($0["lifetime"]!)" }
        #expect(summary == [
            "work 49 /usr/lib/systemd/systemd 4ms",
            "homeassistant 50 /usr/bin/runc 0ms",
            "homeassistant 49 ? ?",
            "work 50 /usr/lib/systemd/systemd 4ms",
        ])
    }

    @Test func unknown1334RecordType() {
        let alerts = replay("handmade/unknown-1334.log").alerts
        #expect(alerts.map { "\($0["alert"]!) \($0["uid"]!) \($0["lifetime"] ?? "-")" } == ["unexpected-uid 1001 -", "short-lived 1001 0ms"])
    }

    @Test func standaloneRecordsFailClosed() {
        let alerts = replay("handmade/standalone-no-syscall.log").alerts
        #expect(alerts.map(\.represented).reduce(0, +) == 8, "folded or not, every alert is accounted for")
        #expect(alerts.allSatisfy { $0["alert"] == "unexpected-uid" && $0["uid"] == "?" && $0["exe"] == "?" && $0["op"] == "LOAD" })
    }

    @Test func aarch64RuncLoads() {
        let alerts = replay("handmade/aarch64-runc.log").alerts
        #expect(alerts.map { "\($0["alert"]!) \($0["prog-id"]!)" } == ["unexpected-uid 80", "unknown-exe 81", "unknown-exe 82"],
                "runc by its path alone is not trusted (no lookups, no package check); the context-less load fails closed")
        let verified = replay("handmade/aarch64-runc.log", policy: "allow op=load exe=/usr/bin/runc\nalert other op=load\n").alerts
        #expect(verified.map { $0["prog-id"]! } == ["80"], "aarch64 records give runc's exe")
    }

    @Test func severalFilesInOneReplayShareTheProgramTable() {
        // Loads in one file, unloads in the next: lifetimes still come out.
        let run = replay(["captured/root-unknown-path.log", "captured/unprivileged-capbpf.log"], policy: "alert gone op=unload lifetime>=1s\n")
        #expect(run.alerts.map { $0["prog-id"]! } == ["2165", "2166"])
    }

    @Test func unreadableFileIsReportedAndTheRestIsReplayed() {
        let run = ChildProcess.run([Paths.plugin, "--policy", Self.defaultPolicy, "--replay", "/nonexistent.log", Paths.fixture("captured/unprivileged-capbpf.log")])
        #expect(run.exitStatus == 1)
        #expect(run.stderrText.contains("/nonexistent.log: cannot open: open: No such file or directory"))
        #expect(run.alerts.count == 1)
    }

    /// Changes to audit itself raise built-in alerts (issue 12): the capture's rules added and
    /// removed, audit disabled, and auditd stopping.
    @Test func changesToAuditItselfAreAlerted() {
        let run = replay("captured/audit-config-changes.log")
        let builtin = run.stdoutLines.filter { $0.hasSuffix(" rule=builtin") }
        #expect(builtin.map { $0.split(separator: " ")[0] } == [
            "alert=audit-rules-changed", "alert=audit-rules-changed", "alert=audit-rules-changed", "alert=audit-rules-changed",
            "alert=audit-rules-changed", "alert=audit-disabled", "alert=audit-rules-changed", "alert=audit-disabled",
        ], "\(builtin)")
        #expect(builtin.contains { $0.hasPrefix("alert=audit-disabled priority=crit change=\"audit_enabled=0 old=1: ") && $0.contains(" exe=\"/usr/sbin/auditctl\" ") })
        #expect(builtin.last?.contains("auditd is stopping (terminate)") == true)
        #expect(builtin.first?.contains(" exe=\"/usr/sbin/auditctl\" cmdline=") == false, "built-in alerts name the process, not every loader key")

        // In input order: the capture's load and unload (prog-id 199) come between the sixth
        // and the seventh change (events are handled after libauparse's run over a chunk, and
        // a change waits for the events before it).
        let order = run.stdoutLines.map { $0.split(separator: " ")[0] }
        let firstProgramAlert = order.firstIndex { $0 == "alert=writable-dir-exe" }
        #expect(firstProgramAlert == 6 && order[7] == "alert=short-lived" && order[8] == "alert=audit-rules-changed", "\(order)")
    }

    @Test func loadsWithoutContextAreSaidOnce() {
        let run = replay("handmade/standalone-no-syscall.log")
        #expect(run.stdoutLines.filter { $0.hasPrefix("alert=no-audit-context ") }.count == 2, "\(run.stdoutText)")
    }
}
