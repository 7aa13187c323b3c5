/// The counters the plugin reports (summary line, state report), watched for going
/// backwards: a counter that decreases under some input reports a wrong number.
struct CounterWatch {
    private var last: [(name: String, value: UInt64)] = []

    /// Compares `counters` with the previous observation (same names, same order).
    mutating func observe(_ counters: [(name: String, value: UInt64)], after step: @autoclosure () -> String) {
        if !last.isEmpty {
            for (previous, now) in zip(last, counters) where now.value < previous.value {
                fuzzFailure("counter \(now.name) went back from \(previous.value) to \(now.value) after \(step())")
            }
        }
        last = counters
    }
}
