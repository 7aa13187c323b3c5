/// The `limit` smallest distinct values inserted, sorted, and whether there were more.
///
/// Learning mode keeps what it saw of each loader (uids, program names, nodes, days) in
/// bounded memory, and the result must not depend on the order of the logs: keeping the
/// smallest values, rather than the first ones, gives the same contents in any order.
public struct SmallestValues<Value: Comparable & Hashable & Sendable>: Hashable, Sendable {
    public let limit: Int
    public private(set) var values: [Value] = []
    /// More distinct values were inserted than `limit`.
    public private(set) var overflowed = false

    public init(limit: Int) {
        precondition(limit > 0)
        self.limit = limit
    }

    public var count: Int { values.count }

    public mutating func insert(_ value: Value) {
        var low = 0, high = values.count
        while low < high {
            let middle = (low + high) / 2
            if values[middle] < value { low = middle + 1 } else { high = middle }
        }
        if low < values.count, values[low] == value { return }
        if values.count == limit {
            overflowed = true
            guard low < limit else { return }
            values.removeLast()
        }
        values.insert(value, at: low)
    }

    public mutating func merge(_ other: SmallestValues) {
        for value in other.values { insert(value) }
        if other.overflowed { overflowed = true }
    }
}
