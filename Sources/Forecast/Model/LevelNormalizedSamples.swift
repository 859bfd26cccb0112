/// Windows with ``LevelNormalization`` applied as they are gathered: each window's level (the
/// last input value of every target column) is subtracted from its target inputs and its
/// targets. The per-window arithmetic is the same as normalising a copied ``Windows`` whole,
/// so the floats, and the trained weights, are identical.
///
///     input  [n, T, F]   target columns p < P minus the window's level p
///     target [n, M]      step-major [steps, P], minus the level of each p
struct LevelNormalizedSamples<Base: TrainingSamples>: TrainingSamples {
    let base: Base
    let lookback: Int
    let features: Int
    let targets: Int

    var count: Int { base.count }
    var inputCount: Int { base.inputCount }
    var targetCount: Int { base.targetCount }

    func gather<S: Sequence>(_ indices: S, input: UnsafeMutablePointer<Float>, target: UnsafeMutablePointer<Float>) where S.Element == Int {
        let rows = Array(indices)
        base.gather(rows, input: input, target: target)
        let n = rows.count, T = lookback, F = features, P = targets
        let lv = LevelNormalization.levels(x: input, windows: n, lookback: T, features: F, targets: P)
        LevelNormalization.normalizeInputs(input, levels: lv, windows: n, lookback: T, features: F, targets: P)
        LevelNormalization.shift(target, levels: lv, windows: n, stepsTimesP: targetCount, targets: P, blocks: 1, levelBlocks: 1, sign: -1)
    }
}

extension WindowViews {
    /// These windows with level normalisation over `targets` target columns.
    func levelNormalized(targets P: Int) -> LevelNormalizedSamples<WindowViews> {
        LevelNormalizedSamples(base: self, lookback: lookback, features: features, targets: P)
    }
}
