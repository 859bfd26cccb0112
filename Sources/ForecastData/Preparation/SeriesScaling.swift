/// Whether a model's data scaling is one per column over all series (`global`) or, for the
/// target columns, one per series first (`series`).
public enum ScalerScope: String, Sendable, Codable, CaseIterable {
    case global
    case series
}

/// Per-series mean-absolute scaling of the target columns (DeepAR's scaler, GluonTS
/// `MeanScaler`): before the column scalers are fitted, every target value of series `s` is
/// divided by
///
///     d[s][p] = mean |y[s][p][r]|  over the training rows r of series s (non-missing),
///               1 when that mean is 0 or there are no values
///
/// so one global model sees every series at a comparable size (a series selling 2 units a day
/// and one selling 2,000 give the same inputs for the same shape). Forecasts are multiplied by
/// `d[s][p]` again. Mean-absolute, not standard scaling: it has no shift, so zeros stay zeros
/// (intermittent demand), signs are kept, a constant series is no special case, and the
/// global column scaler and window level normalisation applied after it still centre the values.
///
/// Stored in the model file (``factors`` by series key). A series the model never saw gets its
/// factor from the rows it is given (``apply(to:split:)``): at predict time all of its rows.
public struct SeriesScaling: Sendable, Equatable, Codable {
    /// The scaled (target) columns, in order.
    public var columns: [String]
    /// Series keys, in the training file's order.
    public var keys: [String]
    /// `[series][column]` divisors, parallel to `keys` and `columns`.
    public var factors: [[Float]]

    public init(columns: [String], keys: [String], factors: [[Float]]) {
        self.columns = columns; self.keys = keys; self.factors = factors
    }

    /// The mean absolute non-missing value of `values` (1 when it is 0, not finite, or there are none).
    public static func factor<C: Sequence>(_ values: C) -> Float where C.Element == Float {
        var sum = 0.0, n = 0
        for v in values where !v.isNaN { sum += Double(abs(v)); n += 1 }
        guard n > 0 else { return 1 }
        let m = sum / Double(n)
        return m > 1e-12 && m.isFinite ? Float(m) : 1
    }

    /// Fits the divisors of `columns` on the training rows (``SplitSpec``) of every series of `set`.
    public static func fit(_ set: TimeSeriesSet, columns: [String], split: SplitSpec) -> SeriesScaling {
        let indices = columns.map { set.columnIndex($0) }
        var factors: [[Float]] = []
        factors.reserveCapacity(set.series.count)
        for series in set.series {
            let end = split.boundaries(rows: series.count).validationStart
            factors.append(indices.map { c in c.map { factor(series.values[$0][0..<end]) } ?? 1 })
        }
        return SeriesScaling(columns: columns, keys: set.series.enumerated().map { $1.key ?? "\($0)" }, factors: factors)
    }

    /// `set` with the scaled columns of every series divided by its factors, and the factors
    /// used per series of `set` (`[series][column]`). A series whose key is not in ``keys`` gets
    /// factors fitted on its own rows (the training rows under `split`, all rows when nil).
    public func apply(to set: TimeSeriesSet, split: SplitSpec?) -> (set: TimeSeriesSet, factors: [[Float]], unseen: [String]) {
        var index: [String: Int] = [:]
        for (i, k) in keys.enumerated() where index[k] == nil { index[k] = i }
        var out = set
        var used: [[Float]] = []
        var unseen: [String] = []
        used.reserveCapacity(set.series.count)
        for (s, series) in set.series.enumerated() {
            let key = series.key ?? "\(s)"
            let f: [Float]
            if let i = index[key] {
                f = factors[i]
            } else {
                unseen.append(key)
                let end = split.map { $0.boundaries(rows: series.count).validationStart } ?? series.count
                f = columns.map { name in set.columnIndex(name).map { SeriesScaling.factor(series.values[$0][0..<end]) } ?? 1 }
            }
            used.append(f)
            for (p, name) in columns.enumerated() {
                guard let c = set.columnIndex(name), f[p] != 1 else { continue }
                let d = f[p]
                out.series[s].values[c] = series.values[c].map { $0 / d }
            }
        }
        return (out, used, unseen)
    }
}
