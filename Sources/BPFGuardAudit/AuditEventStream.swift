import BPFGuardCore

/// Audit record bytes in, BPF events out: line reader → pre-filter → libauparse event
/// assembly → BPF event extraction. The whole input path below the engine, shared by the
/// plugin, `--replay` and the fuzz targets, so that what is fuzzed is what runs.
///
/// It does no I/O of its own and reads no clock: live input passes a monotonic clock
/// (events without EOE then complete by it), replayed logs pass none.
public final class AuditEventStream {
    public typealias EventHandler = ([BPFEvent]) -> Void
    /// Receives the first bytes of each malformed line skipped.
    public typealias MalformedLineHandler = ([UInt8]) -> Void

    private var reader = AuditLineReader()
    /// In pass-through mode with `--no-prefilter`: every record goes to libauparse, BPF
    /// events still whole and in order.
    ///
    /// The filter and the batch are reached once per record: unchecked exclusivity (a
    /// dynamic check per record was a measurable share of a BPF-dense stream). Safe: the
    /// stream is driven by one thread, and nothing it calls (libauparse's callback, the
    /// event handler) reaches back into them.
    @exclusivity(unchecked) private var filter: BPFRecordFilter
    private var feed: AuditFeed!
    /// Record lines of the current input chunk, each with its newline, fed in one call.
    @exclusivity(unchecked) private var batch: [UInt8] = []
    private let clock: (() -> UInt64)?
    private let onEvents: EventHandler
    private let onMalformedLine: MalformedLineHandler

    /// Record lines read (valid audit records); taken from the reader after each chunk (a
    /// count per record here would cost an exclusive access to this object per record).
    public private(set) var records: UInt64 = 0
    /// Lines that were not audit records (counted here, not read from the reader, which is
    /// busy while it reports one).
    public private(set) var malformedLines: UInt64 = 0

    /// `clock`: monotonic milliseconds for live input (events are released as they
    /// complete); nil for replayed logs (arrival order is kept).
    /// `trimsSyscallRecords`: whether the pre-filter trims SYSCALL records (`SyscallRecordTrimming`;
    /// by default when it filters): off only to compare with the records whole.
    public init(prefilter: Bool = true, trimsSyscallRecords: Bool? = nil, clock: (() -> UInt64)?,
                onMalformedLine: @escaping MalformedLineHandler = { _ in }, onEvents: @escaping EventHandler) throws(AuditFeedError) {
        self.clock = clock
        self.filter = BPFRecordFilter(orderedRelease: clock == nil, passThrough: !prefilter, trimsSyscallRecords: trimsSyscallRecords)
        self.onEvents = onEvents
        self.onMalformedLine = onMalformedLine
        self.feed = try AuditFeed { [unowned self] events in self.onEvents(events) }
    }

    /// Receives each change to audit itself, before the BPF events of the same event.
    public var onAuditChange: ((AuditChange) -> Void)? {
        get { feed.onAuditChange }
        set { feed.onAuditChange = newValue }
    }

    /// BPF records libauparse assembled that lacked a usable prog-id or op.
    public var malformedBPFRecords: UInt64 { feed.malformedBPFRecords }

    /// Malformed input lines and BPF records skipped so far.
    public var malformed: UInt64 { malformedLines + feed.malformedBPFRecords }

    /// Records the pre-filter kept away from libauparse.
    public var filteredRecords: UInt64 { filter.droppedRecords }

    /// Records of over-long events dropped, and events completed early, to bound memory.
    public var trimmedRecords: UInt64 { filter.trimmedRecords }
    public var forcedCompletions: UInt64 { filter.forcedCompletions }

    /// Whether events wait for more records (a live caller should call `tick` soon).
    public var hasOpenEvents: Bool { filter.hasOpenEvents }

    /// Consumes a chunk of input bytes; complete events reach the handler before it returns.
    public func consume(_ bytes: UnsafeRawBufferPointer) {
        reader.consume(bytes, malformed: malformedLine, take)
        records = reader.recordLines
        feedBatch()
    }

    /// Completes live events without EOE whose wait is over.
    public func tick() {
        guard let clock, filter.hasOpenEvents else { return }
        filter.tick(now: clock(), pass: appendEvent)
        feedBatch()
    }

    /// No input for a while: complete events that will get no more records.
    public func idle() {
        tick()
        feed.ageEvents()
    }

    /// End of input: everything pending is completed.
    public func finish() {
        reader.finish(malformed: malformedLine, take)
        records = reader.recordLines
        filter.finish(pass: appendEvent)
        feedBatch()
        feed.flush()
    }

    private func malformedLine(_ sample: [UInt8]) {
        malformedLines += 1
        onMalformedLine(sample)
    }

    /// One record line: through the pre-filter into the batch for libauparse.
    private func take(_ line: UnsafeBufferPointer<UInt8>, _ header: AuditRecordHeader) {
        filter.process(line, header, now: self.clock?(), pass: appendEvent)
    }

    /// Lines from the pre-filter (a complete event, a part of one, or a passed-through
    /// record), newlines included. Parts of one event are fed one by one, so that libauparse
    /// releases them in order.
    private func appendEvent(_ bytes: UnsafeBufferPointer<UInt8>, isPart: Bool) {
        if isPart { feedBatch() }
        batch.append(contentsOf: bytes)
        if isPart { feedBatch() }
    }

    private func feedBatch() {
        guard !batch.isEmpty else { return }
        batch.withUnsafeBytes { feed.feed($0) }
        feed.release()
        batch.removeAll(keepingCapacity: batch.count <= 1 << 20)
    }
}
