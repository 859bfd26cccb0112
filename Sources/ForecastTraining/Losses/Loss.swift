#if canImport(Glibc)
import Glibc
#endif

/// Training losses. A model with `M` target values per window has a head of
/// `M * outputsPerTarget` values laid out in blocks of M:
///
/// | loss | head block layout | per-element loss ℓ(pred, y) |
/// |---|---|---|
/// | mse | `[μ]` | (μ - y)² |
/// | mae | `[μ]` | \|μ - y\| |
/// | huber(δ) | `[μ]` | ½ e² if \|e\| ≤ δ else δ(\|e\| - ½δ), e = μ - y |
/// | gaussian | `[μ, s]`, s = log σ² | ½ (s + (y - μ)² e^-s)  (Gaussian NLL without the constant) |
/// | quantile(q₁…q_K) | `[μ_q1, …, μ_qK]` | Σ_k max(q_k e, (q_k - 1) e), e = y - μ_qk |
/// | likelihood(L) | `[u₁, …, u_K, ν]`: L's raw outputs, then the series scale | −log p_L(y; u, ν) (``Likelihood``; the ν block gets no gradient) |
///
/// The loss of a batch is the mean of ℓ over its `rows * M` target elements (and over the K
/// quantiles for the pinball loss), as PyTorch's `reduction="mean"`.
public enum LossKind: Codable, Sendable, Equatable {
    case mse
    case mae
    case huber(delta: Float)
    case gaussian
    case quantile([Float])
    /// The conditional likelihood of an autoregressive probabilistic model (DeepAR).
    case likelihood(Likelihood)

    /// Head values per target value.
    public var outputsPerTarget: Int {
        switch self {
        case .mse, .mae, .huber: return 1
        case .gaussian: return 2
        case .quantile(let qs): return qs.count
        case .likelihood(let l): return l.parameterCount + 1
        }
    }

    public var name: String {
        switch self {
        case .mse: return "mse"
        case .mae: return "mae"
        case .huber: return "huber"
        case .gaussian: return "gaussian"
        case .quantile: return "quantile"
        case .likelihood(let l): return l.rawValue
        }
    }

    /// Parses `mse`, `mae`, `huber`, `gaussian`, `quantile` (quantiles 0.1, 0.5, 0.9).
    public init?(name: String, huberDelta: Float = 1, quantiles: [Float] = [0.1, 0.5, 0.9]) {
        switch name.lowercased() {
        case "mse": self = .mse
        case "mae", "l1": self = .mae
        case "huber": self = .huber(delta: huberDelta)
        case "gaussian", "gaussian_nll", "nll": self = .gaussian
        case "quantile", "pinball": self = .quantile(quantiles)
        default: return nil
        }
    }

    /// The point forecast (the mean, or the median-most quantile) of head block `pred` for
    /// target `m` of `M`.
    public func pointIndex(target m: Int, targets M: Int) -> Int {
        switch self {
        case .quantile(let qs):
            let k = qs.indices.min { abs(qs[$0] - 0.5) < abs(qs[$1] - 0.5) } ?? 0
            return k * M + m
        default: return m
        }
    }

    /// Adds the loss of `rows` windows to the running total and writes its gradient.
    ///
    /// - Parameters:
    ///   - pred: `[rows, M * outputsPerTarget]` head outputs.
    ///   - target: `[rows, M]`.
    ///   - normalizer: the element count of the *whole* minibatch (`batch * M`); each shard of a
    ///     minibatch divides by the same number, so shard gradients simply add up.
    ///   - dPred: gradient of the minibatch loss with respect to `pred` (written, not added).
    /// - Returns: this part's contribution to the minibatch mean loss.
    public func evaluate(pred: UnsafePointer<Float>, target: UnsafePointer<Float>, rows: Int, targets M: Int,
                         normalizer: Int, dPred: UnsafeMutablePointer<Float>?) -> Double {
        let K = outputsPerTarget
        let inv = 1 / Float(normalizer)
        var total = 0.0
        for r in 0..<rows {
            let p = pred + r * M * K, y = target + r * M
            let d = dPred.map { $0 + r * M * K }
            for m in 0..<M {
                switch self {
                case .mse:
                    let e = p[m] - y[m]
                    total += Double(e * e)
                    d?[m] = 2 * e * inv
                case .mae:
                    let e = p[m] - y[m]
                    total += Double(abs(e))
                    d?[m] = (e > 0 ? 1 : (e < 0 ? -1 : 0)) * inv
                case .huber(let delta):
                    let e = p[m] - y[m], a = abs(e)
                    if a <= delta { total += Double(0.5 * e * e); d?[m] = e * inv }
                    else { total += Double(delta * (a - 0.5 * delta)); d?[m] = (e > 0 ? delta : -delta) * inv }
                case .gaussian:
                    let mu = p[m], s = max(min(p[M + m], 30), -30)
                    let e = y[m] - mu, w = expf(-s)
                    total += 0.5 * Double(s + e * e * w)
                    d?[m] = -e * w * inv
                    d?[M + m] = (p[M + m] == s ? 0.5 * (1 - e * e * w) : 0) * inv
                case .likelihood(let l):
                    let K = l.parameterCount
                    let u = (0..<K).map { p[$0 * M + m] }
                    var g = [Float](repeating: 0, count: K)
                    total += g.withUnsafeMutableBufferPointer { l.negativeLogLikelihood(u, y: y[m], scale: p[K * M + m], weight: inv, dU: $0.baseAddress!) }
                    if let d { for k in 0..<K { d[k * M + m] = g[k] }; d[K * M + m] = 0 }
                case .quantile(let qs):
                    let scale = inv / Float(qs.count)
                    for (k, q) in qs.enumerated() {
                        let e = y[m] - p[k * M + m]
                        total += Double(e >= 0 ? q * e : (q - 1) * e) / Double(qs.count)
                        d?[k * M + m] = (e > 0 ? -q : (e < 0 ? 1 - q : 0)) * scale
                    }
                }
            }
        }
        return total / Double(normalizer)
    }
}
