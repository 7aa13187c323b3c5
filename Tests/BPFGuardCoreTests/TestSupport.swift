@testable import BPFGuardCore

/// A fixed user/group database for policy tests.
struct TableResolver: NameResolver {
    var users: [String: UInt32] = ["root": 0, "alice": 1000, "systemd-network": 998, "nobody": 65534]
    var groups: [String: UInt32] = ["root": 0, "bpf": 950, "nogroup": 65534]

    func userID(named name: String) -> UInt32? { users[name] }
    func groupID(named name: String) -> UInt32? { groups[name] }
}

func parse(_ text: String, path: String = "test.policy") -> PolicyParseResult {
    PolicyParser.parse(text, path: path, resolver: TableResolver())
}

/// Parses a policy that must be valid.
func compiledPolicy(_ text: String) throws -> Policy {
    let result = parse(text)
    guard let policy = result.policy else {
        throw PolicyTestError(message: result.diagnostics.map(\.description).joined(separator: "\n"))
    }
    return policy
}

struct PolicyTestError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

func stamp(_ seconds: UInt64, _ milliseconds: UInt32 = 0, serial: UInt64 = 1) -> AuditTimestamp {
    AuditTimestamp(seconds: seconds, milliseconds: milliseconds, serial: serial)
}

func process(uid: UInt32 = 0, auid: UInt32? = ProcessContext.unsetID, pid: UInt32 = 100, comm: String = "loader", exe: String = "/usr/sbin/bpftool") -> ProcessContext {
    ProcessContext(uid: uid, auid: auid, euid: uid, gid: 0, pid: pid, ppid: 1, ses: ProcessContext.unsetID,
                   tty: Array("(none)".utf8), comm: Array(comm.utf8), exe: Array(exe.utf8), syscall: Array("bpf".utf8))
}

func load(_ id: UInt32, at time: AuditTimestamp = stamp(1000), node: String? = nil, by loader: ProcessContext? = process()) -> BPFEvent {
    BPFEvent(operation: .load, programID: id, node: node, timestamp: time, process: loader)
}

func unload(_ id: UInt32, at time: AuditTimestamp = stamp(1001), node: String? = nil, by unloader: ProcessContext? = nil) -> BPFEvent {
    BPFEvent(operation: .unload, programID: id, node: node, timestamp: time, process: unloader)
}

/// The label of the alert a policy raises for a LOAD by `loader` (nil: allowed).
func decide(_ policy: Policy, _ subject: RuleSubject) -> String? {
    policy.evaluate(subject).alert?.label
}
