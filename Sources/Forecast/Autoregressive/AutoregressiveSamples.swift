/// Training windows of the autoregressive family (``AutoregressiveRegressor``), cut from one
/// target column of every series: T = context + horizon consecutive steps whose targets are
/// rows s … s+T−1, each step's F inputs as ``AutoregressiveInputs`` lists them.
///
///     input  [T*F + 1]   step t: (y_{s+t−1} − ℓ)/ν, (y_{s+t−L} − ℓ)/ν per lag L, the known
///                        inputs of row s+t; then ν (``AutoregressiveScaling`` of y_s … y_{s+C−1};
///                        ν = 1 + mean |y| and ℓ = 0 without `inputs`)
///     target [T]         y_s − ℓ, …, y_{s+T−1} − ℓ   (data units)
///
/// Windows' targets lie inside one part of the split (training or validation rows; inputs may
/// read earlier rows) and skip missing values. ν (DeepAR's mean scaling) comes from the
/// window's context only. Without `inputs` (the family's first form) F = 1.
public struct AutoregressiveSamples: TrainingSamples, Sendable {
    public let context: Int
    public let length: Int
    public let inputs: AutoregressiveInputs?
    public private(set) var inputValues: [Float] = []
    public private(set) var targets: [Float] = []
    public var count: Int { targets.count / length }
    /// Inputs per step.
    public var features: Int { inputs?.featureCount ?? 1 }
    public var inputCount: Int { length * features + 1 }
    public var targetCount: Int { length }

    public init(context: Int, horizon: Int, inputs: AutoregressiveInputs? = nil) {
        self.context = context
        length = context + horizon
        self.inputs = inputs
    }

    /// Windows whose targets lie in `values[rows]`, every `stride` rows. `known` holds the known
    /// inputs of every row of the series `[values.count, knownCount]` (empty when there are none).
    /// A window's inputs read `reach` rows before its first target, which must exist.
    public mutating func append(_ values: [Float], known: [Float] = [], rows: Range<Int>, stride: Int) {
        let reach = inputs?.reach ?? 1, lags = inputs?.lags ?? [], Fk = inputs?.knownCount ?? 0
        var s = max(rows.lowerBound, reach)
        while s + length <= rows.upperBound {
            defer { s += stride }
            guard values[(s - reach)..<(s + length)].allSatisfy(\.isFinite),
                  Fk == 0 || known[(s * Fk)..<((s + length) * Fk)].allSatisfy(\.isFinite) else { continue }
            let context = values[s..<(s + context)]
            guard let scaling = inputs?.scaling, scaling != .mean else {
                // Mean scaling, exactly as the family's first form (no location).
                let nu = AutoregressiveSamples.scale(context)
                for t in 0..<length {
                    let r = s + t
                    inputValues.append(values[r - 1] / nu)
                    for L in lags { inputValues.append(values[r - L] / nu) }
                    if Fk > 0 { inputValues.append(contentsOf: known[(r * Fk)..<((r + 1) * Fk)]) }
                }
                inputValues.append(nu)
                targets.append(contentsOf: values[s..<(s + length)])
                continue
            }
            let (loc, nu) = scaling.location(context)
            for t in 0..<length {
                let r = s + t
                inputValues.append((values[r - 1] - loc) / nu)
                for L in lags { inputValues.append((values[r - L] - loc) / nu) }
                if Fk > 0 { inputValues.append(contentsOf: known[(r * Fk)..<((r + 1) * Fk)]) }
            }
            inputValues.append(nu)
            targets.append(contentsOf: values[s..<(s + length)].map { $0 - loc })
        }
    }

    /// ν = 1 + mean |y| over a context.
    public static func scale(_ context: ArraySlice<Float>) -> Float {
        let finite = context.filter(\.isFinite)
        return 1 + (finite.isEmpty ? 0 : finite.map { abs($0) }.reduce(0, +) / Float(finite.count))
    }

    public func gather<S: Sequence>(_ indices: S, input: UnsafeMutablePointer<Float>, target: UnsafeMutablePointer<Float>) where S.Element == Int {
        let I = inputCount
        inputValues.withUnsafeBufferPointer { values in
            guard let base = values.baseAddress else { return }   // no windows: nothing to gather
            for (k, i) in indices.enumerated() {
                (input + k * I).update(from: base + i * I, count: I)
                for j in 0..<length { target[k * length + j] = targets[i * length + j] }
            }
        }
    }
}
