/// Window-level normalisation ("predict changes, not levels"). For every target column p
/// (targets are the first inputs), each window's last observed value of p, its *level*, is
/// subtracted from that column's inputs and from its targets; forecasts add it back.
///
/// All in scaled units. A trending series then looks the same to the network at every level,
/// which is what lets a recurrent model extrapolate beyond the range it was trained on.
enum LevelNormalization {
    /// Levels `[N, P]` of windows `x [N, T, F]`.
    static func levels(x: UnsafePointer<Float>, windows n: Int, lookback T: Int, features F: Int, targets P: Int) -> [Float] {
        var out = [Float](repeating: 0, count: n * P)
        for w in 0..<n { for p in 0..<P { out[w * P + p] = x[(w * T + T - 1) * F + p] } }
        return out
    }

    /// Subtracts the levels from the target columns of `x [N, T, F]`.
    static func normalizeInputs(_ x: UnsafeMutablePointer<Float>, levels: [Float], windows n: Int, lookback T: Int, features F: Int, targets P: Int) {
        for w in 0..<n { for t in 0..<T { for p in 0..<P { x[(w * T + t) * F + p] -= levels[w * P + p] } } }
    }

    /// Adds (`sign` 1) or subtracts (-1) levels to values laid out `[N, blocks, steps, P]`
    /// where only the first `levelBlocks` blocks are in level units (means, quantiles; not
    /// log-variances).
    static func shift(_ y: UnsafeMutablePointer<Float>, levels: [Float], windows n: Int, stepsTimesP: Int, targets P: Int,
                      blocks: Int, levelBlocks: Int, sign: Float) {
        let width = blocks * stepsTimesP
        for w in 0..<n {
            for b in 0..<levelBlocks {
                for i in 0..<stepsTimesP { y[w * width + b * stepsTimesP + i] += sign * levels[w * P + i % P] }
            }
        }
    }

    /// Normalises whole ``Windows`` in place (inputs and targets).
    static func apply(to windows: inout Windows, targets P: Int) {
        let n = windows.count, T = windows.lookback, F = windows.features
        let lv = windows.x.withUnsafeBufferPointer { levels(x: $0.baseAddress!, windows: n, lookback: T, features: F, targets: P) }
        windows.x.withUnsafeMutableBufferPointer { normalizeInputs($0.baseAddress!, levels: lv, windows: n, lookback: T, features: F, targets: P) }
        let M = windows.targetLength
        windows.y.withUnsafeMutableBufferPointer { shift($0.baseAddress!, levels: lv, windows: n, stepsTimesP: M, targets: P, blocks: 1, levelBlocks: 1, sign: -1) }
    }
}
