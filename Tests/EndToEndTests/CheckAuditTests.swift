import Glibc
import Testing

/// `--check-audit` against the real kernel: rules are added with auditctl and removed again
/// (the kernel's rules, enabled flag and backlog limit are restored afterwards).
@Suite(.serialized) struct CheckAuditTests {
    static let auditctlPath: String? = ["/usr/sbin/auditctl", "/sbin/auditctl"].first { path in access(path, X_OK) == 0 }
    /// Why the live test cannot run here, or nil.
    static let unusableReason: String? = {
        guard getuid() == 0 else { return "not root (auditctl needs root)" }
        guard let path = auditctlPath else { return "auditctl not installed (apt-get install auditd)" }
        guard ChildProcess.run([path, "-s"]).exitStatus == 0 else { return "the kernel has no audit support" }
        return nil
    }()
    static let usable: Bool = {
        if let reason = unusableReason { print("CheckAuditTests skipped: \(reason)") }
        return unusableReason == nil
    }()

    func auditctl(_ arguments: String...) -> ChildProcess { ChildProcess.run([Self.auditctlPath!] + arguments) }

    func status(_ key: String) -> String? {
        auditctl("-s").stdoutLines.first { $0.hasPrefix(key + " ") }.map { String($0.dropFirst(key.count + 1)) }
    }

    /// Runs `body` on a kernel without audit rules, and puts the rules (none), the enabled
    /// flag and the backlog limit back afterwards.
    func withKernelAuditConfiguration(_ body: () throws -> Void) throws {
        let rulesBefore = auditctl("-l").stdoutText
        try #require(rulesBefore.hasPrefix("No rules"), "the kernel already has audit rules; not touching them: \(rulesBefore)")
        let enabled = status("enabled") ?? "0", backlog = status("backlog_limit") ?? "64"
        defer {
            _ = auditctl("-D")
            _ = auditctl("-b", backlog)
            _ = auditctl("-e", enabled)
        }
        try body()
    }

    @Test(.enabled(if: CheckAuditTests.usable, "\(CheckAuditTests.unusableReason ?? "")")) func aBlindingConfigurationFailsAndAGoodOnePasses() throws {
        try withKernelAuditConfiguration {
        #expect(auditctl("-e", "1").exitStatus == 0)
        #expect(auditctl("-b", "8192").exitStatus == 0)
        #expect(auditctl("-a", "always,exit", "-F", "arch=b64", "-S", "bpf", "-F", "a0=5", "-F", "success=0", "-k", "bpf-load-failed").exitStatus == 0)
        let good = ChildProcess.run([Paths.plugin, "--check-audit"])
        #expect(!good.stdoutText.contains("audit: error:"), "\(good.stdoutText)")
        #expect(good.stdoutText.contains("audit: 1 rules, enabled 1, backlog limit 8192: nothing hides BPF loads from the plugin"))
        #expect(good.exitStatus == 0)

        #expect(auditctl("-a", "never,task").exitStatus == 0)
        #expect(auditctl("-a", "exclude,always", "-F", "msgtype=BPF").exitStatus == 0)
        #expect(auditctl("-a", "never,exit", "-F", "arch=b64", "-S", "bpf").exitStatus == 0)
        let bad = ChildProcess.run([Paths.plugin, "--check-audit"])
        #expect(bad.exitStatus == 1)
        #expect(bad.stdoutLines.contains("audit: error: rule '-a never,task': tasks get no audit context, so BPF records come without their SYSCALL record and every loader is unknown; remove it (many distributions ship it: see audisp-bpfguard(8), PROCESS CONTEXT)"))
        #expect(bad.stdoutText.contains("audit: error: rule '-a always,exclude -F msgtype=BPF': the exclude list drops BPF records (type 1334)"))
        #expect(bad.stdoutText.contains("audit: error: rule '-a never,exit -S bpf -F arch=c000003e': a never rule on the exit list covers bpf(2)"))
        #expect(bad.stdoutText.contains("3 problems hide BPF loads or their loaders"))

        #expect(auditctl("-e", "0").exitStatus == 0)
        let disabled = ChildProcess.run([Paths.plugin, "--check-audit"])
        #expect(disabled.stdoutText.contains("audit: error: audit is disabled"))
        #expect(disabled.exitStatus == 1)
        }
    }

    @Test(.enabled(if: CheckAuditTests.usable, "\(CheckAuditTests.unusableReason ?? "")")) func theShippedRulesFileLoadsAndBlindsNothing() throws {
        try withKernelAuditConfiguration {
        #expect(auditctl("-e", "1").exitStatus == 0)
        let load = auditctl("-R", Paths.repository + "/Packaging/audit-rules/bpfguard.rules")
        #expect(load.exitStatus == 0, "\(load.stderrText)")
        #expect(auditctl("-l").stdoutLines.count == 4, "the four active rules")
        let check = ChildProcess.run([Paths.plugin, "--check-audit"])
        #expect(check.exitStatus == 0, "\(check.stdoutText)")
        #expect(check.stdoutText.contains("audit: 4 rules, enabled 1, backlog limit 8192: nothing hides BPF loads from the plugin"))
        }
    }

    @Test func aUserWithoutPrivilegesGetsAClearError() throws {
        guard getuid() == 0 else { print("skipped: needs root to drop to nobody"); return }
        let run = ChildProcess.run(["/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", Paths.plugin, "--check-audit"])
        #expect(run.exitStatus == 3)
        #expect(run.stderrText.hasPrefix("audisp-bpfguard: error: "))
    }
}
