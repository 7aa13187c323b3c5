/// Events held back while the loader of a LOAD ahead of them is recovered from /proc.
///
/// Recovery runs on a worker thread so that the input loop never waits on /proc; the engine
/// must still see events in input order (an UNLOAD after its LOAD, alerts in the order of
/// the records), so once a LOAD waits for its answer every event behind it waits too. The
/// head waits until its answer arrives or its deadline passes (then it goes on with no
/// loader, counted as timed out). Bounded: the owner releases the head early when the queue
/// is full (`releaseHead`). Pure: time is a value the caller passes (monotonic
/// milliseconds), answers arrive as values.
public struct PendingEvents: HeadWaitingQueue, Sendable {
    /// Where a held event's loader recovery stands.
    public enum Recovery: Hashable, Sendable {
        /// The event needs none (it has SYSCALL context, is an UNLOAD or remote, or lookups
        /// are off); it waits only for the events ahead of it.
        case notNeeded
        /// A request was made; the event waits for its answer until `deadline`.
        case waiting(deadline: UInt64)
        /// The answer: the loader found, or nil when no process held the program.
        case answered(RecoveredLoader?)
        /// No request could be made (a bound was reached): the event goes on with no loader.
        case shed
    }

    /// An event leaving the queue, with what the engine is to know about it.
    public struct Released: Sendable {
        public var event: BPFEvent
        /// nil when kernel lookups are off.
        public var enrichment: Engine.Enrichment?

        public init(event: BPFEvent, enrichment: Engine.Enrichment?) {
            self.event = event
            self.enrichment = enrichment
        }
    }

    private struct Entry: Sendable {
        var event: BPFEvent
        var enrichment: Engine.Enrichment?
        var recovery: Recovery
    }

    /// Requests and how each ended (`passes` is the worker's to count).
    public private(set) var statistics = LoaderRecoveryStatistics()

    /// The held events, the head first.
    private var entries: HeldQueue<Entry>
    /// The token of the head: tokens number events in arrival order.
    private var headToken: UInt64 = 0
    /// The waiting LOAD of each program, so that its UNLOAD can answer it at once.
    private var waitingLoads: [ProgramKey: UInt64] = [:]

    /// `capacity`: the most events held at once.
    public init(capacity: Int) {
        entries = HeldQueue(capacity: capacity)
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }
    public var isFull: Bool { entries.isFull }

    /// The token the next appended event gets: a recovery request names its event by it.
    public var nextToken: UInt64 { headToken &+ UInt64(count) }

    /// Until when the head waits for its answer; nil when it does not wait.
    public var headDeadline: UInt64? {
        guard case .waiting(let deadline) = entries.head?.recovery else { return nil }
        return deadline
    }

    /// Holds an event behind those already held. `recovery` is `.waiting` for a LOAD whose
    /// loader was requested (under the token `nextToken` had before this call), `.shed`
    /// for one whose request was refused. An UNLOAD answers a LOAD of the same program
    /// still waiting: an unloaded program has no holder left to find.
    public mutating func append(_ event: BPFEvent, enrichment: Engine.Enrichment?, recovery: Recovery) {
        let token = nextToken
        let key = ProgramKey(node: event.node, programID: event.programID)
        switch recovery {
        case .waiting:
            statistics.requests &+= 1
            waitingLoads[key] = token
        case .shed:
            statistics.requests &+= 1
            statistics.shed &+= 1
        case .notNeeded, .answered:
            break
        }
        if event.operation == .unload, let load = waitingLoads[key] {
            answer(token: load, with: nil)
        }
        entries.append(Entry(event: event, enrichment: enrichment, recovery: recovery))
    }

    /// The worker's answer to the request of the event `token`. Late answers (for an event
    /// that has left, timed out or shed) are ignored.
    public mutating func answer(token: UInt64, with loader: RecoveredLoader?) {
        guard token >= headToken, token - headToken < UInt64(count) else { return }
        let index = Int(token - headToken)
        guard case .waiting = entries[index].recovery else { return }
        entries[index].recovery = .answered(loader)
        if loader != nil { statistics.recovered &+= 1 } else { statistics.notFound &+= 1 }
        let key = ProgramKey(node: entries[index].event.node, programID: entries[index].event.programID)
        if waitingLoads[key] == token { waitingLoads.removeValue(forKey: key) }
    }

    public mutating func releaseHeadAfterWait() -> Released {
        removeHead(unanswered: \.timedOut)
    }

    /// Releases the head whatever it waits for: the queue is full, or input ended and the
    /// bounded wait is over. A head still waiting goes without an answer, counted as shed
    /// (`timedOut: false`) or timed out.
    public mutating func releaseHead(timedOut: Bool) -> Released? {
        isEmpty ? nil : removeHead(unanswered: timedOut ? \.timedOut : \.shed)
    }

    private mutating func removeHead(unanswered counter: WritableKeyPath<LoaderRecoveryStatistics, UInt64>) -> Released {
        let entry = entries.removeHead()
        var enrichment = entry.enrichment
        switch entry.recovery {
        case .waiting:
            statistics[keyPath: counter] &+= 1
            let key = ProgramKey(node: entry.event.node, programID: entry.event.programID)
            if waitingLoads[key] == headToken { waitingLoads.removeValue(forKey: key) }
        case .answered(let loader?):
            enrichment?.recoveredLoader = loader.process
            enrichment?.holders = loader.holders
        case .answered(nil), .notNeeded, .shed:
            break
        }
        headToken &+= 1
        return Released(event: entry.event, enrichment: enrichment)
    }
}
