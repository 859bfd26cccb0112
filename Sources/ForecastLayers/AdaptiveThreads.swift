import Foundation

/// Picks one or two threads for the lock-step inference plans (the unit split of a single
/// window, the layer pipeline of a few), whose threads wait for each other at every step, and
/// for the batch split, whose call waits for its slowest part.
///
/// On an idle machine two threads win (performance.md); with more runnable threads than cores a
/// partner is often descheduled for a whole time slice while the other waits, and one call took
/// 1–32 ms instead of 0.2 ms (deploy.md). Those plans give the same bits for any thread count,
/// so the choice can follow the clock: keep a running mean of the time per call for each count,
/// use the faster one, and now and then try the other. A try that loses makes the next try twice
/// as far away (up to ``maxInterval`` calls), so on a machine where two threads collapse, the
/// tries cost a few percent at most; one that wins switches at once.
///
/// One per ``RecurrentCache`` (a cache belongs to one thread at a time), so it needs no locks.
final class AdaptiveThreads {
    /// Calls between tries of the count not in use, at first and at most.
    static let minInterval = 16, maxInterval = 4096
    /// Running mean (ns per call) per count, index 0: one thread, 1: two; nil until measured.
    private var mean: [Double?] = [nil, nil]
    private var current = 1
    private var interval = AdaptiveThreads.minInterval
    private var untilTry = AdaptiveThreads.minInterval
    private var trying = false

    /// The thread count for the next call, 1 or 2 (never above `limit`).
    func next(limit: Int) -> Int {
        if limit < 2 { return 1 }
        if mean[current] == nil { return current + 1 }
        untilTry -= 1
        if untilTry <= 0 {
            trying = true
            return 2 - current
        }
        return current + 1
    }

    /// Records the time of a call made with `threads` (from ``next(limit:)``).
    func record(threads: Int, nanoseconds: UInt64) {
        let i = threads - 1, t = Double(nanoseconds)
        if let m = mean[i] { mean[i] = 0.8 * m + 0.2 * t } else { mean[i] = t }
        guard trying else { return }
        trying = false
        // One call decides (its time against the running mean of the count in use).
        if let other = mean[current], t < other {
            current = i
            mean[i] = t
            interval = AdaptiveThreads.minInterval
        } else {
            interval = min(interval * 2, AdaptiveThreads.maxInterval)
        }
        untilTry = interval
    }

    /// Monotonic clock in nanoseconds.
    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
}
