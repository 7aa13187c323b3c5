import BPFGuardCore
import CAudit
import Glibc

/// Reads the kernel's audit status and rules through libaudit's netlink socket (root),
/// for `--check-audit`. The judgement is AuditConfigurationCheck's, in the core.
enum AuditConfigurationReader {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func read() throws(Failure) -> AuditConfiguration {
        let fd = audit_open()
        guard fd >= 0 else { throw Failure(description: "cannot open the audit netlink socket: \(String(cString: strerror(errno))) (run as root)") }
        defer { audit_close(fd) }

        guard audit_request_status(fd) > 0 else { throw Failure(description: "cannot ask the kernel for the audit status: \(String(cString: strerror(errno)))") }
        var reply = audit_reply()
        var status: audit_status?
        while status == nil {
            guard audit_get_reply(fd, &reply, GET_REPLY_BLOCKING, 0) > 0 else {
                throw Failure(description: "no audit status from the kernel: \(String(cString: strerror(errno)))")
            }
            if reply.type == AUDIT_GET, let pointer = reply.status { status = pointer.pointee }
            if reply.type == NLMSG_ERROR, let error = reply.error, error.pointee.error != 0 {
                throw Failure(description: "the kernel refused the audit status request: \(String(cString: strerror(-error.pointee.error)))")
            }
        }

        guard audit_request_rules_list_data(fd) > 0 else { throw Failure(description: "cannot ask the kernel for the audit rules: \(String(cString: strerror(errno)))") }
        var rules: [AuditRuleData] = []
        listing: while true {
            guard audit_get_reply(fd, &reply, GET_REPLY_BLOCKING, 0) > 0 else {
                throw Failure(description: "reading the audit rules failed: \(String(cString: strerror(errno)))")
            }
            switch reply.type {
            case AUDIT_LIST_RULES:
                if let data = reply.ruledata { rules.append(rule(data)) }
            case NLMSG_DONE:
                break listing
            case NLMSG_ERROR:
                if let error = reply.error, error.pointee.error != 0 {
                    throw Failure(description: "the kernel refused the rule list request: \(String(cString: strerror(-error.pointee.error)))")
                }
            default:
                continue
            }
        }
        let current = status!
        return AuditConfiguration(enabled: current.enabled, backlogLimit: current.backlog_limit, lost: current.lost,
                                  daemonPID: current.pid, rules: rules)
    }

    /// AUDIT_ARCH_* → the number of bpf(2), for the host's architecture and its 32-bit one.
    static func bpfSyscallNumbers() -> [UInt32: Int] {
        var machines = [audit_detect_machine()]
        if machines[0] == Int32(MACH_86_64.rawValue) { machines.append(Int32(MACH_X86.rawValue)) }
        if machines[0] == Int32(MACH_AARCH64.rawValue) { machines.append(Int32(MACH_ARM.rawValue)) }
        var numbers: [UInt32: Int] = [:]
        for machine in machines where machine >= 0 {
            let number = audit_name_to_syscall("bpf", machine)
            if number >= 0 { numbers[audit_machine_to_elf(machine)] = Int(number) }
        }
        return numbers
    }

    /// Fields whose value is a string in the rule's buffer (linux/audit.h).
    private static let stringFields: Set<UInt32> = [13, 14, 15, 16, 17, 19, 20, 21, 22, 23, 105, 107, 112, 210]
    private static let keyField: UInt32 = 210

    private static func rule(_ pointer: UnsafeMutablePointer<audit_rule_data>) -> AuditRuleData {
        let data = pointer.pointee
        let count = Int(min(data.field_count, UInt32(AUDIT_MAX_FIELDS)))
        let mask = withUnsafeBytes(of: data.mask) { Array($0.bindMemory(to: UInt32.self)) }
        let fieldIDs = withUnsafeBytes(of: data.fields) { Array($0.bindMemory(to: UInt32.self).prefix(count)) }
        let values = withUnsafeBytes(of: data.values) { Array($0.bindMemory(to: UInt32.self).prefix(count)) }
        let operators = withUnsafeBytes(of: data.fieldflags) { Array($0.bindMemory(to: UInt32.self).prefix(count)) }
        let strings = bpfguard_audit_rule_strings(pointer)
        var offset = 0
        var key: String?
        var parts: [String] = []
        var fields: [(field: UInt32, op: UInt32, value: UInt32)] = []
        for index in 0..<count {
            let field = fieldIDs[index], op = operators[index], value = values[index]
            fields.append((field, op, value))
            let name = audit_field_to_name(Int32(field)).map { String(cString: $0) } ?? "field\(field)"
            let symbol = audit_operator_to_symbol(Int32(op)).map { String(cString: $0) } ?? "?"
            if stringFields.contains(field), let strings, offset + Int(value) <= Int(data.buflen) {
                let bytes = UnsafeRawPointer(strings + offset).assumingMemoryBound(to: UInt8.self)
                let text = String(decoding: UnsafeBufferPointer(start: bytes, count: Int(value)), as: UTF8.self)
                offset += Int(value)
                if field == keyField { key = text; continue }
                parts.append("-F \(name)\(symbol)\(text)")
            } else if field == 12, let type = audit_msg_type_to_name(Int32(value)) {
                parts.append("-F \(name)\(symbol)\(String(cString: type))")
            } else if field == 11 {
                parts.append("-F \(name)\(symbol)\(String(value, radix: 16))")
            } else {
                parts.append("-F \(name)\(symbol)\(value)")
            }
        }
        let list = data.flags & ~0x10
        let listName = audit_flag_to_name(Int32(list)).map { String(cString: $0) } ?? "list\(list)"
        let actionName = audit_action_to_name(Int32(data.action)).map { String(cString: $0) } ?? "action\(data.action)"
        var text = "-a \(actionName),\(listName)"
        if list == 4 { text += " " + syscalls(mask) }
        if !parts.isEmpty { text += " " + parts.joined(separator: " ") }
        if let key { text += " -k \(key)" }
        return AuditRuleData(list: data.flags, action: data.action, syscallMask: mask, fields: fields, key: key, text: text)
    }

    /// `-S all`, or `-S NAME…` (a few, then how many more).
    private static func syscalls(_ mask: [UInt32]) -> String {
        if mask.allSatisfy({ $0 == UInt32.max }) { return "-S all" }
        let machine = audit_detect_machine()
        var names: [String] = []
        for number in 0..<(mask.count * 32) where mask[number / 32] & (1 << UInt32(number % 32)) != 0 {
            names.append(audit_syscall_to_name(Int32(number), machine).map { String(cString: $0) } ?? String(number))
        }
        if names.count > 6 { return "-S " + names.prefix(6).joined(separator: ",") + ",… (\(names.count) system calls)" }
        return names.isEmpty ? "" : "-S " + names.joined(separator: ",")
    }
}
