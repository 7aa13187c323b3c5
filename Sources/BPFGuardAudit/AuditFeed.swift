import BPFGuardCore
import CAuparse

/// The audit record type of the kernel's BPF program load/unload record.
public let auditBPFRecordType: Int32 = 1334
let auditSyscallRecordType: Int32 = 1300
let auditProctitleRecordType: Int32 = 1327

/// Assembles audit records into events with libauparse in feed mode, and hands each
/// completed event's BPF loads and unloads to `onEvent` (an empty array for events
/// without a BPF record).
public final class AuditFeed {
    public typealias EventHandler = ([BPFEvent]) -> Void

    private let state: OpaquePointer
    private let onEvent: EventHandler
    /// Receives each change to audit itself (CONFIG_CHANGE, DAEMON_END/ABORT/RESUME).
    public var onAuditChange: ((AuditChange) -> Void)?
    // Unchecked exclusivity: only `eventReady` changes these, once per event, on the thread
    // that feeds (libauparse calls it back from `feed`); the checks cost more than the work.
    @exclusivity(unchecked) private var recentValues = RepeatedFieldValues()
    /// The events of the event being handed on, reused from event to event (an array per
    /// event was an allocation and a release per event of a BPF-dense stream).
    @exclusivity(unchecked) private var events: [BPFEvent] = []
    /// BPF records that lacked a usable `prog-id` or `op` (skipped).
    @exclusivity(unchecked) public private(set) var malformedBPFRecords: UInt64 = 0

    /// libauparse holds back the last line it was fed until more bytes arrive; a lone
    /// newline releases it without adding a record.
    private static let releaseByte: [CChar] = [0x0A]

    public init(onEvent: @escaping EventHandler) throws(AuditFeedError) {
        guard let state = auparse_init(AUSOURCE_FEED, nil) else { throw AuditFeedError(message: "auparse_init failed") }
        self.state = state
        self.onEvent = onEvent
        auparse_add_callback(state, auditFeedEventReady, Unmanaged.passUnretained(self).toOpaque(), nil)
    }

    deinit {
        auparse_destroy(state)
    }

    /// Feeds complete record lines (each ending in a newline).
    public func feed(_ lines: UnsafeRawBufferPointer) {
        guard let base = lines.baseAddress, !lines.isEmpty else { return }
        auparse_feed(state, base.assumingMemoryBound(to: CChar.self), lines.count)
    }

    /// Lets libauparse complete the event of the last line fed (call after each batch).
    public func release() {
        Self.releaseByte.withUnsafeBufferPointer { _ = auparse_feed(state, $0.baseAddress, 1) }
    }

    /// Completes events older than libauparse's end-of-event timeout (call on idle input),
    /// so that events without an EOE record are not held back.
    public func ageEvents() {
        auparse_feed_age_events(state)
    }

    /// Completes every pending event (end of input).
    public func flush() {
        auparse_flush_feed(state)
    }

    /// Whether events are still waiting for more records.
    public var hasPendingData: Bool { auparse_feed_has_data(state) != 0 }

    fileprivate func eventReady(_ au: OpaquePointer) {
        var extractor = BPFEventExtractor(au)
        while !events.isEmpty { events.removeLast() }  // (`removeAll(keepingCapacity:)` took a slow generic path)
        extractor.extract(recent: &recentValues, into: &events)
        malformedBPFRecords += extractor.malformedRecords
        for change in extractor.auditChanges { onAuditChange?(change) }
        onEvent(events)
    }
}

public struct AuditFeedError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// libauparse's callback: a top-level function, with the feed passed as `user_data`.
private func auditFeedEventReady(_ au: OpaquePointer?, _ type: auparse_cb_event_t, _ userData: UnsafeMutableRawPointer?) {
    guard let au, let userData, type == AUPARSE_CB_EVENT_READY else { return }
    Unmanaged<AuditFeed>.fromOpaque(userData).takeUnretainedValue().eventReady(au)
}
