import Testing
import BPFGuardCore
@testable import BPFGuardAudit

/// libauparse event assembly and BPF event extraction, on record lines captured from this
/// machine's auditd (ENRICHED format, as handed to plugins) and on hand-made variants.
/// Serialized: libauparse keeps global state and is not meant for concurrent parsers.
@Suite(.serialized) struct AuditFeedTests {
    static let gs = "\u{1D}"

    /// A LOAD by bpftool as captured here (type=BPF first, then SYSCALL, PROCTITLE, EOE).
    static let bpftoolLoad = """
    type=BPF msg=audit(1795942353.035:3): prog-id=97 op=LOAD
    type=SYSCALL msg=audit(1795942353.035:3): arch=c000003e syscall=321 success=yes exit=3 a0=5 a1=7ffcf295b100 a2=90 a3=0 items=0 ppid=2481 pid=2485 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="bpftool" exe="/usr/sbin/bpftool" key=(null)\(gs)ARCH=x86_64 SYSCALL=bpf AUID="unset" UID="root" GID="root" EUID="root" SUID="root" FSUID="root" EGID="root" SGID="root" FSGID="root"
    type=PROCTITLE msg=audit(1795942353.035:3): proctitle=627066746F6F6C00666561747572650070726F6265006B65726E656C
    type=EOE msg=audit(1795942353.035:3):

    """

    /// Collects what a feed produces.
    final class Collector {
        var events: [[BPFEvent]] = []
        var bpf: [BPFEvent] { events.flatMap { $0 } }
    }

    func run(_ text: String, flush: Bool = true) throws -> (collector: Collector, feed: AuditFeed) {
        let collector = Collector()
        let feed = try AuditFeed { collector.events.append($0) }
        Array(text.utf8).withUnsafeBytes { feed.feed($0) }
        feed.release()
        if flush { feed.flush() }
        return (collector, feed)
    }

    @Test func loadWithSyscallContext() throws {
        let (collector, _) = try run(Self.bpftoolLoad)
        #expect(collector.bpf.count == 1)
        let event = try #require(collector.bpf.first)
        #expect(event.operation == .load)
        #expect(event.programID == 97)
        #expect(event.node == nil)
        #expect(event.timestamp == AuditTimestamp(seconds: 1795942353, milliseconds: 35, serial: 3))
        let context = try #require(event.process)
        #expect(context.uid == 0)
        #expect(context.auid == ProcessContext.unsetID)
        #expect(context.euid == 0)
        #expect(context.gid == 0)
        #expect(context.pid == 2485)
        #expect(context.ppid == 2481)
        #expect(context.ses == ProcessContext.unsetID)
        #expect(context.tty == Array("(none)".utf8))
        #expect(context.comm == Array("bpftool".utf8))
        #expect(context.exe == Array("/usr/sbin/bpftool".utf8))
        #expect(context.key == nil, "key=(null) is no key")
        #expect(context.syscall == Array("bpf".utf8))
        #expect(context.cmdline == Array("bpftool feature probe kernel".utf8), "PROCTITLE: hex, NULs become spaces")
    }

    @Test func commandLineQuotedOrAbsent() throws {
        let quoted = Self.bpftoolLoad.replacing("proctitle=627066746F6F6C00666561747572650070726F6265006B65726E656C",
                                                             with: "proctitle=\"/usr/sbin/bpftool\"")
        #expect(try run(quoted).collector.bpf.first?.process?.cmdline == Array("/usr/sbin/bpftool".utf8))
        let withoutTitle = Self.bpftoolLoad.split(separator: "\n").filter { !$0.hasPrefix("type=PROCTITLE") }.joined(separator: "\n") + "\n"
        let event = try #require(try run(withoutTitle).collector.bpf.first)
        #expect(event.process != nil)
        #expect(event.process?.cmdline == nil)
    }

    @Test func anEventEndingInEOEIsReleasedWithoutFurtherInput() throws {
        // libauparse holds back the last line fed; release() must let the event out
        // without a flush and without another record.
        let (collector, feed) = try run(Self.bpftoolLoad, flush: false)
        #expect(collector.bpf.map(\.programID) == [97])
        #expect(!feed.hasPendingData)
    }

    @Test func hexEncodedValuesAreDecoded() throws {
        // exe="/tmp/bpfguard capture/load er", comm="load er": the kernel hex-encodes values with spaces.
        let text = """
        type=BPF msg=audit(1795942400.100:50): prog-id=120 op=LOAD
        type=SYSCALL msg=audit(1795942400.100:50): arch=c000003e syscall=321 success=yes exit=3 a0=5 a1=7ffd a2=90 a3=0 items=0 ppid=1 pid=77 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=3 comm=6C6F6164206572 exe=2F746D702F627066677561726420636170747572652F6C6F6164206572 key="bpf-load"
        type=EOE msg=audit(1795942400.100:50):

        """
        let event = try #require(try run(text).collector.bpf.first)
        #expect(event.process?.exe == Array("/tmp/bpfguard capture/load er".utf8))
        #expect(event.process?.comm == Array("load er".utf8))
        #expect(event.process?.key == Array("bpf-load".utf8))
        #expect(event.process?.tty == Array("pts0".utf8))
        #expect(event.process?.auid == 1000)
        #expect(event.process?.ses == 3)
    }

    @Test func standaloneRecordsHaveNoContext() throws {
        let text = """
        type=BPF msg=audit(1681834953.355:195): prog-id=50 op=UNLOAD
        type=BPF msg=audit(1681834953.356:196): prog-id=49 op=UNLOAD

        """
        let (collector, _) = try run(text)
        #expect(collector.bpf.map(\.programID) == [50, 49])
        #expect(collector.bpf.allSatisfy { $0.process == nil && $0.operation == .unload })
    }

    @Test func unknown1334AndNodePrefixes() throws {
        let text = """
        node=sensor-a type=UNKNOWN[1334] msg=audit(1574867053.120:84665): prog-id=76 op=UNLOAD
        node=sensor-b type=BPF msg=audit(1574867053.120:84665): prog-id=76 op=LOAD

        """
        let (collector, _) = try run(text)
        #expect(collector.bpf.count == 2, "the same serial on two nodes is two events")
        #expect(Set(collector.bpf.compactMap(\.node)) == ["sensor-a", "sensor-b"])
        #expect(collector.bpf.first { $0.node == "sensor-a" }?.operation == .unload)
    }

    @Test func recordsBeforeTheBPFRecordAndInterleavedEvents() throws {
        // SYSCALL first (as journald shows it), and a second event interleaved.
        let text = """
        type=SYSCALL msg=audit(1670583969.501:218): arch=c000003e syscall=321 success=yes exit=3 a0=5 a1=20000640 a2=80 a3=0 items=0 ppid=671 pid=695 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm="ex" exe="/home/jolsa/ex/ex" key=(null)
        type=SYSCALL msg=audit(1670583969.502:219): arch=c000003e syscall=3 success=yes exit=0 a0=3 a1=0 a2=0 a3=0 items=0 ppid=671 pid=696 auid=1000 uid=5 gid=0 euid=5 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm="cl" exe="/bin/cl" key=(null)
        type=BPF msg=audit(1670583969.501:218): prog-id=62 op=LOAD
        type=BPF msg=audit(1670583969.502:219): prog-id=61 op=UNLOAD
        type=EOE msg=audit(1670583969.501:218):
        type=EOE msg=audit(1670583969.502:219):

        """
        let (collector, _) = try run(text)
        let load = try #require(collector.bpf.first { $0.programID == 62 })
        #expect(load.process?.pid == 695)
        #expect(load.process?.exe == Array("/home/jolsa/ex/ex".utf8))
        let unload = try #require(collector.bpf.first { $0.programID == 61 })
        #expect(unload.process?.pid == 696)
        #expect(unload.process?.syscall == Array("close".utf8))
    }

    @Test func severalBPFRecordsInOneEvent() throws {
        let text = """
        type=BPF msg=audit(1700000000.000:9): prog-id=10 op=UNLOAD
        type=BPF msg=audit(1700000000.000:9): prog-id=11 op=UNLOAD
        type=SYSCALL msg=audit(1700000000.000:9): arch=c000003e syscall=231 success=yes exit=0 a0=0 a1=0 a2=0 a3=0 items=0 ppid=1 pid=50 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm="x" exe="/x" key=(null)
        type=EOE msg=audit(1700000000.000:9):

        """
        let (collector, _) = try run(text)
        #expect(collector.events.count == 1)
        #expect(collector.bpf.map(\.programID) == [10, 11])
        #expect(collector.bpf.allSatisfy { $0.process?.pid == 50 })
    }

    @Test func malformedBPFRecordsAreCountedAndSkipped() throws {
        let text = """
        type=BPF msg=audit(1700000000.000:1): op=LOAD
        type=BPF msg=audit(1700000000.000:2): prog-id=abc op=LOAD
        type=BPF msg=audit(1700000000.000:3): prog-id=5 op=EXPLODE
        type=BPF msg=audit(1700000000.000:4): prog-id=6 op=LOAD

        """
        let (collector, feed) = try run(text)
        #expect(collector.bpf.map(\.programID) == [6])
        #expect(feed.malformedBPFRecords == 3)
    }

    @Test func neverReleasedEventFieldVariant() throws {
        let text = "type=UNKNOWN[1334] msg=audit(1574271951.590:8975): prog-id=3260 event=UNLOAD\n"
        let (collector, _) = try run(text)
        #expect(collector.bpf.first?.operation == .unload)
        #expect(collector.bpf.first?.programID == 3260)
    }

    @Test func nonBPFEventsAreReportedEmpty() throws {
        let text = "type=DAEMON_START msg=audit(1795942350.903:4928): op=start ver=3.0.9 format=enriched kernel=6.18.44 auid=4294967295 pid=2456 uid=0 ses=4294967295 res=success\n"
        let (collector, _) = try run(text)
        #expect(collector.events.count == 1)
        #expect(collector.bpf.isEmpty)
    }

    @Test func fieldDecoding() {
        #expect(AuditFieldDecoding.string(Array("\"a b\"".utf8)) == Array("a b".utf8))
        #expect(AuditFieldDecoding.string(Array("2F62696E".utf8)) == Array("/bin".utf8))
        #expect(AuditFieldDecoding.string(Array("(null)".utf8)) == nil)
        #expect(AuditFieldDecoding.string(Array("pts0".utf8)) == Array("pts0".utf8))
        #expect(AuditFieldDecoding.string(Array("(none)".utf8)) == Array("(none)".utf8))
        #expect(AuditFieldDecoding.id(Array("4294967295".utf8)) == ProcessContext.unsetID)
        #expect(AuditFieldDecoding.id(Array("-1".utf8)) == ProcessContext.unsetID)
        #expect(AuditFieldDecoding.id(Array("x".utf8)) == nil)
    }
}
