/// Events held back while the package databases' verdict on a loader's executable is worked
/// out on the facts worker (dpkg's index read again after a change, a large file hashed).
///
/// The engine must see events in input order, so once a LOAD waits for its verdict every
/// event behind it waits too. The head waits until the verdict of its question arrives or
/// its deadline passes; then it goes on with `exe-package=?` and `exe-trusted=?` (counted as
/// timed out). Several LOADs of one file share one question. Bounded: the owner releases the
/// head early when the queue is full (`releaseHead`, counted as shed). Pure: time is a value
/// the caller passes (monotonic milliseconds), verdicts arrive as values.
public struct PendingLoaderFacts: Sendable {
    /// How a LOAD enters the queue.
    public enum Wait: Hashable, Sendable {
        /// Its facts are in its enrichment already (cached, nothing to ask), or it is not a
        /// LOAD with a loader: it waits only for the events ahead of it.
        case notNeeded
        /// It waits for the verdict of question `request` until `deadline`.
        case waiting(request: UInt64, deadline: UInt64, loader: ExaminedLoader)
        /// No question could be asked (a bound was reached): it goes on with what is known
        /// without a verdict.
        case shed(ExaminedLoader)
    }

    public typealias Released = PendingEvents.Released

    private struct Entry: Sendable {
        var item: Released
        /// The question it waits for, while it waits.
        var waiting: (request: UInt64, deadline: UInt64, loader: ExaminedLoader)?
    }

    public let capacity: Int
    /// Waits and how they ended (`requests` and `indexRebuilds` are the owner's to count).
    public private(set) var statistics = LoaderFactsStatistics()

    /// entries[start...] are held, the head first (the left part is compacted from time to time).
    private var entries: [Entry] = []
    private var start = 0

    public init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    public var count: Int { entries.count - start }
    public var isEmpty: Bool { count == 0 }
    public var isFull: Bool { count >= capacity }

    /// Until when the head waits for its verdict; nil when it does not wait.
    public var headDeadline: UInt64? {
        guard start < entries.count else { return nil }
        return entries[start].waiting?.deadline
    }

    /// Holds an event behind those already held.
    public mutating func append(_ item: Released, wait: Wait) {
        precondition(!isFull, "the owner releases the head before appending to a full queue")
        var entry = Entry(item: item, waiting: nil)
        switch wait {
        case .notNeeded:
            break
        case .waiting(let request, let deadline, let loader):
            statistics.waits &+= 1
            entry.waiting = (request, deadline, loader)
        case .shed(let loader):
            statistics.shed &+= 1
            entry.item.enrichment?.loaderFacts = loader.factsWithoutVerdict
        }
        entries.append(entry)
    }

    /// The verdict of question `request`: every held event waiting for it gets its facts.
    /// A verdict nobody waits for any more (its events timed out or were shed) is ignored.
    /// One pass over the held events: verdicts come once per file, not per event.
    public mutating func answer(request: UInt64, with verdict: PackageVerdict) {
        for index in start..<entries.count {
            guard let waiting = entries[index].waiting, waiting.request == request else { continue }
            entries[index].item.enrichment?.loaderFacts = waiting.loader.facts(verdict)
            entries[index].waiting = nil
        }
    }

    /// Releases the events at the head that need wait no longer at time `now`: those with
    /// their facts, and a head whose deadline has passed (counted as timed out).
    public mutating func releaseReady(now: UInt64) -> [Released] {
        var released: [Released] = []
        while !isEmpty {
            if let deadline = headDeadline, deadline > now { break }
            released.append(removeHead(unanswered: \.timedOut))
        }
        return released
    }

    /// Releases the head whatever it waits for (the queue is full): a head still waiting
    /// goes on without a verdict, counted as shed.
    public mutating func releaseHead() -> Released? {
        isEmpty ? nil : removeHead(unanswered: \.shed)
    }

    private mutating func removeHead(unanswered counter: WritableKeyPath<LoaderFactsStatistics, UInt64>) -> Released {
        var entry = entries[start]
        if let waiting = entry.waiting {
            statistics[keyPath: counter] &+= 1
            entry.item.enrichment?.loaderFacts = waiting.loader.factsWithoutVerdict
        }
        start += 1
        compactIfNeeded()
        return entry.item
    }

    /// Drops the entries that have left once they are the larger part of the storage.
    private mutating func compactIfNeeded() {
        if start == entries.count {
            entries.removeAll(keepingCapacity: entries.count <= 4096)
            start = 0
        } else if start >= 1024 && start * 2 >= entries.count {
            entries.removeFirst(start)
            start = 0
        }
    }
}
