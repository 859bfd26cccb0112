/// Mean squared error over all N elements:
///
///     L = (1/N) Σ (pred - target)²        dL/dpred = 2 (pred - target) / N
public enum MSELoss {
    /// Returns the loss and writes `dPred` (when given). Sums in Double for stability.
    @discardableResult
    public static func compute(pred: UnsafePointer<Float>, target: UnsafePointer<Float>, count n: Int,
                               dPred: UnsafeMutablePointer<Float>?) -> Float {
        var s = 0.0
        let scale = 2 / Float(n)
        for i in 0..<n {
            let d = pred[i] - target[i]
            s += Double(d) * Double(d)
            dPred?[i] = scale * d
        }
        return Float(s / Double(n))
    }
}
