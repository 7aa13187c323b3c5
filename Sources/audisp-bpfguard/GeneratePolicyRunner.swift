import BPFGuardAudit
import BPFGuardCore

/// `--generate-policy FILE…` (learning mode): reads saved audit logs through the same input
/// path as `--replay` (with `--lookup`, the programs in the kernel and the loaders'
/// packages on this host), files every load under the base policy's decision, examines the
/// directories of the candidate loaders on this host, and prints the proposed policy on
/// standard output. Nothing is printed when a log cannot be read or the base is invalid.
struct GeneratePolicyRunner {
    let files: [String]
    let options: CommandLineOptions

    func run() -> Int32 {
        let loaded: (policy: Policy, warnings: [PolicyDiagnostic], text: [UInt8])
        switch PolicyLoader.loadWithText(options.policyPath) {
        case .success(let result): loaded = result
        case .failure(let failure):
            for line in failure.lines { FileIO.printError(line) }
            return 1
        }
        for warning in loaded.warnings { FileIO.printError(warning.description) }
        let diagnostics = DiagnosticLog(destination: .standardError, facility: loaded.policy.settings.facility)

        var lookups: KernelLookups?
        if options.effectiveLookup {
            let scanner = KernelPrograms.loadHelperScanner()
            if scanner == nil { diagnostics.log(.warning, "no kernel symbol addresses in /proc/kallsyms: the helpers programs call stay unknown") }
            // As with --replay --lookup: only the policy's local_node says which node= records
            // are this host's, and a loader's package and trust come from the file at its path
            // on this host now (the loaders are long gone: no /proc).
            let loaderFacts = LoaderFactsGatherer(databases: LoaderFactsGatherer.hostDatabases(), inspectsProcesses: false)
            lookups = KernelLookups(programs: KernelPrograms(scanner: scanner), loaderFacts: loaderFacts,
                                    configuredNode: loaded.policy.settings.localNode)
        }
        var learner = PolicyLearner(base: loaded.policy)
        let stream: AuditEventStream
        do {
            stream = try AuditEventStream(
                prefilter: options.prefilter, clock: nil,
                onEvents: { events in
                    for event in events { learner.observe(event, enrichment: lookups?.enrichmentWithLoaderFacts(for: event)) }
                })
        } catch {
            diagnostics.log(.err, "cannot start: \(error)")
            return 1
        }
        let ordered = RotatedLogOrder.ordered(files)
        guard AuditLogFiles.read(ordered, diagnostics: diagnostics, consume: stream.consume) else {
            diagnostics.log(.err, "generate-policy: an audit log could not be read: no policy printed")
            return 1
        }
        stream.finish()

        let facts = DirectoryInspector.facts(PolicyGenerator.directoriesToCheck(learner))
        let generatorOptions = PolicyGenerator.Options(basePath: options.policyPath, minCount: options.minCount, minDays: options.minDays,
                                                       skippedLines: stream.malformed)
        let result = PolicyGenerator.generate(learner, baseText: loaded.text, facts: facts, options: generatorOptions)
        do {
            try FileIO.writeAll(1, result.text)
        } catch {
            diagnostics.log(.err, "generate-policy: cannot write the policy: \(error)")
            return 1
        }
        let totals = learner.totals
        let lookupSummary = lookups.map { " " + $0.programSummary + ($0.loaderFacts.map { " " + $0.summary } ?? "") } ?? ""
        diagnostics.log(.info, "generate-policy: loads=\(totals.loads) unloads=\(totals.unloads) proposed=\(result.proposed)"
                        + " commented_out=\(result.commented) never_allowed=\(result.refused) malformed=\(stream.malformed)\(lookupSummary)")
        return 0
    }
}
