/// One BPF program load or unload, as assembled from an audit event.
public struct BPFEvent: Hashable, Sendable {
    public var operation: BPFOperation
    /// The kernel's program id. 0 on UNLOAD records of kernels 5.15–6.1 (a kernel bug):
    /// such an unload cannot be matched to its load.
    public var programID: UInt32
    /// The `node=` prefix of the records, when auditd's name_format adds one.
    public var node: String?
    public var timestamp: AuditTimestamp
    /// The SYSCALL/PROCTITLE context of the same event; nil for a standalone BPF record.
    public var process: ProcessContext?

    public init(
        operation: BPFOperation, programID: UInt32, node: String? = nil,
        timestamp: AuditTimestamp, process: ProcessContext? = nil
    ) {
        self.operation = operation
        self.programID = programID
        self.node = node
        self.timestamp = timestamp
        self.process = process
    }
}
