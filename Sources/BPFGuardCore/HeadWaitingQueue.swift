/// A queue of events held in input order whose head may wait for an answer until a
/// deadline (loader recovery, loader facts): whatever is behind it waits too.
public protocol HeadWaitingQueue {
    var isEmpty: Bool { get }
    /// Until when the head waits for its answer; nil when it does not wait.
    var headDeadline: UInt64? { get }
    /// Releases the head, whose wait is over: answered, not needed, or its deadline passed
    /// (then it goes on without its answer, counted as timed out).
    mutating func releaseHeadAfterWait() -> PendingEvents.Released
}

extension HeadWaitingQueue {
    /// Releases the events at the head that need wait no longer at time `now` (monotonic
    /// milliseconds): answered or needing no answer, and a head whose deadline has passed.
    public mutating func releaseReady(now: UInt64) -> [PendingEvents.Released] {
        var released: [PendingEvents.Released] = []
        while !isEmpty, (headDeadline ?? now) <= now { released.append(releaseHeadAfterWait()) }
        return released
    }
}
