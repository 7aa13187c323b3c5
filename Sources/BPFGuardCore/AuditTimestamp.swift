/// When and in which order the kernel emitted an audit event: `msg=audit(SEC.MSEC:SERIAL)`.
public struct AuditTimestamp: Hashable, Sendable, CustomStringConvertible {
    public var seconds: UInt64
    public var milliseconds: UInt32
    public var serial: UInt64

    public init(seconds: UInt64, milliseconds: UInt32, serial: UInt64) {
        self.seconds = seconds
        self.milliseconds = milliseconds
        self.serial = serial
    }

    /// Milliseconds since the epoch.
    public var totalMilliseconds: UInt64 { seconds &* 1000 &+ UInt64(milliseconds) }

    /// Milliseconds from `earlier` to `self`; 0 when `earlier` is not earlier (clock steps).
    public func milliseconds(since earlier: AuditTimestamp) -> UInt64 {
        let now = totalMilliseconds, then = earlier.totalMilliseconds
        return now >= then ? now - then : 0
    }

    /// `SEC.MSEC:SERIAL`, the form auditd prints inside `msg=audit(...)`.
    public var description: String { "\(timeText):\(serial)" }

    /// `SEC.MSEC`: the time alone (the `first=` and `last=` of a folded alert).
    public var timeText: String {
        let ms = String(milliseconds)
        return "\(seconds).\(String(repeating: "0", count: max(0, 3 - ms.count)))\(ms)"
    }
}
