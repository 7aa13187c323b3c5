/// Counters a part of the plugin reports: `name=value` pairs in the exit summary and
/// `name = value` lines in the state report, always in the same order.
public protocol NamedCounters {
    var counters: [(name: String, value: UInt64)] { get }
}

extension NamedCounters {
    /// `name=value name=value …` for log lines.
    public var summary: String { NamedCounterText.summary(counters) }
}

public enum NamedCounterText {
    /// `name=value name=value …`.
    public static func summary(_ counters: [(name: String, value: UInt64)]) -> String {
        counters.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
    }
}
