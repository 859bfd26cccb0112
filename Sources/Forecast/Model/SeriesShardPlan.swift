/// Series-sharded multi-process training (`forecast-mpi train --shard-series`): which of the
/// data set's series this process holds, and the collectives that make its training identical
/// whatever the number of processes.
///
/// Each process reads only its series (series g of the whole file, in order of first appearance,
/// belongs to rank `g % ranks`), so its ``TimeSeriesSet`` holds those series in ascending global
/// order. ``Forecaster/fit(_:targets:options:dataFile:checkpointPath:resume:onEvent:)`` then
///
/// - resolves the default lookback from the shortest series of the whole set;
/// - fits every column's scaler from per-series statistics `(n, Σx, Σx², min, max)` gathered
///   from all processes and summed in global series order (so every rank holds the same scaler,
///   and 1, 2 or 3 ranks give the same one; it may differ in the last bits from the scaler of
///   a single-process `forecast train`, which sums the rows in one pass);
/// - trains on ``SeriesShardedSamples``: global window indices, minibatches assembled by an
///   all-reduce, shards and gradient sums as in any multi-process run.
///
/// The test-split metrics of the model file are left out (each process sees only its series).
public struct SeriesShardPlan: @unchecked Sendable {
    public let exchange: SeriesShardExchange
    /// The global index of each local series, ascending (local series k is global `globalSeries[k]`).
    public let globalSeries: [Int]
    /// Series in the whole data set.
    public let seriesCount: Int

    public init(exchange: SeriesShardExchange, globalSeries: [Int], seriesCount: Int) {
        precondition(zip(globalSeries, globalSeries.dropFirst()).allSatisfy { $0 < $1 }, "SeriesShardPlan: global series must ascend")
        self.exchange = exchange; self.globalSeries = globalSeries; self.seriesCount = seriesCount
    }

    /// The sum of `value` over all processes (a collective).
    public func sum(_ value: Int) -> Int {
        exchange.gathered([Int64(value)], at: [exchange.rank], count: exchange.size).reduce(0) { $0 + Int($1) }
    }

    /// Throws unless every process has the same `values` (a collective): e.g. the window each
    /// resolved from its own series' frequency.
    func requireSame(_ values: [Int], what: String) throws {
        let k = values.count, r = exchange.rank
        let all = exchange.gathered(values.map { Int64($0) }, at: (0..<k).map { r * k + $0 }, count: k * exchange.size)
        for other in 0..<exchange.size where Array(all[(other * k)..<((other + 1) * k)]) != values.map({ Int64($0) }) {
            throw DataError.invalidArgument("series-sharded training: rank \(other) resolved a different \(what) than rank \(r) (each infers it from its own series); give --lookback and --horizon")
        }
    }

    /// The fewest rows of any series of the whole set (a collective).
    func shortestSeries(_ set: TimeSeriesSet) -> Int {
        exchange.gathered(set.series.map { Int64($0.count) }, at: globalSeries, count: seriesCount).map { Int($0) }.min() ?? 0
    }

    /// One column's scaler from every process's series (a collective; the arithmetic of
    /// ``ColumnScaler/fit(_:_:)`` per series, then the series' sums added in global order).
    func fitScaler(_ kind: ScalerKind, _ perSeries: [ArraySlice<Float>]) -> ColumnScaler {
        precondition(perSeries.count == globalSeries.count, "SeriesShardPlan: \(perSeries.count) series, plan has \(globalSeries.count)")
        var stats = [[Double]](repeating: [], count: 5)
        for values in perSeries {
            var n = 0.0, sum = 0.0, sumSq = 0.0, lo = Double.infinity, hi = -Double.infinity
            for v in values where !v.isNaN {
                let d = Double(v)
                n += 1; sum += d; sumSq += d * d
                lo = min(lo, d); hi = max(hi, d)
            }
            for (k, x) in [n, sum, sumSq, lo, hi].enumerated() { stats[k].append(x) }
        }
        let all = stats.map { exchange.gathered($0, at: globalSeries, count: seriesCount) }
        var n = 0.0, sum = 0.0, sumSq = 0.0, lo = Double.infinity, hi = -Double.infinity
        for g in 0..<seriesCount {
            n += all[0][g]; sum += all[1][g]; sumSq += all[2][g]
            lo = min(lo, all[3][g]); hi = max(hi, all[4][g])
        }
        switch kind {
        case .none:
            return ColumnScaler(kind: .none)
        case .standard:
            guard n > 0 else { return ColumnScaler(kind: .standard) }
            let mean = sum / n
            let sd = max(0, sumSq / n - mean * mean).squareRoot()
            return ColumnScaler(kind: .standard, offset: Float(mean), scale: sd > 1e-12 ? Float(sd) : 1)
        case .minmax:
            guard n > 0 else { return ColumnScaler(kind: .minmax) }
            let range = hi - lo
            return ColumnScaler(kind: .minmax, offset: Float(lo), scale: range > 1e-12 ? Float(range) : 1)
        }
    }

    /// This process's windows as global training samples (a collective).
    func samples<T: TrainingSamples>(_ local: T, counts: [Int]) -> SeriesShardedSamples<T> {
        SeriesShardedSamples(local, localCounts: counts, globalSeries: globalSeries, seriesCount: seriesCount, exchange: exchange)
    }
}
