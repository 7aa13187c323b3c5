import Glibc
import Testing
@testable import BPFGuardCore

/// Parsing of the /proc files that name a program's holders, on files of this machine:
/// captures in Tests/Fixtures/proc (how each was made: Tests/Fixtures/README.md) and this
/// process's own /proc files.
@Suite struct ProcParsingTests {
    static func fixture(_ name: String) throws -> [UInt8] {
        let tests = String(#filePath.prefix(upTo: #filePath.firstRange(of: "/Tests/")!.upperBound))
        return try contents(of: tests + "Fixtures/proc/" + name)
    }

    static func contents(of path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw PolicyTestError(message: "cannot open \(path)") }
        defer { close(fd) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { return result }
            result += buffer[..<count]
        }
    }

    static func programID(_ text: [UInt8]) -> UInt32? {
        text.withUnsafeBytes { ProcDescriptorParsing.programID(fdinfo: $0) }
    }

    static func mayHoldProgram(_ target: String) -> Bool {
        Array(target.utf8).withUnsafeBytes { ProcDescriptorParsing.mayHoldProgram(linkTarget: $0) }
    }

    @Test func programAndLinkDescriptorsNameTheirProgram() throws {
        #expect(Self.programID(try Self.fixture("fdinfo-bpf-prog.txt")) == 114)
        #expect(Self.programID(try Self.fixture("fdinfo-bpf-link.txt")) == 125, "a link names the program it links")
        #expect(Self.programID(try Self.fixture("fdinfo-dev-null.txt")) == nil)
        // This process's standard input: a real fdinfo without a program.
        #expect(Self.programID(try Self.contents(of: "/proc/self/fdinfo/0")) == nil)
    }

    @Test func malformedProgramIDsNameNothing() {
        #expect(Self.programID(Array("prog_id:\t4294967295\n".utf8)) == 4_294_967_295)
        #expect(Self.programID(Array("prog_id:\t4294967296\n".utf8)) == nil, "beyond 32 bits")
        #expect(Self.programID(Array("prog_id:\t12x\n".utf8)) == nil)
        #expect(Self.programID(Array("prog_id:\n".utf8)) == nil)
        #expect(Self.programID(Array("xprog_id:\t5\n".utf8)) == nil, "the key starts its line")
        #expect(Self.programID(Array("pos:\t0\nprog_id:\t7".utf8)) == 7, "the last line may lack its newline")
        #expect(Self.programID([]) == nil)
    }

    @Test func onlyBPFProgramAndLinkDescriptorsAreRead() {
        #expect(Self.mayHoldProgram("anon_inode:bpf-prog"))
        #expect(Self.mayHoldProgram("anon_inode:bpf_link"))
        #expect(!Self.mayHoldProgram("anon_inode:bpf-map"))
        #expect(!Self.mayHoldProgram("anon_inode:bpf-prog2"))
        #expect(!Self.mayHoldProgram("/dev/null"))
        #expect(!Self.mayHoldProgram(""))
        // This process's standard input is none of them.
        var target = [CChar](repeating: 0, count: 256)
        let count = readlink("/proc/self/fd/0", &target, target.count)
        #expect(count > 0)
        #expect(!Self.mayHoldProgram(String(decoding: target[..<max(count, 0)].map { UInt8(bitPattern: $0) }, as: UTF8.self)))
    }

    @Test func statusGivesRealAndEffectiveIDs() throws {
        var context = ProcessContext(pid: 11416)
        ProcStatusParsing.apply(status: try Self.fixture("status-setpriv-sleep.txt"), to: &context)
        #expect(context.uid == 1000)
        #expect(context.euid == 0)
        #expect(context.gid == 1001)
        #expect(context.ppid == 1)
        #expect(context.pid == 11416)

        var own = ProcessContext()
        ProcStatusParsing.apply(status: try Self.contents(of: "/proc/self/status"), to: &own)
        #expect(own.uid == getuid())
        #expect(own.euid == geteuid())
        #expect(own.gid == getgid())
        #expect(own.ppid == UInt32(getppid()))
    }

    @Test func oneNumberFilesAndCommand() throws {
        #expect(ProcStatusParsing.number(Array("4294967295".utf8)) == ProcessContext.unsetID, "loginuid when never set")
        #expect(ProcStatusParsing.number(Array("2\n".utf8)) == 2)
        #expect(ProcStatusParsing.number(Array("-1".utf8)) == nil)
        #expect(ProcStatusParsing.command(Array("load er\n".utf8)) == Array("load er".utf8))
        #expect(ProcStatusParsing.number(try Self.contents(of: "/proc/self/loginuid")) != nil)
    }

    @Test func tallyCountsDistinctHoldersOfWantedPrograms() {
        var tally = ProgramHolderTally(wanted: [10, 20])
        let counted = [tally.note(programID: 10, pid: 300), tally.note(programID: 10, pid: 300),
                       tally.note(programID: 10, pid: 100), tally.note(programID: 30, pid: 100)]
        #expect(counted == [true, false, true, false], "a second descriptor of a process counts once; nobody asked for program 30")
        #expect(tally.holders(of: 10) == ProgramHolderTally.Holders(firstPID: 300, count: 2))
        #expect(tally.holders(of: 20) == nil)
        #expect(tally.holders(of: 30) == nil)
    }
}
