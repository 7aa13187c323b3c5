import BPFGuardCore
import CAuparse

/// Reads the current libauparse event: its BPF records and its SYSCALL context.
struct BPFEventExtractor {
    private let au: OpaquePointer
    private(set) var malformedRecords: UInt64 = 0

    init(_ au: OpaquePointer) {
        self.au = au
    }

    mutating func extract() -> [BPFEvent] {
        guard auparse_first_record(au) > 0 else { return [] }
        var records: [(operation: BPFOperation, programID: UInt32)] = []
        var process: ProcessContext?
        repeat {
            switch auparse_get_type(au) {
            case auditBPFRecordType:
                if let record = bpfRecord() { records.append(record) } else { malformedRecords += 1 }
            case auditSyscallRecordType:
                if process == nil { process = syscallContext() }
            default:
                break
            }
        } while auparse_next_record(au) > 0
        guard !records.isEmpty, let stamp = auparse_get_timestamp(au)?.pointee else { return [] }
        let timestamp = AuditTimestamp(seconds: UInt64(max(0, stamp.sec)), milliseconds: UInt32(stamp.milli), serial: UInt64(stamp.serial))
        let node = stamp.host.map { String(cString: $0) }
        return records.map {
            BPFEvent(operation: $0.operation, programID: $0.programID, node: node, timestamp: timestamp, process: process)
        }
    }

    /// `prog-id=N op=LOAD|UNLOAD` (the never-released first version said `event=`).
    private func bpfRecord() -> (operation: BPFOperation, programID: UInt32)? {
        guard let idText = field("prog-id"), let programID = UInt32(String(decoding: idText, as: UTF8.self)) else { return nil }
        guard let opText = field("op") ?? field("event"),
              let operation = BPFOperation(recordValue: String(decoding: opText, as: UTF8.self))
        else { return nil }
        return (operation, programID)
    }

    private func syscallContext() -> ProcessContext {
        var context = ProcessContext()
        context.uid = field("uid").flatMap(AuditFieldDecoding.id)
        context.auid = field("auid").flatMap(AuditFieldDecoding.id)
        context.euid = field("euid").flatMap(AuditFieldDecoding.id)
        context.gid = field("gid").flatMap(AuditFieldDecoding.id)
        context.pid = field("pid").flatMap(AuditFieldDecoding.id)
        context.ppid = field("ppid").flatMap(AuditFieldDecoding.id)
        context.ses = field("ses").flatMap(AuditFieldDecoding.id)
        context.tty = field("tty").flatMap(AuditFieldDecoding.string)
        context.comm = field("comm").flatMap(AuditFieldDecoding.string)
        context.exe = field("exe").flatMap(AuditFieldDecoding.string)
        context.key = field("key").flatMap(AuditFieldDecoding.string)
        let record = auparse_get_record_num(au)
        auparse_first_field(au)
        if auparse_find_field(au, "syscall") != nil, auparse_get_record_num(au) == record, let name = auparse_interpret_field(au) {
            context.syscall = Array(String(cString: name).utf8)
        }
        auparse_goto_record_num(au, record)
        return context
    }

    /// The raw value of `name` in the current record. auparse_find_field goes on into the
    /// event's later records when the current one lacks the field, so the record is checked
    /// and the cursor put back.
    private func field(_ name: String) -> [UInt8]? {
        let record = auparse_get_record_num(au)
        defer { auparse_goto_record_num(au, record) }
        auparse_first_field(au)
        guard auparse_find_field(au, name) != nil, auparse_get_record_num(au) == record,
              let value = auparse_get_field_str(au)
        else { return nil }
        return Array(String(cString: value).utf8)
    }
}
