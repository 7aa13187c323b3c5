/// The open fold windows, earliest end first (ties in the order they opened): windows close
/// in time order however coarse or fine the calls that close them, which is what makes a
/// live run print the same lines as a replay of the same records.
struct FoldWindowQueue: Sendable {
    struct Entry: Sendable {
        /// When the window ends, in milliseconds of event time.
        var end: UInt64
        /// Opening order, unique per window.
        var sequence: UInt64
        var key: FoldKey
    }

    /// A binary min-heap on (end, sequence).
    private var heap: [Entry] = []

    var count: Int { heap.count }

    /// The window that ends first.
    var first: Entry? { heap.first }

    mutating func push(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.precedes(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    @discardableResult
    mutating func popFirst() -> Entry? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let first = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, Self.precedes(heap[left], heap[smallest]) { smallest = left }
            if right < heap.count, Self.precedes(heap[right], heap[smallest]) { smallest = right }
            guard smallest != parent else { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return first
    }

    private static func precedes(_ a: Entry, _ b: Entry) -> Bool {
        a.end != b.end ? a.end < b.end : a.sequence < b.sequence
    }
}
