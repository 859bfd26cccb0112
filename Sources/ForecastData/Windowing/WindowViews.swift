/// Training examples as views into ``ScaledRows``: each window is a (series, end row) pair and
/// its values are read from the shared rows when they are used, never copied per window.
///
///     window i  = (series s, end row e)      e = the last input row, within series s
///     input     [lookback, F]                rows e - lookback + 1 ... e of series s
///     target    [targetLength]               step-major [steps, P], column targetColumns[p]
///                                            of rows e + 1 ... e + horizon (many-to-one), or
///                                            e - lookback + 1 + horizon ... e + horizon
///                                            (many-to-many)
///
/// The windows are stored as runs of equally strided end rows of one series (a series'
/// windows form one run per segment and split part), so the index itself takes
/// O(series × segments) memory, not O(windows); `origin(i)` finds window i's run by binary
/// search. Gathered values are bit-identical to the copies ``Windows`` held (the same scaled
/// floats, read from the same place).
public struct WindowViews: Sendable {
    public let rows: ScaledRows
    public let lookback: Int
    public let horizon: Int
    public let stride: Int
    public let mode: TargetMode
    /// Column (input index) of each target p; targets are the first data columns.
    public let targetColumns: [Int]

    /// One run: `count` windows of series `series` ending at `firstEnd`, `firstEnd + stride`, ...
    struct Run: Sendable, Equatable {
        var series: Int32
        var firstEnd: Int32
        var count: Int32
    }
    var runs: [Run] = []
    /// Window index of each run's first window; `runStarts.last` is the window count.
    var runStarts: [Int] = [0]

    public init(rows: ScaledRows, lookback: Int, horizon: Int, stride: Int, mode: TargetMode, targetColumns: [Int]) {
        self.rows = rows; self.lookback = lookback; self.horizon = horizon; self.stride = max(1, stride)
        self.mode = mode; self.targetColumns = targetColumns
    }

    public var count: Int { runStarts[runStarts.count - 1] }
    public var isEmpty: Bool { count == 0 }
    public var features: Int { rows.features }
    /// Target values per window: steps × P.
    public var targetLength: Int { (mode == .manyToOne ? horizon : lookback) * targetColumns.count }

    /// Adds the window of series `s` ending at row `end` (after every earlier one).
    public mutating func append(series s: Int, end: Int) {
        if let last = runs.last, Int(last.series) == s, Int(last.firstEnd) + Int(last.count) * stride == end {
            runs[runs.count - 1].count += 1
        } else {
            runs.append(Run(series: Int32(s), firstEnd: Int32(end), count: 1))
            runStarts.append(runStarts[runStarts.count - 1])
        }
        runStarts[runStarts.count - 1] += 1
    }

    /// The series and end row of window `i`.
    public func origin(_ i: Int) -> (series: Int, end: Int) {
        precondition(i >= 0 && i < count, "window index \(i) out of range 0..<\(count)")
        // The last run whose first window is <= i.
        var lo = 0, hi = runs.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if runStarts[mid] <= i { lo = mid } else { hi = mid - 1 }
        }
        let run = runs[lo]
        return (Int(run.series), Int(run.firstEnd) + (i - runStarts[lo]) * stride)
    }

    /// Windows of each series `0 ..< series` (from the runs: O(runs), not O(windows)).
    public func windowCounts(series: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: series)
        for run in runs { counts[Int(run.series)] += Int(run.count) }
        return counts
    }

    /// The runs of windows with consecutive indices whose end rows are `stride` apart in one
    /// series: window indices `first ..< first + count` (in order, O(runs)).
    public var consecutiveRuns: [(first: Int, count: Int)] {
        runs.indices.map { (runStarts[$0], Int(runs[$0].count)) }
    }

    /// Copies window `i` into `input` (`lookback × F` floats) and `target` (`targetLength`).
    public func copy(_ i: Int, input: UnsafeMutablePointer<Float>, target: UnsafeMutablePointer<Float>) {
        let (s, e) = origin(i)
        let F = rows.features, T = lookback
        let base = rows.offsets[s]
        let start = e - T + 1
        let firstTarget = mode == .manyToOne ? e + 1 : start + horizon
        let steps = mode == .manyToOne ? horizon : T
        rows.values.withUnsafeBufferPointer { v in
            guard let p = v.baseAddress else { return }
            input.update(from: p + (base + start) * F, count: T * F)
            var k = 0
            for r in firstTarget..<(firstTarget + steps) {
                let row = p + (base + r) * F
                for c in targetColumns { target[k] = row[c]; k += 1 }
            }
        }
    }

    /// The same windows over other rows (same shape and series layout), e.g. re-scaled ones.
    public func over(_ other: ScaledRows) -> WindowViews {
        precondition(other.features == rows.features && other.offsets == rows.offsets, "WindowViews.over: different row layout")
        var w = WindowViews(rows: other, lookback: lookback, horizon: horizon, stride: stride, mode: mode, targetColumns: targetColumns)
        w.runs = runs; w.runStarts = runStarts
        return w
    }

    /// The windows copied out (`x [N, lookback, F]`, `y [N, targetLength]`): for small sets and
    /// the consumers that still read whole arrays (seq2seq windows, plots, tests).
    public func materialized() -> Windows {
        var w = Windows(lookback: lookback, features: features, targetLength: targetLength)
        let xs = lookback * features, ys = targetLength, n = count
        w.x = [Float](repeating: 0, count: n * xs)
        w.y = [Float](repeating: 0, count: n * ys)
        w.series.reserveCapacity(n); w.end.reserveCapacity(n)
        w.x.withUnsafeMutableBufferPointer { xp in w.y.withUnsafeMutableBufferPointer { yp in
            guard let xb = xp.baseAddress, let yb = yp.baseAddress else { return }
            for i in 0..<n { copy(i, input: xb + i * xs, target: yb + i * ys) }
        } }
        for i in 0..<n { let o = origin(i); w.series.append(o.series); w.end.append(o.end) }
        return w
    }
}
