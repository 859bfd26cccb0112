/// Windows with ``WindowScaling`` applied as they are gathered: each window's centre and scale,
/// from its own target inputs, normalise its target inputs and its targets.
///
///     input  [n, T, F]   target columns p < P: (x - centre p) / scale p
///     target [n, M]      step-major [steps, P]: (y - centre p) / scale p
struct WindowScaledSamples<Base: TrainingSamples>: TrainingSamples {
    let base: Base
    let scaling: WindowScaling
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
        let (c, s) = scaling.statistics(x: input, windows: n, lookback: T, features: F, targets: P)
        WindowScaling.normalizeInputs(input, centre: c, scale: s, windows: n, lookback: T, features: F, targets: P)
        WindowScaling.normalizeTargets(target, centre: c, scale: s, windows: n, stepsTimesP: targetCount, targets: P)
    }
}

extension WindowViews {
    /// These windows scaled per window (``WindowScaling``) over `targets` target columns.
    func windowScaled(_ scaling: WindowScaling, targets P: Int) -> WindowScaledSamples<WindowViews> {
        WindowScaledSamples(base: self, scaling: scaling, lookback: lookback, features: features, targets: P)
    }
}
