import Glibc

/// Monotonic time in milliseconds, and the CPU time of the calling thread.
enum Clock {
    static func monotonicMilliseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1000 + UInt64(now.tv_nsec) / 1_000_000
    }

    /// CPU time (user and system) the calling thread has used, in milliseconds: what a
    /// budget of work is counted in, so that a busy machine does not cut the work short.
    static func threadCPUMilliseconds() -> UInt64 {
        var used = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &used)
        return UInt64(used.tv_sec) * 1000 + UInt64(used.tv_nsec) / 1_000_000
    }
}
