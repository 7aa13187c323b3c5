import BPFGuardCore

/// Between the engine and the output: alerts go through the pure AlertFolder, and what it
/// lets out goes to the output. Live, it also closes windows by the clock when input is
/// quiet, so that a summary never waits for the next alert.
final class AlertFoldingStage {
    /// The folder and its pending lines: unchecked exclusivity, since they are reached only
    /// from the input thread and neither the folder (pure Core) nor the output calls back
    /// into this stage; a dynamic check per access was a measurable part of each alert's cost.
    @exclusivity(unchecked) private(set) var folder: AlertFolder
    private let output: AlertOutput
    @exclusivity(unchecked) private var pending: [OutgoingAlert] = []
    /// The folder's event time and the monotonic clock when it last moved forward: event
    /// time is taken to run on with the clock from there, after a grace for events that
    /// arrive late (events without EOE wait in the pre-filter). Deriving it from the records
    /// rather than reading the wall clock keeps windows right for records stamped by another
    /// clock (a remote node's, or a log fed through plugin mode).
    private var anchor: (eventTime: UInt64, monotonic: UInt64)?
    /// With the input loop's wake-ups (every 500 ms when input is quiet), a window closes by
    /// the clock at most about a second after its end.
    static let lateArrivalGraceMilliseconds: UInt64 = 500

    /// Live input: windows also close by the clock (a replay reads no clock).
    private let live: Bool

    init(policy: Policy, output: AlertOutput, live: Bool) {
        self.folder = AlertFolder(policy: policy)
        self.output = output
        self.live = live
    }

    var statistics: AlertFolder.Statistics { folder.statistics }

    /// An alert from the engine.
    func take(_ alert: Alert) {
        let before = folder.now
        folder.take(alert, into: &pending)
        if live, let now = folder.now, now != before { anchor = (now, Clock.monotonicMilliseconds()) }
        emitPending()
    }

    /// A built-in alert about audit itself: never folded or capped.
    func takeBuiltin(_ alert: AuditAlert) {
        folder.takeBuiltin(alert, into: &pending)
        emitPending()
    }

    /// Live, input quiet: closes the windows that have ended by now (called at least once a
    /// second by the input loop).
    func closeWindowsByClock() {
        guard let anchor, folder.hasOpenWindows else { return }
        let elapsed = Clock.monotonicMilliseconds() &- anchor.monotonic
        guard elapsed > Self.lateArrivalGraceMilliseconds else { return }
        folder.advance(to: anchor.eventTime &+ (elapsed - Self.lateArrivalGraceMilliseconds), into: &pending)
        emitPending()
    }

    /// End of input, SIGTERM: every pending summary leaves.
    func flush() {
        folder.flush(into: &pending)
        emitPending()
    }

    /// SIGHUP: pending summaries leave under the old policy, then the new one folds.
    func replacePolicy(_ policy: Policy) {
        folder.replacePolicy(policy, into: &pending)
        emitPending()
    }

    private func emitPending() {
        for line in pending { output.emit(line) }
        pending.removeAll(keepingCapacity: true)
    }
}
