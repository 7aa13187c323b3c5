/// `max_alerts_per_minute`, the last line of defence behind folding: at most that many lines
/// (alerts and fold summaries) leave per minute of event time. Beyond it lines are held back
/// and counted, and when the minute ends one note says how many alerts were held, by label
/// — never a silent drop.
struct AlertRateCap: Sendable {
    static let minuteMilliseconds: UInt64 = 60_000

    /// 0: no cap.
    let limit: Int
    /// When the current minute ends; nil until a line opens one.
    private(set) var minuteEnd: UInt64?
    private var passed = 0
    private var held: CappedAlerts?

    init(limit: Int) {
        self.limit = limit
    }

    /// Lets `line` out (appended to `output`) or holds it back; returns whether it left.
    /// `time` is the line's event time in milliseconds: the first line opens a minute.
    mutating func take(_ line: OutgoingAlert, at time: UInt64, into output: inout [OutgoingAlert]) -> Bool {
        guard limit > 0 else {
            output.append(line)
            return true
        }
        if minuteEnd == nil {
            minuteEnd = saturatingSum(time, Self.minuteMilliseconds)
            passed = 0
        }
        if passed < limit {
            passed += 1
            output.append(line)
            return true
        }
        if held == nil { held = CappedAlerts(line) } else { held!.add(line) }
        return false
    }

    /// The minute is over: its note, when lines were held back.
    mutating func closeMinute(into output: inout [OutgoingAlert]) {
        if let held { output.append(.capped(held)) }
        held = nil
        minuteEnd = nil
        passed = 0
    }
}

