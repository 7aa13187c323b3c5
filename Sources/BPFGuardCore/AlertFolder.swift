/// Folds repeated alerts before anyone else drops them, and never loses count.
///
/// Alerts that agree on the policy's `fold_by` keys within `fold_window` of the first of
/// them share a window: the first `fold_burst` leave at once, unchanged; the rest are counted,
/// and when the window closes one summary line (`repeated=N first=… last=…`) stands for them.
/// Everything that leaves then passes the per-minute cap (`max_alerts_per_minute`).
///
/// Pure: windows run on the alerts' event times, never on a clock, so a replay prints what a
/// live run would have sent. The executable closes windows on a quiet stream by calling
/// `advance(to:)` with an event time it derives from its clock, and `flush` at reload, stop
/// and end of input.
public struct AlertFolder: Sendable {
    /// Where every raised alert went: `raised == sent + folded + capped` at all times.
    public struct Statistics: Hashable, Sendable {
        public var raised: UInt64 = 0
        /// Left as a line of their own.
        public var sent: UInt64 = 0
        /// Stood for by a summary line (sent or still pending).
        public var folded: UInt64 = 0
        /// Held back by the cap (counted in its notes).
        public var capped: UInt64 = 0

        public init(raised: UInt64 = 0, sent: UInt64 = 0, folded: UInt64 = 0, capped: UInt64 = 0) {
            self.raised = raised
            self.sent = sent
            self.folded = folded
            self.capped = capped
        }

        /// `alerts_raised=N alerts_sent=N alerts_folded=N alerts_capped=N`.
        public var summary: String {
            "alerts_raised=\(raised) alerts_sent=\(sent) alerts_folded=\(folded) alerts_capped=\(capped)"
        }
    }

    /// Open windows at most; beyond it the window that ends first is closed early, so that
    /// alerts with ever-new keys cannot grow the folder without bound.
    public static let maximumWindows = 4096

    public private(set) var statistics = Statistics()
    /// The latest event time seen or advanced to, in milliseconds since the epoch.
    public private(set) var now: UInt64?

    private var window: UInt64
    private var burst: Int
    private var keys: [AlertKey]
    /// `fold=` of the rules that have one, by line.
    private var ruleWindows: [Int: UInt64]
    private var groups = FoldGroups<Group>()
    private var memo = FoldGroupMemo()
    /// The key values of the alert being folded, for the memo: reused from alert to alert (an
    /// array per alert was an allocation and a release per event of a flood).
    private var readings: [FieldReading] = []
    private var closings = FoldWindowQueue()
    private var cap: AlertRateCap
    private var opened: UInt64 = 0

    /// One open window of one key.
    private struct Group: Sendable {
        var sent: Int
        var folded: RepeatedAlert?

        /// Counts one more alert of the window: true when it is within the burst (it leaves
        /// as it is), false when it is folded.
        mutating func take(_ alert: Alert, burst: Int) -> Bool {
            if sent < burst {
                sent += 1
                return true
            }
            if folded == nil { folded = RepeatedAlert(alert) } else { folded!.add(alert) }
            return false
        }
    }

    public init(policy: Policy) {
        let settings = policy.settings
        window = settings.foldWindowMilliseconds
        burst = settings.foldBurst
        keys = settings.foldBy
        ruleWindows = [:]
        for rule in policy.rules {
            if let ruleWindow = rule.foldWindowMilliseconds { ruleWindows[rule.line] = ruleWindow }
        }
        cap = AlertRateCap(limit: settings.maxAlertsPerMinute)
    }

    /// Whether a window (or the cap's minute) is open, which only time or a flush closes.
    public var hasOpenWindows: Bool { !groups.isEmpty || cap.minuteEnd != nil }

    public var openWindows: Int { groups.count }

    /// One alert from the engine: what leaves now is appended to `output` (windows it
    /// closes first, then the alert itself unless it is folded or held back).
    public mutating func take(_ alert: Alert, into output: inout [OutgoingAlert]) {
        statistics.raised &+= 1
        let time = alert.subject.event.timestamp.totalMilliseconds
        advance(to: time, into: &output)
        var alertWindow = window
        if !ruleWindows.isEmpty, case .line(let line) = alert.rule, let ruleWindow = ruleWindows[line] { alertWindow = ruleWindow }
        guard alertWindow > 0 else {
            pass(.single(alert), at: time, into: &output)
            return
        }
        // One lookup without building the alert's key, and the group changed in place (a
        // group holds an alert: copying it out and back per alert was a large part of a
        // flood's cost).
        // The group of a recent alert with the very same key values first (`FoldGroupMemo`).
        if readings.count == keys.count {
            for index in keys.indices { readings[index] = FieldReading(keys[index], in: alert) }
        } else {
            readings = keys.map { FieldReading($0, in: alert) }
        }
        var found: Int32?
        if let recent = memo.group(for: readings), groups.holds(recent.slot, generation: recent.generation) {
            found = recent.slot
        } else if let slot = groups.slot(of: alert, keys: keys, hash: FoldKey.hash(of: alert, keys: keys)) {
            found = slot
            memo.remember(readings, slot: slot, generation: groups.generation(of: slot))
        }
        if let slot = found {
            if groups[slot].take(alert, burst: burst) {
                pass(.single(alert), at: time, into: &output)
            } else {
                statistics.folded &+= 1
            }
            return
        }
        if groups.count >= Self.maximumWindows, let earliest = closings.popFirst() {
            close(earliest.key, at: now ?? time, into: &output)
        }
        opened &+= 1
        let key = FoldKey(alert, keys: keys)
        let slot = groups.insert(Group(sent: 1), for: key)
        memo.remember(readings, slot: slot, generation: groups.generation(of: slot))
        closings.push(FoldWindowQueue.Entry(end: saturatingSum(time, alertWindow), sequence: opened, key: key))
        pass(.single(alert), at: time, into: &output)
    }

    /// Event time has reached `time` (an alert's, or the clock's on a quiet stream): closes
    /// the windows and the cap's minute that end by then, in time order.
    public mutating func advance(to time: UInt64, into output: inout [OutgoingAlert]) {
        let target = max(time, now ?? 0)
        now = target
        close(through: target, into: &output)
    }

    /// Closes every window and the cap's minute: at reload, stop and end of input, so that no
    /// count is left behind.
    public mutating func flush(into output: inout [OutgoingAlert]) {
        close(through: .max, into: &output)
    }

    /// Flushes under the old policy, then folds by the new one; the counters are kept.
    public mutating func replacePolicy(_ policy: Policy, into output: inout [OutgoingAlert]) {
        flush(into: &output)
        let statistics = statistics, now = now, opened = opened
        self = AlertFolder(policy: policy)
        self.statistics = statistics
        self.now = now
        self.opened = opened
    }

    private mutating func close(through target: UInt64, into output: inout [OutgoingAlert]) {
        while true {
            let nextWindowEnd = closings.first?.end
            // A minute that ends with a window closes first: the window's summary belongs to
            // the next minute ([start, end) intervals).
            if let minuteEnd = cap.minuteEnd, minuteEnd <= target, minuteEnd <= (nextWindowEnd ?? .max) {
                cap.closeMinute(into: &output)
                continue
            }
            guard let entry = closings.first, entry.end <= target else { return }
            closings.popFirst()
            close(entry.key, at: entry.end, into: &output)
        }
    }

    /// Ends one key's window: its summary leaves, when alerts were folded.
    private mutating func close(_ key: FoldKey, at time: UInt64, into output: inout [OutgoingAlert]) {
        guard let group = groups.remove(key), let folded = group.folded else { return }
        pass(.repeated(folded), at: time, into: &output)
    }

    /// Through the cap, keeping the counters: a summary held back moves its alerts from
    /// folded to capped.
    private mutating func pass(_ line: OutgoingAlert, at time: UInt64, into output: inout [OutgoingAlert]) {
        let left = cap.take(line, at: time, into: &output)
        switch line {
        case .single:
            if left { statistics.sent &+= 1 } else { statistics.capped &+= 1 }
        case .repeated(let repeated):
            if !left {
                statistics.folded &-= repeated.count
                statistics.capped &+= repeated.count
            }
        case .capped, .audit:
            break
        }
    }

    /// A built-in alert about audit itself: it leaves at once, neither folded nor capped
    /// (an attacker's flood must not hold back the news that audit was switched off).
    public mutating func takeBuiltin(_ alert: AuditAlert, into output: inout [OutgoingAlert]) {
        statistics.raised &+= 1
        advance(to: alert.timestamp.totalMilliseconds, into: &output)
        statistics.sent &+= 1
        output.append(.audit(alert))
    }
}
