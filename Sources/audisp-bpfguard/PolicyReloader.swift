import BPFGuardCore
import Glibc

/// Re-reads the policy on a thread of its own (SIGHUP), so that the input loop keeps reading
/// auditd's records while a large policy compiles or a user name waits for a slow NSS
/// source. The loop picks the result up between polls; the time a reload takes is bounded
/// by the policy's size limit (FileIO.readFile) and the compiler's linear cost.
final class PolicyReloader: @unchecked Sendable {
    typealias Outcome = Result<(policy: Policy, warnings: [PolicyDiagnostic]), PolicyLoader.Failure>

    private let path: String
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var running = false
    /// A SIGHUP came while a reload ran: read the file again when it ends.
    private var again = false
    private var outcome: Outcome?

    init(path: String) {
        self.path = path
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Whether a reload is under way (the loop then polls more often).
    var isRunning: Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return running
    }

    /// Starts a reload, or marks one to follow the reload under way. False when no thread
    /// could be started (the caller then reloads inline).
    func request() -> Bool {
        pthread_mutex_lock(mutex)
        if running {
            again = true
            pthread_mutex_unlock(mutex)
            return true
        }
        running = true
        pthread_mutex_unlock(mutex)
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        defer { pthread_attr_destroy(&attributes) }
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        guard pthread_create(&thread, &attributes, policyReloaderMain, context) == 0 else {
            Unmanaged<PolicyReloader>.fromOpaque(context).release()
            pthread_mutex_lock(mutex)
            running = false
            pthread_mutex_unlock(mutex)
            return false
        }
        return true
    }

    /// The outcome of a finished reload, once.
    func take() -> Outcome? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        let finished = outcome
        outcome = nil
        return finished
    }

    fileprivate func run() {
        var all = sigset_t()
        sigfillset(&all)
        pthread_sigmask(SIG_BLOCK, &all, nil)
        while true {
            let loaded = PolicyLoader.load(path)
            pthread_mutex_lock(mutex)
            outcome = loaded
            if again {
                again = false
                pthread_mutex_unlock(mutex)
                continue
            }
            running = false
            pthread_mutex_unlock(mutex)
            return
        }
    }
}

/// pthread entry point: a top-level function, the reloader passed as the retained context.
private func policyReloaderMain(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let context else { return nil }
    Unmanaged<PolicyReloader>.fromOpaque(context).takeRetainedValue().run()
    return nil
}
