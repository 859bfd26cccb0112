/// How a column is scaled before training.
public enum ScalerKind: String, Sendable, Codable, CaseIterable {
    /// (x - mean) / standard deviation
    case standard
    /// (x - min) / (max - min), into [0, 1]
    case minmax
    /// unchanged
    case none
}

/// The affine scaling of one column: `scaled = (x - offset) / scale`.
public struct ColumnScaler: Sendable, Equatable, Codable {
    public var kind: ScalerKind
    public var offset: Float
    public var scale: Float

    public init(kind: ScalerKind, offset: Float = 0, scale: Float = 1) {
        self.kind = kind; self.offset = offset; self.scale = scale
    }

    /// Fits to the non-missing `values` (a constant column gets scale 1).
    public static func fit<C: Sequence>(_ kind: ScalerKind, _ values: C) -> ColumnScaler where C.Element == Float {
        var n = 0.0, sum = 0.0, sumSq = 0.0
        var lo = Double.infinity, hi = -Double.infinity
        for v in values where !v.isNaN {
            let d = Double(v)
            n += 1; sum += d; sumSq += d * d
            lo = min(lo, d); hi = max(hi, d)
        }
        switch kind {
        case .none:
            return ColumnScaler(kind: .none)
        case .standard:
            guard n > 0 else { return ColumnScaler(kind: .standard) }
            let mean = sum / n
            let variance = max(0, sumSq / n - mean * mean)
            let sd = variance.squareRoot()
            return ColumnScaler(kind: .standard, offset: Float(mean), scale: sd > 1e-12 ? Float(sd) : 1)
        case .minmax:
            guard n > 0 else { return ColumnScaler(kind: .minmax) }
            let range = hi - lo
            return ColumnScaler(kind: .minmax, offset: Float(lo), scale: range > 1e-12 ? Float(range) : 1)
        }
    }

    @inline(__always) public func transform(_ x: Float) -> Float { (x - offset) / scale }
    @inline(__always) public func inverse(_ y: Float) -> Float { y * scale + offset }
}

/// Per-column scalers fitted on the training portion; stored in the model file (Codable) so
/// predictions can be inverse-transformed.
public struct Scaler: Sendable, Equatable, Codable {
    public var columns: [String]
    public var scalers: [ColumnScaler]

    public init(columns: [String], scalers: [ColumnScaler]) {
        self.columns = columns; self.scalers = scalers
    }

    /// The scaler of `column` (identity when unknown).
    public func scaler(for column: String) -> ColumnScaler {
        columns.firstIndex(of: column).map { scalers[$0] } ?? ColumnScaler(kind: .none)
    }

    public func transform(_ values: [Float], column: String) -> [Float] {
        let s = scaler(for: column)
        return values.map { s.transform($0) }
    }

    public func inverse(_ values: [Float], column: String) -> [Float] {
        let s = scaler(for: column)
        return values.map { s.inverse($0) }
    }

    /// Inverse-transforms model outputs laid out step-major `[steps, P]` for target columns
    /// `targets` (P = targets.count), e.g. a many-to-one prediction `[horizon * P]`.
    public func inverse(stepMajor values: [Float], targets: [String]) -> [Float] {
        guard !targets.isEmpty else { return values }
        let s = targets.map { scaler(for: $0) }
        return values.enumerated().map { i, v in s[i % targets.count].inverse(v) }
    }
}
