import BPFGuardCore

/// `--replay FILE…`: saved audit logs through the same path as plugin mode.
struct ReplayRunner {
    let files: [String]
    let pipeline: InputPipeline
    let diagnostics: DiagnosticLog

    func run() -> Int32 {
        let status: Int32 = AuditLogFiles.read(files, diagnostics: diagnostics, consume: pipeline.consume) ? 0 : 1
        pipeline.finish()
        let table = pipeline.engine.programs
        let lookupSummary = pipeline.lookupSummary.map { " " + $0 } ?? ""
        diagnostics.log(.info, "replay: \(pipeline.statistics.summary(evicted: table.evictions, livePrograms: table.count, dropped: pipeline.droppedAlerts)) \(pipeline.folding.statistics.summary)\(lookupSummary)")
        return status
    }
}
