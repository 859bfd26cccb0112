/// Stochastic gradient descent with PyTorch's update rule (`torch.optim.SGD`):
///
///     g ← g + λ p                                 (weight decay)
///     b ← μ b + g            (b ← g on the first step)
///     g ← g + μ b  if nesterov, else g ← b         (when μ > 0)
///     p ← p - lr g
public final class SGD: Optimizer, @unchecked Sendable {
    public var learningRate: Float
    public let momentum: Float
    public let nesterov: Bool
    public let weightDecay: Float
    public private(set) var step: Int = 0
    public var threads = 1
    /// The momentum buffer.
    public let buffer: ParameterStore

    public init(layout: ParameterLayout, learningRate: Float, momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        buffer = ParameterStore(layout: layout)
    }

    public var stateStores: [(name: String, store: ParameterStore)] { [("momentum", buffer)] }
    public func restore(step: Int) { self.step = step }

    public func update(_ params: ParameterStore, grads: ParameterStore) {
        let first = step == 0
        step += 1
        let p = params.base, g = grads.base, b = buffer.base
        let lr = learningRate, mu = momentum, wd = weightDecay, nest = nesterov
        let n = params.layout.count
        let parts = n >= 32_768 ? max(1, threads) : 1
        WorkerPool.forEach(parts, threads: parts) { part in
            for i in WorkerPool.chunk(part, of: parts, count: n) {
                var gi = g[i] + wd * p[i]
                if mu != 0 {
                    let bi = first ? gi : mu * b[i] + gi
                    b[i] = bi
                    gi = nest ? gi + mu * bi : bi
                }
                p[i] -= lr * gi
            }
        }
        params.markModified()
    }
}
