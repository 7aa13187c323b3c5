import Testing

/// The built executable's command line: exit codes, --check, --version, --help.
@Suite struct CommandLineTests {
    static let validPolicy = """
    %loaders = /usr/lib/systemd/systemd, /usr/sbin/bpftool
    allow                   op=load uid=0 exe=%loaders
    alert unexpected-uid    op=load uid!=0               priority=crit
    alert unknown-exe       op=load exe!=%loaders
    alert short-lived       op=unload lifetime<1s        priority=notice
    """

    @Test func version() {
        let run = ChildProcess.run([Paths.plugin, "--version"])
        #expect(run.exitStatus == 0)
        #expect(run.stdoutText.hasPrefix("audisp-bpfguard "))
        let versionText = run.stdoutText.dropFirst("audisp-bpfguard ".count).trimmingSuffix()
        #expect(versionText.split(separator: ".").count == 3, "a semantic version, got '\(versionText)'")
    }

    @Test func help() {
        let run = ChildProcess.run([Paths.plugin, "--help"])
        #expect(run.exitStatus == 0)
        for option in ["--policy", "--output", "--replay", "--check", "--version"] {
            #expect(run.stdoutText.contains(option))
        }
    }

    @Test(arguments: [
        (["--bogus"], "unknown option '--bogus'"),
        (["--output", "xml"], "unknown output 'xml' (expected syslog, stdout, json or ecs)"),
        (["--replay"], "option '--replay' needs at least one file ('-' for standard input)"),
        (["--policy"], "option '--policy' needs a value"),
        (["--check", "--replay", "x.log"], "--check and --replay cannot be used together"),
        (["stray"], "unexpected argument 'stray' (audit logs to replay go after --replay)"),
        (["--check=yes"], "option '--check' takes no value"),
    ])
    func usageErrorsExit2(arguments: [String], message: String) {
        let run = ChildProcess.run([Paths.plugin] + arguments)
        #expect(run.exitStatus == 2)
        #expect(run.stderrText == "audisp-bpfguard: error: \(message)\nTry 'audisp-bpfguard --help'.\n")
        #expect(run.stdout.isEmpty)
    }

    @Test func checkValidPolicy() {
        let path = temporaryFile(Self.validPolicy)
        let run = ChildProcess.run([Paths.plugin, "--check", "--policy", path])
        #expect(run.exitStatus == 0)
        #expect(run.stdoutText == "\(path): OK: 4 rules (1 allow, 3 alert), 1 sets, default=allow, facility=authpriv, max_programs=65536, fold_window=60s, fold_burst=5, fold_by=label,node,exe,prog-type, max_alerts_per_minute=600, scan_interval=10s\n")
        #expect(run.stderr.isEmpty)
    }

    @Test func checkReportsEveryErrorAndExits1() {
        let path = temporaryFile("allow op=load exe_path=/x\nalert bad uid<abc\nfacility = nowhere\n")
        let run = ChildProcess.run([Paths.plugin, "--check", "--policy=\(path)"])
        #expect(run.exitStatus == 1)
        #expect(run.stdout.isEmpty)
        let lines = run.stderrText.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("\(path):1:15: error: unknown field 'exe_path' (known fields: "))
        #expect(lines[1] == "\(path):2:15: error: unknown user 'abc' for 'uid' (not a number and not in the password database)")
        #expect(lines[2].hasPrefix("\(path):3:12: error: unknown syslog facility 'nowhere'"))
    }

    @Test func checkPrintsWarningsButPasses() {
        let path = temporaryFile("%unused = 1\nallow\n")
        let run = ChildProcess.run([Paths.plugin, "--check", "--policy", path])
        #expect(run.exitStatus == 0)
        #expect(run.stderrText == "\(path):1:1: warning: set '%unused' is defined but never used\n")
    }

    @Test func missingPolicyFile() {
        let run = ChildProcess.run([Paths.plugin, "--check", "--policy", "/nonexistent/bpfguard.policy"])
        #expect(run.exitStatus == 1)
        #expect(run.stderrText == "/nonexistent/bpfguard.policy:1:1: error: cannot read the policy: open: No such file or directory\n")
    }

    @Test func invalidPolicyStopsPluginModeWithExit1() {
        let path = temporaryFile("alert x bogus=1\n")
        let run = ChildProcess.run([Paths.plugin, "--policy", path], stdin: "")
        #expect(run.exitStatus == 1)
        #expect(run.stderrText.contains("\(path):1:9: error: unknown field 'bogus'"))
    }

    @Test func worksWithAnEmptyEnvironment() {
        // auditd starts plugins with an empty environment.
        let path = temporaryFile(Self.validPolicy)
        let check = ChildProcess.run([Paths.plugin, "--check", "--policy", path], environment: [])
        #expect(check.exitStatus == 0)
        let record = "type=BPF msg=audit(1700000000.000:1): prog-id=5 op=LOAD\n"
        let replay = ChildProcess.run([Paths.plugin, "--policy", path, "--replay", "-"], stdin: record, environment: [])
        #expect(replay.exitStatus == 0)
        #expect(replay.policyAlertLines.first?.hasPrefix("alert=unexpected-uid priority=crit op=LOAD prog-id=5 uid=? ") == true, "\(replay.stdoutText)")
    }
}

extension Substring {
    func trimmingSuffix() -> Substring {
        var text = self
        while text.last == "\n" || text.last == " " { text.removeLast() }
        return text
    }
}
