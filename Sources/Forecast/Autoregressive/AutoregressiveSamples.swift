/// Training windows of the autoregressive family (``AutoregressiveRegressor``), cut from one
/// target column of every series: T = context + horizon consecutive steps starting at s ≥ 1.
///
///     input  [T*1 + 1]   y_{s−1}/ν, …, y_{s+T−2}/ν, then ν = 1 + mean |y_s … y_{s+C−1}|
///     target [T]         y_s, …, y_{s+T−1}   (data units)
///
/// Windows lie inside one part of the split (training or validation rows) and skip missing
/// values. ν (DeepAR's mean scaling) comes from the window's context only.
public struct AutoregressiveSamples: TrainingSamples, Sendable {
    public let context: Int
    public let length: Int
    public private(set) var inputs: [Float] = []
    public private(set) var targets: [Float] = []
    public var count: Int { targets.count / length }
    public var inputCount: Int { length + 1 }
    public var targetCount: Int { length }

    /// Windows of `values[range]` (a window reads row `range.lowerBound − 1` as its first input
    /// when it exists), every `stride` rows.
    public init(context: Int, horizon: Int) {
        self.context = context
        length = context + horizon
    }

    public mutating func append(_ values: [Float], rows: Range<Int>, stride: Int) {
        var s = max(rows.lowerBound, 1)
        while s + length <= rows.upperBound {
            defer { s += stride }
            let window = values[(s - 1)..<(s + length)]
            guard window.allSatisfy(\.isFinite) else { continue }
            let nu = AutoregressiveSamples.scale(values[s..<(s + context)])
            for t in 0..<length { inputs.append(values[s - 1 + t] / nu) }
            inputs.append(nu)
            targets.append(contentsOf: values[s..<(s + length)])
        }
    }

    /// ν = 1 + mean |y| over a context.
    public static func scale(_ context: ArraySlice<Float>) -> Float {
        let finite = context.filter(\.isFinite)
        return 1 + (finite.isEmpty ? 0 : finite.map { abs($0) }.reduce(0, +) / Float(finite.count))
    }

    public func gather<S: Sequence>(_ indices: S, input: UnsafeMutablePointer<Float>, target: UnsafeMutablePointer<Float>) where S.Element == Int {
        for (k, i) in indices.enumerated() {
            for j in 0..<inputCount { input[k * inputCount + j] = inputs[i * inputCount + j] }
            for j in 0..<length { target[k * length + j] = targets[i * length + j] }
        }
    }
}
