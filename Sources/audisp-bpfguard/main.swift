import BPFGuardCore
import CPluginSupport
import Glibc

/// Entry point: parses the command line, loads the policy and runs the chosen mode.
func runMain() -> Int32 {
    let options: CommandLineOptions
    do {
        options = try CommandLineOptions.parse(Array(CommandLine.arguments.dropFirst()))
    } catch {
        FileIO.printError("audisp-bpfguard: error: \(error.message)\nTry 'audisp-bpfguard --help'.")
        return 2
    }
    switch options.action {
    case .help:
        print(CommandLineOptions.usage)
        return 0
    case .version:
        print("audisp-bpfguard \(bpfguardVersion)")
        return 0
    case .checkAudit:
        return checkAudit()
    case .generatePolicy(let files):
        return GeneratePolicyRunner(files: files, options: options).run()
    case .check, .plugin, .replay:
        break
    }

    let isPlugin = options.action == .plugin
    // Handlers first: until they are installed a SIGHUP (auditd forwards them) kills us.
    let signalsInstalled = !isPlugin || bpfguard_install_signal_handlers(1) == 0
    let signalError = errno
    // Nothing of auditd's but our standard input and outputs (it leaks a pipe into plugins).
    if isPlugin { _ = bpfguard_close_inherited_descriptors() }
    let loaded: (policy: Policy, warnings: [PolicyDiagnostic])
    switch PolicyLoader.load(options.policyPath) {
    case .success(let result):
        loaded = result
    case .failure(let failure):
        for line in failure.lines { FileIO.printError(line) }
        if isPlugin {
            Syslog.open(facility: .authpriv)
            for line in failure.lines { Syslog.send(line, priority: .err, facility: .authpriv) }
            Syslog.send("invalid policy: not started", priority: .err, facility: .authpriv)
        }
        return 1
    }
    for warning in loaded.warnings { FileIO.printError(warning.description) }
    if options.action == .check {
        print("\(options.policyPath): OK: \(loaded.policy.summary)")
        return 0
    }

    let facility = loaded.policy.settings.facility
    let diagnostics = DiagnosticLog(destination: isPlugin ? .syslogAndStandardError : .standardError, facility: facility)
    let output: AlertOutput
    var queue: OutputQueue?
    var diagnosticQueue: OutputQueue?
    let ecsContext = ECSContext(hostName: HostName.current(), policyPath: options.policyPath)
    // Capabilities are per thread: drop them before any thread starts (the writers, the
    // reloader, loader recovery), keeping only what kernel lookups and the start-up
    // inventory need.
    let privilegeProblem = isPlugin ? Privileges.drop(keeping: options.effectiveLookup ? Privileges.lookupCapabilities : []) : nil
    if isPlugin {
        let outputQueue = OutputQueue(capacity: loaded.policy.settings.queueSize, reportFacility: facility)
        guard outputQueue.start() else {
            diagnostics.log(.err, "cannot start the output thread: \(String(cString: strerror(errno)))")
            return 1
        }
        queue = outputQueue
        let (rendering, toSyslog): (AlertRendering, Bool) = switch options.effectiveOutput {
        case .syslog: (.text, true)
        case .stdout: (.text, false)
        case .json: (.json, false)
        case .ecs: (.ecs(ecsContext), true)
        }
        output = QueuedAlertOutput(queue: outputQueue, rendering: rendering, toSyslog: toSyslog, facility: facility)
        // The plugin's own messages go to syslog: when alerts go elsewhere, a stalled syslog
        // must not hold them up, so the messages get a writer of their own.
        if toSyslog {
            diagnosticQueue = outputQueue
        } else {
            let messages = OutputQueue(capacity: 256, reportFacility: facility)
            if messages.start() { diagnosticQueue = messages }
        }
    } else {
        switch options.effectiveOutput {
        case .syslog: output = SyslogAlertOutput(facility: facility)
        case .stdout: output = StandardOutputAlertOutput(rendering: .text)
        case .json: output = StandardOutputAlertOutput(rendering: .json)
        case .ecs: output = StandardOutputAlertOutput(rendering: .ecs(ecsContext))
        }
    }
    if isPlugin || options.effectiveOutput == .syslog { Syslog.open(facility: facility) }

    var lookups: KernelLookups?
    if options.effectiveLookup {
        let scanner = KernelPrograms.loadHelperScanner()
        if scanner == nil { diagnostics.log(.warning, "no kernel symbol addresses in /proc/kallsyms: the helpers programs call stay unknown") }
        // Plugin mode: this host's node name as auditd writes it (replayed logs may come from
        // elsewhere: there only the policy's local_node says which records are local).
        let auditdNode = isPlugin ? LocalNodeName.resolve() : (name: nil, source: "")
        let loaderFacts = LoaderFactsGatherer(databases: LoaderFactsGatherer.hostDatabases(), inspectsProcesses: isPlugin)
        lookups = KernelLookups(programs: KernelPrograms(scanner: scanner), loaderFacts: loaderFacts,
                                configuredNode: loaded.policy.settings.localNode, auditdNode: auditdNode.name)
        if isPlugin {
            let node = loaded.policy.settings.localNode.map { "\($0) (policy local_node)" }
                ?? auditdNode.name.map { "\($0) (\(auditdNode.source))" } ?? "none (\(auditdNode.source))"
            diagnostics.log(.info, "this host's node name: \(node); records without node= are this host's too")
        }
    }

    let pipeline: InputPipeline
    do {
        pipeline = try InputPipeline(policy: loaded.policy, output: output, diagnostics: diagnostics,
                                     prefilter: options.prefilter, lookups: lookups, live: isPlugin)
    } catch {
        diagnostics.log(.err, "cannot start: \(error)")
        return 1
    }

    switch options.action {
    case .replay(let files):
        if !pipeline.startLoaderRecovery() { diagnostics.log(.warning, "cannot start the loader recovery thread: LOADs without SYSCALL context keep no loader") }
        if !pipeline.startLoaderFacts() { diagnostics.log(.warning, LoaderFactsStage.notStartedWarning) }
        return ReplayRunner(files: files, pipeline: pipeline, diagnostics: diagnostics).run()
    default:
        if !signalsInstalled {
            diagnostics.log(.err, "cannot install signal handlers: \(String(cString: strerror(signalError)))")
            return 1
        }
        diagnostics.queue = diagnosticQueue
        var reconciliation: ProgramReconciliationStage?
        if let lookups {
            // Programs loaded before we started (or before a restart): their load time and creator.
            let count = pipeline.takeInventory(lookups)
            diagnostics.log(.info, "found \(count) loaded BPF programs")
            // The package databases are read now, not at the first LOAD (which would wait),
            // then handed to the facts worker (privileges are dropped: it gets this thread's).
            if let facts = lookups.loaderFacts {
                diagnostics.log(.info, "package databases: \(facts.prepare())")
                if !pipeline.startLoaderFacts() { diagnostics.log(.warning, LoaderFactsStage.notStartedWarning) }
            }
            // Compared with what the previous run knew; then reconciled by periodic scans.
            let stage = ProgramReconciliationStage(lookups: lookups, store: KnownProgramsStore(path: options.knownProgramsPath), diagnostics: diagnostics)
            stage.startUp(engine: pipeline.engine)
            if stage.start() {
                reconciliation = stage
            } else {
                diagnostics.log(.warning, "cannot start the scan thread: programs that outlive their loader or that no record announced go unnoticed")
            }
        }
        if let privilegeProblem { diagnostics.log(.warning, privilegeProblem) }
        if !pipeline.startLoaderRecovery() {
            diagnostics.log(.warning, "cannot start the loader recovery thread: LOADs without SYSCALL context keep no loader")
        }
        for warning in loaded.warnings { diagnostics.log(.warning, warning.description) }
        diagnostics.log(.info, "started \(bpfguardVersion): policy \(options.policyPath): \(loaded.policy.summary)")
        return PluginRunner(policyPath: options.policyPath, pipeline: pipeline, diagnostics: diagnostics, queue: queue!, diagnosticQueue: diagnosticQueue,
                            stateFilePath: options.stateFilePath, reconciliation: reconciliation).run()
    }
}

/// `--check-audit`: one line per finding, compiler-style, most serious first.
func checkAudit() -> Int32 {
    let configuration: AuditConfiguration
    do {
        configuration = try AuditConfigurationReader.read()
    } catch {
        FileIO.printError("audisp-bpfguard: error: \(error.description)")
        return 3
    }
    let findings = AuditConfigurationCheck.findings(configuration, bpfSyscalls: AuditConfigurationReader.bpfSyscallNumbers())
    for finding in findings { print(finding.description) }
    let errors = findings.filter { $0.severity == .error }.count
    print("audit: \(configuration.rules.count) rules, enabled \(configuration.enabled), backlog limit \(configuration.backlogLimit): "
          + (errors == 0 ? "nothing hides BPF loads from the plugin" : (errors == 1 ? "1 problem hides" : "\(errors) problems hide") + " BPF loads or their loaders"))
    return errors == 0 ? 0 : 1
}

exit(runMain())
