/// Events held back while the package databases' verdict on a loader's executable is worked
/// out on the facts worker (dpkg's index read again after a change, a large file hashed).
///
/// The engine must see events in input order, so once a LOAD waits for its verdict every
/// event behind it waits too. The head waits until the verdict of its question arrives or
/// its deadline passes; then it goes on with `exe-package=?` and `exe-trusted=?` (counted as
/// timed out). Several LOADs of one file share one question. Bounded: the owner releases the
/// head early when the queue is full (`releaseHead`, counted as shed). Pure: time is a value
/// the caller passes (monotonic milliseconds), verdicts arrive as values.
public struct PendingLoaderFacts: HeadWaitingQueue, Sendable {
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

    /// Waits and how they ended (`requests` and `indexRebuilds` are the owner's to count).
    public private(set) var statistics = LoaderFactsStatistics()

    /// The held events, the head first.
    private var entries: HeldQueue<Entry>

    /// `capacity`: the most events held at once.
    public init(capacity: Int) { entries = HeldQueue(capacity: capacity) }

    public var isEmpty: Bool { entries.isEmpty }
    public var isFull: Bool { entries.isFull }

    /// Until when the head waits for its verdict; nil when it does not wait.
    public var headDeadline: UInt64? {
        entries.head?.waiting?.deadline
    }

    /// Holds an event behind those already held.
    public mutating func append(_ item: Released, wait: Wait) {
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
        for index in entries.offsets {
            guard let waiting = entries[index].waiting, waiting.request == request else { continue }
            entries[index].item.enrichment?.loaderFacts = waiting.loader.facts(verdict)
            entries[index].waiting = nil
        }
    }

    public mutating func releaseHeadAfterWait() -> Released {
        removeHead(unanswered: \.timedOut)
    }

    /// Releases the head whatever it waits for (the queue is full): a head still waiting
    /// goes on without a verdict, counted as shed.
    public mutating func releaseHead() -> Released? {
        isEmpty ? nil : removeHead(unanswered: \.shed)
    }

    private mutating func removeHead(unanswered counter: WritableKeyPath<LoaderFactsStatistics, UInt64>) -> Released {
        var entry = entries.removeHead()
        if let waiting = entry.waiting {
            statistics[keyPath: counter] &+= 1
            entry.item.enrichment?.loaderFacts = waiting.loader.factsWithoutVerdict
        }
        return entry.item
    }
}
