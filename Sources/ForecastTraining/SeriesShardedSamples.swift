/// Multi-process training with the series sharded across processes (`forecast-mpi train
/// --shard-series`): every rank holds only its own series' rows and windows, and a minibatch is
/// assembled on every rank by a bitwise-OR all-reduce (each window's bytes come from the one
/// rank that owns it, zeros from the others, so OR reproduces them exactly, `-0.0` included).
public protocol SeriesShardExchange: GradientExchange {
    /// Replaces `bytes` bytes at `data` on every rank with their bitwise OR across all ranks
    /// (a collective: every rank calls it with the same `bytes`, in the same order).
    func allOr(_ data: UnsafeMutableRawPointer, bytes: Int)
}

extension SeriesShardExchange {
    /// Every rank's `local` values at the global positions `positions` (the same length), zeros
    /// elsewhere, OR-combined: each position must be owned by exactly one rank.
    public func gathered(_ local: [Int64], at positions: [Int], count: Int) -> [Int64] {
        var all = [Int64](repeating: 0, count: count)
        for (k, p) in positions.enumerated() { all[p] = local[k] }
        all.withUnsafeMutableBytes { b in if let p = b.baseAddress, b.count > 0 { allOr(p, bytes: b.count) } }
        return all
    }

    /// The same for doubles (bit patterns are moved, so values arrive exactly).
    public func gathered(_ local: [Double], at positions: [Int], count: Int) -> [Double] {
        gathered(local.map { Int64(bitPattern: $0.bitPattern) }, at: positions, count: count).map { Double(bitPattern: UInt64(bitPattern: $0)) }
    }
}

/// Training samples spread over ranks by series: the global sample order is the order of the
/// series in the whole data set (series g's windows are samples `starts[g] ..< starts[g + 1]`),
/// whatever the number of ranks, so shuffles, `--windows-per-epoch` draws, shards and the
/// gradient sum are the same with 1, 2 or 3 ranks and the weights are bit-identical.
///
///     gather(indices)  ->  input [n, inputCount], target [n, targetCount] on EVERY rank
///
/// `gather` is a collective (one all-reduce of n · (inputCount + targetCount) floats): every
/// rank must call it with the same indices, as the trainer's loop does.
public struct SeriesShardedSamples<Base: TrainingSamples>: TrainingSamples, @unchecked Sendable {
    public let base: Base
    public let exchange: SeriesShardExchange
    /// Global window offset of each global series, `[S + 1]`.
    public let starts: [Int]
    /// For each global series: the index of its first window in `base`, or -1 when another rank owns it.
    public let localStart: [Int]

    /// - Parameters:
    ///   - base: this rank's windows, series by series in ascending global series order.
    ///   - localCounts: windows of each of this rank's series in `base`, in that order.
    ///   - globalSeries: the global index of each of this rank's series (ascending).
    ///   - seriesCount: series in the whole data set.
    /// A collective (gathers every series' window count).
    public init(_ base: Base, localCounts: [Int], globalSeries: [Int], seriesCount: Int, exchange: SeriesShardExchange) {
        precondition(localCounts.count == globalSeries.count && localCounts.reduce(0, +) == base.count, "SeriesShardedSamples: counts do not match the windows")
        self.base = base
        self.exchange = exchange
        let counts = exchange.gathered(localCounts.map { Int64($0) }, at: globalSeries, count: seriesCount)
        var s = [0]
        s.reserveCapacity(seriesCount + 1)
        for c in counts { s.append(s[s.count - 1] + Int(c)) }
        starts = s
        var local = [Int](repeating: -1, count: seriesCount)
        var at = 0
        for (k, g) in globalSeries.enumerated() { local[g] = at; at += localCounts[k] }
        localStart = local
    }

    public var count: Int { starts[starts.count - 1] }
    public var inputCount: Int { base.inputCount }
    public var targetCount: Int { base.targetCount }

    /// The global series of global window `i` (binary search over `starts`).
    func series(of i: Int) -> Int {
        var lo = 0, hi = starts.count - 2
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if starts[mid] <= i { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    public func gather<S: Sequence>(_ indices: S, input: UnsafeMutablePointer<Float>, target: UnsafeMutablePointer<Float>) where S.Element == Int {
        let xs = inputCount, ys = targetCount
        var n = 0
        var mine: [(k: Int, local: Int)] = []
        for i in indices {
            let g = series(of: i)
            if localStart[g] >= 0 { mine.append((n, localStart[g] + i - starts[g])) }
            n += 1
        }
        input.update(repeating: 0, count: n * xs)
        target.update(repeating: 0, count: n * ys)
        for (k, l) in mine { base.gather(CollectionOfOne(l), input: input + k * xs, target: target + k * ys) }
        exchange.allOr(UnsafeMutableRawPointer(input), bytes: n * xs * MemoryLayout<Float>.stride)
        exchange.allOr(UnsafeMutableRawPointer(target), bytes: n * ys * MemoryLayout<Float>.stride)
    }
}
