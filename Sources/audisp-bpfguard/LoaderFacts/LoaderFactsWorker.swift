import BPFGuardCore
import CPluginSupport
import Glibc

/// The thread that works out the verdicts on loaders' executables (`PackageVerdictSource`:
/// the package databases, their index, the hashing), so that the input thread never waits
/// for dpkg's index to be read again or a large file to be hashed: while it is busy, auditd's
/// queue towards the plugin would fill.
///
/// Questions are answered one at a time, oldest first; each verdict goes into the shared
/// `TrustCache` (the input thread answers the next LOAD of the file from there) and into a
/// list of answers the input loop takes, woken by an eventfd it polls with standard input.
/// Bounded: beyond `capacity` outstanding questions (each holds its file open), `ask`
/// refuses and the caller goes on without a verdict.
final class LoaderFactsWorker: WorkerThreadBody, @unchecked Sendable {
    /// Outstanding questions (queued, being answered, or answered and not taken) at most:
    /// one per distinct file, each an open descriptor.
    static let defaultCapacity = 128

    struct Answer: Sendable {
        var request: UInt64
        var verdict: PackageVerdict
    }

    let capacity: Int
    /// Readable while answers wait (an eventfd).
    let wakeDescriptor: Int32
    private let source: PackageVerdictSource
    private let cache: TrustCache
    /// Guards everything below it.
    private let monitor = Monitor()
    private var questions: [(request: UInt64, question: VerdictQuestion)] = []
    private var answering = 0
    private var answers: [Answer] = []
    private var published = VerdictCounters()
    private var started = false

    init(source: PackageVerdictSource, cache: TrustCache, capacity: Int = LoaderFactsWorker.defaultCapacity) {
        self.source = source
        self.cache = cache
        self.capacity = capacity
        wakeDescriptor = bpfguard_wakeup_create()
        published = source.counters
    }

    deinit {
        if wakeDescriptor >= 0 { close(wakeDescriptor) }
    }

    /// Starts the thread. It has the capabilities of the thread that starts it: start it
    /// after privileges are dropped (it reads the package databases, and the executables
    /// through descriptors the input thread opened).
    func start() -> Bool {
        published = source.counters
        guard wakeDescriptor >= 0, WorkerThread.start(self) else { return false }
        monitor.withLock { started = true }
        return true
    }

    /// Asks for the verdict on `question`'s file, answered later under `request`. False when
    /// refused (the worker does not run, or `capacity` questions are outstanding).
    func ask(request: UInt64, question: VerdictQuestion) -> Bool {
        monitor.withLock {
            guard started, questions.count + answering + answers.count < capacity else { return false }
            questions.append((request, question))
            monitor.signal()
            return true
        }
    }

    /// The answers that arrived since the last call, oldest first.
    func takeAnswers() -> [Answer] {
        monitor.withLock {
            guard !answers.isEmpty else { return [] }
            defer { answers.removeAll(keepingCapacity: true) }
            return answers
        }
    }

    /// The verdicts' counters, as of the last answer.
    var counters: VerdictCounters { monitor.withLock { published } }

    /// Resets the wake-up descriptor (before taking the answers it announced).
    func clearWakeUp() {
        bpfguard_wakeup_clear(wakeDescriptor)
    }

    /// Blocks until answers arrive or `deadline` (monotonic milliseconds) passes. Only where
    /// blocking is allowed: at end of input, and in --replay.
    func waitForAnswers(until deadline: UInt64) {
        WakeUpDescriptor.wait(wakeDescriptor, until: deadline)
    }

    func runWorkerThread() {
        while true {
            let (request, question) = monitor.withLock {
                while questions.isEmpty { monitor.wait() }
                answering = 1
                return questions.removeFirst()
            }
            // A question asked again under a newer generation, or answered meanwhile.
            let verdict = cache.verdict(for: question.key) ?? source.verdict(for: question)
            cache.store(verdict, for: question.key, generation: question.generation)
            let counters = source.counters
            monitor.withLock {
                answers.append(Answer(request: request, verdict: verdict))
                answering = 0
                published = counters
            }
            bpfguard_wakeup_signal(wakeDescriptor)
        }
    }
}
