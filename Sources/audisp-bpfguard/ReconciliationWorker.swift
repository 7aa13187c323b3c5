import BPFGuardCore
import CPluginSupport
import Glibc

/// The worker thread of the periodic scan: it looks at the loaders it is asked about in
/// /proc, walks the kernel's programs (`KernelProgramWalk`) and writes the known-programs
/// state file, so that the input thread never waits on /proc, on thousands of bpf() calls
/// or on the disk. One scan and one write at most are outstanding; results wait for the
/// input loop, which polls `wakeDescriptor` with standard input.
final class ReconciliationWorker: WorkerThreadBody, @unchecked Sendable {
    /// Readable while results wait (an eventfd).
    let wakeDescriptor: Int32
    private let procRoot: String
    /// Guards everything below it.
    private let monitor = Monitor()
    private var walk = KernelProgramWalk()
    private var scanRequest: [UInt32]?
    private var scanInFlight = false
    private var scanResult: KernelScan?
    private var writeRequest: (state: KnownPrograms, path: String)?
    private var writeInFlight = false
    private var writeFailures: [String] = []
    private var started = false

    init(procRoot: String = "/proc") {
        self.procRoot = procRoot
        wakeDescriptor = bpfguard_wakeup_create()
    }

    deinit {
        if wakeDescriptor >= 0 { close(wakeDescriptor) }
    }

    /// Starts the thread (after privileges are dropped: CAP_SYS_ADMIN opens programs by id).
    func start() -> Bool {
        guard wakeDescriptor >= 0, WorkerThread.start(self) else { return false }
        monitor.withLock { started = true }
        return true
    }

    /// Asks for a scan that looks at the processes `loaders` first. False when one is
    /// outstanding (or the worker does not run).
    func requestScan(loaders: [UInt32]) -> Bool {
        monitor.withLock {
            guard started, scanRequest == nil, !scanInFlight, scanResult == nil else { return false }
            scanRequest = loaders
            monitor.signal()
            return true
        }
    }

    /// Whether a scan was asked for and its result not taken yet.
    var isScanning: Bool {
        monitor.withLock { scanRequest != nil || scanInFlight || scanResult != nil }
    }

    /// Asks for `state` to be written to `path` (rendered here, replaced atomically); a
    /// write not started yet is replaced by the newer state. No fsync: the file only matters
    /// within one boot, and a crash of the plugin leaves the page cache intact.
    func requestWrite(_ state: KnownPrograms, to path: String) {
        monitor.withLock {
            writeRequest = (state, path)
            monitor.signal()
        }
    }

    /// Whether a write was asked for and has not finished.
    var isWriting: Bool {
        monitor.withLock { writeRequest != nil || writeInFlight }
    }

    /// The scan's result, once.
    func takeScan() -> KernelScan? {
        monitor.withLock {
            defer { scanResult = nil }
            return scanResult
        }
    }

    /// Why writes failed since the last call.
    func takeWriteFailures() -> [String] {
        monitor.withLock {
            defer { writeFailures.removeAll() }
            return writeFailures
        }
    }

    /// Resets the wake-up descriptor (before taking the results it announced).
    func clearWakeUp() {
        bpfguard_wakeup_clear(wakeDescriptor)
    }

    /// The walk's counters (descriptions made, failures), for the exit summary.
    var walkSummary: String {
        monitor.withLock { "scan_lookups=\(walk.descriptions) scan_lookup_errors=\(walk.failures)" }
    }

    func runWorkerThread() {
        while true {
            let (write, loaders, walk) = monitor.withLock {
                while scanRequest == nil && writeRequest == nil { monitor.wait() }
                defer {
                    writeRequest = nil
                    scanRequest = nil
                }
                writeInFlight = writeRequest != nil
                scanInFlight = scanRequest != nil
                return (writeRequest, scanRequest, self.walk)
            }
            var failure: String?
            if let write, let error = AtomicFile.write(Array(write.state.text().text.utf8), to: write.path) {
                failure = "\(write.path): \(error)"
            }
            var scan: KernelScan?
            var walked = walk
            if let loaders {
                // Loaders first: a program still loaded after its loader was seen gone has
                // outlived it (the other order would blame a loader whose exit unloaded it).
                let checked = ReconciliationClock.bootNanoseconds()
                let starts = processStarts(loaders)
                let programs = walked.walk()
                scan = KernelScan(time: ReconciliationClock.auditTime(), loadersCheckedAt: checked,
                                  bootTime: ReconciliationClock.bootNanoseconds(), programs: programs, loaders: starts,
                                  ticksPerSecond: UInt64(max(1, sysconf(Int32(_SC_CLK_TCK)))))
            }
            monitor.withLock {
                self.walk = walked
                writeInFlight = false
                if let failure { writeFailures.append(failure) }
                if let scan {
                    scanResult = scan
                    scanInFlight = false
                }
            }
            bpfguard_wakeup_signal(wakeDescriptor)
        }
    }

    /// What `/proc/PID/stat` says of each pid: nil when there is no such process; a pid
    /// whose file cannot be read or parsed otherwise is left out (not looked at).
    private func processStarts(_ pids: [UInt32]) -> [UInt32: ProcessStart?] {
        var starts: [UInt32: ProcessStart?] = [:]
        var buffer = [UInt8](repeating: 0, count: 1024)
        for pid in pids {
            let fd = open("\(procRoot)/\(pid)/stat", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                if errno == ENOENT || errno == ESRCH { starts[pid] = .some(nil) }
                continue
            }
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            let readError = errno
            close(fd)
            if count < 0 && readError == ESRCH {
                starts[pid] = .some(nil)  // exited between open and read
            } else if count > 0, let start = ProcessStart(stat: Array(buffer[..<count])) {
                starts[pid] = start
            }
        }
        return starts
    }
}

/// The clocks a scan is stamped with.
enum ReconciliationClock {
    /// CLOCK_BOOTTIME in nanoseconds: the clock of programs' load times and of processes'
    /// start times.
    static func bootNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_BOOTTIME, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }

    /// The wall clock as an audit timestamp (serial 0): the event time of scan alerts.
    static func auditTime() -> AuditTimestamp {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return AuditTimestamp(seconds: UInt64(max(0, now.tv_sec)), milliseconds: UInt32(now.tv_nsec / 1_000_000), serial: 0)
    }
}
