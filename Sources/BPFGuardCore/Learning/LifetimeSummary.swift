/// The lifetimes of a loader's programs in constant space: count, shortest, longest, and
/// how many fall in each decade-wide bucket, from which the typical lifetime is named.
public struct LifetimeSummary: Hashable, Sendable {
    /// Upper bounds of the buckets, in milliseconds; the last bucket has none.
    public static let bounds: [UInt64] = [10, 100, 1000, 10_000, 60_000, 3_600_000, 86_400_000]

    public private(set) var count: UInt64 = 0
    public private(set) var shortest: UInt64 = .max
    public private(set) var longest: UInt64 = 0
    public private(set) var buckets = [UInt64](repeating: 0, count: bounds.count + 1)

    public init() {}

    public mutating func add(_ milliseconds: UInt64) {
        count &+= 1
        shortest = min(shortest, milliseconds)
        longest = max(longest, milliseconds)
        let bucket = Self.bounds.firstIndex { milliseconds < $0 } ?? Self.bounds.count
        buckets[bucket] &+= 1
    }

    public mutating func merge(_ other: LifetimeSummary) {
        count &+= other.count
        shortest = min(shortest, other.shortest)
        longest = max(longest, other.longest)
        for index in buckets.indices { buckets[index] &+= other.buckets[index] }
    }

    /// `200ms to 1.5s, most 1s-10s (2 of 3)`, `1.5s` when all are alike, or nil when nothing
    /// was measured.
    public var text: String? {
        guard count > 0 else { return nil }
        guard shortest != longest else { return Self.duration(shortest) }
        let range = "\(Self.duration(shortest)) to \(Self.duration(longest))"
        // The fullest bucket; the shorter one on a tie.
        var best = 0
        for index in buckets.indices where buckets[index] > buckets[best] { best = index }
        let low = best == 0 ? "0ms" : Self.duration(Self.bounds[best - 1])
        let name = best == Self.bounds.count ? "\(low) or more" : "\(low)-\(Self.duration(Self.bounds[best]))"
        return "\(range), most \(name) (\(buckets[best]) of \(count))"
    }

    /// `250ms`, `1.5s`, `42s`, `5m`, `2h30m`, `3d`: one decimal of seconds below a minute.
    public static func duration(_ milliseconds: UInt64) -> String {
        if milliseconds < 1000 { return "\(milliseconds)ms" }
        if milliseconds < 60_000 {
            let tenths = milliseconds / 100
            return tenths % 10 == 0 ? "\(tenths / 10)s" : "\(tenths / 10).\(tenths % 10)s"
        }
        // The largest unit that fits, and the next one when it is not zero: 2h30m, 3d, 1m5s.
        let units: [(name: String, size: UInt64)] = [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)]
        let first = units.firstIndex { milliseconds >= $0.size }!
        var text = "\(milliseconds / units[first].size)\(units[first].name)"
        if first + 1 < units.count {
            let next = milliseconds % units[first].size / units[first + 1].size
            if next > 0 { text += "\(next)\(units[first + 1].name)" }
        }
        return text
    }
}
