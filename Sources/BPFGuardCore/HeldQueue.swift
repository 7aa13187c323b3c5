/// A first-in first-out queue of held events, bounded: appended at the tail, left from the
/// head, and reachable by offset from the head (a held event is answered in place). An
/// array whose left part, once left, is dropped when it is the larger part of the storage:
/// both ends cost O(1) amortised.
public struct HeldQueue<Element: Sendable>: Sendable {
    /// The most elements held at once (the owner makes room before appending).
    public let capacity: Int
    /// storage[start...] are held, the head first.
    private var storage: [Element] = []
    private var start = 0

    public init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    public var count: Int { storage.count - start }
    public var isEmpty: Bool { count == 0 }
    public var isFull: Bool { count >= capacity }
    /// The offsets of the held elements, the head's 0.
    public var offsets: Range<Int> { 0..<count }
    public var head: Element? { isEmpty ? nil : storage[start] }

    public subscript(offset: Int) -> Element {
        get { storage[start + offset] }
        set { storage[start + offset] = newValue }
    }

    public mutating func append(_ element: Element) {
        precondition(!isFull, "the owner releases the head before appending to a full queue")
        storage.append(element)
    }

    /// Removes and returns the head (the queue is not empty).
    public mutating func removeHead() -> Element {
        let element = storage[start]
        start += 1
        if start == storage.count {
            storage.removeAll(keepingCapacity: storage.count <= 4096)
            start = 0
        } else if start >= 1024 && start * 2 >= storage.count {
            storage.removeFirst(start)
            start = 0
        }
        return element
    }
}
