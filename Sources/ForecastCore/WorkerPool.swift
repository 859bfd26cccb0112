import CWorkers

/// Parallel loops over a process-wide pool of worker threads (Sources/CWorkers).
///
/// Jobs here are short (a training step's shards take a few milliseconds, a forecast a few
/// dozen microseconds), so the pool's threads spin for about 0.2 ms after each job before they
/// sleep: back-to-back jobs start at once, which `DispatchQueue.concurrentPerform` does not
/// manage on virtual machines whose idle vCPUs are slow to wake.
///
/// Results never depend on the thread count: iterations are independent and callers combine
/// their outputs in index order.
public enum WorkerPool {
    /// Runs `body(i)` for every `i` in `0..<count` on the calling thread and up to
    /// `threads - 1` pool threads, and returns when all have finished. When the pool is busy
    /// (another caller, or a nested call from inside `body`) the iterations run in order on the
    /// calling thread.
    public static func forEach(_ count: Int, threads: Int, _ body: (Int) -> Void) {
        if count <= 0 { return }
        if threads <= 1 || count == 1 {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { escapable in
            var closure = escapable
            withUnsafeMutablePointer(to: &closure) { pointer in
                fw_parallel_for(Int32(clamping: count), Int32(clamping: threads), { context, index in
                    context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(Int(index))
                }, pointer)
            }
        }
    }

    /// Runs `body(index, team)` for every index in `0..<team` on `team` threads at the same time,
    /// so the members may wait for each other (two halves of a layer, say). `team` is `threads`
    /// when the pool is free; when it is busy (another caller, or a call from inside a job)
    /// `team` is 1 and `body(0, 1)` must do all the work on the calling thread.
    public static func team(threads: Int, _ body: (Int, Int) -> Void) {
        if threads <= 1 { body(0, 1); return }
        withoutActuallyEscaping(body) { escapable in
            var closure = escapable
            withUnsafeMutablePointer(to: &closure) { pointer in
                fw_parallel_team(Int32(clamping: threads), { context, index, team in
                    context!.assumingMemoryBound(to: ((Int, Int) -> Void).self).pointee(Int(index), Int(team))
                }, pointer)
            }
        }
    }

    /// Splits `0..<n` into `parts` contiguous ranges of nearly equal length (earlier ranges get
    /// the remainder), e.g. for elementwise work over a flat parameter buffer.
    public static func chunk(_ part: Int, of parts: Int, count n: Int) -> Range<Int> {
        let base = n / parts, extra = n % parts
        let lower = part * base + min(part, extra)
        return lower..<(lower + base + (part < extra ? 1 : 0))
    }

    /// Pool threads started so far.
    public static var startedThreads: Int { Int(fw_pool_threads()) }
}

/// Progress counters for pipelines across threads: one stage publishes how many items it has
/// finished, the next waits for them. Counters sit on separate cache lines.
public final class PipelineProgress: @unchecked Sendable {
    private let storage: UnsafeMutablePointer<Int32>
    private static let stride = 16                                     // 64 bytes per counter
    public let count: Int

    public init(count: Int) {
        self.count = count
        // Each counter alone in its cache line: nothing else written may share one.
        let n = max(count, 1) * Self.stride
        storage = UnsafeMutableRawPointer.allocate(byteCount: n * 4, alignment: 64).bindMemory(to: Int32.self, capacity: n)
        storage.initialize(repeating: 0, count: n)
    }
    deinit { storage.deallocate() }

    /// Sets every counter to zero (before a new run; no thread may be waiting).
    public func reset() { for i in 0..<count { storage[i * Self.stride] = 0 } }

    /// Makes everything written before this call visible to threads that then see `value`.
    public func publish(_ index: Int, _ value: Int) { fw_publish(storage + index * Self.stride, Int32(value)) }

    /// Waits until counter `index` is at least `value`.
    public func wait(_ index: Int, atLeast value: Int) { fw_wait_at_least(storage + index * Self.stride, Int32(value)) }

    /// Counter `index` itself, for C kernels that publish to it (release stores) or spin on it
    /// (acquire loads, with ``waitFunction`` as the slow path).
    public func counter(_ index: Int) -> UnsafeMutablePointer<Int32> { storage + index * Self.stride }

    /// The C function behind ``wait(_:atLeast:)``: `wait(counter, value)`.
    public static let waitFunction: @convention(c) (UnsafePointer<Int32>?, Int32) -> Void = fw_wait_at_least
}
