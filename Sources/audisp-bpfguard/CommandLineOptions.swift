/// Where alerts go.
enum OutputMode: String {
    case syslog, stdout, json, ecs
}

/// What the command line asks for.
struct CommandLineOptions {
    static let defaultPolicyPath = "/etc/audit/bpfguard.policy"

    enum Action: Equatable {
        /// Plugin mode: audit records on stdin until EOF or SIGTERM.
        case plugin
        /// Saved audit logs (`-` is stdin), then exit.
        case replay([String])
        /// Learning mode: a policy from saved audit logs on standard output.
        case generatePolicy([String])
        case check
        /// `--check-audit`: what in the kernel's audit configuration would blind the plugin.
        case checkAudit
        case version
        case help
    }

    var action: Action = .plugin
    var policyPath = defaultPolicyPath
    /// nil: the mode's default (syslog for plugin mode, stdout otherwise).
    var output: OutputMode?
    /// false with --no-prefilter: every record goes through libauparse.
    var prefilter = true
    /// Kernel lookups by prog-id: nil is the mode's default (on in plugin mode, off with
    /// --replay, since the programs of a past log are gone).
    var lookup: Bool?

    var effectiveLookup: Bool {
        if let lookup { return lookup }
        if case .plugin = action { return true }
        return false
    }

    /// Where SIGUSR1 writes the state report.
    var stateFilePath = StateReport.defaultPath
    /// The known-programs state file (plugin mode with lookups): read at start-up, written
    /// within a second of a change and at exit.
    var knownProgramsPath = KnownProgramsStore.defaultPath

    /// `--generate-policy`: loads and UTC days a group needs to be proposed uncommented.
    var minCount: UInt64 = 3
    var minDays = 1

    var effectiveOutput: OutputMode {
        if let output { return output }
        if case .plugin = action { return .syslog }
        return .stdout
    }

    struct UsageError: Error {
        var message: String
    }

    static func parse(_ arguments: [String]) throws(UsageError) -> CommandLineOptions {
        var options = CommandLineOptions()
        var replayFiles: [String]?
        var check = false, checkAudit = false, version = false, help = false, generate = false
        var positional: [String] = []
        var learningOption: String?
        var index = 0
        func value(for option: String, inline: String?) throws(UsageError) -> String {
            if let inline { return inline }
            index += 1
            guard index < arguments.count, !arguments[index].hasPrefix("--") else {
                throw UsageError(message: "option '\(option)' needs a value")
            }
            return arguments[index]
        }
        while index < arguments.count {
            let argument = arguments[index]
            var name = argument
            var inline: String?
            if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inline = String(argument[argument.index(after: equals)...])
            }
            switch name {
            case "--policy":
                options.policyPath = try value(for: name, inline: inline)
                if options.policyPath.isEmpty { throw UsageError(message: "option '--policy' needs a path") }
            case "--output":
                let mode = try value(for: name, inline: inline)
                guard let output = OutputMode(rawValue: mode) else {
                    throw UsageError(message: "unknown output '\(mode)' (expected syslog, stdout, json or ecs)")
                }
                options.output = output
            case "--replay":
                var files: [String] = inline.map { [$0] } ?? []
                while index + 1 < arguments.count, arguments[index + 1] == "-" || !arguments[index + 1].hasPrefix("-") {
                    index += 1
                    files.append(arguments[index])
                }
                guard !files.isEmpty else { throw UsageError(message: "option '--replay' needs at least one file ('-' for standard input)") }
                replayFiles = (replayFiles ?? []) + files
            case "--check": check = true
            case "--check-audit": checkAudit = true
            case "--no-prefilter": options.prefilter = false
            case "--lookup": options.lookup = true
            case "--no-lookup": options.lookup = false
            case "--state-file":
                options.stateFilePath = try value(for: name, inline: inline)
                guard options.stateFilePath.hasPrefix("/") else { throw UsageError(message: "option '--state-file' needs an absolute path") }
            case "--known-programs":
                options.knownProgramsPath = try value(for: name, inline: inline)
                guard options.knownProgramsPath.hasPrefix("/") else { throw UsageError(message: "option '--known-programs' needs an absolute path") }
            case "--generate-policy": generate = true
            case "--min-count", "--min-days":
                let text = try value(for: name, inline: inline)
                guard let number = UInt64(text), number >= 1, number <= (name == "--min-days" ? 4096 : 1_000_000_000) else {
                    throw UsageError(message: "option '\(name)' needs a number from 1 to \(name == "--min-days" ? "4096" : "1000000000")")
                }
                if name == "--min-count" { options.minCount = number } else { options.minDays = Int(number) }
                learningOption = name
            case "--version": version = true
            case "--help", "-h": help = true
            default:
                if argument.hasPrefix("-") && argument != "-" { throw UsageError(message: "unknown option '\(argument)'") }
                positional.append(argument)
            }
            if inline != nil, ["--check", "--check-audit", "--version", "--help", "--no-prefilter", "--lookup", "--no-lookup", "--generate-policy"].contains(name) {
                throw UsageError(message: "option '\(name)' takes no value")
            }
            index += 1
        }
        if help { options.action = .help; return options }
        if version { options.action = .version; return options }
        if generate {
            if check || checkAudit || replayFiles != nil {
                throw UsageError(message: "--generate-policy cannot be used with --\(check ? "check" : checkAudit ? "check-audit" : "replay")")
            }
            if options.output != nil { throw UsageError(message: "--output has no effect with --generate-policy (the policy goes to standard output)") }
            guard !positional.isEmpty else { throw UsageError(message: "--generate-policy needs at least one audit log ('-' for standard input)") }
            options.action = .generatePolicy(positional)
            return options
        }
        if let argument = positional.first {
            throw UsageError(message: "unexpected argument '\(argument)' (audit logs to replay go after --replay)")
        }
        if let learningOption { throw UsageError(message: "\(learningOption) applies to --generate-policy only") }
        if check && replayFiles != nil { throw UsageError(message: "--check and --replay cannot be used together") }
        if checkAudit {
            guard !check, replayFiles == nil, options.output == nil else {
                throw UsageError(message: "--check-audit cannot be used with --check, --replay or --output")
            }
            options.action = .checkAudit
            return options
        }
        if check {
            options.action = .check
            if options.output != nil { throw UsageError(message: "--output has no effect with --check") }
        } else if let replayFiles {
            options.action = .replay(replayFiles)
        }
        return options
    }

    static let usage = """
    Usage: audisp-bpfguard [--policy PATH] [--output syslog|stdout|json|ecs] [--replay FILE…] [--check]
                           [--lookup|--no-lookup] [--state-file PATH] [--known-programs PATH] [--no-prefilter]
           audisp-bpfguard --check-audit
           audisp-bpfguard --generate-policy [--policy BASE] [--min-count N] [--min-days N] [--lookup] FILE…
           audisp-bpfguard --version | --help

    An auditd plugin that raises alerts on suspicious eBPF program loads and unloads, from
    the kernel's BPF audit records (type 1334), by the rules of a policy file.

    Without --replay it is a plugin: auditd feeds it audit records on standard input
    (plugins.d stanza with format = string) and alerts go to syslog.

    Options:
      --policy PATH     policy file (default \(defaultPolicyPath))
      --output MODE     syslog: one message per alert (default in plugin mode);
                        stdout: the same message lines on standard output (default with --replay);
                        json: one JSON object per alert and line on standard output;
                        ecs: one Elastic Common Schema document per alert, as a syslog
                        message in plugin mode, on standard output with --replay
      --replay FILE…    read saved audit logs (as in /var/log/audit/audit.log; '-' is
                        standard input) instead of running as a plugin, then exit
      --check           validate the policy: a one-line summary and exit 0, or the errors
                        on standard error and exit 1
      --check-audit     read the kernel's audit status and rules (root) and report what
                        would hide BPF loads or their loaders from the plugin; exit 0
                        when nothing does, 1 when something does, 3 when they cannot be read
      --generate-policy learning mode: print a policy that allows the loaders the audit logs
                        FILE… show (rotated audit.log.N oldest first), on the base policy
                        of --policy, for review; it installs nothing
      --min-count N     with --generate-policy: groups loaded fewer than N times are
                        proposed commented out (default 3)
      --min-days N      with --generate-policy: groups loaded on fewer than N days (UTC)
                        are proposed commented out (default 1)
      --lookup          look each loaded program up in the kernel by prog-id (type, name,
                        tag, helpers; the loader from /proc when the record has none),
                        and its loader's package, trust and container: the default in
                        plugin mode, off with --replay
      --no-lookup       no kernel lookups (all capabilities are dropped)
      --state-file PATH where SIGUSR1 writes the state report
                        (default \(StateReport.defaultPath))
      --known-programs PATH
                        the programs this run accounts for, written within a second of
                        a change and at exit, and compared with the programs loaded at
                        the next start
                        (plugin mode with lookups; default \(KnownProgramsStore.defaultPath))
      --no-prefilter    give every record to libauparse instead of only the records of
                        BPF events (for comparison: same alerts, more CPU)
      --version         print the version and exit
      --help            print this help and exit

    Signals (plugin mode): SIGHUP re-reads the policy; SIGTERM from auditd, or end of input,
    finishes pending events and exits; SIGUSR1 writes the state report.
    Exit status: 0 success, 1 invalid policy or unreadable input, 2 usage error.
    See audisp-bpfguard(8) and bpfguard.policy(5).
    """
}
