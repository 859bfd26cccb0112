/// An optimizer updates a flat parameter buffer from a gradient buffer of the same layout.
/// Its state (step count, moment buffers) is saved in checkpoints under stable names.
public protocol Optimizer: AnyObject, Sendable {
    var learningRate: Float { get set }
    /// Steps taken.
    var step: Int { get }
    /// Threads the elementwise update may use (each element's arithmetic is the same whatever
    /// the count, so results are bit-identical).
    var threads: Int { get set }
    /// One update of `params` from `grads`.
    func update(_ params: ParameterStore, grads: ParameterStore)
    /// Named state buffers (same layout as the parameters), for checkpoints.
    var stateStores: [(name: String, store: ParameterStore)] { get }
    /// Restores the step count after the state buffers were loaded.
    func restore(step: Int)
}

/// Optimizer settings, as stored in model provenance and checkpoints.
public enum OptimizerKind: Codable, Sendable, Equatable {
    case sgd(momentum: Float, nesterov: Bool, weightDecay: Float)
    case adam(beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float)
    case adamW(beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float)

    public static let adamDefault = OptimizerKind.adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0)

    /// A fresh optimizer for parameters of `layout`, updating with up to `threads` threads.
    public func make(layout: ParameterLayout, learningRate: Float, threads: Int = 1) -> Optimizer {
        let optimizer = makeOptimizer(layout: layout, learningRate: learningRate)
        optimizer.threads = threads
        return optimizer
    }

    private func makeOptimizer(layout: ParameterLayout, learningRate: Float) -> Optimizer {
        switch self {
        case let .sgd(momentum, nesterov, wd):
            return SGD(layout: layout, learningRate: learningRate, momentum: momentum, nesterov: nesterov, weightDecay: wd)
        case let .adam(b1, b2, eps, wd):
            return Adam(layout: layout, learningRate: learningRate, beta1: b1, beta2: b2, epsilon: eps, weightDecay: wd)
        case let .adamW(b1, b2, eps, wd):
            return Adam(layout: layout, learningRate: learningRate, beta1: b1, beta2: b2, epsilon: eps, weightDecay: wd, decoupled: true)
        }
    }
}
