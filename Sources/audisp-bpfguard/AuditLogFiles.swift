/// Reads saved audit logs (`-` is standard input) in chunks, for `--replay` and
/// `--generate-policy`. A file that cannot be opened or read is reported and the others
/// are still read.
enum AuditLogFiles {
    /// Passes every chunk of every file to `consume`; false when a file failed.
    static func read(_ files: [String], diagnostics: DiagnosticLog, consume: (UnsafeRawBufferPointer) -> Void) -> Bool {
        var success = true
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
                    success = false
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
                    success = false
                    break
                }
                if count == 0 { break }
                buffer.withUnsafeBytes { consume(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            }
        }
        return success
    }
}
