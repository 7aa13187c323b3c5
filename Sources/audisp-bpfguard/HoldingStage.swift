import BPFGuardCore
import Glibc

/// A stage of the input path that holds events, in input order, while a worker thread
/// answers for them (loader recovery, loader facts); the input loop polls the worker's
/// wake-up descriptor and takes the answers.
protocol HoldingStage: AnyObject {
    /// Takes the worker's answers; returns the events that leave now. `woken`: the wake-up
    /// descriptor was readable (it is reset first).
    func collectAnswers(woken: Bool) -> [PendingEvents.Released]
    /// Until when the head waits for its answer; nil when it does not wait.
    var headDeadline: UInt64? { get }
    var hasPending: Bool { get }
    /// Blocks until answers arrive or `deadline` passes.
    func waitForAnswers(until deadline: UInt64)
}

extension HoldingStage {
    /// Blocks until nothing is held, each head waiting for its answer until its deadline:
    /// only where blocking is allowed (end of input, `--replay`).
    func drain() -> [PendingEvents.Released] {
        var released: [PendingEvents.Released] = []
        var waited = false
        while true {
            released += collectAnswers(woken: waited)
            waited = false
            guard let deadline = headDeadline else {
                if !hasPending { return released }
                continue
            }
            waitForAnswers(until: deadline)
            waited = true
        }
    }
}

/// The eventfd a worker signals when answers wait for the input loop.
enum WakeUpDescriptor {
    /// Blocks until `descriptor` is readable or `deadline` (monotonic milliseconds) passes,
    /// a minute at most.
    static func wait(_ descriptor: Int32, until deadline: UInt64) {
        let now = Clock.monotonicMilliseconds()
        guard deadline > now else { return }
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        _ = poll(&poller, 1, Int32(min(deadline - now, 60_000)))
    }
}
