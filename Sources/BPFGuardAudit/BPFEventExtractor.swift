import BPFGuardCore
import CAuparse
import Glibc

/// Reads the current libauparse event: its BPF records and its SYSCALL context.
struct BPFEventExtractor {
    private let au: OpaquePointer
    private(set) var malformedRecords: UInt64 = 0
    /// Changes to audit itself in the event (CONFIG_CHANGE, auditd's DAEMON records).
    private(set) var auditChanges: [AuditChange] = []

    init(_ au: OpaquePointer) {
        self.au = au
    }

    /// Appends the event's BPF loads and unloads to `events` (a buffer the caller reuses).
    /// `recent`: recent loaders' decoded strings, reused when the event repeats them.
    mutating func extract(recent: inout RepeatedFieldValues, into events: inout [BPFEvent]) {
        guard auparse_first_record(au) > 0 else { return }
        // The first BPF record apart: nearly every event has one, and no array for it.
        var first: (operation: BPFOperation, programID: UInt32)?
        var more: [(operation: BPFOperation, programID: UInt32)] = []
        var syscall = SyscallFields()
        var hasSyscall = false
        var title: [UInt8]?
        var changes: [(AuditChange.Kind, [(name: String, value: String)])] = []
        repeat {
            let type = auparse_get_type(au)
            if let kind = Self.auditChangeKind(type) { changes.append((kind, recordFields())) }
            switch type {
            case auditBPFRecordType:
                if let record = bpfRecord() {
                    if first == nil { first = record } else { more.append(record) }
                } else {
                    malformedRecords += 1
                }
            case auditSyscallRecordType:
                if !hasSyscall {
                    hasSyscall = true
                    readSyscallContext(into: &syscall, recent: &recent)
                }
            case auditProctitleRecordType:
                if title == nil { title = commandLine(recent: &recent) }
            default:
                break
            }
        } while auparse_next_record(au) > 0
        let process = hasSyscall ? recent.context(syscall, commandLine: title) : nil
        guard first != nil || !changes.isEmpty, let stamp = auparse_get_timestamp(au)?.pointee else { return }
        let timestamp = AuditTimestamp(seconds: UInt64(max(0, stamp.sec)), milliseconds: UInt32(stamp.milli), serial: UInt64(stamp.serial))
        let node = stamp.host.map { String(cString: $0) }
        if !changes.isEmpty {
            auditChanges = changes.map { AuditChange(kind: $0.0, node: node, timestamp: timestamp, fields: $0.1, process: process) }
        }
        guard let first else { return }
        events.append(BPFEvent(operation: first.operation, programID: first.programID, node: node, timestamp: timestamp, process: process))
        for record in more {
            events.append(BPFEvent(operation: record.operation, programID: record.programID, node: node, timestamp: timestamp, process: process))
        }
    }

    /// CONFIG_CHANGE (1305), DAEMON_END (1201), DAEMON_ABORT (1202), DAEMON_RESUME (1206). A switch,
    /// not a dictionary: every record of every event asks.
    private static func auditChangeKind(_ type: Int32) -> AuditChange.Kind? {
        switch type {
        case 1305: .configChange
        case 1201: .daemonEnd
        case 1202: .daemonAbort
        case 1206: .daemonResume
        default: nil
        }
    }

    /// The current record's fields, raw (bounded: a CONFIG_CHANGE has a dozen).
    private func recordFields() -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = []
        guard auparse_first_field(au) > 0 else { return fields }
        repeat {
            guard let name = auparse_get_field_name(au), let value = auparse_get_field_str(au) else { continue }
            fields.append((String(cString: name), String(cString: value)))
        } while auparse_next_field(au) > 0 && fields.count < 64
        return fields
    }

    /// `prog-id=N op=LOAD|UNLOAD` (the never-released first version said `event=`), in one
    /// pass over the current record's fields. (Looking fields up by name and moving back to
    /// the record walks the event from its start each time: quadratic in its records.)
    private func bpfRecord() -> (operation: BPFOperation, programID: UInt32)? {
        var programID: UInt32?
        var operation: BPFOperation?, legacyOperation: BPFOperation?
        guard auparse_first_field(au) > 0 else { return nil }
        repeat {
            guard let namePointer = auparse_get_field_name(au), let valuePointer = auparse_get_field_str(au) else { continue }
            switch AuditFieldName(cString: namePointer) {
            case .progID: programID = AuditFieldDecoding.number(bytes(valuePointer))
            case .op: operation = BPFOperation(recordBytes: bytes(valuePointer))
            case .event: legacyOperation = BPFOperation(recordBytes: bytes(valuePointer))
            default: break
            }
        } while auparse_next_field(au) > 0
        guard let programID, let operation = operation ?? legacyOperation else { return nil }
        return (operation, programID)
    }

    /// The PROCTITLE record's `proctitle` (hex or quoted), arguments separated by spaces.
    private func commandLine(recent: inout RepeatedFieldValues) -> [UInt8]? {
        guard auparse_first_field(au) > 0 else { return nil }
        repeat {
            guard let namePointer = auparse_get_field_name(au), AuditFieldName(cString: namePointer) == .proctitle,
                  let valuePointer = auparse_get_field_str(au)
            else { continue }
            return recent.commandLine.value(of: bytes(valuePointer)) { AuditFieldDecoding.string($0).map(ProcessTitle.text) }
        } while auparse_next_field(au) > 0
        return nil
    }

    /// The SYSCALL record's fields, in one pass over them (they join the command line in a
    /// `ProcessContext` once the event is read). Filled in place: copies of the fields'
    /// optional arrays cost retains and releases on every event.
    private func readSyscallContext(into fields: inout SyscallFields, recent: inout RepeatedFieldValues) {
        guard auparse_first_field(au) > 0 else { return }
        repeat {
            guard let namePointer = auparse_get_field_name(au), let name = AuditFieldName(cString: namePointer),
                  let valuePointer = auparse_get_field_str(au)
            else { continue }
            switch name {
            case .uid: fields.uid = AuditFieldDecoding.id(bytes(valuePointer))
            case .auid: fields.auid = AuditFieldDecoding.id(bytes(valuePointer))
            case .euid: fields.euid = AuditFieldDecoding.id(bytes(valuePointer))
            case .gid: fields.gid = AuditFieldDecoding.id(bytes(valuePointer))
            case .pid: fields.pid = AuditFieldDecoding.id(bytes(valuePointer))
            case .ppid: fields.ppid = AuditFieldDecoding.id(bytes(valuePointer))
            case .ses: fields.ses = AuditFieldDecoding.id(bytes(valuePointer))
            case .tty: fields.tty = recent.tty.value(of: bytes(valuePointer), decode: AuditFieldDecoding.string)
            case .comm: fields.comm = recent.comm.value(of: bytes(valuePointer), decode: AuditFieldDecoding.string)
            case .exe: fields.exe = recent.exe.value(of: bytes(valuePointer), decode: AuditFieldDecoding.string)
            case .key: fields.key = recent.key.value(of: bytes(valuePointer), decode: AuditFieldDecoding.string)
            case .syscall:
                if let interpreted = auparse_interpret_field(au) {
                    fields.syscall = recent.syscall.value(of: bytes(interpreted)) { AuditFieldDecoding.text($0) }
                }
            default: break
            }
        } while auparse_next_field(au) > 0
    }

    /// A field value of libauparse (NUL-terminated, valid until the next call) as bytes.
    private func bytes(_ value: UnsafePointer<CChar>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: UnsafeRawPointer(value).assumingMemoryBound(to: UInt8.self), count: strlen(value))
    }
}
