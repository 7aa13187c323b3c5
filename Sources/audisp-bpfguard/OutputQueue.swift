import BPFGuardCore
import CPluginSupport
import Glibc

/// A bounded queue between the input loop and a writer thread, so that output never blocks
/// input: when syslog (or standard output) stalls, the loop keeps reading auditd's records,
/// alerts beyond the queue's capacity are dropped and counted, and the count is reported
/// once output works again.
final class OutputQueue: @unchecked Sendable {
    enum Destination: Sendable {
        case syslog(SyslogFacility, SyslogPriority)
        case standardOutput
    }

    struct Item: Sendable {
        var destination: Destination
        var text: String
        /// Alerts are counted when dropped; the plugin's own messages are dropped silently.
        var isAlert: Bool
    }

    let capacity: Int
    private var ring: [Item?]
    private var head = 0
    private var count = 0
    private var writing = false
    private var closed = false
    private var dropped: UInt64 = 0
    /// Touched by the writer thread only.
    private var reportedDropped: UInt64 = 0
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var thread = pthread_t()
    private var started = false
    /// The facility for the writer's own "dropped" report.
    private var reportFacility: SyslogFacility

    init(capacity: Int = 4096, reportFacility: SyslogFacility) {
        self.capacity = capacity
        self.ring = Array(repeating: nil, count: capacity)
        self.reportFacility = reportFacility
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(changed, nil)
    }

    deinit {
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(mutex)
        changed.deallocate()
        mutex.deallocate()
    }

    /// Starts the writer thread (it blocks every signal: they are the input loop's).
    func start() -> Bool {
        let context = Unmanaged.passRetained(self).toOpaque()
        guard pthread_create(&thread, nil, outputQueueWriterMain, context) == 0 else {
            Unmanaged<OutputQueue>.fromOpaque(context).release()
            return false
        }
        started = true
        return true
    }

    /// Queues an item; false when the queue is full and the item was dropped.
    @discardableResult
    func enqueue(_ item: Item) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard count < capacity, !closed else {
            if item.isAlert { dropped += 1 }
            return false
        }
        ring[(head + count) % capacity] = item
        count += 1
        pthread_cond_broadcast(changed)
        return true
    }

    /// At exit, when the queue did not drain: the alerts still queued are lost; count them.
    func countQueuedAsDropped() {
        pthread_mutex_lock(mutex)
        var index = 0
        while index < count {
            if ring[(head + index) % capacity]?.isAlert == true { dropped += 1 }
            index += 1
        }
        pthread_mutex_unlock(mutex)
    }

    var droppedAlerts: UInt64 {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return dropped
    }

    func setReportFacility(_ facility: SyslogFacility) {
        pthread_mutex_lock(mutex)
        reportFacility = facility
        pthread_mutex_unlock(mutex)
    }

    /// Waits until everything queued is written, at most `milliseconds` (a stalled syslog
    /// must not keep the plugin from exiting). Returns whether the queue drained.
    @discardableResult
    func drain(milliseconds: Int) -> Bool {
        guard started else { return true }
        var deadline = timespec()
        clock_gettime(CLOCK_REALTIME, &deadline)
        deadline.tv_sec += milliseconds / 1000
        deadline.tv_nsec += (milliseconds % 1000) * 1_000_000
        if deadline.tv_nsec >= 1_000_000_000 { deadline.tv_sec += 1; deadline.tv_nsec -= 1_000_000_000 }
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while count > 0 || writing {
            if pthread_cond_timedwait(changed, mutex, &deadline) == ETIMEDOUT { return false }
        }
        return true
    }

    /// The writer thread's loop.
    fileprivate func runWriter() {
        var all = sigset_t()
        sigfillset(&all)
        pthread_sigmask(SIG_BLOCK, &all, nil)
        while true {
            pthread_mutex_lock(mutex)
            while count == 0 && !closed { pthread_cond_wait(changed, mutex) }
            if count == 0 && closed { pthread_mutex_unlock(mutex); return }
            let item = ring[head]!
            ring[head] = nil
            head = (head + 1) % capacity
            count -= 1
            writing = true
            let droppedNow = dropped
            let facility = reportFacility
            pthread_mutex_unlock(mutex)

            let written = write(item)
            if !written && item.isAlert {
                // Standard output closed or failing: the alert is lost, and counted.
                pthread_mutex_lock(mutex)
                dropped += 1
                pthread_mutex_unlock(mutex)
            }
            if droppedNow > reportedDropped && written {
                // Output works again: say what was lost while it did not.
                Syslog.send("alert output was blocked: dropped=\(droppedNow) alerts so far (\(droppedNow - reportedDropped) since the last report)",
                            priority: .warning, facility: facility)
                reportedDropped = droppedNow
            }

            pthread_mutex_lock(mutex)
            writing = false
            pthread_cond_broadcast(changed)
            pthread_mutex_unlock(mutex)
        }
    }

    /// Whether the item was written (syslog(3) reports nothing: always true).
    private func write(_ item: Item) -> Bool {
        switch item.destination {
        case .syslog(let facility, let priority):
            Syslog.send(item.text, priority: priority, facility: facility)
            return true
        case .standardOutput:
            do {
                try FileIO.writeAll(1, Array((item.text + "\n").utf8))
                return true
            } catch {
                return false
            }
        }
    }
}

/// pthread entry point: a top-level function, the queue passed as the retained context.
private func outputQueueWriterMain(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let context else { return nil }
    let queue = Unmanaged<OutputQueue>.fromOpaque(context).takeRetainedValue()
    queue.runWriter()
    return nil
}
