/// ``WindowViews`` as training samples: a minibatch is gathered from the shared scaled rows
/// into the trainer's workspace, window by window, in the order of `indices`.
///
///     input  [n, lookback · F]     target [n, targetLength]
extension WindowViews: TrainingSamples {
    public var inputCount: Int { lookback * features }
    public var targetCount: Int { targetLength }

    public func gather<S: Sequence>(_ indices: S, input: UnsafeMutablePointer<Float>, target: UnsafeMutablePointer<Float>) where S.Element == Int {
        let xs = inputCount, ys = targetCount
        for (k, i) in indices.enumerated() { copy(i, input: input + k * xs, target: target + k * ys) }
    }
}
