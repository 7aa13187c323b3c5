import BPFGuardCore
import Glibc

/// `--replay FILE…`: saved audit logs through the same path as plugin mode.
struct ReplayRunner {
    let files: [String]
    let pipeline: InputPipeline
    let diagnostics: DiagnosticLog

    func run() -> Int32 {
        var status: Int32 = 0
        var buffer = [UInt8](repeating: 0, count: 65536)
        for file in files {
            let fd: Int32
            if file == "-" {
                fd = 0
            } else {
                do {
                    fd = try FileIO.open(file)
                } catch {
                    diagnostics.log(.err, "\(file): cannot open: \(error)")
                    status = 1
                    continue
                }
            }
            defer { if fd != 0 { FileIO.close(fd) } }
            while true {
                let count: Int
                do {
                    count = try FileIO.read(fd, into: &buffer)
                } catch {
                    diagnostics.log(.err, "\(file): \(error)")
                    status = 1
                    break
                }
                if count == 0 { break }
                buffer.withUnsafeBytes { pipeline.consume(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            }
        }
        pipeline.finish()
        let table = pipeline.engine.programs
        let lookupSummary = pipeline.lookupSummary.map { " " + $0 } ?? ""
        diagnostics.log(.info, "replay: \(pipeline.statistics.summary(evicted: table.evictions, livePrograms: table.count, dropped: pipeline.droppedAlerts)) \(pipeline.folding.statistics.summary)\(lookupSummary)")
        return status
    }
}
