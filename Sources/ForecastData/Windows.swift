/// Training examples cut from time series: `count` windows of `lookback` input steps with
/// `features` values each, and their targets.
///
///     x [N, lookback, features]        inputs, scaled, batch-first
///     y [N, targetLength]              targets, scaled: for many-to-one, the next `horizon`
///                                       values of each target column, laid out [horizon, P]
///                                       (step-major); for many-to-many, [lookback, P]
///
/// `series[i]` is the index of the series window i was cut from and `end[i]` the row (within
/// that series) of its last input step, so windows can be traced back to timestamps.
public struct Windows: Sendable, Equatable {
    public var lookback: Int
    public var features: Int
    public var targetLength: Int
    public var x: [Float]
    public var y: [Float]
    public var series: [Int]
    public var end: [Int]

    public init(lookback: Int, features: Int, targetLength: Int, x: [Float] = [], y: [Float] = [], series: [Int] = [], end: [Int] = []) {
        self.lookback = lookback
        self.features = features
        self.targetLength = targetLength
        self.x = x
        self.y = y
        self.series = series
        self.end = end
    }

    public var count: Int { series.count }
    public var isEmpty: Bool { series.isEmpty }

    /// Appends one window (`xs` holds lookback*features values, `ys` targetLength values).
    public mutating func append<X: Collection, Y: Collection>(x xs: X, y ys: Y, series s: Int, end e: Int) where X.Element == Float, Y.Element == Float {
        precondition(xs.count == lookback * features && ys.count == targetLength, "window size mismatch")
        x.append(contentsOf: xs)
        y.append(contentsOf: ys)
        series.append(s)
        end.append(e)
    }

    /// The windows at `indices`, in that order.
    public func subset(_ indices: [Int]) -> Windows {
        var w = Windows(lookback: lookback, features: features, targetLength: targetLength)
        let xs = lookback * features
        w.x.reserveCapacity(indices.count * xs)
        w.y.reserveCapacity(indices.count * targetLength)
        for i in indices {
            w.x.append(contentsOf: x[(i * xs)..<((i + 1) * xs)])
            w.y.append(contentsOf: y[(i * targetLength)..<((i + 1) * targetLength)])
            w.series.append(series[i]); w.end.append(end[i])
        }
        return w
    }
}
