/// The scaled input rows of every series, read once and shared by the training, validation
/// and test ``WindowViews`` cut from them.
///
///     values   [R, F]        R = total rows over all series, row-major; F inputs per row
///                            (data columns, then calendar sin/cos), scaled like the windows
///     offsets  [S + 1]       series s holds rows offsets[s] ..< offsets[s + 1] of `values`
///
/// Memory is R × F floats, whatever the number of windows: a window is (series, end row) and
/// its inputs are rows `end - lookback + 1 ... end` of its series, read when a minibatch is
/// gathered. Immutable after construction, so one instance is shared between threads.
public final class ScaledRows: Sendable {
    public let features: Int
    public let values: [Float]
    public let offsets: [Int]

    /// - Parameters:
    ///   - values: the rows of all series, concatenated, `[R, features]`.
    ///   - offsets: `S + 1` row offsets, starting at 0 and ending at R.
    public init(features: Int, values: [Float], offsets: [Int]) {
        precondition(features > 0 && offsets.first == 0 && (offsets.last ?? 0) * features == values.count, "ScaledRows: offsets do not match the values")
        self.features = features
        self.values = values
        self.offsets = offsets
    }

    /// Number of series.
    public var seriesCount: Int { offsets.count - 1 }
    /// Rows of series `s`.
    public func rows(of s: Int) -> Int { offsets[s + 1] - offsets[s] }

    /// These rows with column `f` of every row mapped through `transform` for each
    /// `(f, transform)` in `columns` (the other columns copied unchanged).
    public func mappingColumns(_ columns: [(Int, (Float) -> Float)]) -> ScaledRows {
        guard !columns.isEmpty else { return self }
        var out = values
        let F = features
        for (f, transform) in columns where f < F {
            var i = f
            while i < out.count { out[i] = transform(out[i]); i += F }
        }
        return ScaledRows(features: F, values: out, offsets: offsets)
    }
}
