import Glibc
import Testing
import BPFGuardCore
@testable import BPFGuardAudit

/// The pre-filter trims BPF events' SYSCALL records before libauparse parses them
/// (`SyscallRecordTrimming`): what libauparse makes of the events must not change. Every
/// log the repository ships, and records built to test libauparse's positional reading, go
/// through two streams, trimming and not, and give the same BPF events and changes to audit.
/// Serialized: libauparse keeps global state.
@Suite(.serialized) struct SyscallTrimmingEquivalenceTests {
    static let repository: String = {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path
    }()

    /// The logs under Tests/Fixtures/{captured,handmade,regressions} and Examples.
    static let logs: [String] = {
        var paths: [String] = []
        for directory in ["Tests/Fixtures/captured", "Tests/Fixtures/handmade", "Tests/Fixtures/regressions", "Examples"] {
            let path = repository + "/" + directory
            guard let handle = opendir(path) else { continue }
            defer { closedir(handle) }
            while let entry = readdir(handle) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name.hasSuffix(".log") || name.hasSuffix(".audit-log") { paths.append(path + "/" + name) }
            }
        }
        return paths.sorted()
    }()

    static func read(_ path: String) -> [UInt8] {
        guard let file = fopen(path, "rb") else { return [] }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while case let count = fread(&buffer, 1, buffer.count, file), count > 0 { bytes += buffer[..<count] }
        return bytes
    }

    /// The events and changes to audit of `input` through one stream, in chunks of `chunk` bytes.
    static func run(_ input: [UInt8], trims: Bool, chunk: Int = 4096) throws -> (events: [BPFEvent], changes: [String]) {
        var events: [BPFEvent] = []
        var changes: [String] = []
        let stream = try AuditEventStream(trimsSyscallRecords: trims, clock: nil) { events += $0 }
        stream.onAuditChange = { changes.append("\($0.kind) \($0.timestamp) \($0.fields.map { "\($0.name)=\($0.value)" }) \(String(describing: $0.process))") }
        var offset = 0
        while offset < input.count {
            let end = min(offset + chunk, input.count)
            input[offset..<end].withUnsafeBytes { stream.consume($0) }
            offset = end
        }
        stream.finish()
        return (events, changes)
    }

    @Test func theShippedLogsGiveTheSameEventsTrimmedOrWhole() throws {
        #expect(Self.logs.count >= 20, "the fixture logs are found (\(Self.logs.count))")
        var withContext = 0
        for path in Self.logs {
            let input = Self.read(path)
            #expect(!input.isEmpty, "\(path) is read")
            let trimmed = try Self.run(input, trims: true)
            let whole = try Self.run(input, trims: false)
            #expect(trimmed.events == whole.events, "\(path)")
            #expect(trimmed.changes == whole.changes, "\(path)")
            withContext += trimmed.events.filter { $0.process?.exe != nil && $0.process?.syscall != nil }.count
        }
        #expect(withContext > 100, "events with a loader were compared (\(withContext))")
    }

    /// Records where libauparse's reading by position matters: a 32-bit `socketcall` (its name
    /// is interpreted with `a0`), a seccomp-like record with `arch` and `syscall` at the
    /// positions of a SECCOMP record's, a missing `arch`, fields before `arch`, virtual keys,
    /// hex values, and a record without the ENRICHED part.
    @Test func recordsLibauparseReadsByPositionGiveTheSameEvents() throws {
        let bodies = [
            "arch=40000003 syscall=102 success=yes exit=0 a0=3 a1=ffd0 a2=0 a3=0 items=0 ppid=1 pid=2 auid=0 uid=0 gid=0 euid=0 tty=pts0 ses=1 comm=\"a\" exe=\"/a\" key=(null)",
            "x=1 y=2 z=3 w=4 v=5 u=6 t=7 s=8 r=9 arch=c000003e syscall=321 uid=7 comm=\"b\" exe=\"/b\"",
            "syscall=321 success=yes exit=3 a0=5 a1=7f a2=0 uid=1 comm=\"c\" exe=\"/c\"",
            "foo=1 arch=c000003e syscall=321 success=yes exit=3 a0=5 a1=7f a2=0 uid=2 comm=\"d\" exe=\"/d\"",
            "arch=c000003e syscall=321 success=yes exit=3 a0=5 a1=7f a2=0 uid=3 comm=6120622063 exe=2F746D702F612062 key=6B31016B32",
            "arch=c000003e syscall=3 success=yes exit=0 a0=5 a1=0 a2=0 a3=0 items=0 ppid=1 pid=9 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"e\" exe=\"/e\" key=\"bpf\"",
            "arch=c000003e  syscall=321 success=yes exit=3 a0=5 a1=7f a2= junk (uid=4 (comm=\"f\" exe=\"/f\"\u{1D}ARCH=x86_64 SYSCALL=bpf UID=\"x\"",
            // The fuzzer's finding: the ENRICHED part's syscall is not the table's.
            "arch=c000003e syscall=3 success=yes exit=0 a0=3 a1=7f a2=80 a3=2 items=0=\"busy\"\u{1D}ARCH=x86_64 SYSCALL=openat AUID= ppid=228\"root\"",
            "arch=c000003e syscall=3 success=yes exit=0 a0=3 a1=7f a2=80 uid=0\u{1D}ARCH=x86_64 SYSCALL=unknown-syscall(3) AUID=\"unset\"",
        ]
        var text = ""
        for (index, body) in bodies.enumerated() {
            let stamp = "msg=audit(1795943317.\(100 + index):\(500 + index))"
            text += "type=BPF \(stamp): prog-id=\(700 + index) op=LOAD\ntype=SYSCALL \(stamp): \(body)\ntype=EOE \(stamp):\n"
        }
        let input = Array(text.utf8)
        let trimmed = try Self.run(input, trims: true)
        let whole = try Self.run(input, trims: false)
        #expect(trimmed.events.count == bodies.count)
        #expect(trimmed.events == whole.events)
        // The comparison sees what it should: the socketcall's name comes from a0, the
        // seccomp-like record's syscall is read at its position, the dropped fields are absent.
        #expect(whole.events.first?.process?.syscall.map { String(decoding: $0, as: UTF8.self) } == "socketcall(connect)")
        #expect(whole.events.dropFirst().first?.process?.syscall.map { String(decoding: $0, as: UTF8.self) } == "bpf")
        #expect(whole.events.dropFirst().first?.process?.uid == 7)
        #expect(whole.events.dropLast().last?.process?.syscall.map { String(decoding: $0, as: UTF8.self) } == "openat",
                "the record's own interpretation is read")
    }
}
