import Testing
@testable import BPFGuardCore

/// `SyscallRecordTrimming`: what a BPF event's SYSCALL record becomes before libauparse reads
/// it. That libauparse reads the same from it is checked in BPFGuardAuditTests
/// (`SyscallTrimmingEquivalenceTests`) and by the input-path fuzz target.
@Suite struct SyscallRecordTrimmingTests {
    /// The first SYSCALL record of Tests/Fixtures/captured/root-known-loader.log's bpftool load
    /// (ENRICHED: its interpretations follow 0x1D).
    static let captured = "type=SYSCALL msg=audit(1795943317.871:42306): arch=c000003e syscall=321 success=yes exit=3 a0=5 "
        + "a1=7ffe52e77170 a2=90 a3=0 items=0 ppid=22860 pid=22968 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 "
        + "sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"bpftool\" exe=\"/usr/sbin/bpftool\" key=(null)\u{1D}ARCH=x86_64 "
        + "SYSCALL=bpf AUID=\"unset\" UID=\"root\" GID=\"root\" EUID=\"root\" SUID=\"root\" FSUID=\"root\" EGID=\"root\" SGID=\"root\" FSGID=\"root\""

    static func trimmed(_ line: String) -> String {
        var bytes = Array(line.utf8)
        guard let header = bytes.withUnsafeBufferPointer({ AuditRecordHeader.parse($0) }) else {
            Issue.record("not a record: \(line)")
            return ""
        }
        var out: [UInt8] = Array("before\n".utf8)
        bytes.withUnsafeMutableBufferPointer { buffer in
            SyscallRecordTrimming.append(UnsafeBufferPointer(buffer), bodyStart: header.bodyStart, to: &out)
        }
        let text = String(decoding: out, as: UTF8.self)
        #expect(text.hasPrefix("before\n"), "what was in the buffer stays")
        #expect(text.hasSuffix("\n"), "a newline ends the record")
        return String(text.dropFirst("before\n".count).dropLast())
    }

    @Test func aCapturedRecordKeepsItsFirstSixFieldsAndTheFieldsTheExtractorReads() {
        #expect(Self.trimmed(Self.captured) == "type=SYSCALL msg=audit(1795943317.871:42306): arch=c000003e syscall=321 success=yes exit=3 a0=5 "
            + "a1=7ffe52e77170 ppid=22860 pid=22968 auid=4294967295 uid=0 gid=0 euid=0 tty=(none) ses=4294967295 comm=\"bpftool\" "
            + "exe=\"/usr/sbin/bpftool\" key=(null)\u{1D}SYSCALL=bpf")
    }

    /// libauparse interprets `syscall` by the ENRICHED part when it names one (the first, in any
    /// case), so that word stays; a socket address's part has none.
    @Test func theInterpretationOfTheSyscallStays() {
        let fields = "type=SYSCALL msg=audit(1.002:3): arch=c000003e syscall=3 success=yes exit=0 a0=3 a1=7f a2=0 uid=0"
        let kept = "type=SYSCALL msg=audit(1.002:3): arch=c000003e syscall=3 success=yes exit=0 a0=3 a1=7f uid=0"
        #expect(Self.trimmed(fields + "\u{1D}ARCH=x86_64  SysCall=openat SYSCALL=read UID=\"root\"") == kept + "\u{1D}SysCall=openat")
        #expect(Self.trimmed(fields + "\u{1D}ARCH=x86_64 SYSCALLS=x UID=\"root\"") == kept)
        #expect(Self.trimmed(fields + "\u{1D}SADDR={ fam=inet } SYSCALL=read") == kept)
        #expect(Self.trimmed(fields + "\u{1D}ARCH=x86_64 SYSCALL=") == kept + "\u{1D}SYSCALL=")
        #expect(Self.trimmed(fields + "\u{1D}ARCH=x86_64\u{0} SYSCALL=read") == kept, "libauparse's string ends at the NUL")
    }

    @Test func theNodePrefixAndRunsOfSpacesAreKeptAsLibauparseSplitsThem() {
        let line = "node=host-a type=SYSCALL msg=audit(1.002:3): arch=c000003e syscall=321  success=yes exit=3 a0=5 a1=7f  a2=90   uid=0 suid=0  exe=2F62696E"
        #expect(Self.trimmed(line) == "node=host-a type=SYSCALL msg=audit(1.002:3): arch=c000003e syscall=321  success=yes exit=3 a0=5 a1=7f uid=0 exe=2F62696E")
    }

    @Test func wordsLibauparseSkipsAreDroppedAndALeadingParenthesisIsReadAsItDoes() {
        // `a2=` has no value and `junk` no `=`: libauparse counts neither, so the sixth
        // counted field is `a1`; `(uid=5` is libauparse's `uid`.
        let line = "type=SYSCALL msg=audit(1.002:3): arch=c000003e syscall=321 junk success=yes exit=3 a2= a0=5 a1=7f (uid=5 fsuid=0 comm=\"x\""
        #expect(Self.trimmed(line) == "type=SYSCALL msg=audit(1.002:3): arch=c000003e syscall=321 junk success=yes exit=3 a2= a0=5 a1=7f (uid=5 comm=\"x\"")
    }

    @Test(arguments: [
        ("a NUL byte", "type=SYSCALL msg=audit(1.002:3): arch=c000003e syscall=321 success=yes exit=3 a0=5 a1=7f a2=0 comm=\"a\u{0}b\" uid=0"),
        ("a msg= word", "type=SYSCALL msg=audit(1.002:3): arch=c000003e syscall=321 success=yes exit=3 a0=5 a1=7f a2=0 msg='uid=0' uid=1"),
        ("fewer than six fields", "type=SYSCALL msg=audit(1.002:3): arch=c000003e syscall=321 success=yes uid=0\u{1D}UID=\"root\""),
        ("an arch after the sixth field", "type=SYSCALL msg=audit(1.002:3): a=1 b=2 c=3 d=4 e=5 f=6 g=7 h=8 i=9 arch=c000003e syscall=1 uid=0"),
        ("a syscall after the sixth field", "type=SYSCALL msg=audit(1.002:3): arch=c000003e syscall=321 success=yes exit=3 a0=5 a1=7f syscall=2 uid=0"),
    ])
    func aRecordTrimmingCannotVouchForIsKeptWhole(_ reason: String, _ line: String) {
        #expect(Self.trimmed(line) == line, "\(reason): kept byte for byte")
    }

    @Test func everyKeptNameIsKeptAndNoOtherName() {
        let kept = ["uid", "auid", "euid", "gid", "pid", "ppid", "ses", "tty", "comm", "exe", "key"]
        let dropped = ["suid", "fsuid", "egid", "sgid", "fsgid", "items", "a2", "a3", "subj", "uidx", "xuid", "ui", "comm2", "ke", "keys"]
        let fields = (kept + dropped).map { "\($0)=1" }.joined(separator: " ")
        let line = "type=SYSCALL msg=audit(1.002:3): arch=c000003e syscall=321 success=yes exit=3 a0=5 a1=7f \(fields)"
        #expect(Self.trimmed(line) == "type=SYSCALL msg=audit(1.002:3): arch=c000003e syscall=321 success=yes exit=3 a0=5 a1=7f "
            + kept.map { "\($0)=1" }.joined(separator: " "))
    }

    @Test func anEmptyBodyIsKeptWhole() {
        let line = "type=SYSCALL msg=audit(1.002:3):"
        #expect(Self.trimmed(line) == line)
    }
    /// After the sixth field a word's name is found in its first eight bytes at once; longer
    /// names, words near the end of the fields (fewer than eight bytes left) and kept words
    /// that are not separated by exactly one space take the other ways, with the same result.
    @Test func longNamesWordsNearTheEndAndRunsOfKeptWordsGiveTheSameFields() {
        let head = "type=SYSCALL msg=audit(1.002:3): arch=c000003e syscall=321 success=yes exit=3 a0=5 a1=7f"
        #expect(Self.trimmed(head + " averylongname=1 uid=0 gid=1  pid=2 x=1 ses=3 key=k") == head + " uid=0 gid=1 pid=2 ses=3 key=k")
        #expect(Self.trimmed(head + " uid=0 tty=1") == head + " uid=0 tty=1")
        #expect(Self.trimmed(head + " uid=0 tty=1\u{1D}SYSCALL=bpf") == head + " uid=0 tty=1\u{1D}SYSCALL=bpf")
        #expect(Self.trimmed(head + " nameofnine=1 uid=0 a=") == head + " uid=0")
        #expect(Self.trimmed(head + " uid=0 longword x=1") == head + " uid=0")
        #expect(Self.trimmed(head + " uid= gid=0") == head + " gid=0", "an empty value is not a field")
        let nulInLongName = head + " averylong\u{0}name=1 uid=0"
        #expect(Self.trimmed(nulInLongName) == nulInLongName, "a NUL in a long name keeps the record whole")
        let nulInValue = head + " averylongname=1\u{0} uid=0"
        #expect(Self.trimmed(nulInValue) == nulInValue)
        let nulInShortName = head + " su\u{0}d=1 uid=0"
        #expect(Self.trimmed(nulInShortName) == nulInShortName)
    }
}

