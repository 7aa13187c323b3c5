import Glibc

/// What a worker thread runs: its loop, on the object that started it.
protocol WorkerThreadBody: AnyObject {
    func runWorkerThread()
}

/// Worker threads: each blocks every signal (they are the input loop's) and has the
/// capabilities of the thread that starts it, so start them after privileges are dropped.
enum WorkerThread {
    /// Starts a thread running `body.runWorkerThread()`; the thread keeps `body` alive.
    static func start(_ body: WorkerThreadBody) -> Bool {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(body as AnyObject).toOpaque()
        guard pthread_create(&thread, nil, workerThreadMain, context) == 0 else {
            Unmanaged<AnyObject>.fromOpaque(context).release()
            return false
        }
        pthread_detach(thread)
        return true
    }
}

/// A mutex with one condition variable: what a worker thread and the input loop share.
final class Monitor: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func withLock<Result>(_ body: () throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Waits for a signal; call it holding the lock (inside `withLock`).
    func wait() {
        pthread_cond_wait(condition, mutex)
    }

    func signal() {
        pthread_cond_signal(condition)
    }
}

/// pthread entry point: a top-level function, the body passed as the retained context.
private func workerThreadMain(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let context, let body = Unmanaged<AnyObject>.fromOpaque(context).takeRetainedValue() as? WorkerThreadBody else { return nil }
    var all = sigset_t()
    sigfillset(&all)
    pthread_sigmask(SIG_BLOCK, &all, nil)
    body.runWorkerThread()
    return nil
}
