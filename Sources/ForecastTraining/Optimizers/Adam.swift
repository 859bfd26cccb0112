/// Adam with PyTorch's update rule (`torch.optim.Adam`, bias-corrected), over one flat
/// parameter buffer. With `weightDecay` > 0 and `decoupled` false it is Adam with L2
/// (decay added to the gradient); with `decoupled` true it is AdamW.
///
///     g ← g + λ p                        (Adam, L2)        p ← p (1 - lr λ)   (AdamW)
///     m ← β1 m + (1 - β1) g              v ← β2 v + (1 - β2) g²
///     p ← p - (lr / (1 - β1ᵗ)) · m / (√v / √(1 - β2ᵗ) + ε)
public final class Adam: Optimizer, @unchecked Sendable {
    public var learningRate: Float
    public let beta1: Float, beta2: Float, epsilon: Float
    public var weightDecay: Float
    public let decoupled: Bool
    /// Steps taken so far (t).
    public private(set) var step: Int = 0
    public var threads = 1
    /// First and second moments, same layout as the parameters.
    public let m: ParameterStore
    public let v: ParameterStore

    public init(layout: ParameterLayout, learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0, decoupled: Bool = false) {
        self.learningRate = learningRate
        self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupled = decoupled
        m = ParameterStore(layout: layout)
        v = ParameterStore(layout: layout)
    }

    public var stateStores: [(name: String, store: ParameterStore)] { [("exp_avg", m), ("exp_avg_sq", v)] }

    /// Restores the step count (from a checkpoint; moments are restored through `m`/`v`).
    public func restore(step: Int) { self.step = step }

    /// One update of `params` from `grads`.
    public func update(_ params: ParameterStore, grads: ParameterStore) {
        step += 1
        let n = params.layout.count
        let p = params.base, g = grads.base, m = m.base, v = v.base
        let b1 = beta1, b2 = beta2, lr = learningRate, eps = epsilon, wd = weightDecay
        let bc1 = 1 - Float(Double(b1).power(step))
        let bc2Sqrt = Float((1 - Double(b2).power(step)).squareRoot())
        let stepSize = lr / bc1
        let decoupled = self.decoupled
        let parts = n >= 32_768 ? max(1, threads) : 1
        WorkerPool.forEach(parts, threads: parts) { part in
            for i in WorkerPool.chunk(part, of: parts, count: n) {
                var gi = g[i]
                if wd != 0 {
                    if decoupled { p[i] *= 1 - lr * wd } else { gi += wd * p[i] }
                }
                let mi = b1 * m[i] + (1 - b1) * gi
                let vi = b2 * v[i] + (1 - b2) * gi * gi
                m[i] = mi; v[i] = vi
                p[i] -= stepSize * mi / (vi.squareRoot() / bc2Sqrt + eps)
            }
        }
        params.markModified()
    }
}

extension Double {
    /// self^n for a non-negative integer n (exact repeated squaring).
    func power(_ n: Int) -> Double {
        var result = 1.0, base = self, e = n
        while e > 0 { if e & 1 == 1 { result *= base }; base *= base; e >>= 1 }
        return result
    }
}
