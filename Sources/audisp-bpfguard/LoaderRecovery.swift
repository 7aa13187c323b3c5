import BPFGuardCore
import CPluginSupport
import Glibc

/// The worker thread that recovers the loaders of LOADs without SYSCALL context from /proc,
/// so that the input thread never waits on /proc (a scan costs up to its budget on a host
/// with many descriptors, and the whole budget when the program is already gone).
///
/// Requests (a token and a prog-id) queue up while a pass runs; the next pass answers all
/// of them at once (`ProcHolderScan`). Passes are bounded in rate (`passIntervalMilliseconds`
/// between their starts) and in cost (`passCPUMilliseconds`), and memory is bounded:
/// beyond `capacity` outstanding requests, `request` refuses and the caller goes on without
/// a loader. Answers wait in a list the input loop takes; an eventfd it polls with standard
/// input wakes it when answers arrive.
final class LoaderRecovery: @unchecked Sendable {
    /// The CPU time a pass may spend scanning /proc; what it did not reach by then is not
    /// found. Each descriptor costs one readlink, 3 to 6 µs here: ~19,000 descriptors take
    /// 60 to 120 ms (see BENCHMARKS.md).
    static let passCPUMilliseconds: UInt64 = 200
    /// The wall-clock time a pass may take (a busy machine slows it without making it cost
    /// more): answers later than this are of no use, since the input path waits as long at
    /// most (`LoaderRecoveryStage.waitMilliseconds`).
    static let passWallMilliseconds: UInt64 = 1000
    /// The shortest time between the starts of two passes: requests arriving meanwhile wait
    /// and share the next pass, so even a flood of context-less LOADs keeps the worker below
    /// half a core. On an idle machine a request is answered within interval + pass (600 ms
    /// when it arrives just as a pass starts).
    static let passIntervalMilliseconds: UInt64 = 400
    /// Outstanding requests (queued, in a pass, or answered and not yet taken) at most.
    static let defaultCapacity = 8192

    struct Answer: Sendable {
        var token: UInt64
        /// nil: no process held the program (or the pass did not reach it).
        var loader: RecoveredLoader?
    }

    let capacity: Int
    /// Readable while answers wait (an eventfd): polled by the input loop with standard input.
    let wakeDescriptor: Int32
    private let scan: ProcHolderScan
    private var requests: [(token: UInt64, programID: UInt32)] = []
    private var inPass = 0
    private var answers: [Answer] = []
    private var passCount: UInt64 = 0
    private var started = false
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var thread = pthread_t()

    init(scan: ProcHolderScan = ProcHolderScan(), capacity: Int = LoaderRecovery.defaultCapacity) {
        self.scan = scan
        self.capacity = capacity
        self.wakeDescriptor = bpfguard_wakeup_create()
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(changed, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(mutex)
        changed.deallocate()
        mutex.deallocate()
        if wakeDescriptor >= 0 { close(wakeDescriptor) }
    }

    /// Starts the worker thread. It blocks every signal (they are the input loop's) and has
    /// the capabilities of the thread that starts it: start it after privileges are dropped.
    func start() -> Bool {
        guard wakeDescriptor >= 0 else { return false }
        let context = Unmanaged.passRetained(self).toOpaque()
        guard pthread_create(&thread, nil, loaderRecoveryWorkerMain, context) == 0 else {
            Unmanaged<LoaderRecovery>.fromOpaque(context).release()
            return false
        }
        pthread_mutex_lock(mutex)
        started = true
        pthread_mutex_unlock(mutex)
        return true
    }

    /// Asks for the holder of program `programID`, answered later under `token`. False when
    /// refused (the worker is not running, or `capacity` requests are outstanding).
    func request(token: UInt64, programID: UInt32) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard started, requests.count + inPass + answers.count < capacity else { return false }
        requests.append((token, programID))
        pthread_cond_signal(changed)
        return true
    }

    /// The answers that arrived since the last call, oldest first.
    func takeAnswers() -> [Answer] {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard !answers.isEmpty else { return [] }
        let taken = answers
        answers.removeAll(keepingCapacity: answers.count <= 1024)
        return taken
    }

    /// Resets the wake-up descriptor (before taking the answers it announced).
    func clearWakeUp() {
        bpfguard_wakeup_clear(wakeDescriptor)
    }

    /// Blocks until answers arrive or `deadline` (monotonic milliseconds) passes. Only where
    /// blocking is allowed: at end of input, and in --replay.
    func waitForAnswers(until deadline: UInt64) {
        WakeUpDescriptor.wait(wakeDescriptor, until: deadline)
    }

    /// Passes made so far.
    var passes: UInt64 {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return passCount
    }

    /// The worker thread's loop: wait for requests, keep the pace, scan once for all.
    fileprivate func runWorker() {
        var all = sigset_t()
        sigfillset(&all)
        pthread_sigmask(SIG_BLOCK, &all, nil)
        var lastPassStart: UInt64?
        while true {
            pthread_mutex_lock(mutex)
            while requests.isEmpty { pthread_cond_wait(changed, mutex) }
            if let lastPassStart {
                // Requests arriving while the worker keeps its pace join this pass.
                var wakeUp = Self.timespec(milliseconds: lastPassStart + Self.passIntervalMilliseconds)
                while Clock.monotonicMilliseconds() < lastPassStart + Self.passIntervalMilliseconds {
                    if pthread_cond_timedwait(changed, mutex, &wakeUp) == ETIMEDOUT { break }
                }
            }
            let batch = requests
            requests.removeAll(keepingCapacity: true)
            inPass = batch.count
            pthread_mutex_unlock(mutex)

            let start = Clock.monotonicMilliseconds()
            lastPassStart = start
            let budget = ProcHolderScan.Budget(cpuMilliseconds: Self.passCPUMilliseconds, deadline: start + Self.passWallMilliseconds)
            let result = scan.pass(wanted: Set(batch.map(\.programID)), budget: budget)

            pthread_mutex_lock(mutex)
            passCount &+= 1
            answers += batch.map { Answer(token: $0.token, loader: result.loaders[$0.programID]) }
            inPass = 0
            pthread_mutex_unlock(mutex)
            bpfguard_wakeup_signal(wakeDescriptor)
        }
    }

    private static func timespec(milliseconds: UInt64) -> Glibc.timespec {
        Glibc.timespec(tv_sec: Int(milliseconds / 1000), tv_nsec: Int(milliseconds % 1000) * 1_000_000)
    }
}

/// pthread entry point: a top-level function, the worker passed as the retained context.
private func loaderRecoveryWorkerMain(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let context else { return nil }
    let recovery = Unmanaged<LoaderRecovery>.fromOpaque(context).takeRetainedValue()
    recovery.runWorker()
    return nil
}
