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

    /// Appends `description`'s bytes to `bytes` without building a String (the EOE record the
    /// pre-filter writes for every event).
    public func appendText(to bytes: inout [UInt8]) {
        Self.appendDecimal(seconds, to: &bytes)
        bytes.append(UInt8(ascii: "."))
        if milliseconds < 100 { bytes.append(UInt8(ascii: "0")) }
        if milliseconds < 10 { bytes.append(UInt8(ascii: "0")) }
        Self.appendDecimal(UInt64(milliseconds), to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        Self.appendDecimal(serial, to: &bytes)
    }

    private static func appendDecimal(_ value: UInt64, to bytes: inout [UInt8]) {
        // Digits from the last, into a buffer on the stack (UInt64 has at most 20).
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var rest = value, start = 20
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
            } while rest > 0
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start..<20]))
        }
    }

    /// `SEC.MSEC`: the time alone (the `first=` and `last=` of a folded alert).
    public var timeText: String {
        let ms = String(milliseconds)
        return "\(seconds).\(String(repeating: "0", count: max(0, 3 - ms.count)))\(ms)"
    }
}
