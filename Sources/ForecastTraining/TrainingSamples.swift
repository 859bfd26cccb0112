/// A set of training examples as a ``TrainableModel`` reads them: `count` samples of
/// `inputCount` input floats and `targetCount` target floats, gathered into minibatches on
/// demand.
///
///     gather(indices) ->  input  [n, inputCount]     batch-first, in the order of `indices`
///                         target [n, targetCount]
///
/// ``Windows`` (the windowed regressor's), the seq2seq windows and frame windows conform.
public protocol TrainingSamples: Sendable {
    var count: Int { get }
    var inputCount: Int { get }
    var targetCount: Int { get }
    /// Copies the samples at `indices` into `input` and `target` (room for `indices.count` each).
    func gather<S: Sequence>(_ indices: S, input: UnsafeMutablePointer<Float>, target: UnsafeMutablePointer<Float>) where S.Element == Int
}

extension TrainingSamples {
    public var isEmpty: Bool { count == 0 }
}

extension Windows: TrainingSamples {
    public var inputCount: Int { lookback * features }
    public var targetCount: Int { targetLength }

    public func gather<S: Sequence>(_ indices: S, input: UnsafeMutablePointer<Float>, target: UnsafeMutablePointer<Float>) where S.Element == Int {
        let xs = inputCount, ys = targetCount
        x.withUnsafeBufferPointer { xsrc in y.withUnsafeBufferPointer { ysrc in
            guard let xb = xsrc.baseAddress, let yb = ysrc.baseAddress else { return }
            for (k, i) in indices.enumerated() {
                (input + k * xs).update(from: xb + i * xs, count: xs)
                (target + k * ys).update(from: yb + i * ys, count: ys)
            }
        } }
    }
}
