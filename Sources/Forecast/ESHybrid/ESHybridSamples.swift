/// Training windows of the ES-hybrid family (``ESHybridModel``), one target of every series,
/// divided by the series' scale:
///
///     input  [2 + E]   series index, phase (row of the first value mod m), y_r … y_{r+E−1}
///     target [H]       y_{r+E} … y_{r+E+H−1}
public struct ESHybridSamples: TrainingSamples, Sendable {
    public let history: Int
    public let horizon: Int
    public private(set) var inputs: [Float] = []
    public private(set) var targets: [Float] = []
    public var count: Int { targets.count / horizon }
    public var inputCount: Int { history + 2 }
    public var targetCount: Int { horizon }

    public init(history: Int, horizon: Int) {
        self.history = history
        self.horizon = horizon
    }

    /// Windows of series `series` (values already scaled) whose targets end at or before
    /// `rows.upperBound` and start at or after `firstTarget`, every `stride` rows.
    public mutating func append(_ z: [Float], series: Int, season m: Int, firstTarget: Int, rows: Range<Int>, stride: Int) {
        var r = max(rows.lowerBound, firstTarget - history)
        while r + history + horizon <= rows.upperBound {
            defer { r += stride }
            inputs.append(Float(series))
            inputs.append(Float(r % max(1, m)))
            inputs.append(contentsOf: z[r..<(r + history)])
            targets.append(contentsOf: z[(r + history)..<(r + history + horizon)])
        }
    }

    public func gather<S: Sequence>(_ indices: S, input: UnsafeMutablePointer<Float>, target: UnsafeMutablePointer<Float>) where S.Element == Int {
        let I = inputCount, H = horizon
        inputs.withUnsafeBufferPointer { xs in targets.withUnsafeBufferPointer { ys in
            for (k, i) in indices.enumerated() {
                (input + k * I).update(from: xs.baseAddress! + i * I, count: I)
                (target + k * H).update(from: ys.baseAddress! + i * H, count: H)
            }
        } }
    }
}
